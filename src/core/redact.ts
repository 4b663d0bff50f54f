// Secrets must never reach errors, logs, Temporal history, results or CLI output. Every HTTP call
// names the secrets it carries; every body, header and message derived from the call's answer
// (whatever its status) is passed through here.
import { boundText, cutMarkerPositions } from './limits.js';

export const REDACTED = '[REDACTED]';

// Shorter strings would mangle ordinary text and are not credentials worth hiding anyway.
const MIN_SECRET_LENGTH = 4;

/** The forms in which a secret can appear in a URL, a header or a message. */
function variants(secret: string): string[] {
  const forms = new Set<string>([secret]);
  try {
    forms.add(encodeURIComponent(secret));
  } catch {
    // lone surrogates: keep the raw form only
  }
  forms.add(new URLSearchParams({ x: secret }).toString().slice(2));
  return [...forms];
}

/** Every form to redact, longest first so that a secret containing another is replaced whole. */
function formsOf(secrets: readonly (string | undefined | null)[]): string[] {
  return [...new Set(secrets
    .filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH)
    .flatMap(variants)
    .filter((s) => s.length >= MIN_SECRET_LENGTH))]
    .sort((a, b) => b.length - a.length);
}

function redactWith(text: string, forms: readonly string[]): string {
  let out = text;
  for (const form of forms) if (out.includes(form)) out = out.split(form).join(REDACTED);
  // A text cut short (limits.ts boundText) may end a secret half-way before its cut marker.
  if (forms.length > 0 && out.includes('[cut ')) {
    for (const at of cutMarkerPositions(out).reverse()) {
      const before = out.slice(0, at);
      const partial = forms
        .map((form) => longestPrefixSuffix(before, form))
        .reduce((a, b) => Math.max(a, b), 0);
      if (partial >= MIN_SECRET_LENGTH) out = `${before.slice(0, before.length - partial)}${REDACTED}${out.slice(at)}`;
    }
  }
  return out;
}

/** The length of the longest proper prefix of `form` that `text` ends with. */
function longestPrefixSuffix(text: string, form: string): number {
  for (let n = Math.min(form.length - 1, text.length); n >= MIN_SECRET_LENGTH; n--) {
    if (text.endsWith(form.slice(0, n))) return n;
  }
  return 0;
}

export function redact(text: string, secrets: readonly (string | undefined | null)[]): string {
  return redactWith(text, formsOf(secrets));
}

export interface Redactor {
  /** Whether there is anything to redact at all (some secret long enough). */
  readonly active: boolean;
  /** Whether `raw` contains a secret in one of its forms, as is (not JSON-escaped). */
  found(raw: string): boolean;
  text(s: string): string;
  deep<T>(v: T, opts?: DeepOptions): T;
  /**
   * The same as deep(), but without copying a value that cannot hold a secret: one JSON.stringify
   * and a search instead of a walk (a page of records redacted already by httpRequest costs little).
   */
  deepIfNeeded<T>(v: T): T;
}

// A secret with a character JSON escapes (a quote, a backslash, a control character) may not appear
// verbatim in JSON text: such secrets always take the walk.
// eslint-disable-next-line no-control-regex
const JSON_ESCAPED = /["\\\u0000-\u001f\u2028\u2029]/;

/** A redactor bound to one call's secrets (the forms are computed once). */
export function redactor(secrets: readonly (string | undefined | null)[]): Redactor {
  const forms = formsOf(secrets);
  return {
    active: forms.length > 0,
    found: (raw) => forms.some((f) => raw.includes(f)),
    text: (s) => redactWith(s, forms),
    deep: (v, opts) => redactDeepWith(v, forms, opts),
    deepIfNeeded: <T>(v: T): T => {
      if (forms.length === 0 || v === null || typeof v !== 'object') return redactDeepWith(v, forms);
      if (forms.some((f) => JSON_ESCAPED.test(f))) return redactDeepWith(v, forms);
      let text: string;
      try {
        text = JSON.stringify(v);
      } catch {
        return redactDeepWith(v, forms); // too deep to serialize: the iterative walk copes
      }
      return forms.some((f) => text.includes(f)) ? redactDeepWith(v, forms) : v;
    },
  };
}

export interface DeepOptions {
  /** Cut every string (after redaction) to at most this many characters, with a marker. */
  maxStringChars?: number;
}

/**
 * Redacts every string inside a JSON-like value, object keys included (provider bodies sometimes
 * echo credentials). Iterative, so that a body nested 100 000 levels deep is redacted like any
 * other rather than overflowing the stack; the copy keeps the whole value.
 */
export function redactDeep<T>(value: T, secrets: readonly (string | undefined | null)[], opts?: DeepOptions): T {
  return redactDeepWith(value, formsOf(secrets), opts);
}

function redactDeepWith<T>(value: T, forms: readonly string[], opts: DeepOptions = {}): T {
  const max = opts.maxStringChars;
  const str = (s: string) => {
    const r = forms.length > 0 ? redactWith(s, forms) : s;
    return max !== undefined ? boundText(r, max) : r;
  };
  if (typeof value === 'string') return str(value) as T;
  if (value === null || typeof value !== 'object') return value;
  if (forms.length === 0 && max === undefined) return value;

  // Each container is copied once; its children are filled in from the work stack.
  const copyOf = (v: object): Record<string, unknown> | unknown[] => (Array.isArray(v) ? new Array<unknown>(v.length) : {});
  const root = copyOf(value);
  const stack: [source: object, target: Record<string, unknown> | unknown[]][] = [[value, root]];
  while (stack.length > 0) {
    const [source, target] = stack.pop()!;
    if (Array.isArray(source)) {
      const out = target as unknown[];
      for (let i = 0; i < source.length; i++) out[i] = child(source[i]);
    } else {
      const out = target as Record<string, unknown>;
      for (const [k, v] of Object.entries(source)) {
        // defineProperty: a key "__proto__" stays a plain key instead of replacing the prototype.
        Object.defineProperty(out, str(k), { value: child(v), enumerable: true, writable: true, configurable: true });
      }
    }
  }
  return root as T;

  function child(v: unknown): unknown {
    if (typeof v === 'string') return str(v);
    if (v === null || typeof v !== 'object') return v;
    const copy = copyOf(v);
    stack.push([v, copy]);
    return copy;
  }
}

/** Basic-auth header value; the caller should list both parts and this value among its secrets. */
export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}
