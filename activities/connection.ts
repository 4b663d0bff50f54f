// Loading a connection inside an activity: the stored record, its connector, the config with secrets
// resolved (worker memory only) and the call options (sandbox base URL, timeout, cancellation).
import { Context } from '@temporalio/activity';
import type { CallOptions } from '../src/core/envelope.js';
import { resolveSecrets } from '../src/connections/secrets.js';
import { ConnectionError, type ConnectionRecord } from '../src/connections/types.js';
import { applyOverrides } from '../src/policies/activity-options.js';
import { connectionRate, type ConnectionRate } from '../src/policies/connection-rate.js';
import type { Leases } from '../src/policies/leases.js';
import type { ConnectorPolicy } from '../src/policies/types.js';
import { getConnector, type Connector } from '../src/registry/index.js';
import { NO_METRICS, type EngineMetrics } from '../src/metrics/registry.js';
import type { ActivityDeps } from './deps.js';
import { failureFromError } from './failures.js';

export interface LoadedConnection {
  record: ConnectionRecord;
  connector: Connector;
  policy: ConnectorPolicy;
  config: Record<string, unknown>;
  callOptions: CallOptions;
  /** The connection's provider budget (rate key, concurrency per key). */
  rate: ConnectionRate;
  /** Where the key's in-flight slots are held, when the provider caps them. */
  leases: Leases | undefined;
  /** The worker's counters, carried here so that guardedCall, which every call goes through, can count answers. */
  metrics: EngineMetrics;
}

export function policyFor(connectorId: string, deps: Pick<ActivityDeps, 'policyOverrides'>): ConnectorPolicy {
  const base = getConnector(connectorId).policy;
  const overrides = deps.policyOverrides;
  return applyOverrides(applyOverrides(base, overrides?.['*']), overrides?.[connectorId]);
}

export async function getRecord(deps: ActivityDeps, connectionId: string): Promise<ConnectionRecord> {
  const record = await deps.store.get(connectionId);
  if (!record) failureFromError(new ConnectionError(`Connection "${connectionId}" is not registered`, 'not_found'));
  return record!;
}

/**
 * The connection's budget with its provider (rate key, weight, concurrency per key). Computed from the
 * resolved config, so that a secret-based key is the credential's; when a secret cannot be resolved
 * on this worker the stored reference stands in, and the call itself reports the missing secret.
 */
export async function rateOf(deps: Pick<ActivityDeps, 'env' | 'policyOverrides'>, record: ConnectionRecord): Promise<ConnectionRate> {
  const connector = getConnector(record.connectorId);
  const policy = policyFor(record.connectorId, deps);
  let config = record.config;
  try {
    config = await resolveSecrets(record, deps.env ?? process.env);
  } catch {
    // keep the references
  }
  return connectionRate(connector, policy, config, deps.env ?? process.env);
}

export async function loadConnection(deps: ActivityDeps, connectionId: string): Promise<LoadedConnection> {
  const record = await getRecord(deps, connectionId);
  const connector = getConnector(record.connectorId);
  const policy = policyFor(record.connectorId, deps);
  let config: Record<string, unknown>;
  try {
    config = await resolveSecrets(record, deps.env ?? process.env);
  } catch (err) {
    failureFromError(err);
  }
  const callOptions: CallOptions = { timeoutMs: policy.timeouts.requestMs };
  if (record.baseUrlOverride) callOptions.baseUrlOverride = record.baseUrlOverride;
  const ctx = currentContext();
  if (ctx) {
    callOptions.signal = ctx.cancellationSignal;
    // The first attempt's schedule time is the same on every retry of this activity.
    callOptions.firstAttemptAtMs = ctx.info.scheduledTimestampMs;
  }
  const rate = connectionRate(connector, policy, config!, deps.env ?? process.env);
  return { record, connector, policy, config: config!, callOptions, rate, leases: deps.leases, metrics: deps.metrics ?? NO_METRICS };
}

function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // called outside an activity (plain loop, benchmarks)
  }
}
