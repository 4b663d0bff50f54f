// What a sink accepts of a provider's record, checked before anything of the page is written.
//
// Nesting: a record nested 100 000 levels deep (hostile or broken provider data) cannot be written
// faithfully. JSON.stringify recurses and overflows the stack long before that; PostgreSQL's jsonb
// input has its own stack limit; the readers of a JSONL file (Python's json with its recursion limit
// of 1 000, jq, this engine's own tools) would choke on the line even if it were written. Cutting the
// deep part off would store something the provider never sent, without anyone noticing. So such a
// page is refused as a whole, as a typed `invalid_response` naming the record: the sync stops at that
// page with a clear reason (retrying would read the same data), and nothing already written is lost.
// The limit is far above real records (a Shopify order nests fewer than ten levels) and well below
// what every part of the pipeline handles.
import type { SourceRecord } from '../core/envelope.js';
import { boundText, jsonDepth } from '../core/limits.js';
import type { StreamRef } from './types.js';

export const MAX_RECORD_DEPTH = 512;

/** A record a sink will not write: provider data, so `invalid_response`, and never retryable. */
export class SinkRecordError extends Error {
  readonly code = 'invalid_response' as const;

  constructor(message: string, readonly recordId: string) {
    super(message);
    this.name = 'SinkRecordError';
  }
}

function describe(ref: StreamRef, record: SourceRecord): string {
  return `record ${JSON.stringify(boundText(String(record.id), 100))} of stream "${ref.stream}" (connection "${ref.connectionId}")`;
}

/** Throws SinkRecordError for the first record of the page that cannot be written; nothing is written then. */
export function checkRecords(ref: StreamRef, records: readonly SourceRecord[]): void {
  for (const record of records) {
    if (typeof record.id !== 'string' || record.id === '') {
      throw new SinkRecordError(`${describe(ref, record)} has no id to store it under`, String(record.id));
    }
    const depth = jsonDepth(record.data, MAX_RECORD_DEPTH);
    if (depth > MAX_RECORD_DEPTH) {
      throw new SinkRecordError(
        `${describe(ref, record)} is nested more than ${MAX_RECORD_DEPTH} levels deep, which no sink can store faithfully; the page was not written`,
        record.id,
      );
    }
  }
}

/** JSON text of a value already checked by checkRecords; any failure left is a SinkRecordError too. */
export function recordJson(ref: StreamRef, record: SourceRecord, value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (err) {
    throw new SinkRecordError(`${describe(ref, record)} cannot be written as JSON (${(err as Error).message})`, String(record.id));
  }
}
