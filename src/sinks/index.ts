import type { Settings } from '../settings.js';
import { JsonlSink } from './jsonl.js';
import type { Sink } from './types.js';

export function createSink(settings: Pick<Settings, 'sink' | 'dataDir'>): Sink {
  if (settings.sink === 'jsonl') return new JsonlSink(settings.dataDir);
  throw new Error(`Sink "${settings.sink}" is not available in this build`);
}

export * from './types.js';
export { JsonlSink } from './jsonl.js';
