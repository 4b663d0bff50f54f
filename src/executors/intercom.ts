// Intercom REST API: data events (POST /events) and contacts (POST /contacts).
// Facts and sources: src/registry/connectors/intercom.ts. Pages this file follows:
// https://developers.intercom.com/docs/references/rest-api/api.intercom.io/data-events/createdataevent ,
// https://developers.intercom.com/docs/references/rest-api/api.intercom.io/contacts/createcontact ,
// https://developers.intercom.com/docs/references/rest-api/errors/error-codes ,
// https://developers.intercom.com/docs/references/rest-api/errors/rate-limiting
//
// Idempotency: Intercom has no idempotency header or field, so opts.idempotencyKey is deliberately
// unused and no header is invented. What it has is event de-duplication: "Each event is uniquely
// identified as a combination of ... the Workspace identifier, the Contact external identifier, the
// Data Event name and the Data Event created time" (metadata is not part of it), and a duplicate is
// answered 202 like any event. That only helps if a retry carries the same created_at, hence
// eventCreatedAt below.
import { z } from 'zod';
import type { CallOptions, ConnectorExecutor } from '../core/envelope.js';
import { withBody, withError } from '../core/envelope.js';
import { connectorError } from '../core/errors.js';
import type { HttpResponse } from '../core/http.js';
import { redact } from '../core/redact.js';
import { delayUntilEpochSeconds } from '../core/retry-after.js';
import type { IntercomConfig } from '../registry/connectors/intercom.js';
import { INTERCOM_HOSTS, INTERCOM_MAX_METADATA_KEYS, INTERCOM_VERSIONS } from '../registry/connectors/intercom.js';
import { bindProvider, type ProviderBinding } from './bind.js';
import { checkMessage, parseBody } from './support.js';

const PROVIDER = 'Intercom';

const eventMessage = z
  .strictObject({
    type: z.literal('event'),
    eventName: z.string().trim().min(1),
    /** Unix seconds; defaults to when the send was first scheduled (see eventCreatedAt). */
    createdAt: z.number().int().positive().max(253_402_300_799).optional(),
    userId: z.string().min(1).optional(),
    email: z.email().optional(),
    id: z.string().min(1).optional(),
    // Intercom metadata is a flat object; nested values are only its special link/amount types.
    metadata: z
      .record(z.string().min(1), z.union([z.string(), z.number()]))
      .refine((m) => Object.keys(m).length <= INTERCOM_MAX_METADATA_KEYS, {
        error: (iss) => `has ${Object.keys(iss.input as object).length} keys; Intercom tracks at most ${INTERCOM_MAX_METADATA_KEYS} per event and ignores the rest`,
      })
      .optional(),
  })
  .refine((m) => [m.userId, m.email, m.id].filter((v) => v !== undefined).length === 1, {
    error: 'exactly one of userId, email or id identifies the user',
    path: ['userId'],
  });

const contactMessage = z
  .strictObject({
    type: z.literal('contact'),
    role: z.enum(['user', 'lead']),
    externalId: z.string().min(1).optional(),
    email: z.email().optional(),
    phone: z.string().min(1).optional(),
    name: z.string().min(1).optional(),
    customAttributes: z.record(z.string().min(1), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  })
  .refine((m) => m.role === 'lead' || m.externalId !== undefined || m.email !== undefined, {
    error: 'a user contact needs externalId or email',
    path: ['externalId'],
  });

export const intercomMessageSchema = z.discriminatedUnion('type', [eventMessage, contactMessage]);
export type IntercomMessage = z.infer<typeof intercomMessageSchema>;

const meBody = z.looseObject({
  id: z.union([z.string().min(1), z.number()]),
  name: z.string().nullish(),
  app: z.looseObject({ id_code: z.string().optional() }).nullish(),
});
const contactBody = z.looseObject({ type: z.literal('contact'), id: z.string().min(1), role: z.string().optional() });
const errorList = z.looseObject({
  request_id: z.string().nullish(),
  errors: z.array(z.looseObject({ code: z.string(), message: z.string().nullish(), field: z.string().nullish() })).min(1),
});

/**
 * Intercom's refinements: the message lists each `errors[].code` (what Intercom's docs key on) with
 * its text and the request id, and a 429 without Retry-After waits until X-RateLimit-Reset (epoch s).
 */
export function refineIntercomError(res: HttpResponse, secrets: readonly string[], nowMs: number = Date.now()): HttpResponse {
  if (res.ok || !res.error || res.status === 0) return res;
  const error = { ...res.error };
  if (res.status === 429 && error.retryAfterMs === undefined) {
    const wait = delayUntilEpochSeconds(res.headers['x-ratelimit-reset'], nowMs);
    if (wait !== undefined) error.retryAfterMs = wait;
  }
  const parsed = errorList.safeParse(res.body);
  if (parsed.success) {
    const parts = parsed.data.errors.map((e) => `${e.code}${e.field ? ` (${e.field})` : ''}${e.message ? `: ${e.message}` : ''}`);
    const requestId = parsed.data.request_id;
    error.message = redact(`${PROVIDER} answered HTTP ${res.status}: ${parts.join('; ')}${requestId ? ` [request ${requestId}]` : ''}`, secrets);
  }
  return { ...res, error };
}

/** Intercom's request context: the regional host, the Bearer token and the pinned Intercom-Version. */
const INTERCOM: ProviderBinding<IntercomConfig> = {
  connectorId: 'intercom',
  provider: PROVIDER,
  baseUrl: (config) => INTERCOM_HOSTS[config.region ?? 'us'],
  headers: (config) => ({
    authorization: `Bearer ${config.accessToken}`,
    'intercom-version': config.apiVersion ?? INTERCOM_VERSIONS.current,
    accept: 'application/json',
  }),
  refineError: (res, secrets) => refineIntercomError(res, secrets),
};

/**
 * The created_at of an event (Unix seconds). Intercom de-duplicates on it, so a retry must send the
 * value the first attempt sent: the first attempt's schedule time, which Temporal gives every attempt
 * of one activity alike. Outside an activity there is no such time, and the clock is the best left.
 */
export function eventCreatedAt(createdAt: number | undefined, opts: Pick<CallOptions, 'firstAttemptAtMs' | 'now'> | undefined): number {
  if (createdAt !== undefined) return createdAt;
  const at = opts?.firstAttemptAtMs ?? (opts?.now ?? Date.now)();
  return Math.floor(at / 1000);
}

/** The JSON body Intercom documents for POST /events or POST /contacts. */
export function intercomRequestBody(message: IntercomMessage, opts?: Pick<CallOptions, 'firstAttemptAtMs' | 'now'>): Record<string, unknown> {
  if (message.type === 'event') {
    const body: Record<string, unknown> = {
      event_name: message.eventName,
      created_at: eventCreatedAt(message.createdAt, opts),
    };
    if (message.userId !== undefined) body.user_id = message.userId;
    if (message.email !== undefined) body.email = message.email;
    if (message.id !== undefined) body.id = message.id;
    if (message.metadata !== undefined) body.metadata = message.metadata;
    return body;
  }
  const body: Record<string, unknown> = { role: message.role };
  if (message.externalId !== undefined) body.external_id = message.externalId;
  if (message.email !== undefined) body.email = message.email;
  if (message.phone !== undefined) body.phone = message.phone;
  if (message.name !== undefined) body.name = message.name;
  if (message.customAttributes !== undefined) body.custom_attributes = message.customAttributes;
  return body;
}

export const intercomExecutor: ConnectorExecutor<IntercomConfig> = {
  messageSchema: intercomMessageSchema,

  async testConnection(rawConfig, opts) {
    const bound = bindProvider(INTERCOM, rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    const parsed = parseBody(await bound.provider.request({ method: 'GET', path: '/me' }), meBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return parsed;
    const { id, name, app } = parsed.body;
    return withBody(parsed, { adminId: String(id), name: name ?? null, appId: app?.id_code ?? null });
  },

  async send(rawConfig, rawMessage, opts) {
    const bound = bindProvider(INTERCOM, rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    const msg = checkMessage(intercomMessageSchema, rawMessage, PROVIDER);
    if ('fail' in msg) return msg.fail;
    const message = msg.message;
    const body = intercomRequestBody(message, opts);

    if (message.type === 'event') {
      // 202 Accepted with an empty body: queued, not yet visible on the contact.
      const res = await bound.provider.request({ method: 'POST', path: '/events', json: body });
      if (!res.ok) return withError(res, res.error!);
      return withBody(res, { accepted: true, eventName: message.eventName, createdAt: body.created_at as number });
    }

    const res = await bound.provider.request({ method: 'POST', path: '/contacts', json: body });
    if (res.status === 409 && res.error) {
      // Create-only by design: merging into the existing contact (search + PUT) would overwrite
      // fields the user may not mean to change. Intercom names the existing contact in its message.
      const existing = /\bid=([A-Za-z0-9]+)/.exec(res.error.message)?.[1];
      return withError(res, connectorError('conflict', `${PROVIDER}: a contact with this ${message.externalId ? 'external_id' : 'email'} already exists${existing ? ` (id ${existing}); update it with PUT /contacts/${existing}` : ''} (${res.error.message})`));
    }
    const parsed = parseBody(res, contactBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return parsed;
    return withBody(parsed, { contactId: parsed.body.id, role: parsed.body.role ?? message.role });
  },
};
