// The production sink: one row per (connection, stream, record id) in PostgreSQL, upserted.
//
//   <schema>.records     current version of every record; a page is one INSERT ... ON CONFLICT
//   <schema>.sync_state  the watermark and bookkeeping of the last completed run per stream
//
// A page replayed after a crash, or an older page landing after a newer one (a timed-out attempt
// that was still running while its retry wrote), never replaces a newer version: the upsert only
// updates rows whose stored updated_at is not later than the incoming one.
import type { SourceRecord } from '../core/envelope.js';
import { checkSchemaName, PgDatabase, quoteIdent } from '../core/postgres.js';
import { checkRecords, recordJson } from './limits.js';
import type { Sink, StoredRecord, StreamRef, SyncState } from './types.js';

export interface PostgresSinkOptions {
  connectionString: string;
  /** Default 'pipeline'. */
  schema?: string;
}

export class PostgresSink implements Sink {
  readonly kind = 'postgres' as const;
  readonly schema: string;
  private readonly db: PgDatabase;
  private readonly records: string;
  private readonly syncState: string;

  constructor(readonly options: PostgresSinkOptions) {
    this.schema = checkSchemaName(options.schema ?? 'pipeline');
    this.db = new PgDatabase(options.connectionString, 'pipeline-sink');
    this.records = `${quoteIdent(this.schema)}.records`;
    this.syncState = `${quoteIdent(this.schema)}.sync_state`;
  }

  /** The connection string with the password masked. */
  get target(): string {
    return this.db.target;
  }

  /** Creates the schema and tables once per sink; a failure (database still starting) is retried next call. */
  private ensureTables(): Promise<void> {
    return this.db.ensureSchemaOnce(this.schema, [
      `CREATE TABLE IF NOT EXISTS ${this.records} (
        connection_id text NOT NULL,
        stream text NOT NULL,
        record_id text NOT NULL,
        updated_at timestamptz NOT NULL,
        synced_at timestamptz NOT NULL,
        data jsonb NOT NULL,
        PRIMARY KEY (connection_id, stream, record_id)
      )`,
      `CREATE TABLE IF NOT EXISTS ${this.syncState} (
        connection_id text NOT NULL,
        stream text NOT NULL,
        watermark timestamptz NULL,
        last_run_at timestamptz NOT NULL,
        last_run_records bigint NOT NULL,
        last_run_id text NULL,
        PRIMARY KEY (connection_id, stream)
      )`,
    ]);
  }

  async writePage(ref: StreamRef, records: readonly SourceRecord[]): Promise<{ written: number }> {
    if (records.length === 0) return { written: 0 };
    // A record that cannot be written refuses the whole page before the statement (limits.ts).
    checkRecords(ref, records);
    // ON CONFLICT DO UPDATE cannot touch one row twice in a statement: keep one version per id
    // (the latest; on a tie the last one, as the JSONL sink would).
    const latest = new Map<string, SourceRecord>();
    for (const r of records) {
      const seen = latest.get(r.id);
      if (!seen || Date.parse(r.updatedAt) >= Date.parse(seen.updatedAt)) latest.set(r.id, r);
    }
    const page = [...latest.values()];
    await this.ensureTables();
    await this.db.run((pool) =>
      pool.query(
        `INSERT INTO ${this.records} AS r (connection_id, stream, record_id, updated_at, synced_at, data)
         SELECT $1, $2, p.record_id, p.updated_at, now(), p.data
           FROM unnest($3::text[], $4::timestamptz[], $5::jsonb[]) AS p(record_id, updated_at, data)
         ON CONFLICT (connection_id, stream, record_id) DO UPDATE
           SET updated_at = excluded.updated_at, synced_at = excluded.synced_at, data = excluded.data
           WHERE r.updated_at <= excluded.updated_at`,
        [ref.connectionId, ref.stream, page.map((r) => r.id), page.map((r) => r.updatedAt), page.map((r) => recordJson(ref, r, r.data))],
      ),
    );
    return { written: records.length };
  }

  async finishRun(ref: StreamRef): Promise<{ records: number }> {
    await this.ensureTables();
    const res = await this.db.run((pool) =>
      pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.records} WHERE connection_id = $1 AND stream = $2`, [ref.connectionId, ref.stream]),
    );
    return { records: Number(res.rows[0]?.n ?? 0) };
  }

  async loadState(ref: StreamRef): Promise<SyncState | null> {
    await this.ensureTables();
    const res = await this.db.run((pool) =>
      pool.query<{ watermark: Date | null; last_run_at: Date; last_run_records: string; last_run_id: string | null }>(
        `SELECT watermark, last_run_at, last_run_records, last_run_id FROM ${this.syncState} WHERE connection_id = $1 AND stream = $2`,
        [ref.connectionId, ref.stream],
      ),
    );
    const row = res.rows[0];
    if (!row) return null;
    return {
      watermark: row.watermark ? row.watermark.toISOString() : null,
      lastRunAt: row.last_run_at.toISOString(),
      lastRunRecords: Number(row.last_run_records),
      ...(row.last_run_id !== null ? { lastRunId: row.last_run_id } : {}),
    };
  }

  async saveState(ref: StreamRef, state: SyncState): Promise<void> {
    await this.ensureTables();
    await this.db.run((pool) =>
      pool.query(
        `INSERT INTO ${this.syncState} (connection_id, stream, watermark, last_run_at, last_run_records, last_run_id)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (connection_id, stream) DO UPDATE
           -- A run that finishes after a newer one never moves the watermark backwards.
           SET watermark = GREATEST(${this.syncState}.watermark, excluded.watermark), last_run_at = excluded.last_run_at,
               last_run_records = excluded.last_run_records, last_run_id = excluded.last_run_id`,
        [ref.connectionId, ref.stream, state.watermark, state.lastRunAt, state.lastRunRecords, state.lastRunId ?? null],
      ),
    );
  }

  location(ref: StreamRef): string {
    return `postgres ${this.schema}.records (connection_id=${sqlLiteral(ref.connectionId)}, stream=${sqlLiteral(ref.stream)})`;
  }

  async readAll(ref: StreamRef): Promise<Map<string, StoredRecord>> {
    await this.ensureTables();
    const res = await this.db.run((pool) =>
      pool.query<{ record_id: string; updated_at: Date; synced_at: Date; data: Record<string, unknown> }>(
        `SELECT record_id, updated_at, synced_at, data FROM ${this.records}
          WHERE connection_id = $1 AND stream = $2 ORDER BY updated_at, record_id`,
        [ref.connectionId, ref.stream],
      ),
    );
    const out = new Map<string, StoredRecord>();
    for (const row of res.rows) {
      out.set(row.record_id, { id: row.record_id, updatedAt: row.updated_at.toISOString(), syncedAt: row.synced_at.toISOString(), data: row.data });
    }
    return out;
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

function sqlLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
