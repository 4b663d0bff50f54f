// Census executor against MockAgent (providers.md §20): trigger with force_full_sync as a query
// parameter, follow GET /api/v1/sync_runs/{id}, US and EU hosts.
import { describe, expect, test } from 'vitest';
import type { CallOptions, TriggerRequest } from '../../../src/core/envelope.js';
import { censusExecutor } from '../../../src/executors/census.js';
import { JSON_HEADERS, pathIs, queryPairs, useMockAgent } from '../../helpers/mock-agent.js';
import { describeHttpContract } from './http-contract.js';

const mock = useMockAgent();

const US = 'https://app.getcensus.com';
const EU = 'https://app-eu.getcensus.com';
const TOKEN = 'secret-token:fake-census-token';
const config = { apiToken: TOKEN, region: 'us', syncId: '123456' };
const TRIGGER = '/api/v1/syncs/123456/trigger';

type Cfg = Record<string, unknown>;
const trigger = (cfg: Cfg, req: TriggerRequest = {}, opts?: CallOptions) => censusExecutor.trigger!(cfg as never, req, opts);
const status = (cfg: Cfg, runId: string, opts?: CallOptions) => censusExecutor.syncStatus!(cfg as never, runId, opts);

function reply(origin: string, method: 'GET' | 'POST', path: string, statusCode: number, body: unknown) {
  mock.agent.get(origin).intercept({ path: pathIs(path), method }).reply(statusCode, JSON.stringify(body), { headers: JSON_HEADERS });
}

function syncRun(status: string, extra: Record<string, unknown> = {}) {
  return {
    status: 'success',
    data: {
      id: 5555, sync_id: 123456, status, canceled: false, full_sync: false,
      created_at: '2025-01-01T12:00:00Z', updated_at: '2025-01-01T12:01:00Z', completed_at: null,
      error_code: null, error_message: null, error_detail: null,
      source_record_count: 15, records_processed: 14, records_updated: 13, records_failed: 1, records_invalid: 1,
      ...extra,
    },
  };
}

describe('census testConnection', () => {
  test('GET /api/v1/syncs?page=1&per_page=1 with the Bearer token; answers the sync count', async () => {
    reply(US, 'GET', '/api/v1/syncs', 200, { status: 'success', data: [{ id: 1 }], pagination: { total_records: 12, per_page: 1 } });
    const res = await censusExecutor.testConnection(config as never);
    expect(res).toMatchObject({ ok: true, status: 200, body: { syncs: 12 } });
    const [sent] = mock.sent();
    expect(`${sent!.method} ${sent!.url.href}`).toBe(`GET ${US}/api/v1/syncs?page=1&per_page=1`);
    expect(sent!.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  test('EU workspaces use app-eu.getcensus.com', async () => {
    reply(EU, 'GET', '/api/v1/syncs', 200, { status: 'success', data: [] });
    const res = await censusExecutor.testConnection({ ...config, region: 'eu' } as never);
    expect(res.ok).toBe(true);
    expect(mock.sent()[0]!.url.origin).toBe(EU);
  });
});

describe('census trigger', () => {
  test('POST /api/v1/syncs/{id}/trigger?force_full_sync=false with an empty body; data.sync_run_id is the runId', async () => {
    reply(US, 'POST', TRIGGER, 200, { status: 'success', data: { sync_run_id: 1234567890 } });
    const res = await trigger(config);
    expect(res).toMatchObject({ ok: true, status: 200 });
    expect(res.body).toEqual({ runId: '1234567890', state: 'pending', details: { forceFullSync: false } });
    const [sent] = mock.sent();
    expect(`${sent!.method} ${sent!.url.origin}${sent!.url.pathname}`).toBe(`POST ${US}${TRIGGER}`);
    expect(queryPairs(sent!.url)).toEqual([['force_full_sync', 'false']]);
    expect(sent!.body ?? null).toBeNull();
    expect(sent!.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  test('forceFullSync comes from the config; options.forceFullSync overrides it', async () => {
    reply(US, 'POST', TRIGGER, 200, { status: 'success', data: { sync_run_id: 1 } });
    reply(US, 'POST', TRIGGER, 200, { status: 'success', data: { sync_run_id: 2 } });
    await trigger({ ...config, forceFullSync: 'true' });
    await trigger({ ...config, forceFullSync: 'true' }, { options: { forceFullSync: false } });
    expect(mock.sent().map((s) => s.url.searchParams.get('force_full_sync'))).toEqual(['true', 'false']);
  });

  test.each([
    ['a non-boolean forceFullSync', { forceFullSync: 'true' }, 'forceFullSync'],
    ['an unknown option', { fullResync: true }, 'fullResync'],
  ])('%s is bad_request, status 0, nothing sent', async (_n, options, field) => {
    const res = await trigger(config, { options });
    expect(res).toMatchObject({ ok: false, status: 0, error: { code: 'bad_request' } });
    expect(res.error!.message).toContain(field);
    expect(mock.sent()).toHaveLength(0);
  });

  test('a 200 without data.sync_run_id is invalid_response', async () => {
    reply(US, 'POST', TRIGGER, 200, { status: 'success', data: {} });
    expect((await trigger(config)).error).toMatchObject({ code: 'invalid_response', retryable: false });
  });

  test('error bodies keep Census\'s reason', async () => {
    reply(US, 'POST', TRIGGER, 404, { status: 'not_found', message: 'Sync 123456 not found' });
    reply(US, 'POST', TRIGGER, 400, { status: 'error', message: 'Full sync is not supported for Append syncs' });
    const missing = await trigger(config);
    const bad = await trigger({ ...config, forceFullSync: 'true' });
    expect(missing.error).toMatchObject({ code: 'not_found', message: 'Census answered HTTP 404: Sync 123456 not found' });
    expect(bad.error).toMatchObject({ code: 'bad_request', message: 'Census answered HTTP 400: Full sync is not supported for Append syncs' });
  });
});

describe('census syncStatus', () => {
  const cases: [string, Record<string, unknown>, { state: string; message?: string; providerState: string }][] = [
    ['queued', { status: 'queued' }, { state: 'pending', providerState: 'queued' }],
    ['working', { status: 'working' }, { state: 'running', providerState: 'working' }],
    ['completed', { status: 'completed', completed_at: '2025-01-01T12:05:00Z' }, { state: 'succeeded', providerState: 'completed' }],
    ['failed, with code and message', { status: 'failed', error_code: 'JSON_ARRAY_ERROR', error_message: 'The array field being used does not appear to be valid JSON' },
      { state: 'failed', providerState: 'failed', message: 'JSON_ARRAY_ERROR: The array field being used does not appear to be valid JSON' }],
    ['failed, with a message only', { status: 'failed', error_message: 'Destination rejected the batch' }, { state: 'failed', providerState: 'failed', message: 'Destination rejected the batch' }],
    ['failed, no reason', { status: 'failed' }, { state: 'failed', providerState: 'failed', message: 'Census reports the sync run failed' }],
    ['skipped (an earlier run still going)', { status: 'skipped' }, { state: 'cancelled', providerState: 'skipped', message: 'Census skipped this run: an earlier run of the sync was still in progress' }],
    ['canceled flag on a finished run', { status: 'failed', canceled: true }, { state: 'cancelled', providerState: 'failed', message: 'the sync run was cancelled' }],
    ['canceled flag while still working (cancel in progress)', { status: 'working', canceled: true }, { state: 'running', providerState: 'working' }],
    ['an unknown status keeps polling', { status: 'warming_up' }, { state: 'running', providerState: 'warming_up' }],
  ];

  test.each(cases)('%s', async (_name, data, expected) => {
    reply(US, 'GET', '/api/v1/sync_runs/5555', 200, syncRun(String(data.status), data));
    const res = await status(config, '5555');
    expect(res).toMatchObject({ ok: true, status: 200, body: { runId: '5555', state: expected.state } });
    expect(res.body!.message).toBe(expected.message);
    expect(res.body!.details!.providerState).toBe(expected.providerState);
    const [sent] = mock.sent();
    expect(`${sent!.method} ${sent!.url.href}`).toBe(`GET ${US}/api/v1/sync_runs/5555`);
    expect(sent!.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  test('details are counts, no records', async () => {
    reply(US, 'GET', '/api/v1/sync_runs/5555', 200, syncRun('completed', { completed_at: '2025-01-01T12:05:00Z' }));
    const res = await status(config, '5555');
    expect(res.body!.details).toEqual({
      providerState: 'completed', fullSync: false, sourceRecords: 15, recordsProcessed: 14, recordsUpdated: 13,
      recordsFailed: 1, recordsInvalid: 1, completedAt: '2025-01-01T12:05:00Z',
    });
  });

  test('a runId that is not numeric is bad_request, nothing sent', async () => {
    for (const bad of ['', 'x', '1/../../syncs', '12a']) expect((await status(config, bad)).error).toMatchObject({ code: 'bad_request' });
    expect(mock.sent()).toHaveLength(0);
  });

  test('a run body without data.status is invalid_response', async () => {
    reply(US, 'GET', '/api/v1/sync_runs/5555', 200, { status: 'success', data: { id: 5555 } });
    expect((await status(config, '5555')).error).toMatchObject({ code: 'invalid_response' });
  });
});

test('census: the caller\'s AbortSignal reaches the request (cancelled, status 0, network)', async () => {
  const ac = new AbortController();
  ac.abort();
  const res = await trigger(config, {}, { signal: ac.signal });
  expect(res).toMatchObject({ ok: false, status: 0, body: null, error: { code: 'network' } });
  expect(res.error!.message).toContain('cancelled');
});

describeHttpContract(mock, {
  config,
  secretField: 'apiToken',
  malformedSecret: 'short',
  origin: US,
  path: TRIGGER,
  method: 'POST',
  call: (cfg, opts) => trigger(cfg, {}, opts),
  others: {
    testConnection: (cfg, opts) => censusExecutor.testConnection(cfg as never, opts),
    syncStatus: (cfg, opts) => status(cfg, '5555', opts),
  },
  okBody: { status: 'success', data: { sync_run_id: 1 } },
  errorBody: (message) => ({ status: 'error', message }),
});
