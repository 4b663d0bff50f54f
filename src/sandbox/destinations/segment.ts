// A local stand-in for Segment's HTTP Tracking API: POST /v1/batch (and /v1/import), and the single
// calls POST /v1/track, /v1/identify, /v1/group (also /v1/page, /v1/screen, /v1/alias).
//
// Facts (https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/ , source
// github.com/segmentio/segment-docs src/connections/sources/catalog/libraries/server/http-api/index.md):
// - Auth: HTTP Basic with the write key as user name and an empty password ("abc123:"); the write key
//   may instead travel in the body as "writeKey". Both are accepted here.
// - "There is a maximum of 32KB per normal API request. The batch API endpoint accepts a maximum of 500KB
//   per request, with a limit of 32KB per event in the batch ... Segment's API responds with 400 Bad
//   Request if these limits are exceeded." 500 KB is read as 500,000 bytes and 32 KB as 32,768 bytes,
//   the readings of src/registry/connectors/segment.ts (options change them).
// - "Each batch request can only have up to 2500 events ... Segment returns a 200 response but rejects
//   the event when the number of batched events exceeds the limit."
// - "Segment returns a 200 response for all API requests except errors caused by large payloads and JSON
//   errors (which return 400 responses.)" Events without userId/anonymousId ("no_user_anon_id"), Track
//   calls without `event` and, per our registry notes, a wrong write key are accepted with 200 and then
//   dropped (visible only in the source debugger).
// - Rate: "Segment recommends you to not exceed 1,000 requests per second ... Requests that exceed
//   acceptable limits may be rejected with HTTP Status Code 429 ... the response header contains
//   Retry-After and X-RateLimit-Reset headers, which contains the number of seconds after which you can
//   retry the request."
// - messageId: Segment de-duplicates on it (the emulator keeps every delivery; see unique()/duplicates()).
// - Success body: {"success": true}. Segment documents statuses, not error bodies: the 400/401/429/5xx
//   answers here carry {"success": false, "message": "..."} with the messages the docs quote where there
//   is one ("Exceed payload limit", "no_user_anon_id").
//
// Two modes. strict (the default) makes mistakes loud, as pipeline tests want: a batch over 2,500
// events, an event without type or identifier, a Track without `event`, or a wrong write key is refused
// 400 / 401 for the whole request. strict: false is Segment as documented: those requests answer 200
// and the offending events (or the whole request, for a wrong key) are silently dropped; they are kept
// in `dropped` so that a test can prove the loss. The rejectItems fault always refuses the whole batch
// with 400 (Segment answers per batch, never per event).
import type { DestinationFaultController, DestinationFaultInput, DestinationStats, DuplicateGroup, IncomingCall, Answer, Received, RecordedCall } from './faults.js';
import { basicUser, DestinationFaults, KeyedBuckets, listen, Recorder } from './faults.js';
import { SANDBOX_SEGMENT } from './credentials.js';

/** A received event: the batch element (or single call body, with its type added). */
export interface SegmentEvent {
  type: string;
  messageId?: string;
  userId?: string;
  anonymousId?: string;
  [field: string]: unknown;
}

export interface SegmentDropped {
  event: unknown;
  reason: string;
  at: number;
  credential: string | null;
}

export interface SegmentEmulatorOptions {
  host?: string;
  /** 0 (default): a free port. */
  port?: number;
  /** Accepted write keys (default: SANDBOX_SEGMENT.writeKey). */
  writeKeys?: readonly string[];
  /** Refuse (true, default) or silently drop (false, Segment's documented behaviour) what Segment drops. */
  strict?: boolean;
  /** Segment's documented rate (1,000 requests/s per write key) on (default) or off. */
  limits?: boolean;
  maxBatchBytes?: number;
  maxEventBytes?: number;
  maxBatchEvents?: number;
  /** Keep every accepted event in `received` (default true; a long benchmark may only want counters). */
  keepReceived?: boolean;
  faults?: DestinationFaultInput;
}

export interface SegmentEmulator {
  url: string;
  /** The first accepted write key. */
  writeKey: string;
  faults: DestinationFaultController;
  /** Every accepted event, duplicates included, in arrival order. */
  received: Received<SegmentEvent>[];
  /** What strict: false dropped behind a 200. */
  dropped: SegmentDropped[];
  requests: RecordedCall[];
  /** The received events Segment would keep: the first of each messageId (events without one all count). */
  unique(): SegmentEvent[];
  /** messageIds received more than once, with how often: "sent twice", though Segment would de-duplicate. */
  duplicates(): DuplicateGroup[];
  stats(): DestinationStats;
  /** Clears received, dropped, requests, counters and rate buckets (faults are kept; faults.reset() clears them). */
  reset(): void;
  close(): Promise<void>;
}

export const SEGMENT_EMULATOR_LIMITS = {
  maxBatchBytes: 500_000,
  maxEventBytes: 32 * 1024,
  maxBatchEvents: 2_500,
  /** Per write key: Segment's "not exceed 1,000 requests per second", with a one-second burst. */
  requestsPerSecond: 1_000,
} as const;

const SINGLE_CALLS = new Set(['track', 'identify', 'group', 'page', 'screen', 'alias']);
const BATCH_TYPES = SINGLE_CALLS;

const fail = (status: number, message: string, headers?: Record<string, string>): Answer => ({ status, body: { success: false, message }, ...(headers ? { headers } : {}) });

/** Why Segment would not accept this event, or null. */
function invalidReason(e: unknown, typeFromPath: string | null): string | null {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return 'event is not an object';
  const o = e as Record<string, unknown>;
  const type = typeFromPath ?? o.type;
  if (typeof type !== 'string' || !BATCH_TYPES.has(type)) return `invalid type ${JSON.stringify(type ?? null)}`;
  const hasUser = (typeof o.userId === 'string' && o.userId !== '') || (typeof o.userId === 'number');
  const hasAnon = (typeof o.anonymousId === 'string' && o.anonymousId !== '') || (typeof o.anonymousId === 'number');
  if (!hasUser && !hasAnon) return 'no_user_anon_id';
  if (type === 'track' && (typeof o.event !== 'string' || o.event.trim() === '')) return 'track event is missing name (event)';
  if (type === 'group' && (o.groupId === undefined || o.groupId === null || o.groupId === '')) return 'group call is missing groupId';
  return null;
}

/** UTF-8 size of an event as sent, computed only when its length does not settle it. */
function overSize(e: unknown, max: number): boolean {
  const json = JSON.stringify(e);
  if (json.length * 3 <= max) return false;
  if (json.length > max) return true;
  return Buffer.byteLength(json, 'utf8') > max;
}

export async function startSegmentEmulator(options: SegmentEmulatorOptions = {}): Promise<SegmentEmulator> {
  const writeKeys = new Set(options.writeKeys ?? [SANDBOX_SEGMENT.writeKey]);
  const strict = options.strict ?? true;
  const maxBatchBytes = options.maxBatchBytes ?? SEGMENT_EMULATOR_LIMITS.maxBatchBytes;
  const maxEventBytes = options.maxEventBytes ?? SEGMENT_EMULATOR_LIMITS.maxEventBytes;
  const maxBatchEvents = options.maxBatchEvents ?? SEGMENT_EMULATOR_LIMITS.maxBatchEvents;
  const faults = new DestinationFaults(() => DestinationFaults.defaults(options.limits ?? true), options.faults);
  const buckets = new KeyedBuckets(faults, { perSecond: SEGMENT_EMULATOR_LIMITS.requestsPerSecond });
  const recorder = new Recorder<SegmentEvent>(options.keepReceived ?? true);
  const dropped: SegmentDropped[] = [];
  // messageId -> times received, kept as events arrive so duplicates() needs no scan.
  const byMessageId = new Map<string, number>();

  const drop = (event: unknown, reason: string, at: number, credential: string | null) => {
    dropped.push({ event, reason, at, credential });
    recorder.reject();
  };

  function handle(call: IncomingCall): Answer {
    const req = recorder.begin();
    let items = 0;
    let accepted = 0;
    let credential: string | null = null;
    const done = (a: Answer, throttled = false): Answer => {
      recorder.end({ method: call.method, path: call.path, status: a.status, items, accepted, at: call.arrived, ...(credential ? { credential } : {}) }, throttled);
      return a;
    };

    const m = /^\/v1\/([a-z]+)$/.exec(call.path);
    const op = m?.[1] ?? '';
    const isBatch = op === 'batch' || op === 'import';
    if (!isBatch && !SINGLE_CALLS.has(op)) return done(fail(404, `no such endpoint ${call.path}`));
    if (call.method !== 'POST') return done(fail(405, `${call.method} is not allowed on ${call.path}; use POST`));

    // Size before anything else: Segment refuses an oversize body before reading it.
    const maxBytes = isBatch ? maxBatchBytes : maxEventBytes;
    if (call.body.length > maxBytes) return done(fail(400, `Exceed payload limit: the request is ${call.body.length} bytes; at most ${maxBytes}`));

    let body: unknown;
    try {
      body = JSON.parse(call.body.toString('utf8'));
    } catch {
      return done(fail(400, 'Invalid JSON'));
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return done(fail(400, 'Invalid JSON: the body must be an object'));
    const o = body as Record<string, unknown>;

    credential = basicUser(call.headers.authorization) ?? (typeof o.writeKey === 'string' ? o.writeKey : null);
    let events: unknown[];
    if (isBatch) {
      if (!Array.isArray(o.batch)) return done(fail(400, 'batch must be an array of events'));
      events = o.batch;
    } else events = [o];
    items = events.length;

    if (credential === null || !writeKeys.has(credential)) {
      if (strict) {
        recorder.reject(items);
        return done(fail(401, credential === null ? 'missing write key (Basic auth user name or writeKey)' : 'invalid write key'));
      }
      for (const e of events) drop(e, 'invalid write key', call.arrived, credential);
      return done({ status: 200, body: { success: true } });
    }

    const bucket = buckets.get(credential);
    if (bucket && !bucket.take(call.arrived)) {
      const wait = String(Math.max(1, Math.ceil(bucket.waitSec())));
      recorder.reject(items);
      return done(fail(429, 'Too Many Requests', { 'retry-after': wait, 'x-ratelimit-reset': wait }));
    }
    if (faults.takeStorm()) {
      const wait = String(faults.retryAfterSec);
      recorder.reject(items);
      return done(fail(429, 'Too Many Requests', { 'retry-after': wait, 'x-ratelimit-reset': wait }));
    }
    const failure = faults.takeFail5xx();
    if (failure && !failure.afterAccept) {
      recorder.reject(items);
      return done(fail(failure.status, 'Internal Server Error'));
    }

    // Per event: 32 KB, validity, the rejection rule. Size checks only when the body could hold an oversize event.
    const checkSizes = isBatch && call.body.length > maxEventBytes;
    const typeFromPath = isBatch ? null : op;
    let keep: unknown[] = events;
    if (isBatch && events.length > maxBatchEvents) {
      if (strict) {
        recorder.reject(items);
        return done(fail(400, `a batch accepts at most ${maxBatchEvents} events; this one has ${events.length}`));
      }
      keep = events.slice(0, maxBatchEvents);
    }
    const invalid: { index: number; reason: string }[] = [];
    for (let i = 0; i < keep.length; i++) {
      const e = keep[i];
      if (checkSizes && overSize(e, maxEventBytes)) {
        recorder.reject(items);
        return done(fail(400, `Exceed payload limit: batch[${i}] is over ${maxEventBytes} bytes`));
      }
      const reason = invalidReason(e, typeFromPath);
      if (reason) {
        if (strict) {
          recorder.reject(items);
          return done(fail(400, isBatch ? `batch[${i}]: ${reason}` : reason));
        }
        invalid.push({ index: i, reason });
        continue;
      }
      if (faults.rejecting) {
        const why = faults.rejects(e, (field) => (field ? `invalid value of ${field}` : 'event refused'));
        if (why) {
          recorder.reject(items);
          return done(fail(400, isBatch ? `batch[${i}]: ${why}` : why));
        }
      }
    }

    const invalidAt = new Set(invalid.map((v) => v.index));
    for (const v of invalid) drop(keep[v.index], v.reason, call.arrived, credential);
    for (let i = keep.length; i < events.length; i++) drop(events[i], `over the ${maxBatchEvents}-event batch limit`, call.arrived, credential);
    for (let i = 0; i < keep.length; i++) {
      if (invalidAt.has(i)) continue;
      const e = keep[i] as SegmentEvent;
      if (typeFromPath && e.type === undefined) e.type = typeFromPath;
      if (typeof e.messageId === 'string') byMessageId.set(e.messageId, (byMessageId.get(e.messageId) ?? 0) + 1);
      recorder.accept(e, call.arrived, credential, req);
      accepted++;
    }
    if (failure) return done(fail(failure.status, 'Internal Server Error'));
    return done({ status: 200, body: { success: true } });
  }

  const hooks = {
    name: 'Segment',
    faults,
    stats: () => recorder.stats(),
    reset: () => {
      recorder.reset();
      dropped.length = 0;
      byMessageId.clear();
      buckets.clear();
    },
    received: (limit: number) => recorder.received.slice(-limit),
  };
  const server = await listen(options.host ?? '127.0.0.1', options.port ?? 0, hooks, handle);

  return {
    url: server.url,
    writeKey: [...writeKeys][0] ?? SANDBOX_SEGMENT.writeKey,
    faults,
    received: recorder.received,
    dropped,
    requests: recorder.requests,
    unique() {
      const seen = new Set<string>();
      const out: SegmentEvent[] = [];
      for (const r of recorder.received) {
        const id = r.item.messageId;
        if (typeof id === 'string') {
          if (seen.has(id)) continue;
          seen.add(id);
        }
        out.push(r.item);
      }
      return out;
    },
    duplicates() {
      const out: DuplicateGroup[] = [];
      for (const [key, n] of byMessageId) if (n > 1) out.push({ key, count: n });
      return out;
    },
    stats: () => recorder.stats(),
    reset: hooks.reset,
    close: server.close,
  };
}
