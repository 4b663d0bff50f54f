// AES-256-GCM payload codec (DESIGN.md §5 "Secrets and PII"): every payload the SDK sends to the
// server — workflow arguments, results, activity inputs/outputs, signals, queries, memos — is
// encrypted, so message texts and pulled records never sit in plaintext in history.
//
// Wire format, the same as Temporal's Go and Python encryption samples: the whole serialized Payload
// proto (so its metadata, e.g. `encoding: json/plain`, is hidden too) is encrypted; the new payload has
// metadata `encoding: binary/encrypted` and `encryption-key-id: <kid>`, and data
// `iv (12 bytes) || ciphertext || GCM tag (16 bytes)`.
//
// Keys carry ids so they can rotate: new payloads use the active key, and any configured key still
// decodes what was written under it. Drop an old key only once no history still needs it.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type DataConverter, type Payload, type PayloadCodec } from '@temporalio/common';
// A CommonJS package: Node's ESM loader only exposes its `module.exports` as the default export.
import protos from '@temporalio/proto';

const PayloadProto = protos.temporal.api.common.v1.Payload;

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const METADATA_KEY_ID = 'encryption-key-id';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
// Key ids travel in payload metadata and in environment variables separated by ':' and ','.
const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** A payload that cannot be decrypted or a codec that cannot be built. Messages never hold key material. */
export class PayloadCodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadCodecError';
  }
}

export interface AesGcmCodecOptions {
  /** Key id → 32-byte key. */
  keys: ReadonlyMap<string, Buffer>;
  /** Id of the key new payloads are encrypted with. */
  activeKeyId: string;
}

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b).toString('utf8') : undefined);

export class AesGcmCodec implements PayloadCodec {
  private readonly keys: ReadonlyMap<string, Buffer>;
  readonly activeKeyId: string;

  constructor(opts: AesGcmCodecOptions) {
    for (const [kid, key] of opts.keys) {
      if (!KEY_ID_PATTERN.test(kid)) throw new PayloadCodecError(`Encryption key id "${kid.slice(0, 64)}" is invalid: use 1-64 letters, digits, '.', '_' or '-'`);
      if (key.length !== KEY_BYTES) throw new PayloadCodecError(`Encryption key "${kid}" is ${key.length} bytes; AES-256 needs exactly ${KEY_BYTES}`);
    }
    if (!opts.keys.has(opts.activeKeyId)) {
      throw new PayloadCodecError(`Active encryption key id "${opts.activeKeyId}" is not among the configured keys (${[...opts.keys.keys()].join(', ') || 'none'})`);
    }
    // Copies, so a caller reusing its buffers cannot change the keys under a running worker.
    this.keys = new Map([...opts.keys].map(([kid, key]) => [kid, Buffer.from(key)]));
    this.activeKeyId = opts.activeKeyId;
  }

  /** Ids of the keys this codec can decrypt with. */
  keyIds(): string[] {
    return [...this.keys.keys()];
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.keys.get(this.activeKeyId)!;
    return payloads.map((payload) => {
      const plain = PayloadProto.encode(payload).finish();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { [METADATA_ENCODING_KEY]: utf8(ENCRYPTED_ENCODING), [METADATA_KEY_ID]: utf8(this.activeKeyId) },
        data,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decodeOne(payload));
  }

  private decodeOne(payload: Payload): Payload {
    // Payloads written before encryption was turned on (or by a client without it) pass through.
    if (text(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return payload;
    const kid = text(payload.metadata?.[METADATA_KEY_ID]);
    if (!kid) throw new PayloadCodecError(`Cannot decrypt payload: it has no "${METADATA_KEY_ID}" metadata`);
    const key = this.keys.get(kid);
    if (!key) {
      throw new PayloadCodecError(
        `Cannot decrypt payload: encryption key "${kid.slice(0, 64)}" is not configured (configured: ${this.keyIds().join(', ')}); add it to PIPELINE_CODEC_KEYS`,
      );
    }
    const data = payload.data ?? new Uint8Array();
    if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadCodecError(`Cannot decrypt payload under key "${kid}": data is too short (${data.length} bytes)`);
    const iv = data.subarray(0, IV_BYTES);
    const tag = data.subarray(data.length - TAG_BYTES);
    const sealed = data.subarray(IV_BYTES, data.length - TAG_BYTES);
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAuthTag(tag);
      plain = Buffer.concat([decipher.update(sealed), decipher.final()]);
    } catch {
      // Node's message ("unable to authenticate data") says nothing useful; ours names the key id only.
      throw new PayloadCodecError(`Cannot decrypt payload under key "${kid}": authentication failed (the data was altered, or the key with this id is not the one it was encrypted with)`);
    }
    try {
      return PayloadProto.decode(plain);
    } catch {
      throw new PayloadCodecError(`Decrypted payload under key "${kid}" is not a valid Payload`);
    }
  }
}

/**
 * The codec configured in the environment, or undefined when encryption is off:
 * - `PIPELINE_CODEC_KEYS`: `kid1:<base64 of 32 bytes>,kid2:<...>` (e.g. `openssl rand -base64 32`);
 * - `PIPELINE_CODEC_KEY_ID`: the active key id (default: the first key listed).
 */
export function loadCodecFromEnv(env: NodeJS.ProcessEnv = process.env): AesGcmCodec | undefined {
  const raw = env.PIPELINE_CODEC_KEYS?.trim();
  const active = env.PIPELINE_CODEC_KEY_ID?.trim();
  if (!raw) {
    // Fail closed: a key id without keys is a half-done configuration, not a request for plaintext.
    if (active) throw new PayloadCodecError('PIPELINE_CODEC_KEY_ID is set but PIPELINE_CODEC_KEYS is empty');
    return undefined;
  }
  const keys = new Map<string, Buffer>();
  const entries = raw.split(',').map((e) => e.trim()).filter(Boolean);
  entries.forEach((entry, index) => {
    const colon = entry.indexOf(':');
    const kid = colon > 0 ? entry.slice(0, colon).trim() : '';
    const b64 = colon > 0 ? entry.slice(colon + 1).trim() : '';
    // Errors name the entry by position and id only: the value is the secret.
    if (!kid || !b64) throw new PayloadCodecError(`PIPELINE_CODEC_KEYS entry ${index + 1} is not of the form <key id>:<base64 key>`);
    if (!KEY_ID_PATTERN.test(kid)) throw new PayloadCodecError(`PIPELINE_CODEC_KEYS entry ${index + 1}: key id must be 1-64 letters, digits, '.', '_' or '-'`);
    if (keys.has(kid)) throw new PayloadCodecError(`PIPELINE_CODEC_KEYS lists key id "${kid}" twice`);
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(b64)) throw new PayloadCodecError(`PIPELINE_CODEC_KEYS key "${kid}" is not base64`);
    const key = Buffer.from(b64, 'base64');
    if (key.length !== KEY_BYTES) {
      throw new PayloadCodecError(`PIPELINE_CODEC_KEYS key "${kid}" is ${key.length} bytes; AES-256 needs exactly ${KEY_BYTES} (generate one with \`openssl rand -base64 32\`)`);
    }
    keys.set(kid, key);
  });
  if (keys.size === 0) throw new PayloadCodecError('PIPELINE_CODEC_KEYS lists no keys');
  const activeKeyId = active || [...keys.keys()][0]!;
  if (!keys.has(activeKeyId)) {
    throw new PayloadCodecError(`PIPELINE_CODEC_KEY_ID "${activeKeyId}" is not among the keys in PIPELINE_CODEC_KEYS (${[...keys.keys()].join(', ')})`);
  }
  return new AesGcmCodec({ keys, activeKeyId });
}

/** `{ payloadCodecs: [codec] }` for clients and workers, or undefined when no keys are configured. */
export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): DataConverter | undefined {
  const codec = loadCodecFromEnv(env);
  return codec ? { payloadCodecs: [codec] } : undefined;
}
