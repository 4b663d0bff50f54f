// Pipeline definitions in the connections file (src/connections/store-file.ts), under "pipelines".
import { ownEntry, setOwnEntry, type StoreFile } from '../connections/store-file.js';
import { PipelineError, type PipelineDefinition, type PipelineRecord, type PipelineStore } from './types.js';
import { validatePipelineDefinition } from './validate.js';

export class FilePipelineStore implements PipelineStore {
  constructor(private readonly file: StoreFile) {}

  async add(input: PipelineDefinition): Promise<PipelineRecord> {
    const def = validatePipelineDefinition(input);
    return this.file.mutate((data) => {
      const pipelines = (data.pipelines ??= {});
      if (ownEntry(pipelines, def.id)) throw new PipelineError(`Pipeline "${def.id}" already exists`, 'conflict');
      const now = new Date().toISOString();
      const record: PipelineRecord = { ...def, createdAt: now, updatedAt: now };
      setOwnEntry(pipelines, def.id, record);
      return record;
    });
  }

  async put(input: PipelineDefinition): Promise<PipelineRecord> {
    const def = validatePipelineDefinition(input);
    return this.file.mutate((data) => {
      const pipelines = (data.pipelines ??= {});
      const now = new Date().toISOString();
      const record: PipelineRecord = { ...def, createdAt: ownEntry(pipelines, def.id)?.createdAt ?? now, updatedAt: now };
      setOwnEntry(pipelines, def.id, record);
      return record;
    });
  }

  async get(id: string): Promise<PipelineRecord | null> {
    return ownEntry((await this.file.read()).pipelines, id) ?? null;
  }

  async list(): Promise<PipelineRecord[]> {
    return Object.values((await this.file.read()).pipelines ?? {}).sort((a, b) => a.id.localeCompare(b.id));
  }

  async remove(id: string): Promise<boolean> {
    return this.file.mutate((data) => {
      if (!ownEntry(data.pipelines, id)) return false;
      delete data.pipelines![id];
      return true;
    });
  }
}
