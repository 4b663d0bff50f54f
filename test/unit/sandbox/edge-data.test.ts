// Edge data for slicing and watermarks: many records sharing one change time (ties in a stable,
// documented order), and records changing while a sync pages through a window.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { call, isoSec, linkUrl, mailchimpAuth, shopifyAuth, stripeAuth } from './helpers.js';

const AT = '2025-02-20T10:15:07Z';
const AT_SEC = isoSec(AT);
const enc = encodeURIComponent;
const iso = (sec: number) => new Date(sec * 1000).toISOString();

let sb: Sandbox;
let base: string;
let members: string;
beforeAll(async () => {
  sb = await startSandbox({
    seed: 17,
    sizes: { orders: 2000, charges: 1200, members: 2000 },
    sharedTimestamp: { orders: { count: 500, at: AT }, charges: { count: 300, at: AT }, members: { count: 500, at: AT } },
  });
  base = `${sb.shopify.url}/admin/api/2025-07`;
  members = `${sb.mailchimp.url}/3.0/lists/${sb.credentials.mailchimp.listId}/members`;
});
afterAll(() => sb.close());

const shop = (url: string) => call(url, { headers: shopifyAuth(sb) });
const chimp = (query: string) => call(`${members}?${query}`, { headers: mailchimpAuth(sb) });
const stripe = (path: string) => call(`${sb.stripe.url}${path}`, { headers: stripeAuth(sb) });

async function shopifyPages(first: string) {
  const pages: { id: number; updated_at: string }[][] = [];
  let url: string | null = first;
  while (url) {
    const res = await shop(url);
    expect(res.status, res.text).toBe(200);
    pages.push(res.json.orders);
    url = linkUrl(res.headers.link, 'next');
  }
  return pages;
}

describe('sharedTimestamp: many records, one change time, ties ordered by id', () => {
  test('exactly `count` records of each data set carry the shared time', () => {
    for (const [e, n] of [[sb.shopify, 500], [sb.stripe, 300], [sb.mailchimp, 500]] as const) {
      const recs = e.records();
      expect(recs.filter((r) => isoSec(r.updatedAt) === AT_SEC)).toHaveLength(n);
      // The data stays ordered around the run (creation order = change order for generated records).
      const times = recs.map((r) => isoSec(r.updatedAt));
      expect(times).toEqual([...times].sort((a, b) => a - b));
    }
  });

  test('Shopify: updated_at_min = updated_at_max = the shared time lists all 500 once over page_info, in id order; count.json agrees', async () => {
    const window = `status=any&updated_at_min=${enc(AT)}&updated_at_max=${enc(AT)}`;
    const pages = await shopifyPages(`${base}/orders.json?limit=50&${window}`);
    const orders = pages.flat();
    expect(pages).toHaveLength(10);
    expect(orders).toHaveLength(500);
    expect(new Set(orders.map((o) => o.id)).size).toBe(500);
    expect(orders.map((o) => o.id)).toEqual([...orders.map((o) => o.id)].sort((a, b) => a - b));
    expect(orders.every((o) => o.updated_at === '2025-02-20T05:15:07-05:00')).toBe(true);
    expect((await shop(`${base}/orders/count.json?${window}`)).json.count).toBe(500);
    // A window ending just before the shared second excludes all of them; one starting just after too.
    const before = await shop(`${base}/orders/count.json?status=any&updated_at_max=${enc(iso(AT_SEC - 1))}`);
    const after = await shop(`${base}/orders/count.json?status=any&updated_at_min=${enc(iso(AT_SEC + 1))}`);
    expect(before.json.count + after.json.count).toBe(1500);
  });

  test('Mailchimp: the 500 ties sort by member id (ASC; DESC reverses) and page identically twice', async () => {
    const window = `since_last_changed=${enc(AT)}&before_last_changed=${enc(iso(AT_SEC + 1))}&sort_field=last_changed`;
    const pass = async (dir: 'ASC' | 'DESC') => {
      const ids: string[] = [];
      for (let offset = 0; offset < 500; offset += 64) {
        const res = await chimp(`count=64&offset=${offset}&sort_dir=${dir}&fields=members.id,members.last_changed,total_items&${window}`);
        expect(res.json.total_items).toBe(500);
        expect(res.json.members.every((m: { last_changed: string }) => m.last_changed === '2025-02-20T10:15:07+00:00')).toBe(true);
        ids.push(...res.json.members.map((m: { id: string }) => m.id));
      }
      return ids;
    };
    const asc = await pass('ASC');
    expect(asc).toHaveLength(500);
    expect(asc).toEqual([...asc].sort());
    expect(await pass('ASC')).toEqual(asc);
    expect(await pass('DESC')).toEqual([...asc].reverse());
  });

  test('Stripe: created=<shared second> lists the 300 newest first, ties by descending id, every one once over starting_after', async () => {
    const ids: string[] = [];
    let after: string | null = null;
    for (;;) {
      const res = await stripe(`/v1/charges?limit=7&created=${AT_SEC}${after ? `&starting_after=${after}` : ''}`);
      ids.push(...res.json.data.map((c: { id: string }) => c.id));
      if (!res.json.has_more) break;
      after = res.json.data[res.json.data.length - 1].id;
    }
    expect(ids).toHaveLength(300);
    expect(ids).toEqual([...ids].sort().reverse());
    // Their charge.succeeded events share the second too.
    expect(sb.stripe.events().filter((e) => e.created === AT_SEC)).toHaveLength(300);
  });

  test('a tenant may set its own run; bad options are refused at start', async () => {
    const multi = await startSandbox({
      sizes: { orders: 100, charges: 1, members: 1 },
      sharedTimestamp: { orders: { count: 1000 } },
      tenants: { shopify: [{ name: 'a' }, { name: 'b', sharedTimestamp: { count: 7, at: '2030-01-01T00:00:00Z' } }] },
    });
    try {
      // The sandbox-wide run is clipped to a smaller data set; its default time is the data's middle.
      const a = multi.shopify.records('a').map((r) => r.updatedAt);
      expect(new Set(a).size).toBe(1);
      const b = multi.shopify.records('b');
      expect(b.slice(-7).every((r) => r.updatedAt === '2030-01-01T00:00:00.000Z')).toBe(true);
      expect(b.filter((r) => r.updatedAt === '2030-01-01T00:00:00.000Z')).toHaveLength(7);
    } finally {
      await multi.close();
    }
    for (const bad of [
      { sharedTimestamp: { orders: { count: 5, at: 'yesterday' } } },
      { sharedTimestamp: { orders: { count: -1 } } },
      { sharedTimestamp: { invoices: { count: 1 } } },
      { sharedTimestamp: { members: { count: 1, when: 'x' } } },
      { tenants: { stripe: [{ name: 'x', charges: 3, sharedTimestamp: { count: 4 } }] } },
    ]) {
      await expect(startSandbox({ sizes: { orders: 5, charges: 5, members: 5 }, ...(bad as object) }), JSON.stringify(bad)).rejects.toThrow(/sharedTimestamp/);
    }
  });
});

describe('changes while a sync pages through a window', () => {
  test('Shopify: an order updated mid-run leaves the window (its new updated_at is now); orders already read are not re-served', async () => {
    const recs = sb.shopify.records();
    const [lo, hi] = [isoSec(recs[1000]!.updatedAt), isoSec(recs[1300]!.updatedAt)];
    const inWindow = recs.filter((r) => isoSec(r.updatedAt) >= lo && isoSec(r.updatedAt) <= hi).map((r) => r.id);
    const first = await shop(`${base}/orders.json?status=any&limit=100&updated_at_min=${enc(iso(lo))}&updated_at_max=${enc(iso(hi))}`);
    const read = first.json.orders.map((o: { id: number }) => String(o.id));
    const ahead = inWindow[250]!;
    const behind = read[10]!;
    sb.shopify.mutate({ ids: [ahead, behind] });
    const rest: string[] = [];
    let url: string | null = linkUrl(first.headers.link, 'next');
    while (url) {
      const res = await shop(url);
      rest.push(...res.json.orders.map((o: { id: number }) => String(o.id)));
      url = linkUrl(res.headers.link, 'next');
    }
    expect(rest).not.toContain(ahead);
    expect(rest).not.toContain(behind);
    expect([...read, ...rest]).toEqual(inWindow.filter((id) => id !== ahead));
    const moved = sb.shopify.records().find((r) => r.id === ahead)!;
    expect(Date.parse(moved.updatedAt)).toBeGreaterThan(Date.now() - 10_000);
    const now = await shop(`${base}/orders.json?status=any&updated_at_min=${enc(new Date(Date.now() - 10_000).toISOString())}`);
    expect(now.json.orders.map((o: { id: number }) => String(o.id)).sort()).toEqual([ahead, behind].sort());
  });

  test('Mailchimp: a member changed mid-run leaves a window ending before now; total_items shrinks on the next page', async () => {
    const recs = sb.mailchimp.records().map((r) => ({ id: r.id, t: isoSec(r.updatedAt) }));
    const lo = recs[1200]!.t;
    const until = iso(Math.floor(Date.now() / 1000) - 60);
    const window = `since_last_changed=${enc(iso(lo))}&before_last_changed=${enc(until)}&sort_field=last_changed&sort_dir=ASC`;
    const first = await chimp(`count=100&offset=0&${window}`);
    const total = first.json.total_items as number;
    const later = first.json.members.length === 100 ? (await chimp(`count=1&offset=300&${window}`)).json.members[0].id : null;
    expect(later).not.toBeNull();
    sb.mailchimp.mutate({ ids: [later] });
    const next = await chimp(`count=100&offset=100&${window}`);
    expect(next.json.total_items).toBe(total - 1);
    const since = await chimp(`since_last_changed=${enc(new Date(Date.now() - 10_000).toISOString())}&fields=members.id`);
    expect(since.json.members.map((m: { id: string }) => m.id)).toContain(later);
    expect(() => sb.mailchimp.mutate({ ids: ['0'.repeat(32)] })).toThrow(/no member/);
  });

  test('Stripe: a charge refunded mid-run stays in its created window (created never moves) and shows in the events', async () => {
    const recs = sb.stripe.records();
    const [lo, hi] = [isoSec(recs[100]!.updatedAt), isoSec(recs[600]!.updatedAt)];
    const first = await stripe(`/v1/charges?limit=100&created[gte]=${lo}&created[lte]=${hi}`);
    const target = recs[150]!.id;
    const e = sb.stripe.refund(target, { amount: 1 });
    const ids: string[] = first.json.data.map((c: { id: string }) => c.id);
    let after = ids[ids.length - 1]!;
    for (;;) {
      const res = await stripe(`/v1/charges?limit=100&created[gte]=${lo}&created[lte]=${hi}&starting_after=${after}`);
      ids.push(...res.json.data.map((c: { id: string }) => c.id));
      if (!res.json.has_more) break;
      after = ids[ids.length - 1]!;
    }
    expect(ids).toContain(target);
    expect(new Set(ids).size).toBe(ids.length);
    const events = await stripe(`/v1/events?type=charge.refunded&created[gte]=${e.created}`);
    expect(events.json.data.map((x: { data: { object: { id: string } } }) => x.data.object.id)).toContain(target);
  });

  test('an unknown id in mutate({ids}) throws before anything changes; the admin route answers 400', async () => {
    const before = sb.shopify.records();
    expect(() => sb.shopify.mutate({ ids: [before[0]!.id, '123'] })).toThrow(/no order with id 123/);
    expect(sb.shopify.records()).toEqual(before);
    const res = await call(`${sb.shopify.url}/_sandbox/mutate`, { method: 'POST', body: { ids: ['123'] } });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(/no order/);
    const ok = await call(`${sb.shopify.url}/_sandbox/mutate`, { method: 'POST', body: { ids: [before[5]!.id] } });
    expect(ok.json).toEqual({ updated: [before[5]!.id], created: [] });
    expect((await call(`${sb.shopify.url}/_sandbox/mutate`, { method: 'POST', body: { ids: [1] } })).status).toBe(400);
  });
});
