// Braze REST API: POST /users/track (attributes, events, purchases) on the customer's instance.
// Facts (shared/docs/providers.md §13): https://www.braze.com/docs/api/endpoints/user_data/post_user_track/ ,
// https://www.braze.com/docs/api/errors/ , https://www.braze.com/docs/api/api_limits/ ,
// https://www.braze.com/docs/api/endpoints/export/custom_events/get_custom_events/
//
// Idempotency: Braze documents no de-duplication for /users/track, so opts.idempotencyKey is
// deliberately unused and no header is invented; a duplicate send is prevented by the send
// workflow's id (a replayed event is recorded twice; attributes are last-write-wins).
import { z } from 'zod';
import type { CallOptions, ConnectorExecutor } from '../core/envelope.js';
import { failBeforeSend, withBody, withError } from '../core/envelope.js';
import { connectorError } from '../core/errors.js';
import { httpRequest, type HttpResponse } from '../core/http.js';
import { redact } from '../core/redact.js';
import type { BrazeConfig } from '../registry/connectors/braze.js';
import { braze } from '../registry/connectors/braze.js';
import { baseUrl, callOptions, checkConfig, checkMessage, parseBody, secretsOf } from './support.js';

const PROVIDER = 'Braze';
/** Objects per request across the three arrays (legacy workspaces: 75 per array, so this is safe too). */
export const BRAZE_MAX_OBJECTS = 75;
const MAX_REPORTED_ERRORS = 10;

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

/** A fatal answer `{message, errors}`: the reason and the per-object errors go into the message. */
export function refineBrazeError(res: HttpResponse, secrets: readonly string[], hint?: string): HttpResponse {
  if (res.ok || !res.error || res.status === 0) return res;
  const parsed = errorBody.safeParse(res.body);
  let message = res.error.message;
  if (parsed.success) {
    const objects = (parsed.data.errors ?? []).map(describeObjectError);
    message = `${PROVIDER} answered HTTP ${res.status}: ${parsed.data.message}${objects.length ? ` (${objects.join('; ')})` : ''}`;
  }
  return { ...res, error: { ...res.error, message: redact(`${message}${hint ? ` ${hint}` : ''}`, secrets) } };
}

async function call(config: BrazeConfig, method: 'GET' | 'POST', url: string, json: unknown, opts?: CallOptions, hint?: (status: number) => string | undefined) {
  const secrets = secretsOf('braze', config);
  const res = await httpRequest({
    provider: PROVIDER,
    method,
    url,
    ...(json !== undefined ? { json } : {}),
    headers: { authorization: `Bearer ${config.apiKey}` },
    secrets,
    ...callOptions(opts, braze.policy.timeouts.requestMs),
  });
  return refineBrazeError(res, secrets, hint?.(res.status));
}

/** The /users/track body; events and purchases without a time are stamped with the send time. */
export function brazeTrackBody(m: BrazeMessage, nowMs: number = Date.now()): Record<string, unknown[]> {
  const now = new Date(nowMs).toISOString();
  const body: Record<string, unknown[]> = {};
  if (m.attributes?.length) body.attributes = m.attributes;
  if (m.events?.length) body.events = m.events.map((e) => ({ ...e, time: e.time ?? now }));
  if (m.purchases?.length) body.purchases = m.purchases.map((p) => ({ ...p, time: p.time ?? now }));
  return body;
}

export const brazeExecutor: ConnectorExecutor<BrazeConfig> = {
  async testConnection(rawConfig, opts) {
    const checked = checkConfig<BrazeConfig>('braze', rawConfig);
    if ('fail' in checked) return checked.fail;
    const base = baseUrl(checked.config.restEndpoint, opts);
    if ('fail' in base) return base.fail;
    // The cheapest read; it needs its own permission, which a send-only key may lack.
    const hint = (status: number) => (status === 401 || status === 403
      ? '(the key may lack the events.list permission this check uses, even if it can send with users.track)'
      : undefined);
    const res = await call(checked.config, 'GET', `${base.base}/events/list`, undefined, opts, hint);
    const parsed = parseBody(res, eventsListBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return parsed;
    return withBody(parsed, { events: parsed.body.events.length });
  },

  async send(rawConfig, rawMessage, opts) {
    const checked = checkConfig<BrazeConfig>('braze', rawConfig);
    if ('fail' in checked) return checked.fail;
    const msg = checkMessage(brazeMessageSchema, rawMessage, PROVIDER);
    if ('fail' in msg) return msg.fail;
    const { attributes = [], events = [], purchases = [] } = msg.message;
    const total = attributes.length + events.length + purchases.length;
    if (total > BRAZE_MAX_OBJECTS) {
      return failBeforeSend('payload_too_large', `${PROVIDER}: ${total} objects (attributes ${attributes.length}, events ${events.length}, purchases ${purchases.length}); /users/track accepts at most ${BRAZE_MAX_OBJECTS} per request, split the send`);
    }
    const base = baseUrl(checked.config.restEndpoint, opts);
    if ('fail' in base) return base.fail;

    const parsed = parseBody(await call(checked.config, 'POST', `${base.base}/users/track`, brazeTrackBody(msg.message), opts), trackBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return parsed;
    const b = parsed.body;
    if (b.message !== 'success') {
      return withError(parsed, connectorError('invalid_response', `${PROVIDER} answered HTTP ${parsed.status} with message "${b.message}" instead of "success"`));
    }
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
};
