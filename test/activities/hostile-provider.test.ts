// Activities against hostile provider answers and ids: every one ends as a typed Temporal failure
// (or a clean result), never as an untyped error Temporal would retry; messages are bounded, retry
// delays clamped to the retry policy, secrets redacted from anything derived from headers or bodies.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { getGlobalDispatcher, MockAgent, setGlobalDispatcher, type Dispatcher } from 'undici';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { failureFromConnectorError } from '../../activities/failures.js';
import { FileConnectionStore } from '../../src/connections/file-store.js';
import { MAX_MESSAGE_CHARS, MAX_RETRY_DELAY_MS } from '../../src/core/limits.js';
import { shopify } from '../../src/registry/connectors/shopify.js';
import { JsonlSink } from '../../src/sinks/jsonl.js';

const TOKEN = 'shpat_hostile_activity_token_0001';
const SHOP = 'https://hostile.myshopify.com';
const ORDERS = '/admin/api/2026-10/orders.json';
const BRAZE_KEY = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
const BRAZE = 'https://rest.iad-01.braze.com';
const env = { SHOP_TOKEN: TOKEN, BRAZE_KEY };
const json = { headers: { 'content-type': 'application/json' } };

let agent: MockAgent;
let previous: Dispatcher;
let home: string;
let store: FileConnectionStore;
let sink: JsonlSink;

beforeEach(async () => {
  previous = getGlobalDispatcher();
  agent = new MockAgent();
  agent.disableNetConnect();
  setGlobalDispatcher(agent);
  home = await mkdtemp(join(tmpdir(), 'pipeline-hostile-'));
  store = new FileConnectionStore(join(home, 'connections.json'));
  sink = new JsonlSink(join(home, 'data'));
  await store.add({ id: 'shop', connectorId: 'shopify', config: { shopDomain: 'hostile.myshopify.com', accessToken: 'env:SHOP_TOKEN' } });
  await store.add({ id: 'braze', connectorId: 'braze', config: { restEndpoint: BRAZE, apiKey: 'env:BRAZE_KEY' } });
});

afterEach(async () => {
  setGlobalDispatcher(previous);
  await agent.close();
  await rm(home, { recursive: true, force: true });
});

const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> =>
  new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(fn, ...args) as Promise<R>;
const activities = () => createActivities({ store, sink, env });
const pageInput = { connectionId: 'shop', stream: 'orders', cursor: null, since: null, until: '2025-06-01T00:00:00Z', pageSize: 2 };
const replyOrders = (status: number, body: string, headers: Record<string, string> = {}) =>
  agent.get(SHOP).intercept({ path: (p) => p.startsWith(ORDERS) }).reply(status, body, { headers: { 'content-type': 'application/json', ...headers } });

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

describe('deeply nested provider data', () => {
  test('an order nested 100 000 levels deep fails the page as a non-retryable invalid_response naming it; nothing is written', async () => {
    replyOrders(200, `{"orders":[{"id":1,"updated_at":"2025-01-02T00:00:00Z"},{"id":2,"updated_at":"2025-01-02T00:00:00Z","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}]}`);
    const f = await failureOf(run(activities().pullPage, pageInput));
    expect(f.type).toBe('invalid_response');
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toMatch(/record "2" of stream "orders".*nested more than 512 levels/);
    expect((await sink.readAll({ connectionId: 'shop', stream: 'orders' })).size).toBe(0);
  });

  test('an error body nested 100 000 levels deep is mapped like any other', async () => {
    replyOrders(500, `{"errors":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`);
    const f = await failureOf(run(activities().pullPage, pageInput));
    expect(f.type).toBe('upstream_error');
    expect(f.nonRetryable).toBe(false);
  });
});

describe('bounded failure messages', () => {
  test('a 1 MB provider error field becomes a bounded failure message that says what was cut', async () => {
    replyOrders(400, JSON.stringify({ errors: 'e'.repeat(1_048_576) }));
    const f = await failureOf(run(activities().pullPage, pageInput));
    expect(f.type).toBe('bad_request');
    expect(f.message.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
    expect(f.message).toMatch(/… \[cut [\d,]+ characters\]/);
  });

  test('failureFromConnectorError bounds any message an executor built', () => {
    const f = failureFromConnectorError({ code: 'upstream_error', message: 'm'.repeat(3_000_000), retryable: true });
    expect(f.message.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
  });
});

describe('absurd Retry-After values', () => {
  test.each([
    ['twenty nines', '99999999999999999999'],
    ['a 400-digit number', '9'.repeat(400)],
    ['a far-future HTTP date', 'Sat, 13 Sep 275760 00:00:00 GMT'],
  ])('Retry-After of %s: nextRetryDelay is the retry policy maximum interval', async (_name, retryAfter) => {
    replyOrders(429, JSON.stringify({ errors: 'Exceeded 2 calls per second' }), { 'retry-after': retryAfter });
    const f = await failureOf(run(activities().pullPage, pageInput));
    expect(f.type).toBe('rate_limited');
    expect(f.nonRetryable).toBe(false);
    expect(f.nextRetryDelay).toBe(shopify.policy.retry.maximumIntervalMs);
  });

  test('a delay an executor set to Infinity or NaN never reaches Temporal as such', () => {
    expect(failureFromConnectorError({ code: 'rate_limited', message: 'x', retryable: true, retryAfterMs: Infinity }).nextRetryDelay).toBe(MAX_RETRY_DELAY_MS);
    expect(failureFromConnectorError({ code: 'rate_limited', message: 'x', retryable: true, retryAfterMs: NaN }).nextRetryDelay).toBeUndefined();
    expect(failureFromConnectorError({ code: 'rate_limited', message: 'x', retryable: true, retryAfterMs: 1e300 }, undefined, { maxRetryDelayMs: 5_000 }).nextRetryDelay).toBe(5_000);
  });
});

describe('redaction of what executors derive from headers and bodies', () => {
  test('a Shopify 429 without Retry-After whose call-limit header echoes the token: no token in the failure', async () => {
    replyOrders(429, JSON.stringify({ errors: 'Exceeded' }), { 'x-shopify-shop-api-call-limit': `40/40;${TOKEN}` });
    const f = await failureOf(run(activities().pullPage, pageInput));
    expect(f.type).toBe('rate_limited');
    expect(f.message).not.toContain(TOKEN);
  });

  test('a token echoed in a 2xx order never lands in the sink', async () => {
    replyOrders(200, JSON.stringify({ orders: [{ id: 1, updated_at: '2025-01-02T00:00:00Z', note: `token ${TOKEN}` }] }));
    await run(activities().pullPage, pageInput);
    const stored = await sink.readAll({ connectionId: 'shop', stream: 'orders' });
    expect(JSON.stringify([...stored.values()])).not.toContain(TOKEN);
  });

  test('a Braze key echoed in a 2xx body does not reach the send result', async () => {
    agent.get(BRAZE).intercept({ path: '/users/track', method: 'POST' })
      .reply(201, { message: 'success', events_processed: 0, errors: [{ type: `rejected for key ${BRAZE_KEY}`, input_array: 'events', index: 0 }] }, json);
    const result = await run(activities().send, {
      connectionId: 'braze',
      message: { events: [{ external_id: 'u1', name: 'order_placed', time: '2025-01-01T00:00:00Z' }] },
      idempotencyKey: 'k1',
    });
    expect(JSON.stringify(result)).not.toContain(BRAZE_KEY);
  });
});

describe('malformed cursors and links', () => {
  test('a Link header that is not a URL fails the page as invalid_response (no TypeError); nothing is written', async () => {
    replyOrders(200, JSON.stringify({ orders: [{ id: 1, updated_at: '2025-01-02T00:00:00Z' }] }), { link: '<not a url>; rel="next"' });
    const f = await failureOf(run(activities().pullPage, pageInput));
    expect(f.type).toBe('invalid_response');
    expect(f.nonRetryable).toBe(true);
    expect((await sink.readAll({ connectionId: 'shop', stream: 'orders' })).size).toBe(0);
  });
});

describe('prototype names as connection ids', () => {
  test.each(['__proto__', 'constructor', 'toString'])('"%s" is a non-retryable not_found', async (connectionId) => {
    const f = await failureOf(run(activities().pullPage, { ...pageInput, connectionId }));
    expect(f.type).toBe('not_found');
    expect(f.nonRetryable).toBe(true);
  });
});
