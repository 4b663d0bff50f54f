// Client helpers for sends and reverse-ETL runs.
import { createHash, randomUUID } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import type { ConnectionStore } from '../connections/types.js';
import { getConnector } from '../registry/index.js';
import type { sendWorkflow } from '../../workflows/send.js';
import type { reverseEtlSyncWorkflow, ReverseEtlInput } from '../../workflows/reverse-etl.js';
import { startPipelineWorkflow } from './start.js';
import { workflowTaskQueue } from './task-queues.js';

/** `send:<connection>:<key>`; keys over 100 characters are hashed so the id stays under the 255-character limit clusters often set. */
export function sendWorkflowId(connectionId: string, idempotencyKey: string, namePrefix = ''): string {
  const key = idempotencyKey.length <= 100 ? idempotencyKey : `sha256-${createHash('sha256').update(idempotencyKey).digest('hex')}`;
  return `${namePrefix}send:${connectionId}:${key}`;
}

export interface StartSendOptions {
  connectionId: string;
  message: unknown;
  /** Same key, same delivery: a second start returns the first one's outcome. Default: a new UUID. */
  idempotencyKey?: string;
  namePrefix?: string;
}

async function connectionFor(store: ConnectionStore, connectionId: string) {
  const record = await store.get(connectionId);
  if (!record) throw new Error(`Connection "${connectionId}" is not registered`);
  return { record, connector: getConnector(record.connectorId) };
}

/**
 * Starts (or attaches to) the send of one message. The workflow id is made from the idempotency
 * key: a running send with that key is joined, a finished one is returned as it ended — never sent
 * again (within the namespace's retention). A different message under a used key is not sent either.
 */
export async function startSend(client: Client, store: ConnectionStore, opts: StartSendOptions): Promise<{ handle: WorkflowHandle<typeof sendWorkflow>; idempotencyKey: string }> {
  const { record, connector } = await connectionFor(store, opts.connectionId);
  if (!connector.capabilities.send) throw new Error(`${connector.name} connections cannot send messages`);
  const idempotencyKey = opts.idempotencyKey ?? randomUUID();
  const workflowId = sendWorkflowId(record.id, idempotencyKey, opts.namePrefix);
  try {
    const handle = await startPipelineWorkflow<typeof sendWorkflow>(
      client,
      'sendWorkflow',
      {
        taskQueue: workflowTaskQueue(opts.namePrefix),
        workflowId,
        args: [{ connectionId: record.id, message: opts.message, idempotencyKey }],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        staticSummary: `Send to ${connector.name} via ${record.id} (key ${idempotencyKey.slice(0, 60)})`,
      },
      { connectorId: record.connectorId, connectionId: record.id, kind: 'send' },
    );
    // With USE_EXISTING a send already running under this key comes back as its handle.
    return { handle, idempotencyKey };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      // REJECT_DUPLICATE: a send with this key already finished; its outcome is the answer.
      return { handle: client.workflow.getHandle<typeof sendWorkflow>(workflowId), idempotencyKey };
    }
    throw err;
  }
}

export function reverseEtlWorkflowId(connectionId: string, namePrefix = ''): string {
  return `${namePrefix}reverse-etl:${connectionId}`;
}

export interface StartReverseEtlOptions extends Omit<ReverseEtlInput, 'state'> {
  namePrefix?: string;
}

/** Triggers a reverse-ETL run; one at a time per connection. */
export async function startReverseEtl(client: Client, store: ConnectionStore, opts: StartReverseEtlOptions): Promise<WorkflowHandle<typeof reverseEtlSyncWorkflow>> {
  const { record, connector } = await connectionFor(store, opts.connectionId);
  if (!connector.capabilities.trigger) throw new Error(`${connector.name} connections cannot trigger syncs`);
  const { namePrefix, ...input } = opts;
  const workflowId = reverseEtlWorkflowId(record.id, namePrefix);
  try {
    return await startPipelineWorkflow<typeof reverseEtlSyncWorkflow>(
      client,
      'reverseEtlSyncWorkflow',
      {
        taskQueue: workflowTaskQueue(namePrefix),
        workflowId,
        args: [input],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        staticSummary: `${connector.name} run for ${record.id}`,
      },
      { connectorId: record.connectorId, connectionId: record.id, kind: 'reverse_etl' },
    );
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) throw new Error(`A ${connector.name} run for "${record.id}" is already in progress (${workflowId})`);
    throw err;
  }
}
