// testConnectionWorkflow: runs the connector's credential check as an activity on its own task queue
// (so a worker with the secrets performs it), once, without retries: it answers a person waiting.
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { PipelineActivities, TestConnectionResult } from '../activities/index.js';
import { pipelineFailure } from './failure.js';

const { planCall } = proxyLocalActivities<PipelineActivities>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['invalid_config', 'not_found', 'missing_secret'] },
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
