// Shopify executor against MockAgent: orders.json paged through the Link header
// (facts: src/registry/connectors/shopify.ts).
import { describe, expect, test } from 'vitest';
import type { CallOptions } from '../../../src/core/envelope.js';
import { checkShopifyScopes, nextPageInfo, shopifyExecutor } from '../../../src/executors/shopify.js';
import { JSON_HEADERS, pathIs, queryPairs, useMockAgent } from '../../helpers/mock-agent.js';
import { describeHttpContract } from './http-contract.js';

const mock = useMockAgent();

const TOKEN = 'shpat_0123456789abcdef0123456789abcdef';
const ORIGIN = 'https://demo.myshopify.com';
const ORDERS = '/admin/api/2026-10/orders.json';
const config = { shopDomain: 'demo.myshopify.com', accessToken: TOKEN };

const pull = (cfg: Record<string, unknown>, req: Parameters<NonNullable<typeof shopifyExecutor.pull>>[1], opts?: CallOptions) =>
  shopifyExecutor.pull!(cfg as never, req, opts);

function link(next?: string, previous?: string): string {
  const parts: string[] = [];
  if (previous) parts.push(`<${ORIGIN}${ORDERS}?limit=2&page_info=${previous}>; rel="previous"`);
  if (next) parts.push(`<${ORIGIN}${ORDERS}?limit=2&page_info=${next}>; rel="next"`);
  return parts.join(', ');
}

function replyOrders(orders: unknown[], linkHeader?: string) {
  mock.agent.get(ORIGIN).intercept({ path: pathIs(ORDERS), method: 'GET' })
    .reply(200, JSON.stringify({ orders }), { headers: { ...JSON_HEADERS, ...(linkHeader ? { link: linkHeader } : {}) } });
}

const SCOPES = '/admin/oauth/access_scopes.json';

function replyScopes(handles: string[], origin = ORIGIN) {
  mock.agent.get(origin).intercept({ path: SCOPES, method: 'GET' })
    .reply(200, JSON.stringify({ access_scopes: handles.map((handle) => ({ handle })) }), { headers: JSON_HEADERS });
}

function replyShop(version: string, servedVersion: string | null = version) {
  mock.agent.get(ORIGIN).intercept({ path: `/admin/api/${version}/shop.json`, method: 'GET' })
    .reply(200, JSON.stringify({ shop: { id: 548380009, name: 'Demo' } }), {
      headers: { ...JSON_HEADERS, ...(servedVersion ? { 'x-shopify-api-version': servedVersion } : {}) },
    });
}

describe('shopify testConnection', () => {
  test('reads the granted scopes (unversioned), then GET /admin/api/{version}/shop.json, both with X-Shopify-Access-Token', async () => {
    replyScopes(['read_products', 'read_orders']);
    replyShop('2026-04');
    const res = await shopifyExecutor.testConnection({ ...config, apiVersion: '2026-04' } as never);
    expect(res).toMatchObject({
      ok: true,
      status: 200,
      body: { shop: { id: 548380009 }, scopes: ['read_orders', 'read_products'], readAllOrders: false, apiVersion: '2026-04', servedVersion: '2026-04' },
    });
    expect((res.body as Record<string, unknown>).versionNote).toBeUndefined();
    const sent = mock.sent();
    expect(sent.map((s) => `${s.method} ${s.url.href}`)).toEqual([`GET ${ORIGIN}${SCOPES}`, `GET ${ORIGIN}/admin/api/2026-04/shop.json`]);
    for (const s of sent) expect(s.headers['x-shopify-access-token']).toBe(TOKEN);
  });

  test('write_orders grants read access too; read_all_orders is reported', async () => {
    replyScopes(['write_orders', 'read_all_orders']);
    replyShop('2026-10');
    const res = await shopifyExecutor.testConnection(config as never);
    expect(res).toMatchObject({ ok: true, body: { readAllOrders: true, scopes: ['read_all_orders', 'write_orders'] } });
  });

  test('a token without read_orders (or write_orders) is forbidden, naming the missing scope; shop.json is not asked', async () => {
    replyScopes(['read_products', 'read_all_orders']);
    const res = await shopifyExecutor.testConnection(config as never);
    expect(res).toMatchObject({ ok: false, status: 200, body: null, error: { code: 'forbidden', retryable: false } });
    expect(res.error!.message).toContain('read_orders');
    expect(res.error!.message).toContain('granted: read_all_orders, read_products');
    expect(JSON.stringify(res)).not.toContain(TOKEN);
    expect(mock.sent()).toHaveLength(1);
  });

  test('a token with no scopes at all is forbidden too', async () => {
    replyScopes([]);
    const res = await shopifyExecutor.testConnection(config as never);
    expect(res.error).toMatchObject({ code: 'forbidden' });
    expect(res.error!.message).toContain('granted: none');
  });

  test('Shopify serving another version than asked (fall forward) is reported as servedVersion with a note', async () => {
    replyScopes(['read_orders']);
    replyShop('2025-07', '2026-01');
    const res = await shopifyExecutor.testConnection({ ...config, apiVersion: '2025-07' } as never);
    expect(res.ok).toBe(true);
    const body = res.body as Record<string, unknown>;
    expect(body).toMatchObject({ apiVersion: '2025-07', servedVersion: '2026-01' });
    expect(body.versionNote).toContain('served Admin API version 2026-01 instead of 2025-07');
    expect(body.versionNote).toContain('2026-10');
  });

  test('no X-Shopify-Api-Version header: servedVersion is null and no note', async () => {
    replyScopes(['read_orders']);
    replyShop('2026-10', null);
    const res = await shopifyExecutor.testConnection(config as never);
    expect(res.body).toMatchObject({ servedVersion: null });
    expect((res.body as Record<string, unknown>).versionNote).toBeUndefined();
  });

  test('an invalid token is unauthorized at the scopes call, with the echoed token redacted', async () => {
    mock.agent.get(ORIGIN).intercept({ path: SCOPES, method: 'GET' })
      .reply(401, JSON.stringify({ errors: `[API] Invalid API key or access token ${TOKEN}` }), { headers: JSON_HEADERS });
    const res = await shopifyExecutor.testConnection(config as never);
    expect(res.error).toMatchObject({ code: 'unauthorized', retryable: false });
    expect(JSON.stringify(res)).not.toContain(TOKEN);
    expect(mock.sent()).toHaveLength(1);
  });

  test('a scopes answer of the wrong shape is invalid_response', async () => {
    mock.agent.get(ORIGIN).intercept({ path: SCOPES, method: 'GET' }).reply(200, JSON.stringify({ scopes: 'read_orders' }), { headers: JSON_HEADERS });
    expect((await shopifyExecutor.testConnection(config as never)).error).toMatchObject({ code: 'invalid_response' });
  });

  test('an admin URL as shop domain is normalised to the myshopify host', async () => {
    replyScopes(['read_orders']);
    replyShop('2026-10');
    const res = await shopifyExecutor.testConnection({ ...config, shopDomain: 'https://Demo.myshopify.com/admin' } as never);
    expect(res.ok).toBe(true);
    expect(mock.sent().map((s) => s.url.host)).toEqual(['demo.myshopify.com', 'demo.myshopify.com']);
  });

  test('a shop domain that is not *.myshopify.com is invalid_config, nothing sent', async () => {
    const res = await shopifyExecutor.testConnection({ ...config, shopDomain: 'shop.example.com' } as never);
    expect(res).toMatchObject({ ok: false, status: 0, error: { code: 'invalid_config' } });
    expect(mock.sent()).toHaveLength(0);
  });

  test('checkShopifyScopes', () => {
    expect(checkShopifyScopes(['read_orders', 'read_orders'])).toEqual({ scopes: ['read_orders'], readsOrders: true, readsAllOrders: false });
    expect(checkShopifyScopes(['read_all_orders'])).toMatchObject({ readsOrders: false, readsAllOrders: true });
    expect(checkShopifyScopes(['read_draft_orders', 'write_draft_orders']).readsOrders).toBe(false);
  });
});

describe('shopify pull orders', () => {
  test('first request: status=any, updated_at_min/max and limit, nothing else', async () => {
    replyOrders([]);
    const res = await pull(config, { stream: 'orders', since: '2025-01-01T00:00:00Z', until: '2025-02-01T00:00:00Z', pageSize: 100 });
    expect(res).toMatchObject({ ok: true, body: { records: [], nextCursor: null, watermark: null } });
    const { url, headers } = mock.sent()[0]!;
    expect(url.origin + url.pathname).toBe(ORIGIN + ORDERS);
    expect(Object.fromEntries(queryPairs(url))).toEqual({
      status: 'any',
      updated_at_min: '2025-01-01T00:00:00Z',
      updated_at_max: '2025-02-01T00:00:00Z',
      limit: '100',
    });
    expect(queryPairs(url)).toHaveLength(4);
    expect(headers['x-shopify-access-token']).toBe(TOKEN);
  });

  test('startDate is the lower bound when no watermark is given; limit is clamped to 1..250', async () => {
    replyOrders([]);
    replyOrders([]);
    await pull({ ...config, startDate: '2024-06-01T00:00:00Z' }, { stream: 'orders', pageSize: 1_000 });
    await pull(config, { stream: 'orders', pageSize: 0 });
    const [first, second] = mock.sent();
    expect(first!.url.searchParams.get('updated_at_min')).toBe('2024-06-01T00:00:00Z');
    expect(first!.url.searchParams.get('limit')).toBe('250');
    expect(first!.url.searchParams.has('updated_at_max')).toBe(false);
    expect(second!.url.searchParams.get('limit')).toBe('1');
    expect(second!.url.searchParams.has('updated_at_min')).toBe(false);
  });

  test('three pages chained through the Link header; page_info requests carry only limit + page_info', async () => {
    replyOrders([{ id: 1, updated_at: '2025-01-02T10:00:00-05:00' }, { id: 2, updated_at: '2025-01-03T00:00:00Z' }], link('p2'));
    replyOrders([{ id: 3, updated_at: '2025-01-04T00:00:00Z' }, { id: 4, updated_at: '2025-01-05T00:00:00Z' }], link('p3', 'p1'));
    replyOrders([{ id: 5, updated_at: '2025-01-06T00:00:00Z' }], link(undefined, 'p2'));

    const seen: string[] = [];
    let cursor: string | null = null;
    const req = { stream: 'orders', since: '2025-01-01T00:00:00Z', until: '2025-02-01T00:00:00Z', pageSize: 2 };
    for (let page = 0; page < 3; page++) {
      const res = await pull(config, { ...req, cursor });
      expect(res.ok).toBe(true);
      seen.push(...res.body!.records.map((r) => r.id));
      cursor = res.body!.nextCursor;
      if (page < 2) expect(cursor).toBe(`p${page + 2}`);
    }
    expect(cursor).toBeNull();
    expect(seen).toEqual(['1', '2', '3', '4', '5']);

    const sent = mock.sent();
    expect(sent).toHaveLength(3);
    expect(sent[0]!.url.searchParams.get('status')).toBe('any');
    for (const [i, s] of sent.slice(1).entries()) {
      expect(s.url.pathname).toBe(ORDERS);
      expect(queryPairs(s.url)).toEqual([['limit', '2'], ['page_info', `p${i + 2}`]]);
    }
  });

  test('normalises orders: string ids, updatedAt in UTC, watermark = highest updatedAt', async () => {
    const orders = [
      { id: 450789469, updated_at: '2025-03-01T12:00:00-05:00', total_price: '10.00' },
      { id: 450789470, updated_at: '2025-03-01T18:30:00+01:00' },
      { id: '450789471', updated_at: '2025-02-28T23:59:59Z' },
    ];
    replyOrders(orders);
    const res = await pull(config, { stream: 'orders' });
    expect(res.body!.records).toEqual([
      { id: '450789469', updatedAt: '2025-03-01T17:00:00.000Z', data: orders[0] },
      { id: '450789470', updatedAt: '2025-03-01T17:30:00.000Z', data: orders[1] },
      { id: '450789471', updatedAt: '2025-02-28T23:59:59.000Z', data: orders[2] },
    ]);
    expect(res.body!.watermark).toBe('2025-03-01T17:30:00.000Z');
  });

  test('429 with only X-Shopify-Shop-Api-Call-Limit (no Retry-After) still gets a retryAfterMs', async () => {
    mock.agent.get(ORIGIN).intercept({ path: pathIs(ORDERS), method: 'GET' })
      .reply(429, JSON.stringify({ errors: 'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.' }), {
        headers: { ...JSON_HEADERS, 'x-shopify-shop-api-call-limit': '40/40' },
      });
    const res = await pull(config, { stream: 'orders' });
    expect(res.error).toMatchObject({ code: 'rate_limited', retryable: true });
    expect(res.error!.retryAfterMs).toBeGreaterThan(0);
    expect(res.error!.message).toContain('40/40');
  });

  test('an unknown stream is invalid_config, nothing sent', async () => {
    const res = await pull(config, { stream: 'customers' });
    expect(res).toMatchObject({ ok: false, status: 0, error: { code: 'invalid_config' } });
    expect(mock.sent()).toHaveLength(0);
  });

  test('nextPageInfo reads rel="next" among several links', () => {
    expect(nextPageInfo(link('abc', 'xyz'))).toBe('abc');
    expect(nextPageInfo(link(undefined, 'xyz'))).toBeNull();
    expect(nextPageInfo(undefined)).toBeNull();
  });

  describeHttpContract(mock, {
    config,
    secretField: 'accessToken',
    malformedSecret: 'short',
    origin: ORIGIN,
    path: ORDERS,
    call: (cfg, opts) => pull(cfg, { stream: 'orders' }, opts),
    others: { testConnection: (cfg, opts) => shopifyExecutor.testConnection(cfg as never, opts) },
    okBody: { orders: [] },
    errorBody: (message) => ({ errors: `[API] ${message}` }),
  });
});
