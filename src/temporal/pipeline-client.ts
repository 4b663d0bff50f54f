// Starting and following pipeline runs. A pipeline has one workflow id, `pipeline:<id>`, for its
// runs, replays and scheduled runs alike: two of them never run at once (each would claim the same
// records), and a second start says which one is running.
import { WorkflowExecutionAlreadyStartedError, WorkflowIdConflictPolicy, WorkflowIdReusePolicy, type Client, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { ConnectionStore } from '../connections/types.js';
import { getConnector } from '../registry/index.js';
import type { PipelineInput, PipelineMode, PipelineProgress, PipelineResult, pipelineWorkflow } from '../../workflows/pipeline.js';
import { startPipelineWorkflow } from './start.js';
import { workflowTaskQueue } from './task-queues.js';

export function pipelineWorkflowId(pipelineId: string, namePrefix = ''): string {
  return `${namePrefix}pipeline:${pipelineId}`;
}

export class PipelineRunningError extends Error {
  constructor(
    readonly workflowId: string,
    readonly pipelineId: string,
  ) {
    super(`Pipeline ${pipelineId} is already running as ${workflowId}; wait for it (pipeline pipelines status ${pipelineId}) or cancel it`);
    this.name = 'PipelineRunningError';
  }
}

export interface StartPipelineOptions {
  pipelineId: string;
  mode?: PipelineMode;
  replay?: PipelineInput['replay'];
  pagesPerRun?: number;
  namePrefix?: string;
}

export async function startPipelineRun(client: Client, store: ConnectionStore, opts: StartPipelineOptions): Promise<WorkflowHandleWithFirstExecutionRunId<typeof pipelineWorkflow>> {
  const def = await store.pipelines.get(opts.pipelineId);
  if (!def) throw new Error(`Pipeline "${opts.pipelineId}" is not defined`);
  const destination = await store.get(def.destination.connectionId);
  const source = await store.get(def.source.connectionId);
  const mode = opts.mode ?? 'incremental';
  const workflowId = pipelineWorkflowId(def.id, opts.namePrefix);
  const what = mode === 'replay' ? 'Replay of dead letters' : mode === 'full' ? 'Full run' : 'Run';
  const sourceName = source ? `${getConnector(source.connectorId).name} ${def.source.stream}` : def.source.stream;
  const destName = destination ? getConnector(destination.connectorId).name : def.destination.connectionId;
  try {
    return await startPipelineWorkflow<typeof pipelineWorkflow>(
      client,
      'pipelineWorkflow',
      {
        taskQueue: workflowTaskQueue(opts.namePrefix),
        workflowId,
        args: [{ pipelineId: def.id, mode, ...(opts.replay ? { replay: opts.replay } : {}), ...(opts.pagesPerRun ? { pagesPerRun: opts.pagesPerRun } : {}) }],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        staticSummary: `${what} of pipeline ${def.id}: ${sourceName} → ${destName}`,
      },
      { connectorId: destination?.connectorId ?? '', connectionId: def.destination.connectionId, kind: 'pipeline', pipelineId: def.id },
    );
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) throw new PipelineRunningError(workflowId, def.id);
    throw err;
  }
}

/** Waits for a run, calling `onProgress` with its progress every `intervalMs` (across continue-as-new). */
export async function followPipeline(handle: WorkflowHandle<typeof pipelineWorkflow>, onProgress: (p: PipelineProgress) => void, intervalMs = 500): Promise<PipelineResult> {
  let done = false;
  const poll = (async () => {
    while (!done) {
      try {
        onProgress(await handle.query<PipelineProgress>('pipelineProgress'));
      } catch {
        // between runs of a continue-as-new, or not started yet
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  try {
    return await handle.result();
  } finally {
    done = true;
    await poll;
  }
}
