// sendWorkflow: one delivery to a destination, exactly once per idempotency key.
//
// Guarantee: the workflow id is made from the idempotency key, and the client starts it so that a
// second start with the same key joins a running send (USE_EXISTING) and never starts another after
// one that succeeded: the message is sent at most once by the engine, and its result is returned to
// every caller. A send that failed (or was cancelled, terminated, timed out) leaves its key free, so
// fixing the cause and sending again with the same key is a new attempt (ALLOW_DUPLICATE_FAILED_ONLY).
// The client records a sha256 of the message in the run's memo, to tell the same message sent again
// from another message under a used key. Where the provider de-duplicates too (PagerDuty dedup_key,
// Segment messageId, Zendesk Idempotency-Key, Klaviyo unique_id, Iterable event id), the same key
// feeds it, so even a retried call after a lost answer is harmless.
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { PipelineActivities, SendResult } from '../activities/index.js';
import { pipelineFailure } from './failure.js';
import { PLAN_OPTIONS } from './plan-options.js';

export interface SendWorkflowInput {
  connectionId: string;
  /** The connector's message (see each executor's message schema). */
  message: unknown;
  idempotencyKey: string;
  /**
   * When the first send of this message under this key started (epoch ms; the client carries it
   * from run to run). Executors that date the event (Intercom created_at) use it, so that a new
   * attempt is the same event to the provider's de-duplication. Absent: this run's first attempt.
   */
  firstAttemptAtMs?: number;
}

const { planCall } = proxyLocalActivities<PipelineActivities>(PLAN_OPTIONS);

export async function sendWorkflow(input: SendWorkflowInput): Promise<SendResult> {
  const plan = await planCall({ connectionId: input.connectionId, capability: 'send' });
  const { send } = proxyActivities<PipelineActivities>(plan.activity);
  try {
    return await send.executeWithOptions({ ...plan.activity, summary: `send to ${plan.connectorName} via ${input.connectionId}` }, [
      {
        connectionId: input.connectionId,
        message: input.message,
        idempotencyKey: input.idempotencyKey,
        ...(input.firstAttemptAtMs !== undefined ? { firstAttemptAtMs: input.firstAttemptAtMs } : {}),
      },
    ]);
  } catch (err) {
    throw pipelineFailure(`Send to ${plan.connectorName} via "${input.connectionId}" failed`, err);
  }
}
