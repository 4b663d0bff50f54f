// Pipeline definitions in PostgreSQL (<schema>.pipelines), beside the connections table, for
// deployments that keep connections in PostgreSQL. Each write is one statement.
import { PgDatabase, quoteIdent } from '../core/postgres.js';
import { PipelineError, type PipelineDefinition, type PipelineRecord, type PipelineStore } from './types.js';
import { validatePipelineDefinition } from './validate.js';

interface Row {
  id: string;
  definition: PipelineDefinition;
  created_at: Date;
  updated_at: Date;
}

export class PostgresPipelineStore implements PipelineStore {
  private readonly table: string;

  constructor(
    private readonly db: PgDatabase,
    private readonly schema: string,
  ) {
    this.table = `${quoteIdent(schema)}.pipelines`;
  }

  private ensureTable(): Promise<void> {
    return this.db.ensureSchemaOnce(this.schema, [
      `CREATE TABLE IF NOT EXISTS ${this.table} (
        id text PRIMARY KEY,
        definition jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`,
    ]);
  }

  async add(input: PipelineDefinition): Promise<PipelineRecord> {
    const def = validatePipelineDefinition(input);
    await this.ensureTable();
    const res = await this.db.run((pool) =>
      pool.query<Row>(
        `INSERT INTO ${this.table} (id, definition, created_at, updated_at) VALUES ($1, $2, now(), now())
         ON CONFLICT (id) DO NOTHING RETURNING id, definition, created_at, updated_at`,
        [def.id, JSON.stringify(def)],
      ),
    );
    if (!res.rows[0]) throw new PipelineError(`Pipeline "${def.id}" already exists`, 'conflict');
    return toRecord(res.rows[0]);
  }

  async put(input: PipelineDefinition): Promise<PipelineRecord> {
    const def = validatePipelineDefinition(input);
    await this.ensureTable();
    const res = await this.db.run((pool) =>
      pool.query<Row>(
        `INSERT INTO ${this.table} (id, definition, created_at, updated_at) VALUES ($1, $2, now(), now())
         ON CONFLICT (id) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at
         RETURNING id, definition, created_at, updated_at`,
        [def.id, JSON.stringify(def)],
      ),
    );
    return toRecord(res.rows[0]!);
  }

  async get(id: string): Promise<PipelineRecord | null> {
    await this.ensureTable();
    const res = await this.db.run((pool) => pool.query<Row>(`SELECT id, definition, created_at, updated_at FROM ${this.table} WHERE id = $1`, [id]));
    return res.rows[0] ? toRecord(res.rows[0]) : null;
  }

  async list(): Promise<PipelineRecord[]> {
    await this.ensureTable();
    const res = await this.db.run((pool) => pool.query<Row>(`SELECT id, definition, created_at, updated_at FROM ${this.table}`));
    return res.rows.map(toRecord).sort((a, b) => a.id.localeCompare(b.id));
  }

  async remove(id: string): Promise<boolean> {
    await this.ensureTable();
    const res = await this.db.run((pool) => pool.query(`DELETE FROM ${this.table} WHERE id = $1`, [id]));
    return (res.rowCount ?? 0) > 0;
  }
}

function toRecord(row: Row): PipelineRecord {
  return { ...row.definition, id: row.id, createdAt: row.created_at.toISOString(), updatedAt: row.updated_at.toISOString() };
}
