// The Stripe charges data set and the account's event log.
//
// Charges. `created` never changes, so the list order (created, then id) only grows at the newest
// end; one position array gives O(log n + page) pages for any created range and
// starting_after/ending_before anchor. Charge ids encode their index (scrambled), so an id is
// resolved without a million-entry map, and unknown ids are recognised by re-deriving the id. What
// can change about a charge (refunds, capture, a dispute, metadata) is kept sparsely beside it.
//
// Events (https://docs.stripe.com/api/events , https://docs.stripe.com/api/events/types). Every
// charge has the charge.succeeded event of its creation ("Occurs whenever a new charge is created and
// is successful", also for a charge authorised for later capture, which is status succeeded with
// captured false); the generated charges' ones are virtual (derived from the charge, nothing stored),
// so a 1M-charge account starts as fast as before. Every later change appends one event, stamped with
// the emulator's clock: charge.refunded ("whenever a charge is refunded, including partial
// refunds"), charge.captured ("whenever a previously uncaptured charge is captured"), charge.updated
// ("whenever a charge description or metadata is updated") and charge.dispute.created ("whenever a
// customer disputes a charge with their bank"). An event keeps the charge's state right after its
// change, so `data.object` shows the charge as it was then, not as it is now. Events are numbered in
// the order they happened (seq); their created times never decrease with seq (a stamp is never
// earlier than the newest event), so created ranges are binary searches over seq too.
import { lowerBound, upperBound } from './bsearch.js';
import { CITIES, EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES, emailFor } from './names.js';
import { ALNUM, hash32, pick, randChars, randInt, rngFor, sampleDistinct, sortedSeconds, type Rng } from './prng.js';
import { isoUtc, shareRun } from './time.js';
import type { DataStore, MutateOptions, MutateResult, RecordSummary } from './types.js';

const SALT = 0x5791;
const SALT_MUTATE = 0x5792;
const SALT_EVENT = 0x5793;
const SALT_REFUND = 0x5794;
const SALT_DISPUTE = 0x5795;
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

/** The metadata generated charges carry until it is edited. */
const DEFAULT_METADATA: Readonly<Record<string, string>> = Object.freeze({ sandbox: 'true' });

export interface CreatedRange {
  /** Inclusive bounds in unix seconds. */
  gte: number | null;
  lte: number | null;
}

export interface ChargeList {
  /** Charge indexes (events: seqs), newest first. */
  items: number[];
  hasMore: boolean;
}

/** What can change about a charge after its creation. */
export interface ChargeState {
  /** amount_refunded, in the smallest currency unit. */
  refunded: number;
  captured: boolean;
  disputed: boolean;
  metadata: Readonly<Record<string, string>>;
}

export type StripeEventType = 'charge.succeeded' | 'charge.refunded' | 'charge.captured' | 'charge.updated' | 'charge.dispute.created';

export interface DisputeInfo {
  id: string;
  amount: number;
  created: number;
  reason: string;
}

export interface RefundInfo {
  id: string;
  amount: number;
  created: number;
}

/** One event of the log, as the API renders it from. */
export interface ChargeEvent {
  seq: number;
  type: StripeEventType;
  /** The charge's index. */
  charge: number;
  /** Unix seconds. */
  created: number;
  /** The charge right after the change. */
  state: ChargeState;
  /** data.previous_attributes: the changed attributes' values before the change (update events only). */
  previous: Record<string, unknown> | null;
  /** charge.dispute.created: the dispute, which is that event's data.object. */
  dispute: DisputeInfo | null;
}

export interface EventQuery {
  /** Inclusive created bounds (unix seconds); retention is applied on top. */
  range: CreatedRange;
  /** Which event types to list; null: all. */
  match: ((type: StripeEventType) => boolean) | null;
  /** Resolved anchors (seqs); at most one is given. */
  anchor: { startingAfter?: number; endingBefore?: number };
  limit: number;
  /** Events created before this (unix seconds) are no longer listed. */
  retainedFrom: number;
}

export interface StripeChargesOptions {
  /** The emulator's clock (epoch ms) for every stamp: defaults to Date.now. */
  now?: () => number;
  /** `count` charges share one created second, `at` (unix seconds). */
  shared?: { count: number; at: number };
}

export class StripeCharges implements DataStore {
  private readonly created: number[] = [];
  /** Position -> index, ascending by (created, id). Lists read it from the end. */
  private readonly sorted: number[] = [];
  /** Index -> position in `sorted`. */
  private readonly pos: number[] = [];
  private readonly refunded: number[] = [];
  /** Charges authorised but not captured yet. */
  private readonly uncaptured = new Set<number>();
  private readonly disputes = new Map<number, DisputeInfo>();
  private readonly metadata = new Map<number, Readonly<Record<string, string>>>();
  private readonly refunds = new Map<number, RefundInfo[]>();
  /** Generated charges; event seq k < initialCount is the charge.succeeded of initialOrder[k]. */
  private readonly initialCount: number;
  private readonly initialOrder: Int32Array;
  /** Events after the generated ones; event seq initialCount + k is explicit[k]. */
  private readonly explicit: ChargeEvent[] = [];
  private readonly mask: number;
  private readonly eventMask: number;
  private readonly mutateRng: Rng;
  private readonly now: () => number;
  private touches = 0;

  constructor(
    private readonly seed: number,
    size: number,
    startMs: number,
    options: StripeChargesOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.mask = hash32(seed, SALT, 7);
    this.eventMask = hash32(seed, SALT_EVENT, 7);
    const end = Math.floor(startMs / 1000) - 3600;
    const times = sortedSeconds(rngFor(seed, SALT), size, end - 30 * DAY, end);
    if (options.shared && options.shared.count > 0) shareRun(times, options.shared.count, options.shared.at);
    for (const sec of times) {
      this.created.push(sec);
      this.refunded.push(0);
      this.sorted.push(this.sorted.length);
      this.pos.push(this.pos.length);
    }
    this.sortTies(0);
    this.initialCount = size;
    this.initialOrder = Int32Array.from(this.sorted);
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

  /** The index of a charge id; throws naming the id when there is none. */
  requireIndex(id: string): number {
    const i = this.indexOfId(id);
    if (i < 0) throw new Error(`sandbox: no such charge: '${id}'`);
    return i;
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

  /** Amount of a charge, without rendering the whole object. */
  amountOf(i: number): number {
    return drawAmount(rngFor(this.seed, SALT, i, 2));
  }

  /** What the charge looks like now. */
  state(i: number): ChargeState {
    return {
      refunded: this.refunded[i]!,
      captured: !this.uncaptured.has(i),
      disputed: this.disputes.has(i),
      metadata: this.metadata.get(i) ?? DEFAULT_METADATA,
    };
  }

  /** The charge's refunds so far, newest first (for `expand[]=refunds`). */
  refundsOf(i: number): readonly RefundInfo[] {
    return [...(this.refunds.get(i) ?? [])].reverse();
  }

  /** A charge as GET /v1/charges renders it; `state` as of an event (default: now). */
  render(i: number, state: ChargeState = this.state(i)): Record<string, unknown> {
    const rng = rngFor(this.seed, SALT, i, 2);
    const id = this.idOf(i);
    const amount = drawAmount(rng);
    const refunded = state.refunded;
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
      amount_captured: state.captured ? amount : 0,
      amount_refunded: refunded,
      application: null,
      application_fee: null,
      application_fee_amount: null,
      // Like Stripe, a charge's PaymentIntent and balance transaction share the id's random part;
      // an authorisation not captured yet has moved no money, so no balance transaction.
      balance_transaction: state.captured ? `txn_${id.slice(3)}` : null,
      billing_details: {
        address: { city: place.city, country: place.country, line1: `${randInt(rng, 1, 999)} Main Street`, line2: null, postal_code: place.postal, state: place.state },
        email,
        name: `${first} ${last}`,
        phone: null,
      },
      calculated_statement_descriptor: 'SANDBOX SHOP',
      captured: state.captured,
      created: this.created[i]!,
      currency: 'usd',
      customer: hasCustomer ? `cus_${randChars(rng, ALNUM, 14)}` : null,
      description: `Order #${1001 + (hash32(this.seed, SALT, i, 4) % 90_000)}`,
      disputed: state.disputed,
      failure_balance_transaction: null,
      failure_code: null,
      failure_message: null,
      fraud_details: {},
      invoice: null,
      livemode: false,
      metadata: { ...state.metadata },
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

  records(): RecordSummary[] {
    const out: RecordSummary[] = [];
    for (let i = 0; i < this.size; i++) out.push({ id: this.idOf(i), updatedAt: isoUtc(this.created[i]!) });
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Changes. Each validates first (throwing an Error with Stripe's wording, nothing changed), then
  // changes the charge and appends its event. Returns the event's seq.

  /** The stamp of a change now: never before the newest event, so the log stays in created order. */
  private stamp(): number {
    const now = Math.floor(this.now() / 1000);
    const total = this.eventCount;
    return total === 0 ? now : Math.max(now, this.eventCreated(total - 1));
  }

  private append(type: StripeEventType, charge: number, created: number, previous: Record<string, unknown> | null, dispute: DisputeInfo | null = null): number {
    const seq = this.eventCount;
    this.explicit.push({ seq, type, charge, created, state: this.state(charge), previous, dispute });
    return seq;
  }

  /**
   * Refunds `amount` (default: all that is left) of a captured charge: charge.refunded. An
   * uncaptured charge cannot be refunded here (Stripe would release the authorisation instead).
   */
  refund(i: number, amount?: number): number {
    const id = this.idOf(i);
    if (this.uncaptured.has(i)) throw new Error(`sandbox: charge ${id} is not captured; capture it before refunding (the sandbox does not model releasing an authorisation)`);
    const total = this.amountOf(i);
    const left = total - this.refunded[i]!;
    if (left <= 0) throw new Error(`Charge ${id} has already been refunded.`);
    const value = amount ?? left;
    if (!Number.isInteger(value) || value < 1) throw new Error('sandbox: a refund amount must be a positive integer (smallest currency unit)');
    if (value > left) throw new Error(`Refund amount ($${(value / 100).toFixed(2)}) is greater than unrefunded amount on charge ($${(left / 100).toFixed(2)})`);
    const created = this.stamp();
    const before = this.refunded[i]!;
    this.refunded[i] = before + value;
    const list = this.refunds.get(i) ?? [];
    list.push({ id: `re_${randChars(rngFor(this.seed, SALT_REFUND, i, list.length), ALNUM, 24)}`, amount: value, created });
    this.refunds.set(i, list);
    const previous: Record<string, unknown> = { amount_refunded: before };
    if (before + value >= total) previous.refunded = false;
    return this.append('charge.refunded', i, created, previous);
  }

  /** Captures a charge created uncaptured: charge.captured. */
  capture(i: number): number {
    if (!this.uncaptured.has(i)) throw new Error(`Charge ${this.idOf(i)} has already been captured.`);
    const created = this.stamp();
    this.uncaptured.delete(i);
    return this.append('charge.captured', i, created, { amount_captured: 0, balance_transaction: null, captured: false });
  }

  /** A customer disputes the charge with their bank: disputed becomes true; charge.dispute.created. */
  dispute(i: number, reason = 'fraudulent'): number {
    if (this.disputes.has(i)) throw new Error(`sandbox: charge ${this.idOf(i)} is already disputed`);
    const created = this.stamp();
    const info: DisputeInfo = { id: `du_${randChars(rngFor(this.seed, SALT_DISPUTE, i), ALNUM, 24)}`, amount: this.amountOf(i), created, reason };
    this.disputes.set(i, info);
    return this.append('charge.dispute.created', i, created, null, info);
  }

  /**
   * Stripe's metadata update: the given keys are set, a key given '' is removed, others stay
   * (https://docs.stripe.com/api/charges/update): charge.updated, its previous_attributes holding
   * the changed keys' old values (null for keys that were not there).
   */
  updateMetadata(i: number, patch: Readonly<Record<string, string>>): number {
    const keys = Object.keys(patch);
    if (keys.length === 0 || !keys.every((k) => typeof patch[k] === 'string')) throw new Error('sandbox: metadata must map keys to strings (\'\' removes a key)');
    const old = this.metadata.get(i) ?? DEFAULT_METADATA;
    const next: Record<string, string> = { ...old };
    const previous: Record<string, string | null> = {};
    for (const k of keys) {
      if ((old[k] ?? '') === patch[k]) continue;
      previous[k] = old[k] ?? null;
      if (patch[k] === '') delete next[k];
      else next[k] = patch[k]!;
    }
    if (Object.keys(previous).length === 0) throw new Error(`sandbox: the metadata of ${this.idOf(i)} already holds these values (no change, no event)`);
    const created = this.stamp();
    this.metadata.set(i, Object.freeze(next));
    return this.append('charge.updated', i, created, { metadata: previous });
  }

  /** New charges, the newest of the account, each with its charge.succeeded; `captured: false` authorises only. */
  createCharges(count: number, captured = true): number[] {
    const made: number[] = [];
    if (count <= 0) return made;
    const t = this.stamp();
    const firstNew = this.size;
    for (let k = 0; k < count; k++) {
      const i = this.size;
      this.created.push(Math.max(t, this.created[i - 1] ?? t));
      this.refunded.push(0);
      this.pos.push(this.sorted.length);
      this.sorted.push(i);
      if (!captured) this.uncaptured.add(i);
      made.push(i);
    }
    // New charges share their second with each other and maybe with the newest old ones.
    const sec = this.created[firstNew]!;
    let from = this.pos[firstNew]!;
    while (from > 0 && this.created[this.sorted[from - 1]!] === sec) from--;
    this.sortTies(from);
    for (const i of made) this.append('charge.succeeded', i, this.created[i]!, null);
    return made;
  }

  /**
   * `mutate`'s change of one charge: capture it if it is only authorised, else refund half of what
   * is left (the rest on a second touch), else edit its metadata. `created` never moves: a
   * created-based sync misses all three, as on the real API; the events show them.
   */
  private touch(i: number): number {
    if (this.uncaptured.has(i)) return this.capture(i);
    const left = this.amountOf(i) - this.refunded[i]!;
    if (left > 0) return this.refund(i, left > 1 ? Math.ceil(left / 2) : left);
    return this.updateMetadata(i, { sandbox_touch: String(++this.touches) });
  }

  mutate(opts: MutateOptions): MutateResult {
    const named = (opts.ids ?? []).map((id) => this.requireIndex(id));
    const picked = sampleDistinct(this.mutateRng, this.size, opts.update ?? 0);
    for (const i of [...picked, ...named]) this.touch(i);
    const created = this.createCharges(opts.create ?? 0).map((i) => this.idOf(i));
    return { updated: [...picked, ...named].map((i) => this.idOf(i)), created };
  }

  // ---------------------------------------------------------------------------------------------
  // The event log.

  get eventCount(): number {
    return this.initialCount + this.explicit.length;
  }

  eventCreated(seq: number): number {
    return seq < this.initialCount ? this.created[this.initialOrder[seq]!]! : this.explicit[seq - this.initialCount]!.created;
  }

  eventAt(seq: number): ChargeEvent {
    if (seq >= this.initialCount) return this.explicit[seq - this.initialCount]!;
    const charge = this.initialOrder[seq]!;
    return {
      seq,
      type: 'charge.succeeded',
      charge,
      created: this.created[charge]!,
      state: { refunded: 0, captured: true, disputed: false, metadata: DEFAULT_METADATA },
      previous: null,
      dispute: null,
    };
  }

  eventIdOf(seq: number): string {
    const scrambled = Math.imul((seq ^ this.eventMask) >>> 0, MIX) >>> 0;
    const rng = rngFor(this.seed, SALT_EVENT, seq, 1);
    return `evt_3${randChars(rng, ALNUM, 1)}${base62(scrambled, 6)}${randChars(rng, ALNUM, 16)}`;
  }

  /** The seq of an event id, or -1 when no such event exists. */
  eventSeqOf(id: string): number {
    if (id.length !== 28 || !id.startsWith('evt_3')) return -1;
    const scrambled = unbase62(id.slice(6, 12));
    if (scrambled === null || scrambled > 0xffffffff) return -1;
    const seq = ((Math.imul(scrambled, MIX_INV) >>> 0) ^ this.eventMask) >>> 0;
    return seq < this.eventCount && this.eventIdOf(seq) === id ? seq : -1;
  }

  /**
   * Events newest first, within the created range and the retention window, of the matching types,
   * from an anchor (as `list`). The generated charge.succeeded events are all one type, so a filter
   * either takes them as a block or skips them: a page costs O(log n + page + explicit events skipped).
   */
  listEvents(q: EventQuery): ChargeList {
    const total = this.eventCount;
    const n0 = this.initialCount;
    const key = (s: number) => this.eventCreated(s);
    const gte = Math.max(q.range.gte ?? q.retainedFrom, q.retainedFrom);
    let a = lowerBound(0, total, key, gte);
    let b = q.range.lte === null ? total : upperBound(0, total, key, q.range.lte);
    if (q.anchor.startingAfter !== undefined) b = Math.min(b, q.anchor.startingAfter);
    if (q.anchor.endingBefore !== undefined) a = Math.max(a, q.anchor.endingBefore + 1);
    const generatedMatch = q.match === null || q.match('charge.succeeded');
    const matches = (s: number) => (s < n0 ? generatedMatch : q.match === null || q.match(this.explicit[s - n0]!.type));
    /** The newest matching seq in [a, s], or -1. */
    const prev = (s: number): number => {
      let p = s;
      while (p >= a && p >= n0) {
        if (matches(p)) return p;
        p--;
      }
      return p >= a && generatedMatch ? p : -1;
    };
    /** The oldest matching seq in [s, b), or b. */
    const next = (s: number): number => {
      let p = s;
      if (p < n0) {
        if (generatedMatch) return Math.min(p, b);
        p = n0;
      }
      while (p < b && !matches(p)) p++;
      return Math.min(p, b);
    };
    const items: number[] = [];
    if (q.anchor.endingBefore !== undefined) {
      let p = next(a);
      while (p < b && items.length < q.limit) {
        items.push(p);
        p = next(p + 1);
      }
      return { items: items.reverse(), hasMore: p < b };
    }
    let p = prev(b - 1);
    while (p >= 0 && items.length < q.limit) {
      items.push(p);
      p = prev(p - 1);
    }
    return { items, hasMore: p >= 0 };
  }
}
