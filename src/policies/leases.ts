// Concurrency caps per rate key across every worker (Mailchimp: 10 simultaneous connections per API
// key, of which a connection takes its share). Temporal's task-queue fairness caps a key's rate, not
// its calls in flight, so each such call holds one of the key's N slots while it runs:
//
// - FileLeases: one lock per slot under a shared folder (PIPELINE_HOME/leases), for workers on one
//   machine (the default deployment, the dev stack, the tests' worker processes). proper-lockfile
//   refreshes a held lock's mtime; a lock left by a killed worker is stale after `staleMs`.
// - PgLeases: PostgreSQL session advisory locks, for workers on several machines sharing the
//   database (PIPELINE_CONNECTION_STORE=postgres). A killed worker's session ends, and its locks with it.
//
// A call that finds every slot taken waits (a few seconds at most), then fails as rate_limited so
// that Temporal retries it later instead of holding a worker slot.
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import type { PgDatabase } from '../core/postgres.js';

export interface Lease {
  release(): Promise<void>;
}

export interface Leases {
  /** One of `limit` slots of `key`, or null when none freed up within `waitMs`. */
  acquire(key: string, limit: number, opts?: { waitMs?: number; signal?: AbortSignal }): Promise<Lease | null>;
  close?(): Promise<void>;
}

export const DEFAULT_LEASE_WAIT_MS = 5_000;

const digest = (key: string) => createHash('sha256').update(key).digest('hex').slice(0, 24);

async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
}

async function acquireLoop(tryOnce: () => Promise<Lease | null>, waitMs: number, signal?: AbortSignal): Promise<Lease | null> {
  const deadline = Date.now() + waitMs;
  let delay = 20;
  for (;;) {
    const lease = await tryOnce();
    if (lease) return lease;
    if (Date.now() >= deadline || signal?.aborted) return null;
    await pause(Math.min(delay + Math.random() * delay, deadline - Date.now()), signal);
    delay = Math.min(delay * 2, 250);
  }
}

/** Slots as lock files under one folder shared by the workers of a machine. */
export class FileLeases implements Leases {
  constructor(readonly dir: string, private readonly staleMs = 10_000) {}

  async acquire(key: string, limit: number, opts: { waitMs?: number; signal?: AbortSignal } = {}): Promise<Lease | null> {
    const folder = join(this.dir, digest(key));
    await mkdir(folder, { recursive: true });
    const tryOnce = async (): Promise<Lease | null> => {
      // Start at a random slot so that waiting callers do not all contend for slot 0.
      const start = Math.floor(Math.random() * limit);
      for (let i = 0; i < limit; i++) {
        const slot = join(folder, String((start + i) % limit));
        try {
          const release = await lockfile.lock(slot, { realpath: false, stale: this.staleMs, retries: 0, onCompromised: () => undefined });
          return { release: () => release().catch(() => undefined) };
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
        }
      }
      return null;
    };
    return acquireLoop(tryOnce, opts.waitMs ?? DEFAULT_LEASE_WAIT_MS, opts.signal);
  }
}

/** Slots as PostgreSQL session advisory locks (two int4 keys: the key's hash and the slot). */
export class PgLeases implements Leases {
  constructor(private readonly db: PgDatabase) {}

  async acquire(key: string, limit: number, opts: { waitMs?: number; signal?: AbortSignal } = {}): Promise<Lease | null> {
    const classId = Number.parseInt(digest(key).slice(0, 8), 16) | 0;
    const tryOnce = async (): Promise<Lease | null> => {
      const client = await this.db.pool.connect();
      try {
        const start = Math.floor(Math.random() * limit);
        for (let i = 0; i < limit; i++) {
          const slot = (start + i) % limit;
          const res = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [classId, slot]);
          if (res.rows[0]?.ok) {
            // The session holds the lock: keep the client until release.
            return {
              release: async () => {
                await client.query('SELECT pg_advisory_unlock($1, $2)', [classId, slot]).catch(() => undefined);
                client.release();
              },
            };
          }
        }
      } catch (err) {
        client.release(true);
        throw err;
      }
      client.release();
      return null;
    };
    return acquireLoop(tryOnce, opts.waitMs ?? DEFAULT_LEASE_WAIT_MS, opts.signal);
  }
}

/** Slots inside one process (a single worker, library use without shared state). */
export class LocalLeases implements Leases {
  private readonly held = new Map<string, number>();

  async acquire(key: string, limit: number, opts: { waitMs?: number; signal?: AbortSignal } = {}): Promise<Lease | null> {
    const tryOnce = async (): Promise<Lease | null> => {
      const n = this.held.get(key) ?? 0;
      if (n >= limit) return null;
      this.held.set(key, n + 1);
      let released = false;
      return {
        release: async () => {
          if (released) return;
          released = true;
          this.held.set(key, (this.held.get(key) ?? 1) - 1);
        },
      };
    };
    return acquireLoop(tryOnce, opts.waitMs ?? DEFAULT_LEASE_WAIT_MS, opts.signal);
  }
}

/**
 * The leases of a deployment: in PostgreSQL when the workers share one (several machines), else lock
 * files in the local state folder (workers of one machine).
 */
export async function createLeases(settings: { home: string; connectionStore?: 'file' | 'postgres'; databaseUrl?: string | undefined }): Promise<Leases> {
  if (settings.connectionStore === 'postgres' && settings.databaseUrl) {
    const { PgDatabase } = await import('../core/postgres.js');
    const db = new PgDatabase(settings.databaseUrl, 'pipeline-leases');
    const leases = new PgLeases(db);
    return { acquire: (k, l, o) => leases.acquire(k, l, o), close: () => db.close() };
  }
  return new FileLeases(join(settings.home, 'leases'));
}
