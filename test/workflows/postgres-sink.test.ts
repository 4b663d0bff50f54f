// Pull syncs into PostgreSQL on the shared Temporal dev server, with a real worker and the sandbox
// Shopify and Stripe emulators: one row per record however often a sync runs, the watermark in
// sync_state, and an incremental run updating the rows that changed. The connections live in the
// PostgreSQL store too, the Shopify token as an inline secret encrypted at rest.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PostgresConnectionStore } from '../../src/connections/postgres-store.js';
import { SecretBox } from '../../src/connections/secret-box.js';
import type { PolicyOverrides } from '../../src/policies/activity-options.js';
import { startSandbox, type Emulator, type Sandbox } from '../../src/sandbox/index.js';
import { PostgresSink } from '../../src/sinks/postgres.js';
import { startSync } from '../../src/temporal/client.js';
import type { PullResult } from '../../workflows/pull.js';
import { postgresUrl, testSchema, type TestSchema } from '../helpers/postgres.js';
import { startTestWorker, temporalTestContext, type RunningWorker, type TemporalTestContext } from '../helpers/temporal.js';

const SIZE = 700;
const overrides: Record<string, PolicyOverrides> = {
  '*': { retry: { initialIntervalMs: 50, maximumIntervalMs: 300, maximumAttempts: 30 }, rate: { requestsPerSecond: 500, concurrency: 20 } },
};
const KEY = SecretBox.generateKey();

let ctx: TemporalTestContext;
let db: TestSchema;
let sandbox: Sandbox;
let sink: PostgresSink;
let store: PostgresConnectionStore;
let worker: RunningWorker | undefined;

const SOURCES = [
  { id: 'shop', connectorId: 'shopify', stream: 'orders', emulator: () => sandbox.shopify },
  { id: 'pay', connectorId: 'stripe', stream: 'charges', emulator: () => sandbox.stripe },
] as const;

beforeAll(async () => {
  await postgresUrl(); // fails with instructions when PostgreSQL is not running
  db = await testSchema();
  ctx = await temporalTestContext();
  sandbox = await startSandbox({ seed: 11, sizes: { orders: SIZE, charges: SIZE, members: 10 } });
  sink = new PostgresSink({ connectionString: db.url, schema: db.schema });
  store = new PostgresConnectionStore({ connectionString: db.url, schema: db.schema, secretBox: SecretBox.parse(`k1:${KEY}`) });
  await store.add({
    id: 'shop',
    connectorId: 'shopify',
    baseUrlOverride: sandbox.shopify.url,
    config: { shopDomain: sandbox.credentials.shopify.shopDomain, accessToken: sandbox.credentials.shopify.accessToken },
  });
  await store.add({ id: 'pay', connectorId: 'stripe', baseUrlOverride: sandbox.stripe.url, config: { secretKey: 'env:PG_WF_STRIPE_KEY' } });
  worker = await startTestWorker(ctx, {
    store,
    sink,
    policyOverrides: overrides,
    connectors: ['shopify', 'stripe'],
    // The worker's own environment: the key that decrypts the Shopify token, the Stripe reference.
    env: { ...process.env, PIPELINE_SECRETS_KEYS: `k1:${KEY}`, PG_WF_STRIPE_KEY: sandbox.credentials.stripe.secretKey },
  });
});

afterAll(async () => {
  await worker?.stop();
  await sink?.close();
  await store?.close();
  await sandbox?.close();
  await ctx?.close();
  await db?.drop();
});

async function sync(connectionId: string, mode: 'full' | 'incremental'): Promise<PullResult> {
  return (await startSync(ctx.client, store, { connectionId, namePrefix: ctx.namePrefix, mode, pageSize: 100, pagesPerRun: 4 })).result();
}

/**
 * The table holds exactly one row per emulator record, each in its latest version. `changedLater`:
 * records whose version is the time of a change the emulator's summary does not show (a Stripe
 * charge's summary is its creation time; an incremental run stores the time of its last event).
 */
async function expectTableMatches(connectionId: string, stream: string, emulator: Emulator, changedLater: Set<string> = new Set()) {
  const rows = await db.query<{ record_id: string; updated_at: Date }>(
    `SELECT record_id, updated_at FROM "${db.schema}".records WHERE connection_id = $1 AND stream = $2`,
    [connectionId, stream],
  );
  const expected = emulator.records();
  expect(rows.length).toBe(expected.length);
  expect(new Set(rows.map((r) => r.record_id)).size).toBe(rows.length);
  const stored = new Map(rows.map((r) => [r.record_id, r.updated_at.toISOString()]));
  for (const r of expected) {
    if (changedLater.has(r.id)) expect(stored.get(r.id)! > new Date(r.updatedAt).toISOString()).toBe(true);
    else expect(stored.get(r.id)).toBe(new Date(r.updatedAt).toISOString());
  }
}

async function savedState(connectionId: string, stream: string) {
  const [row] = await db.query<{ watermark: Date | null; last_run_records: string; last_run_id: string | null }>(
    `SELECT watermark, last_run_records, last_run_id FROM "${db.schema}".sync_state WHERE connection_id = $1 AND stream = $2`,
    [connectionId, stream],
  );
  return row;
}

describe('PostgreSQL sink under a real worker', () => {
  test.each(SOURCES)('$connectorId $stream: a full sync run twice leaves exactly one row per record', async ({ id, stream, emulator }) => {
    const first = await sync(id, 'full');
    expect(first.records).toBe(SIZE);
    expect(first.storedRecords).toBe(SIZE);
    expect(first.location).toBe(`postgres ${db.schema}.records (connection_id='${id}', stream='${stream}')`);
    await expectTableMatches(id, stream, emulator());

    const second = await sync(id, 'full');
    expect(second.records).toBe(SIZE);
    expect(second.storedRecords).toBe(SIZE);
    await expectTableMatches(id, stream, emulator());

    const maxUpdated = emulator().records().reduce((m, r) => (new Date(r.updatedAt).toISOString() > m ? new Date(r.updatedAt).toISOString() : m), '');
    expect(second.watermark).toBe(maxUpdated);
    const state = await savedState(id, stream);
    expect(state?.watermark?.toISOString()).toBe(second.watermark);
    expect(Number(state?.last_run_records)).toBe(SIZE);
    expect(state?.last_run_id).toBeTruthy();
    expect(await sink.loadState({ connectionId: id, stream })).toMatchObject({ watermark: second.watermark, lastRunRecords: SIZE });
  });

  test.each(SOURCES)('$connectorId: an incremental run after changes updates the changed rows and the watermark', async ({ id, stream, emulator }) => {
    const before = await sync(id, 'full');
    const changed = emulator().mutate({ update: 30, create: 15 });
    const beforeRows = await db.query<{ record_id: string; data: unknown }>(
      `SELECT record_id, data FROM "${db.schema}".records WHERE connection_id = $1 AND stream = $2 AND record_id = ANY($3::text[])`,
      [id, stream, changed.updated],
    );
    const beforeData = new Map(beforeRows.map((r) => [r.record_id, r.data]));
    await new Promise((r) => setTimeout(r, 1100)); // changes stamped in a past second, before the window ends
    const after = await sync(id, 'incremental');

    expect(after.previousWatermark).toBe(before.watermark);
    expect(after.records).toBeGreaterThan(0);
    expect(after.records).toBeLessThan(200);
    expect(after.storedRecords).toBe(emulator().records().length);
    expect(after.watermark! > before.watermark!).toBe(true);
    // Stripe's incremental run reads its events feed: a captured or refunded charge (its `created`
    // unchanged) is stored in its new state, versioned by the time of its event.
    await expectTableMatches(id, stream, emulator(), stream === 'charges' ? new Set(changed.updated) : new Set());
    const visible = [...changed.updated, ...changed.created];
    const rows = await db.query<{ record_id: string; updated_at: Date; data: Record<string, unknown> }>(
      `SELECT record_id, updated_at, data FROM "${db.schema}".records WHERE connection_id = $1 AND stream = $2 AND record_id = ANY($3::text[])`,
      [id, stream, visible],
    );
    expect(rows).toHaveLength(visible.length);
    for (const r of rows) expect(r.updated_at.toISOString() > before.watermark!).toBe(true);
    // Each changed record's row holds its new state, not the one the full sync stored.
    for (const r of rows.filter((row) => changed.updated.includes(row.record_id))) {
      expect(JSON.stringify(r.data), r.record_id).not.toBe(JSON.stringify(beforeData.get(r.record_id)));
    }
    expect((await savedState(id, stream))?.watermark?.toISOString()).toBe(after.watermark);
  });
});
