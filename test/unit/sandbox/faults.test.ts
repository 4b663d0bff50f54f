import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { startSandbox, type Emulator, type Sandbox } from '../../../src/sandbox/index.js';
import { call, mailchimpAuth, shopifyAuth, stripeAuth } from './helpers.js';

let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({ seed: 3, sizes: { orders: 300, charges: 300, members: 300 } });
});
afterAll(() => sb.close());
afterEach(() => {
  for (const e of [sb.shopify, sb.stripe, sb.mailchimp]) e.faults.reset();
});

interface Target {
  name: 'shopify' | 'stripe' | 'mailchimp';
  emulator: () => Emulator;
  data: () => string;
  other: () => string;
  headers: () => Record<string, string>;
  errorBody: (json: any) => void;
}

const targets: Target[] = [
  {
    name: 'shopify',
    emulator: () => sb.shopify,
    data: () => `${sb.shopify.url}/admin/api/2025-07/orders.json?status=any`,
    other: () => `${sb.shopify.url}/admin/api/2025-07/shop.json`,
    headers: () => shopifyAuth(sb),
    errorBody: (json) => expect(typeof json.errors).toBe('string'),
  },
  {
    name: 'stripe',
    emulator: () => sb.stripe,
    data: () => `${sb.stripe.url}/v1/charges`,
    other: () => `${sb.stripe.url}/v1/balance`,
    headers: () => stripeAuth(sb),
    errorBody: (json) => expect(json.error.type).toBe('api_error'),
  },
  {
    name: 'mailchimp',
    emulator: () => sb.mailchimp,
    data: () => `${sb.mailchimp.url}/3.0/lists/${sb.credentials.mailchimp.listId}/members`,
    other: () => `${sb.mailchimp.url}/3.0/ping`,
    headers: () => mailchimpAuth(sb),
    errorBody: (json) => expect(json).toMatchObject({ status: expect.any(Number), title: expect.any(String), type: expect.stringMatching(/^https:\/\/mailchimp\.com/) }),
  },
];

describe.each(targets)('$name', (t) => {
  const get = (url: string, timeoutMs?: number) => call(url, { headers: t.headers(), ...(timeoutMs ? { timeoutMs } : {}) });

  test('latencyMs delays every request', async () => {
    t.emulator().faults.set({ latencyMs: 120 });
    const started = performance.now();
    const res = await get(t.other());
    expect(res.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
  });

  test('fail5xx: the next N data requests fail with the provider body; others are spared', async () => {
    t.emulator().resetStats();
    t.emulator().faults.set({ fail5xx: { count: 2, status: 502 } });
    expect((await get(t.other())).status).toBe(200);
    const a = await get(t.data());
    const b = await get(t.data());
    const c = await get(t.data());
    expect([a.status, b.status, c.status]).toEqual([502, 502, 200]);
    t.errorBody(a.json);
    expect(t.emulator().faults.get().fail5xx.count).toBe(0);
    expect(t.emulator().stats()).toEqual({
      requests: 4,
      byStatus: { 200: 2, 502: 2 },
      since: expect.any(String),
      byKey: { default: { requests: 4, byStatus: { 200: 2, 502: 2 }, rateLimited: 0, inFlight: expect.any(Number), maxInFlight: 1, perSecond: expect.any(Array) } },
    });
  });

  test('malformed: 200 with truncated JSON, then whole bodies again', async () => {
    t.emulator().faults.set({ malformed: 1 });
    const bad = await get(t.data());
    expect(bad.status).toBe(200);
    expect(bad.headers['content-type']).toMatch(/json/);
    expect(() => JSON.parse(bad.text)).toThrow();
    const good = await get(t.data());
    expect(() => JSON.parse(good.text)).not.toThrow();
  });

  test('slow: the next N requests outlast a client timeout', async () => {
    t.emulator().faults.set({ slow: { count: 1, ms: 400 } });
    await expect(get(t.data(), 150)).rejects.toThrow();
    const res = await get(t.data(), 150);
    expect(res.status).toBe(200);
  });

  test('rateLimitStorm: 429 with Retry-After: 1 on data requests only', async () => {
    t.emulator().faults.set({ rateLimitStorm: 2 });
    expect((await get(t.other())).status).toBe(200);
    const a = await get(t.data());
    expect(a.status).toBe(429);
    expect(a.headers['retry-after']).toBe('1');
    if (t.name === 'shopify') expect(a.headers['x-shopify-shop-api-call-limit']).toBe('40/40');
    if (t.name === 'stripe') expect(a.json.error.code).toBe('rate_limit');
    expect((await get(t.data())).status).toBe(429);
    expect((await get(t.data())).status).toBe(200);
  });

  test('a steady rate limit answers 429 with Retry-After once the budget is spent', async () => {
    // Shopify's bucket holds 40 requests; the token buckets hold one second's worth. Requests are
    // sent until the first refusal, so a slow machine (more leak between requests) cannot flake.
    const rps = t.name === 'shopify' ? 2 : 1;
    const capacity = t.name === 'shopify' ? 40 : 1;
    t.emulator().faults.set({ rateLimit: { requestsPerSecond: rps } });
    const answers = [];
    for (let k = 0; k < capacity + 20; k++) {
      const res = await get(t.data());
      answers.push(res);
      if (res.status !== 200) break;
    }
    const last = answers[answers.length - 1]!;
    expect(last.status).toBe(429);
    expect(answers.length - 1).toBeGreaterThanOrEqual(capacity);
    expect(Number(last.headers['retry-after'])).toBeGreaterThan(0);
    if (t.name === 'shopify') {
      expect(last.headers['retry-after']).toBe('2.0');
      expect(last.headers['x-shopify-shop-api-call-limit']).toBe('40/40');
      expect(answers[0]!.headers['x-shopify-shop-api-call-limit']).toBe('1/40');
      expect(last.json.errors).toMatch(/^Exceeded 2 calls per second/);
    }
    if (t.name === 'stripe') {
      expect(last.headers['stripe-should-retry']).toBe('true');
      expect(last.json.error).toMatchObject({ type: 'invalid_request_error', code: 'rate_limit' });
    }
    if (t.name === 'mailchimp') expect(last.json.title).toBe('Too Many Requests');
    // set({}) lifts the limit.
    t.emulator().faults.set({});
    expect((await get(t.data())).status).toBe(200);
  });
});

test('Mailchimp refuses more than 10 simultaneous connections, without Retry-After', async () => {
  sb.mailchimp.faults.set({ latencyMs: 300 });
  const answers = await Promise.all(Array.from({ length: 14 }, () => call(`${sb.mailchimp.url}/3.0/ping`, { headers: mailchimpAuth(sb) })));
  const refused = answers.filter((a) => a.status === 429);
  expect(answers.filter((a) => a.status === 200)).toHaveLength(10);
  expect(refused).toHaveLength(4);
  expect(refused[0]!.headers['retry-after']).toBeUndefined();
  expect(refused[0]!.json).toMatchObject({ title: 'Too Many Requests', status: 429 });
  // Slots are given back once answered.
  const again = await Promise.all(Array.from({ length: 10 }, () => call(`${sb.mailchimp.url}/3.0/ping`, { headers: mailchimpAuth(sb) })));
  expect(again.every((a) => a.status === 200)).toBe(true);
});

test('the rateLimit sandbox option applies to all three emulators', async () => {
  const limited = await startSandbox({ sizes: { orders: 5, charges: 5, members: 5 }, rateLimit: { requestsPerSecond: 1 } });
  try {
    for (const e of [limited.stripe, limited.mailchimp]) expect(e.faults.get().rateLimit).toEqual({ requestsPerSecond: 1 });
    const a = await call(`${limited.stripe.url}/v1/balance`, { headers: stripeAuth(limited) });
    const b = await call(`${limited.stripe.url}/v1/balance`, { headers: stripeAuth(limited) });
    expect([a.status, b.status]).toEqual([200, 429]);
    expect(limited.shopify.faults.get().rateLimit).toEqual({ requestsPerSecond: 1 });
  } finally {
    await limited.close();
  }
});
