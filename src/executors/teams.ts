// Microsoft Teams webhooks: Power Automate Workflows (current) and the Microsoft 365 connector
// ("legacy", which Microsoft says is nearing deprecation). Both take a POSTed JSON card; the URL (its
// sig= parameter) is the secret.
// Facts and sources: src/registry/connectors/teams.ts, whose header settles which card format each
// kind of URL gets (Microsoft's pages disagree). Pages this file follows:
// https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook ,
// https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using ,
// https://devblogs.microsoft.com/microsoft365dev/retirement-of-office-365-connectors-within-microsoft-teams/
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ConnectorExecutor, ConnectorResponse } from '../core/envelope.js';
import { failBeforeSend, withBody, withError } from '../core/envelope.js';
import { codeForStatus, extractProviderMessage } from '../core/error-mapping.js';
import { connectorError, type ConnectorError } from '../core/errors.js';
import type { HttpResponse } from '../core/http.js';
import { redact } from '../core/redact.js';
import type { TeamsConfig } from '../registry/connectors/teams.js';
import { isLegacyTeamsWebhook, TEAMS_LEGACY_RATE_WINDOWS } from '../registry/connectors/teams.js';
import { bindProvider, type ProviderBinding } from './bind.js';
import { checkMessage, offlineCheck } from './support.js';

const PROVIDER = 'Microsoft Teams';
// "The message size limit is 28 KB"; larger posts are refused (413), so refuse before sending.
export const TEAMS_MAX_MESSAGE_BYTES = 28 * 1024;
const SUMMARY_MAX = 256;
const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive';
const DEPRECATION =
  'This is a Microsoft 365 connector webhook (*.webhook.office.com); Microsoft says these connectors are nearing deprecation: create a Workflows webhook in Teams and replace the URL.';

const adaptiveCard = z.looseObject({ type: z.literal('AdaptiveCard'), body: z.array(z.unknown()).optional(), version: z.string().optional() });
// The connector rejects a MessageCard without either ("Summary or Text is required").
const messageCard = z
  .looseObject({ summary: z.string().min(1).optional(), text: z.string().min(1).optional() })
  .refine((c) => c.summary !== undefined || c.text !== undefined, { error: 'a MessageCard needs summary or text' });

/**
 * One of: `{ text, title?, themeColor? }` (plain text: an Adaptive Card for a Workflows URL, a
 * MessageCard for a legacy connector URL; themeColor colours the MessageCard only), `{ adaptiveCard }`
 * (sent in the message envelope with attachments) or `{ messageCard }` (sent as is).
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

const adaptiveEnvelope = (content: unknown) => ({ type: 'message', attachments: [{ contentType: ADAPTIVE_CARD, contentUrl: null, content }] });

/**
 * The JSON Teams receives for a message. Plain text becomes a MessageCard only for a legacy connector
 * URL: Microsoft's docs disagree on whether Workflows accept that format, and a flow that cannot read
 * the post fails after its 202, which would lose the message unseen; an Adaptive Card works for both.
 */
export function teamsPayload(m: z.output<typeof teamsMessageSchema>, webhook: 'legacy' | 'workflows'): Record<string, unknown> {
  if (m.adaptiveCard) return adaptiveEnvelope(m.adaptiveCard);
  if (m.messageCard) return m.messageCard;
  const text = m.text ?? '';
  if (webhook === 'workflows') {
    return adaptiveEnvelope({
      $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
      type: 'AdaptiveCard',
      // The version of Microsoft's own webhook example; TextBlock with wrap is in every version since 1.0.
      version: '1.2',
      body: [
        ...(m.title ? [{ type: 'TextBlock', text: m.title, weight: 'Bolder', size: 'Medium', wrap: true }] : []),
        { type: 'TextBlock', text, wrap: true },
      ],
    });
  }
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
 * Sliding windows over the posts to each legacy connector webhook, so that a post Microsoft would
 * throttle is never sent (the connector reports throttling only inside a 2xx body, and a throttled
 * post is not delivered). Webhooks are keyed by the SHA-256 of their URL: the URL is the secret and
 * must not sit in memory dumps as a map key. The count is per worker process: posts from other
 * workers are not seen here, which is what the connector's connectionBudget bounds across workers.
 */
export class WebhookRateWindows {
  private readonly posts = new Map<string, number[]>();
  private readonly longestMs: number;

  constructor(private readonly windows: readonly { seconds: number; maxRequests: number }[]) {
    this.longestMs = Math.max(...windows.map((w) => w.seconds * 1000));
  }

  /** Records a post at `nowMs` and returns null, or returns how long to wait (ms) and records nothing. */
  take(webhookUrl: string, nowMs: number): { waitMs: number; seconds: number; maxRequests: number } | null {
    const key = createHash('sha256').update(webhookUrl, 'utf8').digest('hex');
    const kept = (this.posts.get(key) ?? []).filter((t) => t > nowMs - this.longestMs);
    let worst: { waitMs: number; seconds: number; maxRequests: number } | null = null;
    for (const w of this.windows) {
      const windowMs = w.seconds * 1000;
      const inWindow = kept.filter((t) => t > nowMs - windowMs);
      if (inWindow.length < w.maxRequests) continue;
      // The post that must leave the window before one more fits, and when it leaves.
      const waitMs = inWindow[inWindow.length - w.maxRequests]! + windowMs - nowMs;
      if (!worst || waitMs > worst.waitMs) worst = { waitMs, seconds: w.seconds, maxRequests: w.maxRequests };
    }
    if (worst) {
      this.posts.set(key, kept);
      return worst;
    }
    kept.push(nowMs);
    this.posts.set(key, kept);
    return null;
  }

  clear(): void {
    this.posts.clear();
  }
}

/** The legacy connector limits, counted in this process for every legacy webhook it posts to. */
export const teamsLegacyRateWindows = new WebhookRateWindows(TEAMS_LEGACY_RATE_WINDOWS);

const windowName = (seconds: number) => (seconds % 3600 === 0 ? `${seconds / 3600} h` : `${seconds} s`);

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

/**
 * The webhook's request context: its origin is the base (a sandbox override replaces only that, so an
 * emulator sees the path and query Teams would), and its sig= parameter is redacted like the URL.
 */
const TEAMS: ProviderBinding<TeamsConfig> = {
  connectorId: 'teams',
  provider: PROVIDER,
  baseUrl: (config) => new URL(config.webhookUrl).origin,
  headers: () => ({}),
  // Whoever holds the URL can post: besides the whole URL, its sig= (workflows) and its path (a
  // legacy connector's /webhookb2/<ids>/IncomingWebhook/<token>/<id> is the credential itself) are
  // secret, whole and segment by segment, since an error body may repeat any of them.
  extraSecrets: (config) => {
    const url = new URL(config.webhookUrl);
    const sig = url.searchParams.get('sig');
    const path = decodeURIComponent(url.pathname);
    const segments = path.split(/[/@]/).filter((s) => s.length >= 16);
    return [...(sig ? [sig] : []), ...(isLegacyTeamsWebhook(config.webhookUrl) ? [path, url.pathname, ...segments] : [])];
  },
  refineError: (res) => refineTeamsError(res),
};

export const teamsExecutor: ConnectorExecutor<TeamsConfig> = {
  messageSchema: teamsMessageSchema,

  async testConnection(rawConfig, opts) {
    const bound = bindProvider(TEAMS, rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    const legacy = isLegacyTeamsWebhook(bound.provider.config.webhookUrl);
    return offlineCheck(
      `Teams webhooks have no read endpoint: the URL was validated offline (Microsoft host, path and signature); only a real post proves it works.${legacy ? ` ${DEPRECATION}` : ''}`,
    );
  },

  async send(rawConfig, message, opts): Promise<ConnectorResponse> {
    const bound = bindProvider(TEAMS, rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    const { config, secrets } = bound.provider;
    const msg = checkMessage(teamsMessageSchema, message, PROVIDER);
    if ('fail' in msg) return msg.fail;
    const legacy = isLegacyTeamsWebhook(config.webhookUrl);
    const payload = teamsPayload(msg.message, legacy ? 'legacy' : 'workflows');
    const bytes = Buffer.byteLength(JSON.stringify(payload), 'utf8');
    if (bytes > TEAMS_MAX_MESSAGE_BYTES) {
      return failBeforeSend('payload_too_large', `${PROVIDER}: the message is ${bytes} bytes; Teams accepts at most 28 KB (${TEAMS_MAX_MESSAGE_BYTES} bytes)`);
    }
    if (legacy) {
      const full = teamsLegacyRateWindows.take(config.webhookUrl, (opts?.now ?? Date.now)());
      if (full) {
        const error = connectorError(
          'rate_limited',
          `${PROVIDER}: this legacy connector webhook already had ${full.maxRequests} posts in the last ${windowName(full.seconds)} (counted in this worker), the most Microsoft allows; not posted, a slot frees in ${Math.ceil(full.waitMs / 1000)} s`,
          { retryAfterMs: full.waitMs },
        );
        return { ok: false, status: 0, latencyMs: 0, body: null, error };
      }
    }

    // No idempotency key exists for Teams webhooks: the send workflow's id prevents a second post.
    const url = new URL(config.webhookUrl);
    const res = await bound.provider.request({ method: 'POST', path: `${url.pathname}${url.search}`, json: payload });
    if (!res.ok) return withError(res, res.error!);

    const inBody = reportedError(res.body, res.status, secrets);
    if (inBody) return withError(res, inBody);
    const kind = legacy ? ({ webhook: 'legacy', deprecation: DEPRECATION } as const) : ({ webhook: 'workflows' } as const);
    // The legacy connector answers "1" (JSON-parsed: 1); Workflows answer 202 and run the flow later,
    // with a body Microsoft does not document, so only the legacy answer can be checked.
    const empty = res.body === null || res.body === '';
    if (legacy && !empty && String(res.body).trim() !== '1') {
      const seen = redact(JSON.stringify(res.body).slice(0, 200), secrets);
      return withError(res, connectorError('invalid_response', `${PROVIDER} answered HTTP ${res.status} with ${seen} instead of "1"`));
    }
    return withBody(res, { accepted: true, ...kind });
  },
};
