// Inline secrets encrypted at rest: AES-256-GCM with keys from the environment.
//
//   PIPELINE_SECRETS_KEYS    kid1:<base64 of 32 bytes>,kid2:<base64 of 32 bytes>
//   PIPELINE_SECRETS_KEY_ID  the key new values are encrypted with (default: the first listed)
//
// Stored form: enc:v1:<kid>:<base64 iv>:<base64 ciphertext+tag>. The connection id and field name are
// the additional authenticated data, so a value copied into another field or connection does not
// decrypt. Keys that are listed but not active still decrypt: rotation is "add a new key, make it
// active, re-encrypt (rotateSecrets), then drop the old key".
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { isEncryptedSecret } from '../core/secret-ref.js';

const VERSION = 'v1';
const IV_BYTES = 12; // the GCM standard nonce size
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9_.-]{1,32}$/;

/** Where an encrypted value belongs; bound into the ciphertext. */
export interface SecretSlot {
  connectionId: string;
  field: string;
}

export type SecretBoxFailure = 'malformed' | 'unknown_key' | 'tampered';

/** Decryption failed. The message never contains the value or any key. */
export class SecretBoxError extends Error {
  constructor(
    message: string,
    readonly reason: SecretBoxFailure,
    readonly keyId?: string,
  ) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

function aad(slot: SecretSlot): Buffer {
  // NUL cannot occur in a connection id or a field name, so the parts cannot run into each other.
  return Buffer.from(`pipeline-connection-secret\0${VERSION}\0${slot.connectionId}\0${slot.field}`, 'utf8');
}

export class SecretBox {
  private readonly keys: ReadonlyMap<string, Buffer>;

  constructor(
    keys: ReadonlyMap<string, Buffer> | Record<string, Buffer>,
    readonly activeKeyId: string,
  ) {
    const map = new Map(keys instanceof Map ? keys : Object.entries(keys));
    for (const [id, key] of map) {
      if (!KEY_ID.test(id)) throw new Error(`Secret key id "${id}" is invalid: use 1-32 letters, digits, ".", "_" or "-"`);
      if (key.length !== KEY_BYTES) throw new Error(`Secret key "${id}" must be ${KEY_BYTES} bytes, not ${key.length}`);
    }
    if (!map.has(activeKeyId)) throw new Error(`The active secret key id "${activeKeyId}" is not among the configured keys (${[...map.keys()].join(', ')})`);
    this.keys = map;
  }

  /**
   * Parses `kid1:<base64>,kid2:<base64>`. Errors name the entry, never its key material.
   */
  static parse(keysText: string, activeKeyId?: string): SecretBox {
    const keys = new Map<string, Buffer>();
    const entries = keysText.split(',').map((e) => e.trim()).filter(Boolean);
    if (entries.length === 0) throw new Error('PIPELINE_SECRETS_KEYS is empty: give kid:<base64 of 32 bytes>[,kid2:...]');
    entries.forEach((entry, i) => {
      const colon = entry.indexOf(':');
      const id = colon > 0 ? entry.slice(0, colon) : '';
      const b64 = colon > 0 ? entry.slice(colon + 1).trim() : '';
      if (!KEY_ID.test(id)) {
        throw new Error(`PIPELINE_SECRETS_KEYS entry ${i + 1} must be <key id>:<base64 of 32 bytes>, with a key id of 1-32 letters, digits, ".", "_" or "-"`);
      }
      const key = /^[A-Za-z0-9+/_-]+={0,2}$/.test(b64) ? Buffer.from(b64, 'base64') : Buffer.alloc(0);
      if (key.length !== KEY_BYTES) {
        throw new Error(`PIPELINE_SECRETS_KEYS key "${id}" must be the base64 of exactly ${KEY_BYTES} random bytes (e.g. \`openssl rand -base64 32\`)`);
      }
      if (keys.has(id)) throw new Error(`PIPELINE_SECRETS_KEYS lists key "${id}" twice`);
      keys.set(id, key);
    });
    return new SecretBox(keys, activeKeyId || keys.keys().next().value!);
  }

  /** A fresh key in the PIPELINE_SECRETS_KEYS format (for set-up scripts and tests). */
  static generateKey(): string {
    return randomBytes(KEY_BYTES).toString('base64');
  }

  hasKey(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  encrypt(plaintext: string, slot: SecretSlot): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.activeKeyId)!, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(slot));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `enc:${VERSION}:${this.activeKeyId}:${iv.toString('base64')}:${body.toString('base64')}`;
  }

  decrypt(value: string, slot: SecretSlot): string {
    const parts = parse(value);
    const key = this.keys.get(parts.keyId);
    if (!key) throw new SecretBoxError(`it is encrypted with key "${parts.keyId}", which is not configured`, 'unknown_key', parts.keyId);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, parts.iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(aad(slot));
      decipher.setAuthTag(parts.body.subarray(parts.body.length - TAG_BYTES));
      return Buffer.concat([decipher.update(parts.body.subarray(0, parts.body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError(
        `it does not decrypt with key "${parts.keyId}": it was altered, or it was encrypted for another connection or field`,
        'tampered',
        parts.keyId,
      );
    }
  }

  /** Re-encrypts under the active key when the value is under another one; otherwise returns it as is. */
  reencrypt(value: string, slot: SecretSlot): string {
    if (keyIdOf(value) === this.activeKeyId) return value;
    return this.encrypt(this.decrypt(value, slot), slot);
  }
}

/** The key id an encrypted value names, or null when the value is not one. */
export function keyIdOf(value: unknown): string | null {
  return isEncryptedSecret(value) ? value.split(':')[2]! : null;
}

function parse(value: string): { keyId: string; iv: Buffer; body: Buffer } {
  if (!isEncryptedSecret(value)) throw new SecretBoxError('it is not a value of the form enc:v1:<kid>:<iv>:<data>', 'malformed');
  const [, , keyId, ivB64, bodyB64] = value.split(':') as [string, string, string, string, string];
  const iv = Buffer.from(ivB64, 'base64');
  const body = Buffer.from(bodyB64, 'base64');
  if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new SecretBoxError('it is truncated or malformed', 'malformed', keyId);
  return { keyId, iv, body };
}

// Parsing the keys on every store write or activity would be cheap but pointless: keep the last one.
let cached: { text: string; activeKeyId: string; box: SecretBox } | null = null;

/**
 * The secret box of this process's configuration, or null when PIPELINE_SECRETS_KEYS is not set
 * (then inline secrets are refused and only references can be stored). Throws on a malformed value.
 */
export function secretBoxFromEnv(env: NodeJS.ProcessEnv = process.env): SecretBox | null {
  const text = env.PIPELINE_SECRETS_KEYS?.trim() ?? '';
  if (text === '') return null;
  const activeKeyId = env.PIPELINE_SECRETS_KEY_ID?.trim() ?? '';
  if (cached && cached.text === text && cached.activeKeyId === activeKeyId) return cached.box;
  let box: SecretBox;
  try {
    box = SecretBox.parse(text, activeKeyId || undefined);
  } catch (err) {
    // SecretBox's constructor names PIPELINE_SECRETS_KEY_ID's value only, which is not secret.
    const message = (err as Error).message.replace(/^The active secret key id/, 'PIPELINE_SECRETS_KEY_ID');
    throw new Error(message);
  }
  cached = { text, activeKeyId, box };
  return box;
}
