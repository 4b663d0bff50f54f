// testConnectionWorkflow: runs the connector's credential check as an activity on its own task queue
// (so a worker with the secrets performs it), once, without retries: it answers a person waiting.
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { PipelineActivities, TestConnectionResult } from '../activities/index.js';
import { pipelineFailure } from './failure.js';
import { PLAN_NON_RETRYABLE, PLAN_OPTIONS } from './plan-options.js';

const { planCall } = proxyLocalActivities<PipelineActivities>({
  ...PLAN_OPTIONS,
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: PLAN_NON_RETRYABLE },
});

export async function testConnectionWorkflow(input: { connectionId: string }): Promise<TestConnectionResult> {
  const plan = await planCall({ connectionId: input.connectionId, capability: 'test' });
  const { testConnection } = proxyActivities<PipelineActivities>({
    ...plan.activity,
    scheduleToCloseTimeout: plan.activity.startToCloseTimeout,
    retry: { ...plan.activity.retry, maximumAttempts: 1 },
    summary: `test ${plan.connectorName} connection ${input.connectionId}`,
  });
  try {
    return await testConnection({ connectionId: input.connectionId });
  } catch (err) {
    throw pipelineFailure(`Testing ${plan.connectorName} connection "${input.connectionId}" failed`, err);
  }
}
