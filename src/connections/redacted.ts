// How a stored connection is shown to people: its secret fields never as values. The CLI prints
// references as written (env:NAME, file:/path: where the worker finds the secret, not the secret);
// the console tells the browser only whether each secret is set, and how it is kept.
import { isEncryptedSecret, parseSecretRef } from '../core/secret-ref.js';
import { getConnector } from '../registry/index.js';
import type { ConnectionRecord } from './types.js';

/** Whether a secret field holds something, and in what form (never the value, nor the ciphertext). */
export interface SecretStatus {
  set: boolean;
  /** env / file: a reference the worker resolves; encrypted: stored encrypted at rest. */
  via: 'env' | 'file' | 'encrypted' | 'inline' | null;
}

export function secretStatus(value: unknown): SecretStatus {
  if (value === undefined || value === null || value === '') return { set: false, via: null };
  if (isEncryptedSecret(value)) return { set: true, via: 'encrypted' };
  const ref = parseSecretRef(value);
  // "inline" is a plaintext secret stored before validation refused them: still never shown.
  return { set: true, via: ref ? ref.kind : 'inline' };
}

/**
 * How a secret field is shown by the CLI: a reference as written, an encrypted value as
 * "encrypted, set", an inline value as "set", and an absent one as "not set".
 */
export function secretState(value: unknown): string {
  const s = secretStatus(value);
  if (!s.set) return 'not set';
  if (s.via === 'encrypted') return 'encrypted, set';
  if (s.via === 'env' || s.via === 'file') return String(value);
  return 'set';
}

/** What `show` and `list` print: secret values never, their references (names of env vars, paths) yes. */
export function redactedConfig(record: ConnectionRecord): Record<string, unknown> {
  const secrets = getConnector(record.connectorId).secretFields(String(record.config.authMethod));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record.config)) out[k] = secrets.includes(k) ? secretState(v) : v;
  for (const k of secrets) if (!(k in out)) out[k] = 'not set';
  return out;
}
