import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { shopifyExecutor } from '../../../src/executors/shopify.js';
import { SHOPIFY_VERSIONS } from '../../../src/registry/connectors/shopify.js';
import { SANDBOX_SHOPIFY_SCOPES, shopifyServedVersion, startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { call, isoSec, linkUrl, shopifyAuth } from './helpers.js';

// Extra tokens: one the merchant granted no order scope, one granted only write_orders.
const NO_ORDERS_TOKEN = 'shpat_sandbox_products_only_0001';
const WRITE_ORDERS_TOKEN = 'shpat_sandbox_write_orders_0001';

let sb: Sandbox;
let base: string;
beforeAll(async () => {
  sb = await startSandbox({
    seed: 7,
    sizes: { orders: 2500, charges: 10, members: 10 },
    shopifyTokens: { [NO_ORDERS_TOKEN]: ['read_products'], [WRITE_ORDERS_TOKEN]: ['write_orders'] },
  });
  base = `${sb.shopify.url}/admin/api/2025-07`;
});
afterAll(() => sb.close());

const get = (url: string, headers: Record<string, string> = shopifyAuth(sb)) => call(url, { headers });

/** Follows rel="next" from a first URL; returns every order and the pages' Link headers. */
async function pageAll(first: string) {
  const orders: { id: number; updated_at: string; [k: string]: unknown }[] = [];
  const links: (string | undefined)[] = [];
  let url: string | null = first;
  while (url) {
    const res = await get(url);
    expect(res.status).toBe(200);
    orders.push(...res.json.orders);
    links.push(res.headers.link);
    url = linkUrl(res.headers.link, 'next');
  }
  return { orders, links };
}

describe('auth', () => {
  test.each([
    ['missing token', {}],
    ['wrong token', { 'x-shopify-access-token': 'shpat_wrong' }],
  ])('%s -> 401 with Shopify body', async (_name, headers) => {
    const res = await get(`${base}/orders.json`, headers);
    expect(res.status).toBe(401);
    expect(res.json).toEqual({ errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' });
  });
});

describe('shop.json and versions', () => {
  test('shop.json names the shop domain', async () => {
    const res = await get(`${base}/shop.json`);
    expect(res.status).toBe(200);
    expect(res.json.shop.myshopify_domain).toBe(sb.credentials.shopify.shopDomain);
    expect(typeof res.json.shop.id).toBe('number');
    expect(res.headers['x-shopify-shop-api-call-limit']).toMatch(/^\d+\/40$/);
  });

  test.each(['2025-08', 'latest', '25-07', '2099-01'])('version %s -> 404', async (v) => {
    const res = await get(`${sb.shopify.url}/admin/api/${v}/orders.json`);
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ errors: 'Not Found' });
  });

  test('a supported version is served as asked', async () => {
    const res = await get(`${sb.shopify.url}/admin/api/${SHOPIFY_VERSIONS.current}/shop.json`);
    expect(res.status).toBe(200);
    expect(res.headers['x-shopify-api-version']).toBe(SHOPIFY_VERSIONS.current);
  });

  test('a version past its support, or older than any listed, falls forward to the oldest supported one', async () => {
    const oldest = shopifyServedVersion('2021-10');
    // 2025-07 reached its end of support on 2026-07-01.
    expect(oldest).not.toBe('2025-07');
    for (const v of ['2025-07', '2021-10']) {
      const res = await get(`${sb.shopify.url}/admin/api/${v}/shop.json`);
      expect(res.status, v).toBe(200);
      expect(res.headers['x-shopify-api-version'], v).toBe(oldest);
    }
    const orders = await get(`${base}/orders.json?status=any&limit=1`);
    expect(orders.status).toBe(200);
    expect(orders.headers['x-shopify-api-version']).toBe(oldest);
  });

  test('shopifyServedVersion follows the registry\'s end-of-support dates', () => {
    const at = (iso: string) => Date.parse(iso);
    expect(shopifyServedVersion('2025-07', at('2026-06-30T12:00:00Z'))).toBe('2025-07');
    expect(shopifyServedVersion('2025-07', at('2026-07-01T00:00:00Z'))).toBe('2025-10');
    expect(shopifyServedVersion('2025-07', at('2026-12-02T00:00:00Z'))).toBe('2026-01');
    expect(shopifyServedVersion('2025-10', at('2026-12-02T00:00:00Z'))).toBe('2026-01');
    expect(shopifyServedVersion('2026-04', at('2026-12-02T00:00:00Z'))).toBe('2026-04');
    expect(shopifyServedVersion('2026-01', at('2027-01-01T00:00:00Z'))).toBe('2026-04');
    expect(shopifyServedVersion('2019-04', at('2026-12-02T00:00:00Z'))).toBe('2026-01');
    // Not released (yet): no version to serve.
    expect(shopifyServedVersion('2027-01', at('2026-12-02T00:00:00Z'))).toBeNull();
    expect(shopifyServedVersion('2026-10', at('2026-09-30T00:00:00Z'))).toBeNull();
    expect(shopifyServedVersion('unstable', at('2026-12-02T00:00:00Z'))).toBeNull();
  });
});

describe('access scopes', () => {
  const scopesUrl = () => `${sb.shopify.url}/admin/oauth/access_scopes.json`;

  test('GET /admin/oauth/access_scopes.json (unversioned) lists the token\'s scopes as handles', async () => {
    const res = await get(scopesUrl());
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ access_scopes: SANDBOX_SHOPIFY_SCOPES.map((handle) => ({ handle })) });
    expect((await get(scopesUrl(), { 'x-shopify-access-token': NO_ORDERS_TOKEN })).json).toEqual({ access_scopes: [{ handle: 'read_products' }] });
    expect((await get(scopesUrl(), { 'x-shopify-access-token': 'shpat_unknown' })).status).toBe(401);
  });

  test('orders.json needs read_orders or write_orders; shop.json does not', async () => {
    const denied = await get(`${base}/orders.json`, { 'x-shopify-access-token': NO_ORDERS_TOKEN });
    expect(denied.status).toBe(403);
    expect(denied.json.errors).toContain('read_orders');
    expect((await get(`${base}/shop.json`, { 'x-shopify-access-token': NO_ORDERS_TOKEN })).status).toBe(200);
    expect((await get(`${base}/orders.json`, { 'x-shopify-access-token': WRITE_ORDERS_TOKEN })).status).toBe(200);
  });
});

describe('shopify executor against the emulator', () => {
  const saved = process.env.PIPELINE_SANDBOX;
  afterEach(() => {
    if (saved === undefined) delete process.env.PIPELINE_SANDBOX;
    else process.env.PIPELINE_SANDBOX = saved;
  });
  const testConnection = (accessToken: string, apiVersion?: string) => {
    process.env.PIPELINE_SANDBOX = '1';
    return shopifyExecutor.testConnection(
      { shopDomain: sb.credentials.shopify.shopDomain, accessToken, ...(apiVersion ? { apiVersion } : {}) } as never,
      { baseUrlOverride: sb.shopify.url },
    );
  };

  test('the sandbox token passes; a pinned expired version is reported as served by another', async () => {
    const ok = await testConnection(sb.credentials.shopify.accessToken);
    expect(ok).toMatchObject({ ok: true, body: { readAllOrders: true, servedVersion: SHOPIFY_VERSIONS.current } });
    const old = await testConnection(sb.credentials.shopify.accessToken, '2025-07');
    expect(old.ok).toBe(true);
    expect(old.body).toMatchObject({ apiVersion: '2025-07', servedVersion: shopifyServedVersion('2025-07') });
    expect((old.body as Record<string, unknown>).versionNote).toContain('instead of 2025-07');
  });

  test('a token without read_orders fails forbidden before any order is read', async () => {
    const res = await testConnection(NO_ORDERS_TOKEN);
    expect(res).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(res.error!.message).toContain('read_orders');
    expect(JSON.stringify(res)).not.toContain(NO_ORDERS_TOKEN);
  });
});

describe('orders.json', () => {
  test('Link pagination returns every order exactly once, in id order', async () => {
    const { orders, links } = await pageAll(`${base}/orders.json?status=any&limit=250`);
    const ids = orders.map((o) => o.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(ids.map(String).sort()).toEqual(sb.shopify.records().map((r) => r.id).sort());
    expect(links).toHaveLength(10);
    expect(linkUrl(links[0], 'previous')).toBeNull();
    expect(linkUrl(links[1], 'previous')).not.toBeNull();
    expect(linkUrl(links[9], 'next')).toBeNull();
    // The next link keeps the limit and carries only limit + page_info.
    const next = new URL(linkUrl(links[0], 'next')!);
    expect([...next.searchParams.keys()].sort()).toEqual(['limit', 'page_info']);
    expect(next.searchParams.get('limit')).toBe('250');
    expect(next.origin).toBe(sb.shopify.url);
  });

  test('rel="previous" leads back to the same page', async () => {
    const p1 = await get(`${base}/orders.json?status=any&limit=100`);
    const p2 = await get(linkUrl(p1.headers.link, 'next')!);
    const back = await get(linkUrl(p2.headers.link, 'previous')!);
    expect(back.json.orders.map((o: { id: number }) => o.id)).toEqual(p1.json.orders.map((o: { id: number }) => o.id));
    expect(linkUrl(back.headers.link, 'previous')).toBeNull();
  });

  test('default limit is 50; limit bounds are enforced', async () => {
    const res = await get(`${base}/orders.json?status=any`);
    expect(res.json.orders).toHaveLength(50);
    for (const bad of ['251', '0', 'ten']) {
      const r = await get(`${base}/orders.json?limit=${bad}`);
      expect(r.status).toBe(400);
      expect(Array.isArray(r.json.errors.limit)).toBe(true);
    }
  });

  test('page_info with anything but limit and fields -> 400', async () => {
    const first = await get(`${base}/orders.json?status=any&limit=5`);
    const next = new URL(linkUrl(first.headers.link, 'next')!);
    for (const extra of ['status=any', 'updated_at_min=2020-01-01T00:00:00Z', 'since_id=1']) {
      const r = await get(`${next.href}&${extra}`);
      expect(r.status).toBe(400);
      expect(r.json.errors.page_info[0]).toMatch(/cannot be used with/);
    }
    const ok = await get(`${next.origin}${next.pathname}?page_info=${next.searchParams.get('page_info')}&limit=7&fields=id`);
    expect(ok.status).toBe(200);
    expect(ok.json.orders).toHaveLength(7);
    expect(Object.keys(ok.json.orders[0])).toEqual(['id']);
    const bad = await get(`${base}/orders.json?page_info=not-a-cursor`);
    expect(bad.status).toBe(400);
    expect(bad.json.errors.page_info).toBeDefined();
  });

  test('status defaults to open; status=any also returns closed and cancelled orders', async () => {
    const open = await pageAll(`${base}/orders.json?limit=250`);
    const all = await pageAll(`${base}/orders.json?limit=250&status=any`);
    const closed = await pageAll(`${base}/orders.json?limit=250&status=closed`);
    const cancelled = await pageAll(`${base}/orders.json?limit=250&status=cancelled`);
    expect(open.orders.length).toBeLessThan(all.orders.length);
    expect(open.orders.length + closed.orders.length).toBe(all.orders.length);
    expect(open.orders.every((o) => o.closed_at === null && o.cancelled_at === null)).toBe(true);
    expect(closed.orders.every((o) => o.closed_at !== null)).toBe(true);
    // Cancelling archives an order: cancelled orders are also closed ones.
    expect(cancelled.orders.length).toBeGreaterThan(0);
    expect(cancelled.orders.every((o) => o.cancelled_at !== null)).toBe(true);
    const closedIds = new Set(closed.orders.map((o) => o.id));
    expect(cancelled.orders.every((o) => closedIds.has(o.id))).toBe(true);
    const bad = await get(`${base}/orders.json?status=archived`);
    expect(bad.status).toBe(400);
  });

  test('updated_at_min/max are an inclusive window, whatever the offset notation', async () => {
    const recs = sb.shopify.records();
    const times = [...new Set(recs.map((r) => isoSec(r.updatedAt)))].sort((a, b) => a - b);
    const lo = times[400]!;
    const hi = times[900]!;
    const expected = recs.filter((r) => isoSec(r.updatedAt) >= lo && isoSec(r.updatedAt) <= hi).map((r) => r.id).sort();
    // Same instants written in UTC and in the shop's -05:00 offset.
    const min = new Date(lo * 1000).toISOString();
    const max = new Date((hi - 5 * 3600) * 1000).toISOString().slice(0, 19) + '-05:00';
    const { orders } = await pageAll(`${base}/orders.json?status=any&limit=100&updated_at_min=${encodeURIComponent(min)}&updated_at_max=${encodeURIComponent(max)}`);
    expect(orders.map((o) => String(o.id)).sort()).toEqual(expected);
    expect(orders.every((o) => /[+-]\d{2}:\d{2}$/.test(o.updated_at))).toBe(true);
  });

  test('order JSON has the documented shape; fields projects it', async () => {
    const res = await get(`${base}/orders.json?status=any&limit=3`);
    const o = res.json.orders[0];
    expect(typeof o.id).toBe('number');
    expect(o.name).toBe('#1001');
    expect(o.updated_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}-05:00$/);
    expect(typeof o.total_price).toBe('string');
    expect(o.line_items.length).toBeGreaterThanOrEqual(1);
    expect(o.customer.email).toMatch(/@example\.(com|org|net)$/);
    expect(Date.parse(o.created_at)).toBeLessThanOrEqual(Date.parse(o.updated_at));
    const slim = await get(`${base}/orders.json?status=any&limit=3&fields=id,updated_at`);
    expect(Object.keys(slim.json.orders[0]).sort()).toEqual(['id', 'updated_at']);
  });

  test('data spans the 30 days ending an hour before start', async () => {
    const times = sb.shopify.records().map((r) => Date.parse(r.updatedAt));
    const now = Date.now();
    expect(Math.max(...times)).toBeLessThanOrEqual(now - 3600_000);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(now - 31 * 86_400_000 - 3600_000);
  });

  test('mutate: an incremental window sees exactly the updated and created orders', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const { updated, created } = sb.shopify.mutate({ update: 5, create: 3 });
    expect(updated).toHaveLength(5);
    expect(created).toHaveLength(3);
    const { orders } = await pageAll(`${base}/orders.json?status=any&limit=2&updated_at_min=${encodeURIComponent(since)}`);
    expect(orders.map((o) => String(o.id)).sort()).toEqual([...updated, ...created].sort());
    const recs = new Map(sb.shopify.records().map((r) => [r.id, r.updatedAt]));
    expect(recs.size).toBe(2503);
    for (const id of [...updated, ...created]) expect(Date.parse(recs.get(id)!)).toBeGreaterThanOrEqual(Date.parse(since) - 1000);
    // The full listing still holds every order once.
    const all = await pageAll(`${base}/orders.json?status=any&limit=250`);
    expect(all.orders).toHaveLength(2503);
    expect(new Set(all.orders.map((o) => o.id)).size).toBe(2503);
  });
});
