// The envelope every executor method answers with, and the executor contract (DESIGN.md §4).
import type { ZodType } from 'zod';
import { boundedError, connectorError, type ConnectorError, type ErrorCode } from './errors.js';
import type { ProbeRequest, ProbeResult } from './slices.js';

export interface ConnectorResponse<B = unknown> {
  ok: boolean;
  /** HTTP status of the provider's answer; 0 when no HTTP response was received. */
  status: number;
  latencyMs: number;
  body: B | null;
  error?: ConnectorError;
}

export interface CallOptions {
  /** Per-call timeout, default 10 000 ms, enforced with an AbortSignal. */
  timeoutMs?: number;
  /** Caller cancellation (e.g. the Temporal activity's cancellation signal). */
  signal?: AbortSignal;
  /** Fed into the provider's own de-duplication where it has one. */
  idempotencyKey?: string;
  /**
   * Points the executor at a local emulator instead of the provider. Honoured only in sandbox mode
   * (PIPELINE_SANDBOX=1) and only for loopback hosts; anything else fails with invalid_config.
   */
  baseUrlOverride?: string;
  /**
   * When the first attempt of this delivery was scheduled (epoch ms), the same on every retry. For
   * providers that de-duplicate on a timestamp (Intercom events: user, name and created_at).
   */
  firstAttemptAtMs?: number;
  /** The clock, for date rules (API version retirement); tests inject one. Default Date.now. */
  now?: () => number;
}

export interface SourceRecord {
  id: string;
  /** ISO-8601 instant of the record's last change, as the provider reports it. */
  updatedAt: string;
  data: Record<string, unknown>;
}

export interface PullRequest {
  stream: string;
  /** Opaque cursor returned by the previous page of the same run; null/undefined for the first page. */
  cursor?: string | null;
  /** Lower bound (inclusive) on the record change time: the incremental watermark. */
  since?: string | null;
  /** Upper bound on the change time, fixed at run start so that paging sees a stable window. */
  until?: string | null;
  pageSize?: number;
  /**
   * An incremental run: besides the records whose own change time falls in the window, read the
   * source's change feed since `since` where it has one (Stripe events: refunds and captures of
   * charges created earlier), each change applied as the record's new version.
   */
  followChanges?: boolean;
}

export interface PullPage {
  records: SourceRecord[];
  nextCursor: string | null;
  /** Highest `updatedAt` on this page (null for an empty page). */
  watermark: string | null;
  /** How many records the source reports for the whole request window, where it says (Mailchimp total_items): progress totals and end-of-run checks. */
  total?: number | null;
  /**
   * The order of change times within the window, where the source keeps one (Stripe: newest first,
   * Mailchimp: oldest first): a slice that finds more data than planned can hand back what it has
   * not read yet (src/core/slices.ts).
   */
  order?: 'asc' | 'desc';
}

export interface TriggerRequest {
  /** Provider-specific options such as a full resync; validated by the executor. */
  options?: Record<string, unknown>;
}

export type SyncRunState = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface SyncRunStatus {
  /** Provider's id for the run that was started (sync run id, statement id, ...). */
  runId: string;
  state: SyncRunState;
  /** The provider's reason when the run failed or was cancelled. */
  message?: string;
  /** Small provider details worth showing to a user (no record payloads). */
  details?: Record<string, unknown>;
}

/** One message's outcome inside a batch answer, in the order the messages were given. */
export interface BatchItemResult {
  ok: boolean;
  /** The provider's id for the delivered item, where it returns one (Kinesis SequenceNumber). */
  id?: string;
  /** Why this item failed (the provider's per-item reason), mapped like a whole-call failure. */
  error?: ConnectorError;
}

export interface BatchResult {
  items: BatchItemResult[];
}

export interface BatchCallOptions extends CallOptions {
  /** One idempotency key per message, in order (fed to the provider's per-item de-duplication). */
  idempotencyKeys?: readonly string[];
}

export interface ConnectorExecutor<C> {
  testConnection(config: C, opts?: CallOptions): Promise<ConnectorResponse>;
  send?(config: C, message: unknown, opts?: CallOptions): Promise<ConnectorResponse>;
  /**
   * The zod schema `send` validates a message with (set on every executor that has `send`): a message
   * can be checked offline, before anything is sent (a pipeline's mapped message at create time), with
   * issues whose path names the field. Checks that need the connection's config (Iterable's identity
   * mode) or the whole request (sizes, object counts) stay in `send`.
   */
  messageSchema?: ZodType;
  /**
   * Several messages in one provider call (a batch endpoint). `ok: false` when the whole call failed;
   * otherwise each message has its own result, so that partial failures are known per message.
   */
  sendBatch?(config: C, messages: readonly unknown[], opts?: BatchCallOptions): Promise<ConnectorResponse<BatchResult>>;
  pull?(config: C, req: PullRequest, opts?: CallOptions): Promise<ConnectorResponse<PullPage>>;
  /** What the source says about a window before it is read: its size and where its data starts (src/core/slices.ts). */
  probe?(config: C, req: ProbeRequest, opts?: CallOptions): Promise<ConnectorResponse<ProbeResult>>;
  /** Reverse-ETL: start a provider-side sync or statement; body is its SyncRunStatus. */
  trigger?(config: C, req: TriggerRequest, opts?: CallOptions): Promise<ConnectorResponse<SyncRunStatus>>;
  /** Reverse-ETL: read the state of a run that `trigger` started. */
  syncStatus?(config: C, runId: string, opts?: CallOptions): Promise<ConnectorResponse<SyncRunStatus>>;
}

/** A failure found before any request was sent (bad config, missing secret): fail closed. */
export function failBeforeSend<B = never>(code: ErrorCode, message: string): ConnectorResponse<B> {
  return { ok: false, status: 0, latencyMs: 0, body: null, error: connectorError(code, message) };
}

/**
 * Replace the error of a response (provider-specific refinement on top of the shared mapping). The
 * message is bounded and the retry delay made finite here too, for errors an executor built itself.
 */
export function withError<B>(res: ConnectorResponse<unknown>, error: ConnectorError): ConnectorResponse<B> {
  return { ok: false, status: res.status, latencyMs: res.latencyMs, body: null, error: boundedError(error) };
}

/** Same response with a new body (e.g. the normalized page instead of the provider's raw JSON). */
export function withBody<B>(res: ConnectorResponse<unknown>, body: B): ConnectorResponse<B> {
  return { ok: res.ok, status: res.status, latencyMs: res.latencyMs, body, ...(res.error ? { error: res.error } : {}) };
}
