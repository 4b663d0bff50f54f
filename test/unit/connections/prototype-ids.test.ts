// Ids that are also names on Object.prototype ("constructor", "__proto__", "toString"): every store
// and registry lookup takes own keys only, so such an id is either a connection like any other or
// not found; never "already exists", never an object out of the prototype.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { FileConnectionStore } from '../../../src/connections/file-store.js';
import { PostgresConnectionStore } from '../../../src/connections/postgres-store.js';
import { resolveSecrets } from '../../../src/connections/secrets.js';
import { ConnectionError, type ConnectionStore } from '../../../src/connections/types.js';
import { getExecutor, hasExecutor } from '../../../src/executors/index.js';
import { getConnector, isConnectorId } from '../../../src/registry/index.js';
import { postgresUrl, testSchema, type TestSchema } from '../../helpers/postgres.js';

const PROTOTYPE_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];
const shop = (id: string) => ({ id, connectorId: 'shopify', config: { shopDomain: 'my-shop.myshopify.com', accessToken: 'env:MY_SHOP_TOKEN' } });

function storeContract(name: string, make: () => Promise<{ store: ConnectionStore; done(): Promise<void> }>) {
  describe(name, () => {
    let store: ConnectionStore;
    let done: () => Promise<void>;
    beforeEach(async () => {
      ({ store, done } = await make());
    });
    afterEach(async () => done());

    test.each(PROTOTYPE_NAMES)('get/remove of "%s" on an empty store: not found', async (id) => {
      expect(await store.get(id)).toBeNull();
      expect(await store.remove(id)).toBe(false);
    });

    test('"constructor" is an id like any other: added, found, listed, removed', async () => {
      const added = await store.add(shop('constructor'));
      expect(added.id).toBe('constructor');
      expect((await store.get('constructor'))?.connectorId).toBe('shopify');
      expect((await store.list()).map((c) => c.id)).toEqual(['constructor']);
      const again = await store.add(shop('constructor')).catch((e: unknown) => e);
      expect(again).toBeInstanceOf(ConnectionError);
      expect((again as ConnectionError).code).toBe('conflict');
      expect(await store.get('__proto__')).toBeNull();
      expect(await store.remove('constructor')).toBe(true);
      expect(await store.get('constructor')).toBeNull();
      expect(await store.remove('constructor')).toBe(false);
    });
  });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'proto-ids-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

let n = 0;
storeContract('file store', async () => {
  const store = new FileConnectionStore(join(dir, `connections-${n++}.json`));
  return { store, done: async () => undefined };
});

storeContract('PostgreSQL store', async () => {
  await postgresUrl();
  const db: TestSchema = await testSchema();
  const store = new PostgresConnectionStore({ connectionString: db.url, schema: db.schema, secretBox: null });
  return {
    store,
    done: async () => {
      await store.close();
      await db.drop();
    },
  };
});

test('a connections file holding a "__proto__" key gives that key no special meaning', async () => {
  const path = join(dir, 'hand-edited.json');
  await writeFile(path, '{"version":1,"connections":{"__proto__":{"id":"x"}}}');
  const store = new FileConnectionStore(path);
  expect(await store.get('constructor')).toBeNull();
  expect(await store.get('toString')).toBeNull();
});

test('connector and executor lookups take own keys only', () => {
  for (const id of PROTOTYPE_NAMES) {
    expect(isConnectorId(id)).toBe(false);
    expect(hasExecutor(id)).toBe(false);
    expect(() => getConnector(id)).toThrow(/Unknown connector/);
    expect(() => getExecutor(id)).toThrow(/Unknown connector/);
  }
});

test('env:constructor or env:toString names no environment variable: missing_secret, not a function as the secret', async () => {
  for (const name of ['constructor', 'toString', '__proto__']) {
    const record = { ...shop('my-shop'), config: { ...shop('my-shop').config, authMethod: 'access_token', accessToken: `env:${name}` }, createdAt: '', updatedAt: '' };
    const err = await resolveSecrets(record, {}).catch((e: unknown) => e);
    expect(err, name).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).code).toBe('missing_secret');
  }
});
