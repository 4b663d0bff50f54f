// Fivetran executor against MockAgent (facts: src/registry/connectors/fivetran.ts): trigger a
// connection sync, follow it through succeeded_at / failed_at / sync_state; the trigger body checked
// against Fivetran's own OpenAPI schema; the per-connection budget of trial accounts.
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { CallOptions, TriggerRequest } from '../../../src/core/envelope.js';
import { fivetranExecutor, listFivetranConnections } from '../../../src/executors/fivetran.js';
import { FIVETRAN_REQUESTS_PER_HOUR, fivetran } from '../../../src/registry/connectors/fivetran.js';
import { JSON_HEADERS, useMockAgent } from '../../helpers/mock-agent.js';
import { closed, compileSchema, loadSpec, specsAvailable, warnIfSpecsMissing } from '../../helpers/specs.js';
import { describeHttpContract } from './http-contract.js';

const mock = useMockAgent();

const ORIGIN = 'https://api.fivetran.com';
const KEY = 'fakeFivetranKey';
const SECRET = 'fakeFivetranSecret';
const config = { apiKey: KEY, apiSecret: SECRET, connectionId: 'decent_dropsy' };
const BASIC = `Basic ${Buffer.from(`${KEY}:${SECRET}`).toString('base64')}`;
const CONNECTION = '/v1/connections/decent_dropsy';
const SYNC = `${CONNECTION}/sync`;
const TRIGGERED = { code: 'Success', message: "Sync has been successfully triggered for connection with id 'decent_dropsy'" };

type Cfg = Record<string, unknown>;
const trigger = (cfg: Cfg, req: TriggerRequest = {}, opts?: CallOptions) => fivetranExecutor.trigger!(cfg as never, req, opts);
const status = (cfg: Cfg, runId: string, opts?: CallOptions) => fivetranExecutor.syncStatus!(cfg as never, runId, opts);

function reply(method: 'GET' | 'POST', path: string, statusCode: number, body: unknown, headers: Record<string, string> = {}) {
  mock.agent.get(ORIGIN).intercept({ path, method }).reply(statusCode, JSON.stringify(body), { headers: { ...JSON_HEADERS, ...headers } });
}

function connection(data: Record<string, unknown>) {
  return { code: 'Success', data: { id: 'decent_dropsy', service: 'salesforce', paused: false, ...data } };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('fivetran testConnection', () => {
  test('GET /v1/account/info with Basic key:secret and Accept version=2; answers a small summary', async () => {
    reply('GET', '/v1/account/info', 200, { code: 'Success', data: { account_id: 'acc_1', account_name: 'Acme', user_id: 'u_1' } });
    const res = await fivetranExecutor.testConnection(config as never);
    expect(res).toMatchObject({ ok: true, status: 200, body: { accountId: 'acc_1', accountName: 'Acme' } });
    const [sent] = mock.sent();
    expect(sent!.method).toBe('GET');
    expect(sent!.url.href).toBe(`${ORIGIN}/v1/account/info`);
    expect(sent!.headers.authorization).toBe(BASIC);
    expect(sent!.headers.accept).toBe('application/json;version=2');
    expect(sent!.body ?? null).toBeNull();
  });

  test('the documented answer of a system key (user_id and account_name null) is accepted', async () => {
    reply('GET', '/v1/account/info', 200, { code: 'Success', message: 'Account information retrieved successfully', data: { account_id: 'acc_1', account_name: null, system_key_id: 'sk_1', user_id: null } });
    const res = await fivetranExecutor.testConnection(config as never);
    expect(res).toMatchObject({ ok: true, body: { accountId: 'acc_1', accountName: null } });
  });
});

describe('fivetran account plan and request budget (https://fivetran.com/docs/rest-api/rate-limiting)', () => {
  test('accountPlan is a select of standard | trial, standard by default', () => {
    const field = fivetran.formSpec().authMethods[0]!.fields.find((f) => f.key === 'accountPlan')!;
    expect(field).toMatchObject({ group: 'connection', kind: 'select', required: false, default: 'standard' });
    expect(field.options!.map((o) => o.value)).toEqual(['standard', 'trial']);
    const parsed = fivetran.validateConfig(config);
    expect(parsed.ok && parsed.config.accountPlan).toBe('standard');
    const bad = fivetran.validateConfig({ ...config, accountPlan: 'premium' });
    expect(bad.ok ? null : bad.issues.map((i) => i.field)).toEqual(['accountPlan']);
    expect(bad.ok ? '' : bad.message).toContain('accountPlan');
  });

  test('a trial connection gets the trial budget, under 500 requests per hour, with the reason and its source', () => {
    const trial = fivetran.validateConfig({ ...config, accountPlan: 'trial' });
    expect(trial.ok).toBe(true);
    const budget = fivetran.connectionBudget!(trial.ok ? trial.config : {});
    expect(budget).not.toBeNull();
    expect(budget!.requestsPerSecond! * 3_600).toBeLessThanOrEqual(FIVETRAN_REQUESTS_PER_HOUR.trial);
    expect(budget!.requestsPerSecond! * 3_600).toBeCloseTo(450, 6);
    expect(budget!.reason).toContain('500 requests per hour');
    expect(budget!.reason).toContain('https://fivetran.com/docs/rest-api/rate-limiting');
  });

  test('a standard (paid or Free) connection keeps the connector policy: no budget of its own', () => {
    const standard = fivetran.validateConfig(config);
    expect(fivetran.connectionBudget!(standard.ok ? standard.config : {})).toBeNull();
  });

  test('the policy stays under the documented 20,000 requests/h of paid accounts (at most 3,600/h)', () => {
    expect(FIVETRAN_REQUESTS_PER_HOUR.paid).toBe(20_000);
    expect(fivetran.policy.rate.requestsPerSecond * 3_600).toBeLessThanOrEqual(3_600);
    expect(fivetran.policy.source).toBe('https://fivetran.com/docs/rest-api/rate-limiting');
  });

  test('a trial connection sends the same requests as a paid one (the plan only paces them)', async () => {
    reply('POST', SYNC, 200, TRIGGERED);
    reply('GET', '/v1/account/info', 200, { code: 'Success', data: { account_id: 'acc_1' } });
    const trial = { ...config, accountPlan: 'trial' };
    expect((await trigger(trial)).ok).toBe(true);
    expect((await fivetranExecutor.testConnection(trial as never)).ok).toBe(true);
    expect(mock.sent().map((r) => `${r.method} ${r.url.pathname}`)).toEqual([`POST ${SYNC}`, 'GET /v1/account/info']);
    expect(JSON.parse(String(mock.sent()[0]!.body))).toEqual({ force: false });
  });
});

describe('fivetran list connections', () => {
  test('GET /v1/connections pages with limit and cursor and summarizes each connection', async () => {
    reply('GET', '/v1/connections?limit=2', 200, {
      code: 'Success',
      data: {
        items: [
          { id: 'decent_dropsy', service: 'salesforce', schema: 'sf', group_id: 'g1', paused: false, status: { sync_state: 'scheduled' }, succeeded_at: '2025-01-01T00:00:00Z' },
          { id: 'quiet_river', service: 'postgres', schema: 'pg', group_id: 'g1', paused: true, status: { sync_state: 'paused' } },
        ],
        next_cursor: 'c2',
      },
    });
    reply('GET', '/v1/connections?limit=2&cursor=c2', 200, { code: 'Success', data: { items: [{ id: 'last_one', service: 'stripe' }], next_cursor: null } });
    const first = await listFivetranConnections(config, { limit: 2 });
    expect(first.body).toEqual({
      nextCursor: 'c2',
      connections: [
        { id: 'decent_dropsy', service: 'salesforce', schema: 'sf', groupId: 'g1', paused: false, syncState: 'scheduled', succeededAt: '2025-01-01T00:00:00Z', failedAt: null },
        { id: 'quiet_river', service: 'postgres', schema: 'pg', groupId: 'g1', paused: true, syncState: 'paused', succeededAt: null, failedAt: null },
      ],
    });
    const second = await listFivetranConnections(config, { limit: 2, cursor: first.body!.nextCursor! });
    expect(second.body).toMatchObject({ nextCursor: null, connections: [{ id: 'last_one', service: 'stripe' }] });
    expect(mock.sent().every((r) => r.headers.authorization === BASIC)).toBe(true);
  });

  test('a 401 is unauthorized with the key and secret redacted; a missing secret sends nothing', async () => {
    reply('GET', '/v1/connections?limit=100', 401, { code: 'AuthFailed', message: `bad credentials ${SECRET}` });
    const res = await listFivetranConnections(config);
    expect(res.error).toMatchObject({ code: 'unauthorized' });
    expect(res.error!.message).not.toContain(SECRET);
    const { apiSecret: _s, ...noSecret } = config;
    expect((await listFivetranConnections(noSecret)).error?.code).toBe('missing_secret');
    expect(mock.sent()).toHaveLength(1);
  });
});

describe('fivetran trigger', () => {
  test('POST /v1/connections/{id}/sync {"force":false}; runId is the Date of Fivetran\'s answer', async () => {
    reply('POST', SYNC, 200, TRIGGERED, { date: 'Wed, 01 Jan 2025 12:00:05 GMT' });
    const res = await trigger(config);
    expect(res).toMatchObject({ ok: true, status: 200 });
    expect(res.body).toEqual({
      runId: '2025-01-01T12:00:05.000Z',
      state: 'pending',
      details: { force: false, providerMessage: TRIGGERED.message },
    });
    const [sent] = mock.sent();
    expect(sent!.method).toBe('POST');
    expect(sent!.url.href).toBe(`${ORIGIN}${SYNC}`);
    expect(sent!.headers.authorization).toBe(BASIC);
    expect(sent!.headers.accept).toBe('application/json;version=2');
    expect(sent!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(String(sent!.body))).toEqual({ force: false });
  });

  test('without a Date header the runId is the local clock', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2025-03-04T05:06:07.089Z'));
    reply('POST', SYNC, 200, TRIGGERED);
    expect((await trigger(config)).body!.runId).toBe('2025-03-04T05:06:07.089Z');
  });

  test('force comes from the config, and options.force overrides it', async () => {
    reply('POST', SYNC, 200, TRIGGERED);
    reply('POST', SYNC, 200, TRIGGERED);
    reply('POST', SYNC, 200, TRIGGERED);
    await trigger({ ...config, force: 'true' });
    await trigger({ ...config, force: 'true' }, { options: { force: false } });
    await trigger(config, { options: { force: true } });
    expect(mock.sent().map((s) => JSON.parse(String(s.body)))).toEqual([{ force: true }, { force: false }, { force: true }]);
  });

  test('the legacy /v1/connectors path when the config says so', async () => {
    reply('POST', '/v1/connectors/decent_dropsy/sync', 200, TRIGGERED);
    reply('GET', '/v1/connectors/decent_dropsy', 200, connection({ status: { sync_state: 'syncing' } }));
    await trigger({ ...config, apiPath: 'connectors' });
    await status({ ...config, apiPath: 'connectors' }, '2025-01-01T12:00:00.000Z');
    expect(mock.sent().map((s) => `${s.method} ${s.url.pathname}`)).toEqual(['POST /v1/connectors/decent_dropsy/sync', 'GET /v1/connectors/decent_dropsy']);
  });

  test.each([
    ['a non-boolean force', { force: 'yes' }, 'force'],
    ['an unknown option', { fullResync: true }, 'fullResync'],
  ])('%s is bad_request, status 0, nothing sent', async (_name, options, field) => {
    const res = await trigger(config, { options });
    expect(res).toMatchObject({ ok: false, status: 0, body: null, error: { code: 'bad_request', retryable: false } });
    expect(res.error!.message).toContain(field);
    expect(mock.sent()).toHaveLength(0);
  });

  test('a 200 without Fivetran\'s code is invalid_response', async () => {
    reply('POST', SYNC, 200, { ok: true });
    expect((await trigger(config)).error).toMatchObject({ code: 'invalid_response', retryable: false });
  });

  test('error bodies keep Fivetran\'s code and reason in the message', async () => {
    reply('POST', SYNC, 404, { code: 'NotFound_Connection', message: "Connection with id 'decent_dropsy' doesn't exist" });
    reply('POST', SYNC, 400, { code: 'InvalidInput', message: 'Connection is paused' });
    const missing = await trigger(config);
    const bad = await trigger(config);
    expect(missing).toMatchObject({ ok: false, status: 404, error: { code: 'not_found', retryable: false } });
    expect(missing.error!.message).toBe("Fivetran answered HTTP 404 (NotFound_Connection): Connection with id 'decent_dropsy' doesn't exist");
    expect(bad.error).toMatchObject({ code: 'bad_request', message: 'Fivetran answered HTTP 400 (InvalidInput): Connection is paused' });
  });

  test('an echoed Basic credential is redacted from errors', async () => {
    reply('POST', SYNC, 401, { code: 'AuthFailed', message: `bad credentials ${BASIC.slice(6)} for ${KEY}` });
    const res = await trigger(config);
    expect(res.error!.code).toBe('unauthorized');
    for (const s of [SECRET, KEY, BASIC.slice(6)]) expect(JSON.stringify(res)).not.toContain(s);
  });
});

describe('fivetran syncStatus', () => {
  const RUN = '2025-01-01T12:00:00.000Z';
  const BEFORE = '2024-12-31T23:00:00.000Z';
  const AFTER = '2025-01-01T12:30:00.000Z';
  const LATER = '2025-01-01T13:00:00.000Z';

  const cases: [string, Record<string, unknown>, { state: string; message?: string; providerState?: string }][] = [
    ['succeeded_at after the trigger', { succeeded_at: AFTER, failed_at: BEFORE, status: { sync_state: 'scheduled' } }, { state: 'succeeded', providerState: 'scheduled' }],
    ['failed_at after the trigger, with tasks and warnings', {
      succeeded_at: BEFORE, failed_at: AFTER,
      status: { sync_state: 'scheduled', tasks: [{ code: 'reconnect', message: 'Reconnect' }], warnings: [{ code: 'resync_table_warning', message: 'Resync Table Warning' }] },
    }, { state: 'failed', message: 'reconnect: Reconnect; resync_table_warning: Resync Table Warning' }],
    ['failed_at after the trigger, no reason given', { succeeded_at: BEFORE, failed_at: AFTER, status: { sync_state: 'scheduled', tasks: [], warnings: [] } },
      { state: 'failed', message: `Fivetran reports the sync failed at ${AFTER}` }],
    ['both after, the failure last', { succeeded_at: AFTER, failed_at: LATER, status: { sync_state: 'scheduled' } }, { state: 'failed', message: `Fivetran reports the sync failed at ${LATER}` }],
    ['both after, the success last (automatic retry)', { succeeded_at: LATER, failed_at: AFTER, status: { sync_state: 'scheduled' } }, { state: 'succeeded' }],
    ['syncing, old timestamps', { succeeded_at: BEFORE, failed_at: null, status: { sync_state: 'syncing' } }, { state: 'running', providerState: 'syncing' }],
    ['scheduled, not started yet', { succeeded_at: BEFORE, status: { sync_state: 'scheduled' } }, { state: 'pending', providerState: 'scheduled' }],
    ['rescheduled', { succeeded_at: BEFORE, status: { sync_state: 'rescheduled' } }, { state: 'pending', providerState: 'rescheduled' }],
    ['paused', { succeeded_at: BEFORE, paused: true, status: { sync_state: 'paused' } }, { state: 'failed', message: 'connection is paused' }],
    ['paused flag with an unknown sync_state', { succeeded_at: BEFORE, paused: true, status: { sync_state: 'hibernating' } }, { state: 'failed', message: 'connection is paused' }],
    ['an unknown sync_state keeps polling', { succeeded_at: BEFORE, status: { sync_state: 'hibernating' } }, { state: 'running', providerState: 'hibernating' }],
    ['a success in the trigger\'s own second is not this run', { succeeded_at: RUN, status: { sync_state: 'scheduled' } }, { state: 'pending' }],
    ['never synced', { succeeded_at: null, failed_at: null, status: { sync_state: 'syncing' } }, { state: 'running' }],
  ];

  test.each(cases)('%s', async (_name, data, expected) => {
    reply('GET', CONNECTION, 200, connection(data));
    const res = await status(config, RUN);
    expect(res).toMatchObject({ ok: true, status: 200 });
    expect(res.body).toMatchObject({ runId: RUN, state: expected.state });
    if (expected.message) expect(res.body!.message).toBe(expected.message);
    else expect(res.body!.message).toBeUndefined();
    if (expected.providerState) expect(res.body!.details!.providerState).toBe(expected.providerState);
    const [sent] = mock.sent();
    expect(`${sent!.method} ${sent!.url.href}`).toBe(`GET ${ORIGIN}${CONNECTION}`);
    expect(sent!.headers.authorization).toBe(BASIC);
  });

  test('details are a small summary of the connection, not the connection', async () => {
    reply('GET', CONNECTION, 200, connection({ succeeded_at: AFTER, status: { sync_state: 'scheduled', setup_state: 'connected' }, config: { password: 'x'.repeat(100) } }));
    const res = await status(config, RUN);
    expect(res.body!.details).toEqual({ providerState: 'scheduled', succeededAt: AFTER, setupState: 'connected' });
  });

  test('a runId that is not our ISO trigger time is bad_request, nothing sent', async () => {
    for (const bad of ['', 'yesterday', '2025-01-01', '../../v1/users', '2025-01-01T12:00:00.000Z/x']) {
      const res = await status(config, bad);
      expect(res).toMatchObject({ ok: false, status: 0, error: { code: 'bad_request' } });
    }
    expect(mock.sent()).toHaveLength(0);
  });

  test('a connection body without data is invalid_response', async () => {
    reply('GET', CONNECTION, 200, { code: 'Success' });
    expect((await status(config, RUN)).error).toMatchObject({ code: 'invalid_response', retryable: false });
  });
});

test('fivetran: the caller\'s AbortSignal reaches the request (cancelled, status 0, network)', async () => {
  const ac = new AbortController();
  ac.abort();
  const res = await trigger(config, {}, { signal: ac.signal });
  expect(res).toMatchObject({ ok: false, status: 0, body: null, error: { code: 'network' } });
  expect(res.error!.message).toContain('cancelled');
});

describe('fivetran fail-closed', () => {
  test('a missing apiKey or a malformed connection id is refused before sending', async () => {
    const { apiKey: _k, ...noKey } = config;
    expect((await trigger(noKey)).error!.code).toBe('missing_secret');
    expect((await trigger({ ...config, connectionId: 'a/b' })).error!.code).toBe('invalid_config');
    expect((await status({ ...config, apiPath: 'v2' }, '2025-01-01T12:00:00.000Z')).error!.code).toBe('invalid_config');
    expect(mock.sent()).toHaveLength(0);
  });
});

describeHttpContract(mock, {
  config,
  secretField: 'apiSecret',
  malformedSecret: 'short',
  origin: ORIGIN,
  path: SYNC,
  method: 'POST',
  call: (cfg, opts) => trigger(cfg, {}, opts),
  others: {
    testConnection: (cfg, opts) => fivetranExecutor.testConnection(cfg as never, opts),
    syncStatus: (cfg, opts) => status(cfg, '2025-01-01T12:00:00.000Z', opts),
  },
  okBody: TRIGGERED,
  errorBody: (message) => ({ code: 'AuthFailed', message }),
});

// Fivetran's OpenAPI definition (fivetran/fivetran-mcp), SyncConnectorRequest, per SOURCES.md.
const syncSchema = loadSpec('fivetran.connection-sync.schema.json');
warnIfSpecsMissing('Fivetran official-schema tests');

describe.skipIf(!specsAvailable || !syncSchema)('fivetran trigger body against the official schema', () => {
  test('every trigger body is a valid SyncConnectorRequest with nothing undeclared', async () => {
    // The schema is a $ref to $defs: close the referenced object itself.
    const schema = syncSchema as { $defs: { SyncConnectorRequest: object } };
    const check = compileSchema({ ...schema, $defs: { SyncConnectorRequest: closed(schema.$defs.SyncConnectorRequest) } });
    reply('POST', SYNC, 200, TRIGGERED);
    reply('POST', SYNC, 200, TRIGGERED);
    await trigger(config);
    await trigger({ ...config, force: 'true' });
    for (const s of mock.sent()) expect(check(JSON.parse(String(s.body)))).toEqual([]);
    // The closed schema has teeth.
    expect(check({ force: 'true' })).not.toEqual([]);
    expect(check({ force: false, extra: 1 })).not.toEqual([]);
  });
});
