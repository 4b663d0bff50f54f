// Census executor against MockAgent: the Activations API v2 (trigger with force_full_sync as a query
// parameter, follow GET /api/v2/sync_runs/{id}, US and EU hosts), v1 for connections stored before v2
// support until v1's retirement on 2027-01-15, and the refusal of v1 from that day, read from the
// injected clock (CallOptions.now).
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { CallOptions, TriggerRequest } from '../../../src/core/envelope.js';
import { censusExecutor } from '../../../src/executors/census.js';
import { CENSUS_VERSIONS, census } from '../../../src/registry/connectors/census.js';
import { JSON_HEADERS, pathIs, queryPairs, useMockAgent } from '../../helpers/mock-agent.js';
import { describeHttpContract } from './http-contract.js';

const mock = useMockAgent();

const US = 'https://app.getcensus.com';
const EU = 'https://app-eu.getcensus.com';
const TOKEN = 'secret-token:fake-census-token';
const GROUP = 'abundant_giraffe';
const config = { apiToken: TOKEN, region: 'us', apiVersion: 'v2', groupId: GROUP, syncId: '123456' };
/** A connection as stored before v2 support: the schema then had neither apiVersion nor groupId. */
const legacy = { authMethod: 'api_token', apiToken: TOKEN, region: 'us', syncId: '123456', forceFullSync: 'false' };
const TRIGGER = '/api/v2/syncs/123456/trigger';
const RUN = '/api/v2/sync_runs/5555';

/** The last instant v1 is served, and the day it is retired. */
const V1_LAST_DAY = Date.parse('2027-01-14T23:59:59Z');
const V1_RETIRED = Date.parse('2027-01-15T00:00:00Z');

afterEach(() => {
  vi.useRealTimers();
});

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

describe('census testConnection (API v2)', () => {
  test('GET /api/v2/syncs?page=1&per_page=1 with the PAT as Bearer, no body; answers the sync count and the version', async () => {
    reply(US, 'GET', '/api/v2/syncs', 200, { status: 'success', data: [{ id: 1 }], pagination: { total_records: 12, per_page: 1 } });
    const res = await censusExecutor.testConnection(config as never);
    expect(res).toMatchObject({ ok: true, status: 200 });
    expect(res.body).toEqual({ syncs: 12, apiVersion: 'v2' });
    const [sent] = mock.sent();
    expect(sent!.method).toBe('GET');
    expect(`${sent!.url.origin}${sent!.url.pathname}`).toBe(`${US}/api/v2/syncs`);
    expect(queryPairs(sent!.url)).toEqual([['page', '1'], ['per_page', '1']]);
    expect(sent!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(sent!.body ?? null).toBeNull();
    // The group scopes the connection, not these calls: the v2 reference takes no group_id here.
    expect(sent!.url.href).not.toContain(GROUP);
  });

  test('a config with a group and no apiVersion is v2 (the default)', async () => {
    reply(US, 'GET', '/api/v2/syncs', 200, { status: 'success', data: [] });
    const { apiVersion: _v, ...noVersion } = config;
    expect((await censusExecutor.testConnection(noVersion as never)).ok).toBe(true);
    expect(mock.sent()[0]!.url.pathname).toBe('/api/v2/syncs');
  });

  test('EU organizations use app-eu.getcensus.com', async () => {
    reply(EU, 'GET', '/api/v2/syncs', 200, { status: 'success', data: [] });
    const res = await censusExecutor.testConnection({ ...config, region: 'eu' } as never);
    expect(res.ok).toBe(true);
    expect(mock.sent()[0]!.url.origin).toBe(EU);
  });
});

describe('census trigger (API v2)', () => {
  test('POST /api/v2/syncs/{id}/trigger?force_full_sync=false with an empty body; data.sync_run_id is the runId', async () => {
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

describe('census syncStatus (API v2)', () => {
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
    reply(US, 'GET', RUN, 200, syncRun(String(data.status), data));
    const res = await status(config, '5555');
    expect(res).toMatchObject({ ok: true, status: 200, body: { runId: '5555', state: expected.state } });
    expect(res.body!.message).toBe(expected.message);
    expect(res.body!.details!.providerState).toBe(expected.providerState);
    const [sent] = mock.sent();
    expect(`${sent!.method} ${sent!.url.href}`).toBe(`GET ${US}${RUN}`);
    expect(sent!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(sent!.body ?? null).toBeNull();
  });

  test('details are counts, no records', async () => {
    reply(US, 'GET', RUN, 200, syncRun('completed', { completed_at: '2025-01-01T12:05:00Z' }));
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
    reply(US, 'GET', RUN, 200, { status: 'success', data: { id: 5555 } });
    expect((await status(config, '5555')).error).toMatchObject({ code: 'invalid_response' });
  });
});

describe('census API v1 (connections stored before v2 support)', () => {
  const v1Calls = {
    testConnection: (cfg: Cfg, opts?: CallOptions) => censusExecutor.testConnection(cfg as never, opts),
    trigger: (cfg: Cfg, opts?: CallOptions) => trigger(cfg, {}, opts),
    syncStatus: (cfg: Cfg, opts?: CallOptions) => status(cfg, '5555', opts),
  };

  test('a stored config with neither apiVersion nor groupId is read as v1 and works before 2027-01-15', async () => {
    // Validation reads the real clock, the executor the injected one: both say the last day of v1.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(V1_LAST_DAY);
    const opts = { now: () => V1_LAST_DAY };
    reply(US, 'GET', '/api/v1/syncs', 200, { status: 'success', data: [], pagination: { total_records: 3 } });
    reply(US, 'POST', '/api/v1/syncs/123456/trigger', 200, { status: 'success', data: { sync_run_id: 77 } });
    reply(US, 'GET', '/api/v1/sync_runs/77', 200, syncRun('completed'));
    const tested = await censusExecutor.testConnection(legacy as never, opts);
    const triggered = await trigger(legacy, {}, opts);
    const followed = await status(legacy, '77', opts);
    expect(tested).toMatchObject({ ok: true, body: { syncs: 3, apiVersion: 'v1' } });
    // Still served, but the connection is told how long it has left.
    expect((tested.body as { warning?: string }).warning).toContain('2027-01-15');
    expect(triggered.body).toMatchObject({ runId: '77', state: 'pending' });
    expect(followed.body).toMatchObject({ runId: '77', state: 'succeeded' });
    expect(mock.sent().map((r) => `${r.method} ${r.url.origin}${r.url.pathname}${r.url.search}`)).toEqual([
      `GET ${US}/api/v1/syncs?page=1&per_page=1`,
      `POST ${US}/api/v1/syncs/123456/trigger?force_full_sync=false`,
      `GET ${US}/api/v1/sync_runs/77`,
    ]);
    expect(mock.sent().every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  test('an explicit apiVersion v1 uses /api/v1 too, on the EU host for EU organizations', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(V1_LAST_DAY);
    reply(EU, 'POST', '/api/v1/syncs/123456/trigger', 200, { status: 'success', data: { sync_run_id: 1 } });
    const res = await trigger({ ...legacy, apiVersion: 'v1', region: 'eu' }, {}, { now: () => V1_LAST_DAY });
    expect(res.ok).toBe(true);
    expect(mock.sent()[0]!.url.href).toBe(`${EU}/api/v1/syncs/123456/trigger?force_full_sync=false`);
  });

  describe.each([
    ['a stored pre-v2 config', legacy],
    ['an explicit apiVersion v1', { ...legacy, apiVersion: 'v1' }],
  ])('%s from 2027-01-15 (injected clock)', (_name, cfg) => {
    test.each(Object.entries(v1Calls))('%s fails closed with what to do, and sends nothing', async (_call, call) => {
      const res = await call(cfg, { now: () => V1_RETIRED });
      expect(res).toMatchObject({ ok: false, status: 0, latencyMs: 0, body: null, error: { code: 'invalid_config', retryable: false } });
      const message = res.error!.message;
      expect(message).toContain('retired on 2027-01-15');
      expect(message).toContain('Activations personal access token');
      expect(message).toContain('groupId');
      expect(message).toContain('apiVersion to v2');
      expect(message).toContain('https://fivetran.com/docs/activations/rest-api/api-reference/migrate-v1-to-v2');
      expect(message).not.toContain(TOKEN);
      expect(mock.sent()).toHaveLength(0);
    });
  });

  test('the date comes from the injected clock: a v2 connection is unaffected by it', async () => {
    reply(US, 'GET', '/api/v2/syncs', 200, { status: 'success', data: [] });
    expect((await censusExecutor.testConnection(config as never, { now: () => V1_RETIRED })).ok).toBe(true);
  });
});

describe('census registry: API version and group', () => {
  test('a v2 config without a group is refused, naming groupId, and the executor sends nothing', async () => {
    const { groupId: _g, ...noGroup } = config;
    const result = census.validateConfig(noGroup);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => i.field)).toEqual(['groupId']);
    expect(result.issues[0]!.message).toContain('Group ID (groupId) is required for Activations API v2');
    const res = await trigger(noGroup);
    expect(res).toMatchObject({ ok: false, status: 0, error: { code: 'invalid_config' } });
    expect(res.error!.message).toContain('groupId');
    expect(mock.sent()).toHaveLength(0);
  });

  test('a new connection with neither field gets v2, so it must name its group', () => {
    const { groupId: _g, apiVersion: _v, ...bare } = config;
    const stored = census.validateStoredConfig({ ...bare, apiToken: 'env:CENSUS_PAT' });
    expect(stored.ok ? null : stored.issues.map((i) => i.field)).toEqual(['groupId']);
    const withGroup = census.validateStoredConfig({ ...bare, groupId: GROUP, apiToken: 'env:CENSUS_PAT' });
    expect(withGroup.ok && withGroup.config.apiVersion).toBe('v2');
  });

  test('a group ID that is not a Fivetran id is refused, naming the field', () => {
    const result = census.validateConfig({ ...config, groupId: 'https://fivetran.com/dashboard' });
    expect(result.ok ? null : result.issues.map((i) => i.field)).toEqual(['groupId']);
  });

  test('the version field offers v2 (current) and v1 until its retirement, with the source', () => {
    const field = census.formSpec().authMethods[0]!.fields.find((f) => f.key === 'apiVersion')!;
    expect(field).toMatchObject({ kind: 'select', default: 'v2', required: false });
    expect(field.options).toEqual([{ value: 'v2', label: 'v2 (current)' }, { value: 'v1', label: 'v1 (retires 2027-01-15)' }]);
    expect(CENSUS_VERSIONS).toMatchObject({ field: 'apiVersion', current: 'v2', source: 'https://fivetran.com/docs/activations/rest-api/api-reference/migrate-v1-to-v2' });
    expect(CENSUS_VERSIONS.versions.find((v) => v.version === 'v1')!.retiresOn).toBe('2027-01-15');
  });

  test('version status reads a stored pre-v2 config as v1: expiring before the date, retired from it', () => {
    expect(census.versionStatus(legacy, Date.parse('2026-12-02T00:00:00Z'))).toMatchObject({ version: 'v1', state: 'expiring', date: '2027-01-15' });
    expect(census.versionStatus(legacy, V1_RETIRED)).toMatchObject({ version: 'v1', state: 'retired' });
    expect(census.versionStatus(config, V1_RETIRED)).toMatchObject({ version: 'v2', state: 'current' });
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
