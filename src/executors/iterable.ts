// Iterable Events API: POST /api/events/track, one custom event per send; POST /api/events/trackBulk,
// several per sendBatch.
// Facts, limits and quotes, with sources: src/registry/connectors/iterable.ts. Pages this file follows:
// https://api.iterable.com/api/docs#events_track , https://api.iterable.com/api/docs#events_trackBulk ,
// https://support.iterable.com/hc/en-us/articles/41044692130196-Getting-Started-with-Iterable-s-API ,
// https://support.iterable.com/hc/en-us/articles/204780579-API-Overview-and-Sample-Payloads
// Credential check: Iterable has no "whoami". GET /api/channels ("get available message channels",
// answering {channels: [{id, name, channelType, messageMedium}]}) is a parameterless read, as used by
// Iterable's own TypeScript client (github.com/Iterable/api-client, src/client/messaging.ts).
import { z } from 'zod';
import type { BatchCallOptions, BatchItemResult, BatchResult, ConnectorExecutor, ConnectorResponse } from '../core/envelope.js';
import { failBeforeSend, withBody, withError } from '../core/envelope.js';
import { connectorError, type ConnectorError, type ErrorCode } from '../core/errors.js';
import type { HttpResponse } from '../core/http.js';
import { redact } from '../core/redact.js';
import { parseRetryAfter } from '../core/retry-after.js';
import type { IterableConfig } from '../registry/connectors/iterable.js';
import { ITERABLE_BULK_MAX_BYTES, ITERABLE_BULK_MAX_EVENTS, ITERABLE_HOSTS } from '../registry/connectors/iterable.js';
import { bindProvider, type ProviderBinding } from './bind.js';
import { checkMessage, dedupValue, parseBody } from './support.js';

const PROVIDER = 'Iterable';
/** Iterable's documented limit on an event id. */
const MAX_EVENT_ID_BYTES = 512;

export const iterableMessageSchema = z
  .strictObject({
    eventName: z.string().trim().min(1),
    email: z.email().optional(),
    userId: z.string().min(1).optional(),
    /** Event id: an existing id updates that event instead of adding one. Defaults to the idempotency key. */
    id: z.string().min(1).refine((v) => Buffer.byteLength(v, 'utf8') <= MAX_EVENT_ID_BYTES, { error: `must be at most ${MAX_EVENT_ID_BYTES} bytes` }).optional(),
    /** Unix seconds. Milliseconds would land the event tens of thousands of years ahead. */
    createdAt: z.number().int().nonnegative().max(99_999_999_999, { error: 'must be Unix seconds (this looks like milliseconds)' }).optional(),
    dataFields: z.record(z.string(), z.unknown()).optional(),
    campaignId: z.number().int().optional(),
    templateId: z.number().int().optional(),
  })
  .refine((m) => (m.email === undefined) !== (m.userId === undefined), { error: 'give exactly one of email or userId', path: ['email'] });
export type IterableMessage = z.infer<typeof iterableMessageSchema>;

const envelopeBody = z.looseObject({ msg: z.string().nullish(), code: z.string(), params: z.record(z.string(), z.unknown()).nullish() });
const channelsBody = z.looseObject({ channels: z.array(z.unknown()) });

/** Iterable's `code` values (Iterable/api-client src/types/common.ts) and what each means here. */
const CODE_MAP: Readonly<Record<string, ErrorCode>> = {
  BadApiKey: 'unauthorized', BadAuthorizationHeader: 'unauthorized', Unauthorized: 'unauthorized',
  InvalidJwtPayload: 'unauthorized', JwtUserIdentifiersMismatched: 'unauthorized',
  Forbidden: 'forbidden',
  BadParams: 'bad_request', BadJsonBody: 'bad_request', ForbiddenParamsError: 'bad_request', InvalidEmailAddressError: 'bad_request',
  InvalidUserIdError: 'bad_request', RequestFieldsTypesMismatched: 'bad_request', UniqueFieldsLimitExceeded: 'bad_request', ForgottenUserError: 'bad_request',
  NotFound: 'not_found', UnknownEmailError: 'not_found', UnknownUserIdError: 'not_found',
  EmailAlreadyExists: 'conflict', UserIdAlreadyExists: 'conflict', ExternalKeyConflict: 'conflict',
  BatchTooLarge: 'payload_too_large',
  RateLimitExceeded: 'rate_limited',
  DatabaseError: 'upstream_error', GenericError: 'upstream_error', QueueEmailError: 'upstream_error',
};

/**
 * Iterable answers `{msg, code, params}`, sometimes with HTTP 200 and an error `code`: a 2xx whose
 * code is not `Success` is an error mapped from the code (unknown codes are the caller's to fix);
 * a non-2xx keeps the shared status mapping. Either way the message carries the code and `msg`.
 */
export function refineIterableAnswer(res: HttpResponse, secrets: readonly string[]): HttpResponse {
  if (res.status === 0) return res;
  const parsed = envelopeBody.safeParse(res.body);
  if (!parsed.success || parsed.data.code === 'Success') return res;
  const { code, msg } = parsed.data;
  const message = redact(`${PROVIDER} answered HTTP ${res.status} (${code})${msg ? `: ${msg}` : ''}`, secrets);
  if (!res.ok) return { ...res, error: { ...res.error!, message } };
  const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
  const error = connectorError(CODE_MAP[code] ?? 'bad_request', message, retryAfterMs !== undefined ? { retryAfterMs } : {});
  return { ...res, ok: false, body: null, error };
}

/** Iterable's request context: the data center's host, the Api-Key header, the {msg, code} envelope. */
const ITERABLE: ProviderBinding<IterableConfig> = {
  connectorId: 'iterable',
  provider: PROVIDER,
  baseUrl: (config) => ITERABLE_HOSTS[config.dataCenter ?? 'us'],
  headers: (config) => ({ 'api-key': config.apiKey }),
  refineError: refineIterableAnswer,
};

/** The TrackRequest body, with the event id from the message or the idempotency key. */
export function iterableTrackBody(m: IterableMessage, idempotencyKey: string | undefined): Record<string, unknown> {
  const body: Record<string, unknown> = { eventName: m.eventName };
  if (m.email !== undefined) body.email = m.email;
  if (m.userId !== undefined) body.userId = m.userId;
  const id = dedupValue(m.id, idempotencyKey, MAX_EVENT_ID_BYTES);
  if (id !== undefined) body.id = id;
  if (m.createdAt !== undefined) body.createdAt = m.createdAt;
  if (m.dataFields !== undefined) body.dataFields = m.dataFields;
  if (m.campaignId !== undefined) body.campaignId = m.campaignId;
  if (m.templateId !== undefined) body.templateId = m.templateId;
  return body;
}

/** A valid message for this connection, or why not: the project's identity mode decides the identifier. */
function checkIterableMessage(config: IterableConfig, raw: unknown): { message: IterableMessage } | { fail: ConnectorResponse<never> } {
  const msg = checkMessage(iterableMessageSchema, raw, PROVIDER);
  if ('fail' in msg) return msg;
  const identifyBy = config.identifyBy ?? 'email';
  if (msg.message[identifyBy] === undefined) {
    return { fail: failBeforeSend('bad_request', `${PROVIDER}: invalid message (this project identifies users by ${identifyBy}: send ${identifyBy}, not ${identifyBy === 'email' ? 'userId' : 'email'})`) };
  }
  return msg;
}

const identifiers = z.array(z.string()).nullish();
/** BulkTrackResponse (api-docs.json): the counts are required, the failure lists optional. */
const bulkTrackBody = z.looseObject({
  successCount: z.number().int().nonnegative(),
  failCount: z.number().int().nonnegative(),
  failedUpdates: z.looseObject({
    invalidEmails: identifiers,
    invalidUserIds: identifiers,
    notFoundEmails: identifiers,
    notFoundUserIds: identifiers,
    forgottenEmails: identifiers,
    forgottenUserIds: identifiers,
  }).nullish(),
  disallowedEventNames: identifiers,
  // Deprecated copies ("use failedUpdates instead"); the top-level invalidUserIds means "not found".
  invalidEmails: identifiers,
  invalidUserIds: identifiers,
});
type BulkTrackBody = z.infer<typeof bulkTrackBody>;

interface FailureList {
  /** What the list names events by. */
  by: 'email' | 'userId' | 'eventName';
  values: readonly string[] | null | undefined;
  code: ErrorCode;
  /** Why, and the list's name in Iterable's answer. */
  reason: string;
}

/** Every list of the answer that fails events, most specific first. */
function failureLists(b: BulkTrackBody): FailureList[] {
  const f = b.failedUpdates;
  return [
    { by: 'email', values: f?.invalidEmails, code: 'bad_request', reason: 'its email is malformed (failedUpdates.invalidEmails)' },
    { by: 'email', values: f?.notFoundEmails, code: 'not_found', reason: 'its email was not found (failedUpdates.notFoundEmails)' },
    { by: 'email', values: f?.forgottenEmails, code: 'bad_request', reason: 'its user was GDPR-forgotten (failedUpdates.forgottenEmails)' },
    { by: 'userId', values: f?.invalidUserIds, code: 'bad_request', reason: 'its userId is malformed (failedUpdates.invalidUserIds)' },
    { by: 'userId', values: f?.notFoundUserIds, code: 'not_found', reason: 'its userId was not found (failedUpdates.notFoundUserIds)' },
    { by: 'userId', values: f?.forgottenUserIds, code: 'bad_request', reason: 'its user was GDPR-forgotten (failedUpdates.forgottenUserIds)' },
    { by: 'eventName', values: b.disallowedEventNames, code: 'bad_request', reason: 'its eventName is not allowed in this project (disallowedEventNames)' },
    { by: 'email', values: b.invalidEmails, code: 'bad_request', reason: 'its email is malformed (invalidEmails)' },
    { by: 'userId', values: b.invalidUserIds, code: 'not_found', reason: 'its userId was not found (invalidUserIds)' },
  ];
}

// Email addresses are compared without case: Iterable may answer with the address as it stored it.
const normalized = (by: FailureList['by'], v: string) => (by === 'email' ? v.trim().toLowerCase() : v);

/** Why Iterable did not track this event, from the lists that name its email, userId or eventName. */
function eventFailure(event: IterableMessage, lists: readonly FailureList[], index: number, secrets: readonly string[]): ConnectorError | null {
  const hits = lists.filter((l) => {
    const own = l.by === 'eventName' ? event.eventName : event[l.by];
    return own !== undefined && (l.values ?? []).some((v) => normalized(l.by, v) === normalized(l.by, own));
  });
  if (hits.length === 0) return null;
  // The identifier itself is personal data: the message names the list, not the value.
  return connectorError(hits[0]!.code, redact(`${PROVIDER} did not track event ${index}: ${hits.map((h) => h.reason).join('; ')}`, secrets));
}

export const iterableExecutor: ConnectorExecutor<IterableConfig> = {
  messageSchema: iterableMessageSchema,

  async testConnection(rawConfig, opts) {
    const bound = bindProvider(ITERABLE, rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    const parsed = parseBody(await bound.provider.request({ method: 'GET', path: '/api/channels' }), channelsBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return parsed;
    return withBody(parsed, { channels: parsed.body.channels.length });
  },

  async send(rawConfig, rawMessage, opts): Promise<ConnectorResponse> {
    const bound = bindProvider(ITERABLE, rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    const msg = checkIterableMessage(bound.provider.config, rawMessage);
    if ('fail' in msg) return msg.fail;

    const body = iterableTrackBody(msg.message, opts?.idempotencyKey);
    const parsed = parseBody(await bound.provider.request({ method: 'POST', path: '/api/events/track', json: body }), envelopeBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return parsed;
    const returned = parsed.body.params?.id;
    return withBody(parsed, { eventId: typeof returned === 'string' ? returned : (body.id as string | undefined) ?? null });
  },

  /**
   * POST /api/events/trackBulk. A message that is invalid (or names the user by the identifier the
   * project does not use) fails on its own and the rest are sent; a batch over 1,000 events or 4 MB fails
   * whole before sending, for the caller to split. Each event keeps its message's id (from its own
   * idempotency key), so a retried batch updates its events. Iterable answers with counts and lists of
   * failed identifiers: every message whose email, userId or eventName is listed fails with that reason,
   * the others succeed (with their event id as the id); when the lists do not account for exactly
   * failCount events, which events failed is unknown and the call is invalid_response.
   */
  async sendBatch(rawConfig, messages, opts?: BatchCallOptions): Promise<ConnectorResponse<BatchResult>> {
    const bound = bindProvider(ITERABLE, rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    const { config, secrets } = bound.provider;
    if (!Array.isArray(messages) || messages.length === 0) return failBeforeSend('bad_request', `${PROVIDER}: a batch needs at least one message`);
    if (messages.length > ITERABLE_BULK_MAX_EVENTS) {
      return failBeforeSend('payload_too_large', `${PROVIDER}: ${messages.length} events; a batch accepts at most ${ITERABLE_BULK_MAX_EVENTS}, split it`);
    }
    const keys = opts?.idempotencyKeys;
    if (keys && keys.length !== messages.length) {
      return failBeforeSend('bad_request', `${PROVIDER}: ${keys.length} idempotency keys for ${messages.length} messages; give one per message or none`);
    }

    const items: (BatchItemResult | undefined)[] = new Array(messages.length).fill(undefined);
    const sent: { index: number; message: IterableMessage; json: string; id: string | undefined }[] = [];
    messages.forEach((raw, index) => {
      const msg = checkIterableMessage(config, raw);
      if ('fail' in msg) {
        items[index] = { ok: false, error: msg.fail.error! };
        return;
      }
      const event = iterableTrackBody(msg.message, keys?.[index]);
      sent.push({ index, message: msg.message, json: JSON.stringify(event), id: event.id as string | undefined });
    });
    if (sent.length === 0) return { ok: true, status: 0, latencyMs: 0, body: { items: items as BatchItemResult[] } };

    // The events are already serialized: joined as they are, the measured bytes are the bytes sent.
    const json = `{"events":[${sent.map((s) => s.json).join(',')}]}`;
    const size = Buffer.byteLength(json, 'utf8');
    if (size > ITERABLE_BULK_MAX_BYTES) {
      return failBeforeSend('payload_too_large', `${PROVIDER}: the batch is ${size} bytes; a batch accepts at most ${ITERABLE_BULK_MAX_BYTES} bytes (4 MB), split it`);
    }
    const res = await bound.provider.request({ method: 'POST', path: '/api/events/trackBulk', body: json, headers: { 'content-type': 'application/json' } });
    const parsed = parseBody(res, bulkTrackBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return withError(parsed, parsed.error!);

    const { successCount, failCount } = parsed.body;
    const lists = failureLists(parsed.body);
    const failures = sent.map((s) => eventFailure(s.message, lists, s.index, secrets));
    const failed = failures.filter((f) => f !== null).length;
    if (failed !== failCount || successCount + failCount !== sent.length) {
      // Failures are reported by identifier, not by event: a count they do not explain makes every
      // per-message result a guess. The events Iterable accepted are tracked, so this is not retryable.
      return withError(parsed, connectorError('invalid_response', `${PROVIDER} answered trackBulk with successCount ${successCount} and failCount ${failCount} for ${sent.length} events, and its failure lists name ${failed} of them: which events failed is unknown`, { ambiguous: true }));
    }
    sent.forEach((s, i) => {
      const error = failures[i];
      items[s.index] = error ? { ok: false, error } : { ok: true, ...(s.id !== undefined ? { id: s.id } : {}) };
    });
    return withBody(parsed, { items: items as BatchItemResult[] });
  },
};
