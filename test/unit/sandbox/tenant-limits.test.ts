// One rate budget per tenant: each shop's leaky bucket, each Stripe key's per-second limit, each
// Mailchimp key's 10 connections; and the per-key counters tests of the engine rely on. Assertions
// are on counts the test causes: a bucket's refill during a burst is bounded with the burst's
// measured duration, so a slow machine cannot flake them.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { basicAuth, bearerAuth, call, holdOpen, sum, tokenAuth, waitFor, type Answer } from './helpers.js';

/** Fires `n` requests at once; the answers and the seconds the burst took, first send to last answer. */
async function burst(n: number, url: string, headers: Record<string, string>): Promise<{ answers: Answer[]; seconds: number }> {
  const started = performance.now();
  const answers = await Promise.all(Array.from({ length: n }, () => call(url, { headers })));
  return { answers, seconds: (performance.now() - started) / 1000 };
}
const statuses = (answers: Answer[], status: number) => answers.filter((a) => a.status === status);

describe('Shopify: a leaky bucket per shop', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({
      seed: 21,
      sizes: { charges: 1, members: 1 },
      tenants: { shopify: [{ name: 'shop-a', orders: 50 }, { name: 'shop-b', orders: 50 }, { name: 'tiny', orders: 5, bucket: { size: 5, leakPerSecond: 1 } }] },
    });
  });
  afterAll(() => sb.close());
  const orders = () => `${sb.shopify.url}/admin/api/2025-07/orders.json?status=any&limit=1`;
  const auth = (name: string) => tokenAuth(sb.credentials.tenants.shopify[name]!.accessToken);

  test('draining one shop\'s 40-deep bucket gets it 429s while another shop still answers 200', async () => {
    sb.shopify.resetStats();
    const { answers, seconds } = await burst(60, orders(), auth('shop-a'));
    const ok = statuses(answers, 200);
    const refused = statuses(answers, 429);
    expect(ok.length + refused.length).toBe(60);
    // The bucket holds 40 and leaks 2/s: at least 40 pass, and no more than what leaked meanwhile.
    expect(ok.length).toBeGreaterThanOrEqual(40);
    expect(ok.length).toBeLessThanOrEqual(40 + Math.ceil(2 * seconds) + 1);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]!.headers['retry-after']).toBe('2.0');
    expect(refused[0]!.headers['x-shopify-shop-api-call-limit']).toBe('40/40');
    expect(refused[0]!.json.errors).toMatch(/^Exceeded 2 calls per second/);

    const other = await call(orders(), { headers: auth('shop-b') });
    expect(other.status).toBe(200);
    // The other shop's own bucket: this is its first request.
    expect(other.headers['x-shopify-shop-api-call-limit']).toBe('1/40');

    const stats = sb.shopify.stats();
    expect(stats.byKey['shop-a']).toMatchObject({ requests: 60, rateLimited: refused.length, byStatus: { 200: ok.length, 429: refused.length } });
    expect(sum(stats.byKey['shop-a']!.perSecond)).toBe(60);
    expect(stats.byKey['shop-b']).toMatchObject({ requests: 1, rateLimited: 0 });
    expect(stats.byKey.tiny).toMatchObject({ requests: 0, perSecond: [] });
  });

  test('a shop\'s own bucket size shows in X-Shopify-Shop-Api-Call-Limit', async () => {
    const { answers, seconds } = await burst(12, orders(), auth('tiny'));
    const ok = statuses(answers, 200);
    expect(ok.length).toBeGreaterThanOrEqual(5);
    expect(ok.length).toBeLessThanOrEqual(5 + Math.ceil(seconds) + 1);
    expect(statuses(answers, 429)[0]!.headers['x-shopify-shop-api-call-limit']).toBe('5/5');
    expect(ok.map((a) => a.headers['x-shopify-shop-api-call-limit'])).toContain('1/5');
  });

  test('latencyMs applies to every shop', async () => {
    sb.shopify.faults.set({ latencyMs: 150 });
    try {
      for (const name of ['shop-b', 'tiny']) {
        const started = performance.now();
        await call(`${sb.shopify.url}/admin/api/2025-07/shop.json`, { headers: auth(name) });
        expect(performance.now() - started).toBeGreaterThanOrEqual(140);
      }
    } finally {
      sb.shopify.faults.reset();
    }
  });
});

describe('Stripe: a limit per key, by mode', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({
      seed: 22,
      sizes: { orders: 1, members: 1 },
      tenants: {
        stripe: [
          { name: 'acct-test', charges: 5 },
          { name: 'acct-live', charges: 5, mode: 'live' },
          { name: 'acct-free', charges: 5, requestsPerSecond: null },
          { name: 'acct-free-2', charges: 5, requestsPerSecond: null },
        ],
      },
    });
  });
  afterAll(() => sb.close());
  afterEach(() => sb.stripe.faults.reset());
  const balance = () => `${sb.stripe.url}/v1/balance`;
  const auth = (name: string) => bearerAuth(sb.credentials.tenants.stripe[name]!.secretKey);

  test('a test-mode key gets 25 a second and Stripe\'s rate_limit error past them; a live-mode key 100', async () => {
    sb.stripe.resetStats();
    const t = await burst(100, balance(), auth('acct-test'));
    const tOk = statuses(t.answers, 200).length;
    expect(tOk).toBeGreaterThanOrEqual(25);
    expect(tOk).toBeLessThanOrEqual(25 + Math.ceil(25 * t.seconds) + 1);
    const refused = statuses(t.answers, 429)[0]!;
    expect(refused.json).toEqual({
      error: {
        type: 'invalid_request_error',
        code: 'rate_limit',
        message: expect.stringMatching(/^Request rate limit exceeded/),
        doc_url: 'https://stripe.com/docs/error-codes/rate-limit',
      },
    });
    expect(refused.headers['stripe-should-retry']).toBe('true');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);

    // The test key's spent budget does not touch the live key's.
    const l = await burst(160, balance(), auth('acct-live'));
    const lOk = statuses(l.answers, 200).length;
    expect(lOk).toBeGreaterThanOrEqual(100);
    expect(lOk).toBeLessThanOrEqual(100 + Math.ceil(100 * l.seconds) + 1);

    const stats = sb.stripe.stats();
    expect(stats.byKey['acct-test']).toMatchObject({ requests: 100, rateLimited: 100 - tOk });
    expect(stats.byKey['acct-live']).toMatchObject({ requests: 160, rateLimited: 160 - lOk });
    expect(sum(stats.byKey['acct-test']!.perSecond)).toBe(100);
    expect(sum(stats.byKey['acct-live']!.perSecond)).toBe(160);
  });

  test('requestsPerSecond: null lifts the limit', async () => {
    const { answers } = await burst(60, balance(), auth('acct-free'));
    expect(statuses(answers, 200)).toHaveLength(60);
  });

  test('the rateLimit fault gives each key its own bucket at that rate, until lifted', async () => {
    sb.stripe.faults.set({ rateLimit: { requestsPerSecond: 0.5 } });
    const seq: number[] = [];
    for (const name of ['acct-free', 'acct-free', 'acct-free-2', 'acct-free-2']) seq.push((await call(balance(), { headers: auth(name) })).status);
    expect(seq).toEqual([200, 429, 200, 429]);
    sb.stripe.faults.set({});
    expect((await call(balance(), { headers: auth('acct-free') })).status).toBe(200);
  });
});

describe('Mailchimp: 10 simultaneous requests per key', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({
      seed: 23,
      sizes: { orders: 1, charges: 1 },
      tenants: { mailchimp: [{ name: 'key-a', members: 5 }, { name: 'key-b', members: 5 }, { name: 'key-c', members: 5, maxConnections: 2 }] },
    });
  });
  afterAll(() => sb.close());
  afterEach(() => sb.mailchimp.faults.reset());
  const ping = () => `${sb.mailchimp.url}/3.0/ping`;
  const auth = (name: string) => basicAuth(sb.credentials.tenants.mailchimp[name]!.apiKey);

  test('with 10 in flight on key A, the 11th on A is refused while key B still answers', async () => {
    sb.mailchimp.resetStats();
    // The next 10 requests are held open until the test lets them go.
    sb.mailchimp.faults.set({ slow: { count: 10, ms: 60_000 } });
    const release = holdOpen(10, ping(), auth('key-a'));
    try {
      await waitFor(() => sb.mailchimp.stats().byKey['key-a']!.inFlight === 10, 10_000, '10 requests of key-a in flight');
      const eleventh = await call(ping(), { headers: auth('key-a') });
      expect(eleventh.status).toBe(429);
      expect(eleventh.json).toMatchObject({ title: 'Too Many Requests', status: 429, detail: 'You have exceeded the limit of 10 simultaneous connections.' });
      expect(eleventh.headers['retry-after']).toBeUndefined();
      expect((await call(ping(), { headers: auth('key-b') })).status).toBe(200);

      const stats = sb.mailchimp.stats();
      expect(stats.byKey['key-a']).toMatchObject({ requests: 11, rateLimited: 1, byStatus: { 200: 10, 429: 1 } });
      // The 10 held and the refused 11th were in flight together.
      expect(stats.byKey['key-a']!.maxInFlight).toBeGreaterThanOrEqual(11);
      expect(sum(stats.byKey['key-a']!.perSecond)).toBe(11);
      expect(stats.byKey['key-b']).toMatchObject({ requests: 1, rateLimited: 0, maxInFlight: 1 });
    } finally {
      await release();
    }
    // Slots are given back as the held requests end.
    await waitFor(() => sb.mailchimp.stats().byKey['key-a']!.inFlight === 0, 10_000, 'key-a requests to end');
    expect((await call(ping(), { headers: auth('key-a') })).status).toBe(200);
  });

  test('maxConnections sets a key\'s own cap', async () => {
    sb.mailchimp.faults.set({ slow: { count: 2, ms: 60_000 } });
    const release = holdOpen(2, ping(), auth('key-c'));
    try {
      await waitFor(() => sb.mailchimp.stats().byKey['key-c']!.inFlight === 2, 10_000, '2 requests of key-c in flight');
      const third = await call(ping(), { headers: auth('key-c') });
      expect(third.status).toBe(429);
      expect(third.json.detail).toBe('You have exceeded the limit of 2 simultaneous connections.');
    } finally {
      await release();
    }
  });
});

describe('per-key counting', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ seed: 24, sizes: { orders: 1, members: 1 }, tenants: { stripe: [{ name: 'one', charges: 3, requestsPerSecond: null }, { name: 'two', charges: 3, requestsPerSecond: null }] } });
  });
  afterAll(() => sb.close());
  afterEach(() => sb.stripe.faults.reset());
  const auth = (name: string) => bearerAuth(sb.credentials.tenants.stripe[name]!.secretKey);

  test('perSecond counts by arrival second since `since`, across windows', async () => {
    sb.stripe.resetStats();
    const since = Date.parse(sb.stripe.stats().since);
    await burst(5, `${sb.stripe.url}/v1/balance`, auth('one'));
    // Requests 1.1 s apart always fall in different one-second windows.
    await new Promise((r) => setTimeout(r, 1100));
    await burst(3, `${sb.stripe.url}/v1/balance`, auth('one'));
    const perSecond = sb.stripe.stats().byKey.one!.perSecond;
    expect(sum(perSecond)).toBe(8);
    expect(perSecond.length).toBeGreaterThanOrEqual(2);
    expect(perSecond.length).toBeLessThanOrEqual(Math.floor((Date.now() - since) / 1000) + 1);
    expect(perSecond.every((n) => Number.isInteger(n) && n >= 0)).toBe(true);
    // The first window holds the first burst's requests (they were sent right after the reset), unless it straddled a boundary.
    expect(perSecond[0]! + (perSecond[1] ?? 0)).toBeGreaterThanOrEqual(5);
    expect(sb.stripe.stats().byKey.two!.perSecond).toEqual([]);
  });

  test('maxInFlight is at least the concurrency the client created', async () => {
    sb.stripe.resetStats();
    sb.stripe.faults.set({ slow: { count: 6, ms: 60_000 } });
    const release = holdOpen(6, `${sb.stripe.url}/v1/balance`, auth('two'));
    try {
      await waitFor(() => sb.stripe.stats().byKey.two!.inFlight === 6, 10_000, '6 requests in flight');
      expect(sb.stripe.stats().byKey.two!.maxInFlight).toBeGreaterThanOrEqual(6);
      expect(sb.stripe.stats().byKey.one!.maxInFlight).toBe(0);
    } finally {
      await release();
    }
    await waitFor(() => sb.stripe.stats().byKey.two!.inFlight === 0, 10_000, 'held requests to end');
    expect(sb.stripe.stats().byKey.two!.maxInFlight).toBeGreaterThanOrEqual(6);
  });

  test('resetStats() clears every key\'s counters and restarts `since`; the admin endpoint shows the same', async () => {
    await call(`${sb.stripe.url}/v1/balance`, { headers: auth('one') });
    const before = sb.stripe.stats().since;
    await new Promise((r) => setTimeout(r, 5));
    const reset = await call(`${sb.stripe.url}/_sandbox/stats/reset`, { method: 'POST' });
    expect(reset.json.byKey).toEqual({
      one: { requests: 0, byStatus: {}, rateLimited: 0, inFlight: 0, maxInFlight: 0, perSecond: [] },
      two: { requests: 0, byStatus: {}, rateLimited: 0, inFlight: 0, maxInFlight: 0, perSecond: [] },
    });
    expect(Date.parse(reset.json.since)).toBeGreaterThan(Date.parse(before));
    await call(`${sb.stripe.url}/v1/balance`, { headers: auth('two') });
    expect((await call(`${sb.stripe.url}/_sandbox/stats`)).json).toEqual(sb.stripe.stats());
    expect(sb.stripe.stats().byKey.two).toMatchObject({ requests: 1, byStatus: { 200: 1 }, maxInFlight: 1 });
  });
});
