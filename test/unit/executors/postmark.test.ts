// Postmark executor against MockAgent: POST /email and GET /server
// (facts: src/registry/connectors/postmark.ts). Postmark publishes no machine-readable schema we may
// use (shared/specs/SOURCES.md), so bodies are checked here.
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import type { CallOptions } from '../../../src/core/envelope.js';
import { postmarkExecutor } from '../../../src/executors/postmark.js';
import { JSON_HEADERS, useMockAgent } from '../../helpers/mock-agent.js';
import { describeHttpContract } from './http-contract.js';

const mock = useMockAgent();

const TOKEN = '9f8e7d6c-5b4a-4321-9876-0fedcba98765';
const ORIGIN = 'https://api.postmarkapp.com';
const EMAIL = '/email';
const config = { serverToken: TOKEN, fromEmail: 'app@example.com' };
const MESSAGE_ID = 'b7bc2f4a-e38e-4336-af7d-e6c392c2f817';
const OK = { To: 'ada@example.org', SubmittedAt: '2025-01-02T03:04:05.1234567-05:00', MessageID: MESSAGE_ID, ErrorCode: 0, Message: 'OK' };

const send = (cfg: Record<string, unknown>, message: unknown, opts?: CallOptions) => postmarkExecutor.send!(cfg as never, message, opts);

function reply(status: number, body: unknown, headers: Record<string, string> = {}) {
  mock.agent.get(ORIGIN).intercept({ path: EMAIL, method: 'POST' }).reply(status, JSON.stringify(body), { headers: { ...JSON_HEADERS, ...headers } });
}
const sentJson = (i = 0) => JSON.parse(String(mock.sent()[i]!.body)) as Record<string, unknown>;
const simple = { to: 'ada@example.org', subject: 'Your order shipped', textBody: 'It is on its way.' };

describe('postmark send', () => {
  test('POST /email with the server token header and JSON; PascalCase fields; config defaults for From and stream', async () => {
    reply(200, OK);
    const res = await send(config, simple, { idempotencyKey: 'send:conn-1:42' });
    expect(res).toEqual({ ok: true, status: 200, latencyMs: expect.any(Number), body: { messageId: MESSAGE_ID } });
    const [sent] = mock.sent();
    expect(sent!.method).toBe('POST');
    expect(sent!.url.href).toBe(`${ORIGIN}${EMAIL}`);
    expect(sent!.headers['x-postmark-server-token']).toBe(TOKEN);
    expect(sent!.headers.accept).toBe('application/json');
    expect(sent!.headers['content-type']).toBe('application/json');
    expect(sent!.headers).not.toHaveProperty('authorization');
    expect(sentJson()).toEqual({
      From: 'app@example.com',
      To: 'ada@example.org',
      Subject: 'Your order shipped',
      TextBody: 'It is on its way.',
      Metadata: { idempotency_key: 'send:conn-1:42' },
      MessageStream: 'outbound',
    });
  });

  test('every optional field maps to its Postmark name; lists become comma lists', async () => {
    reply(200, OK);
    await send({ ...config, messageStream: 'broadcasts' }, {
      to: ['ada@example.org', 'Bob <bob@example.org>'],
      cc: 'carol@example.org, dan@example.org',
      bcc: ['eve@example.org'],
      subject: 's',
      htmlBody: '<p>x</p>',
      textBody: 'x',
      from: 'Billing <billing@example.com>',
      replyTo: 'support@example.com',
      tag: 'orders',
      metadata: { order: '42' },
      headers: { 'X-Order': '42' },
    });
    expect(sentJson()).toEqual({
      From: 'Billing <billing@example.com>',
      To: 'ada@example.org, Bob <bob@example.org>',
      Cc: 'carol@example.org, dan@example.org',
      Bcc: 'eve@example.org',
      Subject: 's',
      TextBody: 'x',
      HtmlBody: '<p>x</p>',
      ReplyTo: 'support@example.com',
      Tag: 'orders',
      Headers: [{ Name: 'X-Order', Value: '42' }],
      Metadata: { order: '42' },
      MessageStream: 'broadcasts',
    });
  });

  test('the message\'s stream wins over the configured one', async () => {
    reply(200, OK);
    await send(config, { ...simple, messageStream: 'password-resets' });
    expect(sentJson().MessageStream).toBe('password-resets');
  });

  test('impossible messages are bad_request naming the field, nothing sent', async () => {
    const cases: [unknown, string][] = [
      [{ to: 'ada@example.org', subject: 's' }, 'textBody: give textBody or htmlBody'],
      [{ to: 'ada@example.org', textBody: 'x' }, 'subject'],
      [{ ...simple, to: Array.from({ length: 30 }, (_, i) => `u${i}@example.org`).join(','), cc: Array.from({ length: 21 }, (_, i) => `c${i}@example.org`) }, '51 recipients'],
      [{ ...simple, to: 'ada@example.org, nobody' }, '"nobody" is not an email address'],
      [{ ...simple, metadata: { n: 1 } }, 'metadata.n'],
      [{ ...simple, Attachments: [] }, 'Attachments'],
      [{ ...simple, messageStream: 'no spaces allowed' }, 'messageStream'],
    ];
    for (const [message, field] of cases) {
      const res = await send(config, message);
      expect(res).toMatchObject({ ok: false, status: 0, body: null, error: { code: 'bad_request', retryable: false } });
      expect(res.error!.message).toContain(field);
    }
    expect(mock.sent()).toHaveLength(0);
  });

  test('50 recipients across to, cc and bcc are fine', async () => {
    reply(200, OK);
    const res = await send(config, { ...simple, to: Array.from({ length: 48 }, (_, i) => `u${i}@example.org`), cc: 'c@example.org', bcc: 'b@example.org' });
    expect(res.ok).toBe(true);
  });

  describe('idempotency: none at Postmark, the key rides in Metadata', () => {
    test('a key over 80 bytes becomes its sha256 hex, the same on every retry; message metadata is kept', async () => {
      reply(200, OK);
      reply(200, OK);
      const key = `send:${'x'.repeat(100)}`;
      await send(config, { ...simple, metadata: { order: '42' } }, { idempotencyKey: key });
      await send(config, { ...simple, metadata: { order: '42' } }, { idempotencyKey: key });
      const hash = createHash('sha256').update(key).digest('hex');
      expect(sentJson(0).Metadata).toEqual({ idempotency_key: hash, order: '42' });
      expect(sentJson(1).Metadata).toEqual({ idempotency_key: hash, order: '42' });
    });

    test('a message metadata key spelling the engine\'s key in another case (Idempotency_Key) is refused before sending, naming it', async () => {
      for (const clash of ['Idempotency_Key', 'IDEMPOTENCY_KEY', 'idempotency_key']) {
        const res = await send(config, { ...simple, metadata: { order: '42', [clash]: 'mine' } }, { idempotencyKey: 'send:conn-1:42' });
        expect(res).toMatchObject({ ok: false, status: 0, body: null, error: { code: 'bad_request', retryable: false } });
        expect(res.error!.message).toContain(`metadata.${clash}`);
        expect(res.error!.message).toContain('differ only in case');
      }
      expect(mock.sent()).toHaveLength(0);
    });

    test('without an idempotency key there is no clash: the message\'s own idempotency_key is sent as given', async () => {
      reply(200, OK);
      await send(config, { ...simple, metadata: { Idempotency_Key: 'mine' } });
      expect(sentJson().Metadata).toEqual({ Idempotency_Key: 'mine' });
    });

    test('two message metadata keys that differ only in case are refused before sending', async () => {
      const res = await send(config, { ...simple, metadata: { Order: '1', order: '2' } });
      expect(res).toMatchObject({ ok: false, status: 0, error: { code: 'bad_request' } });
      expect(res.error!.message).toContain('metadata.order: repeats "Order"');
      expect(mock.sent()).toHaveLength(0);
    });

    test('no key and no metadata: no Metadata', async () => {
      reply(200, OK);
      await send(config, simple);
      expect(sentJson()).not.toHaveProperty('Metadata');
    });
  });

  describe('ErrorCode refines the status', () => {
    test('a 200 with ErrorCode ≠ 0 is an error (406 inactive recipient: bad_request, never retried)', async () => {
      reply(200, { ErrorCode: 406, Message: "You tried to send to recipient(s) that have been marked as inactive. Found inactive addresses: ada@example.org. Inactive recipients are ones that have generated a hard bounce, a spam complaint, or a manual suppression." });
      const res = await send(config, simple);
      expect(res).toMatchObject({ ok: false, status: 200, body: null, error: { code: 'bad_request', retryable: false } });
      expect(res.error!.message).toContain('Postmark answered HTTP 200 (ErrorCode 406): You tried to send to recipient(s) that have been marked as inactive');
      expect(res.error!.message).toContain('inactive (suppressed)');
    });

    test('422 ErrorCode 406 is bad_request, not retried', async () => {
      reply(422, { ErrorCode: 406, Message: 'You tried to send to a recipient that has been marked as inactive.' });
      const res = await send(config, simple);
      expect(res.error).toMatchObject({ code: 'bad_request', retryable: false });
      expect(res.error!.message).toContain('(ErrorCode 406)');
    });

    test('ErrorCode 10 is unauthorized', async () => {
      reply(401, { ErrorCode: 10, Message: 'No Account or Server API tokens were supplied in the HTTP headers.' });
      const res = await send(config, simple);
      expect(res.error).toMatchObject({ code: 'unauthorized', retryable: false });
      expect(res.error!.message).toBe('Postmark answered HTTP 401 (ErrorCode 10): No Account or Server API tokens were supplied in the HTTP headers.');
    });

    test('ErrorCode 429 is rate_limited and retryable, whatever the status', async () => {
      reply(422, { ErrorCode: 429, Message: 'Rate Limit Exceeded' });
      reply(429, { ErrorCode: 429, Message: 'Rate Limit Exceeded' }, { 'retry-after': '4' });
      expect((await send(config, simple)).error).toMatchObject({ code: 'rate_limited', retryable: true });
      expect((await send(config, simple)).error).toMatchObject({ code: 'rate_limited', retryable: true, retryAfterMs: 4_000 });
    });

    test('other codes keep the status mapping with the ErrorCode and Postmark\'s message', async () => {
      reply(422, { ErrorCode: 300, Message: "Invalid 'To' address: 'nobody'." });
      const res = await send(config, simple);
      expect(res.error).toMatchObject({ code: 'bad_request', retryable: false });
      expect(res.error!.message).toBe("Postmark answered HTTP 422 (ErrorCode 300): Invalid 'To' address: 'nobody'.");
    });
  });

  test('ErrorCode 0 without a MessageID is invalid_response', async () => {
    reply(200, { ErrorCode: 0, Message: 'OK' });
    expect((await send(config, simple)).error).toMatchObject({ code: 'invalid_response' });
  });
});

describe('postmark testConnection', () => {
  const SERVER = { ID: 1234567, Name: 'Production', ApiTokens: [TOKEN], Color: 'blue', DeliveryType: 'Live' };

  test('GET /server with the server token; only id and name come back (never the ApiTokens)', async () => {
    mock.agent.get(ORIGIN).intercept({ path: '/server', method: 'GET' }).reply(200, JSON.stringify(SERVER), { headers: JSON_HEADERS });
    const res = await postmarkExecutor.testConnection(config as never);
    expect(res).toEqual({ ok: true, status: 200, latencyMs: expect.any(Number), body: { serverId: 1234567, name: 'Production' } });
    const [sent] = mock.sent();
    expect(sent!.method).toBe('GET');
    expect(sent!.url.href).toBe(`${ORIGIN}/server`);
    expect(sent!.headers['x-postmark-server-token']).toBe(TOKEN);
    expect(sent!.headers.accept).toBe('application/json');
    expect(sent!.body ?? null).toBeNull();
    expect(JSON.stringify(res)).not.toContain(TOKEN);
  });

  test('a bad token (ErrorCode 10) is unauthorized', async () => {
    mock.agent.get(ORIGIN).intercept({ path: '/server', method: 'GET' })
      .reply(401, JSON.stringify({ ErrorCode: 10, Message: 'The Server API token is invalid.' }), { headers: JSON_HEADERS });
    const res = await postmarkExecutor.testConnection(config as never);
    expect(res.error).toMatchObject({ code: 'unauthorized' });
    expect(res.error!.message).toContain('The Server API token is invalid.');
  });
});

describe('postmark HTTP contract', () => {
  describeHttpContract(mock, {
    config,
    secretField: 'serverToken',
    malformedSecret: 'not-a-server-token',
    origin: ORIGIN,
    path: EMAIL,
    method: 'POST',
    call: (cfg, opts) => send(cfg, simple, opts),
    others: { testConnection: (cfg, opts) => postmarkExecutor.testConnection(cfg as never, opts) },
    okBody: OK,
    errorBody: (message) => ({ ErrorCode: 300, Message: message }),
  });
});
