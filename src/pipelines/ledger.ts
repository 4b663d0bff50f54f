// The delivery ledger: what happened to each version of each record a pipeline has seen, kept beside
// the sink (JSON Lines files under <dataDir>/_pipelines/, or PostgreSQL tables), with the pipeline's
// own watermark and the pages staged between the source and the destination.
//
// Why a ledger: the destination call and the record of its outcome cannot be one atomic step, so the
// ledger records the intent first (`sending`) and the outcome after. A crash in between leaves
// `sending`, which the next attempt reads: where the destination de-duplicates on the delivery's key
// it sends again (harmless); elsewhere it marks the version `unknown` rather than risk a double.
import type { SourceRecord } from '../core/envelope.js';
import type { DeliveryCounts, DeliveryEntry, DeliveryState } from './types.js';

/** One message staged for a destination call, with what the ledger needs to record its outcome. */
export interface StagedItem {
  recordId: string;
  version: string;
  updatedAt: string | null;
  key: string;
  message: unknown;
}

/** The messages of one destination call (a batch, or a single record where there is no batch endpoint). */
export interface StagedCall {
  items: StagedItem[];
}

/** The pipeline's own position in its source, and what its last run did. */
export interface PipelineState {
  watermark: string | null;
  lastRunAt?: string;
  lastRunId?: string;
  lastRun?: Partial<DeliveryCounts> & { records?: number };
}

/** The entries of one record, latest per version, with the order in which versions were first seen. */
export type RecordVersions = Map<string, { latest: DeliveryEntry; firstSeen: number }>;

export interface CurrentFilter {
  states?: readonly DeliveryState[];
  recordIds?: readonly string[];
  /** Entries written at or after this time (ISO-8601). */
  since?: string;
}

export interface DeliveryLedger {
  readonly kind: 'jsonl' | 'postgres';
  /** Where it lives, for messages. */
  location(pipelineId: string): string;
  append(pipelineId: string, entries: readonly DeliveryEntry[]): Promise<void>;
  /** What the ledger holds for these records (absent: never seen). */
  lookup(pipelineId: string, recordIds: readonly string[]): Promise<Map<string, RecordVersions>>;
  /** Each record's current entry (the latest entry of its newest version), optionally filtered. */
  current(pipelineId: string, filter?: CurrentFilter): Promise<DeliveryEntry[]>;
  counts(pipelineId: string): Promise<DeliveryCounts>;
  /** Every entry of one record, oldest first. */
  history(pipelineId: string, recordId: string): Promise<DeliveryEntry[]>;
  loadState(pipelineId: string): Promise<PipelineState | null>;
  saveState(pipelineId: string, state: PipelineState): Promise<void>;
  stage(pipelineId: string, stageId: string, calls: readonly StagedCall[]): Promise<void>;
  staged(pipelineId: string, stageId: string): Promise<StagedCall[] | null>;
  /** A pulled page kept as it came, until it is mapped into calls (removed with its stage id). */
  stageRaw(pipelineId: string, stageId: string, records: readonly SourceRecord[]): Promise<void>;
  rawStaged(pipelineId: string, stageId: string): Promise<SourceRecord[] | null>;
  dropRaw(pipelineId: string, stageId: string): Promise<void>;
  /** Removes staged pages: these ids, or every one whose id starts with `prefix`. */
  unstage(pipelineId: string, which: { ids: readonly string[] } | { prefix: string }): Promise<void>;
  /** Forgets the pipeline: ledger, state and staged pages. */
  drop(pipelineId: string): Promise<void>;
  close(): Promise<void>;
}

const timeOf = (iso: string | null | undefined): number => {
  const t = typeof iso === 'string' ? Date.parse(iso) : Number.NaN;
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
};

/**
 * The version that is the record's current one: the newest change time, and among equal (or
 * unreadable) times the one first seen last.
 */
export function currentVersion(versions: RecordVersions): { version: string; latest: DeliveryEntry } | null {
  let best: { version: string; latest: DeliveryEntry; t: number; seen: number } | null = null;
  for (const [version, v] of versions) {
    const t = timeOf(v.latest.updatedAt);
    if (!best || t > best.t || (t === best.t && v.firstSeen > best.seen)) best = { version, latest: v.latest, t, seen: v.firstSeen };
  }
  return best ? { version: best.version, latest: best.latest } : null;
}

/** Whether a version newer than `updatedAt` of this record has been delivered already. */
export function newerDelivered(versions: RecordVersions | undefined, version: string, updatedAt: string | null): boolean {
  if (!versions) return false;
  const t = timeOf(updatedAt);
  if (t === Number.NEGATIVE_INFINITY) return false;
  for (const [v, e] of versions) if (v !== version && e.latest.state === 'delivered' && timeOf(e.latest.updatedAt) > t) return true;
  return false;
}

export function matches(entry: DeliveryEntry, filter: CurrentFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.states && !filter.states.includes(entry.state)) return false;
  if (filter.recordIds && !filter.recordIds.includes(entry.recordId)) return false;
  if (filter.since && Date.parse(entry.at) < Date.parse(filter.since)) return false;
  return true;
}
