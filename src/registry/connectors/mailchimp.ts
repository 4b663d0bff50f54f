// Mailchimp Marketing API, audience (list) members (pull source).
// Facts (shared/docs/providers.md §16): https://mailchimp.com/developer/marketing/docs/fundamentals/ ,
// https://mailchimp.com/developer/marketing/api/list-members/list-members-info/ ,
// https://mailchimp.com/developer/marketing/docs/errors/
import { definePolicy } from '../../policies/types.js';
import { defineConnector, type ConfigOf } from '../define.js';
import { password, text } from '../fields.js';

// A date, or a date-time with an explicit offset: a bare local time would depend on the worker's zone.
const ISO_INSTANT = '\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2}))?';

/** The data center a key belongs to: the suffix after its last dash (`…-us6` → `us6`). */
export function mailchimpDataCenter(apiKey: string): string {
  return apiKey.slice(apiKey.lastIndexOf('-') + 1);
}

export const mailchimp = defineConnector({
  id: 'mailchimp',
  name: 'Mailchimp',
  category: 'commerce_source',
  description: 'Pulls the members of a Mailchimp audience (list), incrementally by last_changed.',
  docsUrl: 'https://mailchimp.com/developer/marketing/api/list-members/list-members-info/',
  capabilities: { testConnection: 'api', send: false, pull: ['members'], trigger: false },
  credentialCheck: 'GET /3.0/ping',
  idempotency: { supported: false, note: 'Pull source: re-reading a page is harmless because sinks upsert by subscriber hash.' },
  authMethods: [
    {
      id: 'api_key',
      label: 'API key',
      help: 'Account → Extras → API keys. The key also names the data center the account lives in.',
      connectionFields: {
        listId: text({
          label: 'Audience id',
          help: 'The audience (list) to pull: Audience → Settings → Audience name and defaults → Audience ID.',
          required: true,
          placeholder: 'a1b2c3d4e5',
          validation: { pattern: '[A-Za-z0-9_-]{1,100}', patternDescription: 'an audience id such as a1b2c3d4e5' },
        }),
        startDate: text({
          label: 'Start date',
          help: 'Earliest last_changed to pull on the first (full) sync, ISO-8601. Empty means all members.',
          required: false,
          placeholder: '2024-01-01T00:00:00Z',
          validation: { pattern: ISO_INSTANT, patternDescription: 'an ISO-8601 date or date-time with offset, e.g. 2024-01-01T00:00:00Z' },
          check: (v) => (Number.isNaN(Date.parse(v)) ? 'must be a valid ISO-8601 date' : null),
        }),
      },
      authFields: {
        apiKey: password({
          label: 'API key',
          help: 'Sent with HTTP Basic auth. The part after the dash is the data center (us6 → us6.api.mailchimp.com).',
          required: true,
          validation: {
            pattern: '[0-9a-f]{32}-[a-z]+[0-9]+',
            patternDescription: 'a key of 32 hex characters, a dash and the data center, e.g. …-us6',
          },
        }),
      },
    },
  ],
  policy: definePolicy({
    source: 'https://mailchimp.com/developer/marketing/docs/fundamentals/',
    // No per-second quota, but at most 10 simultaneous connections per key; more answer 429.
    rate: { requestsPerSecond: 10, concurrency: 10 },
    retry: { initialIntervalMs: 2_000, maximumIntervalMs: 60_000, maximumAttempts: 10 },
    // Pages of 1000 full member records can take a while to render.
    timeouts: { requestMs: 60_000, startToCloseMs: 180_000, scheduleToCloseMs: 30 * 60_000 },
    pull: { defaultPageSize: 1000, maxPageSize: 1000, overlapMs: 60_000 },
  }),
  notes: [
    'Archived or deleted members vanish from the list instead of emitting a change; incremental runs cannot see removals (use audience webhooks).',
    'Paging is offset-based; the cursor backs off when members leave the window mid-run, so a few members may be read twice (sinks upsert by id) but none is skipped.',
    'Only API keys are supported; OAuth tokens (whose data center comes from the metadata endpoint) are not.',
  ],
});

export type MailchimpConfig = ConfigOf<typeof mailchimp>;
