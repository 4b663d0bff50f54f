// How the Temporal server holds each provider budget. With task-queue fairness (per-key mode), every
// provider activity carries its connection's rate key as its fairness key, and each connector's
// activity queue gets a per-key rate limit (the connector's per-key rate; a connection's own budget
// scales it through the activity's fairness weight) and a queue-wide limit well above it: every
// credential runs at its own rate at the same time, keys take turns, and the server enforces it
// across every worker. A cluster that does not accept per-key limits gets today's per-connector
// limit instead (one budget for all connections of a connector), and the worker says so at start.
import type { NativeConnection } from '@temporalio/worker';

/** TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY (temporal.api.enums.v1). */
const ACTIVITY_QUEUE = 2;

/** The queue-wide limit is this many keys at their full rate: a guard, not the budget. */
export const QUEUE_LIMIT_KEYS = 50;

export type RateMode = 'per-key' | 'per-connector';
export type RateModeSetting = RateMode | 'auto';

export interface QueueRate {
  connectorId: string;
  taskQueue: string;
  /** The per-key limit (already under the provider's rate by the worker's headroom). */
  perKeyRps: number;
}

export interface RateModeDecision {
  mode: RateMode;
  /** Why per-connector, when it is. */
  reason?: string;
}

type WorkflowService = NativeConnection['workflowService'];

/**
 * Applies per-key limits to every connector queue (idempotent: the same values each start). Any
 * refusal (an older server, fairness not enabled for the namespace, no permission) means the
 * per-connector fallback for all queues, so that budgets are never half applied.
 */
export async function applyQueueRates(service: WorkflowService, namespace: string, identity: string, queues: readonly QueueRate[], setting: RateModeSetting = 'auto'): Promise<RateModeDecision> {
  if (setting === 'per-connector') {
    await clearQueueRates(service, namespace, identity, queues);
    return { mode: 'per-connector', reason: 'PIPELINE_RATE_MODE=per-connector' };
  }
  try {
    // All queues at once: each update is a write on the server (~100 ms), and one after the other
    // they were most of a worker's start-up time (2.7 s for 24 queues).
    const settled = await Promise.allSettled(
      queues.map((q) =>
        service.updateTaskQueueConfig({
          namespace,
          identity,
          taskQueue: q.taskQueue,
          taskQueueType: ACTIVITY_QUEUE,
          updateQueueRateLimit: { rateLimit: { requestsPerSecond: q.perKeyRps * QUEUE_LIMIT_KEYS }, reason: 'pipeline: guard above the per-key budgets' },
          updateFairnessKeyRateLimitDefault: { rateLimit: { requestsPerSecond: q.perKeyRps }, reason: `pipeline: ${q.connectorId} budget per rate key` },
        }),
      ),
    );
    const refused = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (refused) throw refused.reason;
    return { mode: 'per-key' };
  } catch (err) {
    if (setting === 'per-key') throw new Error(`PIPELINE_RATE_MODE=per-key, but the Temporal server refused per-key rate limits: ${(err as Error).message}`);
    await clearQueueRates(service, namespace, identity, queues);
    return { mode: 'per-connector', reason: `the server refused per-key rate limits (${(err as Error).message.split('\n')[0]})` };
  }
}

/** Removes per-key configuration so that the workers' per-connector limits apply again. */
async function clearQueueRates(service: WorkflowService, namespace: string, identity: string, queues: readonly QueueRate[]): Promise<void> {
  await Promise.all(
    queues.map((q) =>
      service
        .updateTaskQueueConfig({
          namespace,
          identity,
          taskQueue: q.taskQueue,
          taskQueueType: ACTIVITY_QUEUE,
          updateQueueRateLimit: { reason: 'pipeline: per-connector mode' },
          updateFairnessKeyRateLimitDefault: { reason: 'pipeline: per-connector mode' },
        })
        .catch(() => undefined), // a server without the API has nothing to clear
    ),
  );
}
