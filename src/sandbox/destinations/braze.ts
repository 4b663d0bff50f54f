// A local stand-in for Braze's POST /users/track (and GET /events/list, the executor's connection test).
//
// Facts:
// - https://www.braze.com/docs/api/endpoints/user_data/post_user_track/ (source: github.com/braze-inc/
//   braze-docs _docs/_api/endpoints/user_data/post_user_track.md): Bearer REST API key with users.track;
//   body {attributes?, events?, purchases?}; "For each request component ... one of external_id,
//   user_alias, braze_id, email, or phone is required". Three general responses:
//     success                    {"message": "success", "attributes_processed": n, "events_processed": n,
//                                 "purchases_processed": n} (each only when that array was sent)
//     success, non-fatal errors  {"message": "success", "errors": [<minor error>]}: "any data not affected
//                                 by an error in the errors array will still be processed"
//     fatal                      {"message": <fatal error message>, "errors": [...]}
//   Duplicates: "each event ingested into Braze has its own event ID, so 'duplicate' events are treated
//   as separate, unique events" (no de-duplication; the emulator records every accepted object).
// - https://www.braze.com/docs/api/api_limits/ : /users/track "3,000 requests per three seconds";
//   "Batching: 75 events, 75 purchases, and 75 attributes per API request"; every answer carries
//   X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset (UTC epoch seconds); over the limit,
//   429. (The endpoint page adds that workspaces on "Monthly Active Users CY 24-25" may batch only "up to
//   50 updates combined": option maxObjectsCombined.)
// - https://www.braze.com/docs/api/errors/ : fatal statuses 400 (bad syntax; "Max Input Length Exceeded"),
//   401 "Unknown or missing REST API Key", 403, 404, 429 "Over rate limit", 5XX "retry your request with
//   exponential backoff".
// - The minor error entry {"type": "...", "input_array": "<attributes|events|purchases>", "index": n}:
//   https://www.braze.com/docs/user_guide/data/activation/events/recommended_events/ ("Example API error
//   response": {"message": "success", "errors": [{"index": 0, "input_array": "purchases", "type":
//   "'currency' must be an ISO 4217 currency"}]}). The identifier message "'external_id', 'braze_id',
//   'user_alias', 'email' or 'phone' is required", the fatal "Valid data must be provided in the
//   'attributes', 'events', or 'purchases' fields." when no object is valid, and HTTP 201 for a
//   /users/track success are as observed in client libraries' recorded answers; the docs give only the
//   bodies. Other field messages ("'name' is required", "'time' is not valid") follow that style.
//
// Validation per object: an identifier; events need `name` and `time`; purchases `product_id`,
// `currency` (three capital letters), `price` (a number) and `time`; `time` must parse as a date.
// Arrays over 75 objects answer 400 for the whole request. Retry-After is sent with 429s besides
// Braze's X-RateLimit-* headers (the engine reads Retry-After).
import type { Answer, DestinationFaultController, DestinationFaultInput, DestinationStats, DuplicateGroup, IncomingCall, Received, RecordedCall } from './faults.js';
import { bearer, DestinationFaults, KeyedBuckets, listen, Recorder } from './faults.js';
import { SANDBOX_BRAZE } from './credentials.js';

export type BrazeArray = 'attributes' | 'events' | 'purchases';

/** A received object and where it sat in its request. */
export interface BrazeObject {
  array: BrazeArray;
  index: number;
  object: Record<string, unknown>;
}

/** A Braze minor (non-fatal) error entry. */
export interface BrazeMinorError {
  type: string;
  input_array: BrazeArray;
  index: number;
}

export interface BrazeEmulatorOptions {
  host?: string;
  port?: number;
  /** Accepted REST API keys (default: SANDBOX_BRAZE.apiKey). */
  apiKeys?: readonly string[];
  /** Braze's documented rate (3,000 requests per 3 s per key) on (default) or off. */
  limits?: boolean;
  /** Objects per array (75). */
  maxObjectsPerArray?: number;
  /** Objects across the three arrays (none by default; 50 on "Monthly Active Users CY 24-25" workspaces). */
  maxObjectsCombined?: number | null;
  keepReceived?: boolean;
  faults?: DestinationFaultInput;
}

export interface BrazeEmulator {
  url: string;
  apiKey: string;
  faults: DestinationFaultController;
  /** Every accepted object, in arrival order (a replay shows up twice: Braze does not de-duplicate). */
  received: Received<BrazeObject>[];
  requests: RecordedCall[];
  /** Keys seen more than once; the default key is the array plus the object's JSON. */
  duplicates(keyFn?: (o: BrazeObject) => string | null | undefined): DuplicateGroup[];
  stats(): DestinationStats;
  reset(): void;
  close(): Promise<void>;
}

export const BRAZE_EMULATOR_LIMITS = {
  maxObjectsPerArray: 75,
  /** 3,000 requests per three seconds per workspace (REST key here). */
  requestsPerSecond: 1_000,
  burst: 3_000,
} as const;

const ARRAYS: readonly BrazeArray[] = ['attributes', 'events', 'purchases'];
const IDENTIFIER_REQUIRED = "'external_id', 'braze_id', 'user_alias', 'email' or 'phone' is required";
const NO_VALID_DATA = "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields.";

const nonEmptyString = (v: unknown) => typeof v === 'string' && v.trim() !== '';
const validTime = (v: unknown) => typeof v === 'string' && v !== '' && !Number.isNaN(Date.parse(v));

function identified(o: Record<string, unknown>): boolean {
  if (nonEmptyString(o.external_id) || nonEmptyString(o.braze_id) || nonEmptyString(o.email) || nonEmptyString(o.phone)) return true;
  const alias = o.user_alias as Record<string, unknown> | undefined;
  return typeof alias === 'object' && alias !== null && nonEmptyString(alias.alias_name) && nonEmptyString(alias.alias_label);
}

/** Braze's minor error text for this object, or null when valid. */
function objectError(array: BrazeArray, o: unknown): string | null {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return `${array} entries must be objects`;
  const r = o as Record<string, unknown>;
  if (!identified(r)) return IDENTIFIER_REQUIRED;
  if (array === 'events') {
    if (!nonEmptyString(r.name)) return "'name' is required";
    if (r.time === undefined) return "'time' is required";
    if (!validTime(r.time)) return "'time' is not valid";
  } else if (array === 'purchases') {
    if (!nonEmptyString(r.product_id)) return "'product_id' is required";
    if (r.currency === undefined) return "'currency' is required";
    if (typeof r.currency !== 'string' || !/^[A-Z]{3}$/.test(r.currency)) return "'currency' must be an ISO 4217 currency";
    if (r.price === undefined) return "'price' is required";
    if (typeof r.price !== 'number' || !Number.isFinite(r.price)) return "'price' is not valid";
    if (r.quantity !== undefined && (typeof r.quantity !== 'number' || !Number.isInteger(r.quantity) || r.quantity < 1 || r.quantity > 100)) return "'quantity' is not valid";
    if (r.time === undefined) return "'time' is required";
    if (!validTime(r.time)) return "'time' is not valid";
  }
  return null;
}

export async function startBrazeEmulator(options: BrazeEmulatorOptions = {}): Promise<BrazeEmulator> {
  const apiKeys = new Set(options.apiKeys ?? [SANDBOX_BRAZE.apiKey]);
  const perArray = options.maxObjectsPerArray ?? BRAZE_EMULATOR_LIMITS.maxObjectsPerArray;
  const combined = options.maxObjectsCombined ?? null;
  const faults = new DestinationFaults(() => DestinationFaults.defaults(options.limits ?? true), options.faults);
  const buckets = new KeyedBuckets(faults, { perSecond: BRAZE_EMULATOR_LIMITS.requestsPerSecond, burst: BRAZE_EMULATOR_LIMITS.burst });
  const recorder = new Recorder<BrazeObject>(options.keepReceived ?? true);
  const eventNames = new Set<string>();

  function rateHeaders(key: string, now: number): Record<string, string> {
    const b = buckets.get(key);
    if (!b) return {};
    const left = b.remaining(now);
    return {
      'x-ratelimit-limit': String(b.burst),
      'x-ratelimit-remaining': String(Math.max(0, Math.floor(left))),
      'x-ratelimit-reset': String(Math.ceil((now + ((b.burst - left) / b.perSecond) * 1000) / 1000)),
    };
  }

  function handle(call: IncomingCall): Answer {
    const req = recorder.begin();
    let items = 0;
    let accepted = 0;
    let credential: string | null = null;
    let headers: Record<string, string> = {};
    const done = (a: Answer): Answer => {
      recorder.end({ method: call.method, path: call.path, status: a.status, items, accepted, at: call.arrived, ...(credential ? { credential } : {}) });
      return { ...a, headers: { ...headers, ...(a.headers ?? {}) } };
    };

    const route = `${call.method} ${call.path}`;
    if (route !== 'POST /users/track' && route !== 'GET /events/list') return done({ status: 404, body: { message: 'Not Found' } });

    credential = bearer(call.headers.authorization);
    if (credential === null || !apiKeys.has(credential)) {
      const c = credential;
      credential = null;
      return done({ status: 401, body: { message: c === null ? 'Missing REST API key: send Authorization: Bearer <key>' : 'Invalid API key' } });
    }

    if (route === 'GET /events/list') {
      headers = rateHeaders(credential, call.arrived);
      return done({ status: 200, body: { message: 'success', events: [...eventNames].sort() } });
    }

    let body: unknown;
    try {
      body = JSON.parse(call.body.toString('utf8'));
    } catch {
      return done({ status: 400, body: { message: 'Bad Request: the body is not valid JSON', errors: [] } });
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return done({ status: 400, body: { message: NO_VALID_DATA, errors: [] } });
    const o = body as Record<string, unknown>;
    const arrays: [BrazeArray, unknown[]][] = [];
    for (const name of ARRAYS) {
      const v = o[name];
      if (v === undefined || v === null) continue;
      if (!Array.isArray(v)) return done({ status: 400, body: { message: `'${name}' must be an array`, errors: [] } });
      arrays.push([name, v]);
      items += v.length;
    }

    const bucket = buckets.get(credential);
    if (bucket && !bucket.take(call.arrived)) {
      headers = rateHeaders(credential, call.arrived);
      recorder.reject(items);
      return done({ status: 429, body: { message: 'Over rate limit', errors: [] }, headers: { 'retry-after': String(Math.max(1, Math.ceil(bucket.waitSec()))) } });
    }
    headers = rateHeaders(credential, call.arrived);
    if (faults.takeStorm()) {
      recorder.reject(items);
      return done({ status: 429, body: { message: 'Over rate limit', errors: [] }, headers: { 'retry-after': String(faults.retryAfterSec), 'x-ratelimit-remaining': '0' } });
    }
    const failure = faults.takeFail5xx();
    if (failure && !failure.afterAccept) {
      recorder.reject(items);
      return done({ status: failure.status, body: { message: 'Internal Server Error', errors: [] } });
    }

    for (const [name, list] of arrays) {
      if (list.length > perArray) {
        recorder.reject(items);
        return done({ status: 400, body: { message: 'Max Input Length Exceeded', errors: [`'${name}' has ${list.length} objects; at most ${perArray} per request`] } });
      }
    }
    if (combined !== null && items > combined) {
      recorder.reject(items);
      return done({ status: 400, body: { message: 'Max Input Length Exceeded', errors: [`${items} objects; at most ${combined} combined per request`] } });
    }

    const errors: BrazeMinorError[] = [];
    const ok: BrazeObject[] = [];
    const processed: Partial<Record<BrazeArray, number>> = {};
    for (const [name, list] of arrays) {
      processed[name] = 0;
      for (let index = 0; index < list.length; index++) {
        const object = list[index];
        let type = objectError(name, object);
        if (type === null && faults.rejecting) {
          type = faults.rejects(object, (field) => (field ? `'${field}' is not valid` : 'object is not valid'));
        }
        if (type !== null) errors.push({ type, input_array: name, index });
        else ok.push({ array: name, index, object: object as Record<string, unknown> });
      }
    }
    recorder.reject(errors.length);
    if (items === 0 || ok.length === 0) return done({ status: 400, body: { message: NO_VALID_DATA, errors } });

    for (const obj of ok) {
      processed[obj.array]!++;
      if (obj.array === 'events') eventNames.add(obj.object.name as string);
      recorder.accept(obj, call.arrived, credential, req);
      accepted++;
    }
    if (failure) return done({ status: failure.status, body: { message: 'Internal Server Error', errors: [] } });
    const answer: Record<string, unknown> = { message: 'success' };
    for (const name of ARRAYS) if (processed[name] !== undefined) answer[`${name}_processed`] = processed[name];
    if (errors.length > 0) answer.errors = errors;
    return done({ status: 201, body: answer });
  }

  const hooks = {
    name: 'Braze',
    faults,
    stats: () => recorder.stats(),
    reset: () => {
      recorder.reset();
      eventNames.clear();
      buckets.clear();
    },
    received: (limit: number) => recorder.received.slice(-limit),
  };
  const server = await listen(options.host ?? '127.0.0.1', options.port ?? 0, hooks, handle);

  return {
    url: server.url,
    apiKey: [...apiKeys][0] ?? SANDBOX_BRAZE.apiKey,
    faults,
    received: recorder.received,
    requests: recorder.requests,
    duplicates: (keyFn) => recorder.duplicates(keyFn ?? ((o) => `${o.array}:${JSON.stringify(o.object)}`)),
    stats: () => recorder.stats(),
    reset: hooks.reset,
    close: server.close,
  };
}
