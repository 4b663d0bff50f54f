// Pipelines: records of a source stream, filtered and mapped, delivered to a destination connection.
// A definition is stored beside the connections (same store: file or PostgreSQL); what happened to
// each record version is kept in the delivery ledger beside the sink (ledger.ts).

/** Where a pipeline's records come from. */
export interface PipelineSource {
  /** A connection whose connector can pull `stream`. */
  connectionId: string;
  stream: string;
  /**
   * pull (default): each run pulls the stream incrementally from the pipeline's own watermark (the
   * first run reads everything); stored: each run delivers the stream's records already in the sink
   * (a re-delivery to a new destination, without calling the source).
   */
  from: 'pull' | 'stored';
}

export interface PipelineDefinition {
  /** Same rules as a connection id. */
  id: string;
  source: PipelineSource;
  /** A JSONata expression over the source record: records for which it is not true are skipped. */
  filter?: string;
  /** A JSONata expression turning one source record into the destination's message. */
  mapping: string;
  destination: { connectionId: string };
  /**
   * Messages per destination call where the destination has a batch endpoint (at most its own
   * limit; default the limit). Ignored elsewhere: one call per record.
   */
  batchSize?: number;
  /** Records per source page (the source's default when unset). */
  pageSize?: number;
  /** A free-text note shown by `pipelines show`. */
  note?: string;
}

export interface PipelineRecord extends PipelineDefinition {
  createdAt: string;
  updatedAt: string;
}

export interface PipelineStore {
  add(input: PipelineDefinition): Promise<PipelineRecord>;
  /** Adds, or replaces an existing pipeline's definition (created time kept). */
  put(input: PipelineDefinition): Promise<PipelineRecord>;
  get(id: string): Promise<PipelineRecord | null>;
  list(): Promise<PipelineRecord[]>;
  remove(id: string): Promise<boolean>;
}

export class PipelineError extends Error {
  constructor(
    message: string,
    readonly code: 'invalid_config' | 'not_found' | 'conflict',
    readonly issues: { field: string; message: string }[] = [],
  ) {
    super(message);
    this.name = 'PipelineError';
  }
}

/**
 * What the ledger knows about one version of one record:
 *   queued     staged for delivery by a run (claims it, so one run never sends it twice)
 *   sending    a call carrying it has started; if the worker dies now, the next attempt finds this
 *   delivered  the destination accepted it (final)
 *   failed     not delivered for a reason that may pass (429, 5xx, an outage): retried by the next run
 *   dead       the destination (or the mapping) rejected it for good: listed by `pipelines dead`
 *   unknown    a call that carried it ended ambiguously (a worker died or the connection dropped after
 *              sending) on a destination that cannot de-duplicate: never resent on its own
 *   filtered   the pipeline's filter skipped it
 *   superseded a newer version of the record was delivered first; this one is not sent
 */
export const DELIVERY_STATES = ['queued', 'sending', 'delivered', 'failed', 'dead', 'unknown', 'filtered', 'superseded'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** States `pipelines replay` sends again. */
export const REPLAYABLE_STATES: readonly DeliveryState[] = ['dead', 'unknown', 'failed'];

/** One line of a record version's history in the ledger. */
export interface DeliveryEntry {
  recordId: string;
  /** The record version (see recordVersion in versions.ts). */
  version: string;
  state: DeliveryState;
  /** When this entry was written (ISO-8601). */
  at: string;
  /** The record's own change time, to tell an older version from a newer one. */
  updatedAt?: string | null;
  /** The idempotency key the delivery carries (the same on every attempt and replay). */
  key?: string;
  /** The run (its first run id) and the staged page and call that carried it. */
  run?: string;
  stage?: string;
  call?: number;
  /** The error code and the destination's (or mapping's) reason, for failed, dead and unknown. */
  code?: string;
  reason?: string;
  /** The destination's HTTP status and its id for the delivered item, where it gives one. */
  status?: number;
  providerId?: string;
  /** A replay run re-sent it. */
  replay?: boolean;
  /** Delivery attempts of this version that failed so far (carried from entry to entry). */
  attempts?: number;
}

/**
 * Failed attempts after which a version is given up as dead ("not delivered after N attempts"): a
 * record a destination keeps refusing with a retryable answer (a Kinesis InternalFailure on every
 * try) is not retried forever by every run. `pipelines replay` still sends it.
 */
export const MAX_DELIVERY_ATTEMPTS = 25;

export type DeliveryCounts = Record<DeliveryState, number>;

export function emptyCounts(): DeliveryCounts {
  return Object.fromEntries(DELIVERY_STATES.map((s) => [s, 0])) as DeliveryCounts;
}
