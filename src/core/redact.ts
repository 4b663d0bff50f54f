// Secrets must never reach errors, logs, Temporal history or CLI output. Every HTTP call names the
// secrets it carries; anything derived from the call's failure is passed through here.

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

export function redact(text: string, secrets: readonly (string | undefined | null)[]): string {
  let out = text;
  const forms = secrets
    .filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH)
    .flatMap(variants)
    .filter((s) => s.length >= MIN_SECRET_LENGTH)
    // Longest first so that a secret containing another is replaced whole.
    .sort((a, b) => b.length - a.length);
  for (const form of forms) out = out.split(form).join(REDACTED);
  return out;
}

/** Redacts every string inside a JSON-like value (provider bodies sometimes echo credentials). */
export function redactDeep<T>(value: T, secrets: readonly (string | undefined | null)[]): T {
  if (typeof value === 'string') return redact(value, secrets) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, secrets)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, secrets);
    return out as T;
  }
  return value;
}

/** Basic-auth header value; the caller should list both parts and this value among its secrets. */
export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}
