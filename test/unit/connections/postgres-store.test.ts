// The PostgreSQL connection store against a real PostgreSQL: the same promises as the file store
// (validated, references only unless a key is set, conflicts, nothing half-written), in a table.
import { afterEach, beforeAll, beforeEach, expect, test } from 'vitest';
import { createConnectionStore } from '../../../src/connections/index.js';
import { PostgresConnectionStore } from '../../../src/connections/postgres-store.js';
import { resolveSecrets } from '../../../src/connections/secrets.js';
import { ConnectionError } from '../../../src/connections/types.js';
import { postgresUrl, testSchema, type TestSchema } from '../../helpers/postgres.js';

let db: TestSchema;
let store: PostgresConnectionStore;
const shop = { id: 'my-shop', connectorId: 'shopify', config: { shopDomain: 'my-shop.myshopify.com', accessToken: 'env:MY_SHOP_TOKEN' } };

beforeAll(async () => {
  await postgresUrl();
});
beforeEach(async () => {
  db = await testSchema();
  // No key: inline secrets are refused whatever the environment of the test run holds.
  store = new PostgresConnectionStore({ connectionString: db.url, schema: db.schema, secretBox: null });
});
afterEach(async () => {
  await store?.close();
  await db?.drop();
});

const rawRows = () => db.query<{ id: string; config: unknown }>(`SELECT id, config FROM "${db.schema}".connections ORDER BY id`);

test('adds, lists, gets and removes', async () => {
  const added = await store.add(shop);
  expect(added).toMatchObject({ id: 'my-shop', connectorId: 'shopify' });
  expect(added.createdAt).toBe(added.updatedAt);
  await store.add({ ...shop, id: 'another-shop' });
  expect((await store.list()).map((c) => c.id)).toEqual(['another-shop', 'my-shop']);
  const got = await store.get('my-shop');
  expect(got?.config.apiVersion).toBe('2026-10'); // default applied on write
  expect(got?.config.accessToken).toBe('env:MY_SHOP_TOKEN');
  expect(got).toEqual(added);
  expect(await store.remove('my-shop')).toBe(true);
  expect(await store.remove('my-shop')).toBe(false);
  expect(await store.get('my-shop')).toBeNull();
});

test('put replaces the config of the same connector and keeps createdAt; another connector conflicts', async () => {
  const first = await store.add({ ...shop, baseUrlOverride: 'http://127.0.0.1:9999' });
  expect(first.baseUrlOverride).toBe('http://127.0.0.1:9999');
  await new Promise((r) => setTimeout(r, 5));
  const second = await store.put({ ...shop, config: { ...shop.config, accessToken: 'env:OTHER_TOKEN' } });
  expect(second.createdAt).toBe(first.createdAt);
  expect(second.updatedAt > first.updatedAt).toBe(true);
  expect(second.baseUrlOverride).toBeUndefined();
  expect((await store.get('my-shop'))?.config.accessToken).toBe('env:OTHER_TOKEN');
  const err = await store.put({ id: 'my-shop', connectorId: 'stripe', config: { secretKey: 'env:K' } }).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'conflict' });
  expect((err as Error).message).toMatch(/is a shopify connection, not stripe/);
  expect((await store.get('my-shop'))?.connectorId).toBe('shopify');
  // put of a new id adds it.
  expect((await store.put({ ...shop, id: 'fresh' })).id).toBe('fresh');
});

test('a duplicate id conflicts, also when added concurrently: exactly one wins', async () => {
  await store.add(shop);
  await expect(store.add(shop)).rejects.toMatchObject({ code: 'conflict' });
  const results = await Promise.allSettled(Array.from({ length: 8 }, () => store.add({ ...shop, id: 'race' })));
  expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'conflict' });
  expect((await rawRows()).map((r) => r.id)).toEqual(['my-shop', 'race']);
});

test('an invalid config is refused with the field named, and what was stored stays intact', async () => {
  await store.add(shop);
  const before = await rawRows();
  const err = await store.put({ ...shop, config: { shopDomain: 'not a shop', accessToken: 'env:X' } }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ConnectionError);
  expect((err as ConnectionError).code).toBe('invalid_config');
  expect((err as ConnectionError).issues.map((i) => i.field)).toContain('shopDomain');
  await expect(store.put({ ...shop, baseUrlOverride: 'http://10.0.0.5:8080' })).rejects.toMatchObject({ code: 'invalid_config' });
  await expect(store.put({ ...shop, id: 'Bad Id' })).rejects.toMatchObject({ code: 'invalid_config' });
  expect(await rawRows()).toEqual(before);
});

test('without a key an inline secret is refused, named, and never reaches the table', async () => {
  expect(await store.list()).toEqual([]); // creates the table
  const err = await store.add({ ...shop, config: { ...shop.config, accessToken: 'shpat_inline_secret_value' } }).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'invalid_config' });
  expect((err as ConnectionError).issues.map((i) => i.field)).toEqual(['accessToken']);
  expect((err as Error).message).toMatch(/env:MY_TOKEN.*file:.*PIPELINE_SECRETS_KEYS/s);
  expect((err as Error).message).not.toContain('shpat_inline_secret_value');
  expect(await rawRows()).toEqual([]);
});

test('references stored in the table resolve on the worker', async () => {
  const rec = await store.add(shop);
  expect((await resolveSecrets((await store.get(rec.id))!, { MY_SHOP_TOKEN: 'shpat_env' })).accessToken).toBe('shpat_env');
  await expect(resolveSecrets(rec, {})).rejects.toMatchObject({ code: 'missing_secret' });
});

test('createConnectionStore: file by default, postgres when configured', async () => {
  const file = createConnectionStore({ connectionsFile: '/tmp/unused-connections.json' });
  expect(file.constructor.name).toBe('FileConnectionStore');
  const pgStore = createConnectionStore({ connectionsFile: '/unused', connectionStore: 'postgres', databaseUrl: db.url, databaseSchema: db.schema });
  try {
    expect(pgStore).toBeInstanceOf(PostgresConnectionStore);
    await store.add(shop);
    expect((await pgStore.list()).map((c) => c.id)).toEqual(['my-shop']);
  } finally {
    await pgStore.close?.();
  }
  expect(() => createConnectionStore({ connectionsFile: '/unused', connectionStore: 'postgres', databaseUrl: undefined })).toThrow(/PIPELINE_DATABASE_URL/);
});
