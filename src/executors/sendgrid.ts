// Twilio SendGrid Mail Send v3: one email (one personalization) per send, plain or dynamic template.
// Facts and sources: src/registry/connectors/sendgrid.ts. Pages this file follows:
// https://www.twilio.com/docs/sendgrid/api-reference/mail-send/mail-send ,
// https://www.twilio.com/docs/sendgrid/api-reference/api-key-permissions/retrieve-a-list-of-scopes-for-which-this-user-has-access ,
// https://www.twilio.com/docs/sendgrid/api-reference/how-to-use-the-sendgrid-v3-api/rate-limits ,
// https://www.twilio.com/docs/sendgrid/api-reference/mail-send/errors
import { z } from 'zod';
import type { CallOptions, ConnectorExecutor, ConnectorResponse } from '../core/envelope.js';
import { failBeforeSend, withBody, withError } from '../core/envelope.js';
import { connectorError } from '../core/errors.js';
import { httpRequest, type HttpRequest, type HttpResponse } from '../core/http.js';
import { redact } from '../core/redact.js';
import { delayUntilEpochSeconds } from '../core/retry-after.js';
import type { SendGridConfig } from '../registry/connectors/sendgrid.js';
import { SENDGRID_HOSTS, sendgrid } from '../registry/connectors/sendgrid.js';
import { baseUrl, callOptions, checkConfig, checkMessage, dedupValue, parseBody, secretsOf } from './support.js';

const PROVIDER = 'SendGrid';
const MAX_RECIPIENTS = 1000; // to + cc + bcc per request
const IDEMPOTENCY_ARG_MAX_BYTES = 255;
// Mail Send `send_at`: "A send cannot be scheduled more than 72 hours in advance" (twilio/sendgrid-oai
// tsg_mail_v3.json); Scheduling Parameters: "Emails can be scheduled up to 72 hours in advance."
export const SENDGRID_MAX_SCHEDULE_AHEAD_MS = 72 * 3_600_000;

const address = z.union([z.email(), z.strictObject({ email: z.email(), name: z.string().min(1).optional() })]);
const addresses = z.union([address, z.array(address).min(1)]);
type Address = z.output<typeof address>;
type Addresses = z.output<typeof addresses>;

function list(a: Addresses | undefined): { email: string; name?: string }[] {
  if (a === undefined) return [];
  return (Array.isArray(a) ? a : [a]).map((x: Address) => (typeof x === 'string' ? { email: x } : x));
}

export const sendgridMessageSchema = z
  .strictObject({
    to: addresses,
    cc: addresses.optional(),
    bcc: addresses.optional(),
    subject: z.string().min(1).optional(),
    text: z.string().min(1).optional(),
    html: z.string().min(1).optional(),
    templateId: z.string().regex(/^d-[0-9a-zA-Z]+$/, 'must be a dynamic template ID starting with d-').optional(),
    dynamicTemplateData: z.record(z.string(), z.unknown()).optional(),
    from: address.optional(),
    replyTo: address.optional(),
    categories: z.array(z.string().min(1).max(255)).max(10).optional(),
    customArgs: z.record(z.string(), z.string()).optional(),
    sendAt: z.number().int().positive().optional(),
  })
  .superRefine((m, ctx) => {
    const all = [...list(m.to), ...list(m.cc), ...list(m.bcc)].map((r) => r.email.toLowerCase());
    if (all.length > MAX_RECIPIENTS) ctx.addIssue({ code: 'custom', path: ['to'], message: `${all.length} recipients in to, cc and bcc; SendGrid accepts at most ${MAX_RECIPIENTS}` });
    // SendGrid rejects an address that appears twice across to, cc and bcc of one personalization.
    const dup = all.find((e, i) => all.indexOf(e) !== i);
    if (dup) ctx.addIssue({ code: 'custom', path: ['to'], message: `${dup} appears more than once in to, cc and bcc` });
    if (m.categories && new Set(m.categories).size !== m.categories.length) ctx.addIssue({ code: 'custom', path: ['categories'], message: 'must be unique' });
  });
/** A message as a caller writes it. */
export type SendGridMessage = z.input<typeof sendgridMessageSchema>;

const scopesBody = z.looseObject({ scopes: z.array(z.string()) });
// Mail Send answers 202 with no body (200 in sandbox mode); the message id is a response header.
const acceptedBody = z.union([z.null(), z.literal('')]);
const sendgridErrors = z.looseObject({
  errors: z.array(z.looseObject({ message: z.string().nullish(), field: z.string().nullish() })).min(1),
});

/** SendGrid's `errors[]` as one message, and X-RateLimit-Reset as the wait when Retry-After is absent. */
export function refineSendGridError(res: HttpResponse, secrets: readonly string[], nowMs: number = Date.now()): HttpResponse {
  if (res.ok || !res.error || res.status === 0) return res;
  const error = { ...res.error };
  if (error.code === 'rate_limited' && error.retryAfterMs === undefined) {
    const reset = delayUntilEpochSeconds(res.headers['x-ratelimit-reset'], nowMs);
    if (reset !== undefined) error.retryAfterMs = reset;
  }
  const parsed = sendgridErrors.safeParse(res.body);
  if (parsed.success) {
    const parts = parsed.data.errors.map((e) => (e.field ? `${e.field}: ${e.message ?? 'invalid'}` : e.message ?? 'error'));
    error.message = redact(`${PROVIDER} answered HTTP ${res.status}: ${parts.join('; ')}`, secrets);
  }
  return { ...res, error };
}

function call(config: SendGridConfig, req: Pick<HttpRequest, 'method' | 'url' | 'json'>, opts?: CallOptions): Promise<HttpResponse> {
  const secrets = secretsOf('sendgrid', config);
  return httpRequest({
    provider: PROVIDER,
    ...req,
    headers: { authorization: `Bearer ${config.apiKey}` },
    secrets,
    ...callOptions(opts, sendgrid.policy.timeouts.requestMs),
  }).then((res) => refineSendGridError(res, secrets));
}

function apiBase(config: SendGridConfig, opts?: CallOptions) {
  return baseUrl(SENDGRID_HOSTS[config.region === 'eu' ? 'eu' : 'global'], opts);
}

export const sendgridExecutor: ConnectorExecutor<SendGridConfig> = {
  messageSchema: sendgridMessageSchema,

  async testConnection(rawConfig, opts) {
    const checked = checkConfig<SendGridConfig>('sendgrid', rawConfig);
    if ('fail' in checked) return checked.fail;
    const base = apiBase(checked.config, opts);
    if ('fail' in base) return base.fail;
    const parsed = parseBody(await call(checked.config, { method: 'GET', url: `${base.base}/v3/scopes` }, opts), scopesBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return parsed;
    const { scopes } = parsed.body;
    if (!scopes.includes('mail.send')) {
      return withError(parsed, connectorError('forbidden', `${PROVIDER}: the API key works but lacks the mail.send scope (it has ${scopes.length} scopes); give it the Mail Send permission`));
    }
    return withBody(parsed, { mailSend: true, scopes: scopes.length });
  },

  async send(rawConfig, message, opts): Promise<ConnectorResponse> {
    const checked = checkConfig<SendGridConfig>('sendgrid', rawConfig);
    if ('fail' in checked) return checked.fail;
    const { config } = checked;
    const msg = checkMessage(sendgridMessageSchema, message, PROVIDER);
    if ('fail' in msg) return msg.fail;
    const m = msg.message;
    const templateId = m.templateId ?? config.templateId;
    // These depend on the configured template, so they are checked here rather than in the schema.
    if (!templateId) {
      if (!m.subject) return failBeforeSend('bad_request', `${PROVIDER}: invalid message (subject: is required unless a dynamic template is used)`);
      if (!m.text && !m.html) return failBeforeSend('bad_request', `${PROVIDER}: invalid message (text: give text or html unless a dynamic template is used)`);
      if (m.dynamicTemplateData) return failBeforeSend('bad_request', `${PROVIDER}: invalid message (dynamicTemplateData: needs a templateId)`);
    }
    if (m.sendAt !== undefined) {
      // Checked against the clock of this attempt: a retry only moves closer to the send time.
      const aheadMs = m.sendAt * 1000 - (opts?.now ?? Date.now)();
      if (aheadMs > SENDGRID_MAX_SCHEDULE_AHEAD_MS) {
        return failBeforeSend('bad_request', `${PROVIDER}: invalid message (sendAt: ${m.sendAt} is ${(aheadMs / 3_600_000).toFixed(1)} hours ahead; SendGrid schedules a send at most 72 hours in advance)`);
      }
    }
    const base = apiBase(config, opts);
    if ('fail' in base) return base.fail;

    // Mail Send has no dedup: the send workflow's id prevents a second email. The key rides along in
    // custom_args (echoed by the Event Webhook) for correlation. It sits on the personalization, which
    // SendGrid documents as an object there (the spec types the top-level custom_args as a string).
    const key = dedupValue(undefined, opts?.idempotencyKey, IDEMPOTENCY_ARG_MAX_BYTES);
    const customArgs = { ...(key ? { idempotency_key: key } : {}), ...m.customArgs };
    const cc = list(m.cc);
    const bcc = list(m.bcc);
    const personalization = {
      to: list(m.to),
      ...(cc.length ? { cc } : {}),
      ...(bcc.length ? { bcc } : {}),
      ...(m.dynamicTemplateData ? { dynamic_template_data: m.dynamicTemplateData } : {}),
      ...(Object.keys(customArgs).length ? { custom_args: customArgs } : {}),
    };
    // text/plain must come before text/html.
    const content = [
      ...(m.text ? [{ type: 'text/plain', value: m.text }] : []),
      ...(m.html ? [{ type: 'text/html', value: m.html }] : []),
    ];
    const from = m.from !== undefined ? list(m.from)[0]! : { email: config.fromEmail, ...(config.fromName ? { name: config.fromName } : {}) };
    const res = await call(config, {
      method: 'POST',
      url: `${base.base}/v3/mail/send`,
      json: {
        personalizations: [personalization],
        from,
        ...(m.replyTo !== undefined ? { reply_to: list(m.replyTo)[0] } : {}),
        ...(m.subject ? { subject: m.subject } : {}),
        ...(content.length ? { content } : {}),
        ...(templateId ? { template_id: templateId } : {}),
        ...(m.categories ? { categories: m.categories } : {}),
        ...(m.sendAt !== undefined ? { send_at: m.sendAt } : {}),
      },
    }, opts);
    const parsed = parseBody(res, acceptedBody, PROVIDER);
    if (!parsed.ok) return parsed;
    // The id is only for correlation: a proxy that drops the header does not undo the acceptance.
    return withBody(parsed, { messageId: res.headers['x-message-id'] ?? null });
  },
};
