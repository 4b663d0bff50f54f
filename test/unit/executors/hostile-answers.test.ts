// Executors against hostile or broken answers: Link headers that are not URLs, cursors that cannot be
// read back, secrets echoed in 2xx bodies and in header-derived messages, credentials with characters
// an HTTP header cannot carry. None of them may throw; each is a typed, mapped failure.
import { describe, expect, test } from 'vitest';
import type { CallOptions, PullRequest } from '../../../src/core/envelope.js';
import { brazeExecutor } from '../../../src/executors/braze.js';
import { mailchimpExecutor } from '../../../src/executors/mailchimp.js';
import { readNextPageInfo, shopifyExecutor } from '../../../src/executors/shopify.js';
import { stripeExecutor } from '../../../src/executors/stripe.js';
import { zendeskExecutor } from '../../../src/executors/zendesk.js';
import { JSON_HEADERS, pathIs, useMockAgent } from '../../helpers/mock-agent.js';

const mock = useMockAgent();

type Pull = (cfg: Record<string, unknown>, req: PullRequest, opts?: CallOptions) => ReturnType<NonNullable<typeof shopifyExecutor.pull>>;

describe('Shopify', () => {
  const TOKEN = 'shpat_0123456789abcdef0123456789abcdef';
  const ORIGIN = 'https://demo.myshopify.com';
  const ORDERS = '/admin/api/2026-10/orders.json';
  const config = { shopDomain: 'demo.myshopify.com', accessToken: TOKEN };
  const pull: Pull = (cfg, req, opts) => shopifyExecutor.pull!(cfg as never, req, opts);
  const order = { id: 1, updated_at: '2025-01-02T00:00:00Z' };
  const replyOrders = (headers: Record<string, string>, status = 200, body: unknown = { orders: [order] }) =>
    mock.agent.get(ORIGIN).intercept({ path: pathIs(ORDERS), method: 'GET' }).reply(status, JSON.stringify(body), { headers: { ...JSON_HEADERS, ...headers } });

  test.each([
    ['not a URL', '<not a url>; rel="next"'],
    ['an empty target', '<>; rel="next"'],
    ['a next link without page_info', `<${ORIGIN}${ORDERS}?limit=2>; rel="next"`],
    ['a page_info that is no token', `<${ORIGIN}${ORDERS}?limit=2&page_info=a%20b%22%3Cc>; rel="next"`],
  ])('a Link header with %s fails the page as invalid_response; it never throws', async (_name, link) => {
    replyOrders({ link });
    const res = await pull(config, { stream: 'orders' });
    expect(res).toMatchObject({ ok: false, status: 200, body: null, error: { code: 'invalid_response', retryable: false } });
  });

  test('readNextPageInfo tells the last page from a broken header, in linear time', () => {
    expect(readNextPageInfo(undefined)).toEqual({ pageInfo: null });
    expect(readNextPageInfo(`<${ORIGIN}${ORDERS}?page_info=p1>; rel="previous"`)).toEqual({ pageInfo: null });
    expect(readNextPageInfo(`<${ORIGIN}${ORDERS}?page_info=p0>; rel="previous", <${ORIGIN}${ORDERS}?page_info=n1>; rel="next"`)).toEqual({ pageInfo: 'n1' });
    expect(readNextPageInfo('<::>; rel="next"')).toHaveProperty('problem');
    const started = performance.now();
    readNextPageInfo('<'.repeat(200_000));
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  test('a mangled incoming cursor is invalid_config with a clear message; nothing is sent', async () => {
    for (const cursor of ['a b', 'x&status=any', '"quoted"', 'p'.repeat(5_000)]) {
      const res = await pull(config, { stream: 'orders', cursor });
      expect(res, cursor).toMatchObject({ ok: false, status: 0, error: { code: 'invalid_config' } });
      expect(res.error!.message).toMatch(/cursor is not a page_info token/);
    }
    expect(mock.sent()).toHaveLength(0);
  });

  test('a 429 without Retry-After whose call-limit header carries the token: the message is redacted', async () => {
    replyOrders({ 'x-shopify-shop-api-call-limit': `40/40 ${TOKEN}` }, 429, { errors: 'Exceeded 2 calls per second for api client.' });
    const res = await pull(config, { stream: 'orders' });
    expect(res.error).toMatchObject({ code: 'rate_limited', retryable: true });
    expect(res.error!.message).toContain('40/40');
    expect(JSON.stringify(res)).not.toContain(TOKEN);
  });

  test('a token echoed in a 2xx body (an order note) does not reach the records', async () => {
    replyOrders({}, 200, { orders: [{ ...order, note: `paid with ${TOKEN}` }] });
    const res = await pull(config, { stream: 'orders' });
    expect(res.ok).toBe(true);
    expect(JSON.stringify(res)).not.toContain(TOKEN);
  });
});

describe('Stripe', () => {
  const KEY = 'sk_test_51HqLyjWDarjtT1zdp7dcXYZabc123';
  const ORIGIN = 'https://api.stripe.com';
  const pull: Pull = (cfg, req, opts) => stripeExecutor.pull!(cfg as never, req, opts);
  const list = (id: string, hasMore: boolean) => ({ object: 'list', data: [{ id, created: 1_735_900_000 }], has_more: hasMore });

  test.each([
    ['a space and a quote', 'ch 1"x'],
    ['a query', 'ch_1&limit=5'],
    ['256 characters', `ch_${'x'.repeat(253)}`],
  ])('a last charge id with %s cannot be the next cursor: the page that produced it fails as invalid_response', async (_name, id) => {
    mock.agent.get(ORIGIN).intercept({ path: pathIs('/v1/charges'), method: 'GET' }).reply(200, JSON.stringify(list(id, true)), { headers: JSON_HEADERS });
    const res = await pull({ secretKey: KEY }, { stream: 'charges' });
    expect(res).toMatchObject({ ok: false, status: 200, error: { code: 'invalid_response', retryable: false } });
  });

  test('the same id on the last page is no cursor, so it is fine', async () => {
    mock.agent.get(ORIGIN).intercept({ path: pathIs('/v1/charges'), method: 'GET' }).reply(200, JSON.stringify(list('ch 1', false)), { headers: JSON_HEADERS });
    expect((await pull({ secretKey: KEY }, { stream: 'charges' })).body?.nextCursor).toBeNull();
  });

  test('a mangled incoming cursor is invalid_config saying what a cursor is; nothing is sent', async () => {
    const res = await pull({ secretKey: KEY }, { stream: 'charges', cursor: 'ch_1 OR 1=1' });
    expect(res).toMatchObject({ ok: false, status: 0, error: { code: 'invalid_config' } });
    expect(res.error!.message).toMatch(/neither a Stripe object id nor an events position of this connector/);
    expect(mock.sent()).toHaveLength(0);
  });
});

describe('Mailchimp', () => {
  const KEY = '0123456789abcdef0123456789abcdef-us6';
  const ORIGIN = 'https://us6.api.mailchimp.com';
  const LIST = 'a1b2c3d4e5';
  const pull: Pull = (cfg, req, opts) => mailchimpExecutor.pull!(cfg as never, req, opts);
  const member = { id: '0123456789abcdef0123456789abcdef', last_changed: '2025-01-02T00:00:00+00:00' };

  test.each([
    ['10 000 000 000', 10_000_000_000],
    ['2^53 - 1', Number.MAX_SAFE_INTEGER],
  ])('total_items of %s makes a cursor that cannot be read back: invalid_response on this page', async (_name, total) => {
    mock.agent.get(ORIGIN).intercept({ path: pathIs(`/3.0/lists/${LIST}/members`), method: 'GET' })
      .reply(200, JSON.stringify({ members: [member], total_items: total }), { headers: JSON_HEADERS });
    const res = await pull({ apiKey: KEY, listId: LIST }, { stream: 'members', until: '2025-06-01T00:00:00Z' });
    expect(res).toMatchObject({ ok: false, status: 200, error: { code: 'invalid_response', retryable: false } });
  });
});

describe('secrets echoed in 2xx bodies (Braze)', () => {
  const KEY = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
  const ORIGIN = 'https://rest.iad-01.braze.com';
  const config = { restEndpoint: ORIGIN, apiKey: KEY };
  const MESSAGE = { events: [{ external_id: 'u1', name: 'order_placed', time: '2025-01-01T00:00:00Z' }] };
  const replyTrack = (body: unknown) =>
    mock.agent.get(ORIGIN).intercept({ path: '/users/track', method: 'POST' }).reply(201, JSON.stringify(body), { headers: JSON_HEADERS });

  test('a 2xx "message" echoing the key does not reach the error message', async () => {
    replyTrack({ message: `key ${KEY} is deprecated` });
    const res = await brazeExecutor.send!(config as never, MESSAGE);
    expect(res.error).toMatchObject({ code: 'invalid_response' });
    expect(JSON.stringify(res)).not.toContain(KEY);
  });

  test('per-object errors of a 2xx echoing the key do not reach the result', async () => {
    replyTrack({ message: 'success', events_processed: 0, errors: [{ type: `invalid key ${KEY}`, input_array: 'events', index: 0 }] });
    const res = await brazeExecutor.send!(config as never, MESSAGE);
    expect(res.ok).toBe(true);
    expect(JSON.stringify(res)).not.toContain(KEY);
  });
});

describe('credentials with characters a header cannot carry', () => {
  test.each([
    ['a trailing line feed', 'fake-zendesk-token\n'],
    ['CR LF', 'fake-zendesk\r\ntoken'],
    ['a zero-width space', 'fake-zendesk\u200btoken'],
    ['NUL', 'fake-zendesk\u0000token'],
  ])('a Zendesk API token with %s is invalid_config naming the field; nothing is sent', async (_name, apiToken) => {
    const res = await zendeskExecutor.testConnection({ authMethod: 'api_token', subdomain: 'acme', email: 'agent@example.com', apiToken } as never);
    expect(res).toMatchObject({ ok: false, status: 0, error: { code: 'invalid_config', retryable: false } });
    expect(res.error!.message).toContain('(apiToken)');
    expect(mock.sent()).toHaveLength(0);
  });
});
