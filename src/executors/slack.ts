// Slack incoming webhooks: the message JSON is POSTed to the secret webhook URL.
// Facts and sources: src/registry/connectors/slack.ts. Pages this file follows:
// https://api.slack.com/messaging/webhooks ,
// https://api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks ,
// https://docs.slack.dev/reference/block-kit/blocks , https://docs.slack.dev/apis/web-api/rate-limits
import { z } from 'zod';
import type { ConnectorExecutor, ConnectorResponse } from '../core/envelope.js';
import { withBody, withError } from '../core/envelope.js';
import { connectorError, type ErrorCode } from '../core/errors.js';
import { httpRequest, type HttpResponse } from '../core/http.js';
import { redact } from '../core/redact.js';
import type { SlackConfig } from '../registry/connectors/slack.js';
import { slack } from '../registry/connectors/slack.js';
import { callOptions, checkConfig, checkMessage, offlineCheck, secretsOf, webhookTarget } from './support.js';

const PROVIDER = 'Slack';
// Block Kit: "You can include up to 50 blocks in each message".
const MAX_BLOCKS = 50;

/**
 * Slack's own webhook payload. `text` is the message, or the notification fallback when blocks or
 * attachments carry it; every other key (thread_ts, mrkdwn, unfurl_links, ...) is passed through.
 */
export const slackMessageSchema = z
  .looseObject({
    text: z.string().min(1).optional(),
    blocks: z.array(z.looseObject({ type: z.string().min(1) })).min(1).max(MAX_BLOCKS).optional(),
    attachments: z.array(z.record(z.string(), z.unknown())).min(1).optional(),
    thread_ts: z.string().min(1).optional(),
    mrkdwn: z.boolean().optional(),
    unfurl_links: z.boolean().optional(),
    unfurl_media: z.boolean().optional(),
  })
  .refine((m) => m.text !== undefined || m.blocks !== undefined || m.attachments !== undefined, {
    error: 'text is required unless blocks or attachments are given',
    path: ['text'],
  });
/** A message as a caller writes it. */
export type SlackMessage = z.input<typeof slackMessageSchema>;

// Slack answers errors as short plain-text codes. 403/404/410 mean the destination is gone or
// locked: the user must fix the webhook, so none of these is retried.
const SLACK_ERRORS: Readonly<Record<string, { code: ErrorCode; hint: string }>> = {
  invalid_payload: { code: 'bad_request', hint: 'the message is not a valid Slack payload' },
  no_text: { code: 'bad_request', hint: 'the message has no text' },
  user_not_found: { code: 'bad_request', hint: 'the message names a user Slack does not know' },
  too_many_attachments: { code: 'bad_request', hint: 'the message has too many attachments' },
  action_prohibited: { code: 'forbidden', hint: 'a workspace admin has restricted posting to this channel' },
  posting_to_general_channel_denied: { code: 'forbidden', hint: 'only admins may post to this channel' },
  channel_not_found: { code: 'not_found', hint: 'the webhook\'s channel no longer exists; create a new webhook' },
  channel_is_archived: { code: 'not_found', hint: 'the webhook\'s channel is archived; unarchive it or create a webhook for another channel' },
  no_service: { code: 'not_found', hint: 'the webhook was disabled or removed; create a new one' },
  no_service_id: { code: 'not_found', hint: 'the webhook URL is incomplete or removed' },
  no_team: { code: 'not_found', hint: 'the workspace of this webhook no longer exists' },
  team_disabled: { code: 'not_found', hint: 'the workspace of this webhook is disabled' },
  invalid_token: { code: 'unauthorized', hint: 'the webhook URL\'s token is invalid or revoked' },
};

/** The shared mapping refined by Slack's plain-text error code, which names the actual problem. */
export function refineSlackError(res: HttpResponse): HttpResponse {
  if (res.ok || !res.error || res.status === 0 || typeof res.body !== 'string') return res;
  const reason = res.body.trim();
  const known = SLACK_ERRORS[reason];
  if (!known) return res;
  const extra = res.error.retryAfterMs !== undefined ? { retryAfterMs: res.error.retryAfterMs } : {};
  return { ...res, error: connectorError(known.code, `${PROVIDER} answered HTTP ${res.status} (${reason}): ${known.hint}`, extra) };
}

/** The secret parts of a webhook URL: the whole URL, and its token (the last path segment). */
function webhookSecrets(config: SlackConfig): string[] {
  const token = new URL(config.webhookUrl).pathname.split('/').filter(Boolean).pop();
  return [...secretsOf('slack', config), ...(token ? [token] : [])];
}

export const slackExecutor: ConnectorExecutor<SlackConfig> = {
  messageSchema: slackMessageSchema,

  async testConnection(rawConfig) {
    const checked = checkConfig<SlackConfig>('slack', rawConfig);
    if ('fail' in checked) return checked.fail;
    return offlineCheck('Slack incoming webhooks have no read endpoint: the URL was validated offline (https, Slack host, /services/ path); only a real post proves it works.');
  },

  async send(rawConfig, message, opts): Promise<ConnectorResponse> {
    const checked = checkConfig<SlackConfig>('slack', rawConfig);
    if ('fail' in checked) return checked.fail;
    const { config } = checked;
    const msg = checkMessage(slackMessageSchema, message, PROVIDER);
    if ('fail' in msg) return msg.fail;
    const target = webhookTarget(config.webhookUrl, opts);
    if ('fail' in target) return target.fail;

    // No idempotency key exists for incoming webhooks: the send workflow's id is what prevents a
    // second post, and an ambiguous timeout is surfaced rather than blindly re-posted.
    const secrets = webhookSecrets(config);
    const res = refineSlackError(
      await httpRequest({
        provider: PROVIDER,
        method: 'POST',
        url: target.url,
        json: msg.message,
        secrets,
        ...callOptions(opts, slack.policy.timeouts.requestMs),
      }),
    );
    if (!res.ok) return withError(res, res.error!);
    // Success is exactly the text "ok"; anything else on a 2xx is not what Slack documents.
    if (typeof res.body !== 'string' || res.body.trim() !== 'ok') {
      const seen = redact(JSON.stringify(res.body ?? '').slice(0, 200), secrets);
      return withError(res, connectorError('invalid_response', `${PROVIDER} answered HTTP ${res.status} with ${seen} instead of "ok"`));
    }
    return withBody(res, { posted: true });
  },
};
