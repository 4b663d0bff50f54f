// The Stripe charges data set. `created` never changes, so the list order (created, then id) only
// grows at the newest end; one position array gives O(log n + page) pages for any created range and
// starting_after/ending_before anchor. Charge ids encode their index (scrambled), so an id is
// resolved without a million-entry map, and unknown ids are recognised by re-deriving the id.
import { lowerBound, upperBound } from './bsearch.js';
import { CITIES, EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES, emailFor } from './names.js';
import { ALNUM, hash32, pick, randChars, randInt, rngFor, sampleDistinct, sortedSeconds, type Rng } from './prng.js';
import { isoUtc } from './time.js';
import type { DataStore, MutateOptions, MutateResult, RecordSummary } from './types.js';

const SALT = 0x5791;
const SALT_MUTATE = 0x5792;
const DAY = 86_400;
const MIX = 0x2c1b3c6d;

/** Multiplicative inverse of an odd number modulo 2^32 (Newton's iteration). */
function inverseOdd(a: number): number {
  let x = a;
  for (let k = 0; k < 5; k++) x = Math.imul(x, 2 - Math.imul(a, x));
  return x >>> 0;
}
const MIX_INV = inverseOdd(MIX);

function base62(n: number, width: number): string {
  let out = '';
  let v = n;
  for (let k = 0; k < width; k++) {
    out = ALNUM[v % 62]! + out;
    v = Math.floor(v / 62);
  }
  return out;
}

function unbase62(s: string): number | null {
  let v = 0;
  for (const ch of s) {
    const d = ALNUM.indexOf(ch);
    if (d < 0) return null;
    v = v * 62 + d;
  }
  return v;
}

/** The first draw of a charge's generator, shared by render() and the refund logic. */
function drawAmount(rng: Rng): number {
  return randInt(rng, 5, 900) * 100 + pick(rng, [0, 0, 50, 95, 99]);
}

export interface CreatedRange {
  /** Inclusive bounds in unix seconds. */
  gte: number | null;
  lte: number | null;
}

export interface ChargeList {
  /** Charge indexes, newest first. */
  items: number[];
  hasMore: boolean;
}

export class StripeCharges implements DataStore {
  private readonly created: number[] = [];
  /** Position -> index, ascending by (created, id). Lists read it from the end. */
  private readonly sorted: number[] = [];
  /** Index -> position in `sorted`. */
  private readonly pos: number[] = [];
  private readonly refunded: number[] = [];
  private readonly mask: number;
  private readonly mutateRng: Rng;

  constructor(
    private readonly seed: number,
    size: number,
    startMs: number,
  ) {
    this.mask = hash32(seed, SALT, 7);
    const end = Math.floor(startMs / 1000) - 3600;
    for (const sec of sortedSeconds(rngFor(seed, SALT), size, end - 30 * DAY, end)) {
      this.created.push(sec);
      this.refunded.push(0);
      this.sorted.push(this.sorted.length);
      this.pos.push(this.pos.length);
    }
    this.sortTies(0);
    this.mutateRng = rngFor(seed, SALT_MUTATE);
  }

  get size(): number {
    return this.created.length;
  }

  idOf(i: number): string {
    const scrambled = Math.imul((i ^ this.mask) >>> 0, MIX) >>> 0;
    const rng = rngFor(this.seed, SALT, i, 1);
    return `ch_3${randChars(rng, ALNUM, 1)}${base62(scrambled, 6)}${randChars(rng, ALNUM, 16)}`;
  }

  /** The index of a charge id, or -1 when no such charge exists. */
  indexOfId(id: string): number {
    if (id.length !== 27 || !id.startsWith('ch_3')) return -1;
    const scrambled = unbase62(id.slice(5, 11));
    if (scrambled === null || scrambled > 0xffffffff) return -1;
    const i = ((Math.imul(scrambled, MIX_INV) >>> 0) ^ this.mask) >>> 0;
    return i < this.size && this.idOf(i) === id ? i : -1;
  }

  createdSec(i: number): number {
    return this.created[i]!;
  }

  /** Orders each run of equal `created` from position `from` on by id, as Stripe's list does. */
  private sortTies(from: number): void {
    const n = this.sorted.length;
    let s = from;
    while (s < n) {
      const t = this.created[this.sorted[s]!]!;
      let e = s + 1;
      while (e < n && this.created[this.sorted[e]!] === t) e++;
      if (e - s > 1) {
        const group = this.sorted.slice(s, e).map((i) => ({ i, id: this.idOf(i) }));
        group.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        for (let k = 0; k < group.length; k++) {
          this.sorted[s + k] = group[k]!.i;
          this.pos[group[k]!.i] = s + k;
        }
      }
      s = e;
    }
  }

  /**
   * Newest first. `startingAfter`/`endingBefore` are charge indexes (already resolved); at most one
   * is given. With ending_before the page is the `limit` charges just newer than the anchor, still
   * listed newest first, and has_more says whether even newer ones exist.
   */
  list(range: CreatedRange, anchor: { startingAfter?: number; endingBefore?: number }, limit: number): ChargeList {
    const n = this.sorted.length;
    const key = (p: number) => this.created[this.sorted[p]!]!;
    const a = range.gte === null ? 0 : lowerBound(0, n, key, range.gte);
    const b = range.lte === null ? n : upperBound(0, n, key, range.lte);
    const items: number[] = [];
    if (anchor.endingBefore !== undefined) {
      const start = Math.max(this.pos[anchor.endingBefore]! + 1, a);
      const end = Math.min(start + limit, b);
      for (let p = end - 1; p >= start; p--) items.push(this.sorted[p]!);
      return { items, hasMore: end < b };
    }
    const top = anchor.startingAfter === undefined ? b - 1 : Math.min(this.pos[anchor.startingAfter]! - 1, b - 1);
    let p = top;
    for (; p >= a && items.length < limit; p--) items.push(this.sorted[p]!);
    return { items, hasMore: p >= a };
  }

  render(i: number): Record<string, unknown> {
    const rng = rngFor(this.seed, SALT, i, 2);
    const id = this.idOf(i);
    const amount = drawAmount(rng);
    const refunded = this.refunded[i]!;
    const first = pick(rng, FIRST_NAMES);
    const last = pick(rng, LAST_NAMES);
    const email = emailFor(first, last, hash32(this.seed, SALT, i, 3) % 100_000, pick(rng, EMAIL_DOMAINS));
    const place = pick(rng, CITIES);
    const brand = pick(rng, ['visa', 'visa', 'mastercard', 'amex', 'discover'] as const);
    const hasCustomer = rng() < 0.7;
    return {
      id,
      object: 'charge',
      amount,
      amount_captured: amount,
      amount_refunded: refunded,
      application: null,
      application_fee: null,
      application_fee_amount: null,
      // Like Stripe, a charge's PaymentIntent and balance transaction share the id's random part.
      balance_transaction: `txn_${id.slice(3)}`,
      billing_details: {
        address: { city: place.city, country: place.country, line1: `${randInt(rng, 1, 999)} Main Street`, line2: null, postal_code: place.postal, state: place.state },
        email,
        name: `${first} ${last}`,
        phone: null,
      },
      calculated_statement_descriptor: 'SANDBOX SHOP',
      captured: true,
      created: this.created[i]!,
      currency: 'usd',
      customer: hasCustomer ? `cus_${randChars(rng, ALNUM, 14)}` : null,
      description: `Order #${1001 + (hash32(this.seed, SALT, i, 4) % 90_000)}`,
      disputed: false,
      failure_balance_transaction: null,
      failure_code: null,
      failure_message: null,
      fraud_details: {},
      invoice: null,
      livemode: false,
      metadata: { sandbox: 'true' },
      on_behalf_of: null,
      outcome: {
        network_status: 'approved_by_network',
        reason: null,
        risk_level: 'normal',
        risk_score: randInt(rng, 0, 60),
        seller_message: 'Payment complete.',
        type: 'authorized',
      },
      paid: true,
      payment_intent: `pi_${id.slice(3)}`,
      payment_method: `pm_1${randChars(rng, ALNUM, 23)}`,
      payment_method_details: {
        card: {
          brand,
          checks: { address_line1_check: 'pass', address_postal_code_check: 'pass', cvc_check: 'pass' },
          country: place.country,
          exp_month: randInt(rng, 1, 12),
          exp_year: 2027 + randInt(rng, 0, 5),
          fingerprint: randChars(rng, ALNUM, 16),
          funding: pick(rng, ['credit', 'debit'] as const),
          installments: null,
          last4: String(randInt(rng, 0, 9999)).padStart(4, '0'),
          mandate: null,
          network: brand,
          network_token: { used: false },
          three_d_secure: null,
          wallet: null,
        },
        type: 'card',
      },
      radar_options: {},
      receipt_email: email,
      receipt_number: null,
      receipt_url: `https://pay.stripe.com/receipts/payment/sandbox_${id.slice(3)}`,
      refunded: refunded > 0 && refunded >= amount,
      review: null,
      shipping: null,
      source_transfer: null,
      statement_descriptor: null,
      statement_descriptor_suffix: null,
      status: 'succeeded',
      transfer_data: null,
      transfer_group: null,
    };
  }

  /** Amount of a charge, without rendering the whole object. */
  private amountOf(i: number): number {
    return drawAmount(rngFor(this.seed, SALT, i, 2));
  }

  records(): RecordSummary[] {
    const out: RecordSummary[] = [];
    for (let i = 0; i < this.size; i++) out.push({ id: this.idOf(i), updatedAt: isoUtc(this.created[i]!) });
    return out;
  }

  /**
   * `update` refunds half of what is left (a second touch refunds the rest), changing
   * amount_refunded/refunded but not `created`: like the real API, a created-based sync misses it.
   */
  mutate(opts: MutateOptions): MutateResult {
    const now = Math.floor(Date.now() / 1000);
    const picked = sampleDistinct(this.mutateRng, this.size, opts.update ?? 0);
    for (const i of picked) {
      const amount = this.amountOf(i);
      const left = amount - this.refunded[i]!;
      this.refunded[i] = this.refunded[i]! + (left > 1 ? Math.ceil(left / 2) : left);
    }
    const created: string[] = [];
    const firstNew = this.size;
    for (let k = 0; k < (opts.create ?? 0); k++) {
      const i = this.size;
      this.created.push(Math.max(now, this.created[i - 1] ?? now));
      this.refunded.push(0);
      this.pos.push(this.sorted.length);
      this.sorted.push(i);
      created.push(this.idOf(i));
    }
    if (created.length > 0) {
      // New charges share their second with each other and maybe with the newest old ones.
      const t = this.created[firstNew]!;
      let from = this.pos[firstNew]!;
      while (from > 0 && this.created[this.sorted[from - 1]!] === t) from--;
      this.sortTies(from);
    }
    return { updated: picked.map((i) => this.idOf(i)), created };
  }
}
