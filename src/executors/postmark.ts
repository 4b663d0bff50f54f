// Postmark Email API: one email per send through POST /email, server token in a header.
// Facts and sources: src/registry/connectors/postmark.ts. Pages this file follows:
// https://postmarkapp.com/developer/api/overview ,
// https://postmarkapp.com/developer/api/email-api , https://postmarkapp.com/developer/api/server-api ,
// https://postmarkapp.com/support/article/1125-custom-metadata-faq
import { z } from 'zod';
import type { CallOptions, ConnectorExecutor, ConnectorResponse } from '../core/envelope.js';
import { failBeforeSend, withBody, withError } from '../core/envelope.js';
import { connectorError, type ConnectorError } from '../core/errors.js';
import { httpRequest, type HttpRequest, type HttpResponse } from '../core/http.js';
import { redact } from '../core/redact.js';
import type { PostmarkConfig } from '../registry/connectors/postmark.js';
import { postmark } from '../registry/connectors/postmark.js';
import { baseUrl, callOptions, checkConfig, checkMessage, dedupValue, parseBody, secretsOf } from './support.js';

const PROVIDER = 'Postmark';
const API = 'https://api.postmarkapp.com';
const MAX_RECIPIENTS = 50; // To + Cc + Bcc
// Metadata values are meant to be short identifiers; a longer key is sent as its sha256 hex.
const IDEMPOTENCY_META_MAX_BYTES = 80;
/** The Metadata key the engine's idempotency key travels in. */
export const POSTMARK_IDEMPOTENCY_METADATA_KEY = 'idempotency_key';

/**
 * https://postmarkapp.com/support/article/1125-custom-metadata-faq: "When sending with the API,
 * duplicate keys, including the same key with case differences, are not allowed" (422). The first
 * key, in the message's order, that repeats an earlier one ignoring case; undefined when none does.
 */
function caseDuplicate(keys: readonly string[]): { key: string; earlier: string } | undefined {
  const seen = new Map<string, string>();
  for (const key of keys) {
    const earlier = seen.get(key.toLowerCase());
    if (earlier !== undefined) return { key, earlier };
    seen.set(key.toLowerCase(), key);
  }
  return undefined;
}

// Postmark takes comma-separated lists; an address may be written "Name <a@example.com>".
const recipients = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
function entries(r: string | string[] | undefined): string[] {
  if (r === undefined) return [];
  return (Array.isArray(r) ? r : r.split(',')).map((s) => s.trim()).filter(Boolean);
}
const joined = (r: string | string[] | undefined) => entries(r).join(', ') || undefined;

export const postmarkMessageSchema = z
  .strictObject({
    to: recipients,
    cc: recipients.optional(),
    bcc: recipients.optional(),
    subject: z.string().min(1),
    textBody: z.string().min(1).optional(),
    htmlBody: z.string().min(1).optional(),
    from: z.string().min(3).optional(),
    messageStream: z.string().regex(/^[a-z0-9_-]{1,100}$/i, 'must be a message stream ID such as outbound').optional(),
    tag: z.string().min(1).max(1000).optional(),
    metadata: z.record(z.string(), z.string()).optional(),
    headers: z.record(z.string(), z.string()).optional(),
    replyTo: z.string().min(3).optional(),
  })
  .superRefine((m, ctx) => {
    if (m.textBody === undefined && m.htmlBody === undefined) ctx.addIssue({ code: 'custom', path: ['textBody'], message: 'give textBody or htmlBody' });
    const all = [...entries(m.to), ...entries(m.cc), ...entries(m.bcc)];
    if (all.length > MAX_RECIPIENTS) ctx.addIssue({ code: 'custom', path: ['to'], message: `${all.length} recipients in to, cc and bcc; Postmark accepts at most ${MAX_RECIPIENTS}` });
    const bad = all.find((a) => !a.includes('@'));
    if (bad !== undefined) ctx.addIssue({ code: 'custom', path: ['to'], message: `"${bad}" is not an email address` });
    const dup = m.metadata ? caseDuplicate(Object.keys(m.metadata)) : undefined;
    if (dup) ctx.addIssue({ code: 'custom', path: ['metadata', dup.key], message: `repeats "${dup.earlier}": Postmark refuses metadata keys that differ only in case` });
  });
/** A message as a caller writes it. */
export type PostmarkMessage = z.input<typeof postmarkMessageSchema>;

const sendResult = z.looseObject({ ErrorCode: z.number().int(), Message: z.string().optional(), MessageID: z.string().optional() });
const serverBody = z.looseObject({ ID: z.number().int(), Name: z.string() });
const postmarkErrorBody = z.looseObject({ ErrorCode: z.number().int(), Message: z.string().optional() });

/** Postmark's ErrorCode refines the status table, whether it came with a 4xx/5xx or inside a 200. */
function postmarkError(status: number, errorCode: number, message: string | undefined, fallback: ConnectorError, secrets: readonly string[]): ConnectorError {
  let text = `${PROVIDER} answered HTTP ${status} (ErrorCode ${errorCode}): ${message ?? 'no message'}`;
  const retryAfter = fallback.retryAfterMs !== undefined ? { retryAfterMs: fallback.retryAfterMs } : {};
  let code = fallback.code;
  let retryable = fallback.retryable;
  if (errorCode === 10) [code, retryable] = ['unauthorized', false];
  else if (errorCode === 429) [code, retryable] = ['rate_limited', true];
  else if (errorCode === 406) {
    // Suppressed after a hard bounce, spam complaint or manual deactivation: a retry cannot succeed.
    [code, retryable] = ['bad_request', false];
    text += '; the recipient is inactive (suppressed) in Postmark: reactivate it before sending again';
  }
  return connectorError(code, redact(text, secrets), { retryable, ...retryAfter });
}

export function refinePostmarkError(res: HttpResponse, secrets: readonly string[]): HttpResponse {
  if (res.ok || !res.error || res.status === 0) return res;
  const parsed = postmarkErrorBody.safeParse(res.body);
  if (!parsed.success) return res;
  return { ...res, error: postmarkError(res.status, parsed.data.ErrorCode, parsed.data.Message, res.error, secrets) };
}

function call(config: PostmarkConfig, req: Pick<HttpRequest, 'method' | 'url' | 'json'>, opts?: CallOptions): Promise<HttpResponse> {
  const secrets = secretsOf('postmark', config);
  return httpRequest({
    provider: PROVIDER,
    ...req,
    headers: { 'x-postmark-server-token': config.serverToken, accept: 'application/json', ...(req.json !== undefined ? { 'content-type': 'application/json' } : {}) },
    secrets,
    ...callOptions(opts, postmark.policy.timeouts.requestMs),
  }).then((res) => refinePostmarkError(res, secrets));
}

export const postmarkExecutor: ConnectorExecutor<PostmarkConfig> = {
  messageSchema: postmarkMessageSchema,

  async testConnection(rawConfig, opts) {
    const checked = checkConfig<PostmarkConfig>('postmark', rawConfig);
    if ('fail' in checked) return checked.fail;
    const base = baseUrl(API, opts);
    if ('fail' in base) return base.fail;
    const parsed = parseBody(await call(checked.config, { method: 'GET', url: `${base.base}/server` }, opts), serverBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return parsed;
    // The server answer also lists its API tokens: only the id and name leave this function.
    return withBody(parsed, { serverId: parsed.body.ID, name: parsed.body.Name });
  },

  async send(rawConfig, message, opts): Promise<ConnectorResponse> {
    const checked = checkConfig<PostmarkConfig>('postmark', rawConfig);
    if ('fail' in checked) return checked.fail;
    const { config } = checked;
    const msg = checkMessage(postmarkMessageSchema, message, PROVIDER);
    if ('fail' in msg) return msg.fail;
    const m = msg.message;
    const base = baseUrl(API, opts);
    if ('fail' in base) return base.fail;

    // Postmark has no dedup: the send workflow's id prevents a second email. The key travels in
    // Metadata, which Postmark returns in webhooks and message search, for correlation. Postmark
    // refuses two keys that differ only in case, so a message key spelling the engine's (in any case)
    // is refused here rather than letting one of the two values win unseen.
    const key = dedupValue(undefined, opts?.idempotencyKey, IDEMPOTENCY_META_MAX_BYTES);
    const clash = key ? Object.keys(m.metadata ?? {}).find((k) => k.toLowerCase() === POSTMARK_IDEMPOTENCY_METADATA_KEY) : undefined;
    if (clash !== undefined) {
      return failBeforeSend('bad_request', `${PROVIDER}: invalid message (metadata.${clash}: "${POSTMARK_IDEMPOTENCY_METADATA_KEY}" is where the engine puts the send's idempotency key, and Postmark refuses metadata keys that differ only in case; rename this key)`);
    }
    const metadata = { ...(key ? { [POSTMARK_IDEMPOTENCY_METADATA_KEY]: key } : {}), ...m.metadata };
    const secrets = secretsOf('postmark', config);
    const res = await call(config, {
      method: 'POST',
      url: `${base.base}/email`,
      json: {
        From: m.from ?? config.fromEmail,
        To: joined(m.to),
        ...(m.cc ? { Cc: joined(m.cc) } : {}),
        ...(m.bcc ? { Bcc: joined(m.bcc) } : {}),
        Subject: m.subject,
        ...(m.textBody ? { TextBody: m.textBody } : {}),
        ...(m.htmlBody ? { HtmlBody: m.htmlBody } : {}),
        ...(m.replyTo ? { ReplyTo: m.replyTo } : {}),
        ...(m.tag ? { Tag: m.tag } : {}),
        ...(m.headers ? { Headers: Object.entries(m.headers).map(([Name, Value]) => ({ Name, Value })) } : {}),
        ...(Object.keys(metadata).length ? { Metadata: metadata } : {}),
        MessageStream: m.messageStream ?? config.messageStream,
      },
    }, opts);
    const parsed = parseBody(res, sendResult, PROVIDER);
    if (!parsed.ok || !parsed.body) return parsed;
    const { ErrorCode, Message, MessageID } = parsed.body;
    // A 200 can still carry a refusal: only ErrorCode 0 means accepted.
    if (ErrorCode !== 0) return withError(parsed, postmarkError(res.status, ErrorCode, Message, connectorError('bad_request', ''), secrets));
    if (!MessageID) return withError(parsed, connectorError('invalid_response', `${PROVIDER} answered HTTP ${res.status} with ErrorCode 0 but no MessageID`));
    return withBody(parsed, { messageId: MessageID });
  },
};
