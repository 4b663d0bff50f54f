// Zendesk Support Ticketing API: create one ticket per send, with an Idempotency-Key.
// Facts and sources: src/registry/connectors/zendesk.ts. Pages this file follows:
// https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#create-ticket ,
// https://developer.zendesk.com/api-reference/ticketing/introduction/#idempotency ,
// https://developer.zendesk.com/api-reference/introduction/security-and-auth/ ,
// https://developer.zendesk.com/api-reference/ticketing/users/users/#show-the-currently-authenticated-user
import { z } from 'zod';
import type { CallOptions, ConnectorExecutor } from '../core/envelope.js';
import { withBody, withError } from '../core/envelope.js';
import { connectorError } from '../core/errors.js';
import { httpRequest, type HttpResponse } from '../core/http.js';
import { basicAuth, redact } from '../core/redact.js';
import type { ZendeskConfig } from '../registry/connectors/zendesk.js';
import { zendesk } from '../registry/connectors/zendesk.js';
import { baseUrl, callOptions, checkConfig, checkMessage, dedupValue, parseBody, secretsOf } from './support.js';

const PROVIDER = 'Zendesk';
// Zendesk documents no length for the key; 255 characters is the limit usually cited (unverified),
// so longer keys are sent as their sha256 hex digest.
const MAX_IDEMPOTENCY_KEY = 255;

const comment = z
  .strictObject({ body: z.string().min(1).optional(), html_body: z.string().min(1).optional() })
  .refine((c) => (c.body === undefined) !== (c.html_body === undefined), { error: 'give exactly one of body or html_body' });

export const zendeskMessageSchema = z
  .strictObject({
    subject: z.string().trim().min(1),
    /** Plain-text first comment; or `comment` for HTML. */
    body: z.string().min(1).optional(),
    comment: comment.optional(),
    requester: z.strictObject({ name: z.string().min(1).optional(), email: z.email() }).optional(),
    tags: z.array(z.string().trim().min(1)).optional(),
    priority: z.enum(['urgent', 'high', 'normal', 'low']).optional(),
    type: z.enum(['problem', 'incident', 'question', 'task']).optional(),
    externalId: z.string().min(1).optional(),
    customFields: z
      .array(z.strictObject({ id: z.number().int().positive(), value: z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.string())]) }))
      .optional(),
    /** Overrides the call's idempotency key for the Idempotency-Key header. */
    idempotencyKey: z.string().min(1).max(MAX_IDEMPOTENCY_KEY).optional(),
  })
  .refine((m) => (m.body === undefined) !== (m.comment === undefined), { error: 'give exactly one of body or comment', path: ['body'] });
export type ZendeskMessage = z.infer<typeof zendeskMessageSchema>;

const meBody = z.object({ user: z.looseObject({ id: z.number().int().nullable(), name: z.string().nullish(), role: z.string().nullish() }) });
const ticketBody = z.object({ ticket: z.looseObject({ id: z.number().int() }) });
const errorBody = z.looseObject({
  error: z.union([z.string(), z.looseObject({ title: z.string().nullish(), message: z.string().nullish() })]),
  description: z.string().nullish(),
  details: z.record(z.string(), z.array(z.looseObject({ description: z.string().nullish(), error: z.string().nullish() }))).nullish(),
});

/**
 * Zendesk's error bodies: `{error, description, details}` where `error` is a code such as
 * RecordInvalid (or an object `{title, message}` on some 403/404s) and `details` lists the invalid
 * fields. The message keeps all three so a 422 says which field to fix.
 */
export function refineZendeskError(res: HttpResponse, secrets: readonly string[]): HttpResponse {
  if (res.ok || !res.error || res.status === 0) return res;
  const parsed = errorBody.safeParse(res.body);
  if (!parsed.success) return res;
  const { error: err, description, details } = parsed.data;
  const head = typeof err === 'string' ? err : [err.title, err.message].filter(Boolean).join(': ');
  const fields = Object.entries(details ?? {}).map(
    ([field, issues]) => `${field}: ${issues.map((i) => i.description ?? i.error ?? 'invalid').join(', ')}`,
  );
  const text = [description ? `${head}: ${description}` : head, fields.length ? `(${fields.join('; ')})` : ''].filter(Boolean).join(' ');
  return { ...res, error: { ...res.error, message: redact(`${PROVIDER} answered HTTP ${res.status}: ${text}`, secrets) } };
}

function apiBase(config: ZendeskConfig, opts?: CallOptions) {
  const r = baseUrl(`https://${config.subdomain}.zendesk.com`, opts);
  return 'fail' in r ? r : { base: `${r.base}/api/v2` };
}

function auth(config: ZendeskConfig): { authorization: string; secrets: string[] } {
  if (config.authMethod === 'oauth') return { authorization: `Bearer ${config.accessToken}`, secrets: secretsOf('zendesk', config) };
  const authorization = basicAuth(`${config.email}/token`, config.apiToken);
  // The token, the header and its base64 credentials: an error body may echo any of them.
  return { authorization, secrets: secretsOf('zendesk', config) };
}

async function call(config: ZendeskConfig, method: 'GET' | 'POST', url: string, extra: { json?: unknown; headers?: Record<string, string> }, opts?: CallOptions) {
  const { authorization, secrets } = auth(config);
  const res = await httpRequest({
    provider: PROVIDER,
    method,
    url,
    ...(extra.json !== undefined ? { json: extra.json } : {}),
    headers: { authorization, ...extra.headers },
    secrets,
    ...callOptions(opts, zendesk.policy.timeouts.requestMs),
  });
  return refineZendeskError(res, secrets);
}

/** The `{ticket: {...}}` body of POST /tickets.json. */
export function zendeskTicketBody(m: ZendeskMessage): { ticket: Record<string, unknown> } {
  const ticket: Record<string, unknown> = { subject: m.subject, comment: m.comment ?? { body: m.body } };
  if (m.requester) ticket.requester = m.requester;
  if (m.tags) ticket.tags = m.tags;
  if (m.priority) ticket.priority = m.priority;
  if (m.type) ticket.type = m.type;
  if (m.externalId) ticket.external_id = m.externalId;
  if (m.customFields) ticket.custom_fields = m.customFields;
  return { ticket };
}

export const zendeskExecutor: ConnectorExecutor<ZendeskConfig> = {
  messageSchema: zendeskMessageSchema,

  async testConnection(rawConfig, opts) {
    const checked = checkConfig<ZendeskConfig>('zendesk', rawConfig);
    if ('fail' in checked) return checked.fail;
    const base = apiBase(checked.config, opts);
    if ('fail' in base) return base.fail;
    const parsed = parseBody(await call(checked.config, 'GET', `${base.base}/users/me.json`, {}, opts), meBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return parsed;
    const { id, name, role } = parsed.body.user;
    // A login Zendesk did not accept can come back as 200 with the anonymous user (id null).
    if (id === null) {
      return withError(parsed, connectorError('unauthorized', `${PROVIDER} answered HTTP ${parsed.status} with an anonymous user (${name ?? 'no name'}): the credentials were not accepted`));
    }
    return withBody(parsed, { userId: id, name: name ?? null, role: role ?? null });
  },

  async send(rawConfig, rawMessage, opts) {
    const checked = checkConfig<ZendeskConfig>('zendesk', rawConfig);
    if ('fail' in checked) return checked.fail;
    const msg = checkMessage(zendeskMessageSchema, rawMessage, PROVIDER);
    if ('fail' in msg) return msg.fail;
    const base = apiBase(checked.config, opts);
    if ('fail' in base) return base.fail;

    const key = dedupValue(msg.message.idempotencyKey, opts?.idempotencyKey, MAX_IDEMPOTENCY_KEY);
    const res = await call(checked.config, 'POST', `${base.base}/tickets.json`, {
      json: zendeskTicketBody(msg.message),
      ...(key ? { headers: { 'idempotency-key': key } } : {}),
    }, opts);
    const parsed = parseBody(res, ticketBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return parsed;
    // `hit`: Zendesk answered with the ticket the first request with this key created.
    const replayed = res.headers['x-idempotency-lookup']?.trim().toLowerCase() === 'hit';
    return withBody(parsed, { ticketId: parsed.body.ticket.id, replayed });
  },
};
