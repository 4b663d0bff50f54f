// Teams executor against MockAgent: Workflows and legacy connector webhooks
// (facts: src/registry/connectors/teams.ts). Microsoft publishes no machine-readable schema for these
// webhooks (shared/specs/SOURCES.md).
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { CallOptions } from '../../../src/core/envelope.js';
import { TEAMS_MAX_MESSAGE_BYTES, teamsExecutor, teamsLegacyRateWindows, WebhookRateWindows } from '../../../src/executors/teams.js';
import { TEAMS_LEGACY_RATE_WINDOWS, teams } from '../../../src/registry/connectors/teams.js';
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
const ADAPTIVE = 'application/vnd.microsoft.card.adaptive';
const adaptiveText = (body: unknown[]) => ({
  type: 'message',
  attachments: [{ contentType: ADAPTIVE, contentUrl: null, content: { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.2', body } }],
});

// The legacy windows live for the worker process; each test starts with none counted.
beforeEach(() => teamsLegacyRateWindows.clear());

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

  test('plain text to a Workflows URL is an Adaptive Card in the message envelope, not a MessageCard', async () => {
    reply(202, '');
    await send(config, { text: 'Job failed' });
    expect(sentJson()).toEqual(adaptiveText([{ type: 'TextBlock', text: 'Job failed', wrap: true }]));
    expect(sentJson()).not.toHaveProperty('@type');
  });

  test('plain text with a title to a Workflows URL: a bold title block, then the text; themeColor has no Adaptive Card equivalent', async () => {
    reply(202, '');
    await send(config, { text: 'Sync of orders failed', title: 'Pipeline alert', themeColor: '#D70000' });
    expect(sentJson()).toEqual(adaptiveText([
      { type: 'TextBlock', text: 'Pipeline alert', weight: 'Bolder', size: 'Medium', wrap: true },
      { type: 'TextBlock', text: 'Sync of orders failed', wrap: true },
    ]));
  });

  test('plain text to a legacy connector URL is a MessageCard (summary = the text)', async () => {
    reply(200, '1', { origin: LEGACY_ORIGIN, path: LEGACY_PATH });
    await send(legacy, { text: 'Job failed' });
    expect(sentJson()).toEqual({ '@type': 'MessageCard', '@context': 'https://schema.org/extensions', summary: 'Job failed', text: 'Job failed' });
  });

  test('legacy: title and themeColor go on the MessageCard; the title is the summary; # is dropped', async () => {
    reply(200, '1', { origin: LEGACY_ORIGIN, path: LEGACY_PATH });
    await send(legacy, { text: 'Sync of orders failed', title: 'Pipeline alert', themeColor: '#D70000' });
    expect(sentJson()).toEqual({
      '@type': 'MessageCard', '@context': 'https://schema.org/extensions',
      summary: 'Pipeline alert', title: 'Pipeline alert', themeColor: 'D70000', text: 'Sync of orders failed',
    });
  });

  test('legacy: a long text is cut to a short summary but sent whole', async () => {
    reply(200, '1', { origin: LEGACY_ORIGIN, path: LEGACY_PATH });
    const text = 'x'.repeat(1_000);
    await send(legacy, { text });
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
    const envelope = JSON.stringify(adaptiveText([
      { type: 'TextBlock', text: 's', weight: 'Bolder', size: 'Medium', wrap: true },
      { type: 'TextBlock', text: '', wrap: true },
    ])).length;
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
    expect((res.body as { deprecation: string }).deprecation).toMatch(/nearing deprecation.*Workflows/);
    expect((res.body as { deprecation: string }).deprecation).not.toMatch(/retir/);
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

describe('teams legacy connector rate limits (4/1 s, 60/30 s, 100/1 h, 150/2 h, 1800/24 h)', () => {
  const T0 = Date.UTC(2026, 11, 2, 9, 0, 0);
  const at = (ms: number) => ({ now: () => T0 + ms });
  const replyLegacy = (times: number) => {
    for (let i = 0; i < times; i++) reply(200, '1', { origin: LEGACY_ORIGIN, path: LEGACY_PATH });
  };

  test('four posts in one second are sent; the fifth is rate_limited before sending, with the wait until a slot frees', async () => {
    replyLegacy(4);
    for (const ms of [0, 100, 200, 300]) expect((await send(legacy, { text: 'hi' }, at(ms))).ok).toBe(true);
    const res = await send(legacy, { text: 'hi' }, at(400));
    expect(res).toMatchObject({ ok: false, status: 0, body: null, error: { code: 'rate_limited', retryable: true, retryAfterMs: 600 } });
    expect(res.error!.message).toContain('4 posts in the last 1 s');
    expect(res.error!.message).toContain('counted in this worker');
    expect(mock.sent()).toHaveLength(4);
    // Once the first post leaves the one-second window, the next one goes out.
    replyLegacy(1);
    expect((await send(legacy, { text: 'hi' }, at(1_000))).ok).toBe(true);
    expect(mock.sent()).toHaveLength(5);
  });

  test('the 30-second window: 60 posts spread over 18 s, the 61st waits until the first is 30 s old', async () => {
    replyLegacy(60);
    for (let i = 0; i < 60; i++) expect((await send(legacy, { text: `m${i}` }, at(i * 300))).ok).toBe(true);
    const res = await send(legacy, { text: 'one too many' }, at(18_000));
    expect(res.error).toMatchObject({ code: 'rate_limited', retryAfterMs: 12_000 });
    expect(res.error!.message).toContain('60 posts in the last 30 s');
    expect(mock.sent()).toHaveLength(60);
  });

  test('the hour window: 100 posts 20 s apart, the 101st waits until the first is an hour old', async () => {
    replyLegacy(100);
    for (let i = 0; i < 100; i++) expect((await send(legacy, { text: `m${i}` }, at(i * 20_000))).ok).toBe(true);
    const res = await send(legacy, { text: 'one too many' }, at(100 * 20_000));
    expect(res.error).toMatchObject({ code: 'rate_limited', retryAfterMs: 3_600_000 - 2_000_000 });
    expect(res.error!.message).toContain('100 posts in the last 1 h');
    expect(mock.sent()).toHaveLength(100);
  });

  test('the two-hour window: 100 posts in the first hour and 50 in the second fill it', async () => {
    // 100 posts in the first hour, 50 in the second: the two-hour window is then full.
    replyLegacy(150);
    for (let i = 0; i < 100; i++) expect((await send(legacy, { text: 'a' }, at(i * 30_000))).ok).toBe(true);
    for (let i = 0; i < 50; i++) expect((await send(legacy, { text: 'b' }, at(3_600_000 + i * 30_000))).ok).toBe(true);
    const twoHours = await send(legacy, { text: 'c' }, at(3_600_000 + 50 * 30_000));
    expect(twoHours.error).toMatchObject({ code: 'rate_limited', retryAfterMs: 7_200_000 - (3_600_000 + 50 * 30_000) });
    expect(twoHours.error!.message).toContain('150 posts in the last 2 h');
  });

  test('the day window: 1,800 posts a day, no more (counted directly: the table is what the executor consults)', () => {
    expect(TEAMS_LEGACY_RATE_WINDOWS).toEqual([
      { seconds: 1, maxRequests: 4 }, { seconds: 30, maxRequests: 60 }, { seconds: 3_600, maxRequests: 100 },
      { seconds: 7_200, maxRequests: 150 }, { seconds: 86_400, maxRequests: 1_800 },
    ]);
    // 150 posts every two hours, 48 s apart, is the most every window allows: 1,800 in 24 hours.
    for (let i = 0; i < 1_800; i++) expect(teamsLegacyRateWindows.take(LEGACY_URL, T0 + i * 48_000)).toBeNull();
    const full = teamsLegacyRateWindows.take(LEGACY_URL, T0 + 1_800 * 48_000 - 1);
    expect(full).not.toBeNull();
    expect(full!.waitMs).toBe(1);
    // A day after the first post, a slot is free again.
    expect(teamsLegacyRateWindows.take(LEGACY_URL, T0 + 86_400_000)).toBeNull();
  });

  test('when several windows are full the longest wait wins', () => {
    const windows = new WebhookRateWindows([{ seconds: 1, maxRequests: 2 }, { seconds: 60, maxRequests: 3 }]);
    expect(windows.take('u', 0)).toBeNull();
    expect(windows.take('u', 10)).toBeNull();
    expect(windows.take('u', 2_000)).toBeNull();
    expect(windows.take('u', 2_001)).toEqual({ waitMs: 60_000 - 2_001, seconds: 60, maxRequests: 3 });
  });

  test('each webhook has its own windows, keyed by a hash of its URL; the URL and signature appear nowhere', async () => {
    const other = { webhookUrl: LEGACY_URL.replace('/abcdef0123456789/', '/fedcba9876543210/') };
    const otherPath = new URL(other.webhookUrl).pathname;
    replyLegacy(4);
    for (const ms of [0, 1, 2, 3]) await send(legacy, { text: 'hi' }, at(ms));
    reply(200, '1', { origin: LEGACY_ORIGIN, path: otherPath });
    expect((await send(other, { text: 'hi' }, at(4))).ok).toBe(true);
    const refused = await send(legacy, { text: 'hi' }, at(5));
    expect(refused.error?.code).toBe('rate_limited');
    expect(refused.error!.message).not.toContain(LEGACY_PATH);
    expect(refused.error!.message).not.toContain('webhook.office.com');
    const keys = [...(teamsLegacyRateWindows as unknown as { posts: Map<string, number[]> }).posts.keys()];
    expect(keys).toHaveLength(2);
    for (const key of keys) expect(key).toMatch(/^[0-9a-f]{64}$/);
  });

  test('a message refused before sending (bad, too large) takes no slot', async () => {
    replyLegacy(4);
    for (let i = 0; i < 10; i++) expect((await send(legacy, { text: 'x'.repeat(TEAMS_MAX_MESSAGE_BYTES) }, at(i))).error?.code).toBe('payload_too_large');
    for (const ms of [10, 11, 12, 13]) expect((await send(legacy, { text: 'hi' }, at(ms))).ok).toBe(true);
  });

  test('Workflows URLs are not counted against the connector table', async () => {
    for (let i = 0; i < 6; i++) reply(202, '');
    for (let i = 0; i < 6; i++) expect((await send(config, { text: 'hi' }, at(i))).ok).toBe(true);
    expect(mock.sent()).toHaveLength(6);
  });

  test('the registry declares a connection budget for legacy URLs only: the day window\'s sustained rate', () => {
    expect(teams.connectionBudget!(legacy)).toMatchObject({ requestsPerSecond: 1_800 / 86_400, reason: expect.stringContaining('1,800 a day') });
    expect(teams.connectionBudget!(config)).toBeNull();
    expect(teams.connectionBudget!({ webhookUrl: 'env:TEAMS_WEBHOOK' })).toBeNull();
  });
});

describe('teams testConnection', () => {
  test('offline for Workflows URLs: nothing sent', async () => {
    const res = await teamsExecutor.testConnection(config as never);
    expect(res).toEqual({ ok: true, status: 0, latencyMs: 0, body: { check: 'offline', note: expect.stringContaining('no read endpoint') } });
    expect((res.body as { note: string }).note).not.toContain('deprecation');
    expect(mock.sent()).toHaveLength(0);
  });

  test('offline for legacy URLs, with the deprecation in the note', async () => {
    const res = await teamsExecutor.testConnection(legacy as never);
    expect(res).toMatchObject({ ok: true, status: 0, body: { check: 'offline' } });
    expect((res.body as { note: string }).note).toContain('nearing deprecation');
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

describe('teams: a legacy webhook path is the credential', () => {
  test('an error body that repeats the path (as a gateway 401 or 500 does) leaves no part of it in the error', async () => {
    const token = 'abcdef0123456789';
    reply(401, `Unauthorized: POST ${LEGACY_PATH} rejected (token ${token}); see ${encodeURI(LEGACY_PATH)}`, { origin: LEGACY_ORIGIN, path: LEGACY_PATH });
    const res = await send(legacy, { text: 'Job failed' });
    expect(res.ok).toBe(false);
    const text = JSON.stringify(res);
    expect(text).toContain('[REDACTED]');
    for (const part of [LEGACY_PATH, token, '11111111-2222-3333-4444-555555555555', '77777777-8888-9999-aaaa-bbbbbbbbbbbb']) expect(text).not.toContain(part);
  });
});
