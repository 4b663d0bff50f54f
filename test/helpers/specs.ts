// The providers' official request/response schemas live OUTSIDE the project, in ../shared/specs
// (see its SOURCES.md for provenance and licences). They are read in place, never copied in; when
// the folder is absent the schema tests are skipped with a message saying why.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Where the schemas are: PIPELINE_SPECS_DIR, else ../shared/specs next to the project. */
export const SPECS_DIR = process.env.PIPELINE_SPECS_DIR
  ? path.resolve(process.env.PIPELINE_SPECS_DIR)
  : path.resolve(PROJECT_ROOT, '../shared/specs');

export const specsAvailable = existsSync(SPECS_DIR);

/** A schema file parsed, or null when the folder or the file is missing. */
export function loadSpec(fileName: string): object | null {
  const file = path.join(SPECS_DIR, fileName);
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, 'utf8')) as object;
}

/** Says once, loudly, why a schema suite did not run (call it where the suite is declared). */
export function warnIfSpecsMissing(suite: string): void {
  if (!specsAvailable) {
    console.warn(`${suite} skipped: ../shared/specs not found (provider schemas are not shipped with the project; set PIPELINE_SPECS_DIR to point at them)`);
  }
}

export type SchemaCheck = (data: unknown) => string[];

/** Compiles a JSON Schema 2020-12; the returned function lists the violations (empty when valid). */
export function compileSchema(schema: object): SchemaCheck {
  // The default export is the CommonJS module object under NodeNext typing; `.default` is the class
  // at run time too (ajv sets both).
  // strictRequired off: the specs name properties of the parent schema in `required` inside anyOf /
  // oneOf branches (Twilio's "From or MessagingServiceSid", WhatsApp's flow parameters), which is
  // valid JSON Schema and is how they express "at least one of".
  const ajv = new Ajv2020.default({ strict: true, strictRequired: false, allErrors: true, allowUnionTypes: true });
  addFormats.default(ajv);
  // Stripe's own format for epoch seconds.
  ajv.addFormat('unix-time', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  // Twilio's format for addresses: an E.164 number, a short code, an alphanumeric sender ID, or a
  // channel address such as whatsapp:+15551234567.
  ajv.addFormat('phone-number', { type: 'string', validate: (s: string) => /^(?:[a-z]+:)?(?:\+[1-9]\d{1,14}|\d{3,8}|[A-Za-z0-9 ]{1,11})$/.test(s) });
  const validate = ajv.compile(schema);
  return (data) => (validate(data) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'invalid'} ${JSON.stringify(e.params)}`));
}

/** The same schema with undeclared top-level properties rejected (SOURCES.md: the specs set none). */
export function closed(schema: object): object {
  return { ...schema, additionalProperties: false };
}

/**
 * A query string in the shape SOURCES.md describes for query-parameter schemas: `a[b]=…`
 * (deepObject) becomes `{a: {b: …}}`, `a[]=…` becomes an array, and numeric strings become integers.
 */
export function queryToObject(params: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const value = (v: string): unknown => (/^-?\d+$/.test(v) ? Number(v) : v);
  for (const [key, raw] of params.entries()) {
    const array = /^([^[\]]+)\[\]$/.exec(key);
    const deep = /^([^[\]]+)\[([^[\]]+)\]$/.exec(key);
    if (array) {
      const list = (out[array[1]!] as unknown[] | undefined) ?? [];
      list.push(value(raw));
      out[array[1]!] = list;
    } else if (deep) {
      const obj = (out[deep[1]!] as Record<string, unknown> | undefined) ?? {};
      obj[deep[2]!] = value(raw);
      out[deep[1]!] = obj;
    } else {
      out[key] = value(raw);
    }
  }
  return out;
}

/**
 * The schema with every object that declares `properties` (and says nothing about extra members)
 * closed, at any depth, in `$defs` too. For specs whose body sits behind a `$ref` (where `closed`
 * would reject everything) or is nested (JSON:API). Free-form objects without `properties` stay open.
 */
export function closedDeep<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map((s) => closedDeep(s)) as T;
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema as Record<string, unknown>)) {
    // `properties` maps names to schemas: recurse into each schema, never treat the map as one.
    out[k] = k === 'properties' && v && typeof v === 'object'
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([name, s]) => [name, closedDeep(s)]))
      : closedDeep(v);
  }
  if ('properties' in out && !('additionalProperties' in out)) out.additionalProperties = false;
  return out as T;
}
