// The options of `pipeline trigger`, typed by the executor that takes them. Each reverse-ETL executor
// declares its trigger options as a zod schema (`export const triggerOptions` in
// src/executors/<connector>.ts); the command reads the declared type of each option from that
// schema, so that `--set fullResync=true` is a boolean, `--set rowLimit=10` a number and
// `--set parameters='[...]'` an array, and a value that does not fit is refused before anything
// starts. There is one source of truth: the schema the executor validates with.
import { z } from 'zod';
import { CliError, parseAssignments } from './output.js';
import { didYouMean } from './suggest.js';

type JsonType = 'boolean' | 'integer' | 'number' | 'string' | 'object' | 'array' | 'null';

export interface TriggerOptionSpec {
  name: string;
  /** The JSON types the option accepts; empty when the schema does not say (any JSON value). */
  types: JsonType[];
  required: boolean;
}

// Loaded on demand: the other commands do not need the executors.
const EXECUTORS: Record<string, () => Promise<unknown>> = {
  fivetran: () => import('../executors/fivetran.js'),
  hightouch: () => import('../executors/hightouch.js'),
  census: () => import('../executors/census.js'),
  databricks: () => import('../executors/databricks.js'),
};

/** The zod schema a connector's executor validates trigger options with; null when it exports none. */
export async function triggerOptionsSchema(connectorId: string): Promise<z.ZodObject | null> {
  const load = EXECUTORS[connectorId];
  if (!load) return null;
  const schema = ((await load()) as Record<string, unknown>).triggerOptions;
  return schema instanceof z.ZodObject ? schema : null;
}

interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
}

function typesOf(s: JsonSchema | undefined): JsonType[] {
  if (!s) return [];
  const out = new Set<JsonType>();
  const add = (t: unknown) => {
    if (typeof t === 'string') out.add(t as JsonType);
  };
  if (Array.isArray(s.type)) s.type.forEach(add);
  else add(s.type);
  for (const v of [...(s.enum ?? []), ...('const' in s ? [s.const] : [])]) {
    add(v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? 'number' : typeof v);
  }
  for (const sub of [...(s.anyOf ?? []), ...(s.oneOf ?? [])]) {
    const t = typesOf(sub);
    if (t.length === 0) return []; // one member takes anything: so does the option
    t.forEach(add);
  }
  return [...out];
}

/** Each option's name, accepted types and whether it is required, read from the schema. */
export function describeTriggerOptions(schema: z.ZodObject): TriggerOptionSpec[] {
  const json = z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' }) as JsonSchema;
  const required = new Set(json.required ?? []);
  return Object.entries(json.properties ?? {}).map(([name, prop]) => ({ name, types: typesOf(prop), required: required.has(name) }));
}

const WORDS: Record<JsonType, string> = {
  boolean: 'a boolean (true or false)',
  integer: 'a whole number',
  number: 'a number',
  string: 'text',
  object: 'a JSON object ({...})',
  array: 'a JSON array ([...])',
  null: 'null',
};

/** "a boolean (true or false)", "a number or text", ... */
export function typeWords(types: readonly JsonType[]): string {
  if (types.length === 0) return 'any JSON value';
  const t = types.includes('integer') && types.includes('number') ? types.filter((x) => x !== 'integer') : types;
  return t.map((x) => WORDS[x]).join(' or ');
}

const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

function parseJson(raw: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch {
    return { ok: false };
  }
}

/** A `--set` value read as the option's declared type, or why it does not fit. */
export function coerceOptionValue(spec: TriggerOptionSpec, raw: string): { value: unknown } | { problem: string } {
  const t = new Set(spec.types);
  if (t.size === 0) {
    const parsed = parseJson(raw);
    return { value: parsed.ok ? parsed.value : raw };
  }
  if (t.has('boolean') && (raw === 'true' || raw === 'false')) return { value: raw === 'true' };
  if ((t.has('number') || t.has('integer')) && NUMBER.test(raw.trim())) {
    const n = Number(raw.trim());
    if (t.has('number') || Number.isInteger(n)) return { value: n };
  }
  if (t.has('null') && raw === 'null') return { value: null };
  if ((t.has('object') || t.has('array')) && /^\s*[[{]/.test(raw)) {
    const parsed = parseJson(raw);
    if (parsed.ok) {
      const v = parsed.value;
      if (Array.isArray(v) ? t.has('array') : v !== null && typeof v === 'object' && t.has('object')) return { value: v };
    } else if (!t.has('string')) {
      return { problem: `${spec.name} takes ${typeWords(spec.types)}, and "${raw.slice(0, 80)}" is not valid JSON` };
    }
  }
  if (t.has('string')) return { value: raw };
  return { problem: `${spec.name} takes ${typeWords(spec.types)}, not "${raw.slice(0, 80)}"` };
}

/**
 * The options to trigger with: those of the --options file, then each `--set key=value` read as its
 * declared type; the whole is checked against the executor's schema. Anything that does not fit
 * throws a CliError naming the option and what it takes, before anything has started.
 */
export async function buildTriggerOptions(
  connectorId: string,
  provider: string,
  fromFile: Record<string, unknown>,
  assignments: readonly string[],
): Promise<Record<string, unknown>> {
  const pairs = parseAssignments(assignments);
  const schema = await triggerOptionsSchema(connectorId);
  if (!schema) {
    // No declared schema to read types from: JSON literals (true, 10, [...]) as such, the rest as text.
    // The executor still validates them on the worker, and a refusal is reported as a failed trigger.
    const loose: Record<string, unknown> = { ...fromFile };
    for (const [key, raw] of Object.entries(pairs)) {
      const r = coerceOptionValue({ name: key, types: [], required: false }, raw);
      loose[key] = 'value' in r ? r.value : raw;
    }
    return loose;
  }
  const specs = describeTriggerOptions(schema);
  const byName = new Map(specs.map((s) => [s.name, s]));
  const known = specs.length ? `Its options: ${specs.map((s) => `${s.name} (${typeWords(s.types)}${s.required ? ', required' : ''})`).join(', ')}.` : `It takes no options.`;
  const options: Record<string, unknown> = { ...fromFile };
  for (const key of [...Object.keys(fromFile), ...Object.keys(pairs)]) {
    if (!byName.has(key)) throw new CliError(`${provider} has no trigger option "${key}".${didYouMean(key, byName.keys())} ${known}`);
  }
  for (const [key, raw] of Object.entries(pairs)) {
    const r = coerceOptionValue(byName.get(key)!, raw);
    if ('problem' in r) throw new CliError(`--set ${key}=${raw.slice(0, 80)}: ${provider} option ${r.problem}. Nothing was triggered.`);
    options[key] = r.value;
  }
  const parsed = schema.safeParse(options);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.length ? i.path.join('.') : '(options)'}: ${i.message}`);
    throw new CliError(`Invalid ${provider} trigger options (nothing was triggered):\n${lines.join('\n')}\n${known}`);
  }
  return options;
}
