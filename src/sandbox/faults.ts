// Fault injection and rate limiting for one emulator, settable at run time (in process through
// FaultController, or over HTTP through POST /_sandbox/faults).

export type FailStatus = 500 | 502 | 503;

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
}

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
  set(settings: Partial<FaultSettings>): FaultSettings;
  /** Changes only the given settings. */
  update(settings: Partial<FaultSettings>): FaultSettings;
  reset(): FaultSettings;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function count(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`${name} must be a non-negative integer`);
  return v;
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
      default:
        throw new Error(`unknown fault setting "${key}"`);
    }
  }
  return out;
}

function copy(s: FaultSettings): FaultSettings {
  return {
    latencyMs: s.latencyMs,
    fail5xx: { ...s.fail5xx },
    malformed: s.malformed,
    slow: { ...s.slow },
    rateLimitStorm: s.rateLimitStorm,
    rateLimit: s.rateLimit ? { ...s.rateLimit } : null,
  };
}

/** One emulator's faults; the server consumes the counters as requests arrive. */
export class Faults implements FaultController {
  private s: FaultSettings;
  /** Bumped whenever the steady rate limit changes, so the server rebuilds its bucket. */
  rateLimitVersion = 0;

  constructor(initial: Partial<FaultSettings> = {}) {
    this.s = copy({ ...defaultFaults(), ...parseFaultSettings(initial) });
  }

  get(): FaultSettings {
    return copy(this.s);
  }

  set(settings: Partial<FaultSettings>): FaultSettings {
    return this.apply({ ...defaultFaults(), ...parseFaultSettings(settings) });
  }

  update(settings: Partial<FaultSettings>): FaultSettings {
    return this.apply({ ...this.s, ...parseFaultSettings(settings) });
  }

  reset(): FaultSettings {
    return this.apply(defaultFaults());
  }

  private apply(next: FaultSettings): FaultSettings {
    const prevRps = this.s.rateLimit?.requestsPerSecond ?? null;
    this.s = copy(next);
    if ((this.s.rateLimit?.requestsPerSecond ?? null) !== prevRps) this.rateLimitVersion++;
    return this.get();
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
