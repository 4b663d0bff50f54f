// The delivery ledger in PostgreSQL, beside the PostgreSQL sink (same database and schema):
//
//   <schema>.pipeline_deliveries   the latest entry of each (pipeline, record, version)
//   <schema>.pipeline_delivery_log every entry, in order (a record's history)
//   <schema>.pipeline_state        each pipeline's watermark and last run
//   <schema>.pipeline_staging      pages staged between the source and the destination
//
// An append is one transaction: the log rows and the upserts of the latest entries together.
import type { SourceRecord } from '../core/envelope.js';
import { checkSchemaName, PgDatabase, quoteIdent } from '../core/postgres.js';
import { matches, type CurrentFilter, type DeliveryLedger, type PipelineState, type RecordVersions, type StagedCall } from './ledger.js';
import { DELIVERY_STATES, emptyCounts, type DeliveryCounts, type DeliveryEntry } from './types.js';

export interface PostgresLedgerOptions {
  connectionString: string;
  schema?: string;
}

const timeOf = (iso: string | null | undefined): number | null => {
  const t = typeof iso === 'string' ? Date.parse(iso) : Number.NaN;
  return Number.isNaN(t) ? null : t;
};

export class PostgresLedger implements DeliveryLedger {
  readonly kind = 'postgres' as const;
  readonly schema: string;
  private readonly db: PgDatabase;
  private readonly t: { deliveries: string; log: string; state: string; staging: string };

  constructor(opts: PostgresLedgerOptions) {
    this.schema = checkSchemaName(opts.schema ?? 'pipeline');
    this.db = new PgDatabase(opts.connectionString, 'pipeline-ledger');
    const q = (n: string) => `${quoteIdent(this.schema)}.${n}`;
    this.t = { deliveries: q('pipeline_deliveries'), log: q('pipeline_delivery_log'), state: q('pipeline_state'), staging: q('pipeline_staging') };
  }

  location(pipelineId: string): string {
    return `${this.t.deliveries} (pipeline_id = '${pipelineId}') in ${this.db.target}`;
  }

  private ensure(): Promise<void> {
    return this.db.ensureSchemaOnce(this.schema, [
      `CREATE TABLE IF NOT EXISTS ${this.t.deliveries} (
        pipeline_id text NOT NULL,
        record_id text NOT NULL,
        version text NOT NULL,
        state text NOT NULL,
        updated_ms double precision NULL,
        first_seen bigserial,
        entry jsonb NOT NULL,
        PRIMARY KEY (pipeline_id, record_id, version)
      )`,
      `CREATE INDEX IF NOT EXISTS pipeline_deliveries_state ON ${this.t.deliveries} (pipeline_id, state)`,
      `CREATE TABLE IF NOT EXISTS ${this.t.log} (
        seq bigserial PRIMARY KEY,
        pipeline_id text NOT NULL,
        record_id text NOT NULL,
        entry jsonb NOT NULL
      )`,
      `CREATE INDEX IF NOT EXISTS pipeline_delivery_log_record ON ${this.t.log} (pipeline_id, record_id, seq)`,
      `CREATE TABLE IF NOT EXISTS ${this.t.state} (pipeline_id text PRIMARY KEY, state jsonb NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS ${this.t.staging} (
        pipeline_id text NOT NULL,
        stage_id text NOT NULL,
        calls jsonb NOT NULL,
        PRIMARY KEY (pipeline_id, stage_id)
      )`,
    ]);
  }

  async append(pipelineId: string, entries: readonly DeliveryEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.ensure();
    // Within one append, the last entry of a version wins (as it does in the log).
    const latest = new Map<string, DeliveryEntry>();
    for (const e of entries) latest.set(`${e.recordId}\u0000${e.version}`, e);
    await this.db.transaction(async (client) => {
      await client.query(
        `INSERT INTO ${this.t.log} (pipeline_id, record_id, entry)
         SELECT $1, x.record_id, x.entry FROM jsonb_to_recordset($2::jsonb) AS x(record_id text, entry jsonb)`,
        [pipelineId, JSON.stringify(entries.map((e) => ({ record_id: e.recordId, entry: e })))],
      );
      await client.query(
        `INSERT INTO ${this.t.deliveries} (pipeline_id, record_id, version, state, updated_ms, entry)
         SELECT $1, x.record_id, x.version, x.state, x.updated_ms, x.entry
           FROM jsonb_to_recordset($2::jsonb) AS x(record_id text, version text, state text, updated_ms double precision, entry jsonb)
         ON CONFLICT (pipeline_id, record_id, version) DO UPDATE SET state = excluded.state, entry = excluded.entry`,
        [pipelineId, JSON.stringify([...latest.values()].map((e) => ({ record_id: e.recordId, version: e.version, state: e.state, updated_ms: timeOf(e.updatedAt), entry: e })))],
      );
    });
  }

  async lookup(pipelineId: string, recordIds: readonly string[]): Promise<Map<string, RecordVersions>> {
    const out = new Map<string, RecordVersions>();
    if (recordIds.length === 0) return out;
    await this.ensure();
    const res = await this.db.run((pool) =>
      pool.query<{ record_id: string; version: string; first_seen: string; entry: DeliveryEntry }>(
        `SELECT record_id, version, first_seen, entry FROM ${this.t.deliveries} WHERE pipeline_id = $1 AND record_id = ANY($2::text[])`,
        [pipelineId, recordIds],
      ),
    );
    for (const row of res.rows) {
      let versions = out.get(row.record_id);
      if (!versions) out.set(row.record_id, (versions = new Map()));
      versions.set(row.version, { latest: row.entry, firstSeen: Number(row.first_seen) });
    }
    return out;
  }

  async current(pipelineId: string, filter?: CurrentFilter): Promise<DeliveryEntry[]> {
    await this.ensure();
    const res = await this.db.run((pool) =>
      pool.query<{ entry: DeliveryEntry }>(
        `SELECT DISTINCT ON (record_id) entry FROM ${this.t.deliveries}
          WHERE pipeline_id = $1 AND ($2::text[] IS NULL OR record_id = ANY($2::text[]))
          ORDER BY record_id, updated_ms DESC NULLS LAST, first_seen DESC`,
        [pipelineId, filter?.recordIds ? [...filter.recordIds] : null],
      ),
    );
    return res.rows.map((r) => r.entry).filter((e) => matches(e, filter));
  }

  async counts(pipelineId: string): Promise<DeliveryCounts> {
    await this.ensure();
    const res = await this.db.run((pool) =>
      pool.query<{ state: string; n: string }>(
        `SELECT state, count(*) AS n FROM (
           SELECT DISTINCT ON (record_id) state FROM ${this.t.deliveries} WHERE pipeline_id = $1
            ORDER BY record_id, updated_ms DESC NULLS LAST, first_seen DESC
         ) c GROUP BY state`,
        [pipelineId],
      ),
    );
    const counts = emptyCounts();
    for (const r of res.rows) if ((DELIVERY_STATES as readonly string[]).includes(r.state)) counts[r.state as keyof DeliveryCounts] = Number(r.n);
    return counts;
  }

  async history(pipelineId: string, recordId: string): Promise<DeliveryEntry[]> {
    await this.ensure();
    const res = await this.db.run((pool) =>
      pool.query<{ entry: DeliveryEntry }>(`SELECT entry FROM ${this.t.log} WHERE pipeline_id = $1 AND record_id = $2 ORDER BY seq`, [pipelineId, recordId]),
    );
    return res.rows.map((r) => r.entry);
  }

  async loadState(pipelineId: string): Promise<PipelineState | null> {
    await this.ensure();
    const res = await this.db.run((pool) => pool.query<{ state: PipelineState }>(`SELECT state FROM ${this.t.state} WHERE pipeline_id = $1`, [pipelineId]));
    return res.rows[0]?.state ?? null;
  }

  async saveState(pipelineId: string, state: PipelineState): Promise<void> {
    await this.ensure();
    await this.db.run((pool) =>
      pool.query(`INSERT INTO ${this.t.state} (pipeline_id, state) VALUES ($1, $2) ON CONFLICT (pipeline_id) DO UPDATE SET state = excluded.state`, [pipelineId, JSON.stringify(state)]),
    );
  }

  async stage(pipelineId: string, stageId: string, calls: readonly StagedCall[]): Promise<void> {
    await this.ensure();
    await this.db.run((pool) =>
      pool.query(`INSERT INTO ${this.t.staging} (pipeline_id, stage_id, calls) VALUES ($1, $2, $3) ON CONFLICT (pipeline_id, stage_id) DO UPDATE SET calls = excluded.calls`, [
        pipelineId,
        stageId,
        JSON.stringify(calls),
      ]),
    );
  }

  async staged(pipelineId: string, stageId: string): Promise<StagedCall[] | null> {
    await this.ensure();
    const res = await this.db.run((pool) => pool.query<{ calls: StagedCall[] }>(`SELECT calls FROM ${this.t.staging} WHERE pipeline_id = $1 AND stage_id = $2`, [pipelineId, stageId]));
    return res.rows[0]?.calls ?? null;
  }

  async stageRaw(pipelineId: string, stageId: string, records: readonly SourceRecord[]): Promise<void> {
    await this.ensure();
    await this.db.run((pool) =>
      pool.query(`INSERT INTO ${this.t.staging} (pipeline_id, stage_id, calls) VALUES ($1, $2, $3) ON CONFLICT (pipeline_id, stage_id) DO UPDATE SET calls = excluded.calls`, [
        pipelineId,
        `${stageId}.raw`,
        JSON.stringify(records),
      ]),
    );
  }

  async rawStaged(pipelineId: string, stageId: string): Promise<SourceRecord[] | null> {
    await this.ensure();
    const res = await this.db.run((pool) => pool.query<{ calls: SourceRecord[] }>(`SELECT calls FROM ${this.t.staging} WHERE pipeline_id = $1 AND stage_id = $2`, [pipelineId, `${stageId}.raw`]));
    return res.rows[0]?.calls ?? null;
  }

  async dropRaw(pipelineId: string, stageId: string): Promise<void> {
    await this.ensure();
    await this.db.run((pool) => pool.query(`DELETE FROM ${this.t.staging} WHERE pipeline_id = $1 AND stage_id = $2`, [pipelineId, `${stageId}.raw`]));
  }

  async unstage(pipelineId: string, which: { ids: readonly string[] } | { prefix: string }): Promise<void> {
    await this.ensure();
    if ('ids' in which) {
      const ids = which.ids.flatMap((id) => [id, `${id}.raw`]);
      await this.db.run((pool) => pool.query(`DELETE FROM ${this.t.staging} WHERE pipeline_id = $1 AND stage_id = ANY($2::text[])`, [pipelineId, ids]));
    } else {
      await this.db.run((pool) => pool.query(`DELETE FROM ${this.t.staging} WHERE pipeline_id = $1 AND starts_with(stage_id, $2)`, [pipelineId, which.prefix]));
    }
  }

  async drop(pipelineId: string): Promise<void> {
    await this.ensure();
    await this.db.transaction(async (client) => {
      for (const table of Object.values(this.t)) await client.query(`DELETE FROM ${table} WHERE pipeline_id = $1`, [pipelineId]);
    });
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
