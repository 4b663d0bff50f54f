// Activities under MockActivityEnvironment: executor answers (from an undici MockAgent) become the
// right Temporal failures, pages land in the sink, and results carry no records or secrets.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { getGlobalDispatcher, MockAgent, setGlobalDispatcher, type Dispatcher } from 'undici';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { FileConnectionStore } from '../../src/connections/file-store.js';
import { JsonlSink } from '../../src/sinks/jsonl.js';

const TOKEN = 'shpat_activity_test_token_0001';
const SHOP = 'https://act-test.myshopify.com';
const ORDERS = '/admin/api/2026-10/orders.json';

let agent: MockAgent;
let previous: Dispatcher;
let home: string;
let store: FileConnectionStore;
let sink: JsonlSink;
const env = { SHOP_TOKEN: TOKEN };

beforeEach(async () => {
  previous = getGlobalDispatcher();
  agent = new MockAgent();
  agent.disableNetConnect();
  setGlobalDispatcher(agent);
  home = await mkdtemp(join(tmpdir(), 'pipeline-act-'));
  store = new FileConnectionStore(join(home, 'connections.json'));
  sink = new JsonlSink(join(home, 'data'));
  await store.add({ id: 'shop', connectorId: 'shopify', config: { shopDomain: 'act-test.myshopify.com', accessToken: 'env:SHOP_TOKEN' } });
  await store.add({ id: 'shop-nokey', connectorId: 'shopify', config: { shopDomain: 'act-test.myshopify.com', accessToken: 'env:NOT_SET_ANYWHERE' } });
});

afterEach(async () => {
  setGlobalDispatcher(previous);
  await agent.close();
  await rm(home, { recursive: true, force: true });
});

// Failures are the point of most tests here: keep the activity logger quiet.
const mockEnv = () => ({
  run: <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> =>
    new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(fn, ...args) as Promise<R>,
});

function activities(overrides = {}) {
  return createActivities({ store, sink, env, ...overrides });
}

const pageInput = { connectionId: 'shop', stream: 'orders', cursor: null, since: null, until: '2025-06-01T00:00:00Z', pageSize: 2 };
const json = { headers: { 'content-type': 'application/json' } };

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('pullPage', () => {
  test('writes the page to the sink and returns only counts, cursor and watermark', async () => {
    agent
      .get(SHOP)
      .intercept({ path: (p) => p.startsWith(ORDERS), method: 'GET', headers: { 'x-shopify-access-token': TOKEN } })
      .reply(
        200,
        { orders: [{ id: 1, updated_at: '2025-01-02T00:00:00Z', email: 'a@example.com' }, { id: 2, updated_at: '2025-01-03T00:00:00Z', email: 'b@example.com' }] },
        { headers: { 'content-type': 'application/json', link: `<${SHOP}${ORDERS}?limit=2&page_info=next1>; rel="next"` } },
      );
    const result = await mockEnv().run(activities().pullPage, pageInput);
    expect(result).toEqual({ count: 2, written: 2, nextCursor: 'next1', watermark: '2025-01-03T00:00:00.000Z', latencyMs: expect.any(Number) });
    expect(JSON.stringify(result)).not.toContain('example.com');
    const stored = await sink.readAll({ connectionId: 'shop', stream: 'orders' });
    expect([...stored.keys()]).toEqual(['1', '2']);
    expect(stored.get('2')?.data.email).toBe('b@example.com');
  });

  test('a 401 becomes a non-retryable "unauthorized" failure with no secret in it', async () => {
    agent.get(SHOP).intercept({ path: (p) => p.startsWith(ORDERS) }).reply(401, { errors: `Invalid API key or access token ${TOKEN}` }, json);
    const f = await failureOf(mockEnv().run(activities().pullPage, pageInput));
    expect(f.type).toBe('unauthorized');
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toContain('401');
    expect(f.message).not.toContain(TOKEN);
  });

  test('a 429 with Retry-After becomes a retryable "rate_limited" failure with nextRetryDelay', async () => {
    agent.get(SHOP).intercept({ path: (p) => p.startsWith(ORDERS) }).reply(429, { errors: 'Exceeded 2 calls per second' }, { headers: { 'content-type': 'application/json', 'retry-after': '7' } });
    const f = await failureOf(mockEnv().run(activities().pullPage, pageInput));
    expect(f.type).toBe('rate_limited');
    expect(f.nonRetryable).toBe(false);
    expect(f.nextRetryDelay).toBe(7000);
  });

  test('a 503 is retryable "upstream_unavailable"; nothing is written', async () => {
    agent.get(SHOP).intercept({ path: (p) => p.startsWith(ORDERS) }).reply(503, 'Service Unavailable');
    const f = await failureOf(mockEnv().run(activities().pullPage, pageInput));
    expect(f.type).toBe('upstream_unavailable');
    expect(f.nonRetryable).toBe(false);
    expect((await sink.readAll({ connectionId: 'shop', stream: 'orders' })).size).toBe(0);
  });

  test('an unset secret reference fails closed (missing_secret) before any request', async () => {
    // No interceptor is registered and the network is disabled: a request would fail differently.
    const f = await failureOf(mockEnv().run(activities().pullPage, { ...pageInput, connectionId: 'shop-nokey' }));
    expect(f.type).toBe('missing_secret');
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toContain('NOT_SET_ANYWHERE');
  });

  test('an unknown connection is a non-retryable not_found', async () => {
    const f = await failureOf(mockEnv().run(activities().pullPage, { ...pageInput, connectionId: 'nope' }));
    expect(f.type).toBe('not_found');
    expect(f.nonRetryable).toBe(true);
  });

  test('repeated 5xx open the circuit: further calls fail fast with circuit_open and a retry delay', async () => {
    const acts = activities({ policyOverrides: { shopify: { circuit: { failureThreshold: 2, openMs: 60_000 } } } });
    agent.get(SHOP).intercept({ path: (p) => p.startsWith(ORDERS) }).reply(500, 'oops').times(2);
    for (let i = 0; i < 2; i++) expect((await failureOf(mockEnv().run(acts.pullPage, pageInput))).type).toBe('upstream_error');
    const f = await failureOf(mockEnv().run(acts.pullPage, pageInput));
    expect(f.type).toBe('circuit_open');
    expect(f.nonRetryable).toBe(false);
    expect(Number(f.nextRetryDelay)).toBeGreaterThan(50_000);
  });
});

describe('testConnection', () => {
  const SCOPES = '/admin/oauth/access_scopes.json';

  test('answers status and latency on success', async () => {
    agent.get(SHOP).intercept({ path: SCOPES, headers: { 'x-shopify-access-token': TOKEN } }).reply(200, { access_scopes: [{ handle: 'read_orders' }] }, json);
    agent.get(SHOP).intercept({ path: '/admin/api/2026-10/shop.json', headers: { 'x-shopify-access-token': TOKEN } }).reply(200, { shop: { id: 7 } }, json);
    const res = await mockEnv().run(activities().testConnection, { connectionId: 'shop' });
    expect(res).toMatchObject({ ok: true, status: 200, connectorId: 'shopify', check: 'api' });
  });

  test('fails with the error code as type', async () => {
    agent.get(SHOP).intercept({ path: SCOPES }).reply(200, { access_scopes: [{ handle: 'read_products' }] }, json);
    const f = await failureOf(mockEnv().run(activities().testConnection, { connectionId: 'shop' }));
    expect(f.type).toBe('forbidden');
    expect(f.nonRetryable).toBe(true);
  });
});

describe('planSync and sync state', () => {
  test('planSync routes activities to the connector queue with its policy', async () => {
    const plan = await mockEnv().run(activities({ namePrefix: 'x-' }).planSync, { connectionId: 'shop', stream: 'orders', pageSize: 9999 });
    expect(plan.activity.taskQueue).toBe('x-pipeline-activities-shopify');
    expect(plan.pageSize).toBe(250); // capped at Shopify's maximum
    expect(plan.activity.retry.nonRetryableErrorTypes).toEqual(['invalid_config', 'missing_secret']);
  });

  test('planSync refuses a stream the connector does not have', async () => {
    const f = await failureOf(mockEnv().run(activities().planSync, { connectionId: 'shop', stream: 'customers' }));
    expect(f.type).toBe('invalid_config');
    expect(f.message).toContain('orders');
  });

  test('completeSync compacts duplicates and saves the watermark that loadSyncState returns', async () => {
    const ref = { connectionId: 'shop', stream: 'orders' };
    const rec = (id: string, t: string) => ({ id, updatedAt: t, data: { id } });
    await sink.writePage(ref, [rec('1', '2025-01-01T00:00:00.000Z'), rec('2', '2025-01-02T00:00:00.000Z')]);
    await sink.writePage(ref, [rec('2', '2025-01-02T00:00:00.000Z'), rec('3', '2025-01-03T00:00:00.000Z')]);
    const acts = activities();
    const done = await mockEnv().run(acts.completeSync, { ...ref, watermark: '2025-01-03T00:00:00.000Z', records: 4, runId: 'r1' });
    expect(done.storedRecords).toBe(3);
    expect(await mockEnv().run(acts.loadSyncState, ref)).toEqual({ watermark: '2025-01-03T00:00:00.000Z' });
  });
});
