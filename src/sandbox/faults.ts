// Fault injection and rate limiting for one emulator, settable at run time (in process through
// FaultController, or over HTTP through POST /_sandbox/faults).

export type FailStatus = 500 | 502 | 503;

/**
 * What a bad change time looks like in the provider's field (Shopify updated_at, Stripe created,
 * Mailchimp last_changed):
 *   unparseable  the string "not a date". Shopify and Mailchimp send strings, so this is a plausible
 *                corruption; Stripe's created is always an integer (unix seconds), so for Stripe it is
 *                a type error no real answer carries, useful only to see the executor refuse the page.
 *   farFuture    9999-12-31T23:59:59Z: Stripe 253402300799, the largest value the Stripe executor's
 *                schema accepts; Shopify "9999-12-31T18:59:59-05:00" (the same instant in the shop's
 *                zone: a later one would be year 10000 in UTC, which toISOString() writes "+010000-…",
 *                a string that sorts BELOW every real date); Mailchimp "9999-12-31T23:59:59+00:00".
 *   farPast      the epoch: Stripe 0, Shopify "1969-12-31T19:00:00-05:00", Mailchimp "1970-01-01T00:00:00+00:00".
 */
export type BadTimestampKind = 'unparseable' | 'farFuture' | 'farPast';
export const BAD_TIMESTAMP_KINDS: readonly BadTimestampKind[] = ['unparseable', 'farFuture', 'farPast'];

/**
 * Which records a per-record fault hits. `everyNth: n` picks the records whose position in their data
 * set (creation order, counted from 1: Stripe charges, Shopify orders, Mailchimp members) is a
 * multiple of n, the same ones on every request; `ids` picks records by provider id; 0 / [] pick none.
 */
export interface RecordSelector {
  everyNth: number;
  ids: string[];
}

/**
 * Silently leaves records out of the pages that list them (GET /v1/charges, orders.json, …/members):
 * the page holds fewer records, while everything else still counts them (Stripe's has_more and
 * cursors, Shopify's Link header and orders/count.json, Mailchimp's total_items). `count`: the next
 * `count` records that would be served are left out once each (consumed like the counted faults: a
 * retry of the page may then return them); everyNth and ids are left out on every request.
 */
export interface DropRecordsFault extends RecordSelector {
  count: number;
}

/**
 * Chosen records carry a bad change time in the served field, wherever the record is rendered in a
 * data answer (Stripe: charge lists, GET /v1/charges/{id} and the charge inside a /v1/events entry).
 * The record keeps its true time inside the emulator: filters, sort order and windows still use it,
 * as if the provider stored the right time and garbled it on output.
 */
export interface BadTimestampsFault extends RecordSelector {
  kind: BadTimestampKind;
}

/** The per-record faults, as the provider modules apply them while building a page. */
export interface RecordFaults {
  /** Whether to leave this record out of the page being built (consumes a dropRecords.count). */
  dropRecord(index: number, id: string): boolean;
  /** The bad change time this record is served with, or null. */
  badTimestamp(index: number, id: string): BadTimestampKind | null;
}

export interface FaultSettings {
  /** Added to every provider request (100 approximates a real provider). */
  latencyMs: number;
  /** The next `count` data requests answer `status` with the provider's error body. */
  fail5xx: { count: number; status: FailStatus };
  /** The next N successful data responses carry truncated JSON (status 200, JSON content type). */
  malformed: number;
  /** The next `count` provider requests take `ms` longer (to trip client timeouts). */
  slow: { count: number; ms: number };
  /** The next N data requests answer 429 with Retry-After: 1. */
  rateLimitStorm: number;
  /**
   * Steady limit, per tenant: each tenant gets its own bucket at this rate (Shopify: a leaky bucket
   * of the shop's size, 40 by default, leaking this rate; token bucket elsewhere), replacing the
   * tenant's own limit while set.
   */
  rateLimit: { requestsPerSecond: number } | null;
  /** Per-record: records silently missing from their pages (absent or null: off). */
  dropRecords?: DropRecordsFault | null;
  /** Per-record: records served with an unparseable or absurd change time (absent or null: off). */
  badTimestamps?: BadTimestampsFault | null;
}

/**
 * What set/update/startSandbox take: any subset of the settings, the per-record faults' fields
 * optional too (everyNth 0, ids [], count 0 unless given).
 */
export type FaultSettingsInput = Omit<Partial<FaultSettings>, 'dropRecords' | 'badTimestamps'> & {
  dropRecords?: Partial<DropRecordsFault> | null;
  badTimestamps?: (Partial<RecordSelector> & { kind: BadTimestampKind }) | null;
};

export function defaultFaults(): FaultSettings {
  return {
    latencyMs: 0,
    fail5xx: { count: 0, status: 503 },
    malformed: 0,
    slow: { count: 0, ms: 0 },
    rateLimitStorm: 0,
    rateLimit: null,
  };
}

export interface FaultController {
  /** A copy of the current settings, counters included. */
  get(): FaultSettings;
  /** Replaces every setting: defaults plus the given ones (`set({})` resets). */
  set(settings: FaultSettingsInput): FaultSettings;
  /** Changes only the given settings. */
  update(settings: FaultSettingsInput): FaultSettings;
  reset(): FaultSettings;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function count(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`${name} must be a non-negative integer`);
  return v;
}

function selector(value: Record<string, unknown>, name: string, allowed: readonly string[]): RecordSelector {
  for (const k of Object.keys(value)) if (!allowed.includes(k)) throw new Error(`${name}: unknown field "${k}" (known: ${allowed.join(', ')})`);
  const ids = value.ids ?? [];
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string' && id !== '')) throw new Error(`${name}.ids must be a list of record ids`);
  return { everyNth: count(value.everyNth ?? 0, `${name}.everyNth`), ids: [...(ids as string[])] };
}

function duration(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`${name} must be a non-negative number of milliseconds`);
  return v;
}

/**
 * Validates a partial FaultSettings coming from JSON (the admin endpoint, the CLI). Throws an Error
 * naming the bad field; unknown fields are refused so that a typo does not silently do nothing.
 */
export function parseFaultSettings(input: unknown): Partial<FaultSettings> {
  if (!isRecord(input)) throw new Error('fault settings must be a JSON object');
  const out: Partial<FaultSettings> = {};
  for (const [key, value] of Object.entries(input)) {
    switch (key) {
      case 'latencyMs':
        out.latencyMs = duration(value, 'latencyMs');
        break;
      case 'fail5xx': {
        if (!isRecord(value)) throw new Error('fail5xx must be an object {count, status}');
        const status = value.status ?? 503;
        if (status !== 500 && status !== 502 && status !== 503) throw new Error('fail5xx.status must be 500, 502 or 503');
        out.fail5xx = { count: count(value.count ?? 0, 'fail5xx.count'), status };
        break;
      }
      case 'malformed':
        out.malformed = count(value, 'malformed');
        break;
      case 'slow':
        if (!isRecord(value)) throw new Error('slow must be an object {count, ms}');
        out.slow = { count: count(value.count ?? 0, 'slow.count'), ms: duration(value.ms ?? 0, 'slow.ms') };
        break;
      case 'rateLimitStorm':
        out.rateLimitStorm = count(value, 'rateLimitStorm');
        break;
      case 'rateLimit':
        if (value === null) out.rateLimit = null;
        else if (isRecord(value) && typeof value.requestsPerSecond === 'number' && value.requestsPerSecond > 0 && Number.isFinite(value.requestsPerSecond)) {
          out.rateLimit = { requestsPerSecond: value.requestsPerSecond };
        } else throw new Error('rateLimit must be null or {requestsPerSecond: a positive number}');
        break;
      case 'dropRecords': {
        if (value === null) {
          out.dropRecords = null;
          break;
        }
        if (!isRecord(value)) throw new Error('dropRecords must be null or {everyNth?, ids?, count?}');
        out.dropRecords = { ...selector(value, 'dropRecords', ['everyNth', 'ids', 'count']), count: count(value.count ?? 0, 'dropRecords.count') };
        break;
      }
      case 'badTimestamps': {
        if (value === null) {
          out.badTimestamps = null;
          break;
        }
        if (!isRecord(value)) throw new Error('badTimestamps must be null or {kind, everyNth?, ids?}');
        const kind = value.kind;
        if (!BAD_TIMESTAMP_KINDS.includes(kind as BadTimestampKind)) throw new Error(`badTimestamps.kind must be one of ${BAD_TIMESTAMP_KINDS.join(', ')}`);
        const sel = selector(value, 'badTimestamps', ['kind', 'everyNth', 'ids']);
        if (sel.everyNth === 0 && sel.ids.length === 0) throw new Error('badTimestamps needs everyNth > 0 or some ids');
        out.badTimestamps = { kind: kind as BadTimestampKind, ...sel };
        break;
      }
      default:
        throw new Error(`unknown fault setting "${key}"`);
    }
  }
  return out;
}

function copy(s: FaultSettings): FaultSettings {
  const out: FaultSettings = {
    latencyMs: s.latencyMs,
    fail5xx: { ...s.fail5xx },
    malformed: s.malformed,
    slow: { ...s.slow },
    rateLimitStorm: s.rateLimitStorm,
    rateLimit: s.rateLimit ? { ...s.rateLimit } : null,
  };
  // The per-record faults appear only while set, so settings read back as before when unused.
  if (s.dropRecords) out.dropRecords = { ...s.dropRecords, ids: [...s.dropRecords.ids] };
  if (s.badTimestamps) out.badTimestamps = { ...s.badTimestamps, ids: [...s.badTimestamps.ids] };
  return out;
}

const picks = (sel: RecordSelector, ids: ReadonlySet<string>, index: number, id: string) =>
  (sel.everyNth > 0 && (index + 1) % sel.everyNth === 0) || ids.has(id);

/** One emulator's faults; the server consumes the counters as requests arrive. */
export class Faults implements FaultController, RecordFaults {
  private s: FaultSettings;
  private dropIds: ReadonlySet<string> = new Set();
  private badIds: ReadonlySet<string> = new Set();
  /** Bumped whenever the steady rate limit changes, so the server rebuilds its bucket. */
  rateLimitVersion = 0;

  constructor(initial: FaultSettingsInput = {}) {
    this.s = defaultFaults();
    this.apply({ ...defaultFaults(), ...parseFaultSettings(initial) });
  }

  get(): FaultSettings {
    return copy(this.s);
  }

  set(settings: FaultSettingsInput): FaultSettings {
    return this.apply({ ...defaultFaults(), ...parseFaultSettings(settings) });
  }

  update(settings: FaultSettingsInput): FaultSettings {
    return this.apply({ ...this.s, ...parseFaultSettings(settings) });
  }

  reset(): FaultSettings {
    return this.apply(defaultFaults());
  }

  private apply(next: FaultSettings): FaultSettings {
    const prevRps = this.s.rateLimit?.requestsPerSecond ?? null;
    this.s = copy(next);
    this.dropIds = new Set(this.s.dropRecords?.ids ?? []);
    this.badIds = new Set(this.s.badTimestamps?.ids ?? []);
    if ((this.s.rateLimit?.requestsPerSecond ?? null) !== prevRps) this.rateLimitVersion++;
    return this.get();
  }

  dropRecord(index: number, id: string): boolean {
    const d = this.s.dropRecords;
    if (!d) return false;
    if (picks(d, this.dropIds, index, id)) return true;
    if (d.count <= 0) return false;
    d.count--;
    return true;
  }

  badTimestamp(index: number, id: string): BadTimestampKind | null {
    const b = this.s.badTimestamps;
    return b && picks(b, this.badIds, index, id) ? b.kind : null;
  }

  get latencyMs(): number {
    return this.s.latencyMs;
  }

  get rateLimit(): { requestsPerSecond: number } | null {
    return this.s.rateLimit;
  }

  /** Extra delay for this request, consuming one `slow` count when armed. */
  takeSlow(): number {
    if (this.s.slow.count <= 0) return 0;
    this.s.slow.count--;
    return this.s.slow.ms;
  }

  takeStorm(): boolean {
    if (this.s.rateLimitStorm <= 0) return false;
    this.s.rateLimitStorm--;
    return true;
  }

  takeFail5xx(): FailStatus | null {
    if (this.s.fail5xx.count <= 0) return null;
    this.s.fail5xx.count--;
    return this.s.fail5xx.status;
  }

  takeMalformed(): boolean {
    if (this.s.malformed <= 0) return false;
    this.s.malformed--;
    return true;
  }
}

export interface LimitDecision {
  ok: boolean;
  /** Seconds until a request would be accepted (0 when ok). */
  retryAfterSec: number;
  /** Shopify's bucket fill after this request, for X-Shopify-Shop-Api-Call-Limit. */
  used: number;
  capacity: number;
}

export interface RateLimiter {
  take(nowMs: number): LimitDecision;
}

/**
 * Shopify's REST limiter: a bucket of `capacity` requests that leaks `leakPerSec`. A request that
 * would overflow it is refused and not counted.
 */
export class LeakyBucket implements RateLimiter {
  private level = 0;
  private last: number | null = null;

  constructor(
    private readonly capacity: number,
    private readonly leakPerSec: number,
  ) {}

  take(nowMs: number): LimitDecision {
    if (this.last !== null) this.level = Math.max(0, this.level - ((nowMs - this.last) / 1000) * this.leakPerSec);
    this.last = nowMs;
    if (this.level + 1 > this.capacity) {
      const wait = (this.level + 1 - this.capacity) / this.leakPerSec;
      return { ok: false, retryAfterSec: wait, used: this.capacity, capacity: this.capacity };
    }
    this.level += 1;
    return { ok: true, retryAfterSec: 0, used: Math.min(this.capacity, Math.ceil(this.level)), capacity: this.capacity };
  }
}

/** A plain token bucket: `perSec` tokens a second, holding at most `burst` (Stripe, Mailchimp). */
export class TokenBucket implements RateLimiter {
  private tokens: number;
  private last: number | null = null;

  constructor(
    private readonly perSec: number,
    private readonly burst: number = Math.max(1, perSec),
  ) {
    this.tokens = this.burst;
  }

  take(nowMs: number): LimitDecision {
    if (this.last !== null) this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.last) / 1000) * this.perSec);
    this.last = nowMs;
    if (this.tokens < 1) {
      return { ok: false, retryAfterSec: (1 - this.tokens) / this.perSec, used: this.burst, capacity: this.burst };
    }
    this.tokens -= 1;
    return { ok: true, retryAfterSec: 0, used: Math.ceil(this.burst - this.tokens), capacity: this.burst };
  }
}
