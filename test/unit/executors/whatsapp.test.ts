// WhatsApp executor against MockAgent: Cloud API text and template sends
// (facts: src/registry/connectors/whatsapp.ts), the outgoing bodies checked against Meta's own OpenAPI
// schema in ../shared/specs.
import { createHash } from 'node:crypto';
import { describe, expect, test, vi } from 'vitest';
import type { CallOptions } from '../../../src/core/envelope.js';
import { whatsappExecutor } from '../../../src/executors/whatsapp.js';
import { getConnector } from '../../../src/registry/index.js';
import { JSON_HEADERS, pathIs, queryPairs, useMockAgent } from '../../helpers/mock-agent.js';
import { compileSchema, loadSpec, specsAvailable, warnIfSpecsMissing } from '../../helpers/specs.js';
import { describeHttpContract } from './http-contract.js';

const mock = useMockAgent();

const TOKEN = 'EAAGm0PX4ZCpsBAKZCsecretTOKENvalue1234567890';
const PHONE_ID = '106540352242922';
const ORIGIN = 'https://graph.facebook.com';
const MESSAGES = `/v23.0/${PHONE_ID}/messages`;
const config = { phoneNumberId: PHONE_ID, accessToken: TOKEN, apiVersion: 'v23.0', defaultTemplateName: 'order_update', defaultTemplateLanguage: 'en_US' };
const OK = { messaging_product: 'whatsapp', contacts: [{ input: '+15551234567', wa_id: '15551234567' }], messages: [{ id: 'wamid.HBgLMTU1NTEyMzQ1NjcVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA' }] };

const send = (cfg: Record<string, unknown>, message: unknown, opts?: CallOptions) => whatsappExecutor.send!(cfg as never, message, opts);

function reply(status: number, body: unknown, path = MESSAGES, headers: Record<string, string> = {}) {
  mock.agent.get(ORIGIN).intercept({ path: pathIs(path), method: path === MESSAGES || path.endsWith('/messages') ? 'POST' : 'GET' })
    .reply(status, JSON.stringify(body), { headers: { ...JSON_HEADERS, ...headers } });
}
const graphError = (code: number, message: string, details?: string) => ({
  error: { message, type: 'OAuthException', code, ...(details ? { error_data: { messaging_product: 'whatsapp', details } } : {}), fbtrace_id: 'AbCdEfGh123' },
});
const sentJson = (i = 0) => JSON.parse(String(mock.sent()[i]!.body)) as Record<string, unknown>;

describe('whatsapp send', () => {
  test('text: POST /{version}/{phone-number-id}/messages with Bearer token; + stripped from to', async () => {
    reply(200, OK);
    const res = await send(config, { to: '+15551234567', text: 'Your order shipped', previewUrl: true });
    expect(res).toMatchObject({ ok: true, status: 200, body: { messageId: OK.messages[0]!.id, waId: '15551234567' } });
    const [sent] = mock.sent();
    expect(sent!.method).toBe('POST');
    expect(sent!.url.href).toBe(`${ORIGIN}${MESSAGES}`);
    expect(sent!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(sent!.headers['content-type']).toBe('application/json');
    expect(sentJson()).toEqual({
      messaging_product: 'whatsapp', recipient_type: 'individual', to: '15551234567', type: 'text',
      text: { body: 'Your order shipped', preview_url: true },
    });
  });

  test('the API version comes from the config; without one it is v26.0, the current Graph API version', async () => {
    reply(200, OK, `/v25.0/${PHONE_ID}/messages`);
    reply(200, OK, `/v26.0/${PHONE_ID}/messages`);
    await send({ ...config, apiVersion: 'v25.0' }, { to: '15551234567', text: 'a' });
    const { apiVersion: _omit, ...noVersion } = config;
    await send(noVersion, { to: '15551234567', text: 'a' });
    expect(mock.sent().map((s) => s.url.pathname)).toEqual([`/v25.0/${PHONE_ID}/messages`, `/v26.0/${PHONE_ID}/messages`]);
  });

  test('a Graph version past its "available until" date is invalid_config naming the date and the valid ones; nothing sent', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.parse('2026-12-02T00:00:00Z'));
      // v20.0 was available until 2026-09-24: no longer offered at all.
      const res = await send({ ...config, apiVersion: 'v20.0' }, { to: '15551234567', text: 'a' });
      expect(res).toMatchObject({ ok: false, status: 0, error: { code: 'invalid_config', retryable: false } });
      expect(res.error!.message).toContain('v26.0 (current), v25.0, v24.0, v23.0, v22.0, v21.0');
      // A version is refused from its date on, also for a connection stored before.
      vi.setSystemTime(Date.parse('2027-10-07T23:59:59Z'));
      expect(getConnector('whatsapp').validateConfig(config).ok).toBe(true);
      vi.setSystemTime(Date.parse('2027-10-08T00:00:00Z'));
      const late = await send(config, { to: '15551234567', text: 'a' });
      expect(late.error).toMatchObject({ code: 'invalid_config' });
      expect(late.error!.message).toContain('v23.0 was retired on 2027-10-08');
      expect(mock.sent()).toHaveLength(0);
    } finally {
      vi.useRealTimers();
    }
  });

  test('the registry declares each version\'s end from Meta\'s changelog', () => {
    const policy = getConnector('whatsapp').apiVersion!;
    expect(policy.current).toBe('v26.0');
    expect(Object.fromEntries(policy.versions.map((v) => [v.version, v.retiresOn ?? null]))).toEqual({
      'v26.0': null, 'v25.0': '2028-07-29', 'v24.0': '2028-02-18', 'v23.0': '2027-10-08', 'v22.0': '2027-05-20', 'v21.0': '2027-01-21',
    });
  });

  test('template: name and language default to the config; language policy is deterministic', async () => {
    reply(200, OK);
    await send(config, { to: '15551234567', template: {} });
    expect(sentJson()).toEqual({
      messaging_product: 'whatsapp', recipient_type: 'individual', to: '15551234567', type: 'template',
      template: { name: 'order_update', language: { policy: 'deterministic', code: 'en_US' } },
    });
  });

  test('template: the message\'s name, language and components win', async () => {
    reply(200, OK);
    const components = [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }] }];
    await send(config, { to: '15551234567', template: { name: 'welcome', language: 'pt_BR', components } });
    expect(sentJson().template).toEqual({ name: 'welcome', language: { policy: 'deterministic', code: 'pt_BR' }, components });
  });

  test('template without a name or language anywhere is bad_request, nothing sent', async () => {
    const { defaultTemplateName: _n, defaultTemplateLanguage: _l, ...bare } = config;
    const noName = await send(bare, { to: '15551234567', template: { language: 'en_US' } });
    const noLanguage = await send(bare, { to: '15551234567', template: { name: 'welcome' } });
    expect(noName).toMatchObject({ ok: false, status: 0, error: { code: 'bad_request' } });
    expect(noName.error!.message).toContain('template.name is required');
    expect(noLanguage.error!.message).toContain('template.language is required');
    expect(mock.sent()).toHaveLength(0);
  });

  test('impossible messages are bad_request naming the field, nothing sent', async () => {
    const cases: [unknown, string][] = [
      [{ to: '15551234567' }, 'either text'],
      [{ to: '15551234567', text: 'a', template: {} }, 'either text'],
      [{ to: 'abc', text: 'a' }, 'to:'],
      [{ to: '+0123456789', text: 'a' }, 'to:'],
      [{ text: 'a' }, 'to:'],
      [{ to: '15551234567', text: 'x'.repeat(4097) }, 'text:'],
      [{ to: '15551234567', template: {}, previewUrl: true }, 'previewUrl'],
      [{ to: '15551234567', template: { name: 'Bad Name' } }, 'template.name'],
      [{ to: '15551234567', text: 'a', type: 'image' }, 'type'],
    ];
    for (const [message, field] of cases) {
      const res = await send(config, message);
      expect(res).toMatchObject({ ok: false, status: 0, body: null, error: { code: 'bad_request', retryable: false } });
      expect(res.error!.message).toContain(field);
    }
    expect(mock.sent()).toHaveLength(0);
  });

  describe('idempotency: none at Meta, the key travels in biz_opaque_callback_data', () => {
    test('the idempotency key is sent as biz_opaque_callback_data', async () => {
      reply(200, OK);
      await send(config, { to: '15551234567', text: 'a' }, { idempotencyKey: 'send:conn-1:order-42' });
      expect(sentJson().biz_opaque_callback_data).toBe('send:conn-1:order-42');
    });

    test('a key over 512 bytes is replaced by its sha256 hex, the same on every retry', async () => {
      reply(200, OK);
      reply(200, OK);
      const key = `k${'é'.repeat(300)}`; // 601 bytes in UTF-8, 301 characters
      await send(config, { to: '15551234567', text: 'a' }, { idempotencyKey: key });
      await send(config, { to: '15551234567', text: 'a' }, { idempotencyKey: key });
      const expected = createHash('sha256').update(key).digest('hex');
      expect(sentJson(0).biz_opaque_callback_data).toBe(expected);
      expect(sentJson(1).biz_opaque_callback_data).toBe(expected);
    });

    test('no key, no field', async () => {
      reply(200, OK);
      await send(config, { to: '15551234567', text: 'a' });
      expect(sentJson()).not.toHaveProperty('biz_opaque_callback_data');
    });
  });

  describe('error.code decides, not the HTTP status', () => {
    const throttled: [number, number][] = [[130429, 400], [131056, 400], [4, 403], [80007, 400]];
    for (const [code, status] of throttled) {
      test(`code ${code} (HTTP ${status}) is rate_limited and retryable`, async () => {
        reply(status, graphError(code, '(#130429) Rate limit hit'));
        const res = await send(config, { to: '15551234567', text: 'a' });
        expect(res).toMatchObject({ ok: false, status, body: null, error: { code: 'rate_limited', retryable: true } });
        expect(res.error!.message).toContain(`(code ${code}): (#130429) Rate limit hit`);
      });
    }

    for (const status of [401, 400]) {
      test(`code 190 (HTTP ${status}) is unauthorized (token expired)`, async () => {
        reply(status, graphError(190, 'Error validating access token: Session has expired'));
        const res = await send(config, { to: '15551234567', text: 'a' });
        expect(res.error).toMatchObject({ code: 'unauthorized', retryable: false });
        expect(res.error!.message).toContain('(code 190): Error validating access token');
        expect(res.error!.message).toContain('invalid or expired');
      });
    }

    test('code 131047 is bad_request explaining the 24-hour window', async () => {
      reply(400, graphError(131047, 'Re-engagement message', 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.'));
      const res = await send(config, { to: '15551234567', text: 'a' });
      expect(res.error).toMatchObject({ code: 'bad_request', retryable: false });
      expect(res.error!.message).toContain('(code 131047): Re-engagement message (Message failed to send because more than 24 hours');
      expect(res.error!.message).toContain('24-hour customer-service window');
      expect(res.error!.message).toContain('[fbtrace AbCdEfGh123]');
    });

    test('other codes keep the status mapping with Meta\'s code and message', async () => {
      reply(400, graphError(100, 'Invalid parameter', 'Parameter value is not valid'));
      const res = await send(config, { to: '15551234567', text: 'a' });
      expect(res.error).toMatchObject({ code: 'bad_request', retryable: false });
      expect(res.error!.message).toBe('WhatsApp answered HTTP 400 (code 100): Invalid parameter (Parameter value is not valid) [fbtrace AbCdEfGh123]');
    });

    test('a throttling code keeps Retry-After when Meta sends one', async () => {
      reply(429, graphError(130429, 'Rate limit hit'), MESSAGES, { 'retry-after': '12' });
      expect((await send(config, { to: '15551234567', text: 'a' })).error).toMatchObject({ code: 'rate_limited', retryAfterMs: 12_000 });
    });
  });

  test('a 200 without messages[0].id is invalid_response', async () => {
    reply(200, { messaging_product: 'whatsapp', contacts: [], messages: [] });
    expect((await send(config, { to: '15551234567', text: 'a' })).error).toMatchObject({ code: 'invalid_response' });
  });
});

describe('whatsapp testConnection', () => {
  const NUMBER = { display_phone_number: '+1 555-010-0000', verified_name: 'Acme', quality_rating: 'GREEN', id: PHONE_ID };

  test('GET /{version}/{phone-number-id}?fields=… with Bearer; a small summary back', async () => {
    reply(200, NUMBER, `/v23.0/${PHONE_ID}`);
    const res = await whatsappExecutor.testConnection(config as never);
    expect(res).toEqual({ ok: true, status: 200, latencyMs: expect.any(Number), body: { phoneNumberId: PHONE_ID, displayPhoneNumber: '+1 555-010-0000', verifiedName: 'Acme', qualityRating: 'GREEN' } });
    const [sent] = mock.sent();
    expect(sent!.method).toBe('GET');
    expect(sent!.url.origin + sent!.url.pathname).toBe(`${ORIGIN}/v23.0/${PHONE_ID}`);
    expect(queryPairs(sent!.url)).toEqual([['fields', 'display_phone_number,verified_name,quality_rating']]);
    expect(sent!.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  test('an expired token (code 190) is unauthorized', async () => {
    reply(401, graphError(190, 'Session has expired'), `/v23.0/${PHONE_ID}`);
    expect((await whatsappExecutor.testConnection(config as never)).error).toMatchObject({ code: 'unauthorized' });
  });

  test('an answer without display_phone_number is invalid_response', async () => {
    reply(200, { id: PHONE_ID }, `/v23.0/${PHONE_ID}`);
    expect((await whatsappExecutor.testConnection(config as never)).error).toMatchObject({ code: 'invalid_response' });
  });
});

describe('whatsapp HTTP contract', () => {
  describeHttpContract(mock, {
    config,
    secretField: 'accessToken',
    malformedSecret: 'short',
    origin: ORIGIN,
    path: MESSAGES,
    method: 'POST',
    call: (cfg, opts) => send(cfg, { to: '15551234567', text: 'hello' }, opts),
    others: { testConnection: (cfg, opts) => whatsappExecutor.testConnection(cfg as never, opts) },
    okBody: OK,
    errorBody: (message) => graphError(100, message),
  });
});

// Meta's OpenAPI spec (facebook/openapi, Graph API v23.0), converted per SOURCES.md.
const messageSpec = loadSpec('whatsapp.messages-send.schema.json');
warnIfSpecsMissing('WhatsApp official-schema tests');

type Node = Record<string, unknown> & { allOf?: Node[]; additionalProperties?: unknown };

/**
 * SOURCES.md "Known defects": every non-template message branch of the published spec has
 * `additionalProperties: false` inside an `allOf`, so it rejects even Meta's own documented text
 * payloads (the sibling branch declares messaging_product, to, ...). This reads each such
 * `additionalProperties: false` as `unevaluatedProperties: false` on the allOf's schema, which sees
 * the properties of every branch: still closed, but to the union of what the branches declare.
 */
function unevaluatedReading(schema: object): object {
  const copy = structuredClone(schema) as { $defs: Record<string, Node> };
  for (const def of Object.values(copy.$defs)) {
    const closedBranches = (def.allOf ?? []).filter((b) => b.additionalProperties === false);
    for (const b of closedBranches) delete b.additionalProperties;
    // `type` only satisfies ajv's strictTypes next to the new keyword: both branches are objects.
    if (closedBranches.length > 0) Object.assign(def, { type: 'object', unevaluatedProperties: false });
  }
  return copy;
}

describe.skipIf(!specsAvailable || !messageSpec)('whatsapp request bodies against the official schema', () => {
  test('a template message (with biz_opaque_callback_data) is valid against the schema as published', async () => {
    reply(200, OK);
    await send(config, { to: '+15551234567', template: { components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }] }] } }, { idempotencyKey: 'send:1' });
    expect(compileSchema(messageSpec!)(sentJson())).toEqual([]);
  });

  test('a text message is valid under the unevaluatedProperties reading (see unevaluatedReading)', async () => {
    reply(200, OK);
    reply(200, OK);
    await send(config, { to: '15551234567', text: 'Hi', previewUrl: false });
    await send(config, { to: '15551234567', text: 'Hi' });
    const check = compileSchema(unevaluatedReading(messageSpec!));
    expect(check(sentJson(0))).toEqual([]);
    expect(check(sentJson(1))).toEqual([]);
  });

  test('the reading keeps its teeth: an undeclared property or a wrong text shape is rejected', () => {
    const check = compileSchema(unevaluatedReading(messageSpec!));
    const base = { messaging_product: 'whatsapp', recipient_type: 'individual', to: '15551234567', type: 'text', text: { body: 'Hi' } };
    expect(check(base)).toEqual([]);
    expect(check({ ...base, surprise: 1 })).not.toEqual([]);
    expect(check({ ...base, text: { body: 'Hi', preview: true } })).not.toEqual([]);
    // As published, the same documented payload fails: the defect the reading works around.
    expect(compileSchema(messageSpec!)(base)).not.toEqual([]);
  });
});
