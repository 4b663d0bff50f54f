// Per-record faults: dropRecords (records silently missing from their pages while totals still
// count them, for end-of-run completeness checks) and badTimestamps (records served with an
// unparseable or absurd change time, for watermark validation).
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { parseFaultSettings } from '../../../src/sandbox/faults.js';
import { startSandbox, type Emulator, type Sandbox } from '../../../src/sandbox/index.js';
import { call, isoSec, linkUrl, mailchimpAuth, shopifyAuth, stripeAuth } from './helpers.js';

const N = 600;
let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({ seed: 19, sizes: { orders: N, charges: N, members: N } });
});
afterAll(() => sb.close());
afterEach(() => {
  for (const e of [sb.shopify, sb.stripe, sb.mailchimp]) e.faults.reset();
});

type Listed = { ids: string[]; times: unknown[]; pages: number; total: number | null };

interface Source {
  name: 'shopify' | 'stripe' | 'mailchimp';
  emulator: () => Emulator;
  /** Lists everything (optionally within a window of true change times) the way an executor pages it. */
  listAll(window?: { from: number; to: number }): Promise<Listed>;
  /** The provider's own count of the same records (null: Stripe has none). */
  total(): Promise<number | null>;
  field: string;
  bad: { unparseable: unknown; farFuture: unknown; farPast: unknown };
}

const sources: Source[] = [
  {
    name: 'shopify',
    emulator: () => sb.shopify,
    async listAll(window) {
      const ids: string[] = [];
      const times: unknown[] = [];
      let pages = 0;
      const w = window ? `&updated_at_min=${encodeURIComponent(new Date(window.from * 1000).toISOString())}&updated_at_max=${encodeURIComponent(new Date(window.to * 1000).toISOString())}` : '';
      let url: string | null = `${sb.shopify.url}/admin/api/2025-07/orders.json?status=any&limit=50${w}`;
      while (url) {
        const res = await call(url, { headers: shopifyAuth(sb) });
        expect(res.status).toBe(200);
        pages++;
        for (const o of res.json.orders) {
          ids.push(String(o.id));
          times.push(o.updated_at);
        }
        url = linkUrl(res.headers.link, 'next');
      }
      return { ids, times, pages, total: null };
    },
    async total() {
      return (await call(`${sb.shopify.url}/admin/api/2025-07/orders/count.json?status=any`, { headers: shopifyAuth(sb) })).json.count;
    },
    field: 'updated_at',
    bad: { unparseable: 'not a date', farFuture: '9999-12-31T18:59:59-05:00', farPast: '1969-12-31T19:00:00-05:00' },
  },
  {
    name: 'stripe',
    emulator: () => sb.stripe,
    async listAll(window) {
      const ids: string[] = [];
      const times: unknown[] = [];
      let pages = 0;
      let after: string | null = null;
      const w = window ? `&created[gte]=${window.from}&created[lte]=${window.to}` : '';
      for (;;) {
        const res = await call(`${sb.stripe.url}/v1/charges?limit=50${w}${after ? `&starting_after=${after}` : ''}`, { headers: stripeAuth(sb) });
        expect(res.status).toBe(200);
        pages++;
        for (const c of res.json.data) {
          ids.push(c.id);
          times.push(c.created);
        }
        // The executor continues from the last charge it was given.
        if (!res.json.has_more) break;
        after = res.json.data[res.json.data.length - 1].id;
      }
      return { ids, times, pages, total: null };
    },
    async total() {
      return null;
    },
    field: 'created',
    bad: { unparseable: 'not a date', farFuture: 253_402_300_799, farPast: 0 },
  },
  {
    name: 'mailchimp',
    emulator: () => sb.mailchimp,
    async listAll(window) {
      const ids: string[] = [];
      const times: unknown[] = [];
      let pages = 0;
      let total: number | null = null;
      const w = window ? `&since_last_changed=${encodeURIComponent(new Date(window.from * 1000).toISOString())}&before_last_changed=${encodeURIComponent(new Date((window.to + 1) * 1000).toISOString())}` : '';
      for (let offset = 0; total === null || offset < total; offset += 50) {
        const res = await call(`${sb.mailchimp.url}/3.0/lists/${sb.credentials.mailchimp.listId}/members?count=50&offset=${offset}&sort_field=last_changed&sort_dir=ASC${w}`, { headers: mailchimpAuth(sb) });
        expect(res.status).toBe(200);
        pages++;
        total = res.json.total_items as number;
        for (const m of res.json.members) {
          ids.push(m.id);
          times.push(m.last_changed);
        }
      }
      return { ids, times, pages, total };
    },
    async total() {
      return (await call(`${sb.mailchimp.url}/3.0/lists/${sb.credentials.mailchimp.listId}/members?count=1&fields=total_items`, { headers: mailchimpAuth(sb) })).json.total_items;
    },
    field: 'last_changed',
    bad: { unparseable: 'not a date', farFuture: '9999-12-31T23:59:59+00:00', farPast: '1970-01-01T00:00:00+00:00' },
  },
];

describe('fault settings', () => {
  test('validated like the others; shown only while set; reset and null clear them', async () => {
    for (const bad of [
      { dropRecords: { everyNth: -1 } },
      { dropRecords: { ids: 'abc' } },
      { dropRecords: { every: 3 } },
      { dropRecords: 3 },
      { badTimestamps: { kind: 'soon', everyNth: 3 } },
      { badTimestamps: { kind: 'farFuture' } },
      { badTimestamps: { kind: 'farFuture', everyNth: 2, count: 1 } },
    ]) {
      expect(() => parseFaultSettings(bad), JSON.stringify(bad)).toThrow();
      const res = await call(`${sb.stripe.url}/_sandbox/faults`, { method: 'POST', body: bad });
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
    expect(sb.stripe.faults.get()).not.toHaveProperty('dropRecords');
    const set = await call(`${sb.stripe.url}/_sandbox/faults`, { method: 'POST', body: { dropRecords: { everyNth: 7 }, badTimestamps: { kind: 'farPast', ids: ['x'] } } });
    expect(set.json.faults).toMatchObject({ dropRecords: { everyNth: 7, ids: [], count: 0 }, badTimestamps: { kind: 'farPast', everyNth: 0, ids: ['x'] } });
    expect(sb.stripe.faults.update({ dropRecords: null }).dropRecords).toBeUndefined();
    expect(sb.stripe.faults.reset()).not.toHaveProperty('badTimestamps');
  });
});

describe.each(sources)('$name', (s) => {
  test('dropRecords.everyNth: the same records are missing from every listing; totals still count them', async () => {
    s.emulator().faults.set({ dropRecords: { everyNth: 7 } });
    const recs = s.emulator().records();
    const dropped = recs.filter((_, k) => (k + 1) % 7 === 0).map((r) => r.id);
    const first = await s.listAll();
    const again = await s.listAll();
    expect(first.ids).toHaveLength(N - dropped.length);
    expect(new Set(first.ids).size).toBe(first.ids.length);
    expect(first.ids.some((id) => dropped.includes(id))).toBe(false);
    expect([...first.ids].sort()).toEqual([...again.ids].sort());
    expect(await s.total()).toEqual(s.name === 'stripe' ? null : N);
    if (s.name === 'mailchimp') expect(first.total).toBe(N);
    // Shopify's Link chain and Mailchimp's offsets are the provider's: as many pages as without the
    // fault. Stripe's cursor is the client's (the last charge it was given), so a page whose last
    // charge was dropped is followed from the one before it: the pages shift, the charge stays lost.
    s.emulator().faults.reset();
    const clean = await s.listAll();
    if (s.name === 'stripe') expect(clean.pages).toBeLessThanOrEqual(first.pages);
    else expect(clean.pages).toBe(first.pages);
  });

  test('dropRecords.count: the next n records are missing once; a second listing has them all', async () => {
    s.emulator().faults.set({ dropRecords: { count: 5 } });
    const first = await s.listAll();
    expect(first.ids).toHaveLength(N - 5);
    expect(s.emulator().faults.get().dropRecords!.count).toBe(0);
    expect((await s.listAll()).ids).toHaveLength(N);
  });

  test('dropRecords.ids: exactly those records are missing', async () => {
    const recs = s.emulator().records();
    const ids = [recs[3]!.id, recs[444]!.id];
    s.emulator().faults.set({ dropRecords: { ids } });
    const got = await s.listAll();
    expect(got.ids).toHaveLength(N - 2);
    expect(got.ids).not.toContain(ids[0]);
    expect(got.ids).not.toContain(ids[1]);
  });

  test.each(['unparseable', 'farFuture', 'farPast'] as const)('badTimestamps %s: the chosen records carry it in the served field; windows still use the true time', async (kind) => {
    const recs = s.emulator().records();
    const byNth = recs.filter((_, k) => (k + 1) % 50 === 0).map((r) => r.id);
    const named = recs[7]!.id;
    s.emulator().faults.set({ badTimestamps: { kind, everyNth: 50, ids: [named] } });
    const got = await s.listAll();
    const bad = new Set([...byNth, named]);
    got.ids.forEach((id, k) => {
      if (bad.has(id)) expect(got.times[k], id).toEqual(s.bad[kind]);
      else expect(got.times[k], id).not.toEqual(s.bad[kind]);
    });
    // A window of true times around one affected record still lists it (with the bad value).
    const target = recs[99]!;
    const t = isoSec(target.updatedAt);
    const windowed = await s.listAll({ from: t, to: t });
    expect(windowed.ids).toContain(target.id);
    expect(windowed.times[windowed.ids.indexOf(target.id)]).toEqual(s.bad[kind]);
  });
});

test('Stripe: badTimestamps reach the single charge and the charge inside its events; dropRecords leaves events alone', async () => {
  const charge = sb.stripe.records()[300]!.id;
  const e = sb.stripe.refund(charge, { amount: 1 });
  sb.stripe.faults.set({ badTimestamps: { kind: 'farFuture', ids: [charge] }, dropRecords: { ids: [charge] } });
  const one = await call(`${sb.stripe.url}/v1/charges/${charge}`, { headers: stripeAuth(sb) });
  expect(one.json.created).toBe(253_402_300_799);
  const ev = await call(`${sb.stripe.url}/v1/events?type=charge.refunded&limit=100`, { headers: stripeAuth(sb) });
  const mine = ev.json.data.find((x: { id: string }) => x.id === e.id);
  expect(mine.data.object.created).toBe(253_402_300_799);
  // The event's own created is the true time of the change.
  expect(mine.created).toBe(e.created);
});
