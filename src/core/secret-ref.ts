// Secret references: a stored connection config may hold `env:NAME` or `file:/path` instead of the
// secret itself. Only the worker resolves them, right before a call, so that configs on disk, in the
// client and in Temporal never need the secret.

const REF = /^(env):([A-Za-z_][A-Za-z0-9_]*)$|^(file):(\/.+)$/;

export type SecretRef = { kind: 'env'; name: string } | { kind: 'file'; path: string };

export function parseSecretRef(value: unknown): SecretRef | null {
  if (typeof value !== 'string') return null;
  const m = REF.exec(value);
  if (!m) return null;
  if (m[1] === 'env') return { kind: 'env', name: m[2]! };
  return { kind: 'file', path: m[4]! };
}

export function isSecretRef(value: unknown): boolean {
  return parseSecretRef(value) !== null;
}
