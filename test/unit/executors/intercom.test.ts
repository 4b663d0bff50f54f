// Intercom executor against MockAgent: GET /me, POST /events and POST /contacts on the regional host
// (facts: src/registry/connectors/intercom.ts), error.list refinements, and the outgoing bodies checked
// against Intercom's own OpenAPI schemas in ../shared/specs.
import { describe, expect, test } from 'vitest';
import type { CallOptions } from '../../../src/core/envelope.js';
import { intercomExecutor, intercomMessageSchema, refineIntercomError } from '../../../src/executors/intercom.js';
import { JSON_HEADERS, pathIs, useMockAgent } from '../../helpers/mock-agent.js';
import { closedDeep, compileSchema, loadSpec, specsAvailable, warnIfSpecsMissing } from '../../helpers/specs.js';
import { describeHttpContract } from './http-contract.js';

const mock = useMockAgent();

const TOKEN = 'dG9rOmFiY2RlZjEyMzQ1Njc4OTA6MTox';
const ORIGIN = 'https://api.intercom.io';
const config = { accessToken: TOKEN };
const ME = { type: 'admin', id: '991267464', name: 'Ann Admin', email: 'ann@example.com', app: { type: 'app', id_code: 'abc123de' } };
const EVENT = { type: 'event', eventName: 'placed-order', createdAt: 1_735_689_600, userId: '314159', metadata: { order_number: '3434-3434', items: '3' } };
const CONTACT = { type: 'contact', role: 'user', externalId: '314159', email: 'a@example.com', name: 'Ann', customAttributes: { plan: 'pro', seats: 3 } };

const send = (cfg: Record<string, unknown>, message: unknown, opts?: CallOptions) => intercomExecutor.send!(cfg as never, message, opts);
const test_ = (cfg: Record<string, unknown>, opts?: CallOptions) => intercomExecutor.testConnection(cfg as never, opts);
const sentJson = (i = 0) => JSON.parse(String(mock.sent()[i]!.body)) as Record<string, unknown>;

function reply(path: string, method: 'GET' | 'POST', status: number, body: unknown, headers: Record<string, string> = {}, origin = ORIGIN) {
  mock.agent.get(origin).intercept({ path: pathIs(path), method })
    .reply(status, body === '' ? '' : JSON.stringify(body), { headers: { ...JSON_HEADERS, ...headers } });
}
const errorList = (...errors: Record<string, unknown>[]) => ({ type: 'error.list', request_id: 'req-7f3a', errors });

describe('intercom testConnection', () => {
  test('GET /me with Bearer token, Intercom-Version (default 2.16, the current one) and Accept: application/json', async () => {
    reply('/me', 'GET', 200, ME);
    const res = await test_(config);
    expect(res).toMatchObject({ ok: true, status: 200, body: { adminId: '991267464', name: 'Ann Admin', appId: 'abc123de' } });
    const [sent] = mock.sent();
    expect(sent!.method).toBe('GET');
    expect(sent!.url.href).toBe(`${ORIGIN}/me`);
    expect(sent!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(sent!.headers['intercom-version']).toBe('2.16');
    expect(sent!.headers.accept).toBe('application/json');
  });

  test('the region picks the host; apiVersion is sent as configured', async () => {
    reply('/me', 'GET', 200, ME, {}, 'https://api.eu.intercom.io');
    reply('/me', 'GET', 200, ME, {}, 'https://api.au.intercom.io');
    await test_({ ...config, region: 'eu', apiVersion: '2.15' });
    await test_({ ...config, region: 'au' });
    const [eu, au] = mock.sent();
    expect(eu!.url.href).toBe('https://api.eu.intercom.io/me');
    expect(eu!.headers['intercom-version']).toBe('2.15');
    expect(au!.url.href).toBe('https://api.au.intercom.io/me');
  });

  test('an unknown region, a malformed apiVersion or one the registry does not offer is invalid_config, nothing sent', async () => {
    for (const bad of [{ region: 'jp' }, { apiVersion: 'latest' }, { apiVersion: '2.17' }, { apiVersion: '2.5' }]) {
      const res = await test_({ ...config, ...bad });
      expect(res.error?.code).toBe('invalid_config');
    }
    // The refusal lists what is valid, current first.
    expect((await test_({ ...config, apiVersion: '2.17' })).error!.message).toContain('Unstable, 2.16 (current), 2.15, 2.14');
    expect(mock.sent()).toHaveLength(0);
  });

  describeHttpContract(mock, {
    config,
    secretField: 'accessToken',
    malformedSecret: 'short',
    origin: ORIGIN,
    path: '/me',
    call: test_,
    others: { send: (cfg, opts) => send(cfg, EVENT, opts) },
    okBody: ME,
    errorBody: (message) => errorList({ code: 'unauthorized', message }),
  });
});

describe('intercom send: data events', () => {
  test('POST /events with event_name, created_at, user_id and flat metadata; 202 empty → a small summary', async () => {
    reply('/events', 'POST', 202, '');
    const res = await send(config, EVENT);
    expect(res).toEqual({ ok: true, status: 202, latencyMs: expect.any(Number), body: { accepted: true, eventName: 'placed-order', createdAt: 1_735_689_600 } });
    const [sent] = mock.sent();
    expect(sent!.method).toBe('POST');
    expect(sent!.url.href).toBe(`${ORIGIN}/events`);
    expect(sent!.headers['content-type']).toBe('application/json');
    expect(sent!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(sent!.headers['intercom-version']).toBe('2.16');
    expect(sentJson()).toEqual({ event_name: 'placed-order', created_at: 1_735_689_600, user_id: '314159', metadata: { order_number: '3434-3434', items: '3' } });
  });

  test('created_at defaults to now in Unix seconds; email or id identify the user instead of user_id', async () => {
    reply('/events', 'POST', 202, '');
    reply('/events', 'POST', 202, '');
    const before = Math.floor(Date.now() / 1000);
    await send(config, { type: 'event', eventName: 'signed-up', email: 'a@example.com' });
    await send(config, { type: 'event', eventName: 'signed-up', id: '5f8a0b' });
    const after = Math.floor(Date.now() / 1000);
    const first = sentJson(0);
    expect(first).toEqual({ event_name: 'signed-up', created_at: expect.any(Number), email: 'a@example.com' });
    expect(first.created_at).toBeGreaterThanOrEqual(before);
    expect(first.created_at).toBeLessThanOrEqual(after);
    expect(sentJson(1)).toMatchObject({ id: '5f8a0b' });
    expect(sentJson(1)).not.toHaveProperty('user_id');
  });

  test('created_at without createdAt is the first attempt\'s schedule time in seconds: the same on a retry, whatever the clock says', async () => {
    reply('/events', 'POST', 202, '');
    reply('/events', 'POST', 202, '');
    const message = { type: 'event', eventName: 'placed-order', userId: '314159' };
    const firstAttemptAtMs = 1_767_225_600_999; // 2026-01-01T00:00:00.999Z
    const first = await send(config, message, { firstAttemptAtMs, now: () => firstAttemptAtMs + 250 });
    const retry = await send(config, message, { firstAttemptAtMs, now: () => firstAttemptAtMs + 95_000 });
    expect(sentJson(0).created_at).toBe(1_767_225_600);
    expect(sentJson(1).created_at).toBe(1_767_225_600);
    expect(first.body).toMatchObject({ createdAt: 1_767_225_600 });
    expect(retry.body).toMatchObject({ createdAt: 1_767_225_600 });
  });

  test('outside an activity (no firstAttemptAtMs) created_at is the injected clock; an explicit createdAt always wins', async () => {
    reply('/events', 'POST', 202, '');
    reply('/events', 'POST', 202, '');
    await send(config, { type: 'event', eventName: 'a', userId: '1' }, { now: () => 1_700_000_000_750 });
    await send(config, { ...EVENT }, { firstAttemptAtMs: 1_767_225_600_000 });
    expect(sentJson(0).created_at).toBe(1_700_000_000);
    expect(sentJson(1).created_at).toBe(EVENT.createdAt);
  });

  test('metadata: 10 keys are sent; 11 are refused before sending, naming the field, since Intercom would ignore the 11th', async () => {
    reply('/events', 'POST', 202, '');
    const ten = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, i]));
    expect((await send(config, { ...EVENT, metadata: ten })).ok).toBe(true);
    expect(sentJson().metadata).toEqual(ten);
    const res = await send(config, { ...EVENT, metadata: { ...ten, k10: 'dropped by Intercom' } });
    expect(res).toMatchObject({ ok: false, status: 0, body: null, error: { code: 'bad_request', retryable: false } });
    expect(res.error!.message).toContain('metadata: has 11 keys; Intercom tracks at most 10');
    expect(mock.sent()).toHaveLength(1);
  });

  test('Intercom has no idempotency mechanism: the key goes nowhere (no header, not in the body)', async () => {
    reply('/events', 'POST', 202, '');
    await send(config, EVENT, { idempotencyKey: 'send-key-123' });
    const [sent] = mock.sent();
    expect(JSON.stringify(sent!.headers)).not.toContain('send-key-123');
    expect(Object.keys(sent!.headers).filter((h) => h.includes('idempotency'))).toEqual([]);
    expect(String(sent!.body)).not.toContain('send-key-123');
  });

  test('invalid messages are bad_request naming the field, status 0, nothing sent', async () => {
    const bad: [unknown, string][] = [
      [{ type: 'event', eventName: 'x' }, 'userId'],
      [{ type: 'event', eventName: 'x', userId: '1', email: 'a@example.com' }, 'exactly one'],
      [{ type: 'event', eventName: '', userId: '1' }, 'eventName'],
      [{ type: 'event', eventName: 'x', userId: '1', metadata: { nested: { a: 1 } } }, 'metadata.nested'],
      [{ type: 'event', eventName: 'x', userId: '1', createdAt: 1_735_689_600_000 }, 'createdAt'],
      [{ type: 'event', eventName: 'x', userId: '1', extra: true }, 'extra'],
      [{ type: 'message', eventName: 'x' }, 'type'],
      ['not an object', 'message'],
    ];
    for (const [message, mentions] of bad) {
      const res = await send(config, message);
      expect(res).toMatchObject({ ok: false, status: 0, latencyMs: 0, body: null, error: { code: 'bad_request', retryable: false } });
      expect(res.error!.message).toContain(mentions);
    }
    expect(mock.sent()).toHaveLength(0);
  });

  describe('contract of send (POST /events)', () => {
    describeHttpContract(mock, {
      config,
      secretField: 'accessToken',
      malformedSecret: 'short',
      origin: ORIGIN,
      path: '/events',
      method: 'POST',
      // 202 with an empty body: there is no success document to check.
      checksBody: false,
      call: (cfg, opts) => send(cfg, EVENT, opts),
      okBody: {},
      errorBody: (message) => errorList({ code: 'not_found', message }),
    });
  });
});

describe('intercom send: contacts', () => {
  test('POST /contacts with role, external_id, email, name, custom_attributes → contact id', async () => {
    reply('/contacts', 'POST', 200, { type: 'contact', id: '6762f0dd1bb69f9f2193bb83', role: 'user', external_id: '314159', email: 'a@example.com' });
    const res = await send(config, CONTACT);
    expect(res).toMatchObject({ ok: true, status: 200, body: { contactId: '6762f0dd1bb69f9f2193bb83', role: 'user' } });
    expect(res.body).not.toHaveProperty('email');
    expect(mock.sent()[0]!.url.href).toBe(`${ORIGIN}/contacts`);
    expect(sentJson()).toEqual({ role: 'user', external_id: '314159', email: 'a@example.com', name: 'Ann', custom_attributes: { plan: 'pro', seats: 3 } });
  });

  test('a lead needs no identifier; a user needs externalId or email', async () => {
    reply('/contacts', 'POST', 200, { type: 'contact', id: 'lead1', role: 'lead' });
    expect((await send(config, { type: 'contact', role: 'lead' })).ok).toBe(true);
    const res = await send(config, { type: 'contact', role: 'user', name: 'No Id' });
    expect(res).toMatchObject({ status: 0, error: { code: 'bad_request' } });
    expect(res.error!.message).toContain('externalId or email');
    expect(mock.sent()).toHaveLength(1);
  });

  test('409 (the contact exists) is conflict, not retryable, naming the existing contact', async () => {
    reply('/contacts', 'POST', 409, errorList({ code: 'conflict', message: 'A contact matching those details already exists with id=5f8a0b1c2d' }));
    const res = await send(config, CONTACT);
    expect(res).toMatchObject({ ok: false, status: 409, body: null, error: { code: 'conflict', retryable: false } });
    expect(res.error!.message).toContain('id 5f8a0b1c2d');
    expect(res.error!.message).toContain('PUT /contacts/5f8a0b1c2d');
    expect(res.error!.message).toContain('A contact matching those details already exists');
  });

  test('a contact answer without an id is invalid_response', async () => {
    reply('/contacts', 'POST', 200, { type: 'contact' });
    expect((await send(config, CONTACT)).error).toMatchObject({ code: 'invalid_response', retryable: false });
  });
});

describe('intercom error refinements', () => {
  test('the message lists errors[].code with field and text, and the request id', async () => {
    reply('/events', 'POST', 400, errorList({ code: 'parameter_invalid', field: 'event_name', message: 'Event name is too long' }, { code: 'parameter_not_found', message: 'created_at missing' }));
    const res = await send(config, EVENT);
    expect(res.error).toMatchObject({ code: 'bad_request', retryable: false });
    expect(res.error!.message).toBe('Intercom answered HTTP 400: parameter_invalid (event_name): Event name is too long; parameter_not_found: created_at missing [request req-7f3a]');
  });

  test('401 carries Intercom\'s code (unauthorized / token_revoked)', async () => {
    reply('/me', 'GET', 401, errorList({ code: 'token_revoked', message: 'Token revoked' }));
    const res = await test_(config);
    expect(res.error).toMatchObject({ code: 'unauthorized', retryable: false });
    expect(res.error!.message).toContain('token_revoked: Token revoked');
  });

  test('429 without Retry-After waits until X-RateLimit-Reset (epoch seconds)', async () => {
    const reset = Math.floor(Date.now() / 1000) + 20;
    reply('/events', 'POST', 429, errorList({ code: 'rate_limit_exceeded', message: 'Exceeded rate limit of 10000 in 10_seconds' }), { 'x-ratelimit-reset': String(reset), 'x-ratelimit-remaining': '0' });
    const res = await send(config, EVENT);
    expect(res.error).toMatchObject({ code: 'rate_limited', retryable: true });
    expect(res.error!.retryAfterMs).toBeGreaterThan(17_000);
    expect(res.error!.retryAfterMs).toBeLessThanOrEqual(20_000);
    expect(res.error!.message).toContain('rate_limit_exceeded');
  });

  test('Retry-After, when present, wins over X-RateLimit-Reset; a reset in the past waits 0', () => {
    const base = { ok: false, status: 429, latencyMs: 1, body: null, error: { code: 'rate_limited' as const, message: 'x', retryable: true } };
    const withRetryAfter = refineIntercomError({ ...base, error: { ...base.error, retryAfterMs: 3_000 }, headers: { 'x-ratelimit-reset': '1999999999' } }, [], 1_000_000_000_000);
    expect(withRetryAfter.error!.retryAfterMs).toBe(3_000);
    const past = refineIntercomError({ ...base, headers: { 'x-ratelimit-reset': '999999990' } }, [], 1_000_000_000_000);
    expect(past.error!.retryAfterMs).toBe(0);
    const exact = refineIntercomError({ ...base, headers: { 'x-ratelimit-reset': '1000000012' } }, [], 1_000_000_000_000);
    expect(exact.error!.retryAfterMs).toBe(12_000);
  });

  test('the exported schema is the one send validates with', () => {
    expect(intercomMessageSchema.safeParse(EVENT).success).toBe(true);
    expect(intercomMessageSchema.safeParse(CONTACT).success).toBe(true);
  });
});

// Intercom's OpenAPI (intercom/Intercom-OpenAPI descriptions/2.15/api.intercom.io.yaml, Intercom-Version
// 2.15; the same request schemas in 2.7-2.15, per SOURCES.md), with every declared object closed.
const eventsSpec = loadSpec('intercom.events-create.schema.json');
const contactsSpec = loadSpec('intercom.contacts-create.schema.json');
warnIfSpecsMissing('Intercom official-schema tests');

describe.skipIf(!specsAvailable || !eventsSpec || !contactsSpec)('intercom request bodies against the official schemas (Intercom-Version 2.15)', () => {
  test('every event body (user_id, email, id; with and without metadata) is a valid create_data_event_request', async () => {
    const check = compileSchema(closedDeep(eventsSpec!));
    const messages = [EVENT, { type: 'event', eventName: 'a', email: 'a@example.com' }, { type: 'event', eventName: 'b', id: '5f8a0b', metadata: { plan: 'pro' } }];
    for (const _ of messages) reply('/events', 'POST', 202, '');
    for (const m of messages) await send(config, m);
    for (const s of mock.sent()) expect(check(JSON.parse(String(s.body)))).toEqual([]);
  });

  test('every contact body is a valid create_contact_request', async () => {
    const check = compileSchema(closedDeep(contactsSpec!));
    const messages = [CONTACT, { type: 'contact', role: 'lead' }, { type: 'contact', role: 'user', email: 'b@example.com', phone: '+15005550006' }];
    for (const _ of messages) reply('/contacts', 'POST', 200, { type: 'contact', id: 'c1' });
    for (const m of messages) await send(config, m);
    for (const s of mock.sent()) expect(check(JSON.parse(String(s.body)))).toEqual([]);
  });

  test('the closed schemas have teeth: a camelCase field or a missing created_at is rejected', () => {
    const events = compileSchema(closedDeep(eventsSpec!));
    expect(events({ event_name: 'x', created_at: 1, user_id: '1', eventName: 'x' })).not.toEqual([]);
    expect(events({ event_name: 'x', user_id: '1' })).not.toEqual([]);
    expect(compileSchema(closedDeep(contactsSpec!))({ role: 'user', externalId: '1' })).not.toEqual([]);
  });
});
