// What the destination emulators (Segment, Braze, Kinesis) share: faults settable at run time, the
// bookkeeping of what was received, rate buckets, and the little HTTP server each one runs.
//
// Faults follow the source emulators' conventions (src/sandbox/faults.ts): a controller with
// get/set/update/reset in process, `GET|POST /_sandbox/faults` over HTTP (POST replaces every setting:
// defaults plus the given ones; `{}` resets), unknown fields refused so that a typo does not silently do
// nothing, and counted faults consumed by the provider requests that come first.
//
//   latencyMs        added to every provider request (0 for a benchmark's best case, 50 for a realistic one)
//   rateLimitStorm   the next N provider calls are throttled: Segment and Braze answer 429 with
//                    Retry-After: <retryAfterSec>; Kinesis answers the whole call 400
//                    ProvisionedThroughputExceededException (Kinesis sends no Retry-After)
//   retryAfterSec    the Retry-After of storm answers (default 1)
//   fail5xx          the next `count` provider calls answer `status` (500/502/503) with the provider's
//                    error body; nothing is recorded, unless `afterAccept`: then the items are recorded
//                    first and the 5xx comes after, the ambiguous outcome that makes a retry deliver twice
//   throttleRecords  Kinesis only: per-record ProvisionedThroughputExceededException for the next `count`
//                    records, and/or for a `share` (0..1) of the records, picked deterministically
//                    (an error-diffusion accumulator: share 0.25 throttles exactly every 4th record)
//   rejectItems      chosen items fail permanently with the provider's per-item error. In process a
//                    predicate (item) => boolean | string (a string is the error text); over HTTP
//                    {"field": "path.to.field", "equals": <JSON value>} or {"field": …, "missing": true},
//                    optionally "error": "<text>". What an "item" is: Segment a batch element, Braze one
//                    attributes/events/purchases object, Kinesis {data, partitionKey, explicitHashKey?}
//                    with data JSON-decoded when it parses (else the UTF-8 string).
//   rateLimit        overrides the provider's documented limit while set: {perSecond, burst?} per
//                    credential (Segment write key, Braze REST key); for Kinesis per shard, in records
//   providerLimits   whether the documented limits apply (Braze 3,000 requests / 3 s per key, Segment
//                    1,000 requests/s per write key, Kinesis 1,000 records/s and 1 MiB/s per shard);
//                    default from the emulator's start options (on unless `limits: false`)
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FailStatus = 500 | 502 | 503;

/** The JSON form of a per-item rejection rule: a field (dotted path) equal to a value, or missing. */
export interface RejectRule {
  field: string;
  equals?: unknown;
  missing?: true;
  /** The provider's per-item error text to answer with (a per-provider default otherwise). */
  error?: string;
}

/** In process: true (or an error text) rejects the item. */
export type ItemPredicate = (item: unknown) => boolean | string;

export interface RateLimitSetting {
  perSecond: number;
  /** Bucket size; one second's worth by default. */
  burst?: number;
}

export interface DestinationFaultSettings {
  latencyMs: number;
  rateLimitStorm: number;
  retryAfterSec: number;
  fail5xx: { count: number; status: FailStatus; afterAccept: boolean };
  throttleRecords: { count: number; share: number } | null;
  rejectItems: RejectRule | ItemPredicate | null;
  rateLimit: RateLimitSetting | null;
  providerLimits: boolean;
}

export type DestinationFaultInput = Omit<Partial<DestinationFaultSettings>, 'fail5xx' | 'throttleRecords'> & {
  fail5xx?: Partial<DestinationFaultSettings['fail5xx']>;
  throttleRecords?: Partial<{ count: number; share: number }> | null;
};

export interface DestinationFaultController {
  /** A copy of the current settings, counters included (a predicate reads back as the function). */
  get(): DestinationFaultSettings;
  /** Replaces every setting: defaults plus the given ones (`set({})` resets). */
  set(settings: DestinationFaultInput): DestinationFaultSettings;
  /** Changes only the given settings. */
  update(settings: DestinationFaultInput): DestinationFaultSettings;
  reset(): DestinationFaultSettings;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function count(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`${name} must be a non-negative integer`);
  return v;
}

function nonNegative(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`${name} must be a non-negative number`);
  return v;
}

function onlyKeys(value: Record<string, unknown>, name: string, allowed: readonly string[]): void {
  for (const k of Object.keys(value)) if (!allowed.includes(k)) throw new Error(`${name}: unknown field "${k}" (known: ${allowed.join(', ')})`);
}

function parseRejectRule(value: unknown): RejectRule | ItemPredicate | null {
  if (value === null) return null;
  if (typeof value === 'function') return value as ItemPredicate;
  if (!isRecord(value)) throw new Error('rejectItems must be null or {"field": "path.to.field", "equals": value} or {"field": …, "missing": true}');
  onlyKeys(value, 'rejectItems', ['field', 'equals', 'missing', 'error']);
  if (typeof value.field !== 'string' || value.field === '') throw new Error('rejectItems.field must be a dotted path such as "properties.plan"');
  const hasEquals = 'equals' in value;
  if (hasEquals === (value.missing === true)) throw new Error('rejectItems needs exactly one of "equals" and "missing": true');
  if (value.missing !== undefined && value.missing !== true) throw new Error('rejectItems.missing can only be true');
  if (value.error !== undefined && (typeof value.error !== 'string' || value.error === '')) throw new Error('rejectItems.error must be a non-empty string');
  const rule: RejectRule = { field: value.field };
  if (hasEquals) rule.equals = value.equals;
  else rule.missing = true;
  if (typeof value.error === 'string') rule.error = value.error;
  return rule;
}

function parseRate(value: unknown, name: string): RateLimitSetting | null {
  if (value === null) return null;
  if (!isRecord(value)) throw new Error(`${name} must be null or {"perSecond": n, "burst"?: n}`);
  onlyKeys(value, name, ['perSecond', 'burst']);
  if (typeof value.perSecond !== 'number' || !(value.perSecond > 0) || !Number.isFinite(value.perSecond)) throw new Error(`${name}.perSecond must be a positive number`);
  const out: RateLimitSetting = { perSecond: value.perSecond };
  if (value.burst !== undefined) {
    if (typeof value.burst !== 'number' || !(value.burst >= 1) || !Number.isFinite(value.burst)) throw new Error(`${name}.burst must be a number of at least 1`);
    out.burst = value.burst;
  }
  return out;
}

/**
 * Validates a partial fault setting (from JSON or from code). Throws an Error naming the bad field;
 * unknown fields are refused. A predicate for rejectItems is accepted as is (code only).
 */
export function parseDestinationFaults(input: unknown): Partial<DestinationFaultSettings> & { fail5xx?: Partial<DestinationFaultSettings['fail5xx']> } {
  if (!isRecord(input)) throw new Error('fault settings must be a JSON object');
  const out: ReturnType<typeof parseDestinationFaults> = {};
  for (const [key, value] of Object.entries(input)) {
    switch (key) {
      case 'latencyMs':
        out.latencyMs = nonNegative(value, 'latencyMs');
        break;
      case 'rateLimitStorm':
        out.rateLimitStorm = count(value, 'rateLimitStorm');
        break;
      case 'retryAfterSec':
        out.retryAfterSec = nonNegative(value, 'retryAfterSec');
        break;
      case 'fail5xx': {
        if (!isRecord(value)) throw new Error('fail5xx must be an object {count, status?, afterAccept?}');
        onlyKeys(value, 'fail5xx', ['count', 'status', 'afterAccept']);
        const f: Partial<DestinationFaultSettings['fail5xx']> = {};
        if (value.count !== undefined) f.count = count(value.count, 'fail5xx.count');
        if (value.status !== undefined) {
          if (value.status !== 500 && value.status !== 502 && value.status !== 503) throw new Error('fail5xx.status must be 500, 502 or 503');
          f.status = value.status;
        }
        if (value.afterAccept !== undefined) {
          if (typeof value.afterAccept !== 'boolean') throw new Error('fail5xx.afterAccept must be a boolean');
          f.afterAccept = value.afterAccept;
        }
        out.fail5xx = f as DestinationFaultSettings['fail5xx'];
        break;
      }
      case 'throttleRecords': {
        if (value === null) {
          out.throttleRecords = null;
          break;
        }
        if (!isRecord(value)) throw new Error('throttleRecords must be null or {count?, share?}');
        onlyKeys(value, 'throttleRecords', ['count', 'share']);
        const share = value.share ?? 0;
        if (typeof share !== 'number' || !(share >= 0 && share <= 1)) throw new Error('throttleRecords.share must be a number from 0 to 1');
        out.throttleRecords = { count: count(value.count ?? 0, 'throttleRecords.count'), share };
        break;
      }
      case 'rejectItems':
        out.rejectItems = parseRejectRule(value);
        break;
      case 'rateLimit':
        out.rateLimit = parseRate(value, 'rateLimit');
        break;
      case 'providerLimits':
        if (typeof value !== 'boolean') throw new Error('providerLimits must be a boolean');
        out.providerLimits = value;
        break;
      default:
        throw new Error(`unknown fault setting "${key}"`);
    }
  }
  return out;
}

function copy(s: DestinationFaultSettings): DestinationFaultSettings {
  return {
    latencyMs: s.latencyMs,
    rateLimitStorm: s.rateLimitStorm,
    retryAfterSec: s.retryAfterSec,
    fail5xx: { ...s.fail5xx },
    throttleRecords: s.throttleRecords ? { ...s.throttleRecords } : null,
    rejectItems: s.rejectItems === null || typeof s.rejectItems === 'function' ? s.rejectItems : { ...s.rejectItems },
    rateLimit: s.rateLimit ? { ...s.rateLimit } : null,
    providerLimits: s.providerLimits,
  };
}

/** The settings as JSON (a predicate cannot travel: it reads back as the string "<function>"). */
export function faultsToJson(s: DestinationFaultSettings): Record<string, unknown> {
  return { ...copy(s), rejectItems: typeof s.rejectItems === 'function' ? '<function>' : s.rejectItems };
}

/** A dotted path into an object ("properties.plan"); undefined when a step is missing. */
export function fieldAt(item: unknown, path: string): unknown {
  let v: unknown = item;
  for (const step of path.split('.')) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[step];
  }
  return v;
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** One emulator's faults; the emulator consumes the counters as calls arrive. */
export class DestinationFaults implements DestinationFaultController {
  private s: DestinationFaultSettings;
  private shareAcc = 0;
  /** Bumped whenever the limits change, so the emulator rebuilds its buckets. */
  limitsVersion = 0;

  constructor(
    private readonly defaultsFor: () => DestinationFaultSettings,
    initial: DestinationFaultInput = {},
  ) {
    this.s = defaultsFor();
    this.apply(this.merge(defaultsFor(), initial));
  }

  static defaults(providerLimits: boolean): DestinationFaultSettings {
    return {
      latencyMs: 0,
      rateLimitStorm: 0,
      retryAfterSec: 1,
      fail5xx: { count: 0, status: 503, afterAccept: false },
      throttleRecords: null,
      rejectItems: null,
      rateLimit: null,
      providerLimits,
    };
  }

  get(): DestinationFaultSettings {
    return copy(this.s);
  }

  set(settings: DestinationFaultInput): DestinationFaultSettings {
    return this.apply(this.merge(this.defaultsFor(), settings));
  }

  update(settings: DestinationFaultInput): DestinationFaultSettings {
    return this.apply(this.merge(this.s, settings));
  }

  reset(): DestinationFaultSettings {
    return this.apply(this.defaultsFor());
  }

  private merge(base: DestinationFaultSettings, input: DestinationFaultInput): DestinationFaultSettings {
    const parsed = parseDestinationFaults(input);
    const next = copy(base);
    const { fail5xx, ...rest } = parsed;
    Object.assign(next, rest);
    if (fail5xx) next.fail5xx = { ...base.fail5xx, ...fail5xx };
    return next;
  }

  private apply(next: DestinationFaultSettings): DestinationFaultSettings {
    const before = JSON.stringify([this.s.rateLimit, this.s.providerLimits]);
    this.s = copy(next);
    this.shareAcc = 0;
    if (JSON.stringify([this.s.rateLimit, this.s.providerLimits]) !== before) this.limitsVersion++;
    return this.get();
  }

  get latencyMs(): number {
    return this.s.latencyMs;
  }

  get retryAfterSec(): number {
    return this.s.retryAfterSec;
  }

  get rateLimit(): RateLimitSetting | null {
    return this.s.rateLimit;
  }

  get providerLimits(): boolean {
    return this.s.providerLimits;
  }

  get rejecting(): boolean {
    return this.s.rejectItems !== null;
  }

  takeStorm(): boolean {
    if (this.s.rateLimitStorm <= 0) return false;
    this.s.rateLimitStorm--;
    return true;
  }

  /** The 5xx to answer this call with, and whether to accept its items first; null when not armed. */
  takeFail5xx(): { status: FailStatus; afterAccept: boolean } | null {
    if (this.s.fail5xx.count <= 0) return null;
    this.s.fail5xx.count--;
    return { status: this.s.fail5xx.status, afterAccept: this.s.fail5xx.afterAccept };
  }

  /** Kinesis: whether this record is throttled by the throttleRecords fault (consumes a count). */
  takeThrottleRecord(): boolean {
    const t = this.s.throttleRecords;
    if (!t) return false;
    if (t.count > 0) {
      t.count--;
      return true;
    }
    if (t.share <= 0) return false;
    this.shareAcc += t.share;
    if (this.shareAcc >= 1 - 1e-9) {
      this.shareAcc -= 1;
      return true;
    }
    return false;
  }

  /**
   * Whether the rejection rule picks this item: null when not, else the error text (the rule's own,
   * or `defaultError(field)` for a JSON rule, or `defaultError(null)` for a predicate answering true).
   */
  rejects(item: unknown, defaultError: (field: string | null) => string): string | null {
    const rule = this.s.rejectItems;
    if (rule === null) return null;
    if (typeof rule === 'function') {
      const r = rule(item);
      if (r === false) return null;
      return typeof r === 'string' && r !== '' ? r : defaultError(null);
    }
    const v = fieldAt(item, rule.field);
    const hit = rule.missing ? v === undefined || v === null : jsonEqual(v, rule.equals);
    return hit ? rule.error ?? defaultError(rule.field) : null;
  }
}

/** A token bucket taking any number of tokens at once: `perSecond` tokens a second, at most `burst`. */
export class Bucket {
  private tokens: number;
  private last: number | null = null;

  constructor(
    readonly perSecond: number,
    readonly burst: number = Math.max(1, perSecond),
  ) {
    this.tokens = burst;
  }

  private refill(nowMs: number): void {
    if (this.last !== null) this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.last) / 1000) * this.perSecond);
    this.last = nowMs;
  }

  /** Takes n tokens if there are n; otherwise takes nothing. */
  take(nowMs: number, n = 1): boolean {
    this.refill(nowMs);
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Tokens left (after refilling to now). */
  remaining(nowMs: number): number {
    this.refill(nowMs);
    return this.tokens;
  }

  /** Seconds until n tokens are there. */
  waitSec(n = 1): number {
    return Math.max(0, (n - this.tokens) / this.perSecond);
  }
}

/** Buckets per key (credential, shard), rebuilt when the faults' limits change. */
export class KeyedBuckets {
  private buckets = new Map<string, Bucket | null>();
  private version = -1;

  constructor(
    private readonly faults: DestinationFaults,
    /** The provider's documented limit (used while providerLimits is on and no rateLimit override). */
    private readonly documented: RateLimitSetting | null,
  ) {}

  /** The setting in force: the override, else the documented limit when on, else none. */
  setting(): RateLimitSetting | null {
    return this.faults.rateLimit ?? (this.faults.providerLimits ? this.documented : null);
  }

  get(key: string): Bucket | null {
    if (this.version !== this.faults.limitsVersion) {
      this.buckets.clear();
      this.version = this.faults.limitsVersion;
    }
    let b = this.buckets.get(key);
    if (b === undefined) {
      const s = this.setting();
      b = s ? new Bucket(s.perSecond, s.burst ?? Math.max(1, s.perSecond)) : null;
      this.buckets.set(key, b);
    }
    return b;
  }

  clear(): void {
    this.buckets.clear();
  }
}

// ---------------------------------------------------------------------------------------------------
// What was received.

export interface Received<T> {
  /** The accepted item as the provider stored it. */
  item: T;
  /** Arrival (epoch ms). */
  at: number;
  /** The credential the request carried (write key, REST key, access key id). */
  credential: string;
  /** The number of the provider call that carried it (1, 2, …), to group items by request. */
  request: number;
}

export interface RecordedCall {
  method: string;
  path: string;
  status: number;
  /** Items in the request (events, objects, records), as far as it could be parsed. */
  items: number;
  /** Items accepted from it. */
  accepted: number;
  at: number;
  credential?: string;
}

export interface DestinationStats {
  /** Provider calls (admin requests excluded). */
  calls: number;
  itemsAccepted: number;
  /** Items refused: per-item errors, items of a refused batch, failed Kinesis records (throttles included). */
  itemsRejected: number;
  /** Kinesis records answered ProvisionedThroughputExceededException (also counted in itemsRejected). */
  itemsThrottled: number;
  /** Whole calls throttled: 429 (Segment, Braze), 400 ProvisionedThroughputExceededException (Kinesis). */
  rateLimited: number;
  /** 5xx answers. */
  serverErrors: number;
  byStatus: Record<string, number>;
  since: string;
}

export interface DuplicateGroup {
  key: string;
  count: number;
}

const MAX_CALL_LOG = 50_000;

/** The received items, the call log and the counters of one emulator. */
export class Recorder<T> {
  readonly received: Received<T>[] = [];
  readonly requests: RecordedCall[] = [];
  private counters = Recorder.zero();
  private callNo = 0;

  constructor(private readonly keep: boolean = true) {}

  private static zero() {
    return { calls: 0, itemsAccepted: 0, itemsRejected: 0, itemsThrottled: 0, rateLimited: 0, serverErrors: 0, byStatus: {} as Record<string, number>, since: Date.now() };
  }

  /** Opens a provider call; returns its number. */
  begin(): number {
    return ++this.callNo;
  }

  accept(item: T, at: number, credential: string, request: number): void {
    this.counters.itemsAccepted++;
    if (this.keep) this.received.push({ item, at, credential, request });
  }

  reject(n = 1): void {
    this.counters.itemsRejected += n;
  }

  throttled(n = 1): void {
    this.counters.itemsThrottled += n;
    this.counters.itemsRejected += n;
  }

  /** Closes a provider call with its answer. `throttledCall`: a whole-call throttle that is not a 429 (Kinesis). */
  end(call: Omit<RecordedCall, 'at'> & { at?: number }, throttledCall = false): void {
    const c = this.counters;
    c.calls++;
    c.byStatus[call.status] = (c.byStatus[call.status] ?? 0) + 1;
    if (call.status === 429 || throttledCall) c.rateLimited++;
    if (call.status >= 500) c.serverErrors++;
    this.requests.push({ ...call, at: call.at ?? Date.now() });
    if (this.requests.length > MAX_CALL_LOG) this.requests.splice(0, this.requests.length - MAX_CALL_LOG);
  }

  stats(): DestinationStats {
    const c = this.counters;
    return { ...c, byStatus: { ...c.byStatus }, since: new Date(c.since).toISOString() };
  }

  /** Keys seen more than once among the received items, in order of first arrival. */
  duplicates(keyFn: (item: T) => string | null | undefined): DuplicateGroup[] {
    const counts = new Map<string, number>();
    for (const r of this.received) {
      const k = keyFn(r.item);
      if (k === null || k === undefined) continue;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    const out: DuplicateGroup[] = [];
    for (const [key, n] of counts) if (n > 1) out.push({ key, count: n });
    return out;
  }

  reset(): void {
    this.received.length = 0;
    this.requests.length = 0;
    this.counters = Recorder.zero();
  }
}

// ---------------------------------------------------------------------------------------------------
// The HTTP part.

export interface IncomingCall {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The raw body (may be empty). */
  body: Buffer;
  arrived: number;
}

export interface Answer {
  status: number;
  /** An object is sent as JSON; a string as is. */
  body?: unknown;
  headers?: Record<string, string>;
  contentType?: string;
}

/** The largest body read; beyond it the connection is answered 413 and closed. */
export const MAX_REQUEST_BYTES = 32 * 1_048_576;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function send(res: ServerResponse, a: Answer): void {
  if (res.destroyed) return;
  const text = a.body === undefined || a.body === null ? '' : typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
  res.writeHead(a.status, {
    'content-type': a.contentType ?? 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...(a.headers ?? {}),
  });
  res.end(text);
}

function readAll(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > MAX_REQUEST_BYTES) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? null : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export interface AdminHooks {
  name: string;
  faults: DestinationFaults;
  stats(): DestinationStats;
  /** Clears received items, the call log, the counters and the buckets (faults are kept). */
  reset(): void;
  /** Recent received items for GET /_sandbox/received?limit=n (newest last). */
  received(limit: number): unknown[];
}

/** GET|POST /_sandbox/faults, GET /_sandbox/stats, POST /_sandbox/reset, GET /_sandbox/received. */
export function adminAnswer(call: IncomingCall, hooks: AdminHooks): Answer {
  let body: unknown = {};
  if (call.method === 'POST') {
    const text = call.body.toString('utf8');
    try {
      body = text.trim() === '' ? {} : (JSON.parse(text) as unknown);
    } catch (err) {
      return { status: 400, body: { error: `body must be JSON (${err instanceof Error ? err.message : String(err)})` } };
    }
  }
  switch (`${call.method} ${call.path}`) {
    case 'GET /_sandbox/faults':
      return { status: 200, body: { faults: faultsToJson(hooks.faults.get()) } };
    case 'POST /_sandbox/faults':
      try {
        return { status: 200, body: { faults: faultsToJson(hooks.faults.set(body as DestinationFaultInput)) } };
      } catch (err) {
        return { status: 400, body: { error: err instanceof Error ? err.message : String(err) } };
      }
    case 'GET /_sandbox/stats':
      return { status: 200, body: hooks.stats() };
    case 'POST /_sandbox/reset':
      hooks.reset();
      return { status: 200, body: hooks.stats() };
    case 'GET /_sandbox/received': {
      const limit = Math.min(10_000, Math.max(0, Number(call.query.get('limit') ?? 100) || 0));
      return { status: 200, body: { received: hooks.received(limit) } };
    }
    default:
      return {
        status: 404,
        body: {
          error: `no ${hooks.name} admin endpoint ${call.method} ${call.path}`,
          endpoints: ['GET|POST /_sandbox/faults', 'GET /_sandbox/stats', 'POST /_sandbox/reset', 'GET /_sandbox/received[?limit=n]'],
        },
      };
  }
}

export interface ListeningServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Starts an HTTP server on host:port (0 = a free port) whose provider requests go to `handle` (after
 * the fault latency) and whose /_sandbox/ requests go to the admin routes.
 */
export async function listen(
  host: string,
  port: number,
  hooks: AdminHooks,
  handle: (call: IncomingCall) => Answer,
): Promise<ListeningServer> {
  const server: Server = createServer((req, res) => {
    const arrived = Date.now();
    readAll(req).then(
      async (body) => {
        const raw = req.url ?? '/';
        const q = raw.indexOf('?');
        const call: IncomingCall = {
          method: (req.method ?? 'GET').toUpperCase(),
          path: q < 0 ? raw : raw.slice(0, q),
          query: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)),
          headers: req.headers,
          body: body ?? Buffer.alloc(0),
          arrived,
        };
        if (body === null) return send(res, { status: 413, body: { error: `request body over ${MAX_REQUEST_BYTES} bytes` }, headers: { connection: 'close' } });
        if (call.path.startsWith('/_sandbox/')) return send(res, adminAnswer(call, hooks));
        const delay = hooks.faults.latencyMs;
        if (delay > 0) await sleep(delay);
        let answer: Answer;
        try {
          answer = handle(call);
        } catch (err) {
          answer = { status: 500, body: { error: `emulator failure: ${err instanceof Error ? err.message : String(err)}` } };
        }
        send(res, answer);
      },
      () => res.destroy(),
    );
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}

/** The Authorization header's Basic user name, or null. */
export function basicUser(header: string | undefined): string | null {
  if (!header || !/^basic /i.test(header)) return null;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? decoded : decoded.slice(0, colon);
}

/** The Authorization header's Bearer token, or null. */
export function bearer(header: string | undefined): string | null {
  if (!header || !/^bearer /i.test(header)) return null;
  return header.slice(7).trim();
}
