// Twilio Programmable Messaging: SMS/MMS through the 2010-04-01 Messages resource, form-encoded.
// Facts and sources: src/registry/connectors/twilio.ts. Pages this file follows:
// https://www.twilio.com/docs/messaging/api/message-resource ,
// https://www.twilio.com/docs/iam/api/account , https://www.twilio.com/docs/iam/api-keys ,
// https://www.twilio.com/docs/usage/twilios-response , https://www.twilio.com/docs/api/errors
import { z } from 'zod';
import type { ConnectorExecutor, ConnectorResponse } from '../core/envelope.js';
import { withBody, withError } from '../core/envelope.js';
import { connectorError, type ConnectorError } from '../core/errors.js';
import type { HttpResponse } from '../core/http.js';
import { basicAuth, redact } from '../core/redact.js';
import type { TwilioConfig } from '../registry/connectors/twilio.js';
import { bindProvider, type ProviderBinding } from './bind.js';
import { checkMessage, parseBody } from './support.js';

const PROVIDER = 'Twilio';
const API = 'https://api.twilio.com';
const BODY_MAX = 1600;
const MEDIA_MAX = 10; // "up to 10 MediaUrl parameters"
const RESTRICTED_KEY_REFUSED = 70051;

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

export const twilioMessageSchema = z
  .strictObject({
    to: z.string().trim().regex(/^\+[1-9]\d{1,14}$/, 'must be an E.164 number such as +15558675310'),
    body: z.string().min(1).max(BODY_MAX).optional(),
    mediaUrl: z.union([httpUrl, z.array(httpUrl).min(1).max(MEDIA_MAX)]).optional(),
    contentSid: z.string().regex(/^HX[0-9a-fA-F]{32}$/, 'must be a Content template SID (HX…)').optional(),
    // Values for the content template's placeholders ({"1": "Ada"}); Twilio takes them as a JSON string.
    contentVariables: z.record(z.string(), z.string()).optional(),
    from: z
      .string()
      .regex(/^(\+[1-9]\d{1,14}|\d{5,6}|(?=[A-Za-z0-9 ]*[A-Za-z])[A-Za-z0-9 ]{1,11})$/, 'must be an E.164 number, a short code or an alphanumeric sender ID')
      .optional(),
    messagingServiceSid: z.string().regex(/^MG[0-9a-fA-F]{32}$/, 'must be a messaging service SID (MG…)').optional(),
    statusCallback: httpUrl.optional(),
  })
  .refine((m) => m.body !== undefined || m.mediaUrl !== undefined || m.contentSid !== undefined, {
    error: 'give body, mediaUrl or contentSid',
    path: ['body'],
  })
  .refine((m) => m.contentVariables === undefined || m.contentSid !== undefined, { error: 'needs contentSid', path: ['contentVariables'] });
/** A message as a caller writes it. */
export type TwilioMessage = z.input<typeof twilioMessageSchema>;

const messageBody = z.looseObject({ sid: z.string().regex(/^(SM|MM)[0-9a-fA-F]{32}$/), status: z.string().min(1) });
const accountBody = z.looseObject({
  sid: z.string(),
  status: z.enum(['active', 'suspended', 'closed']),
  friendly_name: z.string().optional(),
  type: z.string().optional(),
});
const messageListBody = z.looseObject({ messages: z.array(z.unknown()) });
const twilioError = z.looseObject({ code: z.number().int(), message: z.string().optional(), more_info: z.string().optional() });

// What the recipient-side error codes mean: the message cannot go to this number as it is.
const RECIPIENT_ERRORS: Readonly<Record<number, string>> = {
  21211: 'the To number is not a valid phone number',
  21614: 'the To number is not a mobile number that can receive SMS',
  21610: 'the recipient has opted out (replied STOP); Twilio will not send to them until they opt in again',
};

/** Twilio's own error `code` refines the status table; the message carries code and reason. */
export function refineTwilioError(res: HttpResponse, secrets: readonly string[]): HttpResponse {
  if (res.ok || !res.error || res.status === 0) return res;
  const parsed = twilioError.safeParse(res.body);
  if (!parsed.success) return res;
  const { code, message, more_info } = parsed.data;
  const hint = RECIPIENT_ERRORS[code];
  const text = redact(
    `${PROVIDER} answered HTTP ${res.status} (error ${code}): ${message ?? 'no message'}${hint ? `; ${hint}` : ''}${more_info ? ` (${more_info})` : ''}`,
    secrets,
  );
  const retryAfter = res.error.retryAfterMs !== undefined ? { retryAfterMs: res.error.retryAfterMs } : {};
  let error: ConnectorError;
  // 20429: over the account's concurrency limit; such requests are never processed, so retrying is safe.
  if (code === 20429) error = connectorError('rate_limited', text, { retryable: true, ...retryAfter });
  else if (code === 20003) error = connectorError('unauthorized', text);
  else if (hint) error = connectorError('bad_request', text);
  else error = { ...res.error, message: text };
  return { ...res, error };
}

/** Twilio's request context: Basic auth with the API key or the account's own SID and token. */
const TWILIO: ProviderBinding<TwilioConfig> = {
  connectorId: 'twilio',
  provider: PROVIDER,
  baseUrl: () => API,
  pathPrefix: (config) => `/2010-04-01/Accounts/${encodeURIComponent(config.accountSid)}`,
  headers: (config) => ({
    authorization: config.authMethod === 'api_key' ? basicAuth(config.apiKeySid, config.apiKeySecret) : basicAuth(config.accountSid, config.authToken),
  }),
  refineError: refineTwilioError,
};

/**
 * A key Twilio authenticated but may not read Messages: https://www.twilio.com/docs/api/errors/403
 * lists "a Restricted API key that does not include permission for the resource or endpoint", and
 * https://www.twilio.com/docs/api/errors/70051 ("Authorization Failed") "If using a Restricted API Key
 * - the key may be missing a permission to access the resource". A wrong or deleted key is 401 with
 * 20003 ("Attempted API Key has been deleted", https://www.twilio.com/docs/api/errors/20003) instead.
 */
function isRestrictedKeyRefusal(res: HttpResponse): boolean {
  if (res.status !== 403) return false;
  const parsed = twilioError.safeParse(res.body);
  return parsed.success && parsed.data.code === RESTRICTED_KEY_REFUSED;
}

export const twilioExecutor: ConnectorExecutor<TwilioConfig> = {
  messageSchema: twilioMessageSchema,

  async testConnection(rawConfig, opts) {
    const bound = bindProvider(TWILIO, rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    const { config } = bound.provider;

    if (config.authMethod === 'api_key') {
      // Standard API keys may not read the Account resource (only Main keys can), so an API key is
      // proved on the resource it will use: one page of one message, of which nothing is kept.
      const res = await bound.provider.request({ method: 'GET', path: '/Messages.json', query: { PageSize: 1 } });
      if (isRestrictedKeyRefusal(res)) {
        // The key is genuine (a bad one is 401/20003) but may not read messages: a Restricted key
        // allowed only to create them is exactly what a sending connection needs, so it passes.
        return {
          ok: true,
          status: res.status,
          latencyMs: res.latencyMs,
          body: {
            accountSid: config.accountSid,
            check: 'messages',
            readable: false,
            note: `Twilio authenticated the API key but refused to list messages (HTTP 403, error ${RESTRICTED_KEY_REFUSED}): it is a Restricted key without permission to read Messages, or it belongs to another account. Whether it may create messages cannot be checked without sending one: the first send will prove it (a refusal then is forbidden).`,
          },
        };
      }
      const parsed = parseBody(res, messageListBody, PROVIDER);
      if (!parsed.ok) return parsed;
      return withBody(parsed, { accountSid: config.accountSid, check: 'messages', readable: true });
    }
    const res = await bound.provider.request({ method: 'GET', path: '.json' });
    const parsed = parseBody(res, accountBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return parsed;
    const { sid, status, friendly_name, type } = parsed.body;
    if (status !== 'active') {
      return withError(parsed, connectorError('forbidden', `${PROVIDER}: account ${sid} is ${status}; it cannot send messages until it is active again`));
    }
    return withBody(parsed, { accountSid: sid, status, friendlyName: friendly_name ?? null, type: type ?? null });
  },

  async send(rawConfig, message, opts): Promise<ConnectorResponse> {
    const bound = bindProvider(TWILIO, rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    const { config } = bound.provider;
    const msg = checkMessage(twilioMessageSchema, message, PROVIDER);
    if ('fail' in msg) return msg.fail;
    const m = msg.message;

    // A sender named by the message replaces the configured one as a whole, so that a message `from`
    // is never paired with a configured service whose pool may not contain it.
    const sender = m.from !== undefined || m.messagingServiceSid !== undefined ? m : config;
    // The Messages API has no idempotency key (I-Twilio-Idempotency-Token only marks Twilio's own
    // webhook retries), so none is sent: the send workflow's id is what prevents a duplicate SMS.
    const res = await bound.provider.request({
      method: 'POST',
      path: '/Messages.json',
      form: {
        To: m.to,
        From: sender.from,
        MessagingServiceSid: sender.messagingServiceSid,
        Body: m.body,
        MediaUrl: m.mediaUrl === undefined ? undefined : typeof m.mediaUrl === 'string' ? [m.mediaUrl] : m.mediaUrl,
        ContentSid: m.contentSid,
        ContentVariables: m.contentVariables ? JSON.stringify(m.contentVariables) : undefined,
        StatusCallback: m.statusCallback,
      },
    });
    const parsed = parseBody(res, messageBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return parsed;
    return withBody(parsed, { sid: parsed.body.sid, status: parsed.body.status });
  },
};
