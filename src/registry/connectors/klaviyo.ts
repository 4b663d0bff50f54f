// Klaviyo Create Event, JSON:API (CDP destination).
// Facts: https://developers.klaviyo.com/en/reference/create_event ,
// https://developers.klaviyo.com/en/docs/rate_limits_and_error_handling ,
// https://developers.klaviyo.com/en/docs/api_versioning_and_deprecation_policy
import { definePolicy } from '../../policies/types.js';
import { defineConnector, type ConfigOf } from '../define.js';
import { password, text } from '../fields.js';

/** The revision of the official create_event schema this connector is built and tested against. */
export const KLAVIYO_DEFAULT_REVISION = '2026-07-15';

export const klaviyo = defineConnector({
  id: 'klaviyo',
  name: 'Klaviyo',
  category: 'cdp_support',
  description: 'Creates Klaviyo events (metric + profile) through the JSON:API events endpoint.',
  docsUrl: 'https://developers.klaviyo.com/en/reference/create_event',
  capabilities: { testConnection: 'api', send: true, pull: [], trigger: false },
  credentialCheck: 'GET /api/accounts/ (requires the accounts:read scope)',
  idempotency: {
    supported: true,
    via: 'unique_id',
    note: 'Repeats with the same unique_id for the same profile and metric keep only the first event; the engine always sets one, because the default (the timestamp to the second) silently merges distinct events.',
  },
  authMethods: [
    {
      id: 'private_key',
      label: 'Private API key',
      help: 'Settings → Account → API keys → Create Private API Key, with events:write and accounts:read.',
      connectionFields: {
        revision: text({
          label: 'API revision',
          help: 'Sent as the revision header. Pin one and upgrade deliberately; older revisions keep working until Klaviyo retires them (about two years).',
          required: false,
          default: KLAVIYO_DEFAULT_REVISION,
          validation: { pattern: '\\d{4}-\\d{2}-\\d{2}(\\.[a-z]+)?', patternDescription: 'a revision date such as 2026-07-15 (optionally with a suffix like .pre)' },
          check: (v) => (Number.isNaN(Date.parse(v.slice(0, 10))) ? 'is not a real date' : null),
        }),
      },
      authFields: {
        privateApiKey: password({
          label: 'Private API key',
          help: 'Starts with pk_. Sent as Authorization: Klaviyo-API-Key <key>. Public (site) keys cannot create events through this API.',
          required: true,
          validation: { pattern: 'pk_[A-Za-z0-9_]+', patternDescription: 'a private API key starting with pk_' },
        }),
      },
    },
  ],
  policy: definePolicy({
    source: 'https://developers.klaviyo.com/en/docs/rate_limits_and_error_handling',
    // Create Event: burst 350/s, steady 3,500/min (about 58/s) per account for private keys. The steady
    // figure is what a long send sustains.
    rate: { requestsPerSecond: 50, concurrency: 20 },
    retry: { initialIntervalMs: 1_000, backoffCoefficient: 2, maximumIntervalMs: 60_000, maximumAttempts: 8 },
    timeouts: { requestMs: 15_000, startToCloseMs: 45_000, scheduleToCloseMs: 30 * 60_000 },
  }),
  notes: [
    '202 with an empty body means validated and queued, not processed.',
    'Event time must lie between the year 2000 and one year from now; payloads are limited to 5 MB and 300 properties.',
  ],
});

export type KlaviyoConfig = ConfigOf<typeof klaviyo>;
