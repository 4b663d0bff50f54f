// A pipeline's filter and mapping are JSONata expressions (https://docs.jsonata.org), evaluated
// against each source record's data (the provider's record, as the sink stores it). JSONata is a
// maintained query and transformation language for JSON; we add no language of our own.
//
//   mapping:  { "type": "track", "event": "Order Placed", "userId": email,
//               "properties": { "order_id": $string(id), "total": $number(total_price) } }
//   filter:   financial_status = "paid"
//
// Besides the record's fields, expressions see $recordId, $updatedAt, $connectionId and $stream.
// Every evaluation is bounded (time, stack depth, sequence length): a mapping that loops, or a
// record that makes it explode, fails that record (dead, with the reason) instead of the worker.
import jsonata from 'jsonata';
import { canonicalJson } from '../core/canonical-json.js';

/** Bounds of one evaluation (jsonata's own guardrails). */
export const EVALUATION_LIMITS = { timeout: 200, stack: 400, sequence: 100_000 } as const;
/** Longest expression accepted (characters). */
export const MAX_EXPRESSION_CHARS = 20_000;
/** Largest mapped message (bytes of JSON): larger than any destination accepts in one call. */
export const MAX_MESSAGE_BYTES = 1_048_576;

export interface ExpressionProblem {
  /** "mapping" or "filter". */
  field: string;
  message: string;
}

interface JsonataError {
  code?: string;
  position?: number;
  token?: string;
  message?: string;
}

/**
 * "line 2, column 14" of the token an error is about. JSONata gives the offset just after the token,
 * so the token's own length is taken back off.
 */
function where(text: string, position: number | undefined, token?: string): string {
  if (position === undefined || position < 0) return '';
  if (token === '(end)') return ' (at the end)';
  // A string token is reported without its quotes.
  const length = typeof token === 'string' ? token.length : 1;
  const start = Math.max(0, position - length - (text[position - 1] === '"' ? 2 : 0));
  const before = text.slice(0, start);
  const line = before.split('\n').length;
  const column = start - before.lastIndexOf('\n');
  return ` (near line ${line}, column ${column})`;
}

function describe(err: unknown, text?: string): string {
  const e = err as JsonataError;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return `${message}${text !== undefined ? where(text, e?.position, e?.token) : ''}${e?.code ? ` [${e.code}]` : ''}`;
}

export interface CompiledExpression {
  text: string;
  field: 'mapping' | 'filter';
  expression: jsonata.Expression;
}

/** Parses an expression; a syntax error names the field and the line and column. */
export function compileExpression(text: string, field: 'mapping' | 'filter'): CompiledExpression | { problem: ExpressionProblem } {
  if (typeof text !== 'string' || text.trim() === '') return { problem: { field, message: `the ${field} is empty` } };
  if (text.length > MAX_EXPRESSION_CHARS) return { problem: { field, message: `the ${field} is ${text.length} characters long (at most ${MAX_EXPRESSION_CHARS})` } };
  try {
    return { text, field, expression: jsonata(text, { ...EVALUATION_LIMITS }) };
  } catch (err) {
    return { problem: { field, message: `not a valid JSONata expression: ${describe(err, text)}` } };
  }
}

export interface RecordContext {
  recordId: string;
  updatedAt: string | null;
  connectionId: string;
  stream: string;
}

/**
 * JSONata results can be its own sequence arrays and may hold undefined or functions: turn them into
 * plain JSON data, as a destination receives it.
 */
function plain(value: unknown): unknown {
  if (value === undefined) return undefined;
  return JSON.parse(canonicalJson(value)) as unknown;
}

export type Evaluation = { ok: true; value: unknown } | { ok: false; reason: string };

export async function evaluate(compiled: CompiledExpression, data: unknown, ctx: RecordContext): Promise<Evaluation> {
  try {
    const value = await compiled.expression.evaluate(data, {
      recordId: ctx.recordId,
      updatedAt: ctx.updatedAt,
      connectionId: ctx.connectionId,
      stream: ctx.stream,
    });
    return { ok: true, value: plain(value) };
  } catch (err) {
    return { ok: false, reason: `${compiled.field} failed: ${describe(err, compiled.text)}` };
  }
}

/** JSONata truthiness for a filter: false, null, undefined, 0, "" and empty arrays skip the record. */
export function passes(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(passes);
  return Boolean(value);
}

/**
 * The record paths an expression reads (`customer.email`, `line_items.price`), from its syntax tree:
 * the leading field names of each path, with paths inside a step's filter read relative to that step.
 * Used for warnings ("no sample record has customer.emial"), so approximate is good enough.
 */
export function pathsRead(compiled: CompiledExpression): string[] {
  const out = new Set<string>();
  const visit = (node: unknown, prefix: string[]): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const n of node) visit(n, prefix);
      return;
    }
    const n = node as Record<string, unknown> & { type?: string; value?: unknown; steps?: unknown[] };
    if (n.type === 'path' && Array.isArray(n.steps)) {
      const names: string[] = [];
      for (const step of n.steps as (Record<string, unknown> & { type?: string; value?: unknown })[]) {
        if (step?.type === 'name' && typeof step.value === 'string') {
          names.push(step.value);
          for (const [k, v] of Object.entries(step)) if (k !== 'value' && typeof v === 'object') visit(v, [...prefix, ...names]);
        } else {
          visit(step, [...prefix, ...names]);
          break;
        }
      }
      // `undefined` is JSONata's idiom for "no value" (a path that matches nothing), not a field.
      if (names.length && !(names.length === 1 && names[0] === 'undefined')) out.add([...prefix, ...names].join('.'));
      return;
    }
    if (n.type === 'name' && typeof n.value === 'string') out.add([...prefix, n.value].join('.'));
    for (const [k, v] of Object.entries(n)) if (k !== 'value' && typeof v === 'object') visit(v, prefix);
  };
  visit(compiled.expression.ast(), []);
  return [...out];
}

/** Whether `path` (dotted) reaches a value in `data`, looking through arrays as JSONata does. */
export function hasPath(data: unknown, path: string): boolean {
  let current: unknown[] = [data];
  for (const key of path.split('.')) {
    const next: unknown[] = [];
    for (const c of current) {
      const items = Array.isArray(c) ? c : [c];
      for (const item of items) {
        if (item && typeof item === 'object' && !Array.isArray(item) && Object.hasOwn(item, key)) next.push((item as Record<string, unknown>)[key]);
      }
    }
    if (next.length === 0) return false;
    current = next;
  }
  return true;
}
