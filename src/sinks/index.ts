import type { Settings } from '../settings.js';
import { JsonlSink } from './jsonl.js';
import { PostgresSink } from './postgres.js';
import type { Sink } from './types.js';

export function createSink(settings: Pick<Settings, 'sink' | 'dataDir'> & Partial<Pick<Settings, 'databaseUrl' | 'databaseSchema'>>): Sink {
  if (settings.sink === 'jsonl') return new JsonlSink(settings.dataDir);
  if (settings.sink === 'postgres') {
    if (!settings.databaseUrl) throw new Error('PIPELINE_SINK=postgres needs PIPELINE_DATABASE_URL (or DATABASE_URL), e.g. postgres://user@host:5432/db');
    return new PostgresSink({ connectionString: settings.databaseUrl, schema: settings.databaseSchema ?? 'pipeline' });
  }
  throw new Error(`Sink "${String(settings.sink)}" is not available in this build`);
}

export * from './types.js';
export { MAX_RECORD_DEPTH, SinkRecordError } from './limits.js';
export { JsonlSink } from './jsonl.js';
export { PostgresSink, type PostgresSinkOptions } from './postgres.js';
