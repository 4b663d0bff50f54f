// What activities need from the worker process. Built once per worker (see src/temporal/worker.ts).
import type { ConnectionStore } from '../src/connections/types.js';
import type { PolicyOverrides } from '../src/policies/activity-options.js';
import { CircuitBreakers } from '../src/policies/circuit-breaker.js';
import { LocalLeases, type Leases } from '../src/policies/leases.js';
import type { Sink } from '../src/sinks/types.js';

export interface ActivityDeps {
  store: ConnectionStore;
  sink: Sink;
  /** Per-connector (or '*' for all) policy overrides of this deployment. */
  policyOverrides?: Record<string, PolicyOverrides>;
  breakers?: CircuitBreakers;
  /** Slots of the keys whose provider caps calls in flight (shared by every worker; src/policies/leases.ts). */
  leases?: Leases;
  /** Prefix of this deployment's task queues (see src/temporal/task-queues.ts). */
  namePrefix?: string;
  env?: NodeJS.ProcessEnv;
}

export function withDefaults(deps: ActivityDeps): Required<Omit<ActivityDeps, 'policyOverrides'>> & Pick<ActivityDeps, 'policyOverrides'> {
  return { breakers: new CircuitBreakers(), leases: new LocalLeases(), env: process.env, namePrefix: '', ...deps };
}
