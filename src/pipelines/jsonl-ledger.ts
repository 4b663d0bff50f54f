// The delivery ledger as files beside the JSONL sink, one folder per pipeline:
//
//   <dataDir>/_pipelines/<pipeline>/ledger.jsonl   every DeliveryEntry, one JSON object per line, appended
//   <dataDir>/_pipelines/<pipeline>/state.json     the pipeline's watermark and last run (PipelineState)
//   <dataDir>/_pipelines/<pipeline>/staging/<id>.json  pages staged between source and destination
//
// (Connection ids start with a letter or digit, so "_pipelines" never collides with a sink folder.)
//
// Appends are O_APPEND writes of whole lines, so workers appending at once never interleave inside a
// line and need no lock. Each process keeps an index of the file (latest entry per record version)
// and reads only what was appended since its last look. A line cut short by a crash is skipped.
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { currentVersion, matches, type CurrentFilter, type DeliveryLedger, type PipelineState, type RecordVersions, type StagedCall } from './ledger.js';
import type { SourceRecord } from '../core/envelope.js';
import { emptyCounts, type DeliveryCounts, type DeliveryEntry } from './types.js';

/** Largest single write: whole lines, well under what one write() puts down at once. */
const MAX_WRITE_BYTES = 256 * 1024;
/** Staged pages kept in memory per process (delivery calls of one page read the same page). */
const STAGE_CACHE = 16;

interface Index {
  offset: number;
  /** Inode and birth of the file the offset belongs to (a dropped and re-created ledger starts over). */
  identity: string;
  lines: number;
  records: Map<string, RecordVersions>;
}

const safeName = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');

export class JsonlLedger implements DeliveryLedger {
  readonly kind = 'jsonl' as const;
  private readonly indexes = new Map<string, Index>();
  private readonly refreshing = new Map<string, Promise<Index>>();
  private readonly stageCache = new Map<string, StagedCall[]>();

  constructor(readonly dataDir: string) {}

  dir(pipelineId: string): string {
    return join(this.dataDir, '_pipelines', safeName(pipelineId));
  }

  private ledgerPath(pipelineId: string): string {
    return join(this.dir(pipelineId), 'ledger.jsonl');
  }

  location(pipelineId: string): string {
    return this.ledgerPath(pipelineId);
  }

  async append(pipelineId: string, entries: readonly DeliveryEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await mkdir(this.dir(pipelineId), { recursive: true });
    const fh = await open(this.ledgerPath(pipelineId), 'a');
    try {
      let chunk: string[] = [];
      let bytes = 0;
      const flush = async () => {
        if (chunk.length === 0) return;
        await fh.write(chunk.join(''));
        chunk = [];
        bytes = 0;
      };
      for (const e of entries) {
        const line = `${JSON.stringify(e)}\n`;
        if (bytes + line.length > MAX_WRITE_BYTES) await flush();
        chunk.push(line);
        bytes += line.length;
      }
      await flush();
    } finally {
      await fh.close();
    }
  }

  /**
   * The index, brought up to date with everything appended before this call. Looks are serialized
   * per pipeline, and each caller gets a look that starts after it asked: joining a look already in
   * flight could miss an append this caller has just finished (and a delivered version be sent again).
   */
  private index(pipelineId: string): Promise<Index> {
    const previous = this.refreshing.get(pipelineId) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.refresh(pipelineId));
    this.refreshing.set(pipelineId, run);
    void run.finally(() => {
      if (this.refreshing.get(pipelineId) === run) this.refreshing.delete(pipelineId);
    }).catch(() => undefined);
    return run;
  }

  private async refresh(pipelineId: string): Promise<Index> {
    const path = this.ledgerPath(pipelineId);
    let size = 0;
    let identity = 'absent';
    try {
      const s = await stat(path);
      size = s.size;
      identity = `${s.ino}:${s.birthtimeMs}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    let index = this.indexes.get(pipelineId);
    if (!index || index.identity !== identity || size < index.offset) {
      index = { offset: 0, identity, lines: 0, records: new Map() };
      this.indexes.set(pipelineId, index);
    }
    if (size === index.offset) return index;
    const fh = await open(path, 'r');
    try {
      const length = size - index.offset;
      const buf = Buffer.alloc(length);
      let read = 0;
      while (read < length) {
        const r = await fh.read(buf, read, length - read, index.offset + read);
        if (r.bytesRead === 0) break;
        read += r.bytesRead;
      }
      // Only whole lines: a line still being written is read on the next look.
      const end = buf.lastIndexOf(0x0a, read - 1);
      if (end < 0) return index;
      const text = buf.subarray(0, end + 1).toString('utf8');
      for (const line of text.split('\n')) {
        if (line === '') continue;
        index.lines++;
        let e: DeliveryEntry;
        try {
          e = JSON.parse(line) as DeliveryEntry;
        } catch {
          continue; // a line cut short by a crash
        }
        if (!e || typeof e.recordId !== 'string' || typeof e.version !== 'string') continue;
        let versions = index.records.get(e.recordId);
        if (!versions) index.records.set(e.recordId, (versions = new Map()));
        const v = versions.get(e.version);
        if (v) v.latest = e;
        else versions.set(e.version, { latest: e, firstSeen: index.lines });
      }
      index.offset += end + 1;
    } finally {
      await fh.close();
    }
    return index;
  }

  async lookup(pipelineId: string, recordIds: readonly string[]): Promise<Map<string, RecordVersions>> {
    const index = await this.index(pipelineId);
    const out = new Map<string, RecordVersions>();
    for (const id of recordIds) {
      const v = index.records.get(id);
      if (v) out.set(id, new Map([...v].map(([k, x]) => [k, { ...x }])));
    }
    return out;
  }

  async current(pipelineId: string, filter?: CurrentFilter): Promise<DeliveryEntry[]> {
    const index = await this.index(pipelineId);
    const out: DeliveryEntry[] = [];
    const ids = filter?.recordIds ?? [...index.records.keys()];
    for (const id of ids) {
      const versions = index.records.get(id);
      const cur = versions && currentVersion(versions);
      if (cur && matches(cur.latest, filter)) out.push(cur.latest);
    }
    return out;
  }

  async counts(pipelineId: string): Promise<DeliveryCounts> {
    const index = await this.index(pipelineId);
    const counts = emptyCounts();
    for (const versions of index.records.values()) {
      const cur = currentVersion(versions);
      if (cur) counts[cur.latest.state]++;
    }
    return counts;
  }

  async history(pipelineId: string, recordId: string): Promise<DeliveryEntry[]> {
    const out: DeliveryEntry[] = [];
    let input;
    try {
      input = createReadStream(this.ledgerPath(pipelineId), { encoding: 'utf8' });
      for await (const line of createInterface({ input, crlfDelay: Infinity })) {
        // Cheap pre-check before parsing: most lines are about other records.
        if (!line.includes(JSON.stringify(recordId))) continue;
        try {
          const e = JSON.parse(line) as DeliveryEntry;
          if (e.recordId === recordId) out.push(e);
        } catch {
          // a line cut short by a crash
        }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    } finally {
      input?.destroy();
    }
    return out;
  }

  async loadState(pipelineId: string): Promise<PipelineState | null> {
    try {
      return JSON.parse(await readFile(join(this.dir(pipelineId), 'state.json'), 'utf8')) as PipelineState;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async saveState(pipelineId: string, state: PipelineState): Promise<void> {
    await writeAtomic(join(this.dir(pipelineId), 'state.json'), JSON.stringify(state, null, 2) + '\n');
  }

  private stagePath(pipelineId: string, stageId: string): string {
    return join(this.dir(pipelineId), 'staging', `${safeName(stageId)}.json`);
  }

  async stage(pipelineId: string, stageId: string, calls: readonly StagedCall[]): Promise<void> {
    const path = this.stagePath(pipelineId, stageId);
    await writeAtomic(path, JSON.stringify({ calls }));
    this.remember(path, [...calls]);
  }

  async staged(pipelineId: string, stageId: string): Promise<StagedCall[] | null> {
    const path = this.stagePath(pipelineId, stageId);
    const cached = this.stageCache.get(path);
    if (cached) return cached;
    try {
      const calls = (JSON.parse(await readFile(path, 'utf8')) as { calls: StagedCall[] }).calls;
      this.remember(path, calls);
      return calls;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async stageRaw(pipelineId: string, stageId: string, records: readonly SourceRecord[]): Promise<void> {
    await writeAtomic(this.stagePath(pipelineId, `${stageId}.raw`), JSON.stringify(records));
  }

  async rawStaged(pipelineId: string, stageId: string): Promise<SourceRecord[] | null> {
    try {
      return JSON.parse(await readFile(this.stagePath(pipelineId, `${stageId}.raw`), 'utf8')) as SourceRecord[];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async dropRaw(pipelineId: string, stageId: string): Promise<void> {
    await rm(this.stagePath(pipelineId, `${stageId}.raw`), { force: true });
  }

  private remember(path: string, calls: StagedCall[]): void {
    this.stageCache.delete(path);
    this.stageCache.set(path, calls);
    while (this.stageCache.size > STAGE_CACHE) this.stageCache.delete(this.stageCache.keys().next().value!);
  }

  async unstage(pipelineId: string, which: { ids: readonly string[] } | { prefix: string }): Promise<void> {
    const dir = join(this.dir(pipelineId), 'staging');
    let names: string[];
    if ('ids' in which) names = which.ids.flatMap((id) => [`${safeName(id)}.json`, `${safeName(id)}.raw.json`]);
    else {
      try {
        names = (await readdir(dir)).filter((n) => n.startsWith(safeName(which.prefix)));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
    }
    for (const n of names) {
      const path = join(dir, n);
      this.stageCache.delete(path);
      await rm(path, { force: true });
    }
  }

  async drop(pipelineId: string): Promise<void> {
    await rm(this.dir(pipelineId), { recursive: true, force: true });
    this.indexes.delete(pipelineId);
    for (const k of [...this.stageCache.keys()]) if (k.startsWith(this.dir(pipelineId))) this.stageCache.delete(k);
  }

  async close(): Promise<void> {
    this.indexes.clear();
    this.stageCache.clear();
  }
}

async function writeAtomic(path: string, text: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}
