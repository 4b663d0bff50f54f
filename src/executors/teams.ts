// Microsoft Teams webhooks: Power Automate Workflows (current) and the retiring Microsoft 365
// connector ("legacy"). Both take a POSTed JSON card; the URL (its sig= parameter) is the secret.
// Facts (shared/docs/providers.md §2):
// https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook ,
// https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using ,
// https://devblogs.microsoft.com/microsoft365dev/retirement-of-office-365-connectors-within-microsoft-teams/
import { z } from 'zod';
import type { ConnectorExecutor, ConnectorResponse } from '../core/envelope.js';
import { failBeforeSend, withBody, withError } from '../core/envelope.js';
import { codeForStatus, extractProviderMessage } from '../core/error-mapping.js';
import { connectorError, type ConnectorError } from '../core/errors.js';
import { httpRequest, type HttpResponse } from '../core/http.js';
import { redact } from '../core/redact.js';
import type { TeamsConfig } from '../registry/connectors/teams.js';
import { isLegacyTeamsWebhook, teams } from '../registry/connectors/teams.js';
import { callOptions, checkConfig, checkMessage, offlineCheck, secretsOf, webhookTarget } from './support.js';

const PROVIDER = 'Microsoft Teams';
// "The message size limit is 28 KB"; larger posts are refused (413), so refuse before sending.
export const TEAMS_MAX_MESSAGE_BYTES = 28 * 1024;
const SUMMARY_MAX = 256;
const DEPRECATION =
  'This is a Microsoft 365 connector webhook (*.webhook.office.com), which Microsoft is retiring: create a Workflows webhook in Teams and replace the URL.';

const adaptiveCard = z.looseObject({ type: z.literal('AdaptiveCard'), body: z.array(z.unknown()).optional(), version: z.string().optional() });
// The connector rejects a MessageCard without either ("Summary or Text is required").
const messageCard = z
  .looseObject({ summary: z.string().min(1).optional(), text: z.string().min(1).optional() })
  .refine((c) => c.summary !== undefined || c.text !== undefined, { error: 'a MessageCard needs summary or text' });

/**
 * One of: `{ text, title?, themeColor? }` (plain text, sent as a MessageCard, which both URL families
 * render), `{ adaptiveCard }` (sent in the message envelope with attachments) or `{ messageCard }`
 * (sent as is).
 */
export const teamsMessageSchema = z
  .strictObject({
    text: z.string().min(1).optional(),
    title: z.string().min(1).optional(),
    themeColor: z.string().regex(/^#?[0-9A-Fa-f]{6}$/, 'must be a hex colour such as 0076D7').optional(),
    adaptiveCard: adaptiveCard.optional(),
    messageCard: messageCard.optional(),
  })
  .superRefine((m, ctx) => {
    const forms = [m.text, m.adaptiveCard, m.messageCard].filter((f) => f !== undefined).length;
    if (forms !== 1) ctx.addIssue({ code: 'custom', path: ['text'], message: 'give exactly one of text, adaptiveCard or messageCard' });
    if (m.text === undefined && (m.title !== undefined || m.themeColor !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['title'], message: 'title and themeColor apply to a text message only' });
    }
  });
/** A message as a caller writes it. */
export type TeamsMessage = z.input<typeof teamsMessageSchema>;

/** The JSON Teams receives for a message. */
export function teamsPayload(m: z.output<typeof teamsMessageSchema>): Record<string, unknown> {
  if (m.adaptiveCard) {
    return { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: m.adaptiveCard }] };
  }
  if (m.messageCard) return m.messageCard;
  const text = m.text ?? '';
  return {
    '@type': 'MessageCard',
    '@context': 'https://schema.org/extensions',
    // The summary is the notification preview; Teams requires it or text.
    summary: m.title ?? (text.length > SUMMARY_MAX ? `${text.slice(0, SUMMARY_MAX - 1)}…` : text),
    ...(m.title ? { title: m.title } : {}),
    ...(m.themeColor ? { themeColor: m.themeColor.replace(/^#/, '') } : {}),
    text,
  };
}

/**
 * An error Teams reports inside a 2xx: the legacy connector is known to answer 200 with text such as
 * "Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 429 ...",
 * and a flow may answer `{"error":{...}}`. Null when the body reports no error.
 */
function reportedError(body: unknown, status: number, secrets: readonly string[]): ConnectorError | null {
  let text: string | undefined;
  if (typeof body === 'string' && /error|fail/i.test(body)) text = body.trim();
  else if (body && typeof body === 'object' && 'error' in body) text = extractProviderMessage(body) ?? JSON.stringify(body);
  if (text === undefined) return null;
  const message = redact(`${PROVIDER} answered HTTP ${status} but reported an error: ${text.slice(0, 500)}`, secrets);
  const embedded = /HTTP error (\d{3})/i.exec(text);
  // The status Teams names inside the text decides (429 → rate_limited); otherwise the post failed
  // on Microsoft's side for an unknown reason, which is worth retrying.
  return connectorError(embedded ? codeForStatus(Number(embedded[1])) : 'upstream_error', message);
}

/** Workflows errors are `{"error":{"code","message"}}`: put the code next to the message. */
function refineTeamsError(res: HttpResponse): HttpResponse {
  if (res.ok || !res.error || res.status === 0) return res;
  const parsed = z.object({ error: z.looseObject({ code: z.string(), message: z.string().optional() }) }).safeParse(res.body);
  if (!parsed.success) return res;
  const { code, message } = parsed.data.error;
  return { ...res, error: { ...res.error, message: `${PROVIDER} answered HTTP ${res.status} (${code})${message ? `: ${message}` : ''}` } };
}

function urlKind(webhookUrl: string) {
  return isLegacyTeamsWebhook(webhookUrl) ? ({ webhook: 'legacy', deprecation: DEPRECATION } as const) : ({ webhook: 'workflows' } as const);
}

export const teamsExecutor: ConnectorExecutor<TeamsConfig> = {
  async testConnection(rawConfig) {
    const checked = checkConfig<TeamsConfig>('teams', rawConfig);
    if ('fail' in checked) return checked.fail;
    const legacy = isLegacyTeamsWebhook(checked.config.webhookUrl);
    return offlineCheck(
      `Teams webhooks have no read endpoint: the URL was validated offline (Microsoft host, path and signature); only a real post proves it works.${legacy ? ` ${DEPRECATION}` : ''}`,
    );
  },

  async send(rawConfig, message, opts): Promise<ConnectorResponse> {
    const checked = checkConfig<TeamsConfig>('teams', rawConfig);
    if ('fail' in checked) return checked.fail;
    const { config } = checked;
    const msg = checkMessage(teamsMessageSchema, message, PROVIDER);
    if ('fail' in msg) return msg.fail;
    const payload = teamsPayload(msg.message);
    const bytes = Buffer.byteLength(JSON.stringify(payload), 'utf8');
    if (bytes > TEAMS_MAX_MESSAGE_BYTES) {
      return failBeforeSend('payload_too_large', `${PROVIDER}: the message is ${bytes} bytes; Teams accepts at most 28 KB (${TEAMS_MAX_MESSAGE_BYTES} bytes)`);
    }
    const target = webhookTarget(config.webhookUrl, opts);
    if ('fail' in target) return target.fail;

    // No idempotency key exists for Teams webhooks: the send workflow's id prevents a second post.
    const sig = new URL(config.webhookUrl).searchParams.get('sig');
    const secrets = [...secretsOf('teams', config), ...(sig ? [sig] : [])];
    const res = refineTeamsError(
      await httpRequest({
        provider: PROVIDER,
        method: 'POST',
        url: target.url,
        json: payload,
        secrets,
        ...callOptions(opts, teams.policy.timeouts.requestMs),
      }),
    );
    if (!res.ok) return withError(res, res.error!);

    const inBody = reportedError(res.body, res.status, secrets);
    if (inBody) return withError(res, inBody);
    const kind = urlKind(config.webhookUrl);
    // The legacy connector answers "1" (JSON-parsed: 1); Workflows answer 202 and run the flow later,
    // with a body Microsoft does not document, so only the legacy answer can be checked.
    const empty = res.body === null || res.body === '';
    if (kind.webhook === 'legacy' && !empty && String(res.body).trim() !== '1') {
      const seen = redact(JSON.stringify(res.body).slice(0, 200), secrets);
      return withError(res, connectorError('invalid_response', `${PROVIDER} answered HTTP ${res.status} with ${seen} instead of "1"`));
    }
    return withBody(res, { accepted: true, ...kind });
  },
};
