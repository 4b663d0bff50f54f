// Iterable executor against MockAgent: GET /api/channels as the credential check and POST
// /api/events/track (facts: src/registry/connectors/iterable.ts), the {msg, code, params} envelope
// (errors inside a 200), the event id fed by the idempotency key, and the body checked against
// Iterable's own Swagger schema.
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import type { CallOptions } from '../../../src/core/envelope.js';
import { iterableExecutor, iterableMessageSchema } from '../../../src/executors/iterable.js';
import { ITERABLE_RATE_LIMITS, iterable } from '../../../src/registry/connectors/iterable.js';
import { JSON_HEADERS, pathIs, useMockAgent } from '../../helpers/mock-agent.js';
import { closedDeep, compileSchema, loadSpec, specsAvailable, warnIfSpecsMissing } from '../../helpers/specs.js';
import { describeHttpContract } from './http-contract.js';

const mock = useMockAgent();

const KEY = '0f3c9a7e5b1d4f2a8c6e0b9d7f5a3c1e';
const ORIGIN = 'https://api.iterable.com';
const TRACK = '/api/events/track';
const config = { apiKey: KEY };
const MESSAGE = { eventName: 'orderPlaced', email: 'a@example.com', dataFields: { total: 42 } };
const SUCCESS = { msg: '', code: 'Success', params: { id: 'evt-123' } };
const CHANNELS = { channels: [{ id: 1, name: 'Push', channelType: 'Marketing', messageMedium: 'Push' }, { id: 2, name: 'Email', channelType: 'Transactional', messageMedium: 'Email' }] };

const send = (cfg: Record<string, unknown>, message: unknown, opts?: CallOptions) => iterableExecutor.send!(cfg as never, message, opts);
const test_ = (cfg: Record<string, unknown>, opts?: CallOptions) => iterableExecutor.testConnection(cfg as never, opts);
const sentJson = (i = 0) => JSON.parse(String(mock.sent()[i]!.body)) as Record<string, unknown>;

function reply(path: string, method: 'GET' | 'POST', status: number, body: unknown, headers: Record<string, string> = {}, origin = ORIGIN) {
  mock.agent.get(origin).intercept({ path: pathIs(path), method })
    .reply(status, JSON.stringify(body), { headers: { ...JSON_HEADERS, ...headers } });
}
const replyTrack = (status = 200, body: unknown = SUCCESS, headers: Record<string, string> = {}) => reply(TRACK, 'POST', status, body, headers);

describe('iterable rate policy (per-endpoint limits from Iterable/api-client api-docs.json)', () => {
  test('the documented figures: track 2,000/s, trackBulk 10/s, channels 100/s, per project', () => {
    expect(ITERABLE_RATE_LIMITS).toEqual({ '/api/events/track': 2_000, '/api/events/trackBulk': 10, '/api/channels': 100 });
  });

  test('the policy runs at the limit of the endpoint send uses (track), not the bulk endpoint\'s 10/s', () => {
    expect(iterable.policy.rate.requestsPerSecond).toBe(ITERABLE_RATE_LIMITS['/api/events/track']);
    expect(iterable.policy.source).toBe('https://github.com/Iterable/api-client/blob/main/api-docs.json');
    // Enough calls in flight per worker to approach the rate at ~100 ms per call.
    expect(iterable.policy.rate.concurrency * 10).toBeGreaterThanOrEqual(500);
  });

  test('the notes give every endpoint\'s figure', () => {
    const note = iterable.notes!.find((n) => n.includes('per endpoint'))!;
    for (const figure of ['/api/events/track 2,000 req/s', '/api/events/trackBulk 10 req/s', '/api/channels 100 req/s']) expect(note).toContain(figure);
  });

  test('send and the connection check call exactly the endpoints those figures are for', async () => {
    reply('/api/channels', 'GET', 200, CHANNELS);
    replyTrack();
    await test_(config);
    await send(config, MESSAGE);
    expect(mock.sent().map((s) => `${s.method} ${s.url.pathname}`)).toEqual(['GET /api/channels', 'POST /api/events/track']);
  });
});

describe('iterable testConnection', () => {
  test('GET /api/channels with the Api-Key header → number of channels', async () => {
    reply('/api/channels', 'GET', 200, CHANNELS);
    const res = await test_(config);
    expect(res).toMatchObject({ ok: true, status: 200, body: { channels: 2 } });
    const [sent] = mock.sent();
    expect(sent!.method).toBe('GET');
    expect(sent!.url.href).toBe(`${ORIGIN}/api/channels`);
    expect(sent!.headers['api-key']).toBe(KEY);
    expect(sent!.headers).not.toHaveProperty('authorization');
  });

  test('the EU data center uses api.eu.iterable.com', async () => {
    reply('/api/channels', 'GET', 200, CHANNELS, {}, 'https://api.eu.iterable.com');
    await test_({ ...config, dataCenter: 'eu' });
    expect(mock.sent()[0]!.url.href).toBe('https://api.eu.iterable.com/api/channels');
  });

  test('a 200 carrying code BadApiKey is unauthorized with Iterable\'s msg', async () => {
    reply('/api/channels', 'GET', 200, { msg: 'Invalid API key', code: 'BadApiKey', params: null });
    const res = await test_(config);
    expect(res).toMatchObject({ ok: false, status: 200, body: null, error: { code: 'unauthorized', retryable: false } });
    expect(res.error!.message).toBe('Iterable answered HTTP 200 (BadApiKey): Invalid API key');
  });

  describeHttpContract(mock, {
    config,
    secretField: 'apiKey',
    malformedSecret: 'too-short',
    origin: ORIGIN,
    path: '/api/channels',
    call: test_,
    others: { send: (cfg, opts) => send(cfg, MESSAGE, opts) },
    okBody: CHANNELS,
    errorBody: (message) => ({ msg: message, code: 'GenericError', params: null }),
  });
});

describe('iterable send: POST /api/events/track', () => {
  test('Api-Key header, JSON body, → {eventId}', async () => {
    replyTrack();
    const res = await send(config, { ...MESSAGE, createdAt: 1_735_689_600, campaignId: 12345, templateId: 678 }, { idempotencyKey: 'evt-123' });
    expect(res).toEqual({ ok: true, status: 200, latencyMs: expect.any(Number), body: { eventId: 'evt-123' } });
    const [sent] = mock.sent();
    expect(sent!.method).toBe('POST');
    expect(sent!.url.href).toBe(`${ORIGIN}${TRACK}`);
    expect(sent!.headers['api-key']).toBe(KEY);
    expect(sent!.headers['content-type']).toBe('application/json');
    expect(sentJson()).toEqual({ eventName: 'orderPlaced', email: 'a@example.com', id: 'evt-123', createdAt: 1_735_689_600, dataFields: { total: 42 }, campaignId: 12345, templateId: 678 });
  });

  test('a userId-based project sends userId', async () => {
    replyTrack();
    await send({ ...config, identifyBy: 'userId' }, { eventName: 'orderPlaced', userId: 'u-42' });
    expect(sentJson()).toEqual({ eventName: 'orderPlaced', userId: 'u-42' });
  });

  test('the identifier must be the one of the project\'s identity mode: bad_request, nothing sent', async () => {
    const byEmail = await send(config, { eventName: 'x', userId: 'u-42' });
    const byUserId = await send({ ...config, identifyBy: 'userId' }, { eventName: 'x', email: 'a@example.com' });
    expect(byEmail).toMatchObject({ ok: false, status: 0, error: { code: 'bad_request' } });
    expect(byEmail.error!.message).toContain('identifies users by email');
    expect(byUserId.error!.message).toContain('identifies users by userId');
    expect(mock.sent()).toHaveLength(0);
  });

  describe('event id (Iterable upserts by id)', () => {
    test('set from the call\'s idempotency key', async () => {
      replyTrack();
      await send(config, MESSAGE, { idempotencyKey: 'send:conn-1:evt-9' });
      expect(sentJson().id).toBe('send:conn-1:evt-9');
    });

    test('an explicit id in the message wins', async () => {
      replyTrack();
      await send(config, { ...MESSAGE, id: 'order-77' }, { idempotencyKey: 'send:conn-1:evt-9' });
      expect(sentJson().id).toBe('order-77');
    });

    test('a key over 512 bytes is sent as its sha256 hex, deterministically; 512 bytes pass as is', async () => {
      replyTrack();
      replyTrack();
      replyTrack();
      const long = 'é'.repeat(257); // 514 bytes, 257 characters
      const exact = 'k'.repeat(512);
      await send(config, MESSAGE, { idempotencyKey: long });
      await send(config, MESSAGE, { idempotencyKey: long });
      await send(config, MESSAGE, { idempotencyKey: exact });
      const hex = createHash('sha256').update(long).digest('hex');
      expect([sentJson(0).id, sentJson(1).id, sentJson(2).id]).toEqual([hex, hex, exact]);
    });

    test('no key and no id: no id (Iterable assigns one); the summary reports Iterable\'s id', async () => {
      replyTrack(200, { msg: '', code: 'Success', params: { id: 'iter-generated' } });
      const res = await send(config, MESSAGE);
      expect(sentJson()).not.toHaveProperty('id');
      expect(res.body).toEqual({ eventId: 'iter-generated' });
    });
  });

  test('invalid messages are bad_request naming the field, status 0, nothing sent', async () => {
    const bad: [unknown, string][] = [
      [{ email: 'a@example.com' }, 'eventName'],
      [{ eventName: 'x' }, 'exactly one of email or userId'],
      [{ eventName: 'x', email: 'a@example.com', userId: 'u' }, 'exactly one of email or userId'],
      [{ eventName: 'x', email: 'not-an-email' }, 'email'],
      [{ eventName: 'x', email: 'a@example.com', id: 'i'.repeat(513) }, '512 bytes'],
      [{ eventName: 'x', email: 'a@example.com', createdAt: 1_735_689_600_000 }, 'milliseconds'],
      [{ eventName: 'x', email: 'a@example.com', campaignId: '12' }, 'campaignId'],
      [{ eventName: 'x', email: 'a@example.com', dataFields: [1] }, 'dataFields'],
      [{ eventName: 'x', email: 'a@example.com', unknown: 1 }, 'unknown'],
    ];
    for (const [message, mentions] of bad) {
      const res = await send(config, message);
      expect(res).toMatchObject({ ok: false, status: 0, latencyMs: 0, body: null, error: { code: 'bad_request', retryable: false } });
      expect(res.error!.message).toContain(mentions);
    }
    expect(mock.sent()).toHaveLength(0);
    expect(iterableMessageSchema.safeParse(MESSAGE).success).toBe(true);
  });

  describe('errors in the {msg, code, params} envelope', () => {
    const cases: [string, number, string, string][] = [
      ['BadApiKey', 200, 'unauthorized', 'Invalid API key'],
      ['BadParams', 200, 'bad_request', 'eventName is required'],
      ['InvalidEmailAddressError', 200, 'bad_request', 'Invalid email: a@'],
      ['RateLimitExceeded', 200, 'rate_limited', 'Too many requests'],
      ['GenericError', 200, 'upstream_error', 'Something went wrong'],
      ['SomeNewCode', 200, 'bad_request', 'A code this connector does not know'],
    ];
    for (const [code, status, mapped, msg] of cases) {
      test(`HTTP ${status} with code ${code} is ${mapped}, message carrying the code and msg`, async () => {
        replyTrack(status, { msg, code, params: null });
        const res = await send(config, MESSAGE);
        expect(res).toMatchObject({ ok: false, status, body: null, error: { code: mapped } });
        expect(res.error!.message).toBe(`Iterable answered HTTP ${status} (${code}): ${msg}`);
      });
    }

    test('RateLimitExceeded in a 200 is retryable and honours a Retry-After if sent', async () => {
      replyTrack(200, { msg: 'slow down', code: 'RateLimitExceeded', params: null }, { 'retry-after': '4' });
      expect((await send(config, MESSAGE)).error).toMatchObject({ code: 'rate_limited', retryable: true, retryAfterMs: 4_000 });
    });

    test('a non-2xx keeps the status mapping; the message gains the code (401 BadApiKey, 429 RateLimitExceeded)', async () => {
      replyTrack(401, { msg: 'Invalid API key', code: 'BadApiKey', params: null });
      replyTrack(429, { msg: 'Rate limit exceeded', code: 'RateLimitExceeded', params: null }, { 'retry-after': '2' });
      const unauthorized = await send(config, MESSAGE);
      const limited = await send(config, MESSAGE);
      expect(unauthorized.error).toMatchObject({ code: 'unauthorized', retryable: false, message: 'Iterable answered HTTP 401 (BadApiKey): Invalid API key' });
      expect(limited.error).toMatchObject({ code: 'rate_limited', retryable: true, retryAfterMs: 2_000 });
      expect(limited.error!.message).toContain('(RateLimitExceeded)');
    });

    test('the API key echoed in msg is redacted', async () => {
      replyTrack(200, { msg: `Invalid API key: ${KEY}`, code: 'BadApiKey', params: null });
      const res = await send(config, MESSAGE);
      expect(res.error!.message).not.toContain(KEY);
      expect(res.error!.message).toContain('[REDACTED]');
    });
  });

  describe('contract of send (POST /api/events/track)', () => {
    describeHttpContract(mock, {
      config,
      secretField: 'apiKey',
      malformedSecret: 'too-short',
      origin: ORIGIN,
      path: TRACK,
      method: 'POST',
      call: (cfg, opts) => send(cfg, MESSAGE, opts),
      okBody: SUCCESS,
      errorBody: (message) => ({ msg: message, code: 'GenericError', params: null }),
    });
  });
});

// Iterable's Swagger 2.0 file (api-docs.json in Iterable/api-client at 981eeb590954, info.version 1.8,
// per SOURCES.md): TrackRequest, with its declared properties closed.
const trackSpec = loadSpec('iterable.events-track.schema.json');
warnIfSpecsMissing('Iterable official-schema tests');

describe.skipIf(!specsAvailable || !trackSpec)('iterable request bodies against the official schema (api-docs.json v1.8)', () => {
  test('every track body (email or userId, with id, createdAt, dataFields, campaign/template ids) is a valid TrackRequest', async () => {
    const check = compileSchema(closedDeep(trackSpec!));
    replyTrack();
    replyTrack();
    replyTrack();
    await send(config, { ...MESSAGE, createdAt: 1_735_689_600, campaignId: 1, templateId: 2 }, { idempotencyKey: 'evt-1' });
    await send(config, MESSAGE, { idempotencyKey: 'x'.repeat(600) });
    await send({ ...config, identifyBy: 'userId' }, { eventName: 'e', userId: 'u-1', id: 'own-id' });
    for (const s of mock.sent()) expect(check(JSON.parse(String(s.body)))).toEqual([]);
  });

  test('the closed schema has teeth: an undeclared field or a string createdAt is rejected', () => {
    const check = compileSchema(closedDeep(trackSpec!));
    expect(check({ eventName: 'x', email: 'a@example.com', event_name: 'x' })).not.toEqual([]);
    expect(check({ eventName: 'x', createdAt: '2025-01-01' })).not.toEqual([]);
  });
});
