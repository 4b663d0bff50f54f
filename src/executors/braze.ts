// Braze REST API: POST /users/track (attributes, events, purchases) on the customer's instance, one
// message at a time (send) or several messages' objects in one request (sendBatch).
// Facts, limits and quotes, with sources: src/registry/connectors/braze.ts. Pages this file follows:
// https://www.braze.com/docs/api/endpoints/user_data/post_user_track/ ,
// https://www.braze.com/docs/api/errors/ , https://www.braze.com/docs/api/api_limits/ ,
// https://www.braze.com/docs/api/endpoints/export/custom_events/get_custom_events/
//
// Idempotency: Braze documents no de-duplication for /users/track, so opts.idempotencyKey (and a batch's
// idempotencyKeys) is deliberately unused and no header is invented; a duplicate send is prevented by
// the send workflow's id (a replayed event is recorded twice; attributes are last-write-wins).
import { z } from 'zod';
import type { BatchCallOptions, BatchItemResult, BatchResult, ConnectorExecutor, ConnectorResponse } from '../core/envelope.js';
import { failBeforeSend, withBody, withError } from '../core/envelope.js';
import { connectorError, type ConnectorError } from '../core/errors.js';
import type { HttpResponse } from '../core/http.js';
import { redact } from '../core/redact.js';
import { delayUntilEpochSeconds } from '../core/retry-after.js';
import type { BrazeConfig } from '../registry/connectors/braze.js';
import { BRAZE_BATCH_MAX_ITEMS, BRAZE_BATCH_OBJECTS_PER_MESSAGE } from '../registry/connectors/braze.js';
import { bindProvider, type ProviderBinding } from './bind.js';
import { checkMessage, parseBody } from './support.js';

const PROVIDER = 'Braze';
/**
 * Objects per send across the three arrays: Braze's default limit (legacy workspaces: 75 per array, so
 * this is safe too; Monthly Active Users CY 24-25 contracts: 50, where Braze itself answers 400).
 */
export const BRAZE_MAX_OBJECTS = 75;
const MAX_REPORTED_ERRORS = 10;
const ARRAYS = ['attributes', 'events', 'purchases'] as const;
type TrackArray = (typeof ARRAYS)[number];

// "For each request component ... one of external_id, user_alias, braze_id, email, or phone is
// required" (https://www.braze.com/docs/api/endpoints/user_data/post_user_track/, "Request parameters").
const identifiers = {
  external_id: z.string().min(1).optional(),
  user_alias: z.strictObject({ alias_name: z.string().min(1), alias_label: z.string().min(1) }).optional(),
  braze_id: z.string().min(1).optional(),
  email: z.email().optional(),
  phone: z.string().min(1).optional(),
};
type Identified = { external_id?: string | undefined; user_alias?: unknown; braze_id?: string | undefined; email?: string | undefined; phone?: string | undefined };
const byOtherThanPhone = (o: Identified) => o.external_id !== undefined || o.user_alias !== undefined || o.braze_id !== undefined || o.email !== undefined;
const identified = (o: Identified) => byOtherThanPhone(o) || o.phone !== undefined;
const needsUser = { error: 'identify the user by external_id, user_alias, braze_id, email or phone' };

/**
 * E.164: "+", a country code and the number, at most 15 digits. Braze's user phone numbers guide
 * (https://www.braze.com/docs/user_guide/message_building_by_channel/sms_mms_rcs/user_phone_numbers/)
 * recommends it and reads anything else as a U.S. number or strips its punctuation, and the
 * /users/track page notes the update "only works if you include a valid phone number". A phone that
 * identifies the user must name exactly the number stored, so only E.164 is accepted for that; next to
 * another identifier, phone is an ordinary profile attribute and goes to Braze as given.
 */
const E164 = /^\+[1-9]\d{1,14}$/;
const phoneIdentifies = (o: Identified) => o.phone === undefined || byOtherThanPhone(o) || E164.test(o.phone);
const phoneFormat = { error: 'must be an E.164 number such as +15043277269 when it is the only identifier', path: ['phone'] };
const time = z.string().refine((v) => !Number.isNaN(Date.parse(v)), { error: 'must be an ISO-8601 date-time' });

// Objects stay open (looseObject): custom attributes are arbitrary keys, and Braze adds flags such as
// _update_existing_only that are passed through untouched.
const attributeObject = z.looseObject(identifiers).refine(identified, needsUser).refine(phoneIdentifies, phoneFormat);
const eventObject = z.looseObject({ ...identifiers, name: z.string().trim().min(1), time: time.optional(), properties: z.record(z.string(), z.unknown()).optional() })
  .refine(identified, needsUser).refine(phoneIdentifies, phoneFormat);
const purchaseObject = z.looseObject({
  ...identifiers,
  product_id: z.string().min(1),
  currency: z.string().regex(/^[A-Z]{3}$/, { error: 'must be an ISO 4217 code such as USD' }),
  price: z.number().finite(),
  quantity: z.number().int().min(1).max(100).optional(),
  time: time.optional(),
  properties: z.record(z.string(), z.unknown()).optional(),
}).refine(identified, needsUser).refine(phoneIdentifies, phoneFormat);

export const brazeMessageSchema = z
  .strictObject({ attributes: z.array(attributeObject).optional(), events: z.array(eventObject).optional(), purchases: z.array(purchaseObject).optional() })
  .refine((m) => (m.attributes?.length ?? 0) + (m.events?.length ?? 0) + (m.purchases?.length ?? 0) > 0, { error: 'give at least one attribute, event or purchase object' });
export type BrazeMessage = z.infer<typeof brazeMessageSchema>;

const trackBody = z.looseObject({
  message: z.string(),
  errors: z.array(z.unknown()).nullish(),
  attributes_processed: z.number().nullish(),
  events_processed: z.number().nullish(),
  purchases_processed: z.number().nullish(),
});
const eventsListBody = z.looseObject({ events: z.array(z.string()) });
const errorBody = z.looseObject({ message: z.string(), errors: z.array(z.unknown()).nullish() });
/** A minor error that names the object it rejects: {"type": "...", "input_array": "events", "index": 1}. */
const objectError = z.looseObject({ type: z.string().optional(), input_array: z.enum(ARRAYS), index: z.number().int().nonnegative() });

/** Braze's per-object error `{type, input_array, index}` (or a plain string) as one line. */
function describeObjectError(e: unknown): string {
  if (typeof e === 'string') return e;
  if (e && typeof e === 'object') {
    const o = e as Record<string, unknown>;
    const where = typeof o.input_array === 'string' ? `${o.input_array}${typeof o.index === 'number' ? `[${o.index}]` : ''}: ` : '';
    return `${where}${typeof o.type === 'string' ? o.type : JSON.stringify(o)}`;
  }
  return String(e);
}

/**
 * A fatal answer `{message, errors}`: the reason and the per-object errors go into the message. A 429
 * without Retry-After waits until X-RateLimit-Reset (UTC epoch seconds), the header Braze documents.
 */
export function refineBrazeError(res: HttpResponse, secrets: readonly string[], hint?: string): HttpResponse {
  if (res.ok || !res.error || res.status === 0) return res;
  const parsed = errorBody.safeParse(res.body);
  let message = res.error.message;
  if (parsed.success) {
    const objects = (parsed.data.errors ?? []).map(describeObjectError);
    message = `${PROVIDER} answered HTTP ${res.status}: ${parsed.data.message}${objects.length ? ` (${objects.join('; ')})` : ''}`;
  }
  const error: ConnectorError = { ...res.error, message: redact(`${message}${hint ? ` ${hint}` : ''}`, secrets) };
  if (res.status === 429 && error.retryAfterMs === undefined) {
    const untilReset = delayUntilEpochSeconds(res.headers['x-ratelimit-reset']);
    if (untilReset !== undefined) error.retryAfterMs = untilReset;
  }
  return { ...res, error };
}

/** Braze's request context: the instance's REST endpoint, the Bearer key, fatal answers refined. */
const BRAZE: ProviderBinding<BrazeConfig> = {
  connectorId: 'braze',
  provider: PROVIDER,
  baseUrl: (config) => config.restEndpoint,
  headers: (config) => ({ authorization: `Bearer ${config.apiKey}` }),
  refineError: (res, secrets) => refineBrazeError(res, secrets),
};

/** Events and purchases without a time are stamped with the send time. */
function stamped(m: BrazeMessage, now: string): Record<TrackArray, Record<string, unknown>[]> {
  return {
    attributes: m.attributes ?? [],
    events: (m.events ?? []).map((e) => ({ ...e, time: e.time ?? now })),
    purchases: (m.purchases ?? []).map((p) => ({ ...p, time: p.time ?? now })),
  };
}

/** The /users/track body; events and purchases without a time are stamped with the send time. */
export function brazeTrackBody(m: BrazeMessage, nowMs: number = Date.now()): Record<string, unknown[]> {
  const arrays = stamped(m, new Date(nowMs).toISOString());
  const body: Record<string, unknown[]> = {};
  for (const name of ARRAYS) if (arrays[name].length) body[name] = arrays[name];
  return body;
}

const objectCount = (m: BrazeMessage) => (m.attributes?.length ?? 0) + (m.events?.length ?? 0) + (m.purchases?.length ?? 0);

/** A 2xx whose message is not "success" is not what Braze documents. */
function notSuccess(res: ConnectorResponse<unknown>, message: string): ConnectorResponse<never> {
  return withError(res, connectorError('invalid_response', `${PROVIDER} answered HTTP ${res.status} with message "${message}" instead of "success"`));
}

/** Where each object of a batch request came from: its message and its place in that message. */
type Origins = Record<TrackArray, { message: number; local: number }[]>;

/**
 * Braze's minor errors per message of a batch, or null when one of them names no object of the request
 * (then no message can honestly be said to have succeeded or failed).
 */
function errorsByMessage(errors: readonly unknown[], origins: Origins): Map<number, string[]> | null {
  const byMessage = new Map<number, string[]>();
  for (const raw of errors) {
    const parsed = objectError.safeParse(raw);
    const origin = parsed.success ? origins[parsed.data.input_array][parsed.data.index] : undefined;
    if (!parsed.success || !origin) return null;
    const { input_array: array, index, type } = parsed.data;
    const reasons = byMessage.get(origin.message) ?? [];
    reasons.push(`${array}[${index}] of the request (the message's ${array}[${origin.local}]): ${type ?? JSON.stringify(raw)}`);
    byMessage.set(origin.message, reasons);
  }
  return byMessage;
}

export const brazeExecutor: ConnectorExecutor<BrazeConfig> = {
  messageSchema: brazeMessageSchema,

  async testConnection(rawConfig, opts) {
    const bound = bindProvider(BRAZE, rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    // The cheapest read; it needs its own permission, which a send-only key may lack.
    let res = await bound.provider.request({ method: 'GET', path: '/events/list' });
    if (res.status === 401 || res.status === 403) {
      res = refineBrazeError(res, bound.provider.secrets, '(the key may lack the events.list permission this check uses, even if it can send with users.track)');
    }
    const parsed = parseBody(res, eventsListBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return parsed;
    return withBody(parsed, { events: parsed.body.events.length });
  },

  async send(rawConfig, rawMessage, opts) {
    const bound = bindProvider(BRAZE, rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    const msg = checkMessage(brazeMessageSchema, rawMessage, PROVIDER);
    if ('fail' in msg) return msg.fail;
    const { attributes = [], events = [], purchases = [] } = msg.message;
    const total = attributes.length + events.length + purchases.length;
    if (total > BRAZE_MAX_OBJECTS) {
      return failBeforeSend('payload_too_large', `${PROVIDER}: ${total} objects (attributes ${attributes.length}, events ${events.length}, purchases ${purchases.length}); /users/track accepts at most ${BRAZE_MAX_OBJECTS} per request, split the send`);
    }

    const res = await bound.provider.request({ method: 'POST', path: '/users/track', json: brazeTrackBody(msg.message) });
    const parsed = parseBody(res, trackBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return parsed;
    const b = parsed.body;
    if (b.message !== 'success') return notSuccess(parsed, b.message);
    // "success" with errors: the objects named in `errors` were rejected, the rest were applied.
    const errors = (b.errors ?? []).map(describeObjectError);
    return withBody(parsed, {
      attributesProcessed: b.attributes_processed ?? 0,
      eventsProcessed: b.events_processed ?? 0,
      purchasesProcessed: b.purchases_processed ?? 0,
      nonFatalErrors: errors.length,
      errors: errors.slice(0, MAX_REPORTED_ERRORS),
    });
  },

  /**
   * One POST /users/track carrying the objects of several messages, in message order within each array.
   * A message that is invalid, or carries more than BRAZE_BATCH_OBJECTS_PER_MESSAGE objects, fails on
   * its own and the rest are sent; more than BRAZE_BATCH_MAX_ITEMS messages fail whole before sending
   * (then every message fits the 50 objects any account accepts). Braze's minor errors name the array
   * and index of each rejected object: the message that contributed it fails with Braze's reason, the
   * others succeed (Braze processed them). A fatal answer fails the whole call, mapped like send's.
   */
  async sendBatch(rawConfig, messages, opts?: BatchCallOptions): Promise<ConnectorResponse<BatchResult>> {
    const bound = bindProvider(BRAZE, rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    if (!Array.isArray(messages) || messages.length === 0) return failBeforeSend('bad_request', `${PROVIDER}: a batch needs at least one message`);
    if (messages.length > BRAZE_BATCH_MAX_ITEMS) {
      return failBeforeSend('payload_too_large', `${PROVIDER}: ${messages.length} messages; a batch accepts at most ${BRAZE_BATCH_MAX_ITEMS} (of up to ${BRAZE_BATCH_OBJECTS_PER_MESSAGE} objects each, so that it fits the 50 objects every Braze account accepts per request), split it`);
    }
    const keys = opts?.idempotencyKeys;
    if (keys && keys.length !== messages.length) {
      return failBeforeSend('bad_request', `${PROVIDER}: ${keys.length} idempotency keys for ${messages.length} messages; give one per message or none`);
    }

    const items: (BatchItemResult | undefined)[] = new Array(messages.length).fill(undefined);
    const body: Record<TrackArray, Record<string, unknown>[]> = { attributes: [], events: [], purchases: [] };
    const origins: Origins = { attributes: [], events: [], purchases: [] };
    const sent: number[] = [];
    const now = new Date().toISOString();
    messages.forEach((message, index) => {
      const msg = checkMessage(brazeMessageSchema, message, PROVIDER);
      if ('fail' in msg) {
        items[index] = { ok: false, error: msg.fail.error! };
        return;
      }
      const count = objectCount(msg.message);
      if (count > BRAZE_BATCH_OBJECTS_PER_MESSAGE) {
        items[index] = {
          ok: false,
          error: connectorError('payload_too_large', `${PROVIDER}: message ${index} carries ${count} objects; a message in a batch may carry at most ${BRAZE_BATCH_OBJECTS_PER_MESSAGE} (attributes, events and purchases together): send it on its own`),
        };
        return;
      }
      const arrays = stamped(msg.message, now);
      for (const name of ARRAYS) {
        arrays[name].forEach((object, local) => {
          body[name].push(object);
          origins[name].push({ message: index, local });
        });
      }
      sent.push(index);
    });
    // Nothing left to send: every message already has its reason, and no request is made.
    if (sent.length === 0) return { ok: true, status: 0, latencyMs: 0, body: { items: items as BatchItemResult[] } };

    const json = Object.fromEntries(ARRAYS.filter((name) => body[name].length > 0).map((name) => [name, body[name]]));
    const res = await bound.provider.request({ method: 'POST', path: '/users/track', json });
    const parsed = parseBody(res, trackBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return withError(parsed, parsed.error!);
    if (parsed.body.message !== 'success') return notSuccess(parsed, parsed.body.message);

    const errors = parsed.body.errors ?? [];
    const failed = errorsByMessage(errors, origins);
    if (!failed) {
      // The rest of the request was applied, so the call cannot be retried safely either.
      return withError(parsed, connectorError('invalid_response', redact(`${PROVIDER} answered HTTP ${parsed.status} "success" with ${errors.length} non-fatal errors, some naming no object of the request (${errors.slice(0, MAX_REPORTED_ERRORS).map(describeObjectError).join('; ')}); the objects it did not reject were applied, but which messages failed is unknown`, bound.provider.secrets), { ambiguous: true }));
    }
    for (const index of sent) {
      const reasons = failed.get(index);
      items[index] = reasons
        ? { ok: false, error: connectorError('bad_request', redact(`${PROVIDER} rejected ${reasons.join('; ')}`, bound.provider.secrets)) }
        : { ok: true };
    }
    return withBody(parsed, { items: items as BatchItemResult[] });
  },
};
