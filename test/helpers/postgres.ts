// The real PostgreSQL the PostgreSQL tests run against, and a throw-away schema per test.
// No PostgreSQL is a failure, not a skip: a green run must mean the PostgreSQL code was exercised.
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import pg from 'pg';

function candidates(): string[] {
  if (process.env.PIPELINE_TEST_DATABASE_URL) return [process.env.PIPELINE_TEST_DATABASE_URL];
  let osUser = 'postgres';
  try {
    osUser = userInfo().username;
  } catch {
    // no passwd entry (some containers)
  }
  const users = [...new Set(['postgres', osUser])];
  return users.flatMap((u) => [`postgres://${u}@127.0.0.1:5432/test`, `postgres://${u}@127.0.0.1:5432/postgres`]);
}

let found: Promise<string> | undefined;

/** A connection string that works, or a failure that says how to start PostgreSQL. */
export function postgresUrl(): Promise<string> {
  found ??= (async () => {
    const problems: string[] = [];
    for (const url of candidates()) {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
      try {
        await client.connect();
        await client.query('SELECT 1');
        return url;
      } catch (err) {
        const e = err as Error & { code?: string };
        problems.push(`${url}: ${e.message || e.code || e.name}`);
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    throw new Error(
      'PostgreSQL is not reachable, and the PostgreSQL sink/store tests need a real one. ' +
        'Start it (`.ci/run` does: pg_ctlcluster <version> main start, listening on 127.0.0.1:5432 with trust auth), ' +
        `or point PIPELINE_TEST_DATABASE_URL at one. Tried:\n  ${problems.join('\n  ')}`,
    );
  })();
  return found;
}

export interface TestSchema {
  url: string;
  schema: string;
  /** A query on the test database, for reading raw rows. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
}

/** A fresh, randomly named schema (created by the code under test on first use), dropped by drop(). */
export async function testSchema(): Promise<TestSchema> {
  const url = await postgresUrl();
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => undefined);
  return {
    url,
    schema,
    async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []) {
      return (await pool.query<R>(sql, params)).rows;
    },
    async drop() {
      try {
        await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await pool.end();
      }
    },
  };
}
