// The default sink: one JSON Lines file per (connection, stream), under <dataDir>/<connection>/.
//
// File format (one object per line, UTF-8):
//   {"id":"<record id>","updatedAt":"<ISO-8601>","syncedAt":"<ISO-8601>","data":{...provider record...}}
// The file is an append-only log: a record pulled again (a retried page, an incremental run that
// sees a changed record) is appended again, and the current version of an id is its line with the
// latest updatedAt (the last such line on a tie, or when a time is not a date). Appends are not
// always in change order — slices of one sync write in parallel, and Stripe's events come newest
// first — so "last line" alone would let an older version win. When a run completes, the file is
// compacted in place (atomically, via a temp file and rename) so that after every completed sync each
// id appears exactly once. A reader that opens the file while a sync is running applies the same
// rule (readAll does).
// Next to it, <stream>.state.json holds the watermark for the next incremental run.
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, stat, truncate, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import lockfile from 'proper-lockfile';
import type { SourceRecord } from '../core/envelope.js';
import { checkRecords, recordJson } from './limits.js';
import type { Sink, StoredRecord, StreamRef, SyncState } from './types.js';

const safeName = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');

export class JsonlSink implements Sink {
  readonly kind = 'jsonl' as const;
  // Serializes writers of one file inside this process; proper-lockfile covers other processes
  // (a timed-out activity attempt can still be running in another worker while its retry writes).
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(readonly dataDir: string) {}

  filePath(ref: StreamRef): string {
    return join(this.dataDir, safeName(ref.connectionId), `${safeName(ref.stream)}.jsonl`);
  }

  private statePath(ref: StreamRef): string {
    return join(this.dataDir, safeName(ref.connectionId), `${safeName(ref.stream)}.state.json`);
  }

  location(ref: StreamRef): string {
    return this.filePath(ref);
  }

  private async exclusive<T>(path: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(path) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(async () => {
      await mkdir(dirname(path), { recursive: true });
      // A held lock's mtime is refreshed every stale/2; one left by a killed worker is taken over once
      // it is 10 s old, about when Temporal retries the activity after its heartbeat timeout.
      const release = await lockfile.lock(path, {
        realpath: false,
        stale: 10_000,
        retries: { retries: 60, minTimeout: 20, maxTimeout: 500 },
      });
      try {
        return await fn();
      } finally {
        await release();
      }
    });
    this.queues.set(path, run);
    try {
      return await run;
    } finally {
      if (this.queues.get(path) === run) this.queues.delete(path);
    }
  }

  async writePage(ref: StreamRef, records: readonly SourceRecord[]): Promise<{ written: number }> {
    if (records.length === 0) return { written: 0 };
    const path = this.filePath(ref);
    const syncedAt = new Date().toISOString();
    // A record that cannot be written refuses the whole page before anything is appended (limits.ts).
    checkRecords(ref, records);
    const chunk = records
      .map((r) => recordJson(ref, r, { id: r.id, updatedAt: r.updatedAt, syncedAt, data: r.data }))
      .join('\n') + '\n';
    await this.exclusive(path, async () => {
      await repairTornTail(path);
      const fh = await open(path, 'a', 0o600);
      try {
        await fh.write(chunk);
        // The activity reports the page as landed once this returns: make that true across a crash.
        await fh.datasync();
      } finally {
        await fh.close();
      }
    });
    return { written: records.length };
  }

  async finishRun(ref: StreamRef): Promise<{ records: number }> {
    const path = this.filePath(ref);
    return this.exclusive(path, async () => {
      if (!(await exists(path))) return { records: 0 };
      await repairTornTail(path);
      // Pass 1: the line number of the current version of each id (memory: one entry per id).
      const lastLine = new Map<string, number>();
      const lastTime = new Map<string, number>();
      let lines = 0;
      for await (const line of readLines(path)) {
        const { id, time } = keyOf(line);
        if (supersedes(time, lastTime.get(id))) {
          lastLine.set(id, lines);
          lastTime.set(id, time);
        }
        lines++;
      }
      if (lastLine.size === lines) return { records: lines };
      // Pass 2: keep only last versions, then swap the file in atomically.
      const tmp = `${path}.compact-${process.pid}`;
      const out = await open(tmp, 'w', 0o600);
      try {
        let n = 0;
        let buffer: string[] = [];
        for await (const line of readLines(path)) {
          if (lastLine.get(keyOf(line).id) === n) buffer.push(line);
          n++;
          if (buffer.length >= 1000) {
            await out.write(buffer.join('\n') + '\n');
            buffer = [];
          }
        }
        if (buffer.length > 0) await out.write(buffer.join('\n') + '\n');
        await out.datasync();
      } finally {
        await out.close();
      }
      await rename(tmp, path);
      return { records: lastLine.size };
    });
  }

  async readAll(ref: StreamRef): Promise<Map<string, StoredRecord>> {
    const path = this.filePath(ref);
    const out = new Map<string, StoredRecord>();
    if (!(await exists(path))) return out;
    for await (const line of readLines(path)) {
      let rec: StoredRecord;
      try {
        rec = JSON.parse(line) as StoredRecord;
      } catch {
        continue; // a torn last line of a write in progress
      }
      const current = out.get(rec.id);
      if (current && !supersedes(Date.parse(rec.updatedAt), Date.parse(current.updatedAt))) continue;
      out.delete(rec.id); // keep the order of the current version
      out.set(rec.id, rec);
    }
    return out;
  }

  async loadState(ref: StreamRef): Promise<SyncState | null> {
    try {
      return JSON.parse(await readFile(this.statePath(ref), 'utf8')) as SyncState;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async saveState(ref: StreamRef, state: SyncState): Promise<void> {
    const path = this.statePath(ref);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.tmp-${process.pid}`;
    await writeFile(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
    await rename(tmp, path);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.queues.values()]);
  }
}

// Our own writer puts id and updatedAt first: read them without parsing the whole record.
const HEAD = /^\{"id":("(?:[^"\\]|\\.)*"),"updatedAt":("(?:[^"\\]|\\.)*")/;

function keyOf(line: string): { id: string; time: number } {
  const m = HEAD.exec(line);
  if (m) return { id: JSON.parse(m[1]!) as string, time: Date.parse(JSON.parse(m[2]!) as string) };
  const rec = JSON.parse(line) as { id: string; updatedAt?: unknown };
  return { id: rec.id, time: typeof rec.updatedAt === 'string' ? Date.parse(rec.updatedAt) : Number.NaN };
}

/** Whether a version with change time `candidate`, appended later, replaces one with `current`. */
function supersedes(candidate: number, current: number | undefined): boolean {
  if (current === undefined || Number.isNaN(candidate) || Number.isNaN(current)) return true;
  return candidate >= current;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function* readLines(path: string): AsyncGenerator<string> {
  const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of rl) if (line !== '') yield line;
}

/** A crash in the middle of an append leaves a partial last line: cut it before appending again. */
async function repairTornTail(path: string): Promise<void> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return;
  }
  if (size === 0) return;
  const fh = await open(path, 'r');
  try {
    const last = Buffer.alloc(1);
    await fh.read(last, 0, 1, size - 1);
    if (last[0] === 0x0a) return;
    // Walk back to the previous newline.
    const block = 64 * 1024;
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - block);
      const buf = Buffer.alloc(end - start);
      await fh.read(buf, 0, buf.length, start);
      const nl = buf.lastIndexOf(0x0a);
      if (nl >= 0) {
        await truncate(path, start + nl + 1);
        return;
      }
      end = start;
    }
    await truncate(path, 0);
  } finally {
    await fh.close();
  }
}
