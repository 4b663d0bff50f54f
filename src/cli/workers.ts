// Is anyone polling? A command that needs a worker says at once when none polls its task queues, and
// what to run, rather than waiting silently for a worker that is not there.
import type { Client } from '@temporalio/client';
// A CommonJS package: under ESM only its default export is there (as in src/temporal/codec.ts).
import protos from '@temporalio/proto';

const { temporal } = protos;

/** The queues (of those given) that have no poller right now. Unknown (e.g. no permission) counts as polled. */
export async function queuesWithoutPollers(client: Client, namespace: string, queues: { name: string; kind: 'workflow' | 'activity' }[]): Promise<string[]> {
  const missing: string[] = [];
  for (const q of queues) {
    try {
      const res = await client.workflowService.describeTaskQueue({
        namespace,
        taskQueue: { name: q.name },
        // TaskQueueType: 1 = workflow, 2 = activity (temporal.api.enums.v1.TaskQueueType).
        taskQueueType: q.kind === 'workflow' ? 1 : 2,
      });
      if ((res.pollers ?? []).length === 0) missing.push(q.name);
    } catch {
      // visibility of pollers is a nicety; never fail a command on it
    }
  }
  return missing;
}

export function noWorkerMessage(queues: string[], connectorId?: string): string {
  const run = connectorId ? `\`pipeline worker\` (it polls every connector; \`--connectors ${connectorId}\` for this one only) or \`pipeline dev\`` : '`pipeline worker` or `pipeline dev`';
  return `No worker is polling ${queues.join(' and ')}. Start one with ${run}.`;
}
