// A pipeline whose sink, ledger, staging and definition all live in PostgreSQL (the store and the
// sink of a multi-machine deployment): every record once to the destination, the ledger in its
// tables, a second run sending nothing, a changed record sent again; a stored-records pipeline
// re-delivering the stream from the sink (a new destination's backfill) without calling the source.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { PostgresConnectionStore } from '../../src/connections/postgres-store.js';
import { startDestinations, type Destinations } from '../../src/sandbox/destinations/index.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { PostgresSink } from '../../src/sinks/postgres.js';
import { startPipelineRun } from '../../src/temporal/pipeline-client.js';
import { testSchema, type TestSchema } from '../helpers/postgres.js';
import { startTestWorker, temporalTestContext, type RunningWorker, type TemporalTestContext } from '../helpers/temporal.js';

const N = 400;
let ctx: TemporalTestContext;
let db: TestSchema;
let sandbox: Sandbox;
let dest: Destinations;
let sink: PostgresSink;
let store: PostgresConnectionStore;
let worker: RunningWorker | undefined;

beforeAll(async () => {
  db = await testSchema();
  ctx = await temporalTestContext();
  sandbox = await startSandbox({ seed: 17, sizes: { orders: 10, charges: N, members: 10 } });
  dest = await startDestinations();
  sink = new PostgresSink({ connectionString: db.url, schema: db.schema });
  store = new PostgresConnectionStore({ connectionString: db.url, schema: db.schema, secretBox: null });
  process.env.PGP_STRIPE = sandbox.credentials.stripe.secretKey;
  process.env.PGP_SEGMENT = dest.credentials.segment.writeKey;
  process.env.PGP_AWS = dest.credentials.kinesis.secretAccessKey;
  const k = dest.credentials.kinesis;
  await store.add({ id: 'pay', connectorId: 'stripe', baseUrlOverride: sandbox.stripe.url, config: { secretKey: 'env:PGP_STRIPE' } });
  await store.add({ id: 'cdp', connectorId: 'segment', baseUrlOverride: dest.urls.segment, config: { writeKey: 'env:PGP_SEGMENT' } });
  await store.add({ id: 'stream', connectorId: 'kinesis', baseUrlOverride: dest.urls.kinesis, config: { region: k.region, streamName: k.streamName, accessKeyId: k.accessKeyId, secretAccessKey: 'env:PGP_AWS' } });
  await store.pipelines.add({ id: 'pg-charges', source: { connectionId: 'pay', stream: 'charges', from: 'pull' }, mapping: '{"type": "track", "event": "Charge", "anonymousId": id, "properties": {"amount": amount}}', destination: { connectionId: 'cdp' } });
  await store.pipelines.add({ id: 'pg-backfill', source: { connectionId: 'pay', stream: 'charges', from: 'stored' }, mapping: '{"partitionKey": id, "data": {"id": id}}', destination: { connectionId: 'stream' } });
  worker = await startTestWorker(ctx, { store, sink, connectors: ['stripe', 'segment', 'kinesis'], policyOverrides: { '*': { rate: { requestsPerSecond: 1000 } } } });
});

afterAll(async () => {
  await worker?.stop();
  await dest?.close();
  await sandbox?.close();
  await sink?.close();
  await store?.close();
  await ctx?.close();
  await db?.drop();
});

const run = async (pipelineId: string) => (await startPipelineRun(ctx.client, store, { pipelineId, namePrefix: ctx.namePrefix })).result();

test('delivered once, recorded in the ledger tables; nothing twice; a change sent again', async () => {
  const r = await run('pg-charges');
  expect(r).toMatchObject({ records: N, delivered: N, dead: 0 });
  expect(r.ledgerLocation).toContain('pipeline_deliveries');
  const rows = await db.query<{ state: string; n: string }>(`SELECT state, count(*) AS n FROM "${db.schema}".pipeline_deliveries WHERE pipeline_id = 'pg-charges' GROUP BY state`);
  expect(rows).toEqual([{ state: 'delivered', n: String(N) }]);
  expect((await db.query(`SELECT 1 FROM "${db.schema}".pipeline_staging WHERE pipeline_id = 'pg-charges'`)).length).toBe(0);
  expect((await db.query<{ state: { watermark: string } }>(`SELECT state FROM "${db.schema}".pipeline_state WHERE pipeline_id = 'pg-charges'`))[0]?.state.watermark).toBe(r.watermark);

  expect((await run('pg-charges')).delivered).toBe(0);
  const changed = sandbox.stripe.mutate({ update: 3 });
  expect((await run('pg-charges')).delivered).toBe(changed.updated.length);
  expect(dest.segment.unique()).toHaveLength(N + changed.updated.length);
  expect(dest.segment.duplicates()).toEqual([]);
});

test('a stored-records pipeline delivers the stream from the sink without calling the source', async () => {
  sandbox.stripe.resetStats();
  const r = await run('pg-backfill');
  expect(r).toMatchObject({ delivered: N, pages: 0 });
  expect(sandbox.stripe.stats().requests).toBe(0);
  expect(dest.kinesis.received).toHaveLength(N);
  expect((await run('pg-backfill')).delivered).toBe(0);
  expect(dest.kinesis.duplicates()).toEqual([]);
});
