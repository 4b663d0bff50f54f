// Stripe's event log: every change of a charge appends the event Stripe documents, and GET /v1/events
// lists them as https://docs.stripe.com/api/events/list says (newest first, limit, cursors, created
// filters, type with * or types[] but not both, 30 days back on the emulator's clock).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { mulberry32, randInt } from '../../../src/sandbox/prng.js';
import { startSandbox, STRIPE_SANDBOX_API_VERSION, type Sandbox, type StripeEventSummary } from '../../../src/sandbox/index.js';
import { StripeCharges, type StripeEventType } from '../../../src/sandbox/stripe-data.js';
import { call, stripeAuth } from './helpers.js';

const DAY_MS = 86_400_000;

let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({ seed: 21, sizes: { orders: 5, charges: 400, members: 5 } });
});
afterAll(() => sb.close());
afterEach(() => {
  sb.stripe.clock.set(0);
  sb.stripe.faults.reset();
});

const get = (path: string) => call(`${sb.stripe.url}${path}`, { headers: stripeAuth(sb) });
const post = (path: string, body: unknown) => call(`${sb.stripe.url}${path}`, { method: 'POST', body });

type Ev = { id: string; object: string; type: string; created: number; data: { object: any; previous_attributes?: any }; api_version: string; livemode: boolean; pending_webhooks: number; request: unknown };

/** Pages GET /v1/events newest first with starting_after until has_more is false. */
async function allEvents(query = '', limit = 100): Promise<Ev[]> {
  const out: Ev[] = [];
  let after: string | null = null;
  for (;;) {
    const res = await get(`/v1/events?limit=${limit}${query}${after ? `&starting_after=${after}` : ''}`);
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ object: 'list', url: '/v1/events' });
    out.push(...res.json.data);
    if (!res.json.has_more) return out;
    after = res.json.data[res.json.data.length - 1].id;
  }
}

/** A charge no operation has touched yet, oldest first from `from` on (recent enough to be retained). */
let nextFresh = 200;
const freshCharge = () => sb.stripe.records()[nextFresh++]!.id;

describe('the log', () => {
  test('every charge has its charge.succeeded at its creation; the list is newest first and pages with starting_after', async () => {
    const since = Math.floor(Date.now() / 1000) - 29 * 86_400;
    const log = sb.stripe.events();
    expect(log).toHaveLength(400);
    expect(log.every((e) => e.type === 'charge.succeeded')).toBe(true);
    const created = new Map(sb.stripe.records().map((r) => [r.id, Math.floor(Date.parse(r.updatedAt) / 1000)]));
    for (const e of log) expect(e.created).toBe(created.get(e.charge));
    // Created order never goes back in the log.
    expect(log.map((e) => e.created)).toEqual([...log.map((e) => e.created)].sort((a, b) => a - b));

    const listed = await allEvents(`&created[gte]=${since}`, 37);
    const expected = log.filter((e) => e.created >= since).reverse();
    expect(listed.map((e) => e.id)).toEqual(expected.map((e) => e.id));
    expect(new Set(listed.map((e) => e.id)).size).toBe(listed.length);
    const first = listed[0]!;
    expect(first).toEqual({
      id: expect.stringMatching(/^evt_[A-Za-z0-9]{24}$/),
      object: 'event',
      api_version: STRIPE_SANDBOX_API_VERSION,
      created: expect.any(Number),
      data: { object: expect.objectContaining({ object: 'charge', id: first.data.object.id, amount_refunded: 0, captured: true }) },
      livemode: false,
      pending_webhooks: 0,
      request: { id: null, idempotency_key: null },
      type: 'charge.succeeded',
    });
  });

  test('default limit 10, limit 1..100; ending_before is the page just newer', async () => {
    const page = await get('/v1/events');
    expect(page.json.data).toHaveLength(10);
    expect(page.json.has_more).toBe(true);
    const second = await get(`/v1/events?starting_after=${page.json.data[9].id}`);
    const back = await get(`/v1/events?ending_before=${second.json.data[0].id}`);
    expect(back.json.data.map((e: Ev) => e.id)).toEqual(page.json.data.map((e: Ev) => e.id));
    expect(back.json.has_more).toBe(false);
    for (const [limit, msg] of [['0', /greater than or equal to 1/], ['101', /less than or equal to 100/]] as const) {
      const res = await get(`/v1/events?limit=${limit}`);
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({ type: 'invalid_request_error', param: 'limit', message: expect.stringMatching(msg) });
    }
  });

  test('created[gt|gte|lt|lte] and created= bound the list', async () => {
    const log = sb.stripe.events();
    const times = [...new Set(log.map((e) => e.created))].sort((a, b) => a - b);
    const lo = times[100]!;
    const hi = times[250]!;
    const ids = (xs: readonly { id: string }[]) => xs.map((e) => e.id).sort();
    expect(ids(await allEvents(`&created[gte]=${lo}&created[lte]=${hi}`))).toEqual(ids(log.filter((e) => e.created >= lo && e.created <= hi)));
    expect(ids(await allEvents(`&created[gt]=${lo}&created[lt]=${hi}`))).toEqual(ids(log.filter((e) => e.created > lo && e.created < hi)));
    expect(ids(await allEvents(`&created=${lo}`))).toEqual(ids(log.filter((e) => e.created === lo)));
  });

  test('bad parameters -> 400 naming them; unknown anchors -> resource_missing', async () => {
    const cases: [string, string, RegExp][] = [
      ['types=charge.refunded', 'types', /Invalid array/],
      ['type=charge.refunded&types[]=charge.captured', 'types', /either type or types, but not both/],
      [Array.from({ length: 21 }, (_, k) => `types[]=t${k}`).join('&'), 'types', /at most 20/],
      ['colour=blue', 'colour', /Received unknown parameter: colour/],
      ['delivery_success=true', 'delivery_success', /does not support/],
      ['expand[]=data.object', 'expand[]', /does not support expand/],
      ['starting_after=evt_3Nope00000000000000000000000', 'starting_after', /No such event/],
    ];
    for (const [q, param, msg] of cases) {
      const res = await get(`/v1/events?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.json.error, q).toMatchObject({ type: 'invalid_request_error', param, message: expect.stringMatching(msg) });
    }
    const both = await get(`/v1/events?starting_after=${sb.stripe.events()[5]!.id}&ending_before=${sb.stripe.events()[5]!.id}`);
    expect(both.status).toBe(400);
  });
});

describe('operations append the documented event, data.object as of the change', () => {
  test('an uncaptured charge: charge.succeeded (captured false), capture -> charge.captured', async () => {
    const [made] = sb.stripe.createCharges({ count: 1, captured: false });
    expect(made).toMatchObject({ type: 'charge.succeeded', id: expect.stringMatching(/^evt_/), charge: expect.stringMatching(/^ch_/) });
    const charge = await get(`/v1/charges/${made!.charge}`);
    expect(charge.json).toMatchObject({ captured: false, amount_captured: 0, balance_transaction: null, status: 'succeeded', paid: true });
    const captured = sb.stripe.capture(made!.charge);
    expect(captured.type).toBe('charge.captured');
    expect(captured.created).toBeGreaterThanOrEqual(made!.created);
    const ev = (await get(`/v1/events/${captured.id}`)).json as Ev;
    expect(ev.type).toBe('charge.captured');
    expect(ev.data.object).toMatchObject({ id: made!.charge, captured: true, amount_captured: ev.data.object.amount, balance_transaction: expect.stringMatching(/^txn_/) });
    expect(ev.data.previous_attributes).toEqual({ amount_captured: 0, balance_transaction: null, captured: false });
    // The creation event still shows the charge as it was then.
    expect(((await get(`/v1/events/${made!.id}`)).json as Ev).data.object).toMatchObject({ captured: false, amount_captured: 0 });
    expect(() => sb.stripe.capture(made!.charge)).toThrow(/has already been captured/);
  });

  test('refunds: partial then the rest -> charge.refunded twice; refunded turns true; over-refunds throw', async () => {
    const id = freshCharge();
    const amount = (await get(`/v1/charges/${id}`)).json.amount as number;
    const first = sb.stripe.refund(id, { amount: 100 });
    const second = sb.stripe.refund(id);
    expect([first.type, second.type]).toEqual(['charge.refunded', 'charge.refunded']);
    const [e1, e2] = [(await get(`/v1/events/${first.id}`)).json as Ev, (await get(`/v1/events/${second.id}`)).json as Ev];
    expect(e1.data.object).toMatchObject({ id, amount_refunded: 100, refunded: false });
    expect(e1.data.previous_attributes).toEqual({ amount_refunded: 0 });
    expect(e2.data.object).toMatchObject({ id, amount_refunded: amount, refunded: true });
    expect(e2.data.previous_attributes).toEqual({ amount_refunded: 100, refunded: false });
    expect(() => sb.stripe.refund(id)).toThrow(`Charge ${id} has already been refunded.`);
    expect(() => sb.stripe.refund(freshCharge(), { amount: 10_000_000 })).toThrow(/greater than unrefunded amount/);
    expect(() => sb.stripe.refund('ch_3Nope00000000000000000000')).toThrow(/no such charge/);
    // created never moves: the charge stays where a created-based sync saw it.
    expect((await get(`/v1/charges/${id}`)).json.created).toBe(e1.data.object.created);
  });

  test('refunds are on the charge only when expanded (API 2022-11-15 on)', async () => {
    const id = freshCharge();
    sb.stripe.refund(id, { amount: 50 });
    sb.stripe.refund(id, { amount: 70 });
    expect((await get(`/v1/charges/${id}`)).json.refunds).toBeUndefined();
    const one = await get(`/v1/charges/${id}?expand[]=refunds`);
    expect(one.json.refunds).toMatchObject({ object: 'list', has_more: false, url: `/v1/charges/${id}/refunds` });
    expect(one.json.refunds.data.map((r: { amount: number }) => r.amount)).toEqual([70, 50]);
    expect(one.json.refunds.data[0]).toMatchObject({ object: 'refund', id: expect.stringMatching(/^re_[A-Za-z0-9]{24}$/), charge: id, currency: 'usd', status: 'succeeded' });
    const created = one.json.created as number;
    const list = await get(`/v1/charges?limit=100&created=${created}&expand[]=data.refunds`);
    expect(list.json.data.find((c: { id: string }) => c.id === id).refunds.data).toHaveLength(2);
    expect((await get(`/v1/charges/${id}?expand[]=customer`)).status).toBe(400);
    expect((await get('/v1/charges?expand[]=data.customer')).status).toBe(400);
  });

  test('a dispute: charge.dispute.created carries the Dispute, naming the charge; the charge says disputed', async () => {
    const id = freshCharge();
    const d = sb.stripe.dispute(id, { reason: 'product_not_received' });
    const ev = (await get(`/v1/events/${d.id}`)).json as Ev;
    expect(ev.type).toBe('charge.dispute.created');
    expect(ev.data.object).toMatchObject({ object: 'dispute', id: expect.stringMatching(/^du_/), charge: id, reason: 'product_not_received', status: 'needs_response', currency: 'usd' });
    expect(ev.data.previous_attributes).toBeUndefined();
    expect((await get(`/v1/charges/${id}`)).json.disputed).toBe(true);
    expect(() => sb.stripe.dispute(id)).toThrow(/already disputed/);
  });

  test('metadata: Stripe\'s merge ("" removes a key) -> charge.updated with previous_attributes', async () => {
    const id = freshCharge();
    const e = sb.stripe.updateMetadata(id, { order: '1042', sandbox: '' });
    const ev = (await get(`/v1/events/${e.id}`)).json as Ev;
    expect(ev.type).toBe('charge.updated');
    expect(ev.data.object.metadata).toEqual({ order: '1042' });
    expect(ev.data.previous_attributes).toEqual({ metadata: { order: null, sandbox: 'true' } });
    expect((await get(`/v1/charges/${id}`)).json.metadata).toEqual({ order: '1042' });
    expect(() => sb.stripe.updateMetadata(id, { order: '1042' })).toThrow(/no change/);
  });

  test('mutate({update, ids, create}) appends an event per change, each retrievable and listed', async () => {
    const named = freshCharge();
    const before = sb.stripe.events().length;
    const r = sb.stripe.mutate({ update: 3, ids: [named], create: 2 });
    expect(r.updated).toContain(named);
    const added = sb.stripe.events().slice(before);
    expect(added).toHaveLength(6);
    expect(added.slice(0, 4).map((e) => e.charge)).toEqual(r.updated);
    expect(added.slice(4).map((e) => e.type)).toEqual(['charge.succeeded', 'charge.succeeded']);
    expect(added.slice(4).map((e) => e.charge)).toEqual(r.created);
    const newest = await get('/v1/events?limit=6');
    expect(newest.json.data.map((e: Ev) => e.id)).toEqual(added.map((e) => e.id).reverse());
    expect(() => sb.stripe.mutate({ ids: ['ch_3Nope00000000000000000000'] })).toThrow(/no such charge/);
  });
});

describe('type filters', () => {
  test('type: one name or a * group; types[]: exact names; the list keeps newest first', async () => {
    // A few of each kind first.
    const a = freshCharge();
    const b = freshCharge();
    sb.stripe.refund(a, { amount: 10 });
    sb.stripe.dispute(b);
    sb.stripe.updateMetadata(a, { step: '1' });
    const [u] = sb.stripe.createCharges({ count: 1, captured: false });
    sb.stripe.capture(u!.charge);
    const log = sb.stripe.events();
    const since = Math.floor(Date.now() / 1000) - 29 * 86_400;
    const retained = log.filter((e) => e.created >= since);
    const expectTypes = async (query: string, pred: (t: string) => boolean) => {
      const got = await allEvents(`&created[gte]=${since}${query}`, 50);
      expect(got.map((e) => e.id), query).toEqual(retained.filter((e) => pred(e.type)).reverse().map((e) => e.id));
      return got;
    };
    await expectTypes('&type=charge.refunded', (t) => t === 'charge.refunded');
    await expectTypes('&type=charge.*', (t) => t.startsWith('charge.'));
    const disputes = await expectTypes('&type=charge.dispute.*', (t) => t.startsWith('charge.dispute.'));
    expect(disputes.length).toBeGreaterThan(0);
    await expectTypes('&type=*.captured', (t) => t.endsWith('.captured'));
    await expectTypes('&types[]=charge.captured&types[]=charge.updated', (t) => t === 'charge.captured' || t === 'charge.updated');
    await expectTypes('&types[0]=charge.dispute.created', (t) => t === 'charge.dispute.created');
    expect(await expectTypes('&type=customer.created', () => false)).toEqual([]);
  });
});

describe('retention: 30 days on the emulator\'s clock', () => {
  test('advancing the clock expires the log\'s events from lists and retrieval; later ones are stamped on the new clock', async () => {
    const e = sb.stripe.refund(freshCharge(), { amount: 1 });
    expect((await get(`/v1/events/${e.id}`)).status).toBe(200);
    const offset = sb.stripe.clock.advance(31 * DAY_MS);
    expect(offset).toBe(31 * DAY_MS);
    const res = await get(`/v1/events/${e.id}`);
    expect(res.status).toBe(404);
    expect(res.json.error).toMatchObject({ code: 'resource_missing', message: `No such event: '${e.id}'` });
    // The Date header tells the emulator's time.
    expect(Date.parse(res.headers.date!)).toBeGreaterThan(Date.now() + 30 * DAY_MS);
    expect((await get('/v1/events?limit=100')).json.data).toEqual([]);
    // An anchor past retention is still a known event: an empty page, not an error.
    expect((await get(`/v1/events?starting_after=${e.id}`)).json).toMatchObject({ data: [], has_more: false });
    const later = sb.stripe.refund(freshCharge(), { amount: 1 });
    expect(later.created * 1000).toBeGreaterThan(Date.now() + 30 * DAY_MS);
    expect((await get('/v1/events')).json.data.map((x: Ev) => x.id)).toEqual([later.id]);
    // The charges themselves stay listable: only events age out.
    expect((await get('/v1/charges?limit=1')).json.data).toHaveLength(1);
  });

  test('GET|POST /_sandbox/clock; the clockOffsetMs option', async () => {
    expect((await call(`${sb.stripe.url}/_sandbox/clock`)).json).toEqual({ offsetMs: 0, now: expect.any(String) });
    const moved = await post('/_sandbox/clock', { advanceMs: 2 * DAY_MS });
    expect(moved.json.offsetMs).toBe(2 * DAY_MS);
    expect(Date.parse(moved.json.now)).toBeGreaterThan(Date.now() + DAY_MS);
    expect((await post('/_sandbox/clock', { offsetMs: 5 })).json.offsetMs).toBe(5);
    for (const body of [{ advanceMs: 1.5 }, { offsetMs: 'x' }, { advanceMs: 1, offsetMs: 1 }, { later: 1 }]) {
      expect((await post('/_sandbox/clock', body)).status).toBe(400);
    }
    expect(sb.shopify.clock.offsetMs).toBe(0);
    // Started 40 days in the past: the data is generated around that time and listed as usual…
    const aged = await startSandbox({ sizes: { orders: 20, charges: 50, members: 20 }, clockOffsetMs: -40 * DAY_MS });
    try {
      const events = () => call(`${aged.stripe.url}/v1/events?limit=100`, { headers: stripeAuth(aged) });
      const newest = aged.stripe.records().at(-1)!;
      expect(Date.parse(newest.updatedAt)).toBeLessThan(Date.now() - 40 * DAY_MS);
      expect(Date.parse(aged.shopify.records().at(-1)!.updatedAt)).toBeLessThan(Date.now() - 40 * DAY_MS);
      expect((await events()).json.data.length).toBeGreaterThan(40);
      // …until the real clock takes over: every generated event is now past the 30 days, and a
      // change made now is stamped on the real clock.
      aged.stripe.clock.set(0);
      expect((await events()).json).toMatchObject({ data: [], has_more: false });
      const e = aged.stripe.refund(newest.id, { amount: 1 });
      expect(Math.abs(e.created * 1000 - Date.now())).toBeLessThan(5000);
      expect((await events()).json.data.map((x: Ev) => x.id)).toEqual([e.id]);
    } finally {
      await aged.close();
    }
    await expect(startSandbox({ clockOffsetMs: 0.5 })).rejects.toThrow(/clockOffsetMs/);
  });
});

describe('admin routes for the operations', () => {
  test('POST /_sandbox/charges/{refund,capture,dispute,metadata,create}; GET /_sandbox/events; errors are 400', async () => {
    const id = freshCharge();
    const refund = await post('/_sandbox/charges/refund', { charge: id, amount: 25 });
    expect(refund.status).toBe(200);
    expect(refund.json).toMatchObject({ type: 'charge.refunded', charge: id });
    const created = await post('/_sandbox/charges/create', { count: 2, captured: false });
    expect(created.json.events).toHaveLength(2);
    const capture = await post('/_sandbox/charges/capture', { charge: created.json.events[0].charge });
    expect(capture.json.type).toBe('charge.captured');
    expect((await post('/_sandbox/charges/dispute', { charge: id })).json.type).toBe('charge.dispute.created');
    expect((await post('/_sandbox/charges/metadata', { charge: id, metadata: { a: 'b' } })).json.type).toBe('charge.updated');
    const log = await call(`${sb.stripe.url}/_sandbox/events`);
    expect(log.json.events.slice(-5).map((e: StripeEventSummary) => e.type)).toEqual(['charge.succeeded', 'charge.succeeded', 'charge.captured', 'charge.dispute.created', 'charge.updated']);
    expect(log.json.events).toEqual(sb.stripe.events());
    for (const [path, body] of [
      ['/_sandbox/charges/refund', { charge: 'ch_nope' }],
      ['/_sandbox/charges/capture', { charge: id }],
      ['/_sandbox/charges/refund', {}],
      ['/_sandbox/charges/create', { count: -1 }],
      ['/_sandbox/charges/metadata', { charge: id }],
    ] as const) {
      const res = await post(path, body);
      expect(res.status, path).toBe(400);
      expect(typeof res.json.error).toBe('string');
    }
    expect((await post('/_sandbox/charges/refund?tenant=nobody', { charge: id })).status).toBe(404);
    expect((await call(`${sb.stripe.url}/_sandbox/nope`)).json.endpoints).toContain('GET|POST /_sandbox/clock');
  });

  test('operations act per account', async () => {
    const multi = await startSandbox({ sizes: { orders: 1, charges: 20, members: 1 }, tenants: { stripe: [{ name: 'acct-a' }, { name: 'acct-b', mode: 'live' }] } });
    try {
      const charge = multi.stripe.records('acct-b')[10]!.id;
      expect(() => multi.stripe.refund(charge)).toThrow(/no such charge/);
      const e = multi.stripe.refund(charge, { tenant: 'acct-b' });
      expect(multi.stripe.events({ tenant: 'acct-a' })).toHaveLength(20);
      expect(multi.stripe.events({ tenant: 'acct-b' }).at(-1)).toEqual(e);
      const res = await call(`${multi.stripe.url}/v1/events/${e.id}`, { headers: { authorization: `Bearer ${multi.credentials.tenants.stripe['acct-b']!.secretKey}` } });
      expect(res.json).toMatchObject({ livemode: true, data: { object: { livemode: true, id: charge } } });
      const other = await call(`${multi.stripe.url}/v1/events/${e.id}`, { headers: { authorization: `Bearer ${multi.credentials.tenants.stripe['acct-a']!.secretKey}` } });
      expect(other.status).toBe(404);
    } finally {
      await multi.close();
    }
  });
});

describe('listEvents matches brute force', () => {
  const START = Date.UTC(2025, 2, 1, 12);
  let clock = START;
  const charges = new StripeCharges(9, 3000, START, { now: () => clock });
  const rng = mulberry32(7);
  // A history: changes spread over the last days, some sharing a second.
  for (let k = 0; k < 600; k++) {
    clock += randInt(rng, 0, 3) * 1000;
    const i = randInt(rng, 0, charges.size - 1);
    const op = randInt(rng, 0, 4);
    try {
      if (op === 0) charges.refund(i, 1);
      else if (op === 1) charges.dispute(i);
      else if (op === 2) charges.updateMetadata(i, { k: String(k) });
      else if (op === 3) charges.createCharges(randInt(rng, 1, 3), rng() < 0.5);
      else charges.mutate({ update: 2 });
    } catch {
      // Refused changes (already disputed, …) change nothing.
    }
  }
  const total = charges.eventCount;
  const all = Array.from({ length: total }, (_, s) => charges.eventAt(s));
  const TYPES: StripeEventType[] = ['charge.succeeded', 'charge.refunded', 'charge.captured', 'charge.updated', 'charge.dispute.created'];

  test('seq order is created order; ids resolve back', () => {
    for (let s = 1; s < total; s++) expect(all[s]!.created).toBeGreaterThanOrEqual(all[s - 1]!.created);
    for (const s of [0, 1, 2999, 3000, total - 1]) expect(charges.eventSeqOf(charges.eventIdOf(s))).toBe(s);
    expect(charges.eventSeqOf('evt_3zzzzzzzzzzzzzzzzzzzzzzzzz')).toBe(-1);
  });

  test.each(Array.from({ length: 30 }, (_, k) => k))('random query #%i', (k) => {
    const t = () => all[randInt(rng, 0, total - 1)]!.created;
    const [lo, hi] = [t(), t()].sort((a, b) => a - b);
    const range = { gte: k % 3 === 0 ? null : lo!, lte: k % 4 === 0 ? null : hi! };
    const retainedFrom = k % 5 === 0 ? all[randInt(rng, 0, total - 1)]!.created : 0;
    const wanted = k % 3 === 1 ? new Set(TYPES.filter(() => rng() < 0.5)) : null;
    const match = wanted ? (x: StripeEventType) => wanted.has(x) : null;
    const expected = all
      .filter((e) => e.created >= retainedFrom && (range.gte === null || e.created >= range.gte) && (range.lte === null || e.created <= range.lte) && (!match || match(e.type)))
      .map((e) => e.seq)
      .reverse();
    const limit = randInt(rng, 1, 100);
    const got: number[] = [];
    let after: number | undefined;
    for (;;) {
      const page = charges.listEvents({ range, match, anchor: after === undefined ? {} : { startingAfter: after }, limit, retainedFrom });
      got.push(...page.items);
      if (!page.hasMore) break;
      after = page.items[page.items.length - 1];
    }
    expect(got).toEqual(expected);
    if (expected.length > limit) {
      const anchor = expected[limit]!;
      const back = charges.listEvents({ range, match, anchor: { endingBefore: anchor }, limit, retainedFrom });
      expect(back.items).toEqual(expected.slice(0, limit));
      expect(back.hasMore).toBe(false);
    }
  });
});

// The charges inside events are charges: they validate against Stripe's schema like the list's.
const here = dirname(fileURLToPath(import.meta.url));
const specFile = resolve(here, '../../../../shared/specs/stripe.charges-list.response.schema.json');

describe.skipIf(!existsSync(specFile))('official Stripe response schema', () => {
  test('the charges inside events (every kind of change) and expanded refunds validate', async () => {
    const schema = JSON.parse(readFileSync(specFile, 'utf8')) as Record<string, unknown>;
    const ajv = new Ajv2020.default({ allErrors: true, strict: false });
    addFormats.default(ajv);
    ajv.addFormat('unix-time', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= 0 });
    const validate = ajv.compile(schema);
    const id = freshCharge();
    sb.stripe.refund(id, { amount: 30 });
    sb.stripe.updateMetadata(id, { x: 'y' });
    const [u] = sb.stripe.createCharges({ count: 1, captured: false });
    sb.stripe.capture(u!.charge);
    const events = (await get('/v1/events?limit=100&type=charge.*')).json.data as Ev[];
    const chargesInEvents = events.filter((e) => e.data.object.object === 'charge').map((e) => e.data.object);
    expect(new Set(events.map((e) => e.type)).size).toBeGreaterThanOrEqual(4);
    const expanded = (await get(`/v1/charges/${id}?expand[]=refunds`)).json;
    const asList = { object: 'list', data: [...chargesInEvents, expanded], has_more: false, url: '/v1/charges' };
    validate(asList);
    expect(validate.errors ?? []).toEqual([]);
  });
});
