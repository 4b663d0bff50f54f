// Where pulled records land. Every sink upserts by (connection, stream, record id): writing the same
// page twice leaves one copy of each record in what a reader gets, which is what makes a retried or
// replayed page harmless (DESIGN.md §5).
import type { SourceRecord } from '../core/envelope.js';

export interface StreamRef {
  connectionId: string;
  stream: string;
}

/** What the next incremental run needs; saved when a run completes. */
export interface SyncState {
  /** Highest record change time seen by the last completed run (ISO-8601), or null. */
  watermark: string | null;
  lastRunAt: string;
  lastRunRecords: number;
  lastRunId?: string;
}

export interface Sink {
  readonly kind: 'jsonl' | 'postgres';
  /** Upserts one page. Safe to call again with the same records. */
  writePage(ref: StreamRef, records: readonly SourceRecord[]): Promise<{ written: number }>;
  /** Called once a run has written its last page: compaction, counts. */
  finishRun(ref: StreamRef): Promise<{ records: number }>;
  loadState(ref: StreamRef): Promise<SyncState | null>;
  saveState(ref: StreamRef, state: SyncState): Promise<void>;
  /** Where a reader finds the records, for messages ("/path/file.jsonl", "table x"). */
  location(ref: StreamRef): string;
  /** Every current record (latest version per id), for tests and small exports. */
  readAll(ref: StreamRef): Promise<Map<string, StoredRecord>>;
  close(): Promise<void>;
}

export interface StoredRecord {
  id: string;
  updatedAt: string;
  syncedAt: string;
  data: Record<string, unknown>;
}
