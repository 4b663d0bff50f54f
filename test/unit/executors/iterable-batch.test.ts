// Iterable sendBatch against MockAgent: POST /api/events/trackBulk (api-docs.json, operation trackBulk),
// each event keeping its message's de-duplicating id, Iterable's BulkTrackResponse (successCount,
// failCount, failedUpdates by identifier, disallowedEventNames) mapped to the messages it names, whole-
// call failures mapped like send's, the batch limits enforced before sending, and the body checked
// against Iterable's own TrackRequest schema (shared/specs/iterable.events-track.schema.json).
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import type { BatchCallOptions } from '../../../src/core/envelope.js';
import { iterableExecutor } from '../../../src/executors/iterable.js';
import { ITERABLE_BULK_MAX_BYTES, ITERABLE_BULK_MAX_EVENTS, ITERABLE_RATE_LIMITS, iterable } from '../../../src/registry/connectors/iterable.js';
import { JSON_HEADERS, pathIs, useMockAgent } from '../../helpers/mock-agent.js';
import { closedDeep, compileSchema, loadSpec, specsAvailable, warnIfSpecsMissing } from '../../helpers/specs.js';
import { describeHttpContract } from './http-contract.js';

const mock = useMockAgent();

const KEY = '0f3c9a7e5b1d4f2a8c6e0b9d7f5a3c1e';
const ORIGIN = 'https://api.iterable.com';
const BULK = '/api/events/trackBulk';
const config = { apiKey: KEY };

const ev = (email: string, extra: Record<string, unknown> = {}) => ({ eventName: 'orderPlaced', email, dataFields: { total: 42 }, ...extra });
const ok = (n: number) => ({ successCount: n, failCount: 0, failedUpdates: { invalidEmails: [], invalidUserIds: [], notFoundEmails: [], notFoundUserIds: [], forgottenEmails: [], forgottenUserIds: [] }, disallowedEventNames: [], filteredOutFields: [], createdFields: [] });

const sendBatch = (cfg: Record<string, unknown>, messages: unknown[], opts?: BatchCallOptions) => iterableExecutor.sendBatch!(cfg as never, messages, opts);
const sentJson = (i = 0) => JSON.parse(String(mock.sent()[i]!.body)) as { events: Record<string, unknown>[] };

function replyBulk(status: number, body: unknown, headers: Record<string, string> = {}, origin = ORIGIN) {
  mock.agent.get(origin).intercept({ path: pathIs(BULK), method: 'POST' })
    .reply(status, JSON.stringify(body), { headers: { ...JSON_HEADERS, ...headers } });
}

describe('iterable sendBatch: POST /api/events/trackBulk', () => {
  test('the registry declares the batch endpoint and its limits; its rate (10/s) is trackBulk\'s, not the policy\'s', () => {
    expect(iterable.capabilities.batch).toEqual({ requestsPerSecond: 10, maxItems: 1_000, maxBytes: 4_000_000, endpoint: 'POST /api/events/trackBulk' });
    expect([ITERABLE_BULK_MAX_EVENTS, ITERABLE_BULK_MAX_BYTES]).toEqual([1_000, 4_000_000]);
    expect(ITERABLE_RATE_LIMITS['/api/events/trackBulk']).toBe(10);
    expect(iterable.notes!.some((n) => n.includes('trackBulk 10 req/s') && n.includes('a queue of their own held to it'))).toBe(true);
    expect(typeof iterableExecutor.sendBatch).toBe('function');
  });

  test('full success: one call with every event, each with its own id from its idempotency key; results carry the ids', async () => {
    replyBulk(200, ok(3));
    const res = await sendBatch(config, [ev('a@example.com'), ev('b@example.com', { createdAt: 1_735_689_600, campaignId: 7 }), ev('c@example.com')], { idempotencyKeys: ['pipe:1:a', 'pipe:1:b', 'pipe:1:c'] });
    expect(res).toEqual({
      ok: true, status: 200, latencyMs: expect.any(Number),
      body: { items: [{ ok: true, id: 'pipe:1:a' }, { ok: true, id: 'pipe:1:b' }, { ok: true, id: 'pipe:1:c' }] },
    });
    const [sent] = mock.sent();
    expect(`${sent!.method} ${sent!.url.href}`).toBe(`POST ${ORIGIN}${BULK}`);
    expect(sent!.headers['api-key']).toBe(KEY);
    expect(sent!.headers['content-type']).toBe('application/json');
    expect(sentJson()).toEqual({
      events: [
        { eventName: 'orderPlaced', email: 'a@example.com', id: 'pipe:1:a', dataFields: { total: 42 } },
        { eventName: 'orderPlaced', email: 'b@example.com', id: 'pipe:1:b', createdAt: 1_735_689_600, dataFields: { total: 42 }, campaignId: 7 },
        { eventName: 'orderPlaced', email: 'c@example.com', id: 'pipe:1:c', dataFields: { total: 42 } },
      ],
    });
  });

  test('event ids: the message\'s own id wins, a key over 512 bytes is its sha256 hex, no key and no id means none', async () => {
    replyBulk(200, ok(3));
    const long = 'é'.repeat(257);
    const res = await sendBatch(config, [ev('a@example.com', { id: 'order-77' }), ev('b@example.com'), ev('c@example.com')], { idempotencyKeys: ['k-a', long, ''] });
    expect(sentJson().events.map((e) => e.id)).toEqual(['order-77', createHash('sha256').update(long).digest('hex'), undefined]);
    expect(res.body!.items).toEqual([{ ok: true, id: 'order-77' }, { ok: true, id: createHash('sha256').update(long).digest('hex') }, { ok: true }]);
  });

  test('the EU data center uses api.eu.iterable.com', async () => {
    replyBulk(200, ok(1), {}, 'https://api.eu.iterable.com');
    await sendBatch({ ...config, dataCenter: 'eu' }, [ev('a@example.com')]);
    expect(mock.sent()[0]!.url.href).toBe(`https://api.eu.iterable.com${BULK}`);
  });

  describe('partial failure: Iterable\'s failure lists mapped to the messages they name', () => {
    test('by email (not found, forgotten; any case) and by disallowed event name; every event of a failed identifier fails', async () => {
      replyBulk(200, {
        successCount: 2,
        failCount: 4,
        failedUpdates: { invalidEmails: [], notFoundEmails: ['b@example.com'], forgottenEmails: ['c@example.com'], invalidUserIds: [], notFoundUserIds: [], forgottenUserIds: [] },
        disallowedEventNames: ['blockedEvent'],
        invalidEmails: [],
        invalidUserIds: [],
      });
      const res = await sendBatch(config, [
        ev('a@example.com'),
        ev('B@Example.com'),
        ev('c@example.com'),
        ev('b@example.com', { eventName: 'second' }),
        ev('e@example.com', { eventName: 'blockedEvent' }),
        ev('f@example.com'),
      ], { idempotencyKeys: ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'] });
      expect(res.ok).toBe(true);
      const items = res.body!.items;
      expect(items[0]).toEqual({ ok: true, id: 'k0' });
      expect(items[5]).toEqual({ ok: true, id: 'k5' });
      expect(items[1]).toMatchObject({ ok: false, error: { code: 'not_found', retryable: false, message: 'Iterable did not track event 1: its email was not found (failedUpdates.notFoundEmails)' } });
      expect(items[3]).toMatchObject({ ok: false, error: { code: 'not_found', message: 'Iterable did not track event 3: its email was not found (failedUpdates.notFoundEmails)' } });
      expect(items[2]).toMatchObject({ ok: false, error: { code: 'bad_request', message: 'Iterable did not track event 2: its user was GDPR-forgotten (failedUpdates.forgottenEmails)' } });
      expect(items[4]).toMatchObject({ ok: false, error: { code: 'bad_request', message: 'Iterable did not track event 4: its eventName is not allowed in this project (disallowedEventNames)' } });
      // The identifier is personal data: results name the list, never the address.
      expect(JSON.stringify(res)).not.toMatch(/example\.com/i);
    });

    test('a userId project: failures by userId, including the deprecated top-level invalidUserIds ("not found")', async () => {
      replyBulk(200, { successCount: 1, failCount: 2, failedUpdates: { invalidUserIds: ['bad id '] }, invalidUserIds: ['u-404'] });
      const res = await sendBatch({ ...config, identifyBy: 'userId' }, [
        { eventName: 'x', userId: 'u-1' },
        { eventName: 'x', userId: 'bad id ' },
        { eventName: 'x', userId: 'u-404' },
      ]);
      expect(sentJson().events.map((e) => e.userId)).toEqual(['u-1', 'bad id ', 'u-404']);
      expect(res.body!.items[0]).toEqual({ ok: true });
      expect(res.body!.items[1]).toMatchObject({ ok: false, error: { code: 'bad_request', message: expect.stringContaining('failedUpdates.invalidUserIds') } });
      expect(res.body!.items[2]).toMatchObject({ ok: false, error: { code: 'not_found', message: expect.stringContaining('(invalidUserIds)') } });
    });

    test('counts the lists do not explain make every per-message result a guess: invalid_response, ambiguous, not guessed', async () => {
      const messages = [ev('a@example.com'), ev('b@example.com')];
      replyBulk(200, { successCount: 1, failCount: 1 });
      replyBulk(200, { successCount: 1, failCount: 0 });
      replyBulk(200, { successCount: 0, failCount: 1, failedUpdates: { notFoundEmails: ['a@example.com', 'b@example.com'] } });
      for (let i = 0; i < 3; i++) {
        const res = await sendBatch(config, messages);
        expect(res).toMatchObject({ ok: false, status: 200, body: null, error: { code: 'invalid_response', retryable: false, ambiguous: true } });
        expect(res.error!.message).toContain('which events failed is unknown');
      }
    });
  });

  describe('whole-call failures, mapped like send\'s', () => {
    const messages = [ev('a@example.com'), ev('b@example.com')];

    test('429 with Retry-After is rate_limited, retryable, with retryAfterMs', async () => {
      replyBulk(429, { msg: 'Rate limit exceeded', code: 'RateLimitExceeded', params: null }, { 'retry-after': '3' });
      const res = await sendBatch(config, messages);
      expect(res).toMatchObject({ ok: false, status: 429, body: null, error: { code: 'rate_limited', retryable: true, retryAfterMs: 3_000 } });
      expect(res.error!.message).toBe('Iterable answered HTTP 429 (RateLimitExceeded): Rate limit exceeded');
    });

    test('5xx is retryable; errors inside a 200 keep their code mapping (BadApiKey, BatchTooLarge)', async () => {
      replyBulk(500, { msg: 'Something went wrong', code: 'GenericError', params: null });
      replyBulk(502, '');
      replyBulk(200, { msg: 'Invalid API key', code: 'BadApiKey', params: null });
      replyBulk(200, { msg: 'Batch too large', code: 'BatchTooLarge', params: null });
      expect(await sendBatch(config, messages)).toMatchObject({ ok: false, status: 500, error: { code: 'upstream_error', retryable: true } });
      expect(await sendBatch(config, messages)).toMatchObject({ ok: false, status: 502, error: { code: 'upstream_unavailable', retryable: true } });
      expect(await sendBatch(config, messages)).toMatchObject({ ok: false, status: 200, error: { code: 'unauthorized', retryable: false } });
      expect(await sendBatch(config, messages)).toMatchObject({ ok: false, status: 200, error: { code: 'payload_too_large', retryable: false, message: 'Iterable answered HTTP 200 (BatchTooLarge): Batch too large' } });
    });
  });

  describe('limits, enforced before sending', () => {
    test('1,000 events are one call; 1,001 are payload_too_large, status 0, nothing sent', async () => {
      const tooMany = await sendBatch(config, Array.from({ length: ITERABLE_BULK_MAX_EVENTS + 1 }, (_, i) => ev(`u${i}@example.com`)));
      expect(tooMany).toMatchObject({ ok: false, status: 0, latencyMs: 0, body: null, error: { code: 'payload_too_large', retryable: false } });
      expect(tooMany.error!.message).toContain('at most 1000');
      expect(mock.sent()).toHaveLength(0);
      replyBulk(200, ok(ITERABLE_BULK_MAX_EVENTS));
      const res = await sendBatch(config, Array.from({ length: ITERABLE_BULK_MAX_EVENTS }, (_, i) => ev(`u${i}@example.com`)));
      expect(res.body!.items.every((i) => i.ok)).toBe(true);
      expect(sentJson().events).toHaveLength(ITERABLE_BULK_MAX_EVENTS);
    });

    test('a body over 4,000,000 bytes is payload_too_large, nothing sent; the bytes counted are the bytes sent', async () => {
      const big = (i: number) => ev(`u${i}@example.com`, { dataFields: { blob: 'x'.repeat(500_000) } });
      const res = await sendBatch(config, Array.from({ length: 8 }, (_, i) => big(i)));
      expect(res).toMatchObject({ ok: false, status: 0, error: { code: 'payload_too_large', retryable: false } });
      expect(res.error!.message).toContain('4 MB');
      expect(mock.sent()).toHaveLength(0);
      replyBulk(200, ok(7));
      await sendBatch(config, Array.from({ length: 7 }, (_, i) => big(i)));
      expect(Buffer.byteLength(String(mock.sent()[0]!.body))).toBeLessThanOrEqual(ITERABLE_BULK_MAX_BYTES);
    });

    test('no messages, or a key count that does not match, is bad_request before sending', async () => {
      expect((await sendBatch(config, [])).error?.code).toBe('bad_request');
      expect((await sendBatch(config, [ev('a@example.com')], { idempotencyKeys: ['a', 'b'] })).error?.code).toBe('bad_request');
      expect(mock.sent()).toHaveLength(0);
    });

    test('an invalid message, or one that names the user by the identifier the project does not use, fails on its own; the rest are sent and keep their positions', async () => {
      replyBulk(200, { successCount: 1, failCount: 1, failedUpdates: { notFoundEmails: ['d@example.com'] } });
      const res = await sendBatch(config, [
        ev('a@example.com'),
        { eventName: 'x', userId: 'u-1' },
        { eventName: 'x', email: 'a@example.com', createdAt: 1_735_689_600_000 },
        ev('d@example.com'),
      ]);
      expect(sentJson().events.map((e) => e.email)).toEqual(['a@example.com', 'd@example.com']);
      const items = res.body!.items;
      expect(items[0]).toEqual({ ok: true });
      expect(items[1]).toMatchObject({ ok: false, error: { code: 'bad_request', message: expect.stringContaining('identifies users by email') } });
      expect(items[2]).toMatchObject({ ok: false, error: { code: 'bad_request', message: expect.stringContaining('createdAt') } });
      expect(items[3]).toMatchObject({ ok: false, error: { code: 'not_found', message: expect.stringContaining('event 3') } });
    });

    test('when no message can be sent, nothing is sent and each has its reason', async () => {
      const res = await sendBatch(config, [{ eventName: 'x' }, { email: 'a@example.com' }]);
      expect(res).toMatchObject({ ok: true, status: 0, body: { items: [{ ok: false, error: { code: 'bad_request' } }, { ok: false, error: { code: 'bad_request' } }] } });
      expect(mock.sent()).toHaveLength(0);
    });
  });

  describe('contract of sendBatch (POST /api/events/trackBulk)', () => {
    describeHttpContract(mock, {
      config,
      secretField: 'apiKey',
      malformedSecret: 'too-short',
      origin: ORIGIN,
      path: BULK,
      method: 'POST',
      call: (cfg, opts) => sendBatch(cfg, [ev('a@example.com')], opts),
      okBody: ok(1),
      errorBody: (message) => ({ msg: message, code: 'GenericError', params: null }),
    });
  });
});

// Iterable's Swagger 2.0 file (api-docs.json in Iterable/api-client, per SOURCES.md) declares
// BulkTrackRequest as {"events": [TrackRequest]} with events required; the folder holds TrackRequest, so
// the request is that object around it, every declared object closed.
const trackSpec = loadSpec('iterable.events-track.schema.json') as { $defs: Record<string, object> } | null;
warnIfSpecsMissing('Iterable official-schema tests (trackBulk)');

describe.skipIf(!specsAvailable || !trackSpec)('iterable trackBulk bodies against the official schema (api-docs.json: BulkTrackRequest of TrackRequest)', () => {
  const bulkSchema = () => closedDeep({
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $defs: trackSpec!.$defs,
    type: 'object',
    properties: { events: { type: 'array', items: { $ref: '#/$defs/TrackRequest' } } },
    required: ['events'],
  });

  test('every batch body (email or userId, ids from keys or messages, createdAt, dataFields, campaign/template ids) is a valid BulkTrackRequest', async () => {
    const check = compileSchema(bulkSchema());
    replyBulk(200, ok(3));
    replyBulk(200, ok(2));
    await sendBatch(config, [ev('a@example.com', { createdAt: 1_735_689_600, campaignId: 1, templateId: 2 }), ev('b@example.com', { id: 'own' }), ev('c@example.com')], { idempotencyKeys: ['k1', 'x'.repeat(600), 'k3'] });
    await sendBatch({ ...config, identifyBy: 'userId' }, [{ eventName: 'e', userId: 'u-1' }, { eventName: 'e', userId: 'u-2', dataFields: { a: [1, 2] } }]);
    expect(mock.sent()).toHaveLength(2);
    for (const s of mock.sent()) expect(check(JSON.parse(String(s.body)))).toEqual([]);
  });

  test('the closed schema has teeth: an undeclared field in an event or beside events, or events missing, is rejected', () => {
    const check = compileSchema(bulkSchema());
    expect(check({ events: [{ eventName: 'x', email: 'a@example.com' }] })).toEqual([]);
    expect(check({ events: [{ eventName: 'x', event_name: 'x' }] })).not.toEqual([]);
    expect(check({ events: [], extra: 1 })).not.toEqual([]);
    expect(check({ event: [] })).not.toEqual([]);
  });
});
