// Microsoft Teams incoming webhook: Power Automate Workflows (current) or the legacy Microsoft 365
// connector, which Microsoft says is "nearing deprecation".
// Facts: https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook ,
// https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using ,
// https://devblogs.microsoft.com/microsoft365dev/retirement-of-office-365-connectors-within-microsoft-teams/ ,
// https://github.com/MicrosoftDocs/msteams-docs/blob/main/msteams-platform/includes/deprecation-note.md
//
// Card formats (the docs contradict each other; what is sent is what works under every version):
// - The Learn include "deprecation-note" (Known issues) says "Workflows support Adaptive Cards only. It
//   doesn't support the older message card format that Office 365 Connectors use", in one revision
//   adding "The support for the use of message card format within Workflows becomes available from
//   mid-October". The devblog's later update, quoted in MicrosoftDocs/msteams-docs issue #14162
//   (2026-03-03), says "You can continue to use the Message Card format when migrating your existing
//   Office 365 Connectors", and PR #14191 (merged 2026-03-18) updated the note "to highlight message
//   card support"; that revision could not be read here.
// - Every revision documents the Adaptive Card message envelope ({"type":"message","attachments":[{
//   "contentType":"application/vnd.microsoft.card.adaptive", "content": {...}}]}) for webhooks. That
//   the "Post to a channel when a webhook request is received" template posts the cards it finds in
//   `attachments` is how the template is built, not a sentence found in Microsoft's docs here.
// So a plain-text message goes to a Workflows URL as an Adaptive Card, which works under every revision,
// and as a MessageCard only to a legacy connector URL, whose own docs ("Create and send messages")
// use that format.
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
/** The Microsoft 365 connector host, which Microsoft says is nearing deprecation: accepted, flagged as legacy. */
export const TEAMS_LEGACY_HOST_SUFFIX = '.webhook.office.com';

/**
 * "Rate limiting for connectors", connectors-using (msteams-docs, "Transactions per second
 * thresholds"): the maximum requests a connector or incoming webhook may make in each window. "If more
 * than four requests are made in a second, the client connection is throttled", and "Connectors do not
 * throw 429s": the throttling arrives as "Microsoft Teams endpoint returned HTTP error 429" inside a
 * 2xx body. Workflows URLs run on Power Automate, which publishes no such per-webhook table.
 */
export const TEAMS_LEGACY_RATE_WINDOWS: readonly { seconds: number; maxRequests: number }[] = [
  { seconds: 1, maxRequests: 4 },
  { seconds: 30, maxRequests: 60 },
  { seconds: 3_600, maxRequests: 100 },
  { seconds: 7_200, maxRequests: 150 },
  { seconds: 86_400, maxRequests: 1_800 },
];

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
          help: 'The whole URL, including the sig=… parameter, is the secret. Workflows URLs are on *.logic.azure.com or *.environment.api.powerplatform.com (US government: *.logic.azure.us, *.api.powerplatform.us). Legacy connector URLs (*.webhook.office.com) are accepted; Microsoft says those connectors are nearing deprecation.',
          required: true,
          placeholder: 'https://….environment.api.powerplatform.com/powerautomate/automations/direct/workflows/…',
          validation: { url: { hostSuffixes: [...TEAMS_WORKFLOW_HOST_SUFFIXES, TEAMS_LEGACY_HOST_SUFFIX] } },
          check: checkTeamsWebhookUrl,
        }),
      },
    },
  ],
  rateScope: { by: 'webhook', fields: ['webhookUrl'], source: 'https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using' },
  policy: definePolicy({
    source: 'https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using',
    // Legacy connector webhooks are throttled above 4 requests/s; Workflows inherit Power Automate
    // limits, which are not published as a per-webhook figure, so the legacy figure is used for both.
    rate: { requestsPerSecond: 4 },
    retry: { initialIntervalMs: 1_000, backoffCoefficient: 2, maximumIntervalMs: 30_000, maximumAttempts: 6 },
    timeouts: { requestMs: 15_000, startToCloseMs: 45_000, scheduleToCloseMs: 10 * 60_000 },
  }),
  // A legacy webhook's tightest sustained rate is the day window's: 1,800 per 86,400 s keeps every
  // shorter window of the table too (at most 150 per 7,200 s, 75 per hour). The executor enforces the
  // windows themselves in its own process; this bounds the webhook across every worker. A secret
  // reference (env:/file:) is not a URL, so a stored config that holds one gets no budget here.
  connectionBudget: (config) =>
    typeof config.webhookUrl === 'string' && isLegacyTeamsWebhook(config.webhookUrl)
      ? {
          requestsPerSecond: 1_800 / 86_400,
          reason: 'A legacy connector webhook may post at most 4 times a second, 60 in 30 s, 100 an hour, 150 in two hours and 1,800 a day (Microsoft Teams, "Rate limiting for connectors").',
        }
      : null,
  notes: [
    'Microsoft 365 (previously Office 365) connector webhooks (*.webhook.office.com): Microsoft says these connectors "are nearing deprecation, and the creation of new Microsoft 365 Connectors will soon be blocked". Move to Workflows.',
    'Workflows answer 202 Accepted and run the flow asynchronously: a 2xx means accepted, not posted (the flow can still fail, e.g. when its owner leaves).',
    'A plain-text message is sent as an Adaptive Card to a Workflows URL (the webhook format documented in every revision of Microsoft\'s docs) and as a MessageCard to a legacy connector URL. themeColor applies to the MessageCard only: Adaptive Cards have no accent colour.',
    'An explicit messageCard is sent as given, to either URL family; Microsoft\'s docs disagree on whether Workflows accept that format, so prefer adaptiveCard (or text) for Workflows URLs.',
    'Messages are limited to 28 KB.',
    'Legacy connector webhooks are limited to 4 posts a second, 60 in 30 s, 100 an hour, 150 in two hours and 1,800 a day; the engine counts them per webhook in each worker process and answers rate_limited, with the wait until a slot frees, instead of posting over a limit.',
  ],
});

export type TeamsConfig = ConfigOf<typeof teams>;
