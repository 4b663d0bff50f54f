// Iterable Events API: POST /api/events/track, one custom event per send.
// Facts (shared/docs/providers.md §10): https://api.iterable.com/api/docs#events_track ,
// https://support.iterable.com/hc/en-us/articles/41044692130196-Getting-Started-with-Iterable-s-API ,
// https://support.iterable.com/hc/en-us/articles/204780579-API-Overview-and-Sample-Payloads
// Credential check: Iterable has no "whoami". GET /api/channels ("get available message channels",
// answering {channels: [{id, name, channelType, messageMedium}]}) is a parameterless read, as used by
// Iterable's own TypeScript client (github.com/Iterable/api-client, src/client/messaging.ts).
import { z } from 'zod';
import type { CallOptions, ConnectorExecutor, ConnectorResponse } from '../core/envelope.js';
import { failBeforeSend, withBody } from '../core/envelope.js';
import { connectorError, type ErrorCode } from '../core/errors.js';
import { httpRequest, type HttpResponse } from '../core/http.js';
import { redact } from '../core/redact.js';
import { parseRetryAfter } from '../core/retry-after.js';
import type { IterableConfig } from '../registry/connectors/iterable.js';
import { ITERABLE_HOSTS, iterable } from '../registry/connectors/iterable.js';
import { baseUrl, callOptions, checkConfig, checkMessage, dedupValue, parseBody, secretsOf } from './support.js';

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

function apiBase(config: IterableConfig, opts?: CallOptions) {
  return baseUrl(ITERABLE_HOSTS[config.dataCenter ?? 'us'], opts);
}

async function call(config: IterableConfig, method: 'GET' | 'POST', url: string, json: unknown, opts?: CallOptions): Promise<HttpResponse> {
  const secrets = secretsOf('iterable', config);
  const res = await httpRequest({
    provider: PROVIDER,
    method,
    url,
    ...(json !== undefined ? { json } : {}),
    headers: { 'api-key': config.apiKey },
    secrets,
    ...callOptions(opts, iterable.policy.timeouts.requestMs),
  });
  return refineIterableAnswer(res, secrets);
}

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

export const iterableExecutor: ConnectorExecutor<IterableConfig> = {
  async testConnection(rawConfig, opts) {
    const checked = checkConfig<IterableConfig>('iterable', rawConfig);
    if ('fail' in checked) return checked.fail;
    const base = apiBase(checked.config, opts);
    if ('fail' in base) return base.fail;
    const parsed = parseBody(await call(checked.config, 'GET', `${base.base}/api/channels`, undefined, opts), channelsBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return parsed;
    return withBody(parsed, { channels: parsed.body.channels.length });
  },

  async send(rawConfig, rawMessage, opts): Promise<ConnectorResponse> {
    const checked = checkConfig<IterableConfig>('iterable', rawConfig);
    if ('fail' in checked) return checked.fail;
    const msg = checkMessage(iterableMessageSchema, rawMessage, PROVIDER);
    if ('fail' in msg) return msg.fail;
    const { config } = checked;
    const message = msg.message;
    // The project's identity mode decides which identifier Iterable resolves users by.
    const identifyBy = config.identifyBy ?? 'email';
    if (message[identifyBy] === undefined) {
      return failBeforeSend('bad_request', `${PROVIDER}: invalid message (this project identifies users by ${identifyBy}: send ${identifyBy}, not ${identifyBy === 'email' ? 'userId' : 'email'})`);
    }
    const base = apiBase(config, opts);
    if ('fail' in base) return base.fail;

    const body = iterableTrackBody(message, opts?.idempotencyKey);
    const parsed = parseBody(await call(config, 'POST', `${base.base}/api/events/track`, body, opts), envelopeBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return parsed;
    const returned = parsed.body.params?.id;
    return withBody(parsed, { eventId: typeof returned === 'string' ? returned : (body.id as string | undefined) ?? null });
  },
};
