// The payload codec's promises: nothing readable leaves the process, old keys keep decoding after a
// rotation, and every failure says what is wrong without ever showing a key.
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { describe, expect, test } from 'vitest';
import { AesGcmCodec, dataConverterFromEnv, ENCRYPTED_ENCODING, loadCodecFromEnv, METADATA_KEY_ID, PayloadCodecError } from '../../../src/temporal/codec.js';

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString('utf8');
const json = (v: unknown) => defaultPayloadConverter.toPayload(v);
const value = (p: Payload) => defaultPayloadConverter.fromPayload(p);
const codec = (keys: [string, Buffer][], activeKeyId: string) => new AesGcmCodec({ keys: new Map(keys), activeKeyId });

/** The error thrown, and proof that it holds neither key in any encoding. */
async function failure(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(PayloadCodecError);
  for (const k of [k1, k2]) {
    expect((err as Error).message).not.toContain(k.toString('base64'));
    expect((err as Error).message).not.toContain(k.toString('hex'));
  }
  return err as Error;
}

describe('AesGcmCodec', () => {
  test('round trip: values come back as they went in, and the ciphertext hides them', async () => {
    const c = codec([['k1', k1]], 'k1');
    const inputs = [json({ text: 'secret-launch-codes-4242@example.com' }), json(null), json('x'.repeat(100_000)), json(42)];
    const encoded = await c.encode(inputs);
    expect(encoded).toHaveLength(4);
    for (const p of encoded) {
      expect(text(p.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
      expect(Object.keys(p.metadata ?? {}).sort()).toEqual(['encoding', METADATA_KEY_ID]);
      expect(text(p.data)).not.toContain('secret-launch-codes');
      expect(text(p.data)).not.toContain('json/plain');
    }
    const decoded = await c.decode(encoded);
    expect(decoded.map(value)).toEqual([{ text: 'secret-launch-codes-4242@example.com' }, null, 'x'.repeat(100_000), 42]);
    expect(text(decoded[0]!.metadata?.encoding)).toBe('json/plain');
    expect(await c.encode([])).toEqual([]);
  });

  test('metadata names the active key; a fresh IV makes equal values encrypt differently', async () => {
    const c = codec([['old', k1], ['new', k2]], 'new');
    const [a, b] = await c.encode([json('same'), json('same')]);
    expect(text(a!.metadata?.[METADATA_KEY_ID])).toBe('new');
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
    expect(Buffer.from(a!.data!).subarray(0, 12).equals(Buffer.from(b!.data!).subarray(0, 12))).toBe(false);
  });

  test('after a rotation, payloads written under the old key still decode; new ones use the new key', async () => {
    const before = codec([['2024', k1]], '2024');
    const old = await before.encode([json({ n: 1 })]);
    const after = codec([['2025', k2], ['2024', k1]], '2025');
    expect((await after.decode(old)).map(value)).toEqual([{ n: 1 }]);
    const fresh = await after.encode([json({ n: 2 })]);
    expect(text(fresh[0]!.metadata?.[METADATA_KEY_ID])).toBe('2025');
    // Mixed batches (a history spans the rotation) decode payload by payload.
    expect((await after.decode([...old, ...fresh])).map(value)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  test('payloads that are not encrypted pass through unchanged', async () => {
    const c = codec([['k1', k1]], 'k1');
    const plain = [json({ a: 1 }), { metadata: {}, data: new Uint8Array([1, 2]) }];
    expect(await c.decode(plain)).toEqual(plain);
  });

  test('an unknown key id fails clearly, naming the id and not the keys', async () => {
    const encoded = await codec([['gone', k1]], 'gone').encode([json('v')]);
    const err = await failure(codec([['k2', k2]], 'k2').decode(encoded));
    expect(err.message).toMatch(/key "gone" is not configured \(configured: k2\)/);
  });

  test('tampered ciphertext, IV, tag or a swapped key fail authentication', async () => {
    const c = codec([['k1', k1]], 'k1');
    const [p] = await c.encode([json({ amount: 100 })]);
    const data = Buffer.from(p!.data!);
    for (const at of [0, 12, data.length - 1]) {
      const bad = Buffer.from(data);
      bad[at]! ^= 0x01;
      const err = await failure(c.decode([{ ...p!, data: bad }]));
      expect(err.message).toMatch(/Cannot decrypt payload under key "k1": authentication failed/);
    }
    await failure(codec([['k1', k2]], 'k1').decode([p!]));
    await failure(c.decode([{ ...p!, data: data.subarray(0, 20) }]));
    const noKid = { metadata: { encoding: p!.metadata!.encoding! }, data };
    expect((await failure(c.decode([noKid]))).message).toMatch(/no "encryption-key-id" metadata/);
  });

  test('the constructor refuses short keys and an active id without a key', () => {
    expect(() => codec([['k1', randomBytes(16)]], 'k1')).toThrow(/"k1" is 16 bytes; AES-256 needs exactly 32/);
    expect(() => codec([['k1', k1]], 'k2')).toThrow(/Active encryption key id "k2" is not among the configured keys \(k1\)/);
  });
});

describe('loadCodecFromEnv', () => {
  const b64 = (k: Buffer) => k.toString('base64');

  test('unset means no encryption', () => {
    expect(loadCodecFromEnv({})).toBeUndefined();
    expect(loadCodecFromEnv({ PIPELINE_CODEC_KEYS: '  ' })).toBeUndefined();
    expect(dataConverterFromEnv({})).toBeUndefined();
  });

  test('keys by id; the active one defaults to the first and can be chosen', async () => {
    const env = { PIPELINE_CODEC_KEYS: `a:${b64(k1)}, b:${b64(k2)}` };
    expect(loadCodecFromEnv(env)!.activeKeyId).toBe('a');
    const c = loadCodecFromEnv({ ...env, PIPELINE_CODEC_KEY_ID: 'b' })!;
    expect(c.activeKeyId).toBe('b');
    expect(c.keyIds()).toEqual(['a', 'b']);
    // The env keys are the real keys: what one codec writes, one built by hand reads.
    const written = await c.encode([json('hello')]);
    expect((await codec([['b', k2]], 'b').decode(written)).map(value)).toEqual(['hello']);
    // URL-safe base64 is accepted too.
    expect(loadCodecFromEnv({ PIPELINE_CODEC_KEYS: `u:${k1.toString('base64url')}` })!.keyIds()).toEqual(['u']);
    const dc = dataConverterFromEnv(env);
    expect(dc?.payloadCodecs).toHaveLength(1);
  });

  test.each([
    ['a 16-byte key', () => `k1:${b64(randomBytes(16))}`, /key "k1" is 16 bytes; AES-256 needs exactly 32/],
    ['a 33-byte key', () => `k1:${b64(randomBytes(33))}`, /key "k1" is 33 bytes/],
    ['no colon', () => b64(k1), /entry 1 is not of the form <key id>:<base64 key>/],
    ['an empty id', () => `:${b64(k1)}`, /entry 1 is not of the form/],
    ['an empty key', () => `k1:,k2:${b64(k2)}`, /entry 1 is not of the form/],
    ['a bad id', () => `k 1:${b64(k1)}`, /entry 1: key id must be/],
    ['not base64', () => `k1:${b64(k1).slice(0, -4)}!!!!`, /key "k1" is not base64/],
    ['a duplicate id', () => `k1:${b64(k1)},k1:${b64(k2)}`, /lists key id "k1" twice/],
    ['only separators', () => ' , ,', /lists no keys/],
  ])('refuses %s with a clear error that shows no key', (_name, keys, message) => {
    const value = keys();
    let err: unknown;
    try {
      loadCodecFromEnv({ PIPELINE_CODEC_KEYS: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PayloadCodecError);
    expect((err as Error).message).toMatch(message);
    for (const part of value.split(/[,:]/).filter((s) => s.length > 8)) expect((err as Error).message).not.toContain(part);
  });

  test('an active id that is not configured, or an id without keys, is refused', () => {
    expect(() => loadCodecFromEnv({ PIPELINE_CODEC_KEYS: `a:${b64(k1)}`, PIPELINE_CODEC_KEY_ID: 'b' })).toThrow(/PIPELINE_CODEC_KEY_ID "b" is not among the keys in PIPELINE_CODEC_KEYS \(a\)/);
    expect(() => loadCodecFromEnv({ PIPELINE_CODEC_KEY_ID: 'a' })).toThrow(/PIPELINE_CODEC_KEY_ID is set but PIPELINE_CODEC_KEYS is empty/);
  });
});
