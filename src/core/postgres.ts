// What the PostgreSQL sink and connection store share: a pool whose errors never carry the
// connection string's password, a clear "not reachable" message, safe identifiers, and creating
// tables on first use without two starting workers tripping over each other.
import pg from 'pg';
import { redact } from './redact.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Schema names are interpolated into SQL (identifiers cannot be parameters): allow plain ones only. */
export function checkSchemaName(schema: string): string {
  if (!IDENTIFIER.test(schema)) {
    throw new Error(`PostgreSQL schema name "${schema}" is invalid: use 1-63 letters, digits or "_", not starting with a digit`);
  }
  return schema;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The connection string with its password masked, for messages. */
export function describeConnectionString(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password) url.password = '***';
    // Query parameters may carry a password too (?password=...).
    for (const key of [...url.searchParams.keys()]) if (/pass/i.test(key)) url.searchParams.set(key, '***');
    return url.toString();
  } catch {
    // libpq key=value form ("host=... password=..."), or something unparsable.
    return connectionString.replace(/(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)/gi, '$1***');
  }
}

/** Every form in which a secret of this connection string could show up in an error. */
function secretsOf(connectionString: string): string[] {
  const out = [connectionString];
  try {
    const url = new URL(connectionString);
    if (url.password) out.push(url.password, decodeURIComponent(url.password));
    for (const [key, value] of url.searchParams) if (/pass/i.test(key)) out.push(value);
  } catch {
    const m = /password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/i.exec(connectionString);
    if (m) out.push(m[1]!, m[1]!.replace(/^'|'$/g, ''));
  }
  return out;
}

// SQLSTATE classes that mean "could not get a usable session" (connection, auth, unknown database,
// server shutting down), as opposed to a failed statement.
const CONNECTION_SQLSTATE = /^(08|28|3D|57P)/;

/**
 * A pg.Pool for one connection string. `run` redacts every error; failures to connect at all are
 * rethrown as one clear message naming the (password-free) target.
 */
export class PgDatabase {
  readonly pool: pg.Pool;
  readonly target: string;
  private readonly secrets: string[];
  private closed = false;
  private readonly ensured = new Map<string, Promise<void>>();

  constructor(connectionString: string, applicationName: string) {
    this.target = describeConnectionString(connectionString);
    this.secrets = secretsOf(connectionString);
    this.pool = new pg.Pool({
      connectionString,
      application_name: applicationName,
      // Fail an activity attempt (which Temporal retries) rather than hang on an unreachable host.
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
    });
    // An idle client losing its server emits here; without a listener Node would crash the worker.
    // The next query reports the problem through `run`.
    this.pool.on('error', () => undefined);
  }

  async run<T>(fn: (pool: pg.Pool) => Promise<T>): Promise<T> {
    try {
      return await fn(this.pool);
    } catch (err) {
      throw this.cleanError(err);
    }
  }

  /** Runs `fn` in a transaction on one client: all of it or none of it. */
  async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.run(async (pool) => {
      const client = await pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw err;
      } finally {
        client.release(broken);
      }
    });
  }

  /**
   * Creates the schema and runs `ddl` (CREATE ... IF NOT EXISTS statements) under a transaction-level
   * advisory lock per schema: concurrent CREATE ... IF NOT EXISTS can still fail on the catalog's
   * unique indexes, so workers starting together take turns.
   */
  /**
   * ensureSchema once per (schema, ddl) for this database: every caller shares the first call's
   * promise; one that failed (the server was down) is tried again by the next call.
   */
  ensureSchemaOnce(schema: string, ddl: readonly string[]): Promise<void> {
    const key = `${schema}\n${ddl.join('\n')}`;
    let ready = this.ensured.get(key);
    if (!ready) {
      ready = this.ensureSchema(schema, ddl).catch((err: unknown) => {
        this.ensured.delete(key);
        throw err;
      });
      this.ensured.set(key, ready);
    }
    return ready;
  }

  async ensureSchema(schema: string, ddl: readonly string[]): Promise<void> {
    await this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`pipeline-schema:${schema}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
      for (const statement of ddl) await client.query(statement);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private cleanError(err: unknown): Error {
    if (!(err instanceof Error)) return new Error(redact(String(err), this.secrets));
    const code = (err as { code?: unknown }).code;
    const sessionLost =
      err instanceof pg.DatabaseError
        ? typeof code === 'string' && CONNECTION_SQLSTATE.test(code)
        : 'syscall' in err || err instanceof AggregateError || /^(Connection terminated|timeout exceeded when trying to connect)/i.test(err.message);
    if (!sessionLost) {
      // Keep the error itself (a pg code such as 23505, or our own ConnectionError), minus any secret.
      err.message = redact(err.message, this.secrets);
      if (err.stack) err.stack = redact(err.stack, this.secrets);
      return err;
    }
    // Node reports a refused dual-stack connect as an AggregateError with an empty message.
    const reason = err.message || (typeof code === 'string' ? code : '') || err.name;
    const clean = new Error(redact(`PostgreSQL at ${this.target} is not reachable or refused the session: ${reason}`, this.secrets));
    if (typeof code === 'string') (clean as Error & { code?: string }).code = code;
    return clean;
  }
}
