// Pipelines: definitions (stored with the connections), mapping, versions and the delivery ledger.
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

export * from './types.js';
export * from './ledger.js';
export { JsonlLedger } from './jsonl-ledger.js';
export { PostgresLedger } from './postgres-ledger.js';
export { recordVersion, deliveryKey } from './versions.js';
export { validatePipelineDefinition } from './validate.js';
export { compileExpression, evaluate, passes, pathsRead, hasPath } from './mapping.js';
