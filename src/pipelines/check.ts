// Checking a pipeline against what it will meet, before it is stored: its connections exist and fit
// (a source that can pull the stream, a destination that can receive records), its batch size is
// within the destination's batch limit, and its mapping turns sample records into messages the
// destination's own schema accepts. Errors name the field (of the definition, or of the mapped
// message); warnings point at likely mistakes (a record field no sample has).
import type { ZodType } from 'zod';
import type { ConnectionStore } from '../connections/types.js';
import type { SourceRecord } from '../core/envelope.js';
import { getExecutor } from '../executors/index.js';
import { getConnector } from '../registry/index.js';
import { compileExpression, evaluate, hasPath, passes, pathsRead, type CompiledExpression } from './mapping.js';
import type { Samples } from './samples.js';
import type { PipelineDefinition } from './types.js';

export interface PipelineIssue {
  field: string;
  message: string;
}

export interface PipelineCheck {
  errors: PipelineIssue[];
  warnings: string[];
  /** How the samples fared. */
  samples: { origin: Samples['origin']; count: number; mapped: number; filteredOut: number; example?: unknown };
  source?: { connectorId: string; name: string };
  destination?: { connectorId: string; name: string; batch: { maxItems: number; endpoint: string } | null; itemsPerCall: number; dedup: boolean; dedupVia?: string };
}

export async function checkPipeline(store: ConnectionStore, def: PipelineDefinition, samples: Samples): Promise<PipelineCheck> {
  const check: PipelineCheck = { errors: [], warnings: [], samples: { origin: samples.origin, count: samples.records.length, mapped: 0, filteredOut: 0 } };
  const source = await store.get(def.source.connectionId);
  if (!source) check.errors.push({ field: 'source.connectionId', message: `no connection "${def.source.connectionId}"` });
  else {
    const c = getConnector(source.connectorId);
    check.source = { connectorId: source.connectorId, name: c.name };
    if (!c.capabilities.pull.includes(def.source.stream)) {
      check.errors.push({ field: 'source.stream', message: c.capabilities.pull.length ? `${c.name} has no stream "${def.source.stream}" (streams: ${c.capabilities.pull.join(', ')})` : `${c.name} is not a source: it cannot be pulled` });
    }
  }
  const destination = await store.get(def.destination.connectionId);
  let messageSchema: ZodType | undefined;
  if (!destination) check.errors.push({ field: 'destination.connectionId', message: `no connection "${def.destination.connectionId}"` });
  else {
    const c = getConnector(destination.connectorId);
    const executor = getExecutor(destination.connectorId);
    if (!c.capabilities.send || !executor.send) check.errors.push({ field: 'destination.connectionId', message: `${c.name} cannot receive records (it is not a destination)` });
    const batch = c.capabilities.batch && executor.sendBatch ? { maxItems: c.capabilities.batch.maxItems, endpoint: c.capabilities.batch.endpoint } : null;
    if (def.batchSize !== undefined && batch && def.batchSize > batch.maxItems) {
      check.errors.push({ field: 'batchSize', message: `${c.name}'s ${batch.endpoint} takes at most ${batch.maxItems} messages per call` });
    }
    if (def.batchSize !== undefined && !batch) check.warnings.push(`${c.name} has no batch endpoint: each record is one call, and --batch-size is ignored`);
    check.destination = {
      connectorId: destination.connectorId,
      name: c.name,
      batch,
      itemsPerCall: batch ? Math.min(def.batchSize ?? batch.maxItems, batch.maxItems) : 1,
      dedup: c.idempotency.supported,
      ...(c.idempotency.via ? { dedupVia: c.idempotency.via } : {}),
    };
    messageSchema = (executor as { messageSchema?: ZodType }).messageSchema;
  }

  const mapping = compileExpression(def.mapping, 'mapping');
  const filter = def.filter !== undefined ? compileExpression(def.filter, 'filter') : undefined;
  for (const c of [mapping, filter]) if (c && 'problem' in c) check.errors.push(c.problem);
  if ('problem' in mapping || (filter && 'problem' in filter)) return check;
  await checkSamples(check, def, mapping, filter as CompiledExpression | undefined, messageSchema, samples.records);
  return check;
}

async function checkSamples(check: PipelineCheck, def: PipelineDefinition, mapping: CompiledExpression, filter: CompiledExpression | undefined, schema: ZodType | undefined, records: readonly SourceRecord[]): Promise<void> {
  if (records.length === 0) {
    check.warnings.push('no sample records to check the mapping against (the stream has no stored records yet): only its syntax was checked; pass --sample <file.json> to check it against records');
    return;
  }
  // Fields the expressions read that no sample has: a typo, most of the time.
  for (const [what, expr] of [['mapping', mapping], ['filter', filter]] as const) {
    if (!expr) continue;
    for (const path of pathsRead(expr)) {
      if (!records.some((r) => hasPath(r.data, path))) check.warnings.push(`the ${what} reads "${path}", which none of the ${records.length} sample records has`);
    }
  }
  const byField = new Map<string, { message: string; records: string[] }>();
  const note = (field: string, message: string, recordId: string) => {
    const entry = byField.get(`${field}\u0000${message}`) ?? { message, records: [] };
    entry.records.push(recordId);
    byField.set(`${field}\u0000${message}`, entry);
  };
  for (const r of records) {
    const ctx = { recordId: r.id, updatedAt: r.updatedAt ?? null, connectionId: def.source.connectionId, stream: def.source.stream };
    if (filter) {
      const f = await evaluate(filter, r.data, ctx);
      if (!f.ok) {
        note('filter', f.reason, r.id);
        continue;
      }
      if (!passes(f.value)) {
        check.samples.filteredOut++;
        continue;
      }
    }
    const m = await evaluate(mapping, r.data, ctx);
    if (!m.ok) {
      note('mapping', m.reason, r.id);
      continue;
    }
    if (m.value === undefined || m.value === null) {
      note('mapping', 'gives no message for this record', r.id);
      continue;
    }
    if (schema) {
      const parsed = schema.safeParse(m.value);
      if (!parsed.success) {
        for (const i of parsed.error.issues.slice(0, 5)) note(`message.${i.path.join('.') || '(root)'}`, i.message, r.id);
        continue;
      }
    }
    check.samples.mapped++;
    check.samples.example ??= m.value;
  }
  for (const [key, v] of byField) {
    const field = key.split('\u0000')[0]!;
    const which = v.records.length === records.length ? `all ${records.length} sample records` : `${v.records.length} of ${records.length} sample records (e.g. ${v.records.slice(0, 3).join(', ')})`;
    check.errors.push({ field, message: `${v.message} — ${which}` });
  }
}
