// Hightouch executor against MockAgent (facts: src/registry/connectors/hightouch.ts): trigger by sync
// id or slug, follow the run through ListSyncRuns (GET /api/v1/syncs/{syncId}/runs?runId=…).
import { beforeEach, describe, expect, test } from 'vitest';
import type { CallOptions, TriggerRequest } from '../../../src/core/envelope.js';
import { clearHightouchSlugCache, hightouchExecutor } from '../../../src/executors/hightouch.js';
import { JSON_HEADERS, pathIs, queryPairs, useMockAgent } from '../../helpers/mock-agent.js';
import { describeHttpContract } from './http-contract.js';

const mock = useMockAgent();

const ORIGIN = 'https://api.hightouch.com';
const KEY = 'fake-hightouch-key';
const config = { apiKey: KEY, syncId: '123456' };
const bySlug = { apiKey: KEY, syncSlug: 'daily-accounts' };
const TRIGGER = '/api/v1/syncs/123456/trigger';
const RUNS = '/api/v1/syncs/123456/runs';

type Cfg = Record<string, unknown>;
const trigger = (cfg: Cfg, req: TriggerRequest = {}, opts?: CallOptions) => hightouchExecutor.trigger!(cfg as never, req, opts);
const status = (cfg: Cfg, runId: string, opts?: CallOptions) => hightouchExecutor.syncStatus!(cfg as never, runId, opts);

function reply(method: 'GET' | 'POST', path: string, statusCode: number, body: unknown) {
  mock.agent.get(ORIGIN).intercept({ path: pathIs(path), method }).reply(statusCode, JSON.stringify(body), { headers: JSON_HEADERS });
}

const rows = (added: number, changed = 0, removed = 0) => ({ addedCount: added, changedCount: changed, removedCount: removed });
function run(id: number, status: string, extra: Record<string, unknown> = {}) {
  return {
    id, status, createdAt: '2025-01-01T12:00:00.000Z', startedAt: '2025-01-01T12:00:01.000Z', finishedAt: '2025-01-01T12:05:00.000Z',
    querySize: 773, completionRatio: 1, plannedRows: rows(773), successfulRows: rows(770), failedRows: rows(3), ...extra,
  };
}

beforeEach(() => {
  clearHightouchSlugCache();
});

describe('hightouch testConnection', () => {
  test('GET /api/v1/syncs?limit=1 with the Bearer key; a summary, not the syncs', async () => {
    reply('GET', '/api/v1/syncs', 200, { data: [{ id: 1, slug: 'a', configuration: { big: true } }], hasMore: true });
    const res = await hightouchExecutor.testConnection(config as never);
    expect(res).toMatchObject({ ok: true, status: 200, body: { syncsListed: 1, hasMore: true } });
    const [sent] = mock.sent();
    expect(`${sent!.method} ${sent!.url.href}`).toBe(`GET ${ORIGIN}/api/v1/syncs?limit=1`);
    expect(sent!.headers.authorization).toBe(`Bearer ${KEY}`);
  });
});

describe('hightouch trigger', () => {
  test('by id: POST /api/v1/syncs/{id}/trigger {"fullResync":false}; the answer\'s id is the runId', async () => {
    reply('POST', TRIGGER, 200, { id: '987654' });
    const res = await trigger(config);
    expect(res).toMatchObject({ ok: true, status: 200 });
    expect(res.body).toEqual({ runId: '987654', state: 'pending', details: { fullResync: false } });
    const [sent] = mock.sent();
    expect(`${sent!.method} ${sent!.url.href}`).toBe(`POST ${ORIGIN}${TRIGGER}`);
    expect(sent!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(String(sent!.body))).toEqual({ fullResync: false });
  });

  test('by slug: POST /api/v1/syncs/trigger {syncSlug, fullResync}; a numeric id becomes a string', async () => {
    reply('POST', '/api/v1/syncs/trigger', 200, { id: 42 });
    const res = await trigger(bySlug);
    expect(res.body).toMatchObject({ runId: '42', state: 'pending' });
    expect(JSON.parse(String(mock.sent()[0]!.body))).toEqual({ syncSlug: 'daily-accounts', fullResync: false });
  });

  test('fullResync comes from the config; options.fullResync overrides it', async () => {
    reply('POST', TRIGGER, 200, { id: '1' });
    reply('POST', TRIGGER, 200, { id: '2' });
    await trigger({ ...config, fullResync: 'true' });
    await trigger({ ...config, fullResync: 'true' }, { options: { fullResync: false } });
    expect(mock.sent().map((s) => JSON.parse(String(s.body)))).toEqual([{ fullResync: true }, { fullResync: false }]);
  });

  test.each([
    ['a non-boolean fullResync', { fullResync: 1 }, 'fullResync'],
    ['an unknown option', { force: true }, 'force'],
  ])('%s is bad_request, status 0, nothing sent', async (_n, options, field) => {
    const res = await trigger(config, { options });
    expect(res).toMatchObject({ ok: false, status: 0, body: null, error: { code: 'bad_request' } });
    expect(res.error!.message).toContain(field);
    expect(mock.sent()).toHaveLength(0);
  });

  test('a 200 carrying ValidateErrorJSON (documented for TriggerRunCustom) is bad_request with the details', async () => {
    reply('POST', '/api/v1/syncs/trigger', 200, { message: 'Validation failed', details: { syncSlug: 'no sync with this slug' } });
    const res = await trigger(bySlug);
    expect(res).toMatchObject({ ok: false, status: 200, body: null, error: { code: 'bad_request', retryable: false } });
    expect(res.error!.message).toBe('Hightouch answered HTTP 200: Validation failed {"syncSlug":"no sync with this slug"}');
  });

  test('a 200 without an id is invalid_response', async () => {
    reply('POST', TRIGGER, 200, { message: 'ok' });
    expect((await trigger(config)).error).toMatchObject({ code: 'invalid_response', retryable: false });
  });

  test('422 "Validation failed" names the failing details; 429 {"error"} is rate_limited with its reason', async () => {
    reply('POST', TRIGGER, 422, { message: 'Validation failed', details: { fullResync: 'must be a boolean' } });
    reply('POST', TRIGGER, 429, { error: 'Too many requests, slow down' });
    const invalid = await trigger(config);
    const limited = await trigger(config);
    expect(invalid.error).toMatchObject({ code: 'bad_request', retryable: false });
    expect(invalid.error!.message).toBe('Hightouch answered HTTP 422: Validation failed {"fullResync":"must be a boolean"}');
    expect(limited.error).toMatchObject({ code: 'rate_limited', retryable: true, message: 'Hightouch answered HTTP 429: Too many requests, slow down' });
  });

  test('both id and slug, or neither, is invalid_config before sending', async () => {
    expect((await trigger({ ...config, syncSlug: 'x' })).error!.code).toBe('invalid_config');
    expect((await trigger({ apiKey: KEY })).error!.code).toBe('invalid_config');
    expect(mock.sent()).toHaveLength(0);
  });
});

describe('hightouch syncStatus', () => {
  const cases: [string, unknown[], { state: string; message?: string; providerState: string; warning?: string }][] = [
    ['no run yet (queued behind a running one)', [], { state: 'pending', providerState: 'not_started' }],
    ['queued', [run(987654, 'queued')], { state: 'pending', providerState: 'queued' }],
    ['querying', [run(987654, 'querying')], { state: 'running', providerState: 'querying' }],
    ['processing', [run(987654, 'processing')], { state: 'running', providerState: 'processing' }],
    ['reporting', [run(987654, 'reporting')], { state: 'running', providerState: 'reporting' }],
    ['success', [run(987654, 'success')], { state: 'succeeded', providerState: 'success' }],
    ['warning', [run(987654, 'warning', { error: '3 rows rejected by the destination' })], { state: 'succeeded', providerState: 'warning', warning: '3 rows rejected by the destination' }],
    ['Completed with errors', [run(987654, 'Completed with errors')], { state: 'succeeded', providerState: 'Completed with errors', warning: 'the run finished with warnings (some rows were rejected)' }],
    ['failed', [run(987654, 'failed', { error: 'Query failed: relation "accounts" does not exist' })], { state: 'failed', providerState: 'failed', message: 'Query failed: relation "accounts" does not exist' }],
    ['failed without an error text', [run(987654, 'failed')], { state: 'failed', providerState: 'failed', message: 'Hightouch reports the sync run failed' }],
    ['interrupted', [run(987654, 'interrupted', { error: 'Worker restarted' })], { state: 'failed', providerState: 'interrupted', message: 'Worker restarted' }],
    ['cancelled', [run(987654, 'cancelled')], { state: 'cancelled', providerState: 'cancelled', message: 'the sync run was cancelled' }],
    ['an unknown status keeps polling', [run(987654, 'thinking')], { state: 'running', providerState: 'thinking' }],
  ];

  test.each(cases)('%s', async (_name, data, expected) => {
    reply('GET', RUNS, 200, { data, hasMore: false });
    const res = await status(config, '987654');
    expect(res).toMatchObject({ ok: true, status: 200, body: { runId: '987654', state: expected.state } });
    expect(res.body!.message).toBe(expected.message);
    expect(res.body!.details!.providerState).toBe(expected.providerState);
    expect(res.body!.details!.warning).toBe(expected.warning);
    const [sent] = mock.sent();
    expect(`${sent!.method} ${sent!.url.origin}${sent!.url.pathname}`).toBe(`GET ${ORIGIN}${RUNS}`);
    expect(queryPairs(sent!.url)).toEqual([['runId', '987654']]);
    expect(sent!.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  test('details carry the row counts, not rows', async () => {
    reply('GET', RUNS, 200, { data: [run(987654, 'success')], hasMore: false });
    const res = await status(config, '987654');
    expect(res.body!.details).toEqual({
      providerState: 'success', completionRatio: 1, querySize: 773,
      plannedRows: rows(773), successfulRows: rows(770), failedRows: rows(3),
    });
  });

  test('a slug-configured sync is resolved to its id once (GET /api/v1/syncs?slug=…), then reused', async () => {
    reply('GET', '/api/v1/syncs', 200, { data: [{ id: 123456, slug: 'daily-accounts' }], hasMore: false });
    reply('GET', RUNS, 200, { data: [run(42, 'processing')], hasMore: false });
    reply('GET', RUNS, 200, { data: [run(42, 'success')], hasMore: false });
    expect((await status(bySlug, '42')).body!.state).toBe('running');
    expect((await status(bySlug, '42')).body!.state).toBe('succeeded');
    const sent = mock.sent();
    expect(sent.map((s) => `${s.url.pathname}?${s.url.searchParams}`)).toEqual([
      '/api/v1/syncs?slug=daily-accounts&limit=1',
      `${RUNS}?runId=42`,
      `${RUNS}?runId=42`,
    ]);
  });

  test('an unknown slug is not_found', async () => {
    reply('GET', '/api/v1/syncs', 200, { data: [], hasMore: false });
    const res = await status(bySlug, '42');
    expect(res).toMatchObject({ ok: false, status: 200, error: { code: 'not_found', retryable: false } });
    expect(res.error!.message).toContain('daily-accounts');
  });

  test('runs that are not the requested one are invalid_response, never mistaken for it', async () => {
    reply('GET', RUNS, 200, { data: [run(1, 'success'), run(2, 'failed')], hasMore: true });
    expect((await status(config, '987654')).error).toMatchObject({ code: 'invalid_response' });
  });

  test('a runId that is not numeric is bad_request, nothing sent', async () => {
    for (const bad of ['', 'abc', '12/../../x', '1.5', '-3']) {
      expect((await status(config, bad)).error).toMatchObject({ code: 'bad_request' });
    }
    expect(mock.sent()).toHaveLength(0);
  });

  test('404 of an unknown sync keeps Hightouch\'s reason', async () => {
    reply('GET', RUNS, 404, { message: 'Sync not found' });
    const res = await status(config, '987654');
    expect(res).toMatchObject({ status: 404, error: { code: 'not_found', message: 'Hightouch answered HTTP 404: Sync not found' } });
  });
});

test('hightouch: the caller\'s AbortSignal reaches the request (cancelled, status 0, network)', async () => {
  const ac = new AbortController();
  ac.abort();
  const res = await trigger(config, {}, { signal: ac.signal });
  expect(res).toMatchObject({ ok: false, status: 0, body: null, error: { code: 'network' } });
  expect(res.error!.message).toContain('cancelled');
});

describeHttpContract(mock, {
  config,
  secretField: 'apiKey',
  malformedSecret: 'short',
  origin: ORIGIN,
  path: TRIGGER,
  method: 'POST',
  call: (cfg, opts) => trigger(cfg, {}, opts),
  others: {
    testConnection: (cfg, opts) => hightouchExecutor.testConnection(cfg as never, opts),
    syncStatus: (cfg, opts) => status(cfg, '987654', opts),
  },
  okBody: { id: '987654' },
  errorBody: (message) => ({ message }),
});
