// Pipelines: definitions (stored with the connections), mapping, versions and the delivery ledger.
import { createSink } from '../sinks/index.js';
import { JsonlSink } from '../sinks/jsonl.js';
import { PostgresSink } from '../sinks/postgres.js';
import type { Sink } from '../sinks/types.js';
import { JsonlLedger } from './jsonl-ledger.js';
import type { DeliveryLedger } from './ledger.js';
import { PostgresLedger } from './postgres-ledger.js';

/** The ledger that lives beside this sink: files next to the JSONL data, or tables next to the records. */
export function ledgerFor(sink: Sink): DeliveryLedger {
  if (sink instanceof JsonlSink) return new JsonlLedger(sink.dataDir);
  if (sink instanceof PostgresSink) return new PostgresLedger({ connectionString: sink.options.connectionString, schema: sink.schema });
  throw new Error(`No delivery ledger for a ${sink.kind} sink`);
}

/** Opens the ledger beside the configured sink for the length of `fn` (a CLI command, a console request). */
export async function withLedger<T>(settings: Parameters<typeof createSink>[0], fn: (ledger: DeliveryLedger) => Promise<T>): Promise<T> {
  const sink = createSink(settings);
  const ledger = ledgerFor(sink);
  try {
    return await fn(ledger);
  } finally {
    await ledger.close();
    await sink.close();
  }
}

export * from './types.js';
export * from './ledger.js';
export { JsonlLedger } from './jsonl-ledger.js';
export { PostgresLedger } from './postgres-ledger.js';
export { recordVersion, deliveryKey } from './versions.js';
export { validatePipelineDefinition } from './validate.js';
export { compileExpression, evaluate, passes, pathsRead, hasPath } from './mapping.js';
