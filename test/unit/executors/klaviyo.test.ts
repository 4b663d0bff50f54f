// Klaviyo executor against MockAgent: GET /api/accounts and POST /api/events in JSON:API form with
// the revision header, unique_id always set, the Create Event limits of the current stable spec
// enforced before sending, JSON:API error refinements, and the body checked against Klaviyo's own
// OpenAPI schema in ../shared/specs.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { CallOptions } from '../../../src/core/envelope.js';
import { klaviyoExecutor, klaviyoMessageSchema } from '../../../src/executors/klaviyo.js';
import { KLAVIYO_DEFAULT_REVISION, KLAVIYO_REVISIONS, klaviyo } from '../../../src/registry/connectors/klaviyo.js';
import { pathIs, useMockAgent } from '../../helpers/mock-agent.js';
import { closedDeep, compileSchema, loadSpec, specsAvailable, warnIfSpecsMissing } from '../../helpers/specs.js';
import { describeHttpContract } from './http-contract.js';

const mock = useMockAgent();

const KEY = 'pk_3f9a7c5e1b2d4f6a8c0e9b7d5f3a1c2e4b';
const ORIGIN = 'https://a.klaviyo.com';
const EVENTS = '/api/events';
const ACCOUNTS = '/api/accounts';
const JSON_API = 'application/vnd.api+json';
const config = { privateApiKey: KEY };
const MESSAGE = { metric: 'Order Placed', profile: { email: 'a@example.com' }, properties: { order_id: 'A1' }, time: '2025-01-01T00:00:00Z', value: 9.99, valueCurrency: 'USD' };
const ACCOUNTS_BODY = { data: [{ type: 'account', id: 'AbC123', attributes: { contact_information: { organization_name: 'Acme Inc', default_sender_email: 'x@acme.test' } } }] };

const send = (cfg: Record<string, unknown>, message: unknown, opts?: CallOptions) => klaviyoExecutor.send!(cfg as never, message, opts);
const test_ = (cfg: Record<string, unknown>, opts?: CallOptions) => klaviyoExecutor.testConnection(cfg as never, opts);
const sentJson = (i = 0) => JSON.parse(String(mock.sent()[i]!.body)) as { data: { type: string; attributes: Record<string, unknown> } };

function reply(path: string, method: 'GET' | 'POST', status: number, body: unknown, headers: Record<string, string> = {}) {
  mock.agent.get(ORIGIN).intercept({ path: pathIs(path), method })
    .reply(status, body === '' ? '' : JSON.stringify(body), { headers: { 'content-type': JSON_API, ...headers } });
}
const replyEvent = (status = 202, body: unknown = '', headers: Record<string, string> = {}) => reply(EVENTS, 'POST', status, body, headers);
const jsonApiErrors = (...errors: Record<string, unknown>[]) => ({ errors: errors.map((e, i) => ({ id: `e${i}`, status: 400, ...e })) });

describe('klaviyo testConnection', () => {
  test('GET /api/accounts/ with Klaviyo-API-Key, revision and JSON:API Accept → account summary', async () => {
    reply(ACCOUNTS, 'GET', 200, ACCOUNTS_BODY);
    const res = await test_(config);
    expect(res).toMatchObject({ ok: true, status: 200, body: { accountId: 'AbC123', organization: 'Acme Inc' } });
    const [sent] = mock.sent();
    expect(sent!.method).toBe('GET');
    expect(sent!.url.href).toBe(`${ORIGIN}${ACCOUNTS}`);
    expect(sent!.headers.authorization).toBe(`Klaviyo-API-Key ${KEY}`);
    expect(sent!.headers.revision).toBe(KLAVIYO_DEFAULT_REVISION);
    expect(sent!.headers.accept).toBe(JSON_API);
  });

  test('the configured revision is sent', async () => {
    reply(ACCOUNTS, 'GET', 200, ACCOUNTS_BODY);
    await test_({ ...config, revision: '2025-10-15' });
    expect(mock.sent()[0]!.headers.revision).toBe('2025-10-15');
  });

  test('an empty account list is invalid_response; a bad revision is invalid_config with nothing sent', async () => {
    reply(ACCOUNTS, 'GET', 200, { data: [] });
    expect((await test_(config)).error?.code).toBe('invalid_response');
    expect((await test_({ ...config, revision: 'latest' })).error?.code).toBe('invalid_config');
    expect(mock.sent()).toHaveLength(1);
  });

  test('403 for a key without accounts:read names the scope problem Klaviyo reports', async () => {
    reply(ACCOUNTS, 'GET', 403, jsonApiErrors({ status: 403, code: 'permission_denied', title: 'You do not have permission to perform this action.', detail: 'This API key is missing required scopes: accounts:read' }));
    const res = await test_(config);
    expect(res.error).toMatchObject({ code: 'forbidden', retryable: false });
    expect(res.error!.message).toBe('Klaviyo answered HTTP 403: permission_denied: This API key is missing required scopes: accounts:read');
  });

  describeHttpContract(mock, {
    config,
    secretField: 'privateApiKey',
    malformedSecret: 'sk_live_not_private',
    origin: ORIGIN,
    path: ACCOUNTS,
    call: test_,
    others: { send: (cfg, opts) => send(cfg, MESSAGE, opts) },
    okBody: ACCOUNTS_BODY,
    errorBody: (message) => jsonApiErrors({ code: 'not_found', title: 'Not found', detail: message }),
  });
});

describe('klaviyo send: POST /api/events/', () => {
  test('JSON:API envelope, JSON:API content types, revision; 202 empty → summary with the unique_id', async () => {
    replyEvent();
    const res = await send(config, MESSAGE, { idempotencyKey: 'evt-123' });
    expect(res).toEqual({ ok: true, status: 202, latencyMs: expect.any(Number), body: { accepted: true, metric: 'Order Placed', uniqueId: 'evt-123' } });
    const [sent] = mock.sent();
    expect(sent!.method).toBe('POST');
    expect(sent!.url.href).toBe(`${ORIGIN}${EVENTS}`);
    expect(sent!.headers['content-type']).toBe(JSON_API);
    expect(sent!.headers.accept).toBe(JSON_API);
    expect(sent!.headers.authorization).toBe(`Klaviyo-API-Key ${KEY}`);
    expect(sent!.headers.revision).toBe(KLAVIYO_DEFAULT_REVISION);
    expect(sentJson()).toEqual({
      data: {
        type: 'event',
        attributes: {
          properties: { order_id: 'A1' },
          metric: { data: { type: 'metric', attributes: { name: 'Order Placed' } } },
          profile: { data: { type: 'profile', attributes: { email: 'a@example.com' } } },
          time: '2025-01-01T00:00:00.000Z',
          value: 9.99,
          value_currency: 'USD',
          unique_id: 'evt-123',
        },
      },
    });
  });

  test('profile attributes are sent under Klaviyo\'s names; custom ones under properties; properties default to {}', async () => {
    replyEvent();
    await send(config, {
      metric: 'Signed Up',
      profile: { phoneNumber: '+15005550006', externalId: 'u-1', anonymousId: 'anon-1', firstName: 'Ann', lastName: 'Lee', location: { city: 'Oslo', latitude: 59.9 }, properties: { plan: 'pro' } },
    });
    const attributes = sentJson().data.attributes;
    expect(attributes.properties).toEqual({});
    expect(attributes.profile).toEqual({
      data: { type: 'profile', attributes: { phone_number: '+15005550006', external_id: 'u-1', anonymous_id: 'anon-1', first_name: 'Ann', last_name: 'Lee', location: { city: 'Oslo', latitude: 59.9 }, properties: { plan: 'pro' } } },
    });
    expect(attributes).not.toHaveProperty('time');
  });

  describe('unique_id (Klaviyo keeps the first event per profile, metric and unique_id)', () => {
    test('set from the call\'s idempotency key', async () => {
      replyEvent();
      await send(config, MESSAGE, { idempotencyKey: 'send:conn-1:evt-9' });
      expect(sentJson().data.attributes.unique_id).toBe('send:conn-1:evt-9');
    });

    test('an explicit uniqueId in the message wins', async () => {
      replyEvent();
      await send(config, { ...MESSAGE, uniqueId: 'order-A1' }, { idempotencyKey: 'send:conn-1:evt-9' });
      expect(sentJson().data.attributes.unique_id).toBe('order-A1');
    });

    test('a key over 255 characters is sent as its sha256 hex, the same every time', async () => {
      replyEvent();
      replyEvent();
      const long = 'k'.repeat(256);
      await send(config, MESSAGE, { idempotencyKey: long });
      await send(config, MESSAGE, { idempotencyKey: long });
      const hex = createHash('sha256').update(long).digest('hex');
      expect([sentJson(0).data.attributes.unique_id, sentJson(1).data.attributes.unique_id]).toEqual([hex, hex]);
    });

    test('always set, even without a key: two keyless sends in the same second get distinct ids (the default trap)', async () => {
      replyEvent();
      replyEvent();
      const { time: _t, ...untimed } = MESSAGE;
      await send(config, untimed);
      await send(config, untimed);
      const [a, b] = [sentJson(0).data.attributes.unique_id, sentJson(1).data.attributes.unique_id];
      expect(typeof a).toBe('string');
      expect((a as string).length).toBeGreaterThan(0);
      expect(a).not.toBe(b);
    });
  });

  test('invalid messages are bad_request naming the field, status 0, nothing sent', async () => {
    const nextYear = new Date(Date.now() + 400 * 24 * 3600 * 1000).toISOString();
    const bad: [unknown, string][] = [
      [{ profile: { email: 'a@example.com' } }, 'metric'],
      [{ metric: 'm', profile: {} }, 'needs an identifier'],
      [{ metric: 'm', profile: { email: 'a@example.com', favouriteColor: 'red' } }, 'put custom ones in profile.properties'],
      [{ metric: 'm', profile: { phoneNumber: '5005550006' } }, 'E.164'],
      [{ metric: 'm', profile: { email: 'a@example.com' }, time: '1989-12-31T23:59:59Z' }, 'after the year 1990'],
      [{ metric: 'm', profile: { email: 'a@example.com' }, time: nextYear }, 'one year from now'],
      [{ metric: 'm', profile: { email: 'a@example.com' }, time: 'yesterday' }, 'ISO-8601'],
      [{ metric: 'm', profile: { email: 'a@example.com' }, valueCurrency: 'usd' }, 'ISO 4217'],
      [{ metric: 'm', profile: { email: 'a@example.com' }, value: '9.99' }, 'value'],
      [{ metric: 'm', profile: { email: 'a@example.com' }, unique_id: 'x' }, 'unique_id'],
    ];
    for (const [message, mentions] of bad) {
      const res = await send(config, message);
      expect(res).toMatchObject({ ok: false, status: 0, latencyMs: 0, body: null, error: { code: 'bad_request', retryable: false } });
      expect(res.error!.message).toContain(mentions);
    }
    expect(mock.sent()).toHaveLength(0);
    expect(klaviyoMessageSchema.safeParse(MESSAGE).success).toBe(true);
  });

  test('JSON:API errors: each code, source.pointer and detail in the message', async () => {
    replyEvent(400, jsonApiErrors(
      { code: 'invalid', title: 'Invalid input.', detail: 'An identifier is required.', source: { pointer: '/data/attributes/profile/data/attributes' } },
      { code: 'invalid', title: 'Invalid input.', detail: "'time' must be after 2000", source: { pointer: '/data/attributes/time' } },
    ));
    const res = await send(config, MESSAGE);
    expect(res).toMatchObject({ ok: false, status: 400, error: { code: 'bad_request', retryable: false } });
    expect(res.error!.message).toBe("Klaviyo answered HTTP 400: invalid at /data/attributes/profile/data/attributes: An identifier is required.; invalid at /data/attributes/time: 'time' must be after 2000");
  });

  test('429 throttled: retryable with Retry-After, Klaviyo\'s detail in the message', async () => {
    replyEvent(429, jsonApiErrors({ status: 429, code: 'throttled', title: 'Request was throttled.', detail: 'Request was throttled. Expected available in 3 seconds.' }), { 'retry-after': '3' });
    const res = await send(config, MESSAGE);
    expect(res.error).toMatchObject({ code: 'rate_limited', retryable: true, retryAfterMs: 3_000 });
    expect(res.error!.message).toContain('throttled: Request was throttled. Expected available in 3 seconds.');
  });

  describe('contract of send (POST /api/events/)', () => {
    describeHttpContract(mock, {
      config,
      secretField: 'privateApiKey',
      malformedSecret: 'sk_live_not_private',
      origin: ORIGIN,
      path: EVENTS,
      method: 'POST',
      // 202 with an empty body: there is no success document to check.
      checksBody: false,
      call: (cfg, opts) => send(cfg, MESSAGE, opts),
      okBody: {},
      errorBody: (message) => jsonApiErrors({ code: 'invalid', title: 'Invalid input.', detail: message }),
    });
  });
});

describe('klaviyo paths as the spec declares them (no trailing slash)', () => {
  test('send posts to /api/events and the check reads /api/accounts, exactly', async () => {
    replyEvent();
    reply(ACCOUNTS, 'GET', 200, ACCOUNTS_BODY);
    await send(config, MESSAGE);
    await test_(config);
    expect(mock.sent().map((r) => `${r.method} ${r.url.pathname}${r.url.search}`)).toEqual(['POST /api/events', 'GET /api/accounts']);
  });
});

describe('klaviyo Create Event limits (stable spec, revision 2026-07-15)', () => {
  const base = { metric: 'Order Placed', profile: { email: 'a@example.com' } };
  const refused = async (message: unknown, mentions: string[]) => {
    const res = await send(config, message);
    expect(res).toMatchObject({ ok: false, status: 0, latencyMs: 0, body: null, error: { code: 'bad_request', retryable: false } });
    for (const m of mentions) expect(res.error!.message).toContain(m);
    return res;
  };

  test('time: 1995 is accepted now (the year-2000 floor is gone) and sent as given', async () => {
    replyEvent();
    const res = await send(config, { ...base, time: '1995-06-01T12:00:00Z' });
    expect(res.ok).toBe(true);
    expect(sentJson().data.attributes.time).toBe('1995-06-01T12:00:00.000Z');
  });

  test('time: before 1990 or beyond one year ahead is refused, naming time; just under a year ahead is sent', async () => {
    await refused({ ...base, time: '1989-12-31T23:59:59Z' }, ['time', 'after the year 1990']);
    await refused({ ...base, time: new Date(Date.now() + 366 * 24 * 3600 * 1000).toISOString() }, ['time', 'one year from now']);
    expect(mock.sent()).toHaveLength(0);
    replyEvent();
    expect((await send(config, { ...base, time: new Date(Date.now() + 364 * 24 * 3600 * 1000).toISOString() })).ok).toBe(true);
  });

  test('properties: 400 are sent, 401 are refused naming properties', async () => {
    const props = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, i]));
    await refused({ ...base, properties: props(401) }, ['properties', 'must not exceed 400 properties (got 401)']);
    expect(mock.sent()).toHaveLength(0);
    replyEvent();
    expect((await send(config, { ...base, properties: props(400) })).ok).toBe(true);
    expect(Object.keys(sentJson().data.attributes.properties as object)).toHaveLength(400);
  });

  test('properties: a string over 100 KB (UTF-8 bytes) is refused naming its path, nested ones too; 100 KB exactly is sent', async () => {
    await refused({ ...base, properties: { note: 'x'.repeat(100_001) } }, ['properties.note', '100001 bytes', '100 KB']);
    await refused({ ...base, properties: { items: [{ sku: 'a' }, { html: 'é'.repeat(50_001) }] } }, ['properties.items.1.html', '100002 bytes']);
    expect(mock.sent()).toHaveLength(0);
    replyEvent();
    expect((await send(config, { ...base, properties: { note: 'x'.repeat(100_000) } })).ok).toBe(true);
  });

  test('payload: an event over 5 MB is refused before sending, saying so; profile properties count too', async () => {
    const big = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`chunk${i}`, 'x'.repeat(99_000)]));
    const res = await refused({ ...base, properties: big }, ['event payload', '5 MB']);
    expect(res.error!.message).toMatch(/payload is \d+ bytes/);
    await refused({ metric: 'm', profile: { email: 'a@example.com', properties: big } }, ['5 MB']);
    expect(mock.sent()).toHaveLength(0);
  });
});

describe('klaviyo revision policy (versioning and deprecation policy: 2 years per revision)', () => {
  afterEach(() => vi.useRealTimers());
  const at = (iso: string) => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.parse(iso));
  };

  test('the revision field is a select of the listed revisions, defaulting to the newest stable spec revision', () => {
    const field = klaviyo.formSpec().authMethods[0]!.fields.find((f) => f.key === 'revision')!;
    expect(field.kind).toBe('select');
    expect(field.default).toBe('2026-07-15');
    expect(field.options!.map((o) => o.value)).toEqual(['2026-10-15', '2026-07-15', '2026-04-15', '2026-01-15', '2025-10-15', '2025-07-15', '2025-04-15', '2025-01-15', '2024-10-15']);
    expect(KLAVIYO_REVISIONS.current).toBe(KLAVIYO_DEFAULT_REVISION);
  });

  test('each revision retires two years after its release', () => {
    for (const v of KLAVIYO_REVISIONS.versions) {
      expect(v.released).toBe(v.version);
      expect(Date.parse(v.retiresOn!) - Date.parse(v.released!)).toBeGreaterThanOrEqual(730 * 86_400_000);
      expect(v.retiresOn!.slice(4)).toBe(v.version.slice(4));
    }
  });

  test('on 2026-12-02: 2024-10-15 is retired (refused with the valid list), 2025-01-15 expiring on 2027-01-15, 2026-10-15 accepted and sent', async () => {
    at('2026-12-02T00:00:00Z');
    const retired = await test_({ ...config, revision: '2024-10-15' });
    expect(retired.error?.code).toBe('invalid_config');
    expect(retired.error!.message).toContain('retired on 2026-10-15');
    expect(klaviyo.versionStatus({ ...config, revision: '2025-01-15' })).toMatchObject({ state: 'expiring', date: '2027-01-15' });
    expect(klaviyo.versionStatus({ ...config })).toMatchObject({ state: 'current', date: '2028-07-15' });
    for (const revision of ['2025-01-15.pre', '2026-08-15', 'latest']) expect((await test_({ ...config, revision })).error?.code).toBe('invalid_config');
    expect(mock.sent()).toHaveLength(0);
    reply(ACCOUNTS, 'GET', 200, ACCOUNTS_BODY);
    await test_({ ...config, revision: '2026-10-15' });
    expect(mock.sent()[0]!.headers.revision).toBe('2026-10-15');
  });
});

// Klaviyo's OpenAPI (klaviyo/openapi openapi/stable/apis/create_event.json at f0a30ba41254, revision
// 2026-07-15 = the connector's default revision, per SOURCES.md), with every declared object closed.
const eventSpec = loadSpec('klaviyo.events-create.schema.json');
warnIfSpecsMissing('Klaviyo official-schema tests');

describe.skipIf(!specsAvailable || !eventSpec)('klaviyo request bodies against the official schema (revision 2026-07-15)', () => {
  test('the connector\'s default revision is the one the schema was taken from', () => {
    expect(KLAVIYO_DEFAULT_REVISION).toBe('2026-07-15');
  });

  test('every event body (minimal, full profile, hashed unique_id) is a valid EventCreateQueryV2', async () => {
    const check = compileSchema(closedDeep(eventSpec!));
    replyEvent();
    replyEvent();
    replyEvent();
    await send(config, MESSAGE, { idempotencyKey: 'evt-1' });
    await send(config, { metric: 'm', profile: { externalId: 'u-1' } });
    await send(config, {
      metric: 'Signed Up', uniqueId: 'u-1-signup',
      profile: { email: 'a@example.com', phoneNumber: '+15005550006', firstName: 'Ann', organization: 'Acme', title: 'CTO', image: 'https://x.test/a.png', locale: 'en-US', location: { city: 'Oslo', latitude: '59.9', zip: null }, properties: { plan: 'pro' } },
    }, { idempotencyKey: 'x'.repeat(400) });
    for (const s of mock.sent()) expect(check(JSON.parse(String(s.body)))).toEqual([]);
  });

  test('the closed schema has teeth: a camelCase profile attribute or a missing properties is rejected', () => {
    const check = compileSchema(closedDeep(eventSpec!));
    const valid = { data: { type: 'event', attributes: { properties: {}, metric: { data: { type: 'metric', attributes: { name: 'm' } } }, profile: { data: { type: 'profile', attributes: { email: 'a@example.com' } } } } } };
    expect(check(valid)).toEqual([]);
    const camel = structuredClone(valid) as { data: { attributes: { profile: { data: { attributes: Record<string, unknown> } }; properties?: unknown } } };
    camel.data.attributes.profile.data.attributes.phoneNumber = '+15005550006';
    expect(check(camel)).not.toEqual([]);
    const noProps = structuredClone(valid) as { data: { attributes: { properties?: unknown } } };
    delete noProps.data.attributes.properties;
    expect(check(noProps)).not.toEqual([]);
  });
});

describe('klaviyo has no batch endpoint (see the registry file: Bulk Create Events reports no per-event result)', () => {
  test('no capabilities.batch and no sendBatch: pipelines send one record at a time, keeping unique_id de-duplication', () => {
    expect(klaviyo.capabilities.batch).toBeUndefined();
    expect(klaviyoExecutor.sendBatch).toBeUndefined();
    expect(typeof klaviyoExecutor.send).toBe('function');
    expect(klaviyo.idempotency).toMatchObject({ supported: true, via: 'unique_id' });
  });
});
