// What activities need from the worker process. Built once per worker (see src/temporal/worker.ts).
import type { ConnectionStore } from '../src/connections/types.js';
import type { PolicyOverrides } from '../src/policies/activity-options.js';
import { CircuitBreakers } from '../src/policies/circuit-breaker.js';
import { LocalLeases, type Leases } from '../src/policies/leases.js';
import { ledgerFor } from '../src/pipelines/index.js';
import type { DeliveryLedger } from '../src/pipelines/ledger.js';
import type { Sink } from '../src/sinks/types.js';
import { meteredLedger } from '../src/metrics/ledger.js';
import { NO_METRICS, type EngineMetrics } from '../src/metrics/registry.js';

export interface ActivityDeps {
  store: ConnectionStore;
  sink: Sink;
  /** Pipelines' delivery ledger and staging; default: the one beside the sink (src/pipelines/index.ts). */
  ledger?: DeliveryLedger;
  /** Per-connector (or '*' for all) policy overrides of this deployment. */
  policyOverrides?: Record<string, PolicyOverrides>;
  breakers?: CircuitBreakers;
  /** Slots of the keys whose provider caps calls in flight (shared by every worker; src/policies/leases.ts). */
  leases?: Leases;
  /** Prefix of this deployment's task queues (see src/temporal/task-queues.ts). */
  namePrefix?: string;
  env?: NodeJS.ProcessEnv;
  /** The engine's counters (src/metrics/registry.ts), when the worker exposes metrics; default: none kept. */
  metrics?: EngineMetrics;
}

export function withDefaults(deps: ActivityDeps): Required<Omit<ActivityDeps, 'policyOverrides'>> & Pick<ActivityDeps, 'policyOverrides'> {
  const metrics = deps.metrics ?? NO_METRICS;
  // Every delivery outcome is an append to the ledger (staging and deliverCall alike): counting the
  // appends counts them all in one place (src/metrics/ledger.ts).
  const withLedger = { ...deps, metrics, ledger: meteredLedger(deps.ledger ?? ledgerFor(deps.sink), metrics) };
  return { breakers: new CircuitBreakers(), leases: new LocalLeases(), env: process.env, namePrefix: '', ...withLedger };
}
