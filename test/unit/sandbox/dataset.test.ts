// The indexed page queries of the data sets, checked against brute-force filtering and sorting of
// the same records, after mutations (the cases the indexes have to get right).
import { describe, expect, test } from 'vitest';
import { MailchimpMembers, MEMBER_STATUSES, type MemberQuery } from '../../../src/sandbox/mailchimp-data.js';
import { mulberry32, randInt } from '../../../src/sandbox/prng.js';
import { ORDER_STATUSES, ShopifyOrders, type OrderFilter } from '../../../src/sandbox/shopify-data.js';
import { StripeCharges } from '../../../src/sandbox/stripe-data.js';

const START = Date.UTC(2025, 2, 1, 12);
const rng = mulberry32(42);
const sec = (iso: string) => Math.floor(Date.parse(iso) / 1000);

describe('determinism', () => {
  test('the same seed gives the same data; another seed differs', () => {
    const a = new ShopifyOrders(1, 50, START);
    const b = new ShopifyOrders(1, 50, START);
    const c = new ShopifyOrders(2, 50, START);
    expect(a.records()).toEqual(b.records());
    expect(a.render(7)).toEqual(b.render(7));
    expect(a.records()).not.toEqual(c.records());
    expect(new StripeCharges(1, 50, START).records()).toEqual(new StripeCharges(1, 50, START).records());
    expect(new MailchimpMembers(1, 50, START, 'l').records()).toEqual(new MailchimpMembers(1, 50, START, 'l').records());
    const m1 = new MailchimpMembers(1, 50, START, 'l');
    const m2 = new MailchimpMembers(1, 50, START, 'l');
    expect(m1.mutate({ update: 5, create: 2 }).updated).toEqual(m2.mutate({ update: 5, create: 2 }).updated);
  });

  test('Stripe ids resolve back to their charge; look-alikes do not', () => {
    const s = new StripeCharges(3, 1000, START);
    for (const i of [0, 1, 500, 999]) expect(s.indexOfId(s.idOf(i))).toBe(i);
    const id = s.idOf(5);
    expect(s.indexOfId(`${id.slice(0, -1)}${id.endsWith('a') ? 'b' : 'a'}`)).toBe(-1);
    expect(s.indexOfId('ch_3zzzzzzzzzzzzzzzzzzzzzzzz')).toBe(-1);
  });
});

describe('Shopify orders: keyset pages match brute force', () => {
  const orders = new ShopifyOrders(5, 3000, START);
  orders.mutate({ update: 300, create: 40 });
  orders.mutate({ update: 300, create: 10 });
  const n = orders.size;
  const all = Array.from({ length: n }, (_, i) => i);
  const created = (i: number) => sec(String(orders.render(i).created_at));
  const times = all.map((i) => orders.updatedSec(i)).sort((a, b) => a - b);

  test.each(Array.from({ length: 25 }, (_, k) => k))('random filter #%i', (k) => {
    const pickTime = () => times[randInt(rng, 0, n - 1)]!;
    const [u1, u2] = [pickTime(), pickTime()].sort((a, b) => a - b);
    const f: OrderFilter = {
      status: k % 4 === 0 ? 'any' : ORDER_STATUSES[k % 3]!,
      updatedMin: k % 5 === 1 ? null : u1!,
      updatedMax: k % 5 === 2 ? null : u2!,
      createdMin: k % 7 === 3 ? created(randInt(rng, 0, n / 2)) : null,
      createdMax: null,
      sinceId: k % 6 === 4 ? orders.idOf(randInt(rng, 0, n - 1)) : null,
    };
    const expected = all.filter((i) => {
      const u = orders.updatedSec(i);
      const st = orders.statusOf(i);
      return (f.status === 'any' || st === f.status || (f.status === 'closed' && st === 'cancelled')) &&
        (f.updatedMin === null || u >= f.updatedMin) && (f.updatedMax === null || u <= f.updatedMax) &&
        (f.createdMin === null || created(i) >= f.createdMin) && (f.sinceId === null || orders.idOf(i) > f.sinceId);
    });
    const limit = randInt(rng, 1, 120);
    const pages: number[][] = [];
    let cursor: { direction: 'after' | 'before'; anchorId: number } | null = null;
    for (;;) {
      const page = orders.page(f, cursor, limit);
      if (page.items.length) pages.push(page.items);
      if (!page.hasNext) break;
      cursor = { direction: 'after', anchorId: orders.idOf(page.items[page.items.length - 1]!) };
    }
    expect(pages.flat()).toEqual(expected);
    // Walking back with "before" cursors visits the same pages in reverse.
    if (pages.length > 1) {
      let back = pages[pages.length - 1]!;
      for (let p = pages.length - 2; p >= 0; p--) {
        const prev = orders.page(f, { direction: 'before', anchorId: orders.idOf(back[0]!) }, limit);
        expect(prev.items).toEqual(pages[p]);
        expect(prev.hasPrevious).toBe(p > 0);
        back = prev.items;
      }
    }
  });
});

describe('Stripe charges: lists match brute force', () => {
  const charges = new StripeCharges(6, 3000, START);
  charges.mutate({ create: 30 });
  charges.mutate({ update: 100, create: 5 });
  const n = charges.size;
  const ids = Array.from({ length: n }, (_, i) => i);
  const newestFirst = [...ids].sort((a, b) => charges.createdSec(b) - charges.createdSec(a) || (charges.idOf(a) < charges.idOf(b) ? 1 : -1));

  test.each(Array.from({ length: 20 }, (_, k) => k))('random range #%i', (k) => {
    const t = () => charges.createdSec(randInt(rng, 0, n - 1));
    const [lo, hi] = [t(), t()].sort((a, b) => a - b);
    const range = { gte: k % 3 === 0 ? null : lo!, lte: k % 4 === 0 ? null : hi! };
    const expected = newestFirst.filter((i) => (range.gte === null || charges.createdSec(i) >= range.gte) && (range.lte === null || charges.createdSec(i) <= range.lte));
    const limit = randInt(rng, 1, 100);
    const got: number[] = [];
    let after: number | undefined;
    for (;;) {
      const page = charges.list(range, after === undefined ? {} : { startingAfter: after }, limit);
      got.push(...page.items);
      if (!page.hasMore) break;
      after = page.items[page.items.length - 1];
    }
    expect(got).toEqual(expected);
    if (expected.length > limit) {
      const anchor = expected[limit]!;
      expect(charges.list(range, { endingBefore: anchor }, limit).items).toEqual(expected.slice(0, limit));
    }
  });
});

describe('Mailchimp members: queries match brute force', () => {
  const members = new MailchimpMembers(8, 3000, START, 'list');
  members.mutate({ update: 200, create: 30 });
  members.mutate({ update: 200, create: 5 });
  const n = members.size;
  const all = Array.from({ length: n }, (_, i) => i);
  const idOf = all.map((i) => members.idOf(i));
  const opt = all.map((i) => sec(String(members.render(i).timestamp_opt)));
  const lc = all.map((i) => members.lastChangedSec(i));

  test.each(Array.from({ length: 25 }, (_, k) => k))('random query #%i', (k) => {
    const t = () => lc[randInt(rng, 0, n - 1)]!;
    const [a, b] = [t(), t()].sort((x, y) => x - y);
    const q: MemberQuery = {
      status: k % 3 === 0 ? MEMBER_STATUSES[k % 4]! : null,
      sortField: k % 2 === 0 ? 'last_changed' : k % 5 === 1 ? null : 'timestamp_opt',
      descending: k % 4 === 1,
      changedSince: k % 5 === 0 ? null : a!,
      changedBefore: k % 6 === 0 ? null : b!,
      optSince: k % 7 === 2 ? opt[randInt(rng, 0, n - 1)]! : null,
      optBefore: null,
      offset: 0,
      count: randInt(rng, 1, 400),
    };
    let expected = all.filter((i) =>
      (q.status === null || members.statusOf(i) === q.status) &&
      (q.changedSince === null || lc[i]! >= q.changedSince) && (q.changedBefore === null || lc[i]! < q.changedBefore) &&
      (q.optSince === null || opt[i]! >= q.optSince));
    if (q.sortField === 'last_changed') expected.sort((x, y) => lc[x]! - lc[y]! || (idOf[x]! < idOf[y]! ? -1 : 1));
    if (q.descending) expected = expected.reverse();
    const got: number[] = [];
    for (let offset = 0; ; offset += q.count) {
      const page = members.query({ ...q, offset });
      expect(page.total).toBe(expected.length);
      got.push(...page.items);
      if (page.items.length < q.count) break;
    }
    expect(got).toEqual(expected);
  });
});

test('large data sets build quickly and page without scanning', () => {
  const started = performance.now();
  const orders = new ShopifyOrders(1, 200_000, START);
  const members = new MailchimpMembers(1, 200_000, START, 'list');
  const charges = new StripeCharges(1, 200_000, START);
  orders.mutate({ update: 1000, create: 100 });
  const built = performance.now() - started;
  const t0 = performance.now();
  const since = Math.floor(Date.now() / 1000) - 5;
  const window: OrderFilter = { status: 'any', updatedMin: since, updatedMax: null, createdMin: null, createdMax: null, sinceId: null };
  for (let k = 0; k < 200; k++) {
    expect(orders.page(window, null, 250).items.length).toBe(250);
    members.query({ status: null, sortField: 'last_changed', descending: false, changedSince: null, changedBefore: null, optSince: null, optBefore: null, offset: 150_000 + k * 100, count: 100 });
    charges.list({ gte: null, lte: null }, { startingAfter: k * 500 }, 100);
  }
  const paged = performance.now() - t0;
  expect(built).toBeLessThan(10_000);
  expect(paged).toBeLessThan(3_000);
});
