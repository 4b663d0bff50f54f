// The destination emulators (src/sandbox/destinations): Segment /v1/batch, Braze /users/track and
// Kinesis PutRecords, driven through the real executors where they exist (baseUrlOverride, sandbox
// mode) and through plain HTTP where the executor would refuse before sending. Covers recording once,
// duplicates, per-item rejection, 429 bursts with Retry-After, 5xx bursts, Kinesis per-record
// throttling, the providers' limits, wrong credentials and the HTTP fault endpoint.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { signAwsJsonPost } from '../../src/executors/aws-sigv4.js';
import { getExecutor } from '../../src/executors/index.js';
import {
  SANDBOX_BRAZE,
  SANDBOX_KINESIS,
  SANDBOX_SEGMENT,
  startDestinations,
  startKinesisEmulator,
  startSegmentEmulator,
  type Destinations,
} from '../../src/sandbox/destinations/index.js';

process.env.PIPELINE_SANDBOX = '1';

const segmentExec = getExecutor('segment');
const brazeExec = getExecutor('braze');
const kinesisExec = getExecutor('kinesis');

let d: Destinations;

beforeAll(async () => {
  d = await startDestinations();
});

afterAll(async () => {
  await d?.close();
});

beforeEach(() => {
  for (const e of [d.segment, d.braze, d.kinesis]) {
    e.faults.reset();
    e.reset();
  }
});

const segmentConfig = { ...SANDBOX_SEGMENT };
const brazeConfig = { ...SANDBOX_BRAZE };
const kinesisConfig = { ...SANDBOX_KINESIS };

const track = (i: number, extra: Record<string, unknown> = {}) => ({
  type: 'track',
  userId: `user-${i}`,
  event: 'Order Placed',
  properties: { orderId: `o-${i}`, total: 10 + i, ...extra },
});

const postJson = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

const segmentAuth = (key: string = SANDBOX_SEGMENT.writeKey) => ({ authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` });

/** A signed Kinesis call made by hand (for requests the executor would refuse to send). */
async function kinesisCall(url: string, operation: string, payload: unknown, creds: { accessKeyId: string; secretAccessKey: string } = SANDBOX_KINESIS) {
  const body = JSON.stringify(payload);
  const headers = await signAwsJsonPost({
    url: new URL(`${url}/`),
    region: SANDBOX_KINESIS.region,
    service: 'kinesis',
    target: `Kinesis_20131202.${operation}`,
    contentType: 'application/x-amz-json-1.1',
    body,
    credentials: creds,
  });
  const res = await fetch(`${url}/`, { method: 'POST', headers, body });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

const record = (i: number, extra: Record<string, unknown> = {}) => ({ data: { eventId: `e-${i}`, n: i, ...extra }, partitionKey: `pk-${i}` });

describe('Segment emulator', () => {
  test('an accepted batch is recorded once, with its messageIds, time and credential', async () => {
    const res = await segmentExec.sendBatch!(segmentConfig, [track(1), track(2), track(3)], { baseUrlOverride: d.segment.url, idempotencyKeys: ['k1', 'k2', 'k3'] });
    expect(res).toMatchObject({ ok: true, status: 200, body: { items: [{ ok: true, id: 'k1' }, { ok: true, id: 'k2' }, { ok: true, id: 'k3' }] } });
    expect(d.segment.received).toHaveLength(3);
    expect(d.segment.received[0]).toMatchObject({ item: { type: 'track', userId: 'user-1', event: 'Order Placed', messageId: 'k1' }, credential: SANDBOX_SEGMENT.writeKey, request: 1 });
    expect(typeof d.segment.received[0]!.at).toBe('number');
    expect(d.segment.unique().map((e) => e.messageId)).toEqual(['k1', 'k2', 'k3']);
    expect(d.segment.duplicates()).toEqual([]);
    expect(d.segment.requests).toEqual([expect.objectContaining({ method: 'POST', path: '/v1/batch', status: 200, items: 3, accepted: 3 })]);
    expect(d.segment.stats()).toMatchObject({ calls: 1, itemsAccepted: 3, itemsRejected: 0, rateLimited: 0, serverErrors: 0 });
  });

  test('single calls /v1/track, /v1/identify and /v1/group are accepted and typed by their path', async () => {
    expect((await segmentExec.send!(segmentConfig, track(1), { baseUrlOverride: d.segment.url, idempotencyKey: 't1' })).ok).toBe(true);
    expect((await segmentExec.send!(segmentConfig, { type: 'identify', userId: 'u', traits: { plan: 'pro' } }, { baseUrlOverride: d.segment.url })).ok).toBe(true);
    expect((await segmentExec.send!(segmentConfig, { type: 'group', userId: 'u', groupId: 'g1' }, { baseUrlOverride: d.segment.url })).ok).toBe(true);
    expect(d.segment.received.map((r) => r.item.type)).toEqual(['track', 'identify', 'group']);
    expect(d.segment.requests.map((r) => r.path)).toEqual(['/v1/track', '/v1/identify', '/v1/group']);
  });

  test('a batch sent twice is kept twice; duplicates() names the messageIds, unique() is what Segment keeps', async () => {
    const opts = { baseUrlOverride: d.segment.url, idempotencyKeys: ['a', 'b'] };
    await segmentExec.sendBatch!(segmentConfig, [track(1), track(2)], opts);
    await segmentExec.sendBatch!(segmentConfig, [track(1), track(2)], opts);
    expect(d.segment.received).toHaveLength(4);
    expect(d.segment.unique()).toHaveLength(2);
    expect(d.segment.duplicates()).toEqual([{ key: 'a', count: 2 }, { key: 'b', count: 2 }]);
  });

  test('a 5xx after acceptance (ambiguous outcome) makes the retry a duplicate that Segment would de-duplicate', async () => {
    d.segment.faults.set({ fail5xx: { count: 1, status: 502, afterAccept: true } });
    const opts = { baseUrlOverride: d.segment.url, idempotencyKeys: ['x1', 'x2'] };
    const first = await segmentExec.sendBatch!(segmentConfig, [track(1), track(2)], opts);
    expect(first).toMatchObject({ ok: false, status: 502, error: { retryable: true } });
    const retry = await segmentExec.sendBatch!(segmentConfig, [track(1), track(2)], opts);
    expect(retry.ok).toBe(true);
    expect(d.segment.received).toHaveLength(4);
    expect(d.segment.unique()).toHaveLength(2);
    expect(d.segment.duplicates().map((g) => g.key)).toEqual(['x1', 'x2']);
  });

  test('a rejected item makes Segment refuse the whole batch with 400; the executor fails the batch as bad_request', async () => {
    d.segment.faults.set({ rejectItems: { field: 'properties.plan', equals: 'bad' } });
    const res = await segmentExec.sendBatch!(segmentConfig, [track(1), track(2, { plan: 'bad' })], { baseUrlOverride: d.segment.url });
    expect(res).toMatchObject({ ok: false, status: 400, error: { code: 'bad_request', retryable: false } });
    expect(d.segment.received).toHaveLength(0);
    const raw = await postJson(`${d.segment.url}/v1/batch`, { batch: [track(1, { plan: 'bad' })] }, segmentAuth());
    expect(raw.status).toBe(400);
    expect(await raw.json()).toEqual({ success: false, message: 'batch[0]: invalid value of properties.plan' });
    // A predicate in process, with its own error text.
    d.segment.faults.set({ rejectItems: (e) => ((e as { userId?: string }).userId === 'user-7' ? 'user 7 is blocked' : false) });
    const blocked = await postJson(`${d.segment.url}/v1/batch`, { batch: [track(6), track(7)] }, segmentAuth());
    expect(await blocked.json()).toEqual({ success: false, message: 'batch[1]: user 7 is blocked' });
    expect(d.segment.stats()).toMatchObject({ itemsRejected: 5, itemsAccepted: 0 });
  });

  test('a 429 burst answers Retry-After, which the executor reports, then the batch goes through', async () => {
    d.segment.faults.set({ rateLimitStorm: 2, retryAfterSec: 2 });
    const opts = { baseUrlOverride: d.segment.url, idempotencyKeys: ['r1'] };
    for (let i = 0; i < 2; i++) {
      const res = await segmentExec.sendBatch!(segmentConfig, [track(1)], opts);
      expect(res).toMatchObject({ ok: false, status: 429, error: { code: 'rate_limited', retryable: true, retryAfterMs: 2000 } });
    }
    expect((await segmentExec.sendBatch!(segmentConfig, [track(1)], opts)).ok).toBe(true);
    expect(d.segment.received).toHaveLength(1);
    expect(d.segment.stats()).toMatchObject({ calls: 3, rateLimited: 2, itemsAccepted: 1 });
    const raw = await (async () => {
      d.segment.faults.set({ rateLimitStorm: 1 });
      return postJson(`${d.segment.url}/v1/batch`, { batch: [track(1)] }, segmentAuth());
    })();
    expect(raw.status).toBe(429);
    expect(raw.headers.get('retry-after')).toBe('1');
    expect(raw.headers.get('x-ratelimit-reset')).toBe('1');
  });

  test('a 5xx burst fails retryably and records nothing, then succeeds', async () => {
    d.segment.faults.set({ fail5xx: { count: 2, status: 503 } });
    for (let i = 0; i < 2; i++) {
      const res = await segmentExec.sendBatch!(segmentConfig, [track(1)], { baseUrlOverride: d.segment.url });
      expect(res).toMatchObject({ ok: false, status: 503, error: { code: 'upstream_unavailable', retryable: true } });
    }
    expect(d.segment.received).toHaveLength(0);
    expect((await segmentExec.sendBatch!(segmentConfig, [track(1)], { baseUrlOverride: d.segment.url })).ok).toBe(true);
    expect(d.segment.stats()).toMatchObject({ serverErrors: 2, itemsAccepted: 1 });
  });

  test('limits: over 500 KB or an event over 32 KB is 400 from Segment; the executor refuses such a batch before sending', async () => {
    const big = 'x'.repeat(20_000);
    const events = Array.from({ length: 26 }, (_, i) => track(i, { blob: big }));
    const raw = await postJson(`${d.segment.url}/v1/batch`, { batch: events }, segmentAuth());
    expect(raw.status).toBe(400);
    expect(((await raw.json()) as { message: string }).message).toMatch(/^Exceed payload limit/);
    const res = await segmentExec.sendBatch!(segmentConfig, events, { baseUrlOverride: d.segment.url });
    expect(res).toMatchObject({ ok: false, status: 0, error: { code: 'payload_too_large' } });
    const oneBig = await postJson(`${d.segment.url}/v1/batch`, { batch: [track(1), track(2, { blob: 'y'.repeat(33_000) })] }, segmentAuth());
    expect(oneBig.status).toBe(400);
    expect(((await oneBig.json()) as { message: string }).message).toBe('Exceed payload limit: batch[1] is over 32768 bytes');
    const single = await postJson(`${d.segment.url}/v1/track`, track(1, { blob: 'z'.repeat(33_000) }), segmentAuth());
    expect(single.status).toBe(400);
    expect(d.segment.received).toHaveLength(0);
    expect(d.segment.requests).toHaveLength(3);
  });

  test('over 2,500 events: 400 in strict mode; Segment as documented (strict: false) answers 200 and drops the excess', async () => {
    const events = Array.from({ length: 2_501 }, (_, i) => ({ type: 'track', userId: `u${i}`, event: 'e', messageId: `m${i}` }));
    const strict = await postJson(`${d.segment.url}/v1/batch`, { batch: events }, segmentAuth());
    expect(strict.status).toBe(400);
    const lenient = await startSegmentEmulator({ strict: false });
    try {
      const res = await postJson(`${lenient.url}/v1/batch`, { batch: [...events, { type: 'track', event: 'no user' }] }, segmentAuth());
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ success: true });
      expect(lenient.received).toHaveLength(2_500);
      expect(lenient.dropped.map((x) => x.reason)).toEqual(['over the 2500-event batch limit', 'over the 2500-event batch limit']);
      // A wrong write key: 200, and everything silently dropped.
      const wrong = await postJson(`${lenient.url}/v1/batch`, { batch: [track(1)] }, segmentAuth('not-the-key-000'));
      expect(wrong.status).toBe(200);
      expect(lenient.received).toHaveLength(2_500);
      expect(lenient.dropped.at(-1)).toMatchObject({ reason: 'invalid write key', credential: 'not-the-key-000' });
    } finally {
      await lenient.close();
    }
  });

  test('an event without userId/anonymousId or a track without event is refused (strict)', async () => {
    const noUser = await postJson(`${d.segment.url}/v1/batch`, { batch: [{ type: 'track', event: 'x' }] }, segmentAuth());
    expect(noUser.status).toBe(400);
    expect(((await noUser.json()) as { message: string }).message).toBe('batch[0]: no_user_anon_id');
    const noType = await postJson(`${d.segment.url}/v1/batch`, { batch: [{ userId: 'u', event: 'x' }] }, segmentAuth());
    expect(noType.status).toBe(400);
    const noEvent = await postJson(`${d.segment.url}/v1/batch`, { batch: [{ type: 'track', userId: 'u' }] }, segmentAuth());
    expect(noEvent.status).toBe(400);
    const badJson = await postJson(`${d.segment.url}/v1/batch`, '{"batch": [', segmentAuth());
    expect(badJson.status).toBe(400);
    // The write key may travel in the body instead of the header.
    const inBody = await postJson(`${d.segment.url}/v1/batch`, { batch: [track(1)], writeKey: SANDBOX_SEGMENT.writeKey });
    expect(inBody.status).toBe(200);
  });

  test('a wrong write key is 401 (strict); the executor reports unauthorized', async () => {
    const res = await segmentExec.sendBatch!({ writeKey: 'wrongWriteKey123' }, [track(1)], { baseUrlOverride: d.segment.url });
    expect(res).toMatchObject({ ok: false, status: 401, error: { code: 'unauthorized' } });
    const raw = await postJson(`${d.segment.url}/v1/batch`, { batch: [track(1)] });
    expect(raw.status).toBe(401);
    expect(d.segment.received).toHaveLength(0);
  });

  test('a steady rate limit per write key answers 429 with Retry-After once the bucket is empty', async () => {
    d.segment.faults.set({ rateLimit: { perSecond: 1, burst: 2 } });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await postJson(`${d.segment.url}/v1/batch`, { batch: [track(i)] }, segmentAuth())).status);
    expect(statuses).toEqual([200, 200, 429]);
    d.segment.faults.set({ providerLimits: false });
    expect((await postJson(`${d.segment.url}/v1/batch`, { batch: [track(9)] }, segmentAuth())).status).toBe(200);
  });

  test('latency is added per request', async () => {
    d.segment.faults.set({ latencyMs: 60 });
    const t0 = Date.now();
    await postJson(`${d.segment.url}/v1/batch`, { batch: [track(1)] }, segmentAuth());
    expect(Date.now() - t0).toBeGreaterThanOrEqual(55);
  });
});

describe('Braze emulator', () => {
  const event = (i: number, extra: Record<string, unknown> = {}) => ({ external_id: `user-${i}`, name: 'order_placed', time: '2025-01-01T00:00:00Z', properties: { n: i }, ...extra });
  const bearerAuth = (key: string = SANDBOX_BRAZE.apiKey) => ({ authorization: `Bearer ${key}` });

  test('send: the executor\'s /users/track is answered 201 success and every object is recorded once', async () => {
    const res = await brazeExec.send!(brazeConfig, { events: [event(1), event(2)], attributes: [{ external_id: 'user-1', plan: 'pro' }] }, { baseUrlOverride: d.braze.url });
    expect(res).toMatchObject({ ok: true, status: 201, body: { eventsProcessed: 2, attributesProcessed: 1, purchasesProcessed: 0, nonFatalErrors: 0 } });
    expect(d.braze.received.map((r) => `${r.item.array}[${r.item.index}]`)).toEqual(['attributes[0]', 'events[0]', 'events[1]']);
    expect(d.braze.received[1]).toMatchObject({ credential: SANDBOX_BRAZE.apiKey, item: { object: { external_id: 'user-1', name: 'order_placed' } } });
    expect(d.braze.stats()).toMatchObject({ calls: 1, itemsAccepted: 3, itemsRejected: 0 });
    expect((await brazeExec.testConnection(brazeConfig, { baseUrlOverride: d.braze.url })).body).toEqual({ events: 1 });
  });

  test('a batch of objects over plain HTTP: success body with the processed counts and the rate-limit headers', async () => {
    const res = await postJson(`${d.braze.url}/users/track`, { events: [event(1)], purchases: [{ external_id: 'u', product_id: 'p', currency: 'USD', price: 9.5, time: '2025-01-01T00:00:00Z' }] }, bearerAuth());
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ message: 'success', events_processed: 1, purchases_processed: 1 });
    expect(res.headers.get('x-ratelimit-limit')).toBe('3000');
    expect(Number(res.headers.get('x-ratelimit-remaining'))).toBeGreaterThan(2990);
    expect(Number(res.headers.get('x-ratelimit-reset'))).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000));
  });

  test('partially invalid objects: 201 with Braze\'s minor errors naming array and index; the rest are applied', async () => {
    const res = await postJson(`${d.braze.url}/users/track`, {
      events: [event(1), { name: 'no_user', time: '2025-01-01T00:00:00Z' }, { external_id: 'u', time: '2025-01-01T00:00:00Z' }],
      purchases: [{ external_id: 'u', product_id: 'p', currency: 'usd', price: 1, time: '2025-01-01T00:00:00Z' }],
    }, bearerAuth());
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({
      message: 'success',
      events_processed: 1,
      purchases_processed: 0,
      errors: [
        { type: "'external_id', 'braze_id', 'user_alias', 'email' or 'phone' is required", input_array: 'events', index: 1 },
        { type: "'name' is required", input_array: 'events', index: 2 },
        { type: "'currency' must be an ISO 4217 currency", input_array: 'purchases', index: 0 },
      ],
    });
    expect(d.braze.received).toHaveLength(1);
    expect(d.braze.stats()).toMatchObject({ itemsAccepted: 1, itemsRejected: 3 });
    // Nothing valid at all: the fatal answer.
    const none = await postJson(`${d.braze.url}/users/track`, { events: [{ name: 'x', time: '2025-01-01T00:00:00Z' }] }, bearerAuth());
    expect(none.status).toBe(400);
    expect(await none.json()).toMatchObject({ message: "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields.", errors: [{ input_array: 'events', index: 0 }] });
  });

  test('rejectItems yields a minor error, which the executor reports per object', async () => {
    d.braze.faults.set({ rejectItems: { field: 'external_id', equals: 'user-2' } });
    const res = await brazeExec.send!(brazeConfig, { events: [event(1), event(2), event(3)] }, { baseUrlOverride: d.braze.url });
    expect(res).toMatchObject({ ok: true, status: 201, body: { eventsProcessed: 2, nonFatalErrors: 1, errors: ["events[1]: 'external_id' is not valid"] } });
    expect(d.braze.received.map((r) => r.item.object.external_id)).toEqual(['user-1', 'user-3']);
  });

  test('Braze does not de-duplicate: a replayed event is recorded twice and duplicates(keyFn) finds it', async () => {
    for (let i = 0; i < 2; i++) await postJson(`${d.braze.url}/users/track`, { events: [event(1), event(2)] }, bearerAuth());
    await postJson(`${d.braze.url}/users/track`, { events: [event(3)] }, bearerAuth());
    expect(d.braze.received).toHaveLength(5);
    const key = (o: { object: Record<string, unknown> }) => `${o.object.external_id}|${o.object.name}|${o.object.time}`;
    expect(d.braze.duplicates(key)).toEqual([
      { key: 'user-1|order_placed|2025-01-01T00:00:00Z', count: 2 },
      { key: 'user-2|order_placed|2025-01-01T00:00:00Z', count: 2 },
    ]);
    expect(d.braze.duplicates()).toHaveLength(2);
  });

  test('limits: 76 objects in one array is 400 Max Input Length Exceeded; 75 in each of the three arrays is accepted', async () => {
    const seventySix = Array.from({ length: 76 }, (_, i) => event(i));
    const res = await postJson(`${d.braze.url}/users/track`, { events: seventySix }, bearerAuth());
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ message: 'Max Input Length Exceeded' });
    expect(d.braze.received).toHaveLength(0);
    const full = await postJson(`${d.braze.url}/users/track`, {
      events: Array.from({ length: 75 }, (_, i) => event(i)),
      attributes: Array.from({ length: 75 }, (_, i) => ({ external_id: `user-${i}`, seen: true })),
      purchases: Array.from({ length: 75 }, (_, i) => ({ external_id: `user-${i}`, product_id: 'p', currency: 'EUR', price: i, time: '2025-01-01T00:00:00Z' })),
    }, bearerAuth());
    expect(full.status).toBe(201);
    expect(d.braze.received).toHaveLength(225);
  });

  test('a wrong or missing REST key is 401; the executor reports unauthorized', async () => {
    const res = await brazeExec.send!({ ...brazeConfig, apiKey: 'not-the-sandbox-key-0001' }, { events: [event(1)] }, { baseUrlOverride: d.braze.url });
    expect(res).toMatchObject({ ok: false, status: 401, error: { code: 'unauthorized' } });
    const raw = await postJson(`${d.braze.url}/users/track`, { events: [event(1)] });
    expect(raw.status).toBe(401);
    expect(await raw.json()).toEqual({ message: 'Missing REST API key: send Authorization: Bearer <key>' });
    expect(d.braze.received).toHaveLength(0);
  });

  test('a 429 burst with Retry-After, then success; a 5xx burst, then success', async () => {
    d.braze.faults.set({ rateLimitStorm: 1, retryAfterSec: 3, fail5xx: { count: 1, status: 500 } });
    const limited = await brazeExec.send!(brazeConfig, { events: [event(1)] }, { baseUrlOverride: d.braze.url });
    expect(limited).toMatchObject({ ok: false, status: 429, error: { code: 'rate_limited', retryAfterMs: 3000 } });
    const failed = await brazeExec.send!(brazeConfig, { events: [event(1)] }, { baseUrlOverride: d.braze.url });
    expect(failed).toMatchObject({ ok: false, status: 500, error: { retryable: true } });
    const ok = await brazeExec.send!(brazeConfig, { events: [event(1)] }, { baseUrlOverride: d.braze.url });
    expect(ok.ok).toBe(true);
    expect(d.braze.received).toHaveLength(1);
    expect(d.braze.stats()).toMatchObject({ calls: 3, rateLimited: 1, serverErrors: 1, itemsAccepted: 1 });
  });

  test('the documented rate (3,000 requests per 3 s per key) answers 429 beyond it', async () => {
    d.braze.faults.set({ rateLimit: { perSecond: 1, burst: 1 } });
    expect((await postJson(`${d.braze.url}/users/track`, { events: [event(1)] }, bearerAuth())).status).toBe(201);
    const over = await postJson(`${d.braze.url}/users/track`, { events: [event(2)] }, bearerAuth());
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toBe('1');
    expect(over.headers.get('x-ratelimit-remaining')).toBe('0');
  });
});

describe('Kinesis emulator', () => {
  test('PutRecords through the executor: every record written once, decoded, on the shard its MD5 names', async () => {
    const res = await kinesisExec.sendBatch!(kinesisConfig, [record(1), record(2), record(3)], { baseUrlOverride: d.kinesis.url });
    expect(res.ok).toBe(true);
    const items = res.body!.items;
    expect(items.every((i) => i.ok && /^49\d{54}$/.test(i.id!))).toBe(true);
    expect(d.kinesis.received.map((r) => r.item.partitionKey)).toEqual(['pk-1', 'pk-2', 'pk-3']);
    expect(JSON.parse(d.kinesis.received[0]!.item.data)).toEqual({ eventId: 'e-1', n: 1 });
    expect(d.kinesis.received[0]).toMatchObject({ credential: SANDBOX_KINESIS.accessKeyId, item: { stream: SANDBOX_KINESIS.streamName, sequenceNumber: items[0]!.id } });
    expect(d.kinesis.received.every((r) => /^shardId-00000000000[0-3]$/.test(r.item.shardId))).toBe(true);
    expect(d.kinesis.duplicates()).toEqual([]);
    // Same partition key, same shard.
    await kinesisExec.sendBatch!(kinesisConfig, [record(1, { again: true })], { baseUrlOverride: d.kinesis.url });
    expect(d.kinesis.received[3]!.item.shardId).toBe(d.kinesis.received[0]!.item.shardId);
  });

  test('PutRecord (send) and DescribeStreamSummary (testConnection)', async () => {
    const sent = await kinesisExec.send!(kinesisConfig, record(7), { baseUrlOverride: d.kinesis.url });
    expect(sent).toMatchObject({ ok: true, body: { ShardId: expect.stringMatching(/^shardId-/), SequenceNumber: expect.any(String), EncryptionType: 'NONE' } });
    const tc = await kinesisExec.testConnection(kinesisConfig, { baseUrlOverride: d.kinesis.url });
    expect(tc).toMatchObject({ ok: true, body: { streamName: SANDBOX_KINESIS.streamName, streamArn: d.kinesis.streamArn, streamStatus: 'ACTIVE', openShardCount: 4, streamMode: 'PROVISIONED' } });
    const missing = await kinesisExec.testConnection({ ...kinesisConfig, streamName: 'nope' }, { baseUrlOverride: d.kinesis.url });
    expect(missing).toMatchObject({ ok: false, status: 400, error: { code: 'not_found' } });
  });

  test('per-record throttling (throttleRecords share) gives FailedRecordCount > 0 on exactly the chosen records', async () => {
    d.kinesis.faults.set({ throttleRecords: { share: 0.5 } });
    const raw = await kinesisCall(d.kinesis.url, 'PutRecords', {
      StreamName: SANDBOX_KINESIS.streamName,
      Records: [1, 2, 3, 4].map((i) => ({ Data: Buffer.from(`r${i}`).toString('base64'), PartitionKey: `pk-${i}` })),
    });
    expect(raw.status).toBe(200);
    expect(raw.body.FailedRecordCount).toBe(2);
    const results = raw.body.Records as Record<string, string>[];
    expect(results.map((r) => r.ErrorCode ?? 'ok')).toEqual(['ok', 'ProvisionedThroughputExceededException', 'ok', 'ProvisionedThroughputExceededException']);
    expect(results[1]!.ErrorMessage).toMatch(/^Rate exceeded for shard shardId-\d{12} in stream sandbox-events under account 123456789012\.$/);
    // Through the executor: the throttled records fail as rate_limited, the others carry their sequence numbers.
    d.kinesis.faults.set({ throttleRecords: { count: 1 } });
    const res = await kinesisExec.sendBatch!(kinesisConfig, [record(1), record(2)], { baseUrlOverride: d.kinesis.url });
    expect(res.ok).toBe(true);
    expect(res.body!.items[0]).toMatchObject({ ok: false, error: { code: 'rate_limited', retryable: true } });
    expect(res.body!.items[1]).toMatchObject({ ok: true });
    expect(d.kinesis.stats()).toMatchObject({ itemsAccepted: 3, itemsThrottled: 3, itemsRejected: 3 });
  });

  test('the per-shard limit (1,000 records/s) throttles the records beyond it, and only those', async () => {
    const one = await startKinesisEmulator({ streams: [{ name: SANDBOX_KINESIS.streamName, shards: 1 }] });
    try {
      const batch = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ data: `r${from + i}`, partitionKey: `pk-${from + i}` }));
      const a = await kinesisExec.sendBatch!(kinesisConfig, batch(0, 500), { baseUrlOverride: one.url });
      const b = await kinesisExec.sendBatch!(kinesisConfig, batch(500, 500), { baseUrlOverride: one.url });
      expect(a.body!.items.every((i) => i.ok) && b.body!.items.every((i) => i.ok)).toBe(true);
      // 500 more: the bucket refills 1,000 a second, so only a fraction of them can fit however slow the run.
      const c = await kinesisExec.sendBatch!(kinesisConfig, batch(1000, 500), { baseUrlOverride: one.url });
      expect(c.ok).toBe(true);
      const oks = c.body!.items.map((i) => i.ok);
      const firstFailed = oks.indexOf(false);
      expect(firstFailed).toBeGreaterThanOrEqual(0);
      expect(firstFailed).toBeLessThan(500);
      // The bucket refills only the records of the milliseconds between calls: the failures are the tail.
      expect(oks.slice(firstFailed).every((x) => !x)).toBe(true);
      expect(c.body!.items[firstFailed]!.error).toMatchObject({ code: 'rate_limited' });
      expect(one.received).toHaveLength(1000 + firstFailed);
      expect(one.stats().itemsThrottled).toBe(500 - firstFailed);
    } finally {
      await one.close();
    }
  });

  test('rejectItems makes the chosen record fail with InternalFailure (Kinesis\'s only other per-record error)', async () => {
    d.kinesis.faults.set({ rejectItems: { field: 'data.poison', equals: true } });
    const res = await kinesisExec.sendBatch!(kinesisConfig, [record(1), record(2, { poison: true }), record(3)], { baseUrlOverride: d.kinesis.url });
    expect(res.ok).toBe(true);
    expect(res.body!.items.map((i) => i.ok)).toEqual([true, false, true]);
    expect(res.body!.items[1]!.error).toMatchObject({ code: 'upstream_error', retryable: true });
    expect(res.body!.items[1]!.error!.message).toContain('InternalFailure');
    expect(d.kinesis.received.map((r) => r.item.partitionKey)).toEqual(['pk-1', 'pk-3']);
  });

  test('Kinesis does not de-duplicate: a resent record is written twice and duplicates() finds it', async () => {
    await kinesisExec.sendBatch!(kinesisConfig, [record(1), record(2)], { baseUrlOverride: d.kinesis.url });
    await kinesisExec.sendBatch!(kinesisConfig, [record(2)], { baseUrlOverride: d.kinesis.url });
    expect(d.kinesis.received).toHaveLength(3);
    expect(d.kinesis.duplicates((r) => (JSON.parse(r.data) as { eventId: string }).eventId)).toEqual([{ key: 'e-2', count: 2 }]);
  });

  test('limits: 501 records is a ValidationException (400); the executor splits nothing and refuses before sending', async () => {
    const records = Array.from({ length: 501 }, (_, i) => ({ Data: Buffer.from(`r${i}`).toString('base64'), PartitionKey: `pk-${i}` }));
    const raw = await kinesisCall(d.kinesis.url, 'PutRecords', { StreamName: SANDBOX_KINESIS.streamName, Records: records });
    expect(raw.status).toBe(400);
    expect(raw.body.__type).toBe('ValidationException');
    expect(raw.body.message).toMatch(/^1 validation error detected: .* at 'records' failed to satisfy constraint: Member must have length less than or equal to 500$/);
    expect(raw.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(raw.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    const res = await kinesisExec.sendBatch!(kinesisConfig, Array.from({ length: 501 }, (_, i) => record(i)), { baseUrlOverride: d.kinesis.url });
    expect(res).toMatchObject({ ok: false, status: 0, error: { code: 'payload_too_large' } });
    const emptyKey = await kinesisCall(d.kinesis.url, 'PutRecords', { StreamName: SANDBOX_KINESIS.streamName, Records: [{ Data: 'eA==', PartitionKey: '' }] });
    expect(emptyKey.body).toMatchObject({ __type: 'ValidationException', message: expect.stringContaining("'records.1.member.partitionKey'") });
    expect(d.kinesis.received).toHaveLength(0);
  });

  test('credentials: an unknown key is 400 UnrecognizedClientException, a wrong secret InvalidSignatureException, none 403', async () => {
    const unknown = await kinesisExec.sendBatch!({ ...kinesisConfig, accessKeyId: 'AKIAWRONGWRONGWRONG0' }, [record(1)], { baseUrlOverride: d.kinesis.url });
    expect(unknown).toMatchObject({ ok: false, status: 400, error: { code: 'unauthorized' } });
    expect(unknown.error!.message).toContain('UnrecognizedClientException');
    const badSecret = await kinesisExec.sendBatch!({ ...kinesisConfig, secretAccessKey: 'x'.repeat(40) }, [record(1)], { baseUrlOverride: d.kinesis.url });
    expect(badSecret).toMatchObject({ ok: false, status: 400, error: { code: 'unauthorized' } });
    expect(badSecret.error!.message).toContain('InvalidSignatureException');
    const none = await fetch(`${d.kinesis.url}/`, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Kinesis_20131202.PutRecords' }, body: '{}' });
    expect(none.status).toBe(403);
    expect(await none.json()).toEqual({ __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
    expect(d.kinesis.received).toHaveLength(0);
  });

  test('a whole-call throttle burst (400 ProvisionedThroughputExceededException) and a 5xx burst, then success', async () => {
    d.kinesis.faults.set({ rateLimitStorm: 1, fail5xx: { count: 1, status: 500 } });
    const throttled = await kinesisExec.sendBatch!(kinesisConfig, [record(1)], { baseUrlOverride: d.kinesis.url });
    expect(throttled).toMatchObject({ ok: false, status: 400, error: { code: 'rate_limited', retryable: true } });
    const failed = await kinesisExec.sendBatch!(kinesisConfig, [record(1)], { baseUrlOverride: d.kinesis.url });
    expect(failed).toMatchObject({ ok: false, status: 500, error: { retryable: true } });
    const ok = await kinesisExec.sendBatch!(kinesisConfig, [record(1)], { baseUrlOverride: d.kinesis.url });
    expect(ok.ok).toBe(true);
    expect(d.kinesis.received).toHaveLength(1);
    expect(d.kinesis.stats()).toMatchObject({ calls: 3, rateLimited: 1, serverErrors: 1, itemsAccepted: 1 });
  });
});

describe('HTTP fault endpoint and stats', () => {
  const admin = (url: string, path: string, body?: unknown) =>
    fetch(`${url}/_sandbox/${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  test('POST /_sandbox/faults sets the faults (replacing), GET reads them; bad settings are 400 naming the field', async () => {
    const set = await admin(d.braze.url, 'faults', { rejectItems: { field: 'name', equals: 'bad_event' }, latencyMs: 5 });
    expect(set.status).toBe(200);
    expect(((await set.json()) as { faults: Record<string, unknown> }).faults).toMatchObject({ rejectItems: { field: 'name', equals: 'bad_event' }, latencyMs: 5 });
    const res = await postJson(`${d.braze.url}/users/track`, { events: [{ external_id: 'u', name: 'bad_event', time: '2025-01-01T00:00:00Z' }, { external_id: 'u', name: 'ok', time: '2025-01-01T00:00:00Z' }] }, { authorization: `Bearer ${SANDBOX_BRAZE.apiKey}` });
    expect(await res.json()).toEqual({ message: 'success', events_processed: 1, errors: [{ type: "'name' is not valid", input_array: 'events', index: 0 }] });

    expect((await admin(d.kinesis.url, 'faults', { throttleRecords: { count: 1 } })).status).toBe(200);
    const k = await kinesisExec.sendBatch!(kinesisConfig, [record(1), record(2)], { baseUrlOverride: d.kinesis.url });
    expect(k.body!.items.map((i) => i.ok)).toEqual([false, true]);

    expect((await admin(d.segment.url, 'faults', { rateLimitStorm: 1, retryAfterSec: 4 })).status).toBe(200);
    const s = await segmentExec.sendBatch!(segmentConfig, [track(1)], { baseUrlOverride: d.segment.url });
    expect(s.error).toMatchObject({ code: 'rate_limited', retryAfterMs: 4000 });
    const read = (await (await admin(d.segment.url, 'faults')).json()) as { faults: Record<string, unknown> };
    expect(read.faults).toMatchObject({ rateLimitStorm: 0, retryAfterSec: 4 });

    // POST replaces: {} resets everything.
    expect(((await (await admin(d.segment.url, 'faults', {})).json()) as { faults: Record<string, unknown> }).faults).toMatchObject({ retryAfterSec: 1, rejectItems: null });
    for (const bad of [{ latency: 5 }, { fail5xx: { count: 1, status: 404 } }, { rejectItems: { field: 'x' } }, { throttleRecords: { share: 2 } }]) {
      const r = await admin(d.segment.url, 'faults', bad);
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: string }).error).toMatch(/latency|fail5xx|rejectItems|throttleRecords/);
    }
    // In process, a predicate reads back as "<function>" over HTTP.
    d.kinesis.faults.set({ rejectItems: () => false });
    expect(((await (await admin(d.kinesis.url, 'faults')).json()) as { faults: Record<string, unknown> }).faults.rejectItems).toBe('<function>');
  });

  test('GET /_sandbox/stats, GET /_sandbox/received and POST /_sandbox/reset', async () => {
    await segmentExec.sendBatch!(segmentConfig, [track(1), track(2)], { baseUrlOverride: d.segment.url });
    const stats = (await (await admin(d.segment.url, 'stats')).json()) as Record<string, unknown>;
    expect(stats).toMatchObject({ calls: 1, itemsAccepted: 2, byStatus: { 200: 1 } });
    const received = (await (await admin(d.segment.url, 'received?limit=1')).json()) as { received: { item: { userId: string } }[] };
    expect(received.received.map((r) => r.item.userId)).toEqual(['user-2']);
    expect((await admin(d.segment.url, 'reset', {})).status).toBe(200);
    expect(d.segment.received).toHaveLength(0);
    expect(d.segment.stats()).toMatchObject({ calls: 0, itemsAccepted: 0 });
    expect((await admin(d.segment.url, 'nope')).status).toBe(404);
  });
});

describe('startDestinations', () => {
  test('starts Segment, Braze, Kinesis and the Slack receiver, with their credentials, and closes them together', async () => {
    const all = await startDestinations();
    const urls = Object.values(all.urls);
    expect(urls).toHaveLength(4);
    expect(new Set(urls).size).toBe(4);
    expect(all.credentials).toEqual({ segment: SANDBOX_SEGMENT, braze: SANDBOX_BRAZE, kinesis: SANDBOX_KINESIS });
    const slack = await fetch(`${all.slack.url}/services/T/B/x`, { method: 'POST', body: JSON.stringify({ text: 'hi' }) });
    expect(slack.status).toBe(200);
    expect(all.slack.received).toHaveLength(1);
    await all.close();
    for (const url of urls) await expect(fetch(`${url}/_sandbox/stats`)).rejects.toThrow();
  });
});
