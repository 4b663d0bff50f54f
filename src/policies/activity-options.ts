// A connector policy -> the plain activity options a workflow passes to proxyActivities.
// Plain data on purpose: the worker computes it and hands it to the workflow (recorded in history),
// so workflow code never imports the registry.
import type { ErrorCode } from '../core/errors.js';

const ALWAYS_NON_RETRYABLE: readonly ErrorCode[] = ['invalid_config', 'missing_secret'];
import { activityTaskQueue } from '../temporal/task-queues.js';
import type { ConnectorPolicy } from './types.js';

/**
 * Every provider call heartbeats (activities/call-guard.ts), so that a worker that dies mid-call is
 * noticed in seconds (the next attempt starts after this timeout) rather than after the attempt's
 * start-to-close timeout, and so that a cancel reaches the call in flight.
 */
export const DEFAULT_HEARTBEAT_MS = 10_000;

export interface PlainActivityOptions {
  taskQueue: string;
  startToCloseTimeout: number;
  scheduleToCloseTimeout: number;
  heartbeatTimeout?: number;
  /**
   * A cancel waits for the call in flight to end (it learns of the cancel through its heartbeat)
   * before the workflow moves on: otherwise the workflow could end while an attempt is still running,
   * and the attempt's late completion races the workflow's own end.
   */
  cancellationType: 'WAIT_CANCELLATION_COMPLETED';
  /**
   * The connection's rate key as the fairness key (and its budget as the weight): the server holds
   * each key to its own per-key limit across every worker, and keys take turns on the queue.
   */
  priority?: { fairnessKey: string; fairnessWeight: number };
  retry: {
    initialInterval: number;
    backoffCoefficient: number;
    maximumInterval: number;
    maximumAttempts: number;
    nonRetryableErrorTypes: string[];
  };
}

export function toActivityOptions(connectorId: string, policy: ConnectorPolicy, namePrefix = '', rate?: { rateKey: string; fairnessWeight: number }): PlainActivityOptions {
  const options: PlainActivityOptions = {
    taskQueue: activityTaskQueue(connectorId, namePrefix),
    startToCloseTimeout: policy.timeouts.startToCloseMs,
    scheduleToCloseTimeout: policy.timeouts.scheduleToCloseMs,
    cancellationType: 'WAIT_CANCELLATION_COMPLETED',
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
  options.heartbeatTimeout = policy.timeouts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  if (rate) options.priority = { fairnessKey: rate.rateKey, fairnessWeight: rate.fairnessWeight };
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
