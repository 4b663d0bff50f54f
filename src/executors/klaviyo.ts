// Klaviyo Create Event (JSON:API): POST /api/events with a metric and a profile.
// Facts: https://developers.klaviyo.com/en/reference/create_event ,
// https://developers.klaviyo.com/en/reference/get_accounts ,
// https://developers.klaviyo.com/en/docs/rate_limits_and_error_handling ,
// https://developers.klaviyo.com/en/docs/api_versioning_and_deprecation_policy ; the limits and the
// paths come from the official spec (klaviyo/openapi), see src/registry/connectors/klaviyo.ts.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ConnectorExecutor } from '../core/envelope.js';
import { failBeforeSend, withBody, withError } from '../core/envelope.js';
import type { HttpResponse } from '../core/http.js';
import { redact } from '../core/redact.js';
import type { KlaviyoConfig } from '../registry/connectors/klaviyo.js';
import { KLAVIYO_DEFAULT_REVISION, KLAVIYO_EVENT_LIMITS } from '../registry/connectors/klaviyo.js';
import { bindProvider, type ProviderBinding } from './bind.js';
import { checkMessage, dedupValue, parseBody } from './support.js';

const PROVIDER = 'Klaviyo';
const JSON_API = 'application/vnd.api+json';
// Klaviyo documents no limit on unique_id; longer idempotency keys are hashed to stay well clear.
const MAX_UNIQUE_ID = 255;
const LIMITS = KLAVIYO_EVENT_LIMITS;

const text = z.string().min(1);
const place = z.string().nullable().optional();
const coordinate = z.union([z.string(), z.number(), z.null()]).optional();
const location = z.strictObject({
  address1: place, address2: place, city: place, country: place, region: place, zip: place, timezone: place, ip: place,
  latitude: coordinate, longitude: coordinate,
});
const profile = z
  .strictObject(
    {
      email: z.email().optional(),
      /** E.164, as Klaviyo requires. */
      phoneNumber: z.string().regex(/^\+[1-9]\d{5,14}$/, { error: 'must be an E.164 number such as +15005550006' }).optional(),
      externalId: text.optional(),
      anonymousId: text.optional(),
      firstName: text.optional(),
      lastName: text.optional(),
      organization: text.optional(),
      title: text.optional(),
      image: text.optional(),
      locale: text.optional(),
      location: location.optional(),
      /** Custom profile properties. */
      properties: z.record(z.string(), z.unknown()).optional(),
    },
    { error: (iss) => (iss.code === 'unrecognized_keys' ? `unknown profile attribute(s) ${iss.keys.join(', ')}: put custom ones in profile.properties` : undefined) },
  )
  .refine((p) => [p.email, p.phoneNumber, p.externalId, p.anonymousId].some((v) => v !== undefined), {
    error: 'needs an identifier: email, phoneNumber, externalId or anonymousId',
  });

/**
 * Klaviyo's limits on event properties, checked before sending so that the message names the field:
 * at most 400 (top-level) properties, and no string anywhere inside them over 100 KB of UTF-8.
 */
function checkEventProperties(properties: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const count = Object.keys(properties).length;
  if (count > LIMITS.maxProperties) {
    ctx.addIssue({ code: 'custom', message: `must not exceed ${LIMITS.maxProperties} properties (got ${count})` });
  }
  const visit = (value: unknown, path: (string | number)[]): void => {
    if (typeof value === 'string') {
      const bytes = Buffer.byteLength(value, 'utf8');
      if (bytes > LIMITS.maxStringBytes) {
        ctx.addIssue({ code: 'custom', path, message: `string of ${bytes} bytes; Klaviyo accepts at most 100 KB (${LIMITS.maxStringBytes} bytes) per string` });
      }
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => visit(v, [...path, i]));
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) visit(v, [...path, k]);
    }
  };
  for (const [k, v] of Object.entries(properties)) visit(v, [k]);
}

export const klaviyoMessageSchema = z.strictObject({
  metric: z.string().trim().min(1),
  profile,
  properties: z.record(z.string(), z.unknown()).superRefine(checkEventProperties).optional(),
  /** ISO-8601; Klaviyo accepts times after the year 1990 and up to one year ahead. Defaults to receipt time. */
  time: z
    .string()
    .refine((v) => !Number.isNaN(Date.parse(v)), { error: 'must be an ISO-8601 date-time' })
    .refine((v) => Date.parse(v) >= LIMITS.earliestTimeMs && Date.parse(v) <= Date.now() + LIMITS.maxFutureMs, { error: 'must lie after the year 1990 and at most one year from now' })
    .optional(),
  value: z.number().finite().optional(),
  valueCurrency: z.string().regex(/^[A-Z]{3}$/, { error: 'must be an ISO 4217 code such as USD' }).optional(),
  /** Klaviyo's de-duplication id (same profile + metric: first event wins). Defaults to the idempotency key. */
  uniqueId: z.string().min(1).max(MAX_UNIQUE_ID).optional(),
});
export type KlaviyoMessage = z.infer<typeof klaviyoMessageSchema>;

const accountsBody = z.looseObject({
  data: z.array(z.looseObject({
    id: z.string().min(1),
    attributes: z.looseObject({ contact_information: z.looseObject({ organization_name: z.string().nullish() }).nullish() }).nullish(),
  })).min(1),
});
const errorBody = z.looseObject({
  errors: z.array(z.looseObject({
    code: z.string().nullish(),
    title: z.string().nullish(),
    detail: z.string().nullish(),
    source: z.looseObject({ pointer: z.string().nullish(), parameter: z.string().nullish() }).nullish(),
  })).min(1),
});

/** JSON:API errors: each `code` and `detail`, with `source.pointer` naming the offending member. */
export function refineKlaviyoError(res: HttpResponse, secrets: readonly string[]): HttpResponse {
  if (res.ok || !res.error || res.status === 0) return res;
  const parsed = errorBody.safeParse(res.body);
  if (!parsed.success) return res;
  const parts = parsed.data.errors.map((e) => {
    const where = e.source?.pointer ?? e.source?.parameter;
    return `${e.code ?? 'error'}${where ? ` at ${where}` : ''}: ${e.detail ?? e.title ?? 'no detail'}`;
  });
  return { ...res, error: { ...res.error, message: redact(`${PROVIDER} answered HTTP ${res.status}: ${parts.join('; ')}`, secrets) } };
}

/** Klaviyo's request context: the API base, the key and revision headers, JSON:API error messages. */
const KLAVIYO: ProviderBinding<KlaviyoConfig> = {
  connectorId: 'klaviyo',
  provider: PROVIDER,
  baseUrl: () => 'https://a.klaviyo.com',
  pathPrefix: '/api',
  headers: (config) => ({
    authorization: `Klaviyo-API-Key ${config.privateApiKey}`,
    revision: config.revision ?? KLAVIYO_DEFAULT_REVISION,
    accept: JSON_API,
  }),
  refineError: refineKlaviyoError,
};

const PROFILE_KEYS: Readonly<Record<string, string>> = {
  phoneNumber: 'phone_number', externalId: 'external_id', anonymousId: 'anonymous_id', firstName: 'first_name', lastName: 'last_name',
};

/**
 * The JSON:API document for POST /api/events. `unique_id` is always set: without one Klaviyo uses the
 * time to the second, silently keeping one event per profile and metric per second. Without an
 * explicit value or idempotency key a random one keeps distinct sends distinct.
 */
export function klaviyoEventBody(m: KlaviyoMessage, idempotencyKey: string | undefined): { data: { type: 'event'; attributes: Record<string, unknown> } } {
  const profileAttributes = Object.fromEntries(Object.entries(m.profile).map(([k, v]) => [PROFILE_KEYS[k] ?? k, v]));
  const attributes: Record<string, unknown> = {
    properties: m.properties ?? {},
    metric: { data: { type: 'metric', attributes: { name: m.metric } } },
    profile: { data: { type: 'profile', attributes: profileAttributes } },
    unique_id: dedupValue(m.uniqueId, idempotencyKey, MAX_UNIQUE_ID) ?? randomUUID(),
  };
  if (m.time !== undefined) attributes.time = new Date(Date.parse(m.time)).toISOString();
  if (m.value !== undefined) attributes.value = m.value;
  if (m.valueCurrency !== undefined) attributes.value_currency = m.valueCurrency;
  return { data: { type: 'event', attributes } };
}

export const klaviyoExecutor: ConnectorExecutor<KlaviyoConfig> = {
  messageSchema: klaviyoMessageSchema,

  async testConnection(rawConfig, opts) {
    const bound = bindProvider(KLAVIYO, rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    const parsed = parseBody(await bound.provider.request({ method: 'GET', path: '/accounts' }), accountsBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return parsed;
    const account = parsed.body.data[0]!;
    return withBody(parsed, { accountId: account.id, organization: account.attributes?.contact_information?.organization_name ?? null });
  },

  async send(rawConfig, rawMessage, opts) {
    const bound = bindProvider(KLAVIYO, rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    const msg = checkMessage(klaviyoMessageSchema, rawMessage, PROVIDER);
    if ('fail' in msg) return msg.fail;
    const body = klaviyoEventBody(msg.message, opts?.idempotencyKey);
    const json = JSON.stringify(body);
    const size = Buffer.byteLength(json, 'utf8');
    if (size > LIMITS.maxPayloadBytes) {
      return failBeforeSend('bad_request', `${PROVIDER}: invalid message (the event payload is ${size} bytes; Klaviyo accepts at most 5 MB (${LIMITS.maxPayloadBytes} bytes): shrink properties or profile.properties)`);
    }
    // 202 Accepted with an empty body: validated and queued, not yet processed.
    const res = await bound.provider.request({ method: 'POST', path: '/events', body: json, headers: { 'content-type': JSON_API } });
    if (!res.ok) return withError(res, res.error!);
    return withBody(res, { accepted: true, metric: msg.message.metric, uniqueId: body.data.attributes.unique_id as string });
  },
};
