// Validation of a pipeline definition before it is stored (shape, ids, expressions that parse). Whether
// its connections exist and fit (a source that can pull the stream, a destination that can send, a
// mapping that yields valid messages for sample records) is checked by check.ts, which needs the store.
import { z } from 'zod';
import { CONNECTION_ID_PATTERN } from '../connections/types.js';
import { compileExpression, MAX_EXPRESSION_CHARS } from './mapping.js';
import { PipelineError, type PipelineDefinition } from './types.js';

const connectionId = z.string().regex(CONNECTION_ID_PATTERN, 'not a connection id (1-63 lower-case letters, digits, "-" or "_")');

const definitionSchema = z.strictObject({
  id: z.string().regex(CONNECTION_ID_PATTERN, 'use 1-63 lower-case letters, digits, "-" or "_", starting with a letter or digit'),
  source: z.strictObject({
    connectionId,
    stream: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'not a stream name'),
    from: z.enum(['pull', 'stored']).default('pull'),
  }),
  filter: z.string().max(MAX_EXPRESSION_CHARS).optional(),
  mapping: z.string().max(MAX_EXPRESSION_CHARS),
  destination: z.strictObject({ connectionId }),
  batchSize: z.number().int().min(1).max(10_000).optional(),
  pageSize: z.number().int().min(1).max(1_000).optional(),
  note: z.string().max(500).optional(),
});

export function validatePipelineDefinition(input: unknown): PipelineDefinition {
  // A stored record (with its timestamps) may be handed back to put(): the timestamps are the store's.
  let candidate = input;
  if (candidate && typeof candidate === 'object' && !Array.isArray(candidate)) {
    const { createdAt: _c, updatedAt: _u, ...rest } = candidate as Record<string, unknown>;
    candidate = rest;
  }
  const parsed = definitionSchema.safeParse(candidate);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ field: i.path.length ? i.path.join('.') : 'pipeline', message: i.message }));
    throw new PipelineError(`Invalid pipeline: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, 'invalid_config', issues);
  }
  const def = parsed.data as PipelineDefinition;
  if (def.filter !== undefined && def.filter.trim() === '') delete def.filter;
  const problems = [compileExpression(def.mapping, 'mapping'), ...(def.filter !== undefined ? [compileExpression(def.filter, 'filter')] : [])]
    .filter((c): c is { problem: { field: string; message: string } } => 'problem' in c)
    .map((c) => c.problem);
  if (problems.length) {
    throw new PipelineError(`Invalid pipeline "${def.id}": ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, 'invalid_config', problems);
  }
  return def;
}
