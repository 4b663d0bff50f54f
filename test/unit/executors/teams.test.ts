// Teams executor against MockAgent: Workflows and legacy connector webhooks (providers.md §2).
// Microsoft publishes no machine-readable schema for these webhooks (shared/specs/SOURCES.md).
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { CallOptions } from '../../../src/core/envelope.js';
import { TEAMS_MAX_MESSAGE_BYTES, teamsExecutor } from '../../../src/executors/teams.js';
import { JSON_HEADERS, pathIs, useMockAgent } from '../../helpers/mock-agent.js';
import { describeHttpContract } from './http-contract.js';

const mock = useMockAgent();

const SIG = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdEFG';
const ORIGIN = 'https://prod-12.westeurope.logic.azure.com';
const PATH = '/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke';
const QUERY = `?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${SIG}`;
const WORKFLOWS_URL = `${ORIGIN}:443${PATH}${QUERY}`;
const LEGACY_ORIGIN = 'https://contoso.webhook.office.com';
const LEGACY_PATH = '/webhookb2/11111111-2222-3333-4444-555555555555@66666666-7777-8888-9999-000000000000/IncomingWebhook/abcdef0123456789/77777777-8888-9999-aaaa-bbbbbbbbbbbb';
const LEGACY_URL = `${LEGACY_ORIGIN}${LEGACY_PATH}`;
const config = { webhookUrl: WORKFLOWS_URL };
const legacy = { webhookUrl: LEGACY_URL };

const send = (cfg: Record<string, unknown>, message: unknown, opts?: CallOptions) => teamsExecutor.send!(cfg as never, message, opts);

function reply(status: number, body: string, { origin = ORIGIN, path = PATH, headers = { 'content-type': 'text/plain' } as Record<string, string> } = {}) {
  mock.agent.get(origin).intercept({ path: pathIs(path), method: 'POST' }).reply(status, body, { headers });
}
const sentJson = (i = 0) => JSON.parse(String(mock.sent()[i]!.body)) as Record<string, unknown>;

describe('teams send: payloads', () => {
  test('POSTs JSON to the whole Workflows URL (path and sig query), no auth header', async () => {
    reply(202, '');
    const res = await send(config, { text: 'Job failed' });
    expect(res).toMatchObject({ ok: true, status: 202, body: { accepted: true, webhook: 'workflows' } });
    expect(res.body).not.toHaveProperty('deprecation');
    const [sent] = mock.sent();
    expect(sent!.method).toBe('POST');
    expect(sent!.url.href).toBe(`${ORIGIN}${PATH}${QUERY}`);
    expect(sent!.headers['content-type']).toBe('application/json');
    expect(sent!.headers).not.toHaveProperty('authorization');
  });

  test('plain text becomes a legacy MessageCard (summary = the text)', async () => {
    reply(202, '');
    await send(config, { text: 'Job failed' });
    expect(sentJson()).toEqual({ '@type': 'MessageCard', '@context': 'https://schema.org/extensions', summary: 'Job failed', text: 'Job failed' });
  });

  test('title and themeColor go on the MessageCard; the title is the summary; # is dropped', async () => {
    reply(202, '');
    await send(config, { text: 'Sync of orders failed', title: 'Pipeline alert', themeColor: '#D70000' });
    expect(sentJson()).toEqual({
      '@type': 'MessageCard', '@context': 'https://schema.org/extensions',
      summary: 'Pipeline alert', title: 'Pipeline alert', themeColor: 'D70000', text: 'Sync of orders failed',
    });
  });

  test('a long text is cut to a short summary but sent whole', async () => {
    reply(202, '');
    const text = 'x'.repeat(1_000);
    await send(config, { text });
    const body = sentJson();
    expect(body.text).toBe(text);
    expect(String(body.summary).length).toBeLessThanOrEqual(256);
  });

  test('an Adaptive Card is wrapped in the message envelope', async () => {
    reply(202, '');
    const card = { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4', body: [{ type: 'TextBlock', text: 'Job failed', wrap: true }] };
    await send(config, { adaptiveCard: card });
    expect(sentJson()).toEqual({ type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }] });
  });

  test('a MessageCard is sent as is', async () => {
    reply(202, '');
    const card = { '@type': 'MessageCard', '@context': 'https://schema.org/extensions', summary: 'S', sections: [{ activityTitle: 'A', facts: [{ name: 'k', value: 'v' }] }] };
    await send(config, { messageCard: card });
    expect(sentJson()).toEqual(card);
  });

  test('impossible messages are bad_request with the field named, nothing sent', async () => {
    const cases: [unknown, string][] = [
      [{}, 'exactly one of text, adaptiveCard or messageCard'],
      [{ text: 'a', adaptiveCard: { type: 'AdaptiveCard' } }, 'exactly one of'],
      [{ adaptiveCard: { type: 'AdaptiveCard' }, title: 'T' }, 'title and themeColor apply to a text message only'],
      [{ adaptiveCard: { type: 'MessageCard' } }, 'adaptiveCard.type'],
      [{ messageCard: { '@type': 'MessageCard', title: 'no summary' } }, 'a MessageCard needs summary or text'],
      [{ text: 'a', themeColor: 'red' }, 'themeColor'],
      [{ text: 'a', card: {} }, 'card'],
    ];
    for (const [message, expected] of cases) {
      const res = await send(config, message);
      expect(res).toMatchObject({ ok: false, status: 0, body: null, error: { code: 'bad_request', retryable: false } });
      expect(res.error!.message).toContain(expected);
    }
    expect(mock.sent()).toHaveLength(0);
  });

  test('a message over 28 KB is payload_too_large before sending; one just under is sent', async () => {
    const envelope = JSON.stringify({ '@type': 'MessageCard', '@context': 'https://schema.org/extensions', summary: 's', title: 's', text: '' }).length;
    const tooBig = await send(config, { text: 'x'.repeat(TEAMS_MAX_MESSAGE_BYTES), title: 's' });
    expect(tooBig).toMatchObject({ ok: false, status: 0, body: null, error: { code: 'payload_too_large', retryable: false } });
    expect(tooBig.error!.message).toContain('28 KB');
    expect(mock.sent()).toHaveLength(0);
    reply(202, '');
    expect((await send(config, { text: 'x'.repeat(TEAMS_MAX_MESSAGE_BYTES - envelope), title: 's' })).ok).toBe(true);
    // Bytes, not characters: multi-byte text counts in full.
    expect((await send(config, { text: 'é'.repeat(TEAMS_MAX_MESSAGE_BYTES / 2), title: 's' })).error?.code).toBe('payload_too_large');
  });
});

describe('teams send: answers', () => {
  test('legacy connector: 200 "1" is success, with a deprecation note', async () => {
    reply(200, '1', { origin: LEGACY_ORIGIN, path: LEGACY_PATH });
    const res = await send(legacy, { text: 'hi' });
    expect(res).toMatchObject({ ok: true, status: 200, body: { accepted: true, webhook: 'legacy' } });
    expect((res.body as { deprecation: string }).deprecation).toMatch(/retiring.*Workflows/);
    expect(mock.sent()[0]!.url.href).toBe(LEGACY_URL);
  });

  test('legacy connector: a 200 other than "1" that reports no error is invalid_response', async () => {
    reply(200, 'done', { origin: LEGACY_ORIGIN, path: LEGACY_PATH });
    const res = await send(legacy, { text: 'hi' });
    expect(res).toMatchObject({ ok: false, status: 200, error: { code: 'invalid_response', retryable: false } });
  });

  test('a 200 that reports "HTTP error 429" inside is rate_limited and retryable', async () => {
    reply(200, 'Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 429 with ContextId tcid=0,server=msgapi-production-eus-azsc2-4-170,cv=deadbeef.0.', { origin: LEGACY_ORIGIN, path: LEGACY_PATH });
    const res = await send(legacy, { text: 'hi' });
    expect(res).toMatchObject({ ok: false, status: 200, body: null, error: { code: 'rate_limited', retryable: true } });
    expect(res.error!.message).toContain('reported an error: Webhook message delivery failed');
  });

  test('a 202 whose JSON body reports an error is an error, not a success', async () => {
    reply(202, JSON.stringify({ error: { code: 'FlowRunFailed', message: 'The flow run failed' } }), { headers: JSON_HEADERS });
    const res = await send(config, { text: 'hi' });
    expect(res).toMatchObject({ ok: false, status: 202, error: { code: 'upstream_error', retryable: true } });
    expect(res.error!.message).toContain('The flow run failed');
  });

  test('a 2xx error text without a status is upstream_error', async () => {
    reply(200, 'Webhook message delivery failed', { origin: LEGACY_ORIGIN, path: LEGACY_PATH });
    expect((await send(legacy, { text: 'hi' })).error).toMatchObject({ code: 'upstream_error' });
  });

  test('a 2xx error text never echoes the webhook signature', async () => {
    reply(200, `delivery failed for ${WORKFLOWS_URL}`);
    const res = await send(config, { text: 'hi' });
    expect(res.error!.message).not.toContain(SIG);
  });

  test('legacy 400 "Summary or Text is required." is bad_request with that text', async () => {
    reply(400, 'Summary or Text is required.', { origin: LEGACY_ORIGIN, path: LEGACY_PATH });
    const res = await send(legacy, { messageCard: { summary: 'x' } });
    expect(res.error).toMatchObject({ code: 'bad_request', retryable: false });
    expect(res.error!.message).toBe('Microsoft Teams answered HTTP 400: Summary or Text is required.');
  });

  test('Workflows JSON errors carry their code in the message', async () => {
    reply(400, JSON.stringify({ error: { code: 'TriggerInputSchemaMismatch', message: "The input body for trigger 'manual' of type 'Request' did not match its schema definition." } }), { headers: JSON_HEADERS });
    const res = await send(config, { text: 'hi' });
    expect(res.error).toMatchObject({ code: 'bad_request', retryable: false });
    expect(res.error!.message).toContain('HTTP 400 (TriggerInputSchemaMismatch): The input body');
  });

  test('a webhook host that is not Microsoft\'s is invalid_config, nothing sent', async () => {
    for (const webhookUrl of [
      `https://evil.example.com${PATH}${QUERY}`,
      `https://outlook.office.com/webhook/abc`,
      `${ORIGIN}${PATH}?api-version=2016-06-01`,
    ]) {
      const res = await send({ webhookUrl }, { text: 'hi' });
      expect(res).toMatchObject({ ok: false, status: 0, error: { code: 'invalid_config' } });
    }
    expect(mock.sent()).toHaveLength(0);
  });

  describe('sandbox override', () => {
    let saved: string | undefined;
    beforeEach(() => {
      saved = process.env.PIPELINE_SANDBOX;
      process.env.PIPELINE_SANDBOX = '1';
    });
    afterEach(() => {
      if (saved === undefined) delete process.env.PIPELINE_SANDBOX;
      else process.env.PIPELINE_SANDBOX = saved;
    });

    test('replaces the origin only: path and query (with sig) are kept', async () => {
      reply(202, '', { origin: 'http://127.0.0.1:18081' });
      const res = await send(config, { text: 'hi' }, { baseUrlOverride: 'http://127.0.0.1:18081' });
      expect(res.ok).toBe(true);
      expect(mock.sent()[0]!.url.href).toBe(`http://127.0.0.1:18081${PATH}${QUERY}`);
    });
  });
});

describe('teams testConnection', () => {
  test('offline for Workflows URLs: nothing sent', async () => {
    const res = await teamsExecutor.testConnection(config as never);
    expect(res).toEqual({ ok: true, status: 0, latencyMs: 0, body: { check: 'offline', note: expect.stringContaining('no read endpoint') } });
    expect((res.body as { note: string }).note).not.toContain('retiring');
    expect(mock.sent()).toHaveLength(0);
  });

  test('offline for legacy URLs, with the deprecation in the note', async () => {
    const res = await teamsExecutor.testConnection(legacy as never);
    expect(res).toMatchObject({ ok: true, status: 0, body: { check: 'offline' } });
    expect((res.body as { note: string }).note).toContain('retiring');
    expect(mock.sent()).toHaveLength(0);
  });
});

describe('teams HTTP contract', () => {
  describeHttpContract(mock, {
    config,
    secretField: 'webhookUrl',
    malformedSecret: `https://prod-12.westeurope.logic.azure.com${PATH}?api-version=2016-06-01&sv=1.0`,
    origin: ORIGIN,
    path: PATH,
    method: 'POST',
    checksBody: false,
    call: (cfg, opts) => send(cfg, { text: 'hello' }, opts),
    others: { testConnection: (cfg, opts) => teamsExecutor.testConnection(cfg as never, opts) },
    okBody: null,
    errorBody: (message) => message,
  });
});
