// Databricks executor against MockAgent (facts: src/registry/connectors/databricks.ts): statements on a
// SQL warehouse through the Statement Execution API, PAT and OAuth M2M (token cached), state mapping,
// error_code in messages.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { CallOptions, TriggerRequest } from '../../../src/core/envelope.js';
import { clearDatabricksTokenCache } from '../../../src/executors/databricks-oauth.js';
import { databricksExecutor } from '../../../src/executors/databricks.js';
import { JSON_HEADERS, pathIs, useMockAgent } from '../../helpers/mock-agent.js';
import { describeHttpContract } from './http-contract.js';

const mock = useMockAgent();

const HOST = 'https://dbc-00000000-0000.cloud.databricks.com';
const AZURE = 'https://adb-1234567890123456.7.azuredatabricks.net';
const PAT = `dapi${'0'.repeat(32)}`;
const WAREHOUSE = '0123456789abcdef';
const pat = { authMethod: 'pat', host: HOST, warehouseId: WAREHOUSE, token: PAT };
const CLIENT_ID = '00000000-0000-0000-0000-000000000000';
const CLIENT_SECRET = 'dose-fake-client-secret';
const oauth = { authMethod: 'oauth_m2m', host: AZURE, warehouseId: WAREHOUSE, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET };
const ACCESS_TOKEN = 'eyJfake.oauth.access-token';
const STATEMENTS = '/api/2.0/sql/statements';
const ID = '01ed9db9-24c4-1cb6-a320-fb6ba3c0b6ed';

type Cfg = Record<string, unknown>;
const trigger = (cfg: Cfg, req: TriggerRequest, opts?: CallOptions) => databricksExecutor.trigger!(cfg as never, req, opts);
const status = (cfg: Cfg, runId: string, opts?: CallOptions) => databricksExecutor.syncStatus!(cfg as never, runId, opts);
const run = (statement = 'MERGE INTO t USING s ON t.id = s.id WHEN NOT MATCHED THEN INSERT *') => ({ options: { statement } });

function reply(origin: string, method: 'GET' | 'POST', path: string, statusCode: number, body: unknown) {
  mock.agent.get(origin).intercept({ path: pathIs(path), method }).reply(statusCode, JSON.stringify(body), { headers: JSON_HEADERS });
}
function statement(state: string, extra: Record<string, unknown> = {}) {
  return { statement_id: ID, status: { state }, ...extra };
}
function token(expiresIn = 3600, accessToken = ACCESS_TOKEN) {
  reply(AZURE, 'POST', '/oidc/v1/token', 200, { access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn, scope: 'all-apis' });
}

beforeEach(() => {
  clearDatabricksTokenCache();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('databricks capabilities', () => {
  test('trigger only: the registry declares no send, and the executor offers none', () => {
    expect(databricksExecutor.send).toBeUndefined();
    expect(databricksExecutor.trigger).toBeTypeOf('function');
    expect(databricksExecutor.syncStatus).toBeTypeOf('function');
  });
});

describe('databricks testConnection', () => {
  test('GET /api/2.0/sql/warehouses/{id} with the PAT; answers id, name and state', async () => {
    reply(HOST, 'GET', `/api/2.0/sql/warehouses/${WAREHOUSE}`, 200, { id: WAREHOUSE, name: 'Starter', state: 'STOPPED', cluster_size: 'Small', odbc_params: {} });
    const res = await databricksExecutor.testConnection(pat as never);
    expect(res).toMatchObject({ ok: true, status: 200, body: { id: WAREHOUSE, name: 'Starter', state: 'STOPPED' } });
    const [sent] = mock.sent();
    expect(`${sent!.method} ${sent!.url.href}`).toBe(`GET ${HOST}/api/2.0/sql/warehouses/${WAREHOUSE}`);
    expect(sent!.headers.authorization).toBe(`Bearer ${PAT}`);
  });
});

describe('databricks trigger', () => {
  test('POST /api/2.0/sql/statements with the documented body and config defaults', async () => {
    reply(HOST, 'POST', STATEMENTS, 200, statement('SUCCEEDED', { manifest: { total_row_count: 3 } }));
    await trigger({ ...pat, catalog: 'main', schema: 'ops' }, run('INSERT INTO t VALUES (1)'));
    const [sent] = mock.sent();
    expect(`${sent!.method} ${sent!.url.href}`).toBe(`POST ${HOST}${STATEMENTS}`);
    expect(sent!.headers.authorization).toBe(`Bearer ${PAT}`);
    expect(sent!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(String(sent!.body))).toEqual({
      warehouse_id: WAREHOUSE,
      statement: 'INSERT INTO t VALUES (1)',
      catalog: 'main',
      schema: 'ops',
      wait_timeout: '30s',
      on_wait_timeout: 'CONTINUE',
      disposition: 'INLINE',
      format: 'JSON_ARRAY',
    });
  });

  test('parameters become strings (null is SQL NULL), options override catalog/schema, rowLimit → row_limit, the configured wait', async () => {
    reply(HOST, 'POST', STATEMENTS, 200, statement('PENDING'));
    await trigger({ ...pat, catalog: 'main', schema: 'ops', waitTimeoutSeconds: 0 }, {
      options: {
        statement: 'INSERT INTO t VALUES (:id, :v, :ok, :gone)',
        parameters: [
          { name: 'id', value: 42, type: 'INT' },
          { name: 'v', value: 'x' },
          { name: 'ok', value: true, type: 'BOOLEAN' },
          { name: 'gone', value: null, type: 'DECIMAL(10,2)' },
        ],
        catalog: 'dev',
        schema: 'scratch',
        rowLimit: 10,
      },
    });
    const body = JSON.parse(String(mock.sent()[0]!.body));
    expect(body.parameters).toEqual([
      { name: 'id', value: '42', type: 'INT' },
      { name: 'v', value: 'x' },
      { name: 'ok', value: 'true', type: 'BOOLEAN' },
      { name: 'gone', type: 'DECIMAL(10,2)' },
    ]);
    expect(body).toMatchObject({ catalog: 'dev', schema: 'scratch', row_limit: 10, wait_timeout: '0s' });
  });

  test('without catalog or schema anywhere, none is sent', async () => {
    reply(HOST, 'POST', STATEMENTS, 200, statement('RUNNING'));
    await trigger(pat, run());
    const body = JSON.parse(String(mock.sent()[0]!.body));
    expect(body).not.toHaveProperty('catalog');
    expect(body).not.toHaveProperty('schema');
    expect(body).not.toHaveProperty('parameters');
  });

  test.each([
    ['no statement', {}, 'statement'],
    ['a blank statement', { statement: '  ' }, 'statement'],
    ['a parameter name with a space', { statement: 'SELECT :a', parameters: [{ name: 'a b', value: '1' }] }, 'parameters.0.name'],
    ['a parameter value that is an object', { statement: 'SELECT :a', parameters: [{ name: 'a', value: { x: 1 } }] }, 'parameters.0.value'],
    ['a parameter type that is SQL', { statement: 'SELECT :a', parameters: [{ name: 'a', value: '1', type: 'INT); DROP TABLE t; --' }] }, 'parameters.0.type'],
    ['a catalog with a dot', { statement: 'SELECT 1', catalog: 'a.b' }, 'catalog'],
    ['a zero rowLimit', { statement: 'SELECT 1', rowLimit: 0 }, 'rowLimit'],
    ['an unknown option', { statement: 'SELECT 1', warehouseId: 'other' }, 'warehouseId'],
  ])('%s is bad_request, status 0, nothing sent', async (_n, options, field) => {
    const res = await trigger(pat, { options });
    expect(res).toMatchObject({ ok: false, status: 0, body: null, error: { code: 'bad_request', retryable: false } });
    expect(res.error!.message).toContain(field);
    expect(mock.sent()).toHaveLength(0);
  });
});

describe('databricks state mapping (trigger and syncStatus answer the same way)', () => {
  const cases: [string, Record<string, unknown>, { state: string; message?: string; details: Record<string, unknown> }][] = [
    ['PENDING', statement('PENDING'), { state: 'pending', details: { providerState: 'PENDING' } }],
    ['RUNNING', statement('RUNNING'), { state: 'running', details: { providerState: 'RUNNING' } }],
    ['SUCCEEDED: the row count, never the rows', statement('SUCCEEDED', {
      manifest: { format: 'JSON_ARRAY', total_row_count: 2, truncated: false, schema: { columns: [] } },
      result: { data_array: [['secret-row-1'], ['secret-row-2']], row_count: 2 },
    }), { state: 'succeeded', details: { providerState: 'SUCCEEDED', rowCount: 2, truncated: false } }],
    ['FAILED: error_code and message', { statement_id: ID, status: { state: 'FAILED', sql_state: '42P01', error: { error_code: 'BAD_REQUEST', message: '[TABLE_OR_VIEW_NOT_FOUND] The table or view `t` cannot be found.' } } },
      { state: 'failed', message: 'BAD_REQUEST: [TABLE_OR_VIEW_NOT_FOUND] The table or view `t` cannot be found.', details: { providerState: 'FAILED', sqlState: '42P01' } }],
    ['CANCELED', { statement_id: ID, status: { state: 'CANCELED' } }, { state: 'cancelled', message: 'the statement was cancelled', details: { providerState: 'CANCELED' } }],
    ['CLOSED: it ran; the result is gone', statement('CLOSED'), { state: 'succeeded', details: { providerState: 'CLOSED', resultAvailable: false } }],
    ['an unknown state keeps polling', statement('QUEUED_SOMEWHERE'), { state: 'running', details: { providerState: 'QUEUED_SOMEWHERE' } }],
  ];

  test.each(cases)('trigger: %s', async (_name, body, expected) => {
    reply(HOST, 'POST', STATEMENTS, 200, body);
    const res = await trigger(pat, run());
    expect(res).toMatchObject({ ok: true, status: 200 });
    expect(res.body).toEqual({ runId: ID, state: expected.state, ...(expected.message ? { message: expected.message } : {}), details: expected.details });
    expect(JSON.stringify(res)).not.toContain('secret-row');
  });

  test.each(cases)('syncStatus: %s', async (_name, body, expected) => {
    reply(HOST, 'GET', `${STATEMENTS}/${ID}`, 200, body);
    const res = await status(pat, ID);
    expect(res.body).toEqual({ runId: ID, state: expected.state, ...(expected.message ? { message: expected.message } : {}), details: expected.details });
    const [sent] = mock.sent();
    expect(`${sent!.method} ${sent!.url.href}`).toBe(`GET ${HOST}${STATEMENTS}/${ID}`);
    expect(sent!.headers.authorization).toBe(`Bearer ${PAT}`);
  });

  test('a statement id that is not one is bad_request, nothing sent', async () => {
    for (const bad of ['', 'not an id', `${ID}/cancel`, '../warehouses']) expect((await status(pat, bad)).error).toMatchObject({ code: 'bad_request' });
    expect(mock.sent()).toHaveLength(0);
  });

  test('a 200 without statement_id and status is invalid_response', async () => {
    reply(HOST, 'POST', STATEMENTS, 200, { status: 'ok' });
    expect((await trigger(pat, run())).error).toMatchObject({ code: 'invalid_response', retryable: false });
  });
});

describe('databricks HTTP errors', () => {
  test('{error_code, message} keeps the code in the message', async () => {
    reply(HOST, 'POST', STATEMENTS, 400, { error_code: 'INVALID_PARAMETER_VALUE', message: 'wait_timeout must be 0s or between 5s and 50s', details: [] });
    reply(HOST, 'POST', STATEMENTS, 403, { error_code: 'PERMISSION_DENIED', message: 'You do not have permission to use the SQL Warehouse' });
    reply(HOST, 'GET', `${STATEMENTS}/${ID}`, 404, { error_code: 'NOT_FOUND', message: `The statement ${ID} was not found` });
    const bad = await trigger(pat, run());
    const denied = await trigger(pat, run());
    const gone = await status(pat, ID);
    expect(bad.error).toMatchObject({ code: 'bad_request', retryable: false, message: 'Databricks answered HTTP 400 (INVALID_PARAMETER_VALUE): wait_timeout must be 0s or between 5s and 50s' });
    expect(denied.error).toMatchObject({ code: 'forbidden', message: 'Databricks answered HTTP 403 (PERMISSION_DENIED): You do not have permission to use the SQL Warehouse' });
    expect(gone.error).toMatchObject({ code: 'not_found', message: `Databricks answered HTTP 404 (NOT_FOUND): The statement ${ID} was not found` });
  });

  test('429 TEMPORARILY_UNAVAILABLE is rate_limited with Retry-After', async () => {
    mock.agent.get(HOST).intercept({ path: STATEMENTS, method: 'POST' })
      .reply(429, JSON.stringify({ error_code: 'TEMPORARILY_UNAVAILABLE', message: 'Too many requests' }), { headers: { ...JSON_HEADERS, 'retry-after': '3' } });
    const res = await trigger(pat, run());
    expect(res.error).toMatchObject({ code: 'rate_limited', retryable: true, retryAfterMs: 3_000, message: 'Databricks answered HTTP 429 (TEMPORARILY_UNAVAILABLE): Too many requests' });
  });
});

describe('databricks OAuth M2M', () => {
  test('the token comes from POST {host}/oidc/v1/token (Basic client credentials, client_credentials, all-apis) and is fetched once for two calls', async () => {
    token();
    reply(AZURE, 'POST', STATEMENTS, 200, statement('RUNNING'));
    reply(AZURE, 'GET', `${STATEMENTS}/${ID}`, 200, statement('SUCCEEDED', { manifest: { total_row_count: 0 } }));
    expect((await trigger(oauth, run())).body!.state).toBe('running');
    expect((await status(oauth, ID)).body!.state).toBe('succeeded');

    const sent = mock.sent();
    expect(sent.map((s) => `${s.method} ${s.url.pathname}`)).toEqual(['POST /oidc/v1/token', `POST ${STATEMENTS}`, `GET ${STATEMENTS}/${ID}`]);
    const [tokenCall, first, second] = sent;
    expect(tokenCall!.url.origin).toBe(AZURE);
    expect(tokenCall!.headers.authorization).toBe(`Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`);
    expect(tokenCall!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(String(tokenCall!.body)))).toEqual({ grant_type: 'client_credentials', scope: 'all-apis' });
    expect(first!.headers.authorization).toBe(`Bearer ${ACCESS_TOKEN}`);
    expect(second!.headers.authorization).toBe(`Bearer ${ACCESS_TOKEN}`);
  });

  test('concurrent calls share one token request', async () => {
    token();
    reply(AZURE, 'GET', `${STATEMENTS}/${ID}`, 200, statement('RUNNING'));
    reply(AZURE, 'GET', `${STATEMENTS}/${ID}`, 200, statement('RUNNING'));
    await Promise.all([status(oauth, ID), status(oauth, ID)]);
    expect(mock.sent().filter((s) => s.url.pathname === '/oidc/v1/token')).toHaveLength(1);
  });

  test('the token is renewed shortly before expires_in, not after', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2025-01-01T12:00:00Z'));
    token(3600, 'first-token-value');
    token(3600, 'second-token-value');
    for (let i = 0; i < 3; i++) reply(AZURE, 'GET', `${STATEMENTS}/${ID}`, 200, statement('RUNNING'));
    await status(oauth, ID);
    vi.setSystemTime(new Date('2025-01-01T12:54:00Z')); // 6 minutes to go: still good
    await status(oauth, ID);
    vi.setSystemTime(new Date('2025-01-01T12:56:00Z')); // inside the 5-minute margin: renewed
    await status(oauth, ID);
    const auth = mock.sent().filter((s) => s.url.pathname !== '/oidc/v1/token').map((s) => s.headers.authorization);
    expect(auth).toEqual(['Bearer first-token-value', 'Bearer first-token-value', 'Bearer second-token-value']);
  });

  test('a 401 from the workspace drops the cached token; the next call fetches a new one', async () => {
    token(3600, 'revoked-token-value');
    token(3600, 'fresh-token-value');
    reply(AZURE, 'GET', `${STATEMENTS}/${ID}`, 401, { error_code: 'UNAUTHENTICATED', message: 'Invalid access token.' });
    reply(AZURE, 'GET', `${STATEMENTS}/${ID}`, 200, statement('RUNNING'));
    const refused = await status(oauth, ID);
    expect(refused.error).toMatchObject({ code: 'unauthorized', message: 'Databricks answered HTTP 401 (UNAUTHENTICATED): Invalid access token.' });
    expect((await status(oauth, ID)).ok).toBe(true);
    expect(mock.sent().filter((s) => s.url.pathname === '/oidc/v1/token')).toHaveLength(2);
    expect(mock.sent().at(-1)!.headers.authorization).toBe('Bearer fresh-token-value');
  });

  test('a refused client is unauthorized with the OAuth reason; the secret and the token never appear', async () => {
    reply(AZURE, 'POST', '/oidc/v1/token', 401, { error: 'invalid_client', error_description: `Client authentication failed for secret ${CLIENT_SECRET}` });
    const res = await trigger(oauth, run());
    expect(res).toMatchObject({ ok: false, status: 401, body: null, error: { code: 'unauthorized', retryable: false } });
    expect(res.error!.message).toBe('Databricks OAuth token request answered HTTP 401: invalid_client: Client authentication failed for secret [REDACTED]');
    expect(JSON.stringify(res)).not.toContain(CLIENT_SECRET);
    expect(mock.sent()).toHaveLength(1);
  });

  test('an echoed access token is redacted from API errors', async () => {
    token();
    reply(AZURE, 'POST', STATEMENTS, 400, { error_code: 'BAD_REQUEST', message: `token ${ACCESS_TOKEN} cannot run this` });
    const res = await trigger(oauth, run());
    expect(res.error!.message).not.toContain(ACCESS_TOKEN);
    expect(res.error!.message).toContain('[REDACTED]');
  });

  test('a token answer without access_token is invalid_response', async () => {
    reply(AZURE, 'POST', '/oidc/v1/token', 200, { token_type: 'Bearer' });
    expect((await trigger(oauth, run())).error).toMatchObject({ code: 'invalid_response' });
  });

  test('a missing client secret is missing_secret; nothing is sent, not even the token request', async () => {
    const { clientSecret: _s, ...noSecret } = oauth;
    const res = await trigger(noSecret, run());
    expect(res).toMatchObject({ ok: false, status: 0, error: { code: 'missing_secret' } });
    expect(mock.sent()).toHaveLength(0);
  });
});

test('databricks: the caller\'s AbortSignal reaches the request (cancelled, status 0, network)', async () => {
  const ac = new AbortController();
  ac.abort();
  const res = await trigger(pat, run(), { signal: ac.signal });
  expect(res).toMatchObject({ ok: false, status: 0, body: null, error: { code: 'network' } });
  expect(res.error!.message).toContain('cancelled');
});

describeHttpContract(mock, {
  config: pat,
  secretField: 'token',
  malformedSecret: 'ghp_notadatabrickstoken',
  origin: HOST,
  path: STATEMENTS,
  method: 'POST',
  call: (cfg, opts) => trigger(cfg, run('SELECT 1'), opts),
  others: {
    testConnection: (cfg, opts) => databricksExecutor.testConnection(cfg as never, opts),
    syncStatus: (cfg, opts) => status(cfg, ID, opts),
  },
  okBody: statement('SUCCEEDED', { manifest: { total_row_count: 1 } }),
  errorBody: (message) => ({ error_code: 'UNAUTHENTICATED', message }),
});
