// Twilio Programmable Messaging: SMS/MMS through the 2010-04-01 Messages resource, form-encoded.
// Facts (shared/docs/providers.md §5): https://www.twilio.com/docs/messaging/api/message-resource ,
// https://www.twilio.com/docs/iam/api/account , https://www.twilio.com/docs/iam/api-keys ,
// https://www.twilio.com/docs/usage/twilios-response , https://www.twilio.com/docs/api/errors
import { z } from 'zod';
import type { CallOptions, ConnectorExecutor, ConnectorResponse } from '../core/envelope.js';
import { withBody, withError } from '../core/envelope.js';
import { connectorError, type ConnectorError } from '../core/errors.js';
import { httpRequest, type HttpRequest, type HttpResponse } from '../core/http.js';
import { basicAuth, redact } from '../core/redact.js';
import type { TwilioConfig } from '../registry/connectors/twilio.js';
import { twilio } from '../registry/connectors/twilio.js';
import { baseUrl, callOptions, checkConfig, checkMessage, parseBody, secretsOf } from './support.js';

const PROVIDER = 'Twilio';
const API = 'https://api.twilio.com';
const BODY_MAX = 1600;
const MEDIA_MAX = 10; // "up to 10 MediaUrl parameters"

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

function credentials(config: TwilioConfig): { authorization: string; secrets: string[] } {
  const authorization = config.authMethod === 'api_key' ? basicAuth(config.apiKeySid, config.apiKeySecret) : basicAuth(config.accountSid, config.authToken);
  return { authorization, secrets: secretsOf('twilio', config) };
}

async function call(config: TwilioConfig, req: Pick<HttpRequest, 'method' | 'url' | 'query' | 'form'>, opts?: CallOptions): Promise<HttpResponse> {
  const { authorization, secrets } = credentials(config);
  const res = await httpRequest({
    provider: PROVIDER,
    ...req,
    headers: { authorization },
    secrets,
    ...callOptions(opts, twilio.policy.timeouts.requestMs),
  });
  return refineTwilioError(res, secrets);
}

export const twilioExecutor: ConnectorExecutor<TwilioConfig> = {
  async testConnection(rawConfig, opts) {
    const checked = checkConfig<TwilioConfig>('twilio', rawConfig);
    if ('fail' in checked) return checked.fail;
    const { config } = checked;
    const base = baseUrl(API, opts);
    if ('fail' in base) return base.fail;
    const account = `${base.base}/2010-04-01/Accounts/${encodeURIComponent(config.accountSid)}`;

    if (config.authMethod === 'api_key') {
      // Standard API keys may not read the Account resource (only Main keys can), so an API key is
      // proved on the resource it will use: one page of one message, of which nothing is kept.
      const res = await call(config, { method: 'GET', url: `${account}/Messages.json`, query: { PageSize: 1 } }, opts);
      const parsed = parseBody(res, messageListBody, PROVIDER);
      if (!parsed.ok) return parsed;
      return withBody(parsed, { accountSid: config.accountSid, check: 'messages' });
    }
    const res = await call(config, { method: 'GET', url: `${account}.json` }, opts);
    const parsed = parseBody(res, accountBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return parsed;
    const { sid, status, friendly_name, type } = parsed.body;
    if (status !== 'active') {
      return withError(parsed, connectorError('forbidden', `${PROVIDER}: account ${sid} is ${status}; it cannot send messages until it is active again`));
    }
    return withBody(parsed, { accountSid: sid, status, friendlyName: friendly_name ?? null, type: type ?? null });
  },

  async send(rawConfig, message, opts): Promise<ConnectorResponse> {
    const checked = checkConfig<TwilioConfig>('twilio', rawConfig);
    if ('fail' in checked) return checked.fail;
    const { config } = checked;
    const msg = checkMessage(twilioMessageSchema, message, PROVIDER);
    if ('fail' in msg) return msg.fail;
    const m = msg.message;
    const base = baseUrl(API, opts);
    if ('fail' in base) return base.fail;

    // A sender named by the message replaces the configured one as a whole, so that a message `from`
    // is never paired with a configured service whose pool may not contain it.
    const sender = m.from !== undefined || m.messagingServiceSid !== undefined ? m : config;
    // The Messages API has no idempotency key (I-Twilio-Idempotency-Token only marks Twilio's own
    // webhook retries), so none is sent: the send workflow's id is what prevents a duplicate SMS.
    const res = await call(config, {
      method: 'POST',
      url: `${base.base}/2010-04-01/Accounts/${encodeURIComponent(config.accountSid)}/Messages.json`,
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
    }, opts);
    const parsed = parseBody(res, messageBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return parsed;
    return withBody(parsed, { sid: parsed.body.sid, status: parsed.body.status });
  },
};
