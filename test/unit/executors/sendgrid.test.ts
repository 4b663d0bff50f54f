// SendGrid executor against MockAgent: Mail Send v3 and the scopes check
// (facts: src/registry/connectors/sendgrid.ts), the outgoing bodies checked against SendGrid's own
// OpenAPI schema in ../shared/specs.
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import type { CallOptions } from '../../../src/core/envelope.js';
import { sendgridExecutor } from '../../../src/executors/sendgrid.js';
import { JSON_HEADERS, useMockAgent } from '../../helpers/mock-agent.js';
import { closed, compileSchema, loadSpec, specsAvailable, warnIfSpecsMissing } from '../../helpers/specs.js';
import { describeHttpContract } from './http-contract.js';

const mock = useMockAgent();

const KEY = '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';
const ORIGIN = 'https://api.sendgrid.com';
const SEND = '/v3/mail/send';
const config = { apiKey: KEY, fromEmail: 'noreply@example.com', fromName: 'Acme' };
const MESSAGE_ID = '14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0';

const send = (cfg: Record<string, unknown>, message: unknown, opts?: CallOptions) => sendgridExecutor.send!(cfg as never, message, opts);

function accept(headers: Record<string, string> = { 'x-message-id': MESSAGE_ID }, origin = ORIGIN) {
  mock.agent.get(origin).intercept({ path: SEND, method: 'POST' }).reply(202, '', { headers });
}
function replyError(status: number, body: unknown, headers: Record<string, string> = {}) {
  mock.agent.get(ORIGIN).intercept({ path: SEND, method: 'POST' }).reply(status, JSON.stringify(body), { headers: { ...JSON_HEADERS, ...headers } });
}
const sentJson = (i = 0) => JSON.parse(String(mock.sent()[i]!.body)) as Record<string, unknown> & { personalizations: Record<string, unknown>[] };
const simple = { to: 'ada@example.org', subject: 'Your order shipped', text: 'It is on its way.' };

describe('sendgrid send', () => {
  test('POST /v3/mail/send with Bearer key; one personalization; from defaults to the config; X-Message-Id back', async () => {
    accept();
    const res = await send(config, { ...simple, html: '<p>It is on its way.</p>' }, { idempotencyKey: 'send:conn-1:42' });
    expect(res).toEqual({ ok: true, status: 202, latencyMs: expect.any(Number), body: { messageId: MESSAGE_ID } });
    const [sent] = mock.sent();
    expect(sent!.method).toBe('POST');
    expect(sent!.url.href).toBe(`${ORIGIN}${SEND}`);
    expect(sent!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent!.headers['content-type']).toBe('application/json');
    expect(sentJson()).toEqual({
      personalizations: [{ to: [{ email: 'ada@example.org' }], custom_args: { idempotency_key: 'send:conn-1:42' } }],
      from: { email: 'noreply@example.com', name: 'Acme' },
      subject: 'Your order shipped',
      // text/plain first: SendGrid requires that order.
      content: [{ type: 'text/plain', value: 'It is on its way.' }, { type: 'text/html', value: '<p>It is on its way.</p>' }],
    });
  });

  test('the EU region posts to api.eu.sendgrid.com', async () => {
    accept(undefined, 'https://api.eu.sendgrid.com');
    expect((await send({ ...config, region: 'eu' }, simple)).ok).toBe(true);
    expect(mock.sent()[0]!.url.href).toBe(`https://api.eu.sendgrid.com${SEND}`);
  });

  test('recipients as strings, objects or arrays; cc, bcc, reply-to, from, categories, send_at, custom args', async () => {
    accept();
    await send(config, {
      ...simple,
      to: [{ email: 'ada@example.org', name: 'Ada' }, 'bob@example.org'],
      cc: 'carol@example.org',
      bcc: [{ email: 'dan@example.org' }],
      from: { email: 'billing@example.com', name: 'Billing' },
      replyTo: 'support@example.com',
      categories: ['orders', 'shipping'],
      sendAt: 1_767_225_600,
      customArgs: { order: '42' },
    }, { idempotencyKey: 'k1' });
    expect(sentJson()).toEqual({
      personalizations: [{
        to: [{ email: 'ada@example.org', name: 'Ada' }, { email: 'bob@example.org' }],
        cc: [{ email: 'carol@example.org' }],
        bcc: [{ email: 'dan@example.org' }],
        custom_args: { idempotency_key: 'k1', order: '42' },
      }],
      from: { email: 'billing@example.com', name: 'Billing' },
      reply_to: { email: 'support@example.com' },
      subject: 'Your order shipped',
      content: [{ type: 'text/plain', value: 'It is on its way.' }],
      categories: ['orders', 'shipping'],
      send_at: 1_767_225_600,
    });
  });

  test('send_at up to 72 hours ahead is sent; later is refused before sending (SendGrid: "up to 72 hours in advance")', async () => {
    const now = Date.UTC(2026, 11, 2, 12, 0, 0);
    const clock = { now: () => now };
    const atSeconds = (ms: number) => Math.floor((now + ms) / 1000);
    accept();
    expect((await send(config, { ...simple, sendAt: atSeconds(72 * 3_600_000) }, clock)).ok).toBe(true);
    expect(sentJson().send_at).toBe(atSeconds(72 * 3_600_000));
    const late = await send(config, { ...simple, sendAt: atSeconds(72 * 3_600_000 + 1_000) }, clock);
    expect(late).toMatchObject({ ok: false, status: 0, body: null, error: { code: 'bad_request', retryable: false } });
    expect(late.error!.message).toContain('sendAt:');
    expect(late.error!.message).toContain('at most 72 hours in advance');
    const week = await send(config, { ...simple, sendAt: atSeconds(7 * 24 * 3_600_000) }, clock);
    expect(week.error!.message).toContain('168.0 hours ahead');
    expect(mock.sent()).toHaveLength(1);
  });

  test('dynamic template: the configured template_id applies, no subject or content needed, data on the personalization', async () => {
    accept();
    accept();
    await send({ ...config, templateId: 'd-0123456789abcdef' }, { to: 'ada@example.org', dynamicTemplateData: { name: 'Ada', order: 42 } });
    await send({ ...config, templateId: 'd-0123456789abcdef' }, { to: 'ada@example.org', templateId: 'd-fedcba' });
    expect(sentJson(0)).toEqual({
      personalizations: [{ to: [{ email: 'ada@example.org' }], dynamic_template_data: { name: 'Ada', order: 42 } }],
      from: { email: 'noreply@example.com', name: 'Acme' },
      template_id: 'd-0123456789abcdef',
    });
    expect(sentJson(1).template_id).toBe('d-fedcba');
  });

  test('impossible messages are bad_request naming the field, nothing sent', async () => {
    const many = Array.from({ length: 1001 }, (_, i) => `u${i}@example.org`);
    const cases: [unknown, string][] = [
      [{ to: 'ada@example.org', text: 'x' }, 'subject: is required unless a dynamic template is used'],
      [{ to: 'ada@example.org', subject: 's' }, 'text: give text or html'],
      [{ to: 'ada@example.org', subject: 's', text: 'x', dynamicTemplateData: { a: 1 } }, 'dynamicTemplateData: needs a templateId'],
      [{ ...simple, to: many }, '1001 recipients'],
      [{ ...simple, to: ['a@example.org'], cc: 'A@example.org' }, 'appears more than once'],
      [{ ...simple, to: 'not-an-email' }, 'to'],
      [{ ...simple, categories: ['a', 'a'] }, 'categories: must be unique'],
      [{ ...simple, categories: Array.from({ length: 11 }, (_, i) => `c${i}`) }, 'categories'],
      [{ ...simple, templateId: 'legacy-template' }, 'templateId'],
      [{ ...simple, customArgs: { n: 1 } }, 'customArgs.n'],
      [{ subject: 's', text: 'x' }, 'to'],
    ];
    for (const [message, field] of cases) {
      const res = await send(config, message);
      expect(res).toMatchObject({ ok: false, status: 0, body: null, error: { code: 'bad_request', retryable: false } });
      expect(res.error!.message).toContain(field);
    }
    expect(mock.sent()).toHaveLength(0);
  });

  describe('idempotency: none at SendGrid, the key rides in custom_args', () => {
    test('a key over 255 bytes becomes its sha256 hex, the same on every retry', async () => {
      accept();
      accept();
      const key = 'k'.repeat(300);
      await send(config, simple, { idempotencyKey: key });
      await send(config, simple, { idempotencyKey: key });
      const hash = createHash('sha256').update(key).digest('hex');
      expect(sentJson(0).personalizations[0]!.custom_args).toEqual({ idempotency_key: hash });
      expect(sentJson(1).personalizations[0]!.custom_args).toEqual({ idempotency_key: hash });
    });

    test('no key and no custom args: no custom_args', async () => {
      accept();
      await send(config, simple);
      expect(sentJson().personalizations[0]).not.toHaveProperty('custom_args');
    });
  });

  test('a 202 without X-Message-Id is still accepted (messageId null): the id only correlates', async () => {
    accept({});
    expect((await send(config, simple)).body).toEqual({ messageId: null });
  });

  describe('errors', () => {
    test('errors[] become the message, field by field', async () => {
      replyError(403, { errors: [{ message: 'The from address does not match a verified Sender Identity.', field: 'from', help: 'https://sendgrid.com/docs/for-developers/sending-email/sender-identity/' }] });
      const res = await send(config, simple);
      expect(res).toMatchObject({ ok: false, status: 403, body: null, error: { code: 'forbidden', retryable: false } });
      expect(res.error!.message).toBe('SendGrid answered HTTP 403: from: The from address does not match a verified Sender Identity.');
    });

    test('400 with several errors lists them all', async () => {
      replyError(400, { errors: [{ message: 'Invalid type. Expected: string', field: 'subject', help: null }, { message: 'Bad Request', field: null, help: null }] });
      const res = await send(config, simple);
      expect(res.error).toMatchObject({ code: 'bad_request', retryable: false });
      expect(res.error!.message).toBe('SendGrid answered HTTP 400: subject: Invalid type. Expected: string; Bad Request');
    });

    test('429 without Retry-After waits until X-RateLimit-Reset (epoch seconds)', async () => {
      const reset = Math.ceil(Date.now() / 1000) + 30;
      replyError(429, { errors: [{ field: null, message: 'too many requests' }] }, { 'x-ratelimit-limit': '600', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) });
      const res = await send(config, simple);
      expect(res.error).toMatchObject({ code: 'rate_limited', retryable: true });
      expect(res.error!.message).toBe('SendGrid answered HTTP 429: too many requests');
      expect(res.error!.retryAfterMs).toBeGreaterThan(28_000);
      expect(res.error!.retryAfterMs).toBeLessThanOrEqual(31_000);
    });

    test('Retry-After wins over X-RateLimit-Reset', async () => {
      replyError(429, { errors: [{ field: null, message: 'too many requests' }] }, { 'retry-after': '5', 'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 60) });
      expect((await send(config, simple)).error!.retryAfterMs).toBe(5_000);
    });
  });
});

describe('sendgrid testConnection', () => {
  function scopes(list: string[], status = 200) {
    mock.agent.get(ORIGIN).intercept({ path: '/v3/scopes', method: 'GET' }).reply(status, JSON.stringify({ scopes: list }), { headers: JSON_HEADERS });
  }

  test('GET /v3/scopes with Bearer key; mail.send present → ok with a small summary', async () => {
    scopes(['alerts.read', 'mail.send', 'user.profile.read']);
    const res = await sendgridExecutor.testConnection(config as never);
    expect(res).toEqual({ ok: true, status: 200, latencyMs: expect.any(Number), body: { mailSend: true, scopes: 3 } });
    const [sent] = mock.sent();
    expect(sent!.method).toBe('GET');
    expect(sent!.url.href).toBe(`${ORIGIN}/v3/scopes`);
    expect(sent!.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  test('a key without mail.send is forbidden with a clear message', async () => {
    scopes(['alerts.read', 'user.profile.read']);
    const res = await sendgridExecutor.testConnection(config as never);
    expect(res).toMatchObject({ ok: false, status: 200, body: null, error: { code: 'forbidden', retryable: false } });
    expect(res.error!.message).toContain('lacks the mail.send scope');
  });

  test('a revoked key is unauthorized with SendGrid\'s reason', async () => {
    mock.agent.get(ORIGIN).intercept({ path: '/v3/scopes', method: 'GET' })
      .reply(401, JSON.stringify({ errors: [{ field: null, message: 'authorization required' }] }), { headers: JSON_HEADERS });
    const res = await sendgridExecutor.testConnection(config as never);
    expect(res.error).toMatchObject({ code: 'unauthorized' });
    expect(res.error!.message).toContain('authorization required');
  });

  test('a scopes answer of the wrong shape is invalid_response', async () => {
    mock.agent.get(ORIGIN).intercept({ path: '/v3/scopes', method: 'GET' }).reply(200, JSON.stringify({ result: [] }), { headers: JSON_HEADERS });
    expect((await sendgridExecutor.testConnection(config as never)).error).toMatchObject({ code: 'invalid_response' });
  });
});

describe('sendgrid HTTP contract', () => {
  describeHttpContract(mock, {
    config,
    secretField: 'apiKey',
    malformedSecret: 'not-a-sendgrid-key',
    origin: ORIGIN,
    path: SEND,
    method: 'POST',
    call: (cfg, opts) => send(cfg, simple, opts),
    others: { testConnection: (cfg, opts) => sendgridExecutor.testConnection(cfg as never, opts) },
    okBody: null,
    errorBody: (message) => ({ errors: [{ message, field: null, help: null }] }),
  });
});

// SendGrid's OpenAPI spec (twilio/sendgrid-oai tsg_mail_v3.json, SendMail body), converted per SOURCES.md.
const mailSpec = loadSpec('sendgrid.mail-send.schema.json');
warnIfSpecsMissing('SendGrid official-schema tests');

describe.skipIf(!specsAvailable || !mailSpec)('sendgrid request bodies against the official schema', () => {
  test('plain, full and template sends are valid SendMail bodies with no undeclared top-level member', async () => {
    const sends: [Record<string, unknown>, unknown][] = [
      [config, simple],
      [config, { ...simple, html: '<p>x</p>', to: [{ email: 'ada@example.org', name: 'Ada' }, 'bob@example.org'], cc: 'c@example.org', bcc: 'd@example.org', replyTo: { email: 'r@example.com', name: 'R' }, categories: ['a'], sendAt: 1_767_225_600, customArgs: { order: '42' } }],
      [{ ...config, templateId: 'd-0123456789abcdef' }, { to: 'ada@example.org', dynamicTemplateData: { name: 'Ada' } }],
    ];
    for (const _ of sends) accept();
    // With an idempotency key, so custom_args is present: on the personalization, where the spec
    // types it as an object (its top-level custom_args is typed as a string, a known defect).
    for (const [cfg, message] of sends) expect((await send(cfg, message, { idempotencyKey: 'send:1' })).ok).toBe(true);
    const check = compileSchema(closed(mailSpec!));
    mock.sent().forEach((s) => expect(check(JSON.parse(String(s.body)))).toEqual([]));
  });

  test('the closed schema has teeth', () => {
    const check = compileSchema(closed(mailSpec!));
    const ok = { personalizations: [{ to: [{ email: 'a@example.org' }] }], from: { email: 'f@example.com' }, subject: 's', content: [{ type: 'text/plain', value: 'x' }] };
    expect(check(ok)).toEqual([]);
    expect(check({ ...ok, idempotency_key: 'k' })).not.toEqual([]);
    expect(check({ ...ok, from: { email: 'not-an-email' } })).not.toEqual([]);
    expect(check({ ...ok, custom_args: { idempotency_key: 'k' } })).not.toEqual([]);
  });
});
