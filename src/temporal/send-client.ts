// Client helpers for sends and reverse-ETL runs.
import { createHash, randomUUID } from 'node:crypto';
import {
  ApplicationFailure,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  type Client,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
// A CommonJS package: under ESM only its default export is there (as in src/temporal/codec.ts).
import protos from '@temporalio/proto';
import { canonicalJson } from '../core/canonical-json.js';
import type { ConnectionStore } from '../connections/types.js';
import { getConnector } from '../registry/index.js';
import type { sendWorkflow } from '../../workflows/send.js';
import type { reverseEtlSyncWorkflow, ReverseEtlInput } from '../../workflows/reverse-etl.js';
import { startPipelineWorkflow } from './start.js';
import { workflowTaskQueue } from './task-queues.js';

const { temporal } = protos;

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
  /** Send again under a key whose last send may have been delivered (MaybeDeliveredError otherwise). */
  afterMaybeDelivered?: boolean;
  namePrefix?: string;
}

async function connectionFor(store: ConnectionStore, connectionId: string) {
  const record = await store.get(connectionId);
  if (!record) throw new Error(`Connection "${connectionId}" is not registered`);
  return { record, connector: getConnector(record.connectorId) };
}

/** The memo field that carries the fingerprint of a send's message (never the message itself). */
export { canonicalJson };

export const MESSAGE_SHA256_MEMO = 'messageSha256';
/**
 * The memo field with the time (epoch ms) of the first send of this message under its key: a new
 * attempt after a failed or maybe-delivered one carries it on, so that a provider that de-duplicates
 * on the event's time (Intercom: event name, user and created_at) sees the same event again.
 */
export const FIRST_ATTEMPT_MEMO = 'firstAttemptAtMs';

/** JSON with object keys sorted at every level: the same message always gives the same text. */
/** sha256 (hex) of the message's canonical JSON: tells "the same message again" from "another message under a used key". */
export function messageFingerprint(message: unknown): string {
  return createHash('sha256').update(canonicalJson(message)).digest('hex');
}

/** Workflow statuses as the client names them. */
export type RunStatus = 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'TERMINATED' | 'TIMED_OUT' | 'CONTINUED_AS_NEW' | string;

export interface SendRunInfo {
  runId: string;
  status: RunStatus;
  startTime?: Date;
  closeTime?: Date;
  /** The message fingerprint the run was started with; null when it recorded none (started before fingerprints) or it cannot be read (another codec key). */
  messageSha256: string | null;
  /** When the first send of this message under this key started (epoch ms), where the run recorded it. */
  firstAttemptAtMs?: number;
}

export interface StartedSend {
  handle: WorkflowHandle<typeof sendWorkflow>;
  idempotencyKey: string;
  workflowId: string;
  connectionId: string;
  connectorId: string;
  connectorName: string;
  /** This message's fingerprint. */
  messageSha256: string;
  /**
   * - `started`: a new run sends this message (the key was unused, or its last send failed, was cancelled, terminated or timed out: see `previous`);
   * - `joined`: a send under this key was already running, and this command follows it;
   * - `finished`: a send under this key already succeeded; nothing is sent again.
   */
  outcome: 'started' | 'joined' | 'finished';
  /** The run this command follows (or the finished one). */
  run: SendRunInfo;
  /** Whether that run carries this message: true, false (another message under the key), or null (it recorded no fingerprint). */
  sameMessage: boolean | null;
  /** When `outcome` is `started` after a send under this key ended without success: that earlier run. */
  previous?: SendRunInfo;
}

const FAILED_STATUSES = new Set(['FAILED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT']);

/** Whether a closed send may be retried under its key (the reuse policy allows a new run after these). */
export function isFailedStatus(status: RunStatus): boolean {
  return FAILED_STATUSES.has(status);
}

/** The latest run of a send workflow id (or the given run), null when there is none. */
export async function describeSendRun(client: Client, workflowId: string, runId?: string): Promise<SendRunInfo | null> {
  const handle = client.workflow.getHandle(workflowId, runId);
  try {
    const d = await handle.describe();
    const sha = d.memo?.[MESSAGE_SHA256_MEMO];
    const first = d.memo?.[FIRST_ATTEMPT_MEMO];
    return {
      runId: d.runId,
      status: d.status.name,
      startTime: d.startTime,
      ...(d.closeTime ? { closeTime: d.closeTime } : {}),
      messageSha256: typeof sha === 'string' ? sha : null,
      ...(typeof first === 'number' ? { firstAttemptAtMs: first } : {}),
    };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    // The memo could not be decoded (a payload of another codec key): read the status without it.
    const res = await client.workflowService
      .describeWorkflowExecution({ namespace: client.options.namespace, execution: { workflowId, ...(runId ? { runId } : {}) } })
      .catch(() => {
        throw err;
      });
    const info = res.workflowExecutionInfo;
    const code = info?.status ?? 0;
    const name = temporal.api.enums.v1.WorkflowExecutionStatus[code]?.replace('WORKFLOW_EXECUTION_STATUS_', '') ?? 'UNKNOWN';
    return { runId: info?.execution?.runId ?? runId ?? '', status: name === 'CANCELED' ? 'CANCELLED' : name, messageSha256: null };
  }
}

/**
 * Starts (or attaches to) the send of one message. The workflow id is made from the idempotency key:
 * - a running send with that key is joined (USE_EXISTING);
 * - a send that succeeded is never sent again (within the namespace's retention): its run comes back
 *   as `finished`, and the caller shows its result;
 * - a send that failed, was cancelled, terminated or timed out leaves the key free: a new run starts
 *   (ALLOW_DUPLICATE_FAILED_ONLY), and `previous` names the run that failed.
 * The run carries a fingerprint of its message in its memo (encrypted like any payload when a codec
 * is set), so that a different message under a used key is told apart (`sameMessage: false`) and
 * never reported as sent.
 */
/**
 * The last send under a key failed in a way that may have delivered it (a timeout or a lost
 * connection after the request was written, a gateway error, on a provider that cannot
 * de-duplicate): sending again under the same key could deliver twice, so it is not done unless asked.
 */
export class MaybeDeliveredError extends Error {
  constructor(readonly workflowId: string, readonly runId: string, readonly reason: string) {
    super(`The last send with this idempotency key may have been delivered: ${reason}`);
    this.name = 'MaybeDeliveredError';
  }
}

/** The failure of a closed run, when it failed with details that say the provider may have acted. */
async function ambiguousFailureOf(client: Client, workflowId: string, runId: string): Promise<string | null> {
  try {
    await client.workflow.getHandle(workflowId, runId, { followRuns: false }).result();
    return null;
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    if (!(cause instanceof ApplicationFailure)) return null;
    const flagged = (cause.details ?? []).some((d) => typeof d === 'object' && d !== null && (d as { ambiguous?: unknown }).ambiguous === true);
    return flagged ? cause.message : null;
  }
}

export async function startSend(client: Client, store: ConnectionStore, opts: StartSendOptions): Promise<StartedSend> {
  const { record, connector } = await connectionFor(store, opts.connectionId);
  if (!connector.capabilities.send) throw new Error(`${connector.name} connections cannot send messages`);
  const idempotencyKey = opts.idempotencyKey ?? randomUUID();
  const workflowId = sendWorkflowId(record.id, idempotencyKey, opts.namePrefix);
  const messageSha256 = messageFingerprint(opts.message);
  const base = { idempotencyKey, workflowId, connectionId: record.id, connectorId: record.connectorId, connectorName: connector.name, messageSha256 };
  const prior = opts.idempotencyKey ? await describeSendRun(client, workflowId) : null;
  if (prior?.status === 'FAILED' && !opts.afterMaybeDelivered) {
    const reason = await ambiguousFailureOf(client, workflowId, prior.runId);
    if (reason) throw new MaybeDeliveredError(workflowId, prior.runId, reason);
  }
  // A new attempt at the same message under a used key is the same event as the first attempt: it
  // keeps the first attempt's time (another message under the key is refused, below, unsent).
  const firstAttemptAtMs =
    prior && prior.messageSha256 === messageSha256 ? (prior.firstAttemptAtMs ?? prior.startTime?.getTime() ?? Date.now()) : Date.now();
  let handle: WorkflowHandleWithFirstExecutionRunId<typeof sendWorkflow>;
  try {
    handle = await startPipelineWorkflow<typeof sendWorkflow>(
      client,
      'sendWorkflow',
      {
        taskQueue: workflowTaskQueue(opts.namePrefix),
        workflowId,
        args: [{ connectionId: record.id, message: opts.message, idempotencyKey, firstAttemptAtMs }],
        // A running send with this key is joined; a finished one is refused unless it failed.
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        memo: { [MESSAGE_SHA256_MEMO]: messageSha256, [FIRST_ATTEMPT_MEMO]: firstAttemptAtMs },
        staticSummary: `Send to ${connector.name} via ${record.id} (key ${idempotencyKey.slice(0, 60)})`,
      },
      { connectorId: record.connectorId, connectionId: record.id, kind: 'send' },
    );
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    // The last send with this key succeeded: its outcome is the answer, nothing is sent again.
    const run = await describeSendRun(client, workflowId);
    if (!run) throw err;
    return {
      ...base,
      handle: client.workflow.getHandle<typeof sendWorkflow>(workflowId, run.runId),
      outcome: 'finished',
      run,
      sameMessage: run.messageSha256 === null ? null : run.messageSha256 === messageSha256,
    };
  }
  const runId = handle.firstExecutionRunId;
  // With USE_EXISTING a send already running under this key comes back as its own handle.
  const run = (await describeSendRun(client, workflowId, runId)) ?? { runId, status: 'RUNNING', messageSha256 };
  const joined = prior?.runId === runId;
  let previous: SendRunInfo | undefined;
  if (!joined && prior) {
    // A new run under a used key: the last one ended without success (perhaps just now, if it was running when looked at).
    previous = isFailedStatus(prior.status) ? prior : ((await describeSendRun(client, workflowId, prior.runId)) ?? prior);
  }
  return {
    ...base,
    handle,
    outcome: joined ? 'joined' : 'started',
    run,
    sameMessage: run.messageSha256 === null ? null : run.messageSha256 === messageSha256,
    ...(previous ? { previous } : {}),
  };
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
