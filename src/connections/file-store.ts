// Connection configs in one JSON file (mode 0600; see store-file.ts), beside the pipelines' definitions.
import { FilePipelineStore } from '../pipelines/file-store.js';
import type { PipelineStore } from '../pipelines/types.js';
import { ownEntry, setOwnEntry, StoreFile, type StoreFileShape } from './store-file.js';
import { ConnectionError, type ConnectionRecord, type ConnectionStore, type NewConnection } from './types.js';
import { validateNewConnection } from './validate.js';

const stored = (data: StoreFileShape, id: string) => ownEntry(data.connections, id);
const store = (data: StoreFileShape, id: string, record: ConnectionRecord) => setOwnEntry(data.connections, id, record);

export class FileConnectionStore implements ConnectionStore {
  private readonly file: StoreFile;
  /** Pipeline definitions, in the same file. */
  readonly pipelines: PipelineStore;

  constructor(readonly path: string) {
    this.file = new StoreFile(path);
    this.pipelines = new FilePipelineStore(this.file);
  }

  private read(): Promise<StoreFileShape> {
    return this.file.read();
  }

  private mutate<T>(fn: (data: StoreFileShape) => T): Promise<T> {
    return this.file.mutate(fn);
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
