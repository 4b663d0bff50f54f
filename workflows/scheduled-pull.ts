// scheduledPullWorkflow: what a pull schedule starts. It runs the stream's sync as a child with the
// stream's one workflow id, `pull:<connection>:<stream>`, the same id a manual or CLI sync uses.
//
// Guarantee: one run per (connection, stream), whatever starts it. A schedule's own runs get
// timestamped ids (so the server's overlap policy only sees other scheduled runs); going through the
// stream's id makes a scheduled run and a manual one exclude each other: when a sync of the stream is
// already running, this run is skipped (and says so) instead of reading the same window twice and
// racing it to save the watermark.
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, executeChild, workflowInfo } from '@temporalio/workflow';
import { ConnectionIdKey, ConnectorIdKey, PipelineKindKey } from '../src/temporal/search-attributes.js';
import { pullWorkflow, type PullInput, type PullResult } from './pull.js';

export interface ScheduledPullInput extends Pick<PullInput, 'connectionId' | 'stream' | 'mode'> {
  /** The stream's workflow id (`<prefix>pull:<connection>:<stream>`), computed by the schedule's creator. */
  syncWorkflowId: string;
  connectorId?: string;
  /** Shown in the Web UI for the sync this run starts. */
  summary?: string;
}

export type ScheduledPullResult =
  | { ran: true; workflowId: string; result: PullResult }
  | { ran: false; workflowId: string; reason: string };

export async function scheduledPullWorkflow(input: ScheduledPullInput): Promise<ScheduledPullResult> {
  try {
    const result = await executeChild(pullWorkflow, {
      workflowId: input.syncWorkflowId,
      args: [{ connectionId: input.connectionId, stream: input.stream, ...(input.mode ? { mode: input.mode } : {}) }],
      // The sync outlives this run if the schedule's run is terminated: its pages are worth keeping.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      // The sync is listed like any other pull of the stream (the schedule's run is `scheduled_pull`).
      typedSearchAttributes: [
        { key: ConnectorIdKey, value: workflowInfo().typedSearchAttributes.get(ConnectorIdKey) ?? input.connectorId ?? '' },
        { key: ConnectionIdKey, value: input.connectionId },
        { key: PipelineKindKey, value: 'pull' },
      ],
      ...(input.summary ? { staticSummary: input.summary } : {}),
    });
    return { ran: true, workflowId: input.syncWorkflowId, result };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      return { ran: false, workflowId: input.syncWorkflowId, reason: `a sync of ${input.connectionId}/${input.stream} was already running (${input.syncWorkflowId}); this scheduled run was skipped` };
    }
    throw err;
  }
}
