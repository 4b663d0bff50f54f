// Stripe executor against MockAgent: /v1/charges paged with starting_after
// (facts: src/registry/connectors/stripe.ts), the outgoing queries checked against Stripe's own OpenAPI
// schemas in ../shared/specs.
import { describe, expect, test } from 'vitest';
import type { CallOptions, PullRequest } from '../../../src/core/envelope.js';
import { stripeExecutor } from '../../../src/executors/stripe.js';
import { stripe } from '../../../src/registry/connectors/stripe.js';
import { JSON_HEADERS, pathIs, queryPairs, useMockAgent } from '../../helpers/mock-agent.js';
import { closed, compileSchema, loadSpec, queryToObject, specsAvailable, warnIfSpecsMissing } from '../../helpers/specs.js';
import { describeHttpContract } from './http-contract.js';

const mock = useMockAgent();

const KEY = 'sk_test_51HqLyjWDarjtT1zdp7dcXYZabc123';
const ORIGIN = 'https://api.stripe.com';
const CHARGES = '/v1/charges';
const config = { secretKey: KEY };

const pull = (cfg: Record<string, unknown>, req: PullRequest, opts?: CallOptions) => stripeExecutor.pull!(cfg as never, req, opts);

/** A charge with every field Stripe's schema requires, so fixtures are realistic. */
function charge(id: string, created: number, extra: Record<string, unknown> = {}) {
  return {
    id, object: 'charge', amount: 2000, amount_captured: 2000, amount_refunded: 0,
    billing_details: { address: null, email: null, name: null, phone: null },
    captured: true, created, currency: 'usd', disputed: false, livemode: false, metadata: {},
    paid: true, refunded: false, status: 'succeeded', ...extra,
  };
}
const list = (data: unknown[], hasMore: boolean) => ({ object: 'list', data, has_more: hasMore, url: CHARGES });

// Newest first, as Stripe lists them.
const PAGES = [
  list([charge('ch_3Pa', 1_735_900_000), charge('ch_3Pb', 1_735_800_000)], true),
  list([charge('ch_3Pc', 1_735_700_000, { metadata: { order: '42' } }), charge('ch_3Pd', 1_735_600_000)], true),
  list([charge('ch_3Pe', 1_735_500_000, { status: 'failed', paid: false, captured: false, amount_captured: 0 })], false),
];
const BALANCE = { object: 'balance', available: [{ amount: 0, currency: 'usd', source_types: { card: 0 } }], pending: [], livemode: false };

function replyList(body: unknown, headers: Record<string, string> = {}) {
  mock.agent.get(ORIGIN).intercept({ path: pathIs(CHARGES), method: 'GET' })
    .reply(200, JSON.stringify(body), { headers: { ...JSON_HEADERS, ...headers } });
}

function replyError(status: number, error: Record<string, unknown>, headers: Record<string, string> = {}) {
  mock.agent.get(ORIGIN).intercept({ path: pathIs(CHARGES), method: 'GET' })
    .reply(status, JSON.stringify({ error }), { headers: { ...JSON_HEADERS, ...headers } });
}

async function pullAll(req: Omit<PullRequest, 'cursor'>) {
  const pages = [];
  let cursor: string | null = null;
  do {
    const res = await pull(config, { ...req, cursor });
    expect(res.error).toBeUndefined();
    pages.push(res.body!);
    cursor = res.body!.nextCursor;
  } while (cursor !== null && pages.length < 10);
  return pages;
}

describe('stripe testConnection', () => {
  test('GET /v1/balance with Bearer key, Stripe-Version and Stripe-Account when configured', async () => {
    mock.agent.get(ORIGIN).intercept({ path: '/v1/balance', method: 'GET' }).reply(200, JSON.stringify(BALANCE), { headers: JSON_HEADERS });
    const res = await stripeExecutor.testConnection({ ...config, apiVersion: '2025-07-30.basil', connectAccountId: 'acct_1A2b3C4d5E6f' } as never);
    expect(res).toMatchObject({ ok: true, status: 200, body: { object: 'balance' } });
    const [sent] = mock.sent();
    expect(sent!.method).toBe('GET');
    expect(sent!.url.href).toBe(`${ORIGIN}/v1/balance`);
    expect(sent!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent!.headers['stripe-version']).toBe('2025-07-30.basil');
    expect(sent!.headers['stripe-account']).toBe('acct_1A2b3C4d5E6f');
  });

  test('no Stripe-Version / Stripe-Account headers unless configured', async () => {
    mock.agent.get(ORIGIN).intercept({ path: '/v1/balance', method: 'GET' }).reply(200, JSON.stringify(BALANCE), { headers: JSON_HEADERS });
    await stripeExecutor.testConnection(config as never);
    const { headers } = mock.sent()[0]!;
    expect(headers).not.toHaveProperty('stripe-version');
    expect(headers).not.toHaveProperty('stripe-account');
  });

  test('a balance body of the wrong shape is invalid_response', async () => {
    mock.agent.get(ORIGIN).intercept({ path: '/v1/balance', method: 'GET' }).reply(200, JSON.stringify({ object: 'list', data: [] }), { headers: JSON_HEADERS });
    const res = await stripeExecutor.testConnection(config as never);
    expect(res.error).toMatchObject({ code: 'invalid_response', retryable: false });
  });

  test('no version policy: Stripe publishes no end of support, so any dated version (or none) is accepted without a warning', () => {
    expect(stripe.apiVersion).toBeUndefined();
    for (const apiVersion of ['2026-09-30.endive', '2023-08-16', undefined]) {
      const res = stripe.validateConfig({ ...config, ...(apiVersion ? { apiVersion } : {}) });
      expect(res.ok, String(apiVersion)).toBe(true);
      expect(stripe.versionStatus(res.ok ? res.config : {})).toBeNull();
    }
  });

  test('a malformed apiVersion or Connect account id is invalid_config, nothing sent', async () => {
    for (const bad of [{ apiVersion: 'latest' }, { connectAccountId: 'cus_123' }]) {
      const res = await stripeExecutor.testConnection({ ...config, ...bad } as never);
      expect(res.error?.code).toBe('invalid_config');
    }
    expect(mock.sent()).toHaveLength(0);
  });
});

describe('stripe pull charges', () => {
  test('first request: limit, created[gte] and created[lte] in whole unix seconds, no cursor', async () => {
    replyList(list([], false));
    await pull(config, { stream: 'charges', since: '2025-01-01T00:00:00.900Z', until: '2025-02-01T12:00:59.999Z' });
    const { url, headers } = mock.sent()[0]!;
    expect(url.origin + url.pathname).toBe(ORIGIN + CHARGES);
    expect(queryPairs(url)).toEqual([
      ['limit', '100'],
      ['created[gte]', '1735689600'],
      ['created[lte]', '1738411259'],
    ]);
    expect(headers.authorization).toBe(`Bearer ${KEY}`);
  });

  test('startDate is the lower bound on a full sync; the watermark wins when given', async () => {
    replyList(list([], false));
    replyList(list([], false));
    await pull({ ...config, startDate: '2024-06-01' }, { stream: 'charges' });
    await pull({ ...config, startDate: '2024-06-01' }, { stream: 'charges', since: '2025-01-01T00:00:00Z' });
    const [full, incremental] = mock.sent();
    expect(full!.url.searchParams.get('created[gte]')).toBe('1717200000');
    expect(full!.url.searchParams.has('created[lte]')).toBe(false);
    expect(incremental!.url.searchParams.get('created[gte]')).toBe('1735689600');
  });

  test('limit is clamped to 1..100 by the executor (the spec\'s schema does not)', async () => {
    const sizes: [number, string][] = [[500, '100'], [0, '1'], [-3, '1'], [2.9, '2'], [Number.NaN, '100']];
    for (const _ of sizes) replyList(list([], false));
    for (const [pageSize] of sizes) await pull(config, { stream: 'charges', pageSize });
    expect(mock.sent().map((s) => s.url.searchParams.get('limit'))).toEqual(sizes.map(([, limit]) => limit));
  });

  test('three pages chained with starting_after while has_more; every charge once', async () => {
    for (const page of PAGES) replyList(page);
    const pages = await pullAll({ stream: 'charges', since: '2024-12-01T00:00:00Z', until: '2025-01-10T00:00:00Z', pageSize: 2 });
    expect(pages.map((p) => p.nextCursor)).toEqual(['ch_3Pb', 'ch_3Pd', null]);
    const ids = pages.flatMap((p) => p.records.map((r) => r.id));
    expect(ids).toEqual(['ch_3Pa', 'ch_3Pb', 'ch_3Pc', 'ch_3Pd', 'ch_3Pe']);
    expect(new Set(ids).size).toBe(ids.length);

    const sent = mock.sent();
    expect(sent.map((s) => s.url.searchParams.get('starting_after'))).toEqual([null, 'ch_3Pb', 'ch_3Pd']);
    for (const s of sent) {
      // The window is the same on every page; ending_before never appears.
      expect(s.url.searchParams.get('created[gte]')).toBe('1733011200');
      expect(s.url.searchParams.get('created[lte]')).toBe('1736467200');
      expect(s.url.searchParams.has('ending_before')).toBe(false);
    }
  });

  test('normalises charges: id, updatedAt = created in UTC, the charge as data; watermark = newest', async () => {
    replyList(PAGES[1]!);
    const res = await pull(config, { stream: 'charges' });
    expect(res.body!.records).toEqual([
      { id: 'ch_3Pc', updatedAt: '2025-01-01T02:53:20.000Z', data: PAGES[1]!.data[0] },
      { id: 'ch_3Pd', updatedAt: '2024-12-30T23:06:40.000Z', data: PAGES[1]!.data[1] },
    ]);
    expect(res.body!.watermark).toBe('2025-01-01T02:53:20.000Z');
    expect(res.body!.nextCursor).toBe('ch_3Pd');
  });

  test('an empty last page has no cursor and no watermark', async () => {
    replyList(list([], false));
    const res = await pull(config, { stream: 'charges' });
    expect(res.body).toEqual({ records: [], nextCursor: null, watermark: null, order: 'desc' });
  });

  test('has_more with an empty page is invalid_response (there is nothing to continue from)', async () => {
    replyList(list([], true));
    const res = await pull(config, { stream: 'charges' });
    expect(res).toMatchObject({ ok: false, status: 200, error: { code: 'invalid_response', retryable: false } });
  });

  test('a charge without an integer created is invalid_response', async () => {
    replyList(list([{ ...charge('ch_1', 0), created: '2025-01-01' }], false));
    expect((await pull(config, { stream: 'charges' })).error?.code).toBe('invalid_response');
  });

  test('a cursor that is not a Stripe id, a bad since or an unknown stream is invalid_config, nothing sent', async () => {
    const results = [
      await pull(config, { stream: 'charges', cursor: 'ch_1&limit=5' }),
      await pull(config, { stream: 'charges', since: 'yesterday' }),
      await pull(config, { stream: 'charges', until: 'soon' }),
      await pull(config, { stream: 'refunds' }),
    ];
    for (const res of results) expect(res).toMatchObject({ ok: false, status: 0, error: { code: 'invalid_config' } });
    expect(mock.sent()).toHaveLength(0);
  });

  describe('Stripe-Should-Retry and Stripe error bodies', () => {
    test('Stripe-Should-Retry: false makes a 500 non-retryable', async () => {
      replyError(500, { type: 'api_error', message: 'An unknown error occurred' }, { 'stripe-should-retry': 'false', 'request-id': 'req_abc123' });
      const res = await pull(config, { stream: 'charges' });
      expect(res.error).toMatchObject({ code: 'upstream_error', retryable: false });
      expect(res.error!.message).toBe('Stripe answered HTTP 500 (api_error): An unknown error occurred [request req_abc123]');
    });

    test('Stripe-Should-Retry: true makes a 409 retryable', async () => {
      replyError(409, { type: 'invalid_request_error', code: 'lock_timeout', message: 'This object cannot be accessed right now.' }, { 'stripe-should-retry': 'true' });
      const res = await pull(config, { stream: 'charges' });
      expect(res.error).toMatchObject({ code: 'conflict', retryable: true });
      expect(res.error!.message).toContain('(lock_timeout): This object cannot be accessed right now.');
    });

    test('without the header the shared table decides (429 retryable, 400 not); code names the problem', async () => {
      replyError(429, { type: 'invalid_request_error', code: 'rate_limit', message: 'Too many requests hit the API too quickly.' });
      replyError(400, { type: 'invalid_request_error', code: 'parameter_invalid_integer', param: 'limit', message: 'Invalid integer: abc' });
      const limited = await pull(config, { stream: 'charges' });
      const bad = await pull(config, { stream: 'charges' });
      expect(limited.error).toMatchObject({ code: 'rate_limited', retryable: true });
      expect(limited.error!.message).toContain('(rate_limit)');
      expect(bad.error).toMatchObject({ code: 'bad_request', retryable: false });
      expect(bad.error!.message).toContain('(parameter_invalid_integer): Invalid integer: abc');
    });

    test('Stripe-Should-Retry does not touch a successful answer', async () => {
      replyList(list([], false), { 'stripe-should-retry': 'false' });
      expect((await pull(config, { stream: 'charges' })).ok).toBe(true);
    });
  });

  describeHttpContract(mock, {
    config,
    secretField: 'secretKey',
    malformedSecret: 'pk_test_51HqLyjWDarjtT1zd',
    origin: ORIGIN,
    path: CHARGES,
    call: (cfg, opts) => pull(cfg, { stream: 'charges' }, opts),
    others: { testConnection: (cfg, opts) => stripeExecutor.testConnection(cfg as never, opts) },
    okBody: list([], false),
    errorBody: (message) => ({ error: { type: 'invalid_request_error', message } }),
  });
});

// Stripe's OpenAPI spec (stripe/openapi spec3.yaml, API 2023-08-16), converted per SOURCES.md.
const chargesQuery = loadSpec('stripe.charges-list.schema.json');
const balanceQuery = loadSpec('stripe.balance-retrieve.schema.json');
const chargesResponse = loadSpec('stripe.charges-list.response.schema.json');
warnIfSpecsMissing('Stripe official-schema tests');

describe.skipIf(!specsAvailable || !chargesQuery || !balanceQuery || !chargesResponse)('stripe requests and fixtures against the official schemas', () => {
  test('every GET /v1/charges query of a multi-page pull is declared by GetCharges (no extra parameters)', async () => {
    const check = compileSchema(closed(chargesQuery!));
    for (const page of PAGES) replyList(page);
    await pullAll({ stream: 'charges', since: '2024-12-01T00:00:00Z', until: '2025-01-10T00:00:00Z', pageSize: 2 });
    const sent = mock.sent();
    expect(sent).toHaveLength(3);
    for (const s of sent) {
      expect(check(queryToObject(s.url.searchParams))).toEqual([]);
      expect(s.body ?? null).toBeNull();
    }
    expect(queryToObject(sent[1]!.url.searchParams)).toEqual({ limit: 2, created: { gte: 1733011200, lte: 1736467200 }, starting_after: 'ch_3Pb' });
  });

  test('the closed schema does reject an undeclared parameter (the check has teeth)', () => {
    const check = compileSchema(closed(chargesQuery!));
    expect(check({ limit: 10, status: 'any' })).not.toEqual([]);
    expect(check({ created: { gte: '1735689600' } })).not.toEqual([]);
  });

  test('GET /v1/balance sends no query parameters GetBalance does not declare, and no body', async () => {
    mock.agent.get(ORIGIN).intercept({ path: '/v1/balance', method: 'GET' }).reply(200, JSON.stringify(BALANCE), { headers: JSON_HEADERS });
    await stripeExecutor.testConnection(config as never);
    const [sent] = mock.sent();
    expect(compileSchema(closed(balanceQuery!))(queryToObject(sent!.url.searchParams))).toEqual([]);
    expect(sent!.body ?? null).toBeNull();
  });

  test('the fake list responses used above are valid ChargeList bodies', () => {
    const check = compileSchema(chargesResponse!);
    for (const page of [...PAGES, list([], false)]) expect(check(page)).toEqual([]);
  });

  test('the fields the executor reads are typed in the spec as the executor expects', () => {
    type Node = { type?: unknown; enum?: unknown; required?: string[]; properties?: Record<string, Node>; items?: Node; format?: string };
    const schema = chargesResponse as Node & { $defs: Record<string, Node> };
    expect(schema.properties!.object!.enum).toEqual(['list']);
    expect(schema.properties!.has_more!.type).toBe('boolean');
    expect(schema.properties!.data!.type).toBe('array');
    expect(schema.required).toEqual(expect.arrayContaining(['data', 'has_more', 'object']));
    const chargeDef = schema.$defs.charge!;
    expect(chargeDef.required).toEqual(expect.arrayContaining(['id', 'created']));
    expect(chargeDef.properties!.id!.type).toBe('string');
    expect(chargeDef.properties!.created).toMatchObject({ type: 'integer', format: 'unix-time' });
  });
});
