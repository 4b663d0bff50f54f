// Connection configs in one JSON file (mode 0600), rewritten atomically (temp file + rename) under a
// lock, so that a failed or concurrent write never loses or half-writes what is already stored.
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import lockfile from 'proper-lockfile';
import { ConnectionError, type ConnectionRecord, type ConnectionStore, type NewConnection } from './types.js';
import { validateNewConnection } from './validate.js';

interface FileShape {
  version: 1;
  connections: Record<string, ConnectionRecord>;
}

/**
 * The record stored under `id`, looked up as an own key only: "constructor", "__proto__" or
 * "toString" name nothing here, whatever Object.prototype has under those names.
 */
function stored(data: FileShape, id: string): ConnectionRecord | undefined {
  return typeof id === 'string' && Object.hasOwn(data.connections, id) ? data.connections[id] : undefined;
}

/** Stores under `id` as a plain own property (even "__proto__" never touches the prototype). */
function store(data: FileShape, id: string, record: ConnectionRecord): void {
  Object.defineProperty(data.connections, id, { value: record, enumerable: true, writable: true, configurable: true });
}

export class FileConnectionStore implements ConnectionStore {
  // Every activity looks its connection up: re-read the file only when it has changed on disk.
  private cache: { key: string; data: FileShape } | null = null;

  constructor(readonly path: string) {}

  private async read(): Promise<FileShape> {
    let key: string;
    try {
      const s = await stat(this.path);
      key = `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, connections: {} };
      throw err;
    }
    if (this.cache?.key === key) return structuredClone(this.cache.data);
    const parsed = JSON.parse(await readFile(this.path, 'utf8')) as FileShape;
    if (parsed === null || typeof parsed !== 'object' || parsed.version !== 1 || typeof parsed.connections !== 'object' || parsed.connections === null || Array.isArray(parsed.connections)) {
      throw new Error(`${this.path} is not a connections file of this version`);
    }
    this.cache = { key, data: parsed };
    return structuredClone(parsed);
  }

  private async mutate<T>(fn: (data: FileShape) => T): Promise<T> {
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

  async add(input: NewConnection): Promise<ConnectionRecord> {
    const valid = validateNewConnection(input);
    return this.mutate((data) => {
      if (stored(data, valid.id)) throw new ConnectionError(`Connection "${valid.id}" already exists`, 'conflict');
      const now = new Date().toISOString();
      const record: ConnectionRecord = { ...valid, createdAt: now, updatedAt: now };
      store(data, valid.id, record);
      return record;
    });
  }

  async put(input: NewConnection): Promise<ConnectionRecord> {
    const valid = validateNewConnection(input);
    return this.mutate((data) => {
      const existing = stored(data, valid.id);
      if (existing && existing.connectorId !== valid.connectorId) {
        throw new ConnectionError(`Connection "${valid.id}" is a ${existing.connectorId} connection, not ${valid.connectorId}`, 'conflict');
      }
      const now = new Date().toISOString();
      const record: ConnectionRecord = { ...valid, createdAt: existing?.createdAt ?? now, updatedAt: now };
      store(data, valid.id, record);
      return record;
    });
  }

  async get(id: string): Promise<ConnectionRecord | null> {
    return stored(await this.read(), id) ?? null;
  }

  async list(): Promise<ConnectionRecord[]> {
    return Object.values((await this.read()).connections).sort((a, b) => a.id.localeCompare(b.id));
  }

  async remove(id: string): Promise<boolean> {
    return this.mutate((data) => {
      if (!stored(data, id)) return false;
      delete data.connections[id];
      return true;
    });
  }
}
