// Connection configs in PostgreSQL (<schema>.connections), for deployments with several workers and
// clients on different machines. Same rules as the file store: validated before anything is written
// (inline secrets refused or encrypted by validateNewConnection), and every write is one atomic
// statement, so a failed or concurrent write never half-writes or loses a connection.
import { checkSchemaName, PgDatabase, quoteIdent } from '../core/postgres.js';
import { PostgresPipelineStore } from '../pipelines/postgres-store.js';
import type { PipelineStore } from '../pipelines/types.js';
import type { SecretBox } from './secret-box.js';
import { ConnectionError, type ConnectionRecord, type ConnectionStore, type NewConnection } from './types.js';
import { validateNewConnection } from './validate.js';

export interface PostgresConnectionStoreOptions {
  connectionString: string;
  /** Default 'pipeline'. */
  schema?: string;
  /** Encrypts inline secrets; default from PIPELINE_SECRETS_KEYS (see validateNewConnection). */
  secretBox?: SecretBox | null;
}

interface Row {
  id: string;
  connector_id: string;
  config: Record<string, unknown>;
  base_url_override: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, connector_id, config, base_url_override, created_at, updated_at';

export class PostgresConnectionStore implements ConnectionStore {
  readonly schema: string;
  private readonly db: PgDatabase;
  private readonly table: string;
  private readonly secretBox: SecretBox | null | undefined;
  /** Pipeline definitions, in <schema>.pipelines. */
  readonly pipelines: PipelineStore;

  constructor(opts: PostgresConnectionStoreOptions) {
    this.schema = checkSchemaName(opts.schema ?? 'pipeline');
    this.db = new PgDatabase(opts.connectionString, 'pipeline-connections');
    this.table = `${quoteIdent(this.schema)}.connections`;
    this.secretBox = opts.secretBox;
    this.pipelines = new PostgresPipelineStore(this.db, this.schema);
  }

  /** The connection string with the password masked. */
  get target(): string {
    return this.db.target;
  }

  private ensureTable(): Promise<void> {
    return this.db.ensureSchemaOnce(this.schema, [
      `CREATE TABLE IF NOT EXISTS ${this.table} (
        id text PRIMARY KEY,
        connector_id text NOT NULL,
        config jsonb NOT NULL,
        base_url_override text NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`,
    ]);
  }

  private validate(input: NewConnection): NewConnection {
    return validateNewConnection(input, this.secretBox === undefined ? {} : { secretBox: this.secretBox });
  }

  async add(input: NewConnection): Promise<ConnectionRecord> {
    const valid = this.validate(input);
    await this.ensureTable();
    const now = new Date().toISOString();
    const res = await this.db.run((pool) =>
      pool.query<Row>(
        `INSERT INTO ${this.table} (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $5)
         ON CONFLICT (id) DO NOTHING RETURNING ${COLUMNS}`,
        [valid.id, valid.connectorId, JSON.stringify(valid.config), valid.baseUrlOverride ?? null, now],
      ),
    );
    const row = res.rows[0];
    if (!row) throw new ConnectionError(`Connection "${valid.id}" already exists`, 'conflict');
    return toRecord(row);
  }

  async put(input: NewConnection): Promise<ConnectionRecord> {
    const valid = this.validate(input);
    await this.ensureTable();
    const now = new Date().toISOString();
    // One statement: insert, or replace the config only when the stored connection is of the same
    // connector (created_at is kept). No row back means it exists under another connector.
    const res = await this.db.run((pool) =>
      pool.query<Row>(
        `INSERT INTO ${this.table} AS c (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $5)
         ON CONFLICT (id) DO UPDATE
           SET config = excluded.config, base_url_override = excluded.base_url_override, updated_at = excluded.updated_at
           WHERE c.connector_id = excluded.connector_id
         RETURNING ${COLUMNS}`,
        [valid.id, valid.connectorId, JSON.stringify(valid.config), valid.baseUrlOverride ?? null, now],
      ),
    );
    const row = res.rows[0];
    if (!row) {
      const existing = await this.get(valid.id);
      throw new ConnectionError(
        `Connection "${valid.id}" is a ${existing?.connectorId ?? 'different'} connection, not ${valid.connectorId}`,
        'conflict',
      );
    }
    return toRecord(row);
  }

  async get(id: string): Promise<ConnectionRecord | null> {
    await this.ensureTable();
    const res = await this.db.run((pool) => pool.query<Row>(`SELECT ${COLUMNS} FROM ${this.table} WHERE id = $1`, [id]));
    return res.rows[0] ? toRecord(res.rows[0]) : null;
  }

  async list(): Promise<ConnectionRecord[]> {
    await this.ensureTable();
    const res = await this.db.run((pool) => pool.query<Row>(`SELECT ${COLUMNS} FROM ${this.table}`));
    // Sorted here, like the file store, rather than by the database's collation.
    return res.rows.map(toRecord).sort((a, b) => a.id.localeCompare(b.id));
  }

  async remove(id: string): Promise<boolean> {
    await this.ensureTable();
    const res = await this.db.run((pool) => pool.query(`DELETE FROM ${this.table} WHERE id = $1`, [id]));
    return (res.rowCount ?? 0) > 0;
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

function toRecord(row: Row): ConnectionRecord {
  return {
    id: row.id,
    connectorId: row.connector_id,
    config: row.config,
    ...(row.base_url_override !== null ? { baseUrlOverride: row.base_url_override } : {}),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
