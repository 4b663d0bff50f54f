// The file connection store: validated writes, secrets only as references, private and atomic file.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { FileConnectionStore } from '../../../src/connections/file-store.js';
import { resolveSecrets } from '../../../src/connections/secrets.js';
import { ConnectionError } from '../../../src/connections/types.js';

let dir: string;
let store: FileConnectionStore;
const shop = { id: 'my-shop', connectorId: 'shopify', config: { shopDomain: 'my-shop.myshopify.com', accessToken: 'env:MY_SHOP_TOKEN' } };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'store-'));
  store = new FileConnectionStore(join(dir, 'connections.json'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

test('adds, lists, gets and removes; the file has mode 0600', async () => {
  await store.add(shop);
  expect((await store.list()).map((c) => c.id)).toEqual(['my-shop']);
  expect((await store.get('my-shop'))?.config.apiVersion).toBe('2026-10'); // default applied on write
  expect((await stat(store.path)).mode & 0o777).toBe(0o600);
  expect(await store.remove('my-shop')).toBe(true);
  expect(await store.get('my-shop')).toBeNull();
});

test('an invalid config is refused with the field named, and what was stored stays intact', async () => {
  await store.add(shop);
  const before = await readFile(store.path, 'utf8');
  const err = await store.put({ ...shop, config: { shopDomain: 'not a shop', accessToken: 'env:X' } }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ConnectionError);
  expect((err as ConnectionError).issues.map((i) => i.field)).toContain('shopDomain');
  expect(await readFile(store.path, 'utf8')).toBe(before);
});

test('an inline secret is refused: the store only ever holds references', async () => {
  const err = await store.add({ ...shop, config: { ...shop.config, accessToken: 'shpat_inline_secret_value' } }).catch((e: unknown) => e);
  expect((err as ConnectionError).issues.map((i) => i.field)).toEqual(['accessToken']);
  expect((err as Error).message).not.toContain('shpat_inline_secret_value');
});

test('a duplicate id conflicts; a sandbox URL must be loopback', async () => {
  await store.add(shop);
  await expect(store.add(shop)).rejects.toMatchObject({ code: 'conflict' });
  await expect(store.put({ ...shop, baseUrlOverride: 'http://10.0.0.5:8080' })).rejects.toMatchObject({ code: 'invalid_config' });
  await expect(store.put({ ...shop, id: 'Bad Id' })).rejects.toMatchObject({ code: 'invalid_config' });
});

test('references resolve on the worker from the environment or a file', async () => {
  const secretFile = join(dir, 'token');
  await writeFile(secretFile, 'shpat_from_file\n');
  const rec = await store.add({ ...shop, id: 'f', config: { ...shop.config, accessToken: `file:${secretFile}` } });
  expect((await resolveSecrets(rec)).accessToken).toBe('shpat_from_file');
  const rec2 = await store.add(shop);
  expect((await resolveSecrets(rec2, { MY_SHOP_TOKEN: 'shpat_env' })).accessToken).toBe('shpat_env');
  await expect(resolveSecrets(rec2, {})).rejects.toMatchObject({ code: 'missing_secret' });
});
