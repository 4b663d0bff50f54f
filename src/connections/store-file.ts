// The JSON file behind the file store: connections and pipelines in one file (mode 0600), rewritten
// atomically (temp file + rename) under a lock, so that a failed or concurrent write never loses or
// half-writes what is already stored. Re-read only when it changed on disk.
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import lockfile from 'proper-lockfile';
import type { PipelineRecord } from '../pipelines/types.js';
import type { ConnectionRecord } from './types.js';

export interface StoreFileShape {
  version: 1;
  connections: Record<string, ConnectionRecord>;
  /** Absent in files written before pipelines existed. */
  pipelines?: Record<string, PipelineRecord>;
}

/** The entry stored under `id`, looked up as an own key only ("constructor" or "__proto__" name nothing). */
export function ownEntry<T>(entries: Record<string, T> | undefined, id: string): T | undefined {
  return entries && typeof id === 'string' && Object.hasOwn(entries, id) ? entries[id] : undefined;
}

/** Stores under `id` as a plain own property (even "__proto__" never touches the prototype). */
export function setOwnEntry<T>(entries: Record<string, T>, id: string, value: T): void {
  Object.defineProperty(entries, id, { value, enumerable: true, writable: true, configurable: true });
}

export class StoreFile {
  private cache: { key: string; data: StoreFileShape } | null = null;

  constructor(readonly path: string) {}

  async read(): Promise<StoreFileShape> {
    let key: string;
    try {
      const s = await stat(this.path);
      key = `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, connections: {} };
      throw err;
    }
    if (this.cache?.key === key) return structuredClone(this.cache.data);
    const parsed = JSON.parse(await readFile(this.path, 'utf8')) as StoreFileShape;
    const isMap = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
    if (!isMap(parsed) || parsed.version !== 1 || !isMap(parsed.connections) || (parsed.pipelines !== undefined && !isMap(parsed.pipelines))) {
      throw new Error(`${this.path} is not a connections file of this version`);
    }
    this.cache = { key, data: parsed };
    return structuredClone(parsed);
  }

  async mutate<T>(fn: (data: StoreFileShape) => T): Promise<T> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const release = await lockfile.lock(this.path, { realpath: false, stale: 10_000, retries: { retries: 50, minTimeout: 20, maxTimeout: 300 } });
    try {
      const data = await this.read();
      const result = fn(data);
      const tmp = `${this.path}.tmp-${process.pid}`;
      await writeFile(tmp, JSON.stringify(data, null, 2) + '\n', { mode: 0o600 });
      await rename(tmp, this.path);
      return result;
    } finally {
      await release();
    }
  }
}
