// What a planner of sliced first syncs asks before listing: Shopify's orders/count.json, Mailchimp's
// count=1&fields=total_items and earliest-by-last_changed, Stripe's created[lt]&limit=1; and the
// windows it then lists, which must survive paging (page_info keeps Shopify's, the others resend it).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mulberry32, randInt } from '../../../src/sandbox/prng.js';
import { ORDER_STATUSES, ShopifyOrders, type OrderFilter } from '../../../src/sandbox/shopify-data.js';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { call, isoSec, linkUrl, mailchimpAuth, shopifyAuth, stripeAuth } from './helpers.js';

const NO_ORDERS_TOKEN = 'shpat_sandbox_probe_no_orders_01';

let sb: Sandbox;
let base: string;
let members: string;
beforeAll(async () => {
  sb = await startSandbox({ seed: 13, sizes: { orders: 1500, charges: 1500, members: 1500 }, shopifyTokens: { [NO_ORDERS_TOKEN]: ['read_products'] } });
  base = `${sb.shopify.url}/admin/api/2025-07`;
  members = `${sb.mailchimp.url}/3.0/lists/${sb.credentials.mailchimp.listId}/members`;
});
afterAll(() => sb.close());

const shop = (url: string, headers: Record<string, string> = shopifyAuth(sb)) => call(url, { headers });
const chimp = (query: string) => call(`${members}?${query}`, { headers: mailchimpAuth(sb) });
const stripe = (path: string) => call(`${sb.stripe.url}${path}`, { headers: stripeAuth(sb) });
const iso = (sec: number) => new Date(sec * 1000).toISOString();
const enc = encodeURIComponent;

async function shopifyAll(first: string) {
  const orders: { id: number; updated_at: string; created_at: string }[] = [];
  let url: string | null = first;
  while (url) {
    const res = await shop(url);
    expect(res.status, res.text).toBe(200);
    orders.push(...res.json.orders);
    url = linkUrl(res.headers.link, 'next');
  }
  return orders;
}

describe('Shopify orders/count.json', () => {
  test('answers {"count": n} for the same filters as orders.json, status defaulting to open', async () => {
    const recs = sb.shopify.records();
    const times = [...new Set(recs.map((r) => isoSec(r.updatedAt)))].sort((a, b) => a - b);
    const lo = iso(times[300]!);
    const hi = iso(times[1100]!);
    const queries = [
      '',
      'status=any',
      'status=closed',
      'status=cancelled',
      `status=any&updated_at_min=${enc(lo)}&updated_at_max=${enc(hi)}`,
      `status=open&updated_at_min=${enc(lo)}`,
      `status=any&created_at_min=${enc(lo)}&created_at_max=${enc(hi)}`,
      `status=any&updated_at_max=${enc(lo)}&created_at_min=${enc(iso(times[10]!))}`,
    ];
    for (const q of queries) {
      const count = await shop(`${base}/orders/count.json?${q}`);
      expect(count.status, q).toBe(200);
      expect(Object.keys(count.json), q).toEqual(['count']);
      const listed = await shopifyAll(`${base}/orders.json?limit=250&${q}`);
      expect(count.json.count, q).toBe(listed.length);
    }
    expect((await shop(`${base}/orders/count.json?status=any`)).json.count).toBe(1500);
  });

  test('counts follow mutations: an updated order leaves a window ending before now', async () => {
    const recs = sb.shopify.records();
    const window = `status=any&updated_at_min=${enc(recs[0]!.updatedAt)}&updated_at_max=${enc(recs[recs.length - 1]!.updatedAt)}`;
    const before = (await shop(`${base}/orders/count.json?${window}`)).json.count as number;
    const { updated, created } = sb.shopify.mutate({ ids: [recs[700]!.id, recs[701]!.id], create: 3 });
    expect(updated).toEqual([recs[700]!.id, recs[701]!.id]);
    expect((await shop(`${base}/orders/count.json?${window}`)).json.count).toBe(before - 2);
    const recent = `status=any&updated_at_min=${enc(new Date(Date.now() - 5000).toISOString())}`;
    expect((await shop(`${base}/orders/count.json?${recent}`)).json.count).toBe(5);
    expect((await shop(`${base}/orders/count.json?status=any`)).json.count).toBe(1500 + created.length);
  });

  test('refuses what a count does not take; needs read_orders; same versions as orders.json', async () => {
    for (const q of ['page_info=abc', 'limit=5', 'since_id=1', 'fields=id', 'financial_status=paid', 'status=archived', 'updated_at_min=yesterday']) {
      const res = await shop(`${base}/orders/count.json?${q}`);
      expect(res.status, q).toBe(400);
      expect(typeof res.json.errors, q).toBe('object');
    }
    const denied = await shop(`${base}/orders/count.json`, { 'x-shopify-access-token': NO_ORDERS_TOKEN });
    expect(denied.status).toBe(403);
    expect((await shop(`${sb.shopify.url}/admin/api/2099-01/orders/count.json`)).status).toBe(404);
    expect((await shop(`${base}/orders/count.json`, {})).status).toBe(401);
  });

  test('count() matches brute force after mutations', () => {
    const orders = new ShopifyOrders(5, 3000, Date.UTC(2025, 2, 1, 12));
    orders.mutate({ update: 300, create: 40 });
    orders.mutate({ update: 300, create: 10 });
    const rng = mulberry32(3);
    const all = Array.from({ length: orders.size }, (_, i) => i);
    const created = all.map((i) => isoSec(String(orders.render(i).created_at)));
    const times = all.map((i) => orders.updatedSec(i)).sort((a, b) => a - b);
    for (let k = 0; k < 40; k++) {
      const pickTime = () => times[randInt(rng, 0, times.length - 1)]!;
      const [u1, u2] = [pickTime(), pickTime()].sort((a, b) => a - b);
      const f: OrderFilter = {
        status: k % 4 === 0 ? 'any' : ORDER_STATUSES[k % 3]!,
        updatedMin: k % 5 === 1 ? null : u1!,
        updatedMax: k % 5 === 2 ? null : u2!,
        createdMin: k % 7 === 3 ? created[randInt(rng, 0, 1500)]! : null,
        createdMax: k % 6 === 5 ? created[randInt(rng, 1500, 2999)]! : null,
        sinceId: null,
      };
      const expected = all.filter((i) => {
        const u = orders.updatedSec(i);
        const st = orders.statusOf(i);
        return (f.status === 'any' || st === f.status || (f.status === 'closed' && st === 'cancelled')) &&
          (f.updatedMin === null || u >= f.updatedMin) && (f.updatedMax === null || u <= f.updatedMax) &&
          (f.createdMin === null || created[i]! >= f.createdMin) && (f.createdMax === null || created[i]! <= f.createdMax);
      }).length;
      expect(orders.count(f), JSON.stringify(f)).toBe(expected);
    }
  });
});

describe('windows survive paging', () => {
  test('Shopify: page_info links keep the updated_at window (and only limit/page_info travel)', async () => {
    const recs = sb.shopify.records();
    const times = [...new Set(recs.map((r) => isoSec(r.updatedAt)))].sort((a, b) => a - b);
    const [lo, hi] = [times[200]!, times[650]!];
    const orders = await shopifyAll(`${base}/orders.json?status=any&limit=37&updated_at_min=${enc(iso(lo))}&updated_at_max=${enc(iso(hi))}`);
    const expected = sb.shopify.records().filter((r) => isoSec(r.updatedAt) >= lo && isoSec(r.updatedAt) <= hi).map((r) => r.id);
    expect(orders.map((o) => String(o.id))).toEqual(expected);
    expect(orders.every((o) => isoSec(o.updated_at) >= lo && isoSec(o.updated_at) <= hi)).toBe(true);
  });

  test('Mailchimp: since/before_last_changed windows with offset paging; count=1&fields=total_items; the earliest by sort ASC', async () => {
    const recs = sb.mailchimp.records().map((r) => ({ id: r.id, t: isoSec(r.updatedAt) }));
    const times = [...new Set(recs.map((r) => r.t))].sort((a, b) => a - b);
    const [lo, hi] = [times[100]!, times[900]!];
    const window = `since_last_changed=${enc(iso(lo))}&before_last_changed=${enc(iso(hi))}`;
    const inWindow = recs.filter((r) => r.t >= lo && r.t < hi).sort((a, b) => a.t - b.t || (a.id < b.id ? -1 : 1));

    const probe = await chimp(`count=1&fields=total_items&${window}`);
    expect(probe.json).toEqual({ total_items: inWindow.length });
    const earliest = await chimp(`count=1&sort_field=last_changed&sort_dir=ASC&fields=members.id,members.last_changed,total_items&${window}`);
    expect(earliest.json.members).toEqual([{ id: inWindow[0]!.id, last_changed: expect.any(String) }]);
    expect(isoSec(earliest.json.members[0].last_changed)).toBe(lo);
    const latest = await chimp(`count=1&sort_field=last_changed&sort_dir=DESC&fields=members.id&${window}`);
    expect(latest.json.members[0].id).toBe(inWindow[inWindow.length - 1]!.id);

    const got: string[] = [];
    for (let offset = 0; offset < inWindow.length; offset += 97) {
      const page = await chimp(`count=97&offset=${offset}&sort_field=last_changed&sort_dir=ASC&${window}`);
      expect(page.json.total_items).toBe(inWindow.length);
      got.push(...page.json.members.map((m: { id: string }) => m.id));
    }
    expect(got).toEqual(inWindow.map((r) => r.id));
  });

  test('Stripe: created[lt]+limit=1 is the newest before t; created[gte]+created[lte] windows page with starting_after', async () => {
    const recs = sb.stripe.records().map((r) => ({ id: r.id, t: isoSec(r.updatedAt) }));
    const times = [...new Set(recs.map((r) => r.t))].sort((a, b) => a - b);
    const t = times[800]!;
    const before = await stripe(`/v1/charges?limit=1&created[lt]=${t}`);
    const newestBefore = recs.filter((r) => r.t < t).sort((a, b) => b.t - a.t || (a.id < b.id ? 1 : -1))[0]!;
    expect(before.json.data.map((c: { id: string }) => c.id)).toEqual([newestBefore.id]);
    expect(before.json.has_more).toBe(true);
    expect((await stripe(`/v1/charges?limit=1&created[lt]=${times[0]}`)).json).toMatchObject({ data: [], has_more: false });

    const [lo, hi] = [times[300]!, times[700]!];
    const got: string[] = [];
    let after: string | null = null;
    for (;;) {
      const res = await stripe(`/v1/charges?limit=23&created[gte]=${lo}&created[lte]=${hi}${after ? `&starting_after=${after}` : ''}`);
      got.push(...res.json.data.map((c: { id: string }) => c.id));
      if (!res.json.has_more) break;
      after = res.json.data[res.json.data.length - 1].id;
    }
    const expected = recs.filter((r) => r.t >= lo && r.t <= hi).sort((a, b) => b.t - a.t || (a.id < b.id ? 1 : -1)).map((r) => r.id);
    expect(got).toEqual(expected);
  });
});
