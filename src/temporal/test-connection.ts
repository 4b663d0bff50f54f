// A connection's credential check, run as testConnectionWorkflow: the check itself is an activity on
// the connector's queue, performed by a worker that holds the secrets. Used by
// `pipeline connections test` and the console's Test button.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { TestConnectionResult } from '../../activities/index.js';
import type { testConnectionWorkflow } from '../../workflows/test-connection.js';
import { workflowTaskQueue } from './task-queues.js';

/** Starts the check and waits for its answer; a failed check throws the workflow's failure. */
export async function testConnectionRun(client: Client, connectionId: string, namePrefix = ''): Promise<TestConnectionResult> {
  const handle = await client.workflow.start<typeof testConnectionWorkflow>('testConnectionWorkflow', {
    taskQueue: workflowTaskQueue(namePrefix),
    workflowId: `${namePrefix}test:${connectionId}:${randomUUID()}`,
    args: [{ connectionId }],
    workflowExecutionTimeout: '2m',
    staticSummary: `Test connection ${connectionId}`,
  });
  return handle.result();
}
