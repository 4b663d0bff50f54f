// Mailchimp Marketing API, audience (list) members (pull source).
// Facts: https://mailchimp.com/developer/marketing/docs/fundamentals/ ,
// https://mailchimp.com/developer/marketing/api/list-members/list-members-info/ ,
// https://mailchimp.com/developer/marketing/api/lists/get-list-info/ ,
// https://mailchimp.com/developer/marketing/docs/errors/ ,
// https://mailchimp.com/developer/marketing/guides/run-async-requests-batch-endpoint/
//
// Corrections to the December 2026 provider audit (shared/docs/provider-audit-2026-12.md, mailchimp):
// - Finding 1 quoted the connection limit from a mirror as "10 simultaneous connections per user
//   across all apps". Mailchimp's own batch guide words it per key: "The Marketing API has a limit of
//   10 concurrent connections for your API key", and "Requests to the Marketing API time out at 120
//   seconds" (https://mailchimp.com/developer/marketing/guides/run-async-requests-batch-endpoint/).
//   Either way every other integration using the same key competes for the same 10, so this
//   connector takes a configurable share (maxConnections), not all of them.
// - Finding 2: testConnection now reads the audience itself, GET /3.0/lists/{list_id} (the official
//   client's get_list, "Get information about a specific list in your Mailchimp account",
//   mailchimp-marketing-python lists_api.py), which proves the key as well as the audience id.
import { definePolicy } from '../../policies/types.js';
import { defineConnector, type ConfigOf } from '../define.js';
import { number, password, text } from '../fields.js';

/** Mailchimp's limit of simultaneous connections per API key. */
export const MAILCHIMP_MAX_CONNECTIONS = 10;
/**
 * The share of those a connection takes unless told otherwise: 3 leaves 7 for the account's other
 * integrations (e-commerce sync, forms, a CRM) and for a second connection of this engine on the
 * same key, while one pull reads pages one at a time and a sliced first sync still gets 3 at once.
 */
export const MAILCHIMP_DEFAULT_CONNECTIONS = 3;

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
  credentialCheck: 'GET /3.0/lists/{listId}?fields=id,name,stats.member_count (proves the key and the audience)',
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
        maxConnections: number({
          label: 'Simultaneous connections',
          help: `How many of the API key's ${MAILCHIMP_MAX_CONNECTIONS} simultaneous connections this connection may use at once. Mailchimp allows ${MAILCHIMP_MAX_CONNECTIONS} per key and answers 429 beyond them ("The Marketing API has a limit of 10 concurrent connections for your API key", https://mailchimp.com/developer/marketing/guides/run-async-requests-batch-endpoint/); other apps using the same key share them, so leave them room. Default ${MAILCHIMP_DEFAULT_CONNECTIONS}.`,
          required: false,
          default: MAILCHIMP_DEFAULT_CONNECTIONS,
          min: 1,
          max: MAILCHIMP_MAX_CONNECTIONS,
          integer: true,
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
  rateScope: { by: 'API key', fields: ['apiKey'], source: 'https://mailchimp.com/developer/marketing/guides/run-async-requests-batch-endpoint/' },
  policy: definePolicy({
    source: 'https://mailchimp.com/developer/marketing/guides/run-async-requests-batch-endpoint/',
    // No per-second quota, but 10 simultaneous connections per key, shared with every other app on
    // the key: the default takes a share of them (maxConnections), see connectionBudget.
    // Mailchimp publishes no per-second quota: what binds is the calls in flight per API key (the
    // share, held by leases across workers). The rate here is only a guard far above what those
    // calls can make. Per worker, 10 pages in flight at most (pages of 1000 full members are large).
    rate: { requestsPerSecond: 100, concurrency: 10, concurrencyPerKey: MAILCHIMP_DEFAULT_CONNECTIONS },
    retry: { initialIntervalMs: 2_000, maximumIntervalMs: 60_000, maximumAttempts: 10 },
    // Pages of 1000 full member records can take a while to render.
    timeouts: { requestMs: 60_000, startToCloseMs: 180_000, scheduleToCloseMs: 30 * 60_000 },
    pull: { defaultPageSize: 1000, maxPageSize: 1000, overlapMs: 60_000 },
  }),
  connectionBudget: (config) => {
    const n = typeof config.maxConnections === 'number' ? config.maxConnections : MAILCHIMP_DEFAULT_CONNECTIONS;
    return {
      concurrency: n,
      reason: `Mailchimp allows ${MAILCHIMP_MAX_CONNECTIONS} simultaneous connections per API key, shared with every other app using the key; this connection takes ${n} of them (maxConnections).`,
    };
  },
  notes: [
    `Mailchimp allows ${MAILCHIMP_MAX_CONNECTIONS} simultaneous connections per API key ("The Marketing API has a limit of 10 concurrent connections for your API key", https://mailchimp.com/developer/marketing/guides/run-async-requests-batch-endpoint/) and answers 429 beyond them. Each connection takes maxConnections of them (default ${MAILCHIMP_DEFAULT_CONNECTIONS}); keep the sum over the engine's connections on one key, plus the account's other integrations, at or below ${MAILCHIMP_MAX_CONNECTIONS}.`,
    'Requests time out on Mailchimp\'s side at 120 seconds (same guide); the request timeout here stays below that.',
    'testConnection reads the audience (GET /3.0/lists/{listId}): a wrong key fails unauthorized, a wrong audience id not_found naming the id.',
    'Archived or deleted members vanish from the list instead of emitting a change; incremental runs cannot see removals (use audience webhooks).',
    'Paging is offset-based; the cursor backs off when members leave the window mid-run, so a few members may be read twice (sinks upsert by id) but none is skipped.',
    'Only API keys are supported; OAuth tokens (whose data center comes from the metadata endpoint) are not.',
  ],
});

export type MailchimpConfig = ConfigOf<typeof mailchimp>;
