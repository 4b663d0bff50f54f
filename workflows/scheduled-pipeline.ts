// scheduledPipelineWorkflow: what a pipeline's schedule starts. It runs the pipeline as a child under
// the pipeline's one workflow id (`pipeline:<id>`), the id `pipelines run` and `pipelines replay` use
// too, so a scheduled run never overlaps a manual one or a replay: when one is running, this run is
// skipped and says so (the next tick picks up whatever it would have delivered).
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, executeChild, workflowInfo } from '@temporalio/workflow';
import { ConnectionIdKey, ConnectorIdKey, PipelineIdKey, PipelineKindKey } from '../src/temporal/search-attributes.js';
import { pipelineWorkflow, type PipelineResult } from './pipeline.js';

export interface ScheduledPipelineInput {
  pipelineId: string;
  /** The pipeline's workflow id (`<prefix>pipeline:<id>`), computed by the schedule's creator. */
  pipelineWorkflowId: string;
  summary?: string;
}

export type ScheduledPipelineResult =
  | { ran: true; workflowId: string; result: PipelineResult }
  | { ran: false; workflowId: string; reason: string };

export async function scheduledPipelineWorkflow(input: ScheduledPipelineInput): Promise<ScheduledPipelineResult> {
  try {
    const result = await executeChild(pipelineWorkflow, {
      workflowId: input.pipelineWorkflowId,
      args: [{ pipelineId: input.pipelineId }],
      // The run outlives this one if the schedule's run is terminated: its deliveries are worth finishing.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: [
        { key: ConnectorIdKey, value: workflowInfo().typedSearchAttributes.get(ConnectorIdKey) ?? '' },
        { key: ConnectionIdKey, value: workflowInfo().typedSearchAttributes.get(ConnectionIdKey) ?? '' },
        { key: PipelineKindKey, value: 'pipeline' },
        { key: PipelineIdKey, value: input.pipelineId },
      ],
      ...(input.summary ? { staticSummary: input.summary } : {}),
    });
    return { ran: true, workflowId: input.pipelineWorkflowId, result };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      return { ran: false, workflowId: input.pipelineWorkflowId, reason: `pipeline ${input.pipelineId} was already running (${input.pipelineWorkflowId}); this scheduled run was skipped` };
    }
    throw err;
  }
}
