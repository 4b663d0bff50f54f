// Slack executor against MockAgent: incoming webhook POST, plain-text answers
// (facts: src/registry/connectors/slack.ts). Slack publishes no schema for incoming webhooks
// (shared/specs/SOURCES.md), so bodies are checked here.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { CallOptions } from '../../../src/core/envelope.js';
import { slackExecutor } from '../../../src/executors/slack.js';
import { useMockAgent } from '../../helpers/mock-agent.js';
import { describeHttpContract } from './http-contract.js';

const mock = useMockAgent();

const ORIGIN = 'https://hooks.slack.com';
const PATH = '/services/T0001ABCD/B0002EFGH/xoXo1234secretTOKEN';
const URL_ = `${ORIGIN}${PATH}`;
const config = { webhookUrl: URL_ };
const TEXT = { 'content-type': 'text/html' };

const send = (cfg: Record<string, unknown>, message: unknown, opts?: CallOptions) => slackExecutor.send!(cfg as never, message, opts);

function reply(status: number, body: string, headers: Record<string, string> = {}, origin = ORIGIN) {
  mock.agent.get(origin).intercept({ path: PATH, method: 'POST' }).reply(status, body, { headers: { ...TEXT, ...headers } });
}

describe('slack send', () => {
  test('POSTs the message as JSON to the webhook URL itself, with no auth header', async () => {
    reply(200, 'ok');
    const message = { text: 'Deploy finished', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*Deploy* finished' } }], unfurl_links: false, thread_ts: '1700000000.000100' };
    const res = await send(config, message);
    expect(res).toMatchObject({ ok: true, status: 200, body: { posted: true } });
    const [sent] = mock.sent();
    expect(sent!.method).toBe('POST');
    expect(sent!.url.href).toBe(URL_);
    expect(sent!.headers['content-type']).toBe('application/json');
    expect(sent!.headers).not.toHaveProperty('authorization');
    // Slack's own payload, passed through untouched (unknown keys included).
    expect(JSON.parse(String(sent!.body))).toEqual(message);
  });

  test('text is optional when blocks or attachments carry the message', async () => {
    reply(200, 'ok');
    reply(200, 'ok');
    expect((await send(config, { blocks: [{ type: 'divider' }] })).ok).toBe(true);
    expect((await send(config, { attachments: [{ fallback: 'x', color: '#36a64f' }] })).ok).toBe(true);
  });

  test('a message without text, blocks or attachments is bad_request, nothing sent', async () => {
    for (const message of [{}, { mrkdwn: true }, { text: '' }, { blocks: [] }, 'hello', null]) {
      const res = await send(config, message);
      expect(res).toMatchObject({ ok: false, status: 0, body: null, error: { code: 'bad_request', retryable: false } });
    }
    expect((await send(config, {})).error!.message).toContain('text is required unless blocks or attachments are given');
    expect(mock.sent()).toHaveLength(0);
  });

  test('more than 50 blocks is bad_request before sending', async () => {
    const res = await send(config, { blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) });
    expect(res.error).toMatchObject({ code: 'bad_request' });
    expect(res.error!.message).toContain('blocks');
    expect(mock.sent()).toHaveLength(0);
  });

  test('a 200 whose body is not "ok" is invalid_response', async () => {
    reply(200, 'something else');
    const res = await send(config, { text: 'hi' });
    expect(res).toMatchObject({ ok: false, status: 200, body: null, error: { code: 'invalid_response', retryable: false } });
    expect(res.error!.message).toContain('something else');
  });

  describe("Slack's plain-text errors", () => {
    const cases: [number, string, string, string][] = [
      [400, 'invalid_payload', 'bad_request', 'not a valid Slack payload'],
      [400, 'no_text', 'bad_request', 'no text'],
      [403, 'action_prohibited', 'forbidden', 'restricted posting'],
      [404, 'channel_not_found', 'not_found', 'no longer exists'],
      [410, 'channel_is_archived', 'not_found', 'archived'],
      [403, 'invalid_token', 'unauthorized', 'invalid or revoked'],
      [404, 'no_service', 'not_found', 'disabled or removed'],
    ];
    for (const [status, reason, code, hint] of cases) {
      test(`${status} ${reason} → ${code}, not retried, message names the reason`, async () => {
        reply(status, reason);
        const res = await send(config, { text: 'hi' });
        expect(res).toMatchObject({ ok: false, status, body: null, error: { code, retryable: false } });
        expect(res.error!.message).toContain(`Slack answered HTTP ${status} (${reason})`);
        expect(res.error!.message).toContain(hint);
      });
    }

    test('an unknown error text keeps the status mapping and the text', async () => {
      reply(500, 'rollup_error');
      const res = await send(config, { text: 'hi' });
      expect(res.error).toMatchObject({ code: 'upstream_error', retryable: true });
      expect(res.error!.message).toBe('Slack answered HTTP 500: rollup_error');
    });

    test('429 keeps Retry-After', async () => {
      reply(429, 'rate_limited', { 'retry-after': '3' });
      expect((await send(config, { text: 'hi' })).error).toMatchObject({ code: 'rate_limited', retryable: true, retryAfterMs: 3_000 });
    });
  });

  describe('webhook URL allow-list (fail closed)', () => {
    for (const bad of [
      'https://evil.example.com/services/T0001ABCD/B0002EFGH/xoXo1234secretTOKEN',
      'https://hooks.slack.com.evil.example.com/services/T0001ABCD/B0002EFGH/xoXo1234',
      'http://hooks.slack.com/services/T0001ABCD/B0002EFGH/xoXo1234secretTOKEN',
      'https://hooks.slack.com/triggers/T0001ABCD/B0002EFGH/xoXo1234',
      'https://127.0.0.1/services/T0001ABCD/B0002EFGH/xoXo1234',
    ]) {
      test(`${new URL(bad).protocol}//${new URL(bad).host}${new URL(bad).pathname.split('/').slice(0, 2).join('/')}… is invalid_config, nothing sent`, async () => {
        const res = await send({ webhookUrl: bad }, { text: 'hi' });
        expect(res).toMatchObject({ ok: false, status: 0, body: null, error: { code: 'invalid_config' } });
        expect(res.error!.message).not.toContain('xoXo1234');
        expect(mock.sent()).toHaveLength(0);
      });
    }

    test('GovSlack webhooks are accepted', async () => {
      reply(200, 'ok', {}, 'https://hooks.slack-gov.com');
      const res = await send({ webhookUrl: `https://hooks.slack-gov.com${PATH}` }, { text: 'hi' });
      expect(res.ok).toBe(true);
      expect(mock.sent()[0]!.url.host).toBe('hooks.slack-gov.com');
    });
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

    test('replaces the origin only: the webhook path is kept', async () => {
      reply(200, 'ok', {}, 'http://127.0.0.1:18080');
      const res = await send(config, { text: 'hi' }, { baseUrlOverride: 'http://127.0.0.1:18080' });
      expect(res.ok).toBe(true);
      expect(mock.sent()[0]!.url.href).toBe(`http://127.0.0.1:18080${PATH}`);
    });
  });
});

describe('slack testConnection', () => {
  test('offline: the URL is validated, nothing is sent', async () => {
    const res = await slackExecutor.testConnection(config as never);
    expect(res).toEqual({ ok: true, status: 0, latencyMs: 0, body: { check: 'offline', note: expect.stringContaining('no read endpoint') } });
    expect(mock.sent()).toHaveLength(0);
  });

  test('offline check still fails closed on a bad URL', async () => {
    const res = await slackExecutor.testConnection({ webhookUrl: 'https://evil.example.com/services/T0/B0/x' } as never);
    expect(res).toMatchObject({ ok: false, status: 0, error: { code: 'invalid_config' } });
    expect(mock.sent()).toHaveLength(0);
  });
});

describe('slack HTTP contract', () => {
  describeHttpContract(mock, {
    config,
    secretField: 'webhookUrl',
    malformedSecret: 'https://evil.example.com/services/T0001ABCD/B0002EFGH/xoXo1234secretTOKEN',
    origin: ORIGIN,
    path: PATH,
    method: 'POST',
    checksBody: false,
    call: (cfg, opts) => send(cfg, { text: 'hello' }, opts),
    others: { testConnection: (cfg, opts) => slackExecutor.testConnection(cfg as never, opts) },
    okBody: 'ok',
    errorBody: (message) => message,
  });
});
