// Slack incoming webhook (messaging destination).
// Facts: https://api.slack.com/messaging/webhooks ,
// https://docs.slack.dev/apis/web-api/rate-limits ,
// https://api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks
import { definePolicy } from '../../policies/types.js';
import { defineConnector, type ConfigOf } from '../define.js';
import { password } from '../fields.js';

export const SLACK_WEBHOOK_HOSTS = ['hooks.slack.com', 'hooks.slack-gov.com'] as const;

// The segment charset is kept loose: Slack documents the shape, not the alphabet of each id.
const SERVICES_PATH = /^\/services\/[A-Z0-9]+\/[A-Z0-9]+\/[A-Za-z0-9]+\/?$/;

/** Path rule for a webhook URL whose host already passed the allow-list; never echoes the secret. */
export function checkSlackWebhookPath(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null; // the URL rule already reports an unparsable value
  }
  if (url.pathname.startsWith('/triggers/') || url.pathname.startsWith('/workflows/')) {
    return 'is a Workflow Builder trigger URL, which takes a different payload; use an incoming webhook URL (https://hooks.slack.com/services/...)';
  }
  if (!SERVICES_PATH.test(url.pathname)) return 'must be an incoming webhook URL of the form https://hooks.slack.com/services/T…/B…/…';
  if (url.search || url.hash) return 'must not carry a query string or fragment';
  return null;
}

export const slack = defineConnector({
  id: 'slack',
  name: 'Slack',
  category: 'messaging',
  description: 'Posts messages to a Slack channel through an incoming webhook.',
  docsUrl: 'https://api.slack.com/messaging/webhooks',
  capabilities: { testConnection: 'offline', send: true, pull: [], trigger: false },
  credentialCheck:
    'none: incoming webhooks have no read endpoint, so the URL is validated offline (https, Slack host, /services/ path); only a real post proves it works.',
  idempotency: {
    supported: false,
    note: 'Incoming webhooks have no dedup key: a retried POST can post the message twice. The send workflow id prevents duplicate sends from the engine; an ambiguous timeout is not retried blindly.',
  },
  authMethods: [
    {
      id: 'webhook_url',
      label: 'Incoming webhook URL',
      help: 'Create a Slack app with Incoming Webhooks enabled, add a webhook to a channel, and copy its URL.',
      connectionFields: {},
      authFields: {
        webhookUrl: password({
          label: 'Webhook URL',
          help: 'From api.slack.com/apps → your app → Incoming Webhooks → Webhook URL. The whole URL is the secret: anyone holding it can post to the channel.',
          required: true,
          placeholder: 'https://hooks.slack.com/services/T…/B…/…',
          validation: { url: { hosts: SLACK_WEBHOOK_HOSTS } },
          check: checkSlackWebhookPath,
        }),
      },
    },
  ],
  rateScope: { by: 'webhook (its channel)', fields: ['webhookUrl'], source: 'https://api.slack.com/docs/rate-limits' },
  policy: definePolicy({
    source: 'https://docs.slack.dev/apis/web-api/rate-limits',
    // Slack allows 1 message/s per webhook with short bursts. The limit is applied per connector task
    // queue, so it is conservative when several webhooks share it.
    rate: { requestsPerSecond: 1 },
    retry: { initialIntervalMs: 1_000, backoffCoefficient: 2, maximumIntervalMs: 30_000, maximumAttempts: 6 },
    timeouts: { requestMs: 10_000, startToCloseMs: 30_000, scheduleToCloseMs: 10 * 60_000 },
  }),
  notes: [
    'Success is HTTP 200 with the plain-text body "ok"; errors are short plain-text codes (invalid_payload, channel_not_found …), not JSON.',
    '403, 404 and 410 mean the webhook was revoked or the channel archived: fix the destination rather than retry.',
    'App-owned webhooks post to the channel chosen at install time; channel, username and icon overrides are ignored.',
    'GovSlack webhooks (hooks.slack-gov.com) are accepted.',
  ],
});

export type SlackConfig = ConfigOf<typeof slack>;
