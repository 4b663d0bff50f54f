// Microsoft Teams incoming webhook: Power Automate Workflows (current) or the legacy Microsoft 365
// connector (retiring).
// Facts: https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook ,
// https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using ,
// https://devblogs.microsoft.com/microsoft365dev/retirement-of-office-365-connectors-within-microsoft-teams/
import { definePolicy } from '../../policies/types.js';
import { defineConnector, type ConfigOf } from '../define.js';
import { password } from '../fields.js';

/** Power Automate Workflows hosts (commercial and US government clouds). */
export const TEAMS_WORKFLOW_HOST_SUFFIXES = [
  '.logic.azure.com',
  '.environment.api.powerplatform.com',
  '.logic.azure.us',
  '.api.powerplatform.us',
] as const;
/** The retiring Microsoft 365 connector host: accepted, flagged as legacy. */
export const TEAMS_LEGACY_HOST_SUFFIX = '.webhook.office.com';

export function isLegacyTeamsWebhook(value: string): boolean {
  try {
    return new URL(value).hostname.toLowerCase().endsWith(TEAMS_LEGACY_HOST_SUFFIX);
  } catch {
    return false;
  }
}

/** Path and signature rules for a URL whose host already passed the allow-list; never echoes the secret. */
export function checkTeamsWebhookUrl(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null; // the URL rule already reports an unparsable value
  }
  const host = url.hostname.toLowerCase();
  if (host === 'outlook.office.com') {
    return 'the outlook.office.com webhook form was retired at the end of 2024; create a Workflows webhook in Teams instead';
  }
  if (host.endsWith(TEAMS_LEGACY_HOST_SUFFIX)) {
    return url.pathname.startsWith('/webhookb2/') ? null : 'a legacy connector URL must have a /webhookb2/ path';
  }
  if (TEAMS_WORKFLOW_HOST_SUFFIXES.some((s) => host.endsWith(s))) {
    if (!url.pathname.includes('/workflows/')) return 'a Workflows URL must have a /workflows/ path';
    // The SAS signature is what authorises the post; without it Teams answers 401 on every send.
    if (!url.searchParams.get('sig')) return 'a Workflows URL must carry its sig query parameter; copy the whole URL';
  }
  return null;
}

export const teams = defineConnector({
  id: 'teams',
  name: 'Microsoft Teams',
  category: 'messaging',
  description: 'Posts Adaptive Card messages to a Teams channel or chat through a Workflows webhook (or a legacy connector webhook).',
  docsUrl: 'https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook',
  capabilities: { testConnection: 'offline', send: true, pull: [], trigger: false },
  credentialCheck:
    'none: Teams webhooks have no read endpoint, so the URL is validated offline (https, Microsoft host, /workflows/ path with sig, or a legacy /webhookb2/ URL); only a real post proves it works.',
  idempotency: {
    supported: false,
    note: 'Teams webhooks have no dedup key: a retried POST can post the card twice. The send workflow id prevents duplicate sends from the engine.',
  },
  authMethods: [
    {
      id: 'webhook_url',
      label: 'Webhook URL',
      help: 'In Teams, add the "Post to a channel when a webhook request is received" Workflows template (or open an existing flow\'s "When a Teams webhook request is received" trigger) and copy the HTTP POST URL.',
      connectionFields: {},
      authFields: {
        webhookUrl: password({
          label: 'Webhook URL',
          help: 'The whole URL, including the sig=… parameter, is the secret. Workflows URLs are on *.logic.azure.com or *.environment.api.powerplatform.com (US government: *.logic.azure.us, *.api.powerplatform.us); legacy connector URLs (*.webhook.office.com) still work until Microsoft retires them.',
          required: true,
          placeholder: 'https://….environment.api.powerplatform.com/powerautomate/automations/direct/workflows/…',
          validation: { url: { hostSuffixes: [...TEAMS_WORKFLOW_HOST_SUFFIXES, TEAMS_LEGACY_HOST_SUFFIX] } },
          check: checkTeamsWebhookUrl,
        }),
      },
    },
  ],
  policy: definePolicy({
    source: 'https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using',
    // Legacy connector webhooks are throttled above 4 requests/s; Workflows inherit Power Automate
    // limits, which are not published as a per-webhook figure, so the legacy figure is used for both.
    rate: { requestsPerSecond: 4, concurrency: 2 },
    retry: { initialIntervalMs: 1_000, backoffCoefficient: 2, maximumIntervalMs: 30_000, maximumAttempts: 6 },
    timeouts: { requestMs: 15_000, startToCloseMs: 45_000, scheduleToCloseMs: 10 * 60_000 },
  }),
  notes: [
    'Microsoft 365 (Office 365) connector webhooks (*.webhook.office.com) are deprecated: new ones cannot be created and the shutdown date keeps moving. Move to Workflows.',
    'Workflows answer 202 Accepted and run the flow asynchronously: a 2xx means accepted, not posted (the flow can still fail, e.g. when its owner leaves).',
    'Messages are limited to 28 KB. Adaptive Cards work for both URL families; MessageCard actions do not render in Workflows.',
  ],
});

export type TeamsConfig = ConfigOf<typeof teams>;
