// WhatsApp Business, Meta Cloud API: text and template messages from one business phone number.
// Facts and sources: src/registry/connectors/whatsapp.ts. Pages this file follows:
// https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages ,
// https://developers.facebook.com/docs/whatsapp/cloud-api/reference/phone-numbers ,
// https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes ,
// https://developers.facebook.com/docs/whatsapp/throughput ; Graph API versions and their end dates:
// WHATSAPP_VERSIONS in src/registry/connectors/whatsapp.ts.
import { z } from 'zod';
import type { CallOptions, ConnectorExecutor, ConnectorResponse } from '../core/envelope.js';
import { failBeforeSend, withBody } from '../core/envelope.js';
import { connectorError, type ConnectorError } from '../core/errors.js';
import { httpRequest, type HttpResponse, type HttpRequest } from '../core/http.js';
import { redact } from '../core/redact.js';
import type { WhatsAppConfig } from '../registry/connectors/whatsapp.js';
import { WHATSAPP_VERSIONS, whatsapp } from '../registry/connectors/whatsapp.js';
import { baseUrl, callOptions, checkConfig, checkMessage, dedupValue, parseBody, secretsOf } from './support.js';

const PROVIDER = 'WhatsApp';
const GRAPH = 'https://graph.facebook.com';
const TEXT_MAX = 4096; // text.body: "Maximum 4096 characters"
const CALLBACK_DATA_MAX_BYTES = 512;
// Throughput (130429), pair rate (131056) and app-level Graph limits (4, 80007): wait and retry.
const THROTTLED = new Set([4, 80007, 130429, 131056]);

// Digits with the country code; the leading + that people write is dropped.
const recipient = z
  .string()
  .trim()
  .transform((s) => s.replace(/^\+/, ''))
  .pipe(z.string().regex(/^[1-9]\d{6,14}$/, 'must be a phone number with its country code, digits only (e.g. 15551234567)'));

const template = z.strictObject({
  name: z.string().regex(/^[a-z0-9_]{1,512}$/, 'must be a template name (lowercase letters, digits, underscores)').optional(),
  language: z.string().regex(/^[a-z]{2,3}(_[A-Za-z]{2,4})?$/, 'must be a language code such as en_US').optional(),
  components: z.array(z.looseObject({ type: z.string().min(1) })).optional(),
});

/** `{ to, text, previewUrl? }` (free-form, 24 h window only) or `{ to, template }` (approved template). */
export const whatsappMessageSchema = z
  .strictObject({
    to: recipient,
    text: z.string().min(1).max(TEXT_MAX).optional(),
    previewUrl: z.boolean().optional(),
    template: template.optional(),
  })
  .superRefine((m, ctx) => {
    if ((m.text === undefined) === (m.template === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['text'], message: 'give either text (a free-form message) or template (an approved template)' });
    }
    if (m.previewUrl !== undefined && m.text === undefined) ctx.addIssue({ code: 'custom', path: ['previewUrl'], message: 'applies to text messages only' });
  });
/** A message as a caller writes it. */
export type WhatsAppMessage = z.input<typeof whatsappMessageSchema>;

const sendBody = z.object({
  messages: z.array(z.looseObject({ id: z.string().min(1) })).min(1),
  contacts: z.array(z.looseObject({ wa_id: z.string().optional() })).optional(),
});
const phoneNumberBody = z.looseObject({
  id: z.string().min(1),
  display_phone_number: z.string(),
  verified_name: z.string().optional(),
  quality_rating: z.string().optional(),
});
const graphError = z.object({
  error: z.looseObject({
    message: z.string().optional(),
    code: z.number().int().optional(),
    error_data: z.looseObject({ details: z.string().optional() }).optional(),
    fbtrace_id: z.string().optional(),
  }),
});

/** Meta's `error.code` decides, not the HTTP status (throttling often arrives as a 400). */
export function refineWhatsAppError(res: HttpResponse, secrets: readonly string[]): HttpResponse {
  if (res.ok || !res.error || res.status === 0) return res;
  const parsed = graphError.safeParse(res.body);
  if (!parsed.success) return res;
  const { message, code, error_data, fbtrace_id } = parsed.data.error;
  const base = redact(
    `${PROVIDER} answered HTTP ${res.status}${code !== undefined ? ` (code ${code})` : ''}: ${message ?? 'no message'}` +
      `${error_data?.details ? ` (${error_data.details})` : ''}${fbtrace_id ? ` [fbtrace ${fbtrace_id}]` : ''}`,
    secrets,
  );
  const retryAfter = res.error.retryAfterMs !== undefined ? { retryAfterMs: res.error.retryAfterMs } : {};
  let error: ConnectorError;
  if (code !== undefined && THROTTLED.has(code)) error = connectorError('rate_limited', base, { retryable: true, ...retryAfter });
  else if (code === 190) error = connectorError('unauthorized', `${base}; the access token is invalid or expired`);
  else if (code === 131047) {
    error = connectorError('bad_request', `${base}; more than 24 hours have passed since the recipient last wrote: free-form messages are only delivered inside the 24-hour customer-service window, send an approved template instead`);
  } else error = { ...res.error, message: base };
  return { ...res, error };
}

function request(config: WhatsAppConfig, req: Pick<HttpRequest, 'method' | 'url' | 'query' | 'json'>, opts?: CallOptions): Promise<HttpResponse> {
  const secrets = secretsOf('whatsapp', config);
  return httpRequest({
    provider: PROVIDER,
    ...req,
    headers: { authorization: `Bearer ${config.accessToken}` },
    secrets,
    ...callOptions(opts, whatsapp.policy.timeouts.requestMs),
  }).then((res) => refineWhatsAppError(res, secrets));
}

export const whatsappExecutor: ConnectorExecutor<WhatsAppConfig> = {
  messageSchema: whatsappMessageSchema,

  async testConnection(rawConfig, opts) {
    const checked = checkConfig<WhatsAppConfig>('whatsapp', rawConfig);
    if ('fail' in checked) return checked.fail;
    const { config } = checked;
    const base = baseUrl(GRAPH, opts);
    if ('fail' in base) return base.fail;
    const res = await request(config, {
      method: 'GET',
      url: `${base.base}/${config.apiVersion ?? WHATSAPP_VERSIONS.current}/${config.phoneNumberId}`,
      query: { fields: 'display_phone_number,verified_name,quality_rating' },
    }, opts);
    const parsed = parseBody(res, phoneNumberBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return parsed;
    const p = parsed.body;
    return withBody(parsed, { phoneNumberId: p.id, displayPhoneNumber: p.display_phone_number, verifiedName: p.verified_name ?? null, qualityRating: p.quality_rating ?? null });
  },

  async send(rawConfig, message, opts): Promise<ConnectorResponse> {
    const checked = checkConfig<WhatsAppConfig>('whatsapp', rawConfig);
    if ('fail' in checked) return checked.fail;
    const { config } = checked;
    const msg = checkMessage(whatsappMessageSchema, message, PROVIDER);
    if ('fail' in msg) return msg.fail;
    const m = msg.message;

    let content: Record<string, unknown>;
    if (m.template) {
      const name = m.template.name ?? config.defaultTemplateName;
      const language = m.template.language ?? config.defaultTemplateLanguage;
      if (!name) return failBeforeSend('bad_request', `${PROVIDER}: template.name is required (no default template name is configured)`);
      if (!language) return failBeforeSend('bad_request', `${PROVIDER}: template.language is required (no default template language is configured)`);
      // "deterministic" is the only language policy; Meta's published schema requires it.
      content = { type: 'template', template: { name, language: { policy: 'deterministic', code: language }, ...(m.template.components ? { components: m.template.components } : {}) } };
    } else {
      content = { type: 'text', text: { body: m.text, ...(m.previewUrl !== undefined ? { preview_url: m.previewUrl } : {}) } };
    }
    // The Cloud API has no idempotency key, so a retried POST can deliver twice: the send workflow's
    // id is what prevents duplicates. The key travels in biz_opaque_callback_data (≤512 bytes, hashed
    // when longer), which Meta echoes in status webhooks, so deliveries can be matched to sends.
    const callbackData = dedupValue(undefined, opts?.idempotencyKey, CALLBACK_DATA_MAX_BYTES);
    const base = baseUrl(GRAPH, opts);
    if ('fail' in base) return base.fail;
    const res = await request(config, {
      method: 'POST',
      url: `${base.base}/${config.apiVersion ?? WHATSAPP_VERSIONS.current}/${config.phoneNumberId}/messages`,
      json: {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: m.to,
        ...content,
        ...(callbackData ? { biz_opaque_callback_data: callbackData } : {}),
      },
    }, opts);
    const parsed = parseBody(res, sendBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return parsed;
    return withBody(parsed, { messageId: parsed.body.messages[0]!.id, waId: parsed.body.contacts?.[0]?.wa_id ?? null });
  },
};
