// A connection's budget with the provider: its rate key (the Temporal fairness key of its provider
// activities), the requests per second the key may use, and the weight that scales the connector's
// per-key default to it, plus the calls in flight the provider allows it at once.
import type { Connector } from '../registry/define.js';
import { rateKey } from './rate-key.js';
import type { ConnectorPolicy } from './types.js';

/** Temporal clamps fairness weights to this range. */
const MIN_WEIGHT = 0.001;
const MAX_WEIGHT = 1000;

export interface ConnectionRate {
  /** The fairness key: `<connector>:<scope>`, never a secret. */
  rateKey: string;
  /** This key's budget (the connector's per-key rate unless the connection has its own). */
  requestsPerSecond: number;
  /** requestsPerSecond / the connector's per-key rate: the server scales the per-key limit by it. */
  fairnessWeight: number;
  /** Calls of this key in flight at once across every worker, where the provider caps it. */
  concurrencyPerKey?: number;
  /** Why the budget differs from the connector's, when it does. */
  reason?: string;
}

/**
 * From a config whose secrets are resolved when possible: with a secret still a reference (not set
 * on this worker), the key is made from the reference; the call itself then fails with missing_secret.
 */
export function connectionRate(connector: Connector, policy: ConnectorPolicy, config: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): ConnectionRate {
  const secretFields = connector.secretFields(typeof config.authMethod === 'string' ? config.authMethod : undefined);
  const key = rateKey(connector.id, connector.rateScope, config, secretFields, env);
  let budget = null;
  try {
    const validated = connector.validateConfig(config);
    budget = connector.connectionBudget?.(validated.ok ? (validated.config as Record<string, unknown>) : config) ?? null;
  } catch {
    budget = null; // a budget rule must never stop a call; the connector's own budget applies
  }
  const rps = budget?.requestsPerSecond ?? policy.rate.requestsPerSecond;
  const weight = Math.min(MAX_WEIGHT, Math.max(MIN_WEIGHT, rps / policy.rate.requestsPerSecond));
  const concurrency = budget?.concurrency ?? policy.rate.concurrencyPerKey;
  return {
    rateKey: key,
    requestsPerSecond: rps,
    fairnessWeight: Math.round(weight * 1e6) / 1e6,
    ...(concurrency !== undefined ? { concurrencyPerKey: concurrency } : {}),
    ...(budget ? { reason: budget.reason } : {}),
  };
}
