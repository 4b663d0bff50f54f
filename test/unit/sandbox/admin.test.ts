import { afterAll, beforeAll, expect, test } from 'vitest';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { call, mailchimpAuth, shopifyAuth, stripeAuth } from './helpers.js';

let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({ seed: 9, sizes: { orders: 100, charges: 100, members: 100 }, faults: { latencyMs: 5 } });
});
afterAll(() => sb.close());

const post = (url: string, body: unknown) => call(url, { method: 'POST', body });

test('POST /_sandbox/faults replaces the settings; {} resets them', async () => {
  const res = await post(`${sb.stripe.url}/_sandbox/faults`, { fail5xx: { count: 1, status: 500 } });
  expect(res.status).toBe(200);
  expect(res.json.faults).toMatchObject({ latencyMs: 0, fail5xx: { count: 1, status: 500 } });
  expect(sb.stripe.faults.get().fail5xx).toEqual({ count: 1, status: 500 });
  const failed = await call(`${sb.stripe.url}/v1/charges`, { headers: stripeAuth(sb) });
  expect(failed.status).toBe(500);
  expect(failed.json.error.type).toBe('api_error');
  const reset = await post(`${sb.stripe.url}/_sandbox/faults`, {});
  expect(reset.json.faults).toEqual({ latencyMs: 0, fail5xx: { count: 0, status: 503 }, malformed: 0, slow: { count: 0, ms: 0 }, rateLimitStorm: 0, rateLimit: null });
  expect((await call(`${sb.stripe.url}/_sandbox/faults`)).json.faults.fail5xx.count).toBe(0);
});

test('bad fault settings -> 400 naming the field, settings unchanged; an empty body resets', async () => {
  sb.shopify.faults.set({ rateLimitStorm: 3 });
  for (const body of [{ fail5xx: { count: 1, status: 404 } }, { latencyMs: -1 }, { typo: 1 }, [1]]) {
    const res = await post(`${sb.shopify.url}/_sandbox/faults`, body);
    expect(res.status).toBe(400);
    expect(typeof res.json.error).toBe('string');
  }
  expect(sb.shopify.faults.get().rateLimitStorm).toBe(3);
  const empty = await call(`${sb.shopify.url}/_sandbox/faults`, { method: 'POST' });
  expect(empty.status).toBe(200);
  expect(sb.shopify.faults.get().rateLimitStorm).toBe(0);
});

test('POST /_sandbox/mutate answers the touched ids; GET /_sandbox/stats counts statuses', async () => {
  const res = await post(`${sb.mailchimp.url}/_sandbox/mutate`, { update: 2, create: 1 });
  expect(res.status).toBe(200);
  expect(res.json.updated).toHaveLength(2);
  expect(res.json.created).toHaveLength(1);
  expect(sb.mailchimp.records()).toHaveLength(101);
  expect((await post(`${sb.mailchimp.url}/_sandbox/mutate`, { update: -1 })).status).toBe(400);

  sb.mailchimp.resetStats();
  await call(`${sb.mailchimp.url}/3.0/ping`, { headers: mailchimpAuth(sb) });
  await call(`${sb.mailchimp.url}/3.0/ping`, { headers: {} });
  await call(`${sb.mailchimp.url}/3.0/lists/nope/members`, { headers: mailchimpAuth(sb) });
  const stats = await call(`${sb.mailchimp.url}/_sandbox/stats`);
  // The request without a key counts in the totals only; the other two under the default key.
  expect(stats.json).toEqual({
    requests: 3,
    byStatus: { 200: 1, 401: 1, 404: 1 },
    since: expect.any(String),
    byKey: { default: { requests: 2, byStatus: { 200: 1, 404: 1 }, rateLimited: 0, inFlight: expect.any(Number), maxInFlight: 1, perSecond: expect.any(Array) } },
  });
  expect(sb.mailchimp.stats()).toEqual(stats.json);
  const records = await call(`${sb.mailchimp.url}/_sandbox/records`);
  expect(records.json.records).toHaveLength(101);
});

test('the request log keeps method, path, parsed query and status, never credentials', async () => {
  sb.shopify.resetStats();
  sb.stripe.resetStats();
  await call(`${sb.shopify.url}/admin/api/2025-07/orders.json?status=any&limit=5&fields=id&fields=name`, { headers: shopifyAuth(sb) });
  await call(`${sb.stripe.url}/v1/charges?limit=3&created[gte]=1&api_key=${sb.credentials.stripe.secretKey}`, { headers: stripeAuth(sb) });
  expect(sb.shopify.requests).toEqual([
    { method: 'GET', path: '/admin/api/2025-07/orders.json', query: { status: 'any', limit: '5', fields: ['id', 'name'] }, status: 200, at: expect.any(String), key: 'default' },
  ]);
  const [logged] = sb.stripe.requests;
  expect(logged).toMatchObject({ path: '/v1/charges', query: { limit: '3', 'created[gte]': '1', api_key: '[REDACTED]' }, status: 400 });
  const everything = JSON.stringify([sb.shopify.requests, sb.stripe.requests]);
  expect(everything).not.toContain(sb.credentials.stripe.secretKey);
  expect(everything).not.toContain(sb.credentials.shopify.accessToken);
});

test('admin endpoints skip latency and are not logged; unknown ones -> 404', async () => {
  sb.stripe.resetStats();
  const res = await call(`${sb.stripe.url}/_sandbox/nope`);
  expect(res.status).toBe(404);
  expect(sb.stripe.stats().requests).toBe(0);
});

test('initial faults from the options apply to each emulator independently', () => {
  expect(sb.mailchimp.faults.get().latencyMs).toBe(5);
  sb.mailchimp.faults.update({ malformed: 2 });
  expect(sb.mailchimp.faults.get()).toMatchObject({ latencyMs: 5, malformed: 2 });
  expect(sb.stripe.faults.get().malformed).toBe(0);
  sb.mailchimp.faults.reset();
});
