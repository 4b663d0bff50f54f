// Secret references: a stored connection config may hold `env:NAME` or `file:/path` instead of the
// secret itself. Only the worker resolves them, right before a call, so that configs on disk, in the
// client and in Temporal never need the secret.
//
// A stored config may also hold a secret encrypted at rest (`enc:v1:<kid>:<iv>:<ciphertext+tag>`,
// see src/connections/secret-box.ts). That is not the secret either: like a reference, only the
// worker turns it into the value, so the checks below treat both as "not an inline secret".

const REF = /^(env):([A-Za-z_][A-Za-z0-9_]*)$|^(file):(\/.+)$/;

/** The shape of an encrypted value; whether it decrypts is the secret box's business. */
const ENCRYPTED = /^enc:v1:[A-Za-z0-9_.-]{1,32}:[A-Za-z0-9+/]+={0,2}:[A-Za-z0-9+/]+={0,2}$/;

export type SecretRef = { kind: 'env'; name: string } | { kind: 'file'; path: string };

export function parseSecretRef(value: unknown): SecretRef | null {
  if (typeof value !== 'string') return null;
  const m = REF.exec(value);
  if (!m) return null;
  if (m[1] === 'env') return { kind: 'env', name: m[2]! };
  return { kind: 'file', path: m[4]! };
}

/**
 * What is wrong with a value that starts like a reference (`env:`, `file:`) but is not a usable one,
 * or null when it is a reference or does not look like one. Such a value must never be taken for
 * the secret itself (stored, encrypted or sent as is).
 */
export function secretRefProblem(value: unknown): string | null {
  if (typeof value !== 'string' || parseSecretRef(value) !== null) return null;
  if (value.startsWith('env:')) {
    const name = value.slice('env:'.length);
    if (name.trim() === '') return '"env:" names no environment variable: write env:NAME, e.g. env:SHOPIFY_TOKEN';
    return `"env:${name.slice(0, 64)}" is not an environment variable name: use letters, digits and "_", not starting with a digit (e.g. env:SHOPIFY_TOKEN)`;
  }
  if (value.startsWith('file:')) {
    const path = value.slice('file:'.length);
    if (path.trim() === '' || path === '/') return '"file:" names no file: write file:/absolute/path, e.g. file:/run/secrets/token';
    return `"file:${path.slice(0, 200)}" is a relative path: give an absolute one such as file:/run/secrets/token (the worker that reads it may run in another directory)`;
  }
  return null;
}

export function isEncryptedSecret(value: unknown): value is string {
  return typeof value === 'string' && ENCRYPTED.test(value);
}

/**
 * True when a secret field holds something other than the secret itself: a reference or an
 * encrypted value. Either way it still has to be resolved on the worker before a call.
 */
export function isSecretRef(value: unknown): boolean {
  return parseSecretRef(value) !== null || isEncryptedSecret(value);
}
