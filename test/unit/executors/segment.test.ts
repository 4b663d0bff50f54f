// Segment executor against MockAgent: POST /v1/track|identify|group and /v1/batch with Basic writeKey:,
// the 32 KB / 500 KB / 2,500-event limits enforced before sending, messageId fed by the idempotency key
// (one per message in a batch), and the offline credential check. Segment publishes no machine-readable
// schema (see shared/specs/SOURCES.md), so the bodies are checked field by field against the documented
// examples.
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import type { BatchCallOptions, CallOptions } from '../../../src/core/envelope.js';
import { SEGMENT_MAX_CALL_BYTES, segmentExecutor, segmentMessageSchema } from '../../../src/executors/segment.js';
import { segment } from '../../../src/registry/connectors/segment.js';
import { JSON_HEADERS, pathIs, useMockAgent } from '../../helpers/mock-agent.js';
import { describeHttpContract } from './http-contract.js';

const mock = useMockAgent();

const WRITE_KEY = 'wK7fP2qZ9xL4mN8r';
const ORIGIN = 'https://api.segment.io';
const config = { writeKey: WRITE_KEY };
const TRACK = { type: 'track', userId: '019mr8mf4r', event: 'Item Purchased', properties: { revenue: 14.99 }, timestamp: '2025-01-01T00:00:00Z' };

const send = (cfg: Record<string, unknown>, message: unknown, opts?: CallOptions) => segmentExecutor.send!(cfg as never, message, opts);
const sendBatch = (cfg: Record<string, unknown>, messages: unknown[], opts?: BatchCallOptions) => segmentExecutor.sendBatch!(cfg as never, messages, opts);
const sentJson = (i = 0) => JSON.parse(String(mock.sent()[i]!.body)) as Record<string, unknown>;

function reply(path: string, status = 200, body: unknown = { success: true }, origin = ORIGIN) {
  mock.agent.get(origin).intercept({ path: pathIs(path), method: 'POST' })
    .reply(status, JSON.stringify(body), { headers: JSON_HEADERS });
}

describe('segment testConnection', () => {
  test('offline: ok with status 0, no request (the Tracking API answers 200 even to a wrong key)', async () => {
    const res = await segmentExecutor.testConnection(config as never);
    expect(res).toEqual({ ok: true, status: 0, latencyMs: 0, body: { check: 'offline', note: expect.stringContaining('debugger') } });
    expect(mock.sent()).toHaveLength(0);
  });

  test('still fails closed: no write key is missing_secret, a short one invalid_config', async () => {
    expect((await segmentExecutor.testConnection({} as never)).error?.code).toBe('missing_secret');
    expect((await segmentExecutor.testConnection({ writeKey: 'abc' } as never)).error?.code).toBe('invalid_config');
    expect((await segmentExecutor.testConnection({ ...config, region: 'apac' } as never)).error?.code).toBe('invalid_config');
    expect(mock.sent()).toHaveLength(0);
  });
});

describe('segment send', () => {
  test('POST /v1/track with Basic base64("writeKey:") — colon kept — and the call without its type', async () => {
    reply('/v1/track');
    const res = await send(config, TRACK, { idempotencyKey: 'evt-123' });
    expect(res).toEqual({ ok: true, status: 200, latencyMs: expect.any(Number), body: { type: 'track', messageId: 'evt-123' } });
    const [sent] = mock.sent();
    expect(sent!.method).toBe('POST');
    expect(sent!.url.href).toBe(`${ORIGIN}/v1/track`);
    expect(sent!.headers.authorization).toBe(`Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`);
    expect(Buffer.from(sent!.headers.authorization!.slice(6), 'base64').toString()).toBe(`${WRITE_KEY}:`);
    expect(sent!.headers['content-type']).toBe('application/json');
    expect(sentJson()).toEqual({ userId: '019mr8mf4r', event: 'Item Purchased', properties: { revenue: 14.99 }, timestamp: '2025-01-01T00:00:00Z', messageId: 'evt-123' });
  });

  test('identify → /v1/identify with traits; group → /v1/group with groupId and traits; anonymousId alone is enough', async () => {
    reply('/v1/identify');
    reply('/v1/group');
    await send(config, { type: 'identify', anonymousId: 'anon-1', traits: { email: 'a@example.com' }, context: { ip: '203.0.113.1' } });
    await send(config, { type: 'group', userId: 'u-1', groupId: 'acct-9', traits: { plan: 'pro' } });
    const [identify, group] = mock.sent();
    expect(identify!.url.href).toBe(`${ORIGIN}/v1/identify`);
    expect(sentJson(0)).toEqual({ anonymousId: 'anon-1', traits: { email: 'a@example.com' }, context: { ip: '203.0.113.1' } });
    expect(group!.url.href).toBe(`${ORIGIN}/v1/group`);
    expect(sentJson(1)).toEqual({ userId: 'u-1', groupId: 'acct-9', traits: { plan: 'pro' } });
  });

  test('the EU region uses events.eu1.segmentapis.com/v1', async () => {
    reply('/v1/track', 200, { success: true }, 'https://events.eu1.segmentapis.com');
    await send({ ...config, region: 'eu' }, TRACK);
    expect(mock.sent()[0]!.url.href).toBe('https://events.eu1.segmentapis.com/v1/track');
  });

  describe('messageId (Segment de-duplicates on it)', () => {
    test('set from the call\'s idempotency key; an explicit messageId wins', async () => {
      reply('/v1/track');
      reply('/v1/track');
      await send(config, TRACK, { idempotencyKey: 'send:conn-1:evt-9' });
      await send(config, { ...TRACK, messageId: 'order-77' }, { idempotencyKey: 'send:conn-1:evt-9' });
      expect([sentJson(0).messageId, sentJson(1).messageId]).toEqual(['send:conn-1:evt-9', 'order-77']);
    });

    test('a key of 100 characters or more is sent as its sha256 hex, the same every time; 99 pass as is ("fewer than 100 characters")', async () => {
      for (let i = 0; i < 3; i++) reply('/v1/track');
      const long = 'k'.repeat(100);
      await send(config, TRACK, { idempotencyKey: long });
      await send(config, TRACK, { idempotencyKey: long });
      await send(config, TRACK, { idempotencyKey: 'k'.repeat(99) });
      const hex = createHash('sha256').update(long).digest('hex');
      expect([sentJson(0).messageId, sentJson(1).messageId, sentJson(2).messageId]).toEqual([hex, hex, 'k'.repeat(99)]);
    });

    test('no key, no messageId (Segment assigns one); the summary says so', async () => {
      reply('/v1/track');
      const res = await send(config, TRACK);
      expect(sentJson()).not.toHaveProperty('messageId');
      expect(res.body).toEqual({ type: 'track', messageId: null });
    });
  });

  describe('32 KB per call, enforced before sending', () => {
    test('a call over 32 KB is payload_too_large, status 0, nothing sent', async () => {
      const res = await send(config, { ...TRACK, properties: { blob: 'x'.repeat(SEGMENT_MAX_CALL_BYTES) } });
      expect(res).toMatchObject({ ok: false, status: 0, latencyMs: 0, body: null, error: { code: 'payload_too_large', retryable: false } });
      expect(res.error!.message).toContain('32 KB');
      expect(mock.sent()).toHaveLength(0);
    });

    test('the limit counts UTF-8 bytes of the body as sent; exactly 32 KB is accepted', async () => {
      reply('/v1/track');
      const base = JSON.stringify({ userId: 'u', event: 'e', properties: { blob: '' } });
      const fill = 'x'.repeat(SEGMENT_MAX_CALL_BYTES - Buffer.byteLength(base));
      const ok = await send(config, { type: 'track', userId: 'u', event: 'e', properties: { blob: fill } });
      expect(ok.ok).toBe(true);
      expect(Buffer.byteLength(String(mock.sent()[0]!.body))).toBe(SEGMENT_MAX_CALL_BYTES);
      // Same character count, but multi-byte: over the limit.
      const over = await send(config, { type: 'track', userId: 'u', event: 'e', properties: { blob: `é${fill.slice(1)}` } });
      expect(over.error?.code).toBe('payload_too_large');
      expect(mock.sent()).toHaveLength(1);
    });
  });

  test('invalid messages are bad_request naming the field, status 0, nothing sent', async () => {
    const bad: [unknown, string][] = [
      [{ type: 'track', event: 'e' }, 'userId or anonymousId'],
      [{ type: 'track', userId: 'u' }, 'event'],
      [{ type: 'group', userId: 'u' }, 'groupId'],
      [{ type: 'page', userId: 'u' }, 'type'],
      [{ type: 'identify', userId: 'u', event: 'e' }, 'event'],
      [{ type: 'track', userId: 'u', event: 'e', timestamp: 'now' }, 'timestamp'],
      [{ type: 'track', userId: 'u', event: 'e', messageId: 'm'.repeat(100) }, 'messageId'],
      [{ type: 'track', userId: 'u', event: 'e', properties: 'x' }, 'properties'],
    ];
    for (const [message, mentions] of bad) {
      const res = await send(config, message);
      expect(res).toMatchObject({ ok: false, status: 0, latencyMs: 0, body: null, error: { code: 'bad_request', retryable: false } });
      expect(res.error!.message).toContain(mentions);
    }
    expect(mock.sent()).toHaveLength(0);
    expect(segmentMessageSchema.safeParse(TRACK).success).toBe(true);
  });

  test('a 400 (oversize or malformed JSON by Segment\'s measure) is bad_request with Segment\'s reason', async () => {
    reply('/v1/track', 400, { error: 'Invalid JSON: unexpected end of input' });
    const res = await send(config, TRACK);
    expect(res.error).toMatchObject({ code: 'bad_request', retryable: false });
    expect(res.error!.message).toContain('Invalid JSON');
  });

  describe('contract of send (POST /v1/track)', () => {
    describeHttpContract(mock, {
      config,
      secretField: 'writeKey',
      malformedSecret: 'abc',
      origin: ORIGIN,
      path: '/v1/track',
      method: 'POST',
      // Segment's 200 body proves receipt only and is not checked.
      checksBody: false,
      call: (cfg, opts) => send(cfg, TRACK, opts),
      others: { testConnection: (cfg, opts) => segmentExecutor.testConnection(cfg as never, opts) },
      okBody: { success: true },
      errorBody: (message) => ({ error: message }),
    });
  });
});

describe('segment sendBatch: POST /v1/batch', () => {
  const IDENTIFY = { type: 'identify', userId: '019mr8mf4r', traits: { email: 'jake@example.com' } };
  const replyBatch = (status = 200, body: unknown = { success: true }) => reply('/v1/batch', status, body);

  test('the registry declares the batch endpoint with the documented limits, and the executor has it', () => {
    expect(segment.capabilities.batch).toEqual({ maxItems: 2_500, maxBytes: 500_000, endpoint: 'POST /v1/batch' });
    expect(typeof segmentExecutor.sendBatch).toBe('function');
  });

  test('one POST /v1/batch with Basic writeKey:, each event with its type and its own messageId from idempotencyKeys; every item ok with that id', async () => {
    replyBatch();
    const res = await sendBatch(config, [TRACK, IDENTIFY], { idempotencyKeys: ['pipe:1:a', 'pipe:1:b'] });
    expect(res).toEqual({ ok: true, status: 200, latencyMs: expect.any(Number), body: { items: [{ ok: true, id: 'pipe:1:a' }, { ok: true, id: 'pipe:1:b' }] } });
    const [sent] = mock.sent();
    expect(`${sent!.method} ${sent!.url.href}`).toBe(`POST ${ORIGIN}/v1/batch`);
    expect(sent!.headers.authorization).toBe(`Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`);
    expect(sent!.headers['content-type']).toBe('application/json');
    expect(sentJson()).toEqual({
      batch: [
        { type: 'track', userId: '019mr8mf4r', event: 'Item Purchased', properties: { revenue: 14.99 }, timestamp: '2025-01-01T00:00:00Z', messageId: 'pipe:1:a' },
        { type: 'identify', userId: '019mr8mf4r', traits: { email: 'jake@example.com' }, messageId: 'pipe:1:b' },
      ],
    });
  });

  test('an explicit messageId wins over the key; a long key is hashed; no key leaves the id to Segment', async () => {
    replyBatch();
    const long = 'k'.repeat(150);
    const res = await sendBatch(config, [{ ...TRACK, messageId: 'own-1' }, TRACK, IDENTIFY], { idempotencyKeys: ['key-0', long, ''] });
    const hex = createHash('sha256').update(long).digest('hex');
    expect((sentJson().batch as Record<string, unknown>[]).map((e) => e.messageId)).toEqual(['own-1', hex, undefined]);
    expect(res.body!.items).toEqual([{ ok: true, id: 'own-1' }, { ok: true, id: hex }, { ok: true }]);
  });

  test('the EU region posts to events.eu1.segmentapis.com/v1/batch', async () => {
    reply('/v1/batch', 200, { success: true }, 'https://events.eu1.segmentapis.com');
    await sendBatch({ ...config, region: 'eu' }, [TRACK]);
    expect(mock.sent()[0]!.url.href).toBe('https://events.eu1.segmentapis.com/v1/batch');
  });

  test('an invalid or oversize (32 KB) message fails alone; the others are sent and results keep their positions', async () => {
    replyBatch();
    const res = await sendBatch(config, [
      { type: 'track', event: 'no user' },
      TRACK,
      { ...TRACK, properties: { blob: 'x'.repeat(SEGMENT_MAX_CALL_BYTES) } },
      IDENTIFY,
    ], { idempotencyKeys: ['a', 'b', 'c', 'd'] });
    expect((sentJson().batch as Record<string, unknown>[]).map((e) => e.messageId)).toEqual(['b', 'd']);
    const items = res.body!.items;
    expect(items[0]).toMatchObject({ ok: false, error: { code: 'bad_request', retryable: false } });
    expect(items[0]!.error!.message).toContain('userId or anonymousId');
    expect(items[1]).toEqual({ ok: true, id: 'b' });
    expect(items[2]).toMatchObject({ ok: false, error: { code: 'payload_too_large', retryable: false } });
    expect(items[2]!.error!.message).toContain('32 KB');
    expect(items[3]).toEqual({ ok: true, id: 'd' });
  });

  test('nothing valid: no request, each message has its reason', async () => {
    const res = await sendBatch(config, [{ type: 'page', userId: 'u' }]);
    expect(res).toMatchObject({ ok: true, status: 0, body: { items: [{ ok: false, error: { code: 'bad_request' } }] } });
    expect(mock.sent()).toHaveLength(0);
  });

  test('per-call limits fail the whole batch before sending (Segment would drop events past 2,500 behind a 200): 2,501 events, over 500 KB, none, keys that do not match', async () => {
    const tooMany = await sendBatch(config, Array.from({ length: 2_501 }, () => TRACK));
    expect(tooMany).toMatchObject({ ok: false, status: 0, error: { code: 'payload_too_large', retryable: false } });
    expect(tooMany.error!.message).toContain('at most 2500');
    const big = { ...TRACK, properties: { blob: 'x'.repeat(30_000) } };
    const tooBig = await sendBatch(config, Array.from({ length: 17 }, () => big));
    expect(tooBig.error).toMatchObject({ code: 'payload_too_large', message: expect.stringContaining('500 KB') });
    expect((await sendBatch(config, [])).error?.code).toBe('bad_request');
    expect((await sendBatch(config, [TRACK], { idempotencyKeys: ['a', 'b'] })).error?.code).toBe('bad_request');
    expect(mock.sent()).toHaveLength(0);
    // 16 such events (under 500 KB) and 2,500 small ones go in one call each.
    replyBatch();
    replyBatch();
    expect((await sendBatch(config, Array.from({ length: 16 }, () => big))).ok).toBe(true);
    expect((await sendBatch(config, Array.from({ length: 2_500 }, () => TRACK))).body!.items).toHaveLength(2_500);
    expect(Buffer.byteLength(String(mock.sent()[0]!.body))).toBeLessThanOrEqual(500_000);
  });

  test('Segment answers a batch whole: a 400 fails the call (ok: false), not single events', async () => {
    replyBatch(400, { error: 'Invalid JSON' });
    const res = await sendBatch(config, [TRACK, IDENTIFY]);
    expect(res).toMatchObject({ ok: false, status: 400, body: null, error: { code: 'bad_request', retryable: false } });
    expect(res.error!.message).toContain('Invalid JSON');
  });

  describe('contract of sendBatch (POST /v1/batch)', () => {
    describeHttpContract(mock, {
      config,
      secretField: 'writeKey',
      malformedSecret: 'abc',
      origin: ORIGIN,
      path: '/v1/batch',
      method: 'POST',
      checksBody: false,
      call: (cfg, opts) => sendBatch(cfg, [TRACK], opts),
      okBody: { success: true },
      errorBody: (message) => ({ error: message }),
    });
  });
});
