// Several tenants per emulator: each shop, Stripe account and Mailchimp key has its own data set and
// credentials, named by the credential a request presents; the single-tenant sandbox is unchanged.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { getConnector } from '../../../src/registry/index.js';
import { mailchimpTenantCredentials, sandboxCredentials, shopifyTenantCredentials, stripeTenantCredentials } from '../../../src/sandbox/credentials.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../../src/sandbox/index.js';
import { basicAuth, bearerAuth, call, tokenAuth } from './helpers.js';

const ORDERS = '/admin/api/2025-07/orders.json?status=any&limit=250';

describe('without tenants: one default tenant per emulator, as before', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ seed: 4, sizes: { orders: 7, charges: 8, members: 9 } });
  });
  afterAll(() => sb.close());

  test('the historical credentials are the default tenant\'s', () => {
    const legacy = sandboxCredentials(4);
    expect(sb.credentials).toMatchObject(legacy);
    expect(sb.credentials.tenants).toEqual({ shopify: { default: legacy.shopify }, stripe: { default: legacy.stripe }, mailchimp: { default: legacy.mailchimp } });
    for (const e of [sb.shopify, sb.stripe, sb.mailchimp]) expect(e.tenants).toEqual(['default']);
  });

  test('records() and stats().byKey speak of the default tenant', async () => {
    expect(sb.shopify.records()).toHaveLength(7);
    expect(sb.shopify.records('default')).toEqual(sb.shopify.records());
    sb.stripe.resetStats();
    expect((await call(`${sb.stripe.url}/v1/charges`, { headers: bearerAuth(sb.credentials.stripe.secretKey) })).status).toBe(200);
    expect(sb.stripe.stats().byKey).toEqual({ default: { requests: 1, byStatus: { 200: 1 }, rateLimited: 0, inFlight: expect.any(Number), maxInFlight: 1, perSecond: expect.any(Array) } });
  });
});

describe('tenant credentials', () => {
  test.each([1, 77])('seed %i: derived from the seed and the name, distinct, valid connector configs, plainly fake', (seed) => {
    const shops = ['shop-01', 'shop-02'].map((n) => shopifyTenantCredentials(seed, n));
    const keys = [stripeTenantCredentials(seed, 'acct-a', 'test'), stripeTenantCredentials(seed, 'acct-b', 'live')];
    const audiences = [mailchimpTenantCredentials(seed, 'key-a', 'us6'), mailchimpTenantCredentials(seed, 'key-b', 'us19')];
    expect(shopifyTenantCredentials(seed, 'shop-01')).toEqual(shops[0]);
    expect(shops[0]!.accessToken).not.toBe(shops[1]!.accessToken);
    expect(shopifyTenantCredentials(seed + 1, 'shop-01').accessToken).not.toBe(shops[0]!.accessToken);
    expect(shops[1]).toEqual({ shopDomain: 'shop-02.myshopify.com', accessToken: expect.stringMatching(/^shpat_sandbox_[0-9a-f]{24}$/) });
    expect(keys[0]!.secretKey).toMatch(/^sk_test_sandbox[A-Za-z0-9]{24}$/);
    expect(keys[1]!.secretKey).toMatch(/^sk_live_sandbox[A-Za-z0-9]{24}$/);
    expect(audiences[1]!.apiKey).toMatch(/^[0-9a-f]{32}-us19$/);
    expect(audiences[0]!.listId).not.toBe(audiences[1]!.listId);
    for (const c of shops) expect(getConnector('shopify').validateConfig({ ...c })).toMatchObject({ ok: true });
    for (const c of keys) expect(getConnector('stripe').validateConfig({ ...c })).toMatchObject({ ok: true });
    for (const c of audiences) expect(getConnector('mailchimp').validateConfig({ ...c })).toMatchObject({ ok: true });
  });

  test('sandbox.credentials.tenants holds each declared tenant by name; the top-level ones are the first tenant\'s', async () => {
    const sb = await startSandbox({
      seed: 3,
      sizes: { orders: 1, charges: 1, members: 1 },
      tenants: { shopify: [{ name: 's1' }, { name: 's2' }], stripe: [{ name: 'live-acct', mode: 'live' }] },
    });
    try {
      expect(Object.keys(sb.credentials.tenants.shopify)).toEqual(['s1', 's2']);
      expect(sb.credentials.tenants.shopify.s2).toEqual(shopifyTenantCredentials(3, 's2'));
      expect(sb.credentials.shopify).toEqual(sb.credentials.tenants.shopify.s1);
      expect(sb.credentials.stripe).toEqual(stripeTenantCredentials(3, 'live-acct', 'live'));
      // Mailchimp was left out: its default tenant remains.
      expect(sb.credentials.tenants.mailchimp).toEqual({ default: sandboxCredentials(3).mailchimp });
      expect(sb.shopify.tenants).toEqual(['s1', 's2']);
    } finally {
      await sb.close();
    }
  });

  test.each<[string, SandboxOptions['tenants']]>([
    ['an empty list', { shopify: [] }],
    ['a name that cannot be a shop subdomain', { shopify: [{ name: 'Shop One' }] }],
    ['a name used twice', { stripe: [{ name: 'a' }, { name: 'a' }] }],
    ['an unknown option', { mailchimp: [{ name: 'a', maxConnection: 3 } as never] }],
    ['a negative size', { shopify: [{ name: 'a', orders: -1 }] }],
    ['a bad mode', { stripe: [{ name: 'a', mode: 'sandbox' as never }] }],
    ['a zero rate', { stripe: [{ name: 'a', requestsPerSecond: 0 }] }],
    ['a bad bucket', { shopify: [{ name: 'a', bucket: { size: 0 } }] }],
    ['a bad plan', { shopify: [{ name: 'a', plan: 'gold' as never }] }],
    ['one token for two shops', { shopify: [{ name: 'a', tokens: { shpat_same: ['read_orders'] } }, { name: 'b', tokens: { shpat_same: ['read_orders'] } }] }],
  ])('refuses %s', async (_what, tenants) => {
    await expect(startSandbox({ sizes: { orders: 1, charges: 1, members: 1 }, tenants })).rejects.toThrow(/sandbox:/);
  });
});

describe('tenants are isolated', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({
      seed: 11,
      sizes: { orders: 5, charges: 5, members: 5 },
      tenants: {
        shopify: [{ name: 'shop-01', orders: 30 }, { name: 'shop-02', orders: 20, plan: 'plus', tokens: { shpat_sandbox_noorders: ['read_products'] } }],
        stripe: [{ name: 'acct-live', charges: 15, mode: 'live' }, { name: 'acct-test', charges: 10 }],
        mailchimp: [{ name: 'key-a', members: 12 }, { name: 'key-b', members: 4, dataCenter: 'us19' }],
      },
    });
  });
  afterAll(() => sb.close());

  const shop = (name: string) => sb.credentials.tenants.shopify[name]!;
  const ids = (orders: { id: number }[]) => orders.map((o) => String(o.id));

  test('Shopify: each shop lists only its own orders, with ids no other shop has', async () => {
    const a = await call(`${sb.shopify.url}${ORDERS}`, { headers: tokenAuth(shop('shop-01').accessToken) });
    const b = await call(`${sb.shopify.url}${ORDERS}`, { headers: tokenAuth(shop('shop-02').accessToken) });
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(ids(a.json.orders)).toEqual(sb.shopify.records('shop-01').map((r) => r.id));
    expect(ids(b.json.orders)).toEqual(sb.shopify.records('shop-02').map((r) => r.id));
    expect(a.json.orders).toHaveLength(30);
    expect(b.json.orders).toHaveLength(20);
    const mine = new Set(ids(a.json.orders));
    expect(ids(b.json.orders).filter((id) => mine.has(id))).toEqual([]);
    // Line items and customers are per shop too.
    const items = new Set(a.json.orders.flatMap((o: any) => o.line_items.map((l: any) => l.id)));
    expect(b.json.orders.flatMap((o: any) => o.line_items.map((l: any) => l.id)).filter((id: number) => items.has(id))).toEqual([]);
  });

  test('Shopify: shop.json describes the shop the token belongs to', async () => {
    const res = await call(`${sb.shopify.url}/admin/api/2025-07/shop.json`, { headers: tokenAuth(shop('shop-02').accessToken) });
    expect(res.json.shop).toMatchObject({ name: 'shop-02', myshopify_domain: 'shop-02.myshopify.com', plan_name: 'shopify_plus' });
  });

  test('Shopify: a token cannot read another shop (401); an unknown token neither', async () => {
    const onOther = await call(`${sb.shopify.url}${ORDERS}`, { headers: { ...tokenAuth(shop('shop-01').accessToken), host: 'shop-02.myshopify.com' } });
    expect(onOther.status).toBe(401);
    expect(onOther.json.errors).toMatch(/Invalid API key or access token/);
    const onOwn = await call(`${sb.shopify.url}${ORDERS}`, { headers: { ...tokenAuth(shop('shop-01').accessToken), host: 'shop-01.myshopify.com' } });
    expect(onOwn.status).toBe(200);
    expect((await call(`${sb.shopify.url}${ORDERS}`, { headers: tokenAuth('shpat_sandbox_000000000000000000000000') })).status).toBe(401);
  });

  test('Shopify: a shop\'s extra tokens are its own, with their scopes', async () => {
    const res = await call(`${sb.shopify.url}/admin/oauth/access_scopes.json`, { headers: tokenAuth('shpat_sandbox_noorders') });
    expect(res.json.access_scopes).toEqual([{ handle: 'read_products' }]);
    expect((await call(`${sb.shopify.url}${ORDERS}`, { headers: tokenAuth('shpat_sandbox_noorders') })).status).toBe(403);
    sb.shopify.resetStats();
    await call(`${sb.shopify.url}/admin/oauth/access_scopes.json`, { headers: tokenAuth('shpat_sandbox_noorders') });
    expect(sb.shopify.stats().byKey['shop-02']!.requests).toBe(1);
  });

  test('Stripe: each key lists its own charges; another account\'s charge id is not found; livemode follows the key', async () => {
    const live = sb.credentials.tenants.stripe['acct-live']!.secretKey;
    const testKey = sb.credentials.tenants.stripe['acct-test']!.secretKey;
    const a = await call(`${sb.stripe.url}/v1/charges?limit=100`, { headers: bearerAuth(live) });
    const b = await call(`${sb.stripe.url}/v1/charges?limit=100`, { headers: bearerAuth(testKey) });
    expect(a.json.data).toHaveLength(15);
    expect(b.json.data).toHaveLength(10);
    expect(a.json.data.every((c: any) => c.livemode === true)).toBe(true);
    expect(b.json.data.every((c: any) => c.livemode === false)).toBe(true);
    expect(new Set(a.json.data.map((c: any) => c.id))).toEqual(new Set(sb.stripe.records('acct-live').map((r) => r.id)));
    const foreign = await call(`${sb.stripe.url}/v1/charges/${a.json.data[0].id}`, { headers: bearerAuth(testKey) });
    expect(foreign.status).toBe(404);
    expect(foreign.json.error).toMatchObject({ code: 'resource_missing', type: 'invalid_request_error' });
    expect((await call(`${sb.stripe.url}/v1/charges/${a.json.data[0].id}`, { headers: bearerAuth(live) })).status).toBe(200);
    expect((await call(`${sb.stripe.url}/v1/balance`, { headers: bearerAuth(live) })).json.livemode).toBe(true);
  });

  test('Mailchimp: each key sees its own audience; another key\'s list is not found', async () => {
    const a = sb.credentials.tenants.mailchimp['key-a']!;
    const b = sb.credentials.tenants.mailchimp['key-b']!;
    expect(b.apiKey).toMatch(/-us19$/);
    const own = await call(`${sb.mailchimp.url}/3.0/lists/${a.listId}/members?count=100`, { headers: basicAuth(a.apiKey) });
    expect(own.json.total_items).toBe(12);
    expect((await call(`${sb.mailchimp.url}/3.0/lists/${b.listId}/members`, { headers: basicAuth(b.apiKey) })).json.total_items).toBe(4);
    const foreign = await call(`${sb.mailchimp.url}/3.0/lists/${b.listId}/members`, { headers: basicAuth(a.apiKey) });
    expect(foreign.status).toBe(404);
    expect(foreign.json.title).toBe('Resource Not Found');
  });

  test('mutate and records act on the named tenant, in process and over the admin endpoints', async () => {
    const before = sb.shopify.records('shop-01').length;
    const created = sb.shopify.mutate({ create: 2 }, 'shop-02');
    expect(created.created).toHaveLength(2);
    expect(sb.shopify.records('shop-02')).toHaveLength(22);
    expect(sb.shopify.records('shop-01')).toHaveLength(before);
    const res = await call(`${sb.stripe.url}/_sandbox/mutate?tenant=acct-test`, { method: 'POST', body: { create: 1 } });
    expect(res.status).toBe(200);
    expect((await call(`${sb.stripe.url}/_sandbox/records?tenant=acct-test`)).json.records).toHaveLength(11);
    expect((await call(`${sb.stripe.url}/_sandbox/records`)).json.records).toHaveLength(15);
    expect((await call(`${sb.stripe.url}/_sandbox/records?tenant=nope`)).status).toBe(404);
    expect(() => sb.mailchimp.records('nope')).toThrow(/no mailchimp tenant "nope"/);
  });

  test('GET /_sandbox/tenants lists names, record counts and limits, never a credential', async () => {
    const res = await call(`${sb.shopify.url}/_sandbox/tenants`);
    expect(res.json.tenants).toEqual([
      { name: 'shop-01', records: sb.shopify.records('shop-01').length, limits: { rate: { requestsPerSecond: 2, burst: 40 }, maxConcurrent: null } },
      { name: 'shop-02', records: sb.shopify.records('shop-02').length, limits: { rate: { requestsPerSecond: 20, burst: 40 }, maxConcurrent: null } },
    ]);
    const stripe = await call(`${sb.stripe.url}/_sandbox/tenants`);
    expect(stripe.json.tenants.map((t: any) => t.limits.rate.requestsPerSecond)).toEqual([100, 25]);
    const mailchimp = await call(`${sb.mailchimp.url}/_sandbox/tenants`);
    expect(mailchimp.json.tenants.map((t: any) => t.limits.maxConcurrent)).toEqual([10, 10]);
    expect(res.text + stripe.text + mailchimp.text).not.toMatch(/shpat_|sk_(test|live)_|[0-9a-f]{32}-us/);
  });

  test('stats and the request log name tenants, never their credentials', async () => {
    sb.stripe.resetStats();
    await call(`${sb.stripe.url}/v1/balance`, { headers: bearerAuth(sb.credentials.tenants.stripe['acct-test']!.secretKey) });
    await call(`${sb.stripe.url}/v1/balance`, { headers: bearerAuth('sk_test_sandboxnotakey') });
    expect(sb.stripe.requests.map((r) => [r.status, r.key])).toEqual([[200, 'acct-test'], [401, undefined]]);
    const stats = sb.stripe.stats();
    expect(stats.requests).toBe(2);
    expect(Object.keys(stats.byKey)).toEqual(['acct-live', 'acct-test']);
    expect(stats.byKey['acct-test']!.requests).toBe(1);
    expect(stats.byKey['acct-live']!.requests).toBe(0);
    const text = JSON.stringify([stats, sb.stripe.requests, (await call(`${sb.stripe.url}/_sandbox/stats`)).json]);
    for (const c of Object.values(sb.credentials.tenants.stripe)) expect(text).not.toContain(c.secretKey);
  });
});

test('twenty shops (one of 50,000 orders) start at once and answer each for its own data', async () => {
  const sb = await startSandbox({
    sizes: { charges: 1, members: 1 },
    tenants: { shopify: [{ name: 'big', orders: 50_000 }, ...Array.from({ length: 19 }, (_, k) => ({ name: `shop-${String(k + 1).padStart(2, '0')}`, orders: 1000 }))] },
  });
  try {
    expect(sb.shopify.tenants).toHaveLength(20);
    const big = await call(`${sb.shopify.url}/admin/api/2025-07/orders.json?status=any&limit=1`, { headers: tokenAuth(sb.credentials.tenants.shopify.big!.accessToken) });
    const small = await call(`${sb.shopify.url}/admin/api/2025-07/orders.json?status=any&limit=1`, { headers: tokenAuth(sb.credentials.tenants.shopify['shop-19']!.accessToken) });
    expect([big.status, small.status]).toEqual([200, 200]);
    expect(sb.shopify.records('big')).toHaveLength(50_000);
    expect(sb.shopify.records('shop-19')).toHaveLength(1000);
    expect(small.json.orders[0].id).not.toBe(big.json.orders[0].id);
  } finally {
    await sb.close();
  }
});
