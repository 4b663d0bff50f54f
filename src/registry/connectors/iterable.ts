// Iterable Events API (CDP destination).
// Facts: https://support.iterable.com/hc/en-us/articles/41044692130196-Getting-Started-with-Iterable-s-API ,
// https://api.iterable.com/api/docs , and Iterable's Swagger 2.0 file behind that page, kept in Iterable's
// own client repo: https://github.com/Iterable/api-client/blob/main/api-docs.json
//
// Rate limits are per endpoint and per project; that Swagger file gives each one in the operation's
// description:
// - POST /api/events/track (what send calls): "Rate limit: 2000 requests/second, per project."
// - POST /api/events/trackBulk (what sendBatch calls): "Rate limit: 10 requests/second, per project."
// - GET /api/channels (testConnection): "Rate limit: 100 requests/second, per project."
//
// POST /api/events/trackBulk (same Swagger file, operation trackBulk):
// - Body BulkTrackRequest {"events": [TrackRequest]}: each event is what track takes, `id` included
//   ("Optional event id. If an event exists with that id, the event will be updated ... cannot be longer
//   than 512 bytes"), so each message keeps its own de-duplicating id in a batch.
// - "Events are created asynchronously and processed separately from single event (non-bulk) endpoint.
//   To make sure events are tracked in order, send them all to the same endpoint (either bulk or
//   non-bulk)." A connection should use send or sendBatch for a stream of events, not both.
// - Answer BulkTrackResponse: successCount and failCount ("Number of events that could not be updated.
//   See failedUpdates for more details.") are required; failedUpdates (FailedEventUpdates) lists the
//   identifiers whose events failed: invalidEmails ("Malformed email addresses"), invalidUserIds
//   ("Malformed userId values"), notFoundEmails, notFoundUserIds ("... values that were not found"),
//   forgottenEmails, forgottenUserIds ("users that were not updated because they've been GDPR
//   forgotten"); disallowedEventNames; top-level invalidEmails / invalidUserIds are deprecated copies.
//   There is no per-event entry: a failure is reported by identifier (or event name), so the executor maps
//   it to every message with that identifier, and trusts the mapping only when it accounts for exactly
//   failCount events and successCount + failCount is the number sent.
// - Size: the API reference gives no maximum number of events or bytes per call (only the BatchTooLarge
//   error code). In segmentio/action-destinations#2343 (review of Iterable's bulk integration) the
//   reviewer for Iterable writes "There is no fixed limit on the number of records per request, but the
//   maximum request size is 4MB." The engine caps a batch at 1,000 events and 4,000,000 bytes (the lower
//   reading of 4 MB); a BatchTooLarge answer is payload_too_large.
// - Rate: the connector's policy is per connection, not per endpoint, and runs at track's 2,000/s.
//   trackBulk's 10/s is declared apart (capabilities.batch.requestsPerSecond), so pipelines' batches
//   are not sent at track's rate: they go to a task queue of their own (batchTaskQueue,
//   src/temporal/task-queues.ts) that the worker keeps under 10/s (src/temporal/worker.ts). Other
//   integrations of the project share that 10/s; beyond it Iterable answers 429 (rate_limited, retried).
import { definePolicy } from '../../policies/types.js';
import { defineConnector, type ConfigOf } from '../define.js';
import { password, select } from '../fields.js';

export const ITERABLE_HOSTS = { us: 'https://api.iterable.com', eu: 'https://api.eu.iterable.com' } as const;

/** Documented requests per second per project, by endpoint (api-docs.json, see the header). */
export const ITERABLE_RATE_LIMITS = {
  '/api/events/track': 2_000,
  '/api/events/trackBulk': 10,
  '/api/channels': 100,
} as const;

const ITERABLE_SWAGGER = 'https://github.com/Iterable/api-client/blob/main/api-docs.json';

/** POST /api/events/trackBulk: events per call (the engine's cap; Iterable publishes none, see the header). */
export const ITERABLE_BULK_MAX_EVENTS = 1_000;
/** …and bytes per call ("the maximum request size is 4MB", read as 4,000,000). */
export const ITERABLE_BULK_MAX_BYTES = 4_000_000;

export const iterable = defineConnector({
  id: 'iterable',
  name: 'Iterable',
  category: 'cdp_support',
  description: 'Tracks custom events on Iterable user profiles, by email or userId.',
  docsUrl: 'https://api.iterable.com/api/docs',
  capabilities: {
    testConnection: 'api',
    send: true,
    pull: [],
    trigger: false,
    batch: { maxItems: ITERABLE_BULK_MAX_EVENTS, maxBytes: ITERABLE_BULK_MAX_BYTES, endpoint: 'POST /api/events/trackBulk', requestsPerSecond: ITERABLE_RATE_LIMITS['/api/events/trackBulk'] },
  },
  credentialCheck: 'GET /api/channels (a cheap read the key may call; Iterable has no documented whoami)',
  idempotency: {
    supported: true,
    via: 'event id',
    note: 'An event sent with an id that already exists updates that event instead of adding one; the engine sends a deterministic id, and in a batch (trackBulk) each event carries its own message\'s id, so a retried batch updates its events instead of adding them again.',
  },
  authMethods: [
    {
      id: 'api_key',
      label: 'API key',
      help: 'Integrations → API Keys → New API key, of a server-side type. A key belongs to one project and one data center.',
      connectionFields: {
        dataCenter: select({
          label: 'Data center',
          help: 'The data center of the project: EU projects (app.eu.iterable.com) use api.eu.iterable.com.',
          required: false,
          default: 'us',
          options: [
            { value: 'us', label: 'US (api.iterable.com)' },
            { value: 'eu', label: 'EU (api.eu.iterable.com)' },
          ],
        }),
        identifyBy: select({
          label: 'Identify users by',
          help: 'The project\'s identity mode (Settings → Project settings): email-based projects need email, userID-based projects need userId.',
          required: false,
          default: 'email',
          options: [
            { value: 'email', label: 'Email' },
            { value: 'userId', label: 'User ID' },
          ],
        }),
      },
      authFields: {
        apiKey: password({
          label: 'API key',
          help: 'Sent as the Api-Key header. JWT-enabled keys are not supported.',
          required: true,
          validation: { minLength: 16 },
        }),
      },
    },
  ],
  rateScope: { by: 'project (API key)', fields: ['apiKey'], source: ITERABLE_SWAGGER },
  policy: definePolicy({
    source: ITERABLE_SWAGGER,
    // Every send is one POST /api/events/track, so its own per-project limit is the budget. The
    // connection check's /api/channels limit (100/s) does not bind: it is one call per check.
    // Concurrency per worker is raised with the rate: at 5 in flight and ~100 ms per call a worker
    // could not pass ~50/s, far from the limit; several workers share the 2,000/s server-side.
    rate: { requestsPerSecond: ITERABLE_RATE_LIMITS['/api/events/track'] },
    retry: { initialIntervalMs: 1_000, backoffCoefficient: 2, maximumIntervalMs: 60_000, maximumAttempts: 8 },
    timeouts: { requestMs: 15_000, startToCloseMs: 45_000, scheduleToCloseMs: 30 * 60_000 },
  }),
  notes: [
    'A key works only against its own data center; EU keys fail with BadApiKey on the US host.',
    'Errors come in a 200-style envelope {"msg","code","params"}; branch on code (BadApiKey, BadParams, RateLimitExceeded).',
    `Rate limits are per endpoint and per project (${ITERABLE_SWAGGER}): /api/events/track 2,000 req/s (what sends use, and the policy), /api/events/trackBulk 10 req/s (pipelines' batches go to a queue of their own held to it), /api/channels 100 req/s (the connection test). The 2,000/s is shared with every other integration of the project.`,
    `A batch (sendBatch, POST /api/events/trackBulk) carries up to ${ITERABLE_BULK_MAX_EVENTS.toLocaleString('en-US')} events and ${ITERABLE_BULK_MAX_BYTES.toLocaleString('en-US')} bytes. Iterable reports failures by email or userId (malformed, not found, GDPR-forgotten) and by disallowed event name, so every message with a failed identifier fails. Bulk events are processed separately from track: keep one endpoint per stream of events, or their order is lost.`,
  ],
});

export type IterableConfig = ConfigOf<typeof iterable>;
