// Braze sendBatch against MockAgent: several messages' attributes, events and purchases in one
// POST /users/track, Braze's non-fatal errors ({type, input_array, index}) mapped back to the message
// that contributed the object, fatal answers failing the whole call, and the batch limits (at most
// BRAZE_BATCH_OBJECTS_PER_MESSAGE objects per message, BRAZE_BATCH_MAX_ITEMS messages, so that every
// batch fits the 50 objects any Braze account accepts) enforced before sending. Braze publishes no
// machine-readable schema for /users/track (shared/specs/SOURCES.md, "Requested but not saved"), so the
// body is checked field by field against the documented request shape.
import { describe, expect, test } from 'vitest';
import type { BatchCallOptions } from '../../../src/core/envelope.js';
import { brazeExecutor } from '../../../src/executors/braze.js';
import { BRAZE_BATCH_MAX_ITEMS, BRAZE_BATCH_MAX_OBJECTS, BRAZE_BATCH_OBJECTS_PER_MESSAGE, braze } from '../../../src/registry/connectors/braze.js';
import { JSON_HEADERS, pathIs, useMockAgent } from '../../helpers/mock-agent.js';
import { describeHttpContract } from './http-contract.js';

const mock = useMockAgent();

const KEY = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
const ORIGIN = 'https://rest.iad-01.braze.com';
const config = { restEndpoint: ORIGIN, apiKey: KEY };
const T = '2025-01-01T00:00:00Z';

const event = (user: string, name = 'order_placed') => ({ external_id: user, name, time: T, properties: { total: 42 } });
const attribute = (user: string) => ({ external_id: user, plan: 'pro' });
const purchase = (user: string) => ({ external_id: user, product_id: 'sku-1', currency: 'USD', price: 9.99, time: T });

const sendBatch = (cfg: Record<string, unknown>, messages: unknown[], opts?: BatchCallOptions) => brazeExecutor.sendBatch!(cfg as never, messages, opts);
const sentJson = (i = 0) => JSON.parse(String(mock.sent()[i]!.body)) as Record<string, Record<string, unknown>[]>;

function replyTrack(status = 201, body: unknown = { message: 'success' }, headers: Record<string, string> = {}) {
  mock.agent.get(ORIGIN).intercept({ path: pathIs('/users/track'), method: 'POST' })
    .reply(status, JSON.stringify(body), { headers: { ...JSON_HEADERS, ...headers } });
}

describe('braze sendBatch: POST /users/track with several messages', () => {
  test('the registry declares the batch endpoint with a count every account accepts, and the executor has it', () => {
    expect(braze.capabilities.batch).toEqual({ maxItems: BRAZE_BATCH_MAX_ITEMS, endpoint: 'POST /users/track' });
    // 50 objects: the lowest per-request limit Braze documents (Monthly Active Users CY 24-25 contracts).
    expect(BRAZE_BATCH_MAX_OBJECTS).toBe(50);
    expect(BRAZE_BATCH_OBJECTS_PER_MESSAGE).toBe(3);
    expect(BRAZE_BATCH_MAX_ITEMS * BRAZE_BATCH_OBJECTS_PER_MESSAGE).toBeLessThanOrEqual(BRAZE_BATCH_MAX_OBJECTS);
    expect(BRAZE_BATCH_MAX_ITEMS).toBe(16);
    expect(typeof brazeExecutor.sendBatch).toBe('function');
  });

  test('full success: one request whose arrays hold the messages\' objects in message order; every message ok', async () => {
    replyTrack(201, { message: 'success', attributes_processed: 2, events_processed: 2, purchases_processed: 1 });
    const messages = [
      { attributes: [attribute('u1')], events: [event('u1')] },
      { events: [event('u2', 'signed_up')] },
      { purchases: [purchase('u3')], attributes: [attribute('u3')] },
    ];
    const res = await sendBatch(config, messages, { idempotencyKeys: ['pipe:1:a', 'pipe:1:b', 'pipe:1:c'] });
    expect(res).toEqual({ ok: true, status: 201, latencyMs: expect.any(Number), body: { items: [{ ok: true }, { ok: true }, { ok: true }] } });
    expect(mock.sent()).toHaveLength(1);
    const [sent] = mock.sent();
    expect(`${sent!.method} ${sent!.url.href}`).toBe(`POST ${ORIGIN}/users/track`);
    expect(sent!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent!.headers['content-type']).toBe('application/json');
    expect(sentJson()).toEqual({
      attributes: [attribute('u1'), attribute('u3')],
      events: [event('u1'), event('u2', 'signed_up')],
      purchases: [purchase('u3')],
    });
  });

  test('Braze has no de-duplication field: the per-message idempotency keys go nowhere (no header, not in the body)', async () => {
    replyTrack();
    await sendBatch(config, [{ events: [event('u1')] }, { events: [event('u2')] }], { idempotencyKeys: ['batch-key-111', 'batch-key-222'] });
    const [sent] = mock.sent();
    for (const key of ['batch-key-111', 'batch-key-222']) {
      expect(JSON.stringify(sent!.headers)).not.toContain(key);
      expect(String(sent!.body)).not.toContain(key);
    }
  });

  test('events and purchases without a time get the send time; arrays no message uses are left out', async () => {
    replyTrack();
    const before = Date.now();
    await sendBatch(config, [{ events: [{ external_id: 'u1', name: 'x' }] }, { events: [{ email: 'a@example.com', name: 'y' }] }]);
    const body = sentJson();
    expect(Object.keys(body)).toEqual(['events']);
    for (const e of body.events!) {
      expect(Date.parse(String(e.time))).toBeGreaterThanOrEqual(before - 1);
      expect(Date.parse(String(e.time))).toBeLessThanOrEqual(Date.now());
    }
  });

  describe('partial failure: Braze\'s non-fatal errors mapped to the message that contributed the object', () => {
    test('each error fails its own message with Braze\'s reason; the other messages succeed', async () => {
      // Request arrays: events = [m0.e0, m1.e0, m1.e1, m2.e0], purchases = [m1.p0, m3.p0], attributes = [m0.a0].
      replyTrack(201, {
        message: 'success',
        attributes_processed: 1,
        events_processed: 3,
        purchases_processed: 1,
        errors: [
          { type: '\'time\' is not valid', input_array: 'events', index: 2 },
          { type: '\'price\' is not valid', input_array: 'purchases', index: 1 },
          { type: '\'external_id\' or \'braze_id\' or \'user_alias\' is required', input_array: 'events', index: 1 },
        ],
      });
      const res = await sendBatch(config, [
        { attributes: [attribute('u0')], events: [event('u0')] },
        { events: [event('u1'), event('u1', 'second')], purchases: [purchase('u1')] },
        { events: [event('u2')] },
        { purchases: [purchase('u3')] },
      ]);
      expect(res.ok).toBe(true);
      expect(res.status).toBe(201);
      const items = res.body!.items;
      expect(items).toHaveLength(4);
      expect(items[0]).toEqual({ ok: true });
      expect(items[2]).toEqual({ ok: true });
      // Message 1 contributed events[1] and events[2]: both reasons, with the message's own positions.
      expect(items[1]).toMatchObject({ ok: false, error: { code: 'bad_request', retryable: false } });
      expect(items[1]!.error!.message).toBe(
        'Braze rejected events[2] of the request (the message\'s events[1]): \'time\' is not valid; '
        + 'events[1] of the request (the message\'s events[0]): \'external_id\' or \'braze_id\' or \'user_alias\' is required',
      );
      expect(items[3]).toMatchObject({ ok: false, error: { code: 'bad_request', retryable: false } });
      expect(items[3]!.error!.message).toBe('Braze rejected purchases[1] of the request (the message\'s purchases[0]): \'price\' is not valid');
    });

    test('an error that names no object of the request (a plain string, an unknown array, an index out of range) makes the outcome per message unknown: invalid_response, ambiguous, not guessed', async () => {
      const messages = [{ events: [event('u0')] }, { events: [event('u1')] }];
      for (const errors of [['something went wrong'], [{ type: 'x', input_array: 'segments', index: 0 }], [{ type: 'x', input_array: 'events', index: 2 }]]) {
        replyTrack(201, { message: 'success', events_processed: 1, errors });
        const res = await sendBatch(config, messages);
        expect(res).toMatchObject({ ok: false, status: 201, body: null, error: { code: 'invalid_response', retryable: false, ambiguous: true } });
        expect(res.error!.message).toContain('which messages failed is unknown');
      }
    });

    test('a 2xx whose message is not "success" is invalid_response for the whole call', async () => {
      replyTrack(201, { message: 'queued' });
      const res = await sendBatch(config, [{ events: [event('u0')] }]);
      expect(res).toMatchObject({ ok: false, status: 201, error: { code: 'invalid_response', retryable: false } });
      expect(res.error!.message).toContain('queued');
    });
  });

  describe('fatal answers fail the whole call, mapped like send\'s', () => {
    const messages = [{ events: [event('u0')] }, { events: [event('u1')] }];

    test('429 with Retry-After is rate_limited, retryable, with retryAfterMs', async () => {
      replyTrack(429, { message: 'Rate limit exceeded' }, { 'retry-after': '12', 'x-ratelimit-limit': '3000', 'x-ratelimit-remaining': '0' });
      const res = await sendBatch(config, messages);
      expect(res).toMatchObject({ ok: false, status: 429, body: null, error: { code: 'rate_limited', retryable: true, retryAfterMs: 12_000 } });
      expect(res.error!.message).toBe('Braze answered HTTP 429: Rate limit exceeded');
    });

    test('429 with only Braze\'s X-RateLimit-Reset (UTC epoch seconds) waits until the reset, for send too', async () => {
      const reset = String(Math.floor(Date.now() / 1000) + 20);
      replyTrack(429, { message: 'Rate limit exceeded' }, { 'x-ratelimit-limit': '3000', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset });
      replyTrack(429, { message: 'Rate limit exceeded' }, { 'x-ratelimit-reset': reset });
      const batch = await sendBatch(config, messages);
      const single = await brazeExecutor.send!(config as never, messages[0]);
      for (const res of [batch, single]) {
        expect(res.error).toMatchObject({ code: 'rate_limited', retryable: true });
        expect(res.error!.retryAfterMs).toBeGreaterThan(17_000);
        expect(res.error!.retryAfterMs).toBeLessThanOrEqual(20_000);
      }
    });

    test('5xx is retryable (500 upstream_error, 503 upstream_unavailable); 400 is bad_request with Braze\'s reason', async () => {
      replyTrack(500, { message: 'Internal Server Error' });
      replyTrack(503, '');
      replyTrack(400, { message: 'Bad Request', errors: [{ type: 'x', input_array: 'events', index: 0 }] });
      expect(await sendBatch(config, messages)).toMatchObject({ ok: false, status: 500, body: null, error: { code: 'upstream_error', retryable: true } });
      expect(await sendBatch(config, messages)).toMatchObject({ ok: false, status: 503, error: { code: 'upstream_unavailable', retryable: true } });
      const bad = await sendBatch(config, messages);
      expect(bad).toMatchObject({ ok: false, status: 400, error: { code: 'bad_request', retryable: false } });
      expect(bad.error!.message).toBe('Braze answered HTTP 400: Bad Request (events[0]: x)');
    });
  });

  describe('limits, enforced before sending', () => {
    const three = (i: number) => ({ attributes: [attribute(`u${i}`)], events: [event(`u${i}`)], purchases: [purchase(`u${i}`)] });

    test(`${BRAZE_BATCH_MAX_ITEMS} messages of ${BRAZE_BATCH_OBJECTS_PER_MESSAGE} objects each are one request of ${BRAZE_BATCH_MAX_ITEMS * BRAZE_BATCH_OBJECTS_PER_MESSAGE} objects`, async () => {
      replyTrack();
      const res = await sendBatch(config, Array.from({ length: BRAZE_BATCH_MAX_ITEMS }, (_, i) => three(i)));
      expect(res.body!.items).toHaveLength(BRAZE_BATCH_MAX_ITEMS);
      expect(res.body!.items.every((i) => i.ok)).toBe(true);
      const body = sentJson();
      expect(body.attributes!.length + body.events!.length + body.purchases!.length).toBe(BRAZE_BATCH_MAX_ITEMS * BRAZE_BATCH_OBJECTS_PER_MESSAGE);
      expect(body.attributes!.length + body.events!.length + body.purchases!.length).toBeLessThanOrEqual(BRAZE_BATCH_MAX_OBJECTS);
    });

    test('a batch too large (one message more than maxItems) is payload_too_large, status 0, nothing sent', async () => {
      const res = await sendBatch(config, Array.from({ length: BRAZE_BATCH_MAX_ITEMS + 1 }, (_, i) => ({ events: [event(`u${i}`)] })));
      expect(res).toMatchObject({ ok: false, status: 0, latencyMs: 0, body: null, error: { code: 'payload_too_large', retryable: false } });
      expect(res.error!.message).toContain(`at most ${BRAZE_BATCH_MAX_ITEMS}`);
      expect(mock.sent()).toHaveLength(0);
    });

    test('no messages, or a key count that does not match, is bad_request before sending', async () => {
      expect((await sendBatch(config, [])).error?.code).toBe('bad_request');
      expect((await sendBatch(config, [{ events: [event('u0')] }], { idempotencyKeys: ['a', 'b'] })).error?.code).toBe('bad_request');
      expect(mock.sent()).toHaveLength(0);
    });

    test('a message with more objects than a batch slot, or an invalid one, fails on its own; the rest are sent and keep their positions', async () => {
      replyTrack(201, { message: 'success', events_processed: 2, errors: [{ type: '\'time\' is not valid', input_array: 'events', index: 1 }] });
      const res = await sendBatch(config, [
        { events: [event('u0')] },
        { events: [event('u1'), event('u1'), event('u1'), event('u1')] },
        { events: [{ name: 'no user' }] },
        { events: [event('u3')] },
      ]);
      expect(sentJson().events!.map((e) => e.external_id)).toEqual(['u0', 'u3']);
      const items = res.body!.items;
      expect(items[0]).toEqual({ ok: true });
      expect(items[1]).toMatchObject({ ok: false, error: { code: 'payload_too_large', retryable: false } });
      expect(items[1]!.error!.message).toContain(`at most ${BRAZE_BATCH_OBJECTS_PER_MESSAGE}`);
      expect(items[1]!.error!.message).toContain('send it on its own');
      expect(items[2]).toMatchObject({ ok: false, error: { code: 'bad_request', retryable: false } });
      expect(items[2]!.error!.message).toContain('events.0');
      // events[1] of the request is message 3's event.
      expect(items[3]).toMatchObject({ ok: false, error: { code: 'bad_request' } });
      expect(items[3]!.error!.message).toContain('\'time\' is not valid');
    });

    test('when no message can be sent, nothing is sent and each has its reason', async () => {
      const res = await sendBatch(config, [{}, { attributes: [{ first_name: 'no id' }] }]);
      expect(res).toMatchObject({ ok: true, status: 0, body: { items: [{ ok: false, error: { code: 'bad_request' } }, { ok: false, error: { code: 'bad_request' } }] } });
      expect(mock.sent()).toHaveLength(0);
    });
  });

  test('a minor error echoing the API key is redacted', async () => {
    replyTrack(201, { message: 'success', errors: [{ type: `bad key ${KEY}`, input_array: 'events', index: 0 }] });
    const res = await sendBatch(config, [{ events: [event('u0')] }]);
    expect(JSON.stringify(res)).not.toContain(KEY);
    expect(res.body!.items[0]!.error!.message).toContain('[REDACTED]');
  });

  describe('contract of sendBatch (POST /users/track)', () => {
    describeHttpContract(mock, {
      config,
      secretField: 'apiKey',
      malformedSecret: 'short-key',
      origin: ORIGIN,
      path: '/users/track',
      method: 'POST',
      call: (cfg, opts) => sendBatch(cfg, [{ events: [event('u0')] }, { attributes: [attribute('u1')] }], opts),
      okBody: { message: 'success', events_processed: 1, attributes_processed: 1 },
      errorBody: (message) => ({ message, errors: [] }),
    });
  });
});
