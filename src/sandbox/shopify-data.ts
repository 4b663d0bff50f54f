// The Shopify orders data set: a compact core (one number per field per order) and orders rendered
// as Admin REST JSON on demand.
//
// Orders are served in id order filtered by an updated_at window. Two facts make that a keyset scan
// instead of a filter over the whole set: ids, creation times and the *initial* updated_at all rise
// with the index, so untouched orders inside a window form one contiguous index range (two binary
// searches); and orders changed since (`mutate`) sit in a separate id-sorted list that is merged in.
// A page therefore costs O(log n + page + changed orders skipped), never a pass over every order.
// Counts (orders/count.json) use per-status prefix sums over the index instead of the scan: O(log n
// + changed orders).
import { lowerBound, upperBound } from './bsearch.js';
import { CITIES, EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES, PRODUCTS, emailFor } from './names.js';
import { ALNUM, HEX, hash32, mulberry32, pick, randChars, randInt, rngFor, sampleDistinct, sortedSeconds, type Rng } from './prng.js';
import { isoUtc, isoWithOffset, settleLagSec, shareRun } from './time.js';
import type { DataStore, MutateOptions, MutateResult, RecordSummary } from './types.js';

export const ORDER_STATUSES = ['open', 'closed', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** The shop's zone: America/Panama, UTC-05:00 all year, so every offset in the data is the same. */
export const SHOP_UTC_OFFSET_MIN = -300;
export const SHOP_IANA_TIMEZONE = 'America/Panama';

const ORDER_ID_BASE = 5_510_000_000_000;
const ORDER_ID_STEP = 1024;
const LINE_ITEM_ID_BASE = 13_800_000_000_000;
const CUSTOMER_ID_BASE = 7_100_000_000_000;
/**
 * Each shop of a multi-shop emulator gets its own id range (shop k: ids + k * this), so order, line
 * item and customer ids never collide between shops, as on Shopify. Wide enough for 1M orders a shop.
 */
export const SHOP_ID_SPACING = 10_000_000_000;
const SALT = 0x5109;
const SALT_REV = 0x510a;
const SALT_MUTATE = 0x510b;
const DAY = 86_400;

export interface OrderFilter {
  status: OrderStatus | 'any';
  /** Inclusive bounds in unix seconds (null: unbounded). */
  updatedMin: number | null;
  updatedMax: number | null;
  createdMin: number | null;
  createdMax: number | null;
  /** Only orders with a greater id. */
  sinceId: number | null;
}

export interface ShopifyOrdersOptions {
  /** The emulator's clock (epoch ms) for every stamp: defaults to Date.now. */
  now?: () => number;
  /** `count` orders share one updated_at second, `at` (unix seconds). */
  shared?: { count: number; at: number };
}

export interface OrderPage {
  /** Order indexes in ascending id order. */
  items: number[];
  hasNext: boolean;
  hasPrevious: boolean;
}

export class ShopifyOrders implements DataStore {
  private readonly created: number[] = [];
  /** updated_at as generated or created: never decreases with the index. */
  private readonly baseUpdated: number[] = [];
  private readonly updated: number[] = [];
  /** How many times `mutate` changed the order (0 = untouched). */
  private readonly rev: number[] = [];
  private readonly status: number[] = [];
  /** Indexes with rev > 0, ascending. */
  private touched: number[] = [];
  /** byStatus[s][i]: how many of the orders before index i have status s (never changes: mutate keeps statuses). */
  private readonly byStatus: number[][] = [[0], [0], [0]];
  private readonly mutateRng: Rng;
  private readonly now: () => number;

  private readonly idBase: number;
  private readonly idOffset: number;

  /** `shopIndex`: the shop's position on a multi-shop emulator, which picks its id range (0: the historical ids). */
  constructor(
    private readonly seed: number,
    size: number,
    startMs: number,
    shopIndex = 0,
    options: ShopifyOrdersOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.idOffset = shopIndex * SHOP_ID_SPACING;
    this.idBase = ORDER_ID_BASE + this.idOffset;
    const end = Math.floor(startMs / 1000) - 3600;
    const rng = rngFor(seed, SALT);
    const times = sortedSeconds(rng, size, end - 30 * DAY, end);
    // Shared change times keep the array sorted, and creation (t - lag(t)) rises with t, so the
    // index order (ids, created_at, updated_at) holds for the shared run too.
    if (options.shared && options.shared.count > 0) shareRun(times, options.shared.count, options.shared.at);
    for (const upd of times) {
      const i = this.created.length;
      this.baseUpdated.push(upd);
      this.updated.push(upd);
      this.created.push(upd - settleLagSec(upd));
      this.rev.push(0);
      const roll = hash32(seed, SALT, i) % 100;
      // A quarter of the orders are not open: a client that forgets status=any misses them.
      this.pushStatus(roll < 72 ? 0 : roll < 94 ? 1 : 2);
    }
    this.mutateRng = rngFor(seed, SALT_MUTATE);
  }

  private pushStatus(st: number): void {
    this.status.push(st);
    for (let k = 0; k < 3; k++) {
      const col = this.byStatus[k]!;
      col.push(col[col.length - 1]! + (k === st ? 1 : 0));
    }
  }

  /** The index of an order id, or -1. */
  indexOfId(id: number): number {
    const k = this.firstIndexAfterId(id - 1);
    return k < this.size && this.idOf(k) === id ? k : -1;
  }

  get size(): number {
    return this.created.length;
  }

  idOf(i: number): number {
    return this.idBase + i * ORDER_ID_STEP + (hash32(this.seed, SALT, i, 1) % ORDER_ID_STEP);
  }

  /** First index whose id is greater than `id` (ids rise with the index). */
  firstIndexAfterId(id: number): number {
    if (id < this.idBase) return 0;
    const k = Math.floor((id - this.idBase) / ORDER_ID_STEP);
    if (k >= this.size) return this.size;
    return this.idOf(k) > id ? k : k + 1;
  }

  statusOf(i: number): OrderStatus {
    return ORDER_STATUSES[this.status[i]!]!;
  }

  updatedSec(i: number): number {
    return this.updated[i]!;
  }

  private bounds(f: OrderFilter) {
    const n = this.size;
    const created = (i: number) => this.created[i]!;
    const base = (i: number) => this.baseUpdated[i]!;
    let lo = 0;
    let hi = n;
    if (f.createdMin !== null) lo = Math.max(lo, lowerBound(0, n, created, f.createdMin));
    if (f.createdMax !== null) hi = Math.min(hi, upperBound(0, n, created, f.createdMax));
    if (f.sinceId !== null) lo = Math.max(lo, this.firstIndexAfterId(f.sinceId));
    let r0 = lo;
    let r1 = hi;
    if (f.updatedMin !== null) r0 = Math.max(r0, lowerBound(0, n, base, f.updatedMin));
    if (f.updatedMax !== null) r1 = Math.min(r1, upperBound(0, n, base, f.updatedMax));
    return { lo, hi, r0, r1 };
  }

  /** Cancelling archives an order, so `closed` (closed_at set) includes the cancelled ones. */
  private statusOk(i: number, f: OrderFilter): boolean {
    const s = this.status[i]!;
    return f.status === 'any' || (f.status === 'closed' ? s !== 0 : ORDER_STATUSES[s] === f.status);
  }

  private touchedOk(i: number, f: OrderFilter): boolean {
    const u = this.updated[i]!;
    return (f.updatedMin === null || u >= f.updatedMin) && (f.updatedMax === null || u <= f.updatedMax) && this.statusOk(i, f);
  }

  /** Untouched orders in [r0, r1) that pass the status filter, from the prefix sums. */
  private statusCount(f: OrderFilter, r0: number, r1: number): number {
    if (r1 <= r0) return 0;
    const span = (s: number) => this.byStatus[s]![r1]! - this.byStatus[s]![r0]!;
    const all = f.status === 'any' ? r1 - r0 : f.status === 'closed' ? span(1) + span(2) : span(ORDER_STATUSES.indexOf(f.status));
    // Changed orders are counted with their new updated_at below, not here.
    const t = this.touched;
    let touchedHere = 0;
    for (let p = lowerBound(0, t.length, (q) => t[q]!, r0); p < t.length && t[p]! < r1; p++) if (this.statusOk(t[p]!, f)) touchedHere++;
    return all - touchedHere;
  }

  /** How many orders match the filter (orders/count.json), without listing them. */
  count(f: OrderFilter): number {
    const { lo, hi, r0, r1 } = this.bounds(f);
    let c = this.statusCount(f, r0, r1);
    const t = this.touched;
    for (let p = lowerBound(0, t.length, (q) => t[q]!, lo); p < t.length && t[p]! < hi; p++) if (this.touchedOk(t[p]!, f)) c++;
    return c;
  }

  /** Up to `k` matching indexes >= `from`, ascending. */
  scanForward(f: OrderFilter, from: number, k: number): number[] {
    const { lo, hi, r0, r1 } = this.bounds(f);
    const out: number[] = [];
    const t = this.touched;
    let r = Math.max(from, r0);
    let tp = lowerBound(0, t.length, (p) => t[p]!, Math.max(from, lo));
    while (out.length < k) {
      while (r < r1 && (this.rev[r]! > 0 || !this.statusOk(r, f))) r++;
      while (tp < t.length && t[tp]! < hi && !this.touchedOk(t[tp]!, f)) tp++;
      const cr = r < r1 ? r : Infinity;
      const ct = tp < t.length && t[tp]! < hi ? t[tp]! : Infinity;
      if (cr === Infinity && ct === Infinity) break;
      if (cr < ct) out.push(r++);
      else out.push(t[tp++]!);
    }
    return out;
  }

  /** Up to `k` matching indexes <= `from`, descending. */
  scanBackward(f: OrderFilter, from: number, k: number): number[] {
    const { lo, hi, r0, r1 } = this.bounds(f);
    const out: number[] = [];
    const t = this.touched;
    let r = Math.min(from, r1 - 1);
    let tp = upperBound(0, t.length, (p) => t[p]!, Math.min(from, hi - 1)) - 1;
    while (out.length < k) {
      while (r >= r0 && (this.rev[r]! > 0 || !this.statusOk(r, f))) r--;
      while (tp >= 0 && t[tp]! >= lo && !this.touchedOk(t[tp]!, f)) tp--;
      const cr = r >= r0 ? r : -Infinity;
      const ct = tp >= 0 && t[tp]! >= lo ? t[tp]! : -Infinity;
      if (cr === -Infinity && ct === -Infinity) break;
      if (cr > ct) out.push(r--);
      else out.push(t[tp--]!);
    }
    return out;
  }

  /**
   * One page in id order. Without a cursor: the first page. `after`: orders with a greater id than
   * the anchor; `before`: the `limit` orders just below the anchor (a previous page).
   */
  page(f: OrderFilter, cursor: { direction: 'after' | 'before'; anchorId: number } | null, limit: number): OrderPage {
    let items: number[];
    if (cursor?.direction === 'before') {
      const below = this.firstIndexAfterId(cursor.anchorId - 1) - 1;
      items = below < 0 ? [] : this.scanBackward(f, below, limit).reverse();
    } else {
      const from = cursor ? this.firstIndexAfterId(cursor.anchorId) : 0;
      items = this.scanForward(f, from, limit);
    }
    const first = items[0];
    const last = items[items.length - 1];
    let hasNext: boolean;
    let hasPrevious: boolean;
    if (first !== undefined && last !== undefined) {
      hasNext = this.scanForward(f, last + 1, 1).length > 0;
      hasPrevious = first > 0 && this.scanBackward(f, first - 1, 1).length > 0;
    } else if (cursor) {
      // An empty page past either end: only the way back is offered.
      const edge = this.firstIndexAfterId(cursor.anchorId);
      hasNext = cursor.direction === 'before' && this.scanForward(f, Math.max(0, edge - 1), 1).length > 0;
      hasPrevious = cursor.direction === 'after' && edge > 0 && this.scanBackward(f, edge - 1, 1).length > 0;
    } else {
      hasNext = false;
      hasPrevious = false;
    }
    return { items, hasNext, hasPrevious };
  }

  render(i: number): Record<string, unknown> {
    const rng = rngFor(this.seed, SALT, i, 2);
    const id = this.idOf(i);
    const number = 1001 + i;
    const status = this.statusOf(i);
    const rev = this.rev[i]!;
    const revRng: Rng = rev > 0 ? rngFor(this.seed, SALT_REV, i, rev) : mulberry32(0);
    const at = (sec: number) => isoWithOffset(sec, SHOP_UTC_OFFSET_MIN);

    const first = pick(rng, FIRST_NAMES);
    const last = pick(rng, LAST_NAMES);
    const customerNo = hash32(this.seed, SALT, i, 3) % Math.max(1, Math.floor(this.size / 3));
    const email = emailFor(first, last, customerNo, pick(rng, EMAIL_DOMAINS));
    const place = pick(rng, CITIES);

    const lineCount = randInt(rng, 1, 3);
    const lineItems: Record<string, unknown>[] = [];
    let subtotal = 0;
    for (let k = 0; k < lineCount; k++) {
      const productIndex = randInt(rng, 0, PRODUCTS.length - 1);
      const product = PRODUCTS[productIndex]!;
      const quantity = randInt(rng, 1, 3);
      subtotal += product.price * quantity;
      lineItems.push({
        id: LINE_ITEM_ID_BASE + this.idOffset + i * 4 + k,
        admin_graphql_api_id: `gid://shopify/LineItem/${LINE_ITEM_ID_BASE + this.idOffset + i * 4 + k}`,
        title: product.title,
        name: product.title,
        sku: product.sku,
        quantity,
        price: product.price.toFixed(2),
        product_id: 8_120_000_000_000 + productIndex * 131,
        variant_id: 44_100_000_000_000 + productIndex * 977,
        vendor: 'Sandbox Goods',
        requires_shipping: true,
        taxable: true,
        fulfillable_quantity: status === 'open' ? quantity : 0,
        gift_card: false,
      });
    }
    const tax = Math.round(subtotal * 0.08 * 100) / 100;
    const total = subtotal + tax;

    const financial =
      status === 'cancelled' ? pick(rng, ['refunded', 'voided'] as const)
        : status === 'closed' ? 'paid'
          : rev > 0 ? pick(revRng, ['paid', 'paid', 'partially_refunded'] as const)
            : pick(rng, ['paid', 'paid', 'paid', 'pending', 'authorized'] as const);
    const fulfillment =
      status === 'closed' ? 'fulfilled'
        : status === 'cancelled' ? null
          : rev > 0 ? pick(revRng, [null, 'partial', 'fulfilled'] as const)
            : null;
    const settled = at(this.baseUpdated[i]!);

    return {
      id,
      admin_graphql_api_id: `gid://shopify/Order/${id}`,
      name: `#${number}`,
      number: number - 1000,
      order_number: number,
      confirmation_number: randChars(rng, ALNUM.slice(10, 36), 9),
      token: randChars(rng, HEX, 32),
      email,
      contact_email: email,
      created_at: at(this.created[i]!),
      updated_at: at(this.updated[i]!),
      processed_at: at(this.created[i]!),
      closed_at: status === 'closed' || status === 'cancelled' ? settled : null,
      cancelled_at: status === 'cancelled' ? settled : null,
      cancel_reason: status === 'cancelled' ? pick(rng, ['customer', 'inventory', 'declined'] as const) : null,
      confirmed: true,
      test: false,
      currency: 'USD',
      presentment_currency: 'USD',
      subtotal_price: subtotal.toFixed(2),
      total_line_items_price: subtotal.toFixed(2),
      total_discounts: '0.00',
      total_tax: tax.toFixed(2),
      total_price: total.toFixed(2),
      current_total_price: total.toFixed(2),
      taxes_included: false,
      financial_status: financial,
      fulfillment_status: fulfillment,
      source_name: 'web',
      tags: rev > 0 ? pick(revRng, ['', 'vip', 'wholesale', 'gift'] as const) : '',
      note: rev > 0 ? `edited ${rev} time${rev === 1 ? '' : 's'}` : null,
      customer_locale: 'en',
      customer: {
        id: CUSTOMER_ID_BASE + this.idOffset + customerNo * 7,
        email,
        first_name: first,
        last_name: last,
        admin_graphql_api_id: `gid://shopify/Customer/${CUSTOMER_ID_BASE + this.idOffset + customerNo * 7}`,
      },
      billing_address: { first_name: first, last_name: last, city: place.city, province_code: place.state, country_code: place.country, zip: place.postal },
      line_items: lineItems,
    };
  }

  records(): RecordSummary[] {
    const out: RecordSummary[] = [];
    for (let i = 0; i < this.size; i++) out.push({ id: String(this.idOf(i)), updatedAt: isoUtc(this.updated[i]!) });
    return out;
  }

  /**
   * `update` random orders and the `ids` ones get updated_at = now (the emulator's clock) and a new
   * revision of their editable fields: they leave every updated_at window that ends before now, as on
   * Shopify; `create` new open orders stamped now.
   */
  mutate(opts: MutateOptions): MutateResult {
    const named = (opts.ids ?? []).map((id) => {
      const k = /^\d+$/.test(id) ? this.indexOfId(Number(id)) : -1;
      if (k < 0) throw new Error(`sandbox: no order with id ${id}`);
      return k;
    });
    const now = Math.floor(this.now() / 1000);
    const picked = [...sampleDistinct(this.mutateRng, this.size, opts.update ?? 0), ...named];
    const fresh: number[] = [];
    for (const i of picked) {
      if (this.rev[i] === 0) fresh.push(i);
      this.rev[i] = this.rev[i]! + 1;
      this.updated[i] = now;
    }
    if (fresh.length > 0) this.touched = mergeSorted(this.touched, fresh.sort((a, b) => a - b));

    const created: string[] = [];
    for (let k = 0; k < (opts.create ?? 0); k++) {
      const i = this.size;
      // Keep creation and base update times non-decreasing even if the clock steps back.
      const stamp = Math.max(now, this.baseUpdated[i - 1] ?? now, this.created[i - 1] ?? now);
      this.created.push(stamp);
      this.baseUpdated.push(stamp);
      this.updated.push(stamp);
      this.rev.push(0);
      this.pushStatus(0);
      created.push(String(this.idOf(i)));
    }
    return { updated: picked.map((i) => String(this.idOf(i))), created };
  }
}

function mergeSorted(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]! < b[j]!)) out.push(a[i++]!);
    else out.push(b[j++]!);
  }
  return out;
}
