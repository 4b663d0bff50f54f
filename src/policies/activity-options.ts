// A connector policy -> the plain activity options a workflow passes to proxyActivities.
// Plain data on purpose: the worker computes it and hands it to the workflow (recorded in history),
// so workflow code never imports the registry.
import type { ErrorCode } from '../core/errors.js';

const ALWAYS_NON_RETRYABLE: readonly ErrorCode[] = ['invalid_config', 'missing_secret'];
import { activityTaskQueue } from '../temporal/task-queues.js';
import type { ConnectorPolicy } from './types.js';

export interface PlainActivityOptions {
  taskQueue: string;
  startToCloseTimeout: number;
  scheduleToCloseTimeout: number;
  heartbeatTimeout?: number;
  retry: {
    initialInterval: number;
    backoffCoefficient: number;
    maximumInterval: number;
    maximumAttempts: number;
    nonRetryableErrorTypes: string[];
  };
}

export function toActivityOptions(connectorId: string, policy: ConnectorPolicy, namePrefix = ''): PlainActivityOptions {
  const options: PlainActivityOptions = {
    taskQueue: activityTaskQueue(connectorId, namePrefix),
    startToCloseTimeout: policy.timeouts.startToCloseMs,
    scheduleToCloseTimeout: policy.timeouts.scheduleToCloseMs,
    retry: {
      initialInterval: policy.retry.initialIntervalMs,
      backoffCoefficient: policy.retry.backoffCoefficient,
      maximumInterval: policy.retry.maximumIntervalMs,
      maximumAttempts: policy.retry.maximumAttempts,
      // Each failure carries its own nonRetryable flag, decided per call by the executor (a 409 with
      // Stripe-Should-Retry: true is retryable). Only configuration problems are never retried.
      nonRetryableErrorTypes: [...ALWAYS_NON_RETRYABLE],
    },
  };
  if (policy.timeouts.heartbeatMs !== undefined) options.heartbeatTimeout = policy.timeouts.heartbeatMs;
  return options;
}

/** Deployment-level overrides of a connector's policy (tests, benchmarks, a customer's higher plan). */
export type PolicyOverrides = {
  [K in keyof Omit<ConnectorPolicy, 'source'>]?: Partial<NonNullable<ConnectorPolicy[K]>>;
};

export function applyOverrides(policy: ConnectorPolicy, overrides: PolicyOverrides | undefined): ConnectorPolicy {
  if (!overrides) return policy;
  const out: ConnectorPolicy = {
    ...policy,
    retry: { ...policy.retry, ...overrides.retry },
    timeouts: { ...policy.timeouts, ...overrides.timeouts },
    rate: { ...policy.rate, ...overrides.rate },
    circuit: { ...policy.circuit, ...overrides.circuit },
  };
  if (policy.pull || overrides.pull) out.pull = { defaultPageSize: 100, maxPageSize: 100, overlapMs: 60_000, ...policy.pull, ...overrides.pull };
  return out;
}
