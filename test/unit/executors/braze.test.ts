// Braze executor against MockAgent: GET /events/list as the credential check and POST /users/track on
// the configured instance (facts: src/registry/connectors/braze.ts), the 75-object limit enforced
// before sending, partial success reported, fatal {message, errors} mapped. Braze publishes no
// machine-readable schema (see shared/specs/SOURCES.md), so the body is checked field by field against
// the documented example.
import { describe, expect, test } from 'vitest';
import type { CallOptions } from '../../../src/core/envelope.js';
import { BRAZE_MAX_OBJECTS, brazeExecutor, brazeMessageSchema } from '../../../src/executors/braze.js';
import { JSON_HEADERS, pathIs, useMockAgent } from '../../helpers/mock-agent.js';
import { describeHttpContract } from './http-contract.js';

const mock = useMockAgent();

const KEY = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
const ORIGIN = 'https://rest.iad-01.braze.com';
const config = { restEndpoint: ORIGIN, apiKey: KEY };
const EVENT = { external_id: 'u1', name: 'order_placed', time: '2025-01-01T00:00:00Z', properties: { total: 42 } };
const MESSAGE = { events: [EVENT] };
const SUCCESS = { message: 'success', events_processed: 1 };

const send = (cfg: Record<string, unknown>, message: unknown, opts?: CallOptions) => brazeExecutor.send!(cfg as never, message, opts);
const test_ = (cfg: Record<string, unknown>, opts?: CallOptions) => brazeExecutor.testConnection(cfg as never, opts);
const sentJson = (i = 0) => JSON.parse(String(mock.sent()[i]!.body)) as Record<string, Record<string, unknown>[]>;

function reply(path: string, method: 'GET' | 'POST', status: number, body: unknown, origin = ORIGIN) {
  mock.agent.get(origin).intercept({ path: pathIs(path), method })
    .reply(status, JSON.stringify(body), { headers: JSON_HEADERS });
}
const replyTrack = (status = 201, body: unknown = SUCCESS) => reply('/users/track', 'POST', status, body);

describe('braze testConnection', () => {
  test('GET /events/list on the configured instance with the Bearer key → number of custom events', async () => {
    reply('/events/list', 'GET', 200, { message: 'success', events: ['order_placed', 'signed_up'] });
    const res = await test_(config);
    expect(res).toMatchObject({ ok: true, status: 200, body: { events: 2 } });
    const [sent] = mock.sent();
    expect(sent!.method).toBe('GET');
    expect(sent!.url.href).toBe(`${ORIGIN}/events/list`);
    expect(sent!.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  test('an EU instance (.braze.eu) is called on its own host; a pasted trailing slash is dropped', async () => {
    reply('/events/list', 'GET', 200, { message: 'success', events: [] }, 'https://rest.fra-02.braze.eu');
    await test_({ ...config, restEndpoint: 'https://rest.fra-02.braze.eu/' });
    expect(mock.sent()[0]!.url.href).toBe('https://rest.fra-02.braze.eu/events/list');
  });

  test('a dashboard URL or a foreign host is invalid_config, nothing sent', async () => {
    for (const restEndpoint of ['https://dashboard-01.braze.com', 'https://rest.iad-01.braze.com.evil.example', 'http://rest.iad-01.braze.com']) {
      expect((await test_({ ...config, restEndpoint })).error?.code).toBe('invalid_config');
    }
    expect(mock.sent()).toHaveLength(0);
  });

  for (const [status, code] of [[401, 'unauthorized'], [403, 'forbidden']] as const) {
    test(`${status} says the key may lack events.list even if it can send`, async () => {
      reply('/events/list', 'GET', status, { message: 'Invalid API Key' });
      const res = await test_(config);
      expect(res.error).toMatchObject({ code, retryable: false });
      expect(res.error!.message).toContain(`Braze answered HTTP ${status}: Invalid API Key`);
      expect(res.error!.message).toContain('events.list');
      expect(res.error!.message).toContain('users.track');
    });
  }

  test('the permission hint is only for 401/403 of the check, not for send', async () => {
    reply('/events/list', 'GET', 404, { message: 'Not found' });
    replyTrack(401, { message: 'Invalid API Key' });
    expect((await test_(config)).error!.message).not.toContain('events.list');
    expect((await send(config, MESSAGE)).error!.message).not.toContain('events.list');
  });

  describeHttpContract(mock, {
    config,
    secretField: 'apiKey',
    malformedSecret: 'short-key',
    origin: ORIGIN,
    path: '/events/list',
    call: test_,
    others: { send: (cfg, opts) => send(cfg, MESSAGE, opts) },
    okBody: { message: 'success', events: [] },
    errorBody: (message) => ({ message }),
  });
});

describe('braze send: POST /users/track', () => {
  test('Bearer key, JSON body of the three arrays → processed counts', async () => {
    replyTrack(201, { message: 'success', attributes_processed: 1, events_processed: 1, purchases_processed: 1 });
    const purchase = { external_id: 'u1', product_id: 'sku-1', currency: 'USD', price: 9.99, quantity: 2, time: '2025-01-01T00:00:00Z' };
    const attribute = { external_id: 'u1', first_name: 'Ann', plan: 'pro', _update_existing_only: true };
    const res = await send(config, { attributes: [attribute], events: [EVENT], purchases: [purchase] }, { idempotencyKey: 'send-1' });
    expect(res).toEqual({
      ok: true, status: 201, latencyMs: expect.any(Number),
      body: { attributesProcessed: 1, eventsProcessed: 1, purchasesProcessed: 1, nonFatalErrors: 0, errors: [] },
    });
    const [sent] = mock.sent();
    expect(sent!.method).toBe('POST');
    expect(sent!.url.href).toBe(`${ORIGIN}/users/track`);
    expect(sent!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent!.headers['content-type']).toBe('application/json');
    expect(sentJson()).toEqual({ attributes: [attribute], events: [EVENT], purchases: [purchase] });
  });

  test('Braze has no idempotency mechanism: the key goes nowhere (no header, not in the body)', async () => {
    replyTrack();
    await send(config, MESSAGE, { idempotencyKey: 'send-key-123' });
    const [sent] = mock.sent();
    expect(JSON.stringify(sent!.headers)).not.toContain('send-key-123');
    expect(String(sent!.body)).not.toContain('send-key-123');
  });

  test('user_alias, braze_id and email identify users too; events and purchases without time get the send time', async () => {
    replyTrack();
    const before = Date.now();
    await send(config, {
      events: [{ user_alias: { alias_name: 'a1', alias_label: 'crm' }, name: 'x' }],
      purchases: [{ braze_id: 'b-1', product_id: 'p', currency: 'EUR', price: 1 }],
      attributes: [{ email: 'a@example.com', vip: true }],
    });
    const body = sentJson();
    for (const obj of [body.events![0]!, body.purchases![0]!]) {
      const t = Date.parse(String(obj.time));
      expect(t).toBeGreaterThanOrEqual(before - 1);
      expect(t).toBeLessThanOrEqual(Date.now());
    }
  });

  describe('phone identifies a user (the current /users/track page lists it beside external_id, user_alias, braze_id and email)', () => {
    test('phone-only attribute, event and purchase objects are sent as given', async () => {
      replyTrack(201, { message: 'success', attributes_processed: 1, events_processed: 1, purchases_processed: 1 });
      const message = {
        attributes: [{ phone: '+15043277269', string_attribute: 'fruit' }],
        events: [{ phone: '+442071838750', name: 'rented_movie', time: '2025-01-01T00:00:00Z' }],
        purchases: [{ phone: '+551155256325', product_id: 'sku-1', currency: 'USD', price: 12.12, time: '2025-01-01T00:00:00Z' }],
      };
      const res = await send(config, message);
      expect(res).toMatchObject({ ok: true, status: 201, body: { attributesProcessed: 1, eventsProcessed: 1, purchasesProcessed: 1 } });
      expect(sentJson()).toEqual(message);
    });

    test('a phone that is the only identifier must be E.164: bad_request naming the field, nothing sent', async () => {
      const bad: [unknown, string][] = [
        [{ attributes: [{ phone: '5043277269' }] }, 'attributes.0.phone'],
        [{ events: [{ phone: '+1 (504) 327-7269', name: 'x' }] }, 'events.0.phone'],
        [{ purchases: [{ phone: '+0123456', product_id: 'p', currency: 'USD', price: 1 }] }, 'purchases.0.phone'],
        [{ attributes: [{ phone: `+1${'2'.repeat(15)}` }] }, 'attributes.0.phone'],
      ];
      for (const [message, field] of bad) {
        const res = await send(config, message);
        expect(res).toMatchObject({ ok: false, status: 0, error: { code: 'bad_request', retryable: false } });
        expect(res.error!.message).toContain(field);
        expect(res.error!.message).toContain('E.164');
      }
      expect(mock.sent()).toHaveLength(0);
    });

    test('next to another identifier, phone is a profile attribute and is passed through untouched', async () => {
      replyTrack();
      await send(config, { attributes: [{ external_id: 'u1', phone: '(504) 327-7269' }, { email: 'a@example.com', phone: '+15043277269' }] });
      expect(sentJson().attributes).toEqual([{ external_id: 'u1', phone: '(504) 327-7269' }, { email: 'a@example.com', phone: '+15043277269' }]);
    });
  });

  test('empty arrays are left out of the body', async () => {
    replyTrack();
    await send(config, { attributes: [], events: [EVENT], purchases: [] });
    expect(Object.keys(sentJson())).toEqual(['events']);
  });

  test('2xx "success" with errors is a partial success: ok, with the non-fatal errors counted and listed', async () => {
    replyTrack(201, {
      message: 'success',
      events_processed: 1,
      errors: [{ type: "'time' is not valid", input_array: 'events', index: 1 }, { type: "'price' is not valid", input_array: 'purchases', index: 0 }],
    });
    const res = await send(config, MESSAGE);
    expect(res).toMatchObject({
      ok: true, status: 201,
      body: { eventsProcessed: 1, nonFatalErrors: 2, errors: ["events[1]: 'time' is not valid", "purchases[0]: 'price' is not valid"] },
    });
    expect(res.error).toBeUndefined();
  });

  test('a 2xx whose message is not "success" is invalid_response', async () => {
    replyTrack(201, { message: 'queued' });
    const res = await send(config, MESSAGE);
    expect(res.error).toMatchObject({ code: 'invalid_response', retryable: false });
    expect(res.error!.message).toContain('queued');
  });

  test('a fatal 400 {message, errors} is bad_request with the reason and each object error', async () => {
    replyTrack(400, {
      message: "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields.",
      errors: [{ type: "'price' is not valid", input_array: 'purchases', index: 0 }],
    });
    const res = await send(config, MESSAGE);
    expect(res).toMatchObject({ ok: false, status: 400, body: null, error: { code: 'bad_request', retryable: false } });
    expect(res.error!.message).toBe("Braze answered HTTP 400: Valid data must be provided in the 'attributes', 'events', or 'purchases' fields. (purchases[0]: 'price' is not valid)");
  });

  describe('at most 75 objects across the three arrays, enforced before sending', () => {
    const events = (n: number) => Array.from({ length: n }, (_, i) => ({ ...EVENT, name: `e${i}` }));

    test('75 in total are sent', async () => {
      replyTrack();
      const res = await send(config, { events: events(50), attributes: Array.from({ length: 25 }, (_, i) => ({ external_id: `u${i}`, n: i })) });
      expect(res.ok).toBe(true);
      expect(mock.sent()).toHaveLength(1);
    });

    test('76 in total (no array over 75 alone) is payload_too_large, status 0, nothing sent', async () => {
      const res = await send(config, { events: events(40), attributes: Array.from({ length: 36 }, (_, i) => ({ external_id: `u${i}` })) });
      expect(res).toMatchObject({ ok: false, status: 0, latencyMs: 0, body: null, error: { code: 'payload_too_large', retryable: false } });
      expect(res.error!.message).toContain(`at most ${BRAZE_MAX_OBJECTS}`);
      expect(res.error!.message).toContain('76 objects');
      expect(mock.sent()).toHaveLength(0);
    });
  });

  test('invalid messages are bad_request naming the field, status 0, nothing sent', async () => {
    const bad: [unknown, string][] = [
      [{}, 'at least one'],
      [{ events: [] }, 'at least one'],
      [{ events: [{ name: 'x' }] }, 'events.0'],
      [{ events: [{ external_id: 'u1' }] }, 'events.0.name'],
      [{ events: [{ external_id: 'u1', name: 'x', time: 'soon' }] }, 'events.0.time'],
      [{ purchases: [{ external_id: 'u1', product_id: 'p', currency: 'usd', price: 1 }] }, 'purchases.0.currency'],
      [{ purchases: [{ external_id: 'u1', product_id: 'p', currency: 'USD' }] }, 'purchases.0.price'],
      [{ attributes: [{ first_name: 'no id' }] }, 'identify the user by external_id, user_alias, braze_id, email or phone'],
      [{ attributes: [{ user_alias: { alias_name: 'a' } }] }, 'attributes.0.user_alias.alias_label'],
      [{ events: [EVENT], segments: [] }, 'segments'],
    ];
    for (const [message, mentions] of bad) {
      const res = await send(config, message);
      expect(res).toMatchObject({ ok: false, status: 0, latencyMs: 0, body: null, error: { code: 'bad_request', retryable: false } });
      expect(res.error!.message).toContain(mentions);
    }
    expect(mock.sent()).toHaveLength(0);
    expect(brazeMessageSchema.safeParse(MESSAGE).success).toBe(true);
  });

  describe('contract of send (POST /users/track)', () => {
    describeHttpContract(mock, {
      config,
      secretField: 'apiKey',
      malformedSecret: 'short-key',
      origin: ORIGIN,
      path: '/users/track',
      method: 'POST',
      call: (cfg, opts) => send(cfg, MESSAGE, opts),
      okBody: SUCCESS,
      errorBody: (message) => ({ message, errors: [] }),
    });
  });
});
