// Inline secrets encrypted at rest: AES-256-GCM bound to (connection, field), key rotation, and the
// stores holding only ciphertext (checked on the raw file and the raw row), decrypted on the worker.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { FileConnectionStore } from '../../../src/connections/file-store.js';
import { PostgresConnectionStore } from '../../../src/connections/postgres-store.js';
import { keyIdOf, SecretBox, SecretBoxError, secretBoxFromEnv } from '../../../src/connections/secret-box.js';
import { resolveSecrets, rotateSecrets } from '../../../src/connections/secrets.js';
import { ConnectionError } from '../../../src/connections/types.js';
import { validateNewConnection } from '../../../src/connections/validate.js';
import { isSecretRef } from '../../../src/core/secret-ref.js';
import { checkConfig } from '../../../src/executors/support.js';
import { testSchema } from '../../helpers/postgres.js';

const K1 = SecretBox.generateKey();
const K2 = SecretBox.generateKey();
const slot = { connectionId: 'my-shop', field: 'accessToken' };
const TOKEN = 'shpat_0123456789abcdef_inline';
const shop = (token: string, id = 'my-shop') => ({ id, connectorId: 'shopify', config: { shopDomain: 'my-shop.myshopify.com', accessToken: token } });

const box1 = () => SecretBox.parse(`k1:${K1}`);
const box12 = () => SecretBox.parse(`k1:${K1},k2:${K2}`, 'k2');

/** Runs with PIPELINE_SECRETS_KEYS set in this process (the file store reads its key from there). */
async function withKeys<T>(keys: string | undefined, activeKeyId: string | undefined, fn: () => Promise<T>): Promise<T> {
  const saved = { keys: process.env.PIPELINE_SECRETS_KEYS, kid: process.env.PIPELINE_SECRETS_KEY_ID };
  const set = (name: string, value: string | undefined) => (value === undefined ? delete process.env[name] : (process.env[name] = value));
  set('PIPELINE_SECRETS_KEYS', keys);
  set('PIPELINE_SECRETS_KEY_ID', activeKeyId);
  try {
    return await fn();
  } finally {
    set('PIPELINE_SECRETS_KEYS', saved.keys);
    set('PIPELINE_SECRETS_KEY_ID', saved.kid);
  }
}

describe('SecretBox', () => {
  test('round trip, in the documented stored form, with a fresh IV each time', () => {
    const box = box1();
    const a = box.encrypt(TOKEN, slot);
    const b = box.encrypt(TOKEN, slot);
    expect(a).toMatch(/^enc:v1:k1:[A-Za-z0-9+/]+={0,2}:[A-Za-z0-9+/]+={0,2}$/);
    expect(Buffer.from(a.split(':')[3]!, 'base64')).toHaveLength(12);
    expect(a).not.toBe(b);
    expect(a).not.toContain(TOKEN);
    expect(box.decrypt(a, slot)).toBe(TOKEN);
    expect(box.decrypt(box.encrypt('ünïcödé 🔑', slot), slot)).toBe('ünïcödé 🔑');
    expect(isSecretRef(a)).toBe(true); // not an inline secret
    expect(keyIdOf(a)).toBe('k1');
  });

  test('a ciphertext moved to another field or connection does not decrypt', () => {
    const box = box1();
    const value = box.encrypt(TOKEN, slot);
    for (const other of [{ ...slot, field: 'shopDomain' }, { ...slot, connectionId: 'other-shop' }]) {
      const err = (() => {
        try {
          box.decrypt(value, other);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(SecretBoxError);
      expect((err as SecretBoxError).reason).toBe('tampered');
    }
  });

  test('any change to IV, ciphertext or tag is detected', () => {
    const box = box1();
    const value = box.encrypt(TOKEN, slot);
    const [p, v, kid, iv, body] = value.split(':') as [string, string, string, string, string];
    const flip = (b64: string, at: number) => {
      const buf = Buffer.from(b64, 'base64');
      buf[at] = buf[at]! ^ 0x01;
      return buf.toString('base64');
    };
    const bodyLen = Buffer.from(body, 'base64').length;
    for (const tampered of [
      [p, v, kid, flip(iv, 0), body].join(':'),
      [p, v, kid, iv, flip(body, 0)].join(':'),
      [p, v, kid, iv, flip(body, bodyLen - 1)].join(':'),
    ]) {
      expect(() => box.decrypt(tampered, slot)).toThrow(SecretBoxError);
    }
    expect(() => box.decrypt([p, v, kid, iv, Buffer.alloc(4).toString('base64')].join(':'), slot)).toThrow(/malformed/);
  });

  test('an unknown key id is reported by name; no message ever holds the value or a key', () => {
    const value = SecretBox.parse(`old:${K2}`).encrypt(TOKEN, slot);
    const err = (() => {
      try {
        box1().decrypt(value, slot);
      } catch (e) {
        return e as SecretBoxError;
      }
    })()!;
    expect(err.reason).toBe('unknown_key');
    expect(err.message).toMatch(/key "old"/);
    expect(err.message).not.toContain(value.split(':')[4]!);
    const parseError = (() => {
      try {
        SecretBox.parse(`k1:${K1.slice(0, 20)}`);
      } catch (e) {
        return e as Error;
      }
    })()!;
    expect(parseError.message).toMatch(/key "k1" must be the base64 of exactly 32/);
    expect(parseError.message).not.toContain(K1.slice(0, 20));
    expect(() => SecretBox.parse(`k1:${K1},k1:${K2}`)).toThrow(/twice/);
    expect(() => SecretBox.parse(`${K1}`)).toThrow(/entry 1/);
    expect(() => secretBoxFromEnv({ PIPELINE_SECRETS_KEYS: `k1:${K1}`, PIPELINE_SECRETS_KEY_ID: 'k9' })).toThrow(/PIPELINE_SECRETS_KEY_ID "k9"/);
    expect(secretBoxFromEnv({})).toBeNull();
    expect(secretBoxFromEnv({ PIPELINE_SECRETS_KEYS: `a:${K1},b:${K2}` })?.activeKeyId).toBe('a');
  });

  test('rotation: old keys still decrypt, reencrypt moves a value to the active key', () => {
    const old = box1().encrypt(TOKEN, slot);
    const rotating = box12();
    expect(rotating.activeKeyId).toBe('k2');
    expect(rotating.decrypt(old, slot)).toBe(TOKEN);
    const moved = rotating.reencrypt(old, slot);
    expect(keyIdOf(moved)).toBe('k2');
    expect(rotating.reencrypt(moved, slot)).toBe(moved); // already under the active key
    expect(SecretBox.parse(`k2:${K2}`).decrypt(moved, slot)).toBe(TOKEN);
  });
});

describe('validation and the worker', () => {
  test('without a key inline secrets are refused, with the way out in the message', () => {
    const err = (() => {
      try {
        validateNewConnection(shop(TOKEN), { secretBox: null });
      } catch (e) {
        return e as ConnectionError;
      }
    })()!;
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.code).toBe('invalid_config');
    expect(err.issues.map((i) => i.field)).toEqual(['accessToken']);
    expect(err.message).toMatch(/env:.*file:.*PIPELINE_SECRETS_KEYS/s);
    expect(err.message).not.toContain(TOKEN);
  });

  test('with a key inline secrets are encrypted; references and encrypted values are kept as they are', () => {
    const box = box1();
    const stored = validateNewConnection(shop(TOKEN), { secretBox: box });
    expect(String(stored.config.accessToken)).toMatch(/^enc:v1:k1:/);
    expect(box.decrypt(String(stored.config.accessToken), slot)).toBe(TOKEN);
    expect(validateNewConnection(shop('env:TOKEN'), { secretBox: box }).config.accessToken).toBe('env:TOKEN');
    const again = validateNewConnection(shop(String(stored.config.accessToken)), { secretBox: box });
    expect(again.config.accessToken).toBe(stored.config.accessToken);
    // The plaintext is still validated as the field it is.
    expect(() => validateNewConnection(shop('short'), { secretBox: box })).toThrow(/at least 10/);
  });

  test('a ciphertext pasted into another connection is refused when stored, not just when used', () => {
    const box = box1();
    const value = box.encrypt(TOKEN, slot);
    expect(() => validateNewConnection(shop(value, 'other-shop'), { secretBox: box })).toThrow(/accessToken: it does not decrypt/);
    // Without a key the store cannot check it: kept as is, and the worker will refuse it.
    expect(validateNewConnection(shop(value, 'other-shop'), { secretBox: null }).config.accessToken).toBe(value);
  });

  test('resolveSecrets decrypts on the worker; missing or wrong keys are missing_secret without the ciphertext', async () => {
    const value = box1().encrypt(TOKEN, slot);
    const record = { ...validateNewConnection(shop(value), { secretBox: box1() }), createdAt: 'x', updatedAt: 'x' };
    expect((await resolveSecrets(record, { PIPELINE_SECRETS_KEYS: `k1:${K1}` })).accessToken).toBe(TOKEN);
    expect((await resolveSecrets(record, { PIPELINE_SECRETS_KEYS: `k2:${K2},k1:${K1}` })).accessToken).toBe(TOKEN);
    const cases: [NodeJS.ProcessEnv, RegExp][] = [
      [{}, /PIPELINE_SECRETS_KEYS is not set on this worker/],
      [{ PIPELINE_SECRETS_KEYS: `k2:${K2}` }, /key "k1", which is not configured.*add that key/],
      [{ PIPELINE_SECRETS_KEYS: `k1:${K2}` }, /does not decrypt with key "k1"/],
      [{ PIPELINE_SECRETS_KEYS: 'k1:nonsense' }, /keys are unusable/],
    ];
    for (const [env, message] of cases) {
      const err = (await resolveSecrets(record, env).catch((e: unknown) => e)) as ConnectionError;
      expect(err).toBeInstanceOf(ConnectionError);
      expect(err.code).toBe('missing_secret');
      expect(err.message).toMatch(message);
      expect(err.message).toMatch(/accessToken of connection "my-shop"/);
      expect(err.message).not.toContain(value.split(':')[4]!);
      expect(err.message).not.toContain(K1);
      expect(err.message).not.toContain(K2);
    }
    // An executor handed the unresolved value fails closed before any request.
    const checked = checkConfig('shopify', record.config);
    expect('fail' in checked && checked.fail.error?.code).toBe('missing_secret');
  });
});

describe('file store', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'secret-box-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  test('without a key the inline secret is refused; with one the file holds only ciphertext', async () => {
    const store = new FileConnectionStore(join(dir, 'connections.json'));
    await withKeys(undefined, undefined, async () => {
      await expect(store.add(shop(TOKEN))).rejects.toMatchObject({ code: 'invalid_config' });
    });
    await withKeys(`k1:${K1}`, undefined, async () => {
      const rec = await store.add(shop(TOKEN));
      const raw = await readFile(store.path, 'utf8');
      expect(raw).not.toContain(TOKEN);
      expect(raw).toContain('"accessToken": "enc:v1:k1:');
      expect(rec.config.accessToken).toMatch(/^enc:v1:k1:/);
      expect((await resolveSecrets((await store.get('my-shop'))!)).accessToken).toBe(TOKEN);
    });
  });

  test('rotateSecrets rewrites every encrypted value under the active key; then the old key can go', async () => {
    const store = new FileConnectionStore(join(dir, 'connections.json'));
    await withKeys(`k1:${K1}`, undefined, async () => {
      await store.add(shop(TOKEN));
      await store.add(shop(TOKEN, 'second-shop'));
      await store.add(shop('env:REF_TOKEN', 'by-ref'));
    });
    await withKeys(`k1:${K1},k2:${K2}`, 'k2', async () => {
      const report = await rotateSecrets(store);
      expect(report).toEqual({ connections: 3, rotated: ['my-shop', 'second-shop'], failed: [] });
      expect((await rotateSecrets(store)).rotated).toEqual([]); // nothing left under k1
    });
    const raw = await readFile(store.path, 'utf8');
    expect(raw).not.toContain('enc:v1:k1:');
    expect(raw).not.toContain(TOKEN);
    expect(raw).toContain('env:REF_TOKEN');
    const env = { PIPELINE_SECRETS_KEYS: `k2:${K2}` };
    expect((await resolveSecrets((await store.get('second-shop'))!, env)).accessToken).toBe(TOKEN);
    await expect(rotateSecrets(store, null)).rejects.toThrow(/PIPELINE_SECRETS_KEYS is not set/);
  });
});

describe('PostgreSQL store', () => {
  test('the row holds only ciphertext; rotation works through the same store interface', async () => {
    const db = await testSchema();
    const store = new PostgresConnectionStore({ connectionString: db.url, schema: db.schema, secretBox: box1() });
    try {
      await store.add(shop(TOKEN));
      const [row] = await db.query<{ config: string }>(`SELECT config::text AS config FROM "${db.schema}".connections`);
      expect(row!.config).not.toContain(TOKEN);
      expect(row!.config).toContain('enc:v1:k1:');
      expect((await resolveSecrets((await store.get('my-shop'))!, { PIPELINE_SECRETS_KEYS: `k1:${K1}` })).accessToken).toBe(TOKEN);

      const rotatingStore = new PostgresConnectionStore({ connectionString: db.url, schema: db.schema, secretBox: box12() });
      try {
        expect((await rotateSecrets(rotatingStore, box12())).rotated).toEqual(['my-shop']);
      } finally {
        await rotatingStore.close();
      }
      const [after] = await db.query<{ config: string }>(`SELECT config::text AS config FROM "${db.schema}".connections`);
      expect(after!.config).toContain('enc:v1:k2:');
      expect(after!.config).not.toContain(TOKEN);
      expect((await resolveSecrets((await store.get('my-shop'))!, { PIPELINE_SECRETS_KEYS: `k2:${K2}` })).accessToken).toBe(TOKEN);
    } finally {
      await store.close();
      await db.drop();
    }
  });
});
