// Twilio executor against MockAgent: form-encoded Messages create and the account check
// (facts: src/registry/connectors/twilio.ts), the decoded form bodies checked against Twilio's own
// OpenAPI schema.
import { describe, expect, test } from 'vitest';
import type { CallOptions } from '../../../src/core/envelope.js';
import { twilioExecutor } from '../../../src/executors/twilio.js';
import { JSON_HEADERS, pathIs, queryPairs, useMockAgent } from '../../helpers/mock-agent.js';
import { closed, compileSchema, loadSpec, specsAvailable, warnIfSpecsMissing } from '../../helpers/specs.js';
import { describeHttpContract } from './http-contract.js';

const mock = useMockAgent();

const SID = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = 'f0e1d2c3b4a5968778695a4b3c2d1e0f';
const KEY_SID = 'SK0123456789abcdef0123456789abcdef';
const KEY_SECRET = 'Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe';
const MG = 'MG0123456789abcdef0123456789abcdef';
const HX = 'HX0123456789abcdef0123456789abcdef';
const ORIGIN = 'https://api.twilio.com';
const MESSAGES = `/2010-04-01/Accounts/${SID}/Messages.json`;
const config = { authMethod: 'auth_token', accountSid: SID, authToken: TOKEN, from: '+15017122661' };
const apiKeyConfig = { authMethod: 'api_key', accountSid: SID, apiKeySid: KEY_SID, apiKeySecret: KEY_SECRET, messagingServiceSid: MG };
const CREATED = { sid: 'SM0123456789abcdef0123456789abcdef', status: 'queued', to: '+15558675310', body: 'Hello', account_sid: SID };

const send = (cfg: Record<string, unknown>, message: unknown, opts?: CallOptions) => twilioExecutor.send!(cfg as never, message, opts);
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

function reply(status: number, body: unknown, { path = MESSAGES, method = 'POST', headers = {} as Record<string, string> } = {}) {
  mock.agent.get(ORIGIN).intercept({ path: pathIs(path), method }).reply(status, JSON.stringify(body), { headers: { ...JSON_HEADERS, ...headers } });
}
const twilioError = (code: number, message: string, status: number) => ({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

/** The form body decoded as SOURCES.md says: repeated MediaUrl / PersistentAction keys become arrays. */
function decodeForm(body: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(body)) {
    if (k === 'MediaUrl' || k === 'PersistentAction') out[k] = [...((out[k] as string[] | undefined) ?? []), v];
    else out[k] = v;
  }
  return out;
}
const sentForm = (i = 0) => decodeForm(String(mock.sent()[i]!.body));

describe('twilio send', () => {
  test('POST …/Accounts/{sid}/Messages.json, form-encoded, Basic AccountSid:AuthToken, no idempotency header', async () => {
    reply(201, CREATED);
    const res = await send(config, { to: '+15558675310', body: 'Hello' }, { idempotencyKey: 'send:conn-1:42' });
    expect(res).toEqual({ ok: true, status: 201, latencyMs: expect.any(Number), body: { sid: CREATED.sid, status: 'queued' } });
    const [sent] = mock.sent();
    expect(sent!.method).toBe('POST');
    expect(sent!.url.href).toBe(`${ORIGIN}${MESSAGES}`);
    expect(sent!.headers.authorization).toBe(basic(SID, TOKEN));
    expect(sent!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(String(sent!.body)).toBe('To=%2B15558675310&From=%2B15017122661&Body=Hello');
    // Twilio has no API-side dedup key: nothing is invented.
    expect(Object.keys(sent!.headers).filter((h) => h.includes('idempotency'))).toEqual([]);
    expect(String(sent!.body)).not.toContain('send%3Aconn-1');
  });

  test('API key auth: Basic ApiKeySid:ApiKeySecret, the account SID still in the path; the configured service is the sender', async () => {
    reply(201, CREATED);
    await send(apiKeyConfig, { to: '+15558675310', body: 'Hi' });
    const [sent] = mock.sent();
    expect(sent!.url.pathname).toBe(MESSAGES);
    expect(sent!.headers.authorization).toBe(basic(KEY_SID, KEY_SECRET));
    expect(sentForm()).toEqual({ To: '+15558675310', MessagingServiceSid: MG, Body: 'Hi' });
  });

  test('a sender in the message replaces the configured one as a whole', async () => {
    reply(201, CREATED);
    reply(201, CREATED);
    const both = { ...config, messagingServiceSid: MG };
    await send(both, { to: '+15558675310', body: 'a', from: 'ACMEALERTS' });
    await send(both, { to: '+15558675310', body: 'a', messagingServiceSid: 'MGfedcba9876543210fedcba9876543210' });
    expect(sentForm(0)).toEqual({ To: '+15558675310', From: 'ACMEALERTS', Body: 'a' });
    expect(sentForm(1)).toEqual({ To: '+15558675310', MessagingServiceSid: 'MGfedcba9876543210fedcba9876543210', Body: 'a' });
  });

  test('media, content template and status callback map to MediaUrl (repeated), ContentSid, ContentVariables (JSON), StatusCallback', async () => {
    reply(201, CREATED);
    reply(201, CREATED);
    await send(config, { to: '+15558675310', mediaUrl: ['https://example.com/a.png', 'https://example.com/b.png'], statusCallback: 'https://example.com/status' });
    await send(config, { to: '+15558675310', mediaUrl: 'https://example.com/a.png', contentSid: HX, contentVariables: { 1: 'Ada', 2: '42' } });
    expect(String(mock.sent()[0]!.body)).toBe('To=%2B15558675310&From=%2B15017122661&MediaUrl=https%3A%2F%2Fexample.com%2Fa.png&MediaUrl=https%3A%2F%2Fexample.com%2Fb.png&StatusCallback=https%3A%2F%2Fexample.com%2Fstatus');
    expect(sentForm(1)).toEqual({ To: '+15558675310', From: '+15017122661', MediaUrl: ['https://example.com/a.png'], ContentSid: HX, ContentVariables: '{"1":"Ada","2":"42"}' });
  });

  test('impossible messages are bad_request naming the field, nothing sent', async () => {
    const cases: [unknown, string][] = [
      [{ to: '5558675310', body: 'a' }, 'to: must be an E.164 number'],
      [{ to: '+15558675310' }, 'give body, mediaUrl or contentSid'],
      [{ to: '+15558675310', body: 'x'.repeat(1601) }, 'body'],
      [{ to: '+15558675310', body: 'a', contentVariables: { 1: 'x' } }, 'contentVariables: needs contentSid'],
      [{ to: '+15558675310', mediaUrl: 'ftp://example.com/a.png' }, 'mediaUrl'],
      [{ to: '+15558675310', mediaUrl: Array.from({ length: 11 }, (_, i) => `https://example.com/${i}.png`) }, 'mediaUrl'],
      [{ to: '+15558675310', body: 'a', from: 'NOT A VALID SENDER ID' }, 'from'],
      [{ to: '+15558675310', body: 'a', contentSid: 'HX1' }, 'contentSid'],
      [{ to: '+15558675310', body: 'a', IdempotencyKey: 'x' }, 'IdempotencyKey'],
    ];
    for (const [message, field] of cases) {
      const res = await send(config, message);
      expect(res).toMatchObject({ ok: false, status: 0, body: null, error: { code: 'bad_request', retryable: false } });
      expect(res.error!.message).toContain(field);
    }
    expect(mock.sent()).toHaveLength(0);
  });

  test('a config without any sender is invalid_config, nothing sent', async () => {
    const res = await send({ authMethod: 'auth_token', accountSid: SID, authToken: TOKEN }, { to: '+15558675310', body: 'a' });
    expect(res).toMatchObject({ ok: false, status: 0, error: { code: 'invalid_config' } });
    expect(mock.sent()).toHaveLength(0);
  });

  describe("Twilio's error code refines the status", () => {
    test('20429 is rate_limited and retryable, with Retry-After', async () => {
      reply(429, twilioError(20429, 'Too Many Requests', 429), { headers: { 'retry-after': '2' } });
      const res = await send(config, { to: '+15558675310', body: 'a' });
      expect(res.error).toMatchObject({ code: 'rate_limited', retryable: true, retryAfterMs: 2_000 });
      expect(res.error!.message).toContain('(error 20429): Too Many Requests');
    });

    test('20003 is unauthorized', async () => {
      reply(401, twilioError(20003, 'Authenticate', 401));
      const res = await send(config, { to: '+15558675310', body: 'a' });
      expect(res.error).toMatchObject({ code: 'unauthorized', retryable: false });
      expect(res.error!.message).toBe('Twilio answered HTTP 401 (error 20003): Authenticate (https://www.twilio.com/docs/errors/20003)');
    });

    const recipient: [number, string, string][] = [
      [21211, "The 'To' number +15005550001 is not a valid phone number.", 'not a valid phone number'],
      [21614, "'To' number is not a valid mobile number", 'not a mobile number'],
      [21610, 'Attempt to send to unsubscribed recipient', 'opted out'],
    ];
    for (const [code, message, hint] of recipient) {
      test(`${code} is bad_request with the code, Twilio's message and what it means`, async () => {
        reply(400, twilioError(code, message, 400));
        const res = await send(config, { to: '+15558675310', body: 'a' });
        expect(res).toMatchObject({ ok: false, status: 400, body: null, error: { code: 'bad_request', retryable: false } });
        expect(res.error!.message).toContain(`Twilio answered HTTP 400 (error ${code}): ${message}`);
        expect(res.error!.message).toContain(hint);
      });
    }

    test('other codes keep the status mapping with the code in the message', async () => {
      reply(400, twilioError(21606, "The 'From' phone number provided is not a valid message-capable Twilio phone number for this destination.", 400));
      const res = await send(config, { to: '+15558675310', body: 'a' });
      expect(res.error).toMatchObject({ code: 'bad_request' });
      expect(res.error!.message).toContain('(error 21606)');
    });
  });

  test('a 201 whose sid is not a message SID is invalid_response', async () => {
    reply(201, { ...CREATED, sid: 'CA123' });
    expect((await send(config, { to: '+15558675310', body: 'a' })).error).toMatchObject({ code: 'invalid_response' });
  });
});

describe('twilio testConnection', () => {
  const ACCOUNT = `/2010-04-01/Accounts/${SID}.json`;
  const account = (status: string) => ({ sid: SID, status, friendly_name: 'Acme', type: 'Full', auth_token: TOKEN });

  test('auth token: GET /2010-04-01/Accounts/{sid}.json; an active account answers a small summary', async () => {
    reply(200, account('active'), { path: ACCOUNT, method: 'GET' });
    const res = await twilioExecutor.testConnection(config as never);
    expect(res).toEqual({ ok: true, status: 200, latencyMs: expect.any(Number), body: { accountSid: SID, status: 'active', friendlyName: 'Acme', type: 'Full' } });
    const [sent] = mock.sent();
    expect(sent!.method).toBe('GET');
    expect(sent!.url.href).toBe(`${ORIGIN}${ACCOUNT}`);
    expect(sent!.headers.authorization).toBe(basic(SID, TOKEN));
    expect(JSON.stringify(res)).not.toContain(TOKEN);
  });

  for (const status of ['suspended', 'closed']) {
    test(`a ${status} account is forbidden`, async () => {
      reply(200, account(status), { path: ACCOUNT, method: 'GET' });
      const res = await twilioExecutor.testConnection(config as never);
      expect(res).toMatchObject({ ok: false, status: 200, body: null, error: { code: 'forbidden', retryable: false } });
      expect(res.error!.message).toContain(`is ${status}`);
    });
  }

  test('API key: one page of one message (standard keys cannot read the Account resource)', async () => {
    reply(200, { messages: [], page_size: 1 }, { path: MESSAGES, method: 'GET' });
    const res = await twilioExecutor.testConnection(apiKeyConfig as never);
    expect(res).toMatchObject({ ok: true, status: 200, body: { accountSid: SID, check: 'messages' } });
    const [sent] = mock.sent();
    expect(sent!.url.pathname).toBe(MESSAGES);
    expect(queryPairs(sent!.url)).toEqual([['PageSize', '1']]);
    expect(sent!.headers.authorization).toBe(basic(KEY_SID, KEY_SECRET));
  });

  test('API key: a Restricted key that may not read messages (403, error 70051) passes, with a note that a send will prove it', async () => {
    reply(403, twilioError(70051, 'Authorization Failed', 403), { path: MESSAGES, method: 'GET' });
    const res = await twilioExecutor.testConnection(apiKeyConfig as never);
    expect(res).toMatchObject({ ok: true, status: 403, body: { accountSid: SID, check: 'messages', readable: false } });
    expect(res.error).toBeUndefined();
    const note = (res.body as { note: string }).note;
    expect(note).toContain('Restricted key without permission to read Messages');
    expect(note).toContain('the first send will prove it');
    expect(JSON.stringify(res)).not.toContain(KEY_SECRET);
  });

  test('API key: a bad credential (401, error 20003 Authenticate) still fails unauthorized', async () => {
    reply(401, twilioError(20003, 'Authenticate', 401), { path: MESSAGES, method: 'GET' });
    const res = await twilioExecutor.testConnection(apiKeyConfig as never);
    expect(res).toMatchObject({ ok: false, status: 401, body: null, error: { code: 'unauthorized', retryable: false } });
    expect(JSON.stringify(res)).not.toContain(KEY_SECRET);
  });

  test('API key: other refusals are not mistaken for a Restricted key (403 with 20403 suspended account, 401 with 70051)', async () => {
    reply(403, twilioError(20403, '403 Forbidden', 403), { path: MESSAGES, method: 'GET' });
    reply(401, twilioError(70051, 'Authorization Failed', 401), { path: MESSAGES, method: 'GET' });
    expect((await twilioExecutor.testConnection(apiKeyConfig as never)).error).toMatchObject({ code: 'forbidden' });
    expect((await twilioExecutor.testConnection(apiKeyConfig as never)).error).toMatchObject({ code: 'unauthorized' });
  });

  test('an unknown account status is invalid_response', async () => {
    reply(200, account('frozen'), { path: ACCOUNT, method: 'GET' });
    expect((await twilioExecutor.testConnection(config as never)).error).toMatchObject({ code: 'invalid_response' });
  });

  test('API key: a missing secret is missing_secret, nothing sent', async () => {
    const { apiKeySecret: _omit, ...noSecret } = apiKeyConfig;
    expect((await twilioExecutor.testConnection(noSecret as never)).error).toMatchObject({ code: 'missing_secret' });
    expect(mock.sent()).toHaveLength(0);
  });
});

describe('twilio HTTP contract', () => {
  describeHttpContract(mock, {
    config,
    secretField: 'authToken',
    malformedSecret: 'not-a-hex-token',
    origin: ORIGIN,
    path: MESSAGES,
    method: 'POST',
    call: (cfg, opts) => send(cfg, { to: '+15558675310', body: 'hello' }, opts),
    others: { testConnection: (cfg, opts) => twilioExecutor.testConnection(cfg as never, opts) },
    okBody: CREATED,
    errorBody: (message) => twilioError(20404, message, 404),
  });
});

// Twilio's OpenAPI spec (twilio/twilio-oai twilio_api_v2010.json, CreateMessage form body), converted per SOURCES.md.
const createSpec = loadSpec('twilio.messages-create.schema.json');
warnIfSpecsMissing('Twilio official-schema tests');

describe.skipIf(!specsAvailable || !createSpec)('twilio form bodies against the official schema', () => {
  test('every kind of send decodes to a valid CreateMessage body with no undeclared parameter', async () => {
    const messages: [Record<string, unknown>, unknown][] = [
      [config, { to: '+15558675310', body: 'Hello' }],
      [apiKeyConfig, { to: '+15558675310', body: 'Hello', statusCallback: 'https://example.com/status' }],
      [config, { to: '+15558675310', mediaUrl: ['https://example.com/a.png', 'https://example.com/b.png'] }],
      [config, { to: '+15558675310', contentSid: HX, contentVariables: { 1: 'Ada' } }],
      [config, { to: '+15558675310', body: 'x', from: 'ACMEALERTS' }],
    ];
    for (const _ of messages) reply(201, CREATED);
    for (const [cfg, message] of messages) expect((await send(cfg, message, { idempotencyKey: 'k' })).ok).toBe(true);
    const check = compileSchema(closed(createSpec!));
    mock.sent().forEach((s) => expect(check(decodeForm(String(s.body)))).toEqual([]));
  });

  test('the closed schema has teeth: no sender, no content or an undeclared parameter fail', () => {
    const check = compileSchema(closed(createSpec!));
    expect(check({ To: '+15558675310', Body: 'a' })).not.toEqual([]);
    expect(check({ To: '+15558675310', From: '+15017122661' })).not.toEqual([]);
    expect(check({ To: '+15558675310', From: '+15017122661', Body: 'a', IdempotencyKey: 'k' })).not.toEqual([]);
  });
});
