// Client helpers: connect, start a pull sync by connection id, follow its progress.
// Workflows receive only the connection id and stream: never a config, never a secret.
import {
  Client,
  Connection,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  type WorkflowHandle,
  type WorkflowHandleWithStartDetails,
} from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { ConnectionStore } from '../connections/types.js';
import { getConnector } from '../registry/index.js';
import type { Settings } from '../settings.js';
import type { pullWorkflow, PullProgress, PullResult, SyncMode } from '../../workflows/pull.js';
import { temporalConnectionOptions } from './connection-options.js';
import { startPipelineWorkflow } from './start.js';
import { workflowTaskQueue } from './task-queues.js';

export async function connectClient(settings: Pick<Settings, 'temporalAddress' | 'namespace'>, dataConverter?: DataConverter): Promise<Client> {
  const connection = await Connection.connect({ ...temporalConnectionOptions(settings.temporalAddress), connectTimeout: 5_000 });
  return new Client({ connection, namespace: settings.namespace, ...(dataConverter ? { dataConverter } : {}) });
}

/** One pull per (connection, stream) at a time: the id is deterministic. */
export function syncWorkflowId(connectionId: string, stream: string, namePrefix = ''): string {
  return `${namePrefix}pull:${connectionId}:${stream}`;
}

export interface StartSyncOptions {
  connectionId: string;
  /** Defaults to the connector's first stream. */
  stream?: string;
  mode?: SyncMode;
  pageSize?: number;
  pagesPerRun?: number;
  /** When the end-of-run checks find data missing: fail (default) or complete with a warning. */
  onIncomplete?: 'fail' | 'warn';
  /** Never slice (benchmarks compare the two). */
  sequential?: boolean;
  namePrefix?: string;
}

export class SyncAlreadyRunningError extends Error {
  constructor(readonly workflowId: string) {
    super(`A sync is already running as ${workflowId}; wait for it, or cancel it first`);
    this.name = 'SyncAlreadyRunningError';
  }
}

export async function startSync(
  client: Client,
  store: ConnectionStore,
  opts: StartSyncOptions,
): Promise<WorkflowHandleWithStartDetails<typeof pullWorkflow>> {
  const record = await store.get(opts.connectionId);
  if (!record) throw new Error(`Connection "${opts.connectionId}" is not registered`);
  const connector = getConnector(record.connectorId);
  const stream = opts.stream ?? connector.capabilities.pull[0];
  if (!stream || !connector.capabilities.pull.includes(stream)) {
    throw new Error(
      connector.capabilities.pull.length
        ? `${connector.name} has no stream "${stream}" (streams: ${connector.capabilities.pull.join(', ')})`
        : `${connector.name} is not a source: it cannot be pulled`,
    );
  }
  const workflowId = syncWorkflowId(record.id, stream, opts.namePrefix);
  const mode = opts.mode ?? 'incremental';
  try {
    return await startPipelineWorkflow<typeof pullWorkflow>(
      client,
      'pullWorkflow',
      {
        taskQueue: workflowTaskQueue(opts.namePrefix),
        workflowId,
        args: [
          {
            connectionId: record.id,
            stream,
            mode,
            ...(opts.pageSize ? { pageSize: opts.pageSize } : {}),
            ...(opts.pagesPerRun ? { pagesPerRun: opts.pagesPerRun } : {}),
            ...(opts.onIncomplete ? { onIncomplete: opts.onIncomplete } : {}),
            ...(opts.sequential ? { sequential: true } : {}),
          },
        ],
        // Refuse a second concurrent sync of the same stream; allow a new one once it has finished.
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        staticSummary: `${mode === 'full' ? 'Full' : 'Incremental'} pull of ${connector.name} ${stream} for ${record.id}`,
      },
      { connectorId: record.connectorId, connectionId: record.id, kind: 'pull' },
    );
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) throw new SyncAlreadyRunningError(workflowId);
    throw err;
  }
}

/**
 * Waits for a sync, calling `onProgress` with its progress query every `intervalMs`.
 * Progress survives continue-as-new: the handle follows the latest run of the workflow id.
 */
export async function followSync(
  handle: WorkflowHandle<typeof pullWorkflow>,
  onProgress: (p: PullProgress) => void,
  intervalMs = 500,
): Promise<PullResult> {
  let done = false;
  const result = handle.result().finally(() => {
    done = true;
  });
  const latest = handle.workflowId;
  const poll = (async () => {
    while (!done) {
      try {
        onProgress(await handle.client.getHandle(latest).query<PullProgress>('progress'));
      } catch {
        // between runs of a continue-as-new, or the workflow just finished
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  try {
    return await result;
  } finally {
    await poll;
  }
}
