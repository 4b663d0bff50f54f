// Segment HTTP Tracking API (CDP destination).
// Facts: https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/ (source:
// github.com/segmentio/segment-docs, src/connections/sources/catalog/libraries/server/http-api/index.md),
// https://segment.com/docs/guides/regional-segment/
// - Sizes: "There is a maximum of 32KB per normal API request. The batch API endpoint accepts a maximum
//   of 500KB per request, with a limit of 32KB per event in the batch."
// - Batch count: "Each batch request can only have up to 2500 events ... Segment returns a 200 response
//   but rejects the event when the number of batched events exceeds the limit", so the count is
//   enforced here: Segment would not say.
// - Errors: "Segment returns a 200 response for all API requests except errors caused by large payloads
//   and JSON errors (which return 400 responses.)" A batch therefore succeeds or fails whole; there is
//   no per-event answer.
// - messageId: "ensure all events have unique messageId values with fewer than 100 characters".
import { definePolicy } from '../../policies/types.js';
import { defineConnector, type ConfigOf } from '../define.js';
import { password, select } from '../fields.js';

export const SEGMENT_HOSTS = { us: 'https://api.segment.io/v1', eu: 'https://events.eu1.segmentapis.com/v1' } as const;

/** POST /v1/batch: events per call, and bytes per call. */
export const SEGMENT_BATCH_MAX_ITEMS = 2_500;
// "500KB" taken as 500,000 bytes, the lower reading: a batch over it is only split earlier.
export const SEGMENT_BATCH_MAX_BYTES = 500_000;

export const segment = defineConnector({
  id: 'segment',
  name: 'Segment',
  category: 'cdp_support',
  description: 'Sends track, identify and group calls to a Segment HTTP API source.',
  docsUrl: 'https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/',
  capabilities: {
    testConnection: 'offline',
    send: true,
    pull: [],
    trigger: false,
    batch: { maxItems: SEGMENT_BATCH_MAX_ITEMS, maxBytes: SEGMENT_BATCH_MAX_BYTES, endpoint: 'POST /v1/batch' },
  },
  credentialCheck:
    'none: the Tracking API answers 200 to nearly everything, even a wrong write key, so the config is validated offline; check the source\'s debugger after a test event.',
  idempotency: {
    supported: true,
    via: 'messageId',
    note: 'Segment deduplicates messages with the same messageId (commonly within 24 h); the engine sets it from the send\'s idempotency key, and in a batch from each message\'s own key.',
  },
  authMethods: [
    {
      id: 'write_key',
      label: 'Write key',
      help: 'Connections → Sources → an HTTP API source → Settings → API Keys → Write Key.',
      connectionFields: {
        region: select({
          label: 'Workspace region',
          help: 'EU workspaces must send to events.eu1.segmentapis.com: EU data sent to the US host is accepted but never shows up.',
          required: false,
          default: 'us',
          options: [
            { value: 'us', label: 'US (api.segment.io)' },
            { value: 'eu', label: 'EU (events.eu1.segmentapis.com)' },
          ],
        }),
      },
      authFields: {
        writeKey: password({
          label: 'Write key',
          help: 'Sent as the Basic auth user name with an empty password.',
          required: true,
          validation: { minLength: 8 },
        }),
      },
    },
  ],
  rateScope: { by: 'source (write key)', fields: ['writeKey'], source: 'https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/' },
  policy: definePolicy({
    source: 'https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/',
    // Segment asks to stay below about 1,000 requests/s per workspace; half of it leaves room for the
    // workspace's other sources.
    rate: { requestsPerSecond: 500 },
    retry: { initialIntervalMs: 1_000, backoffCoefficient: 2, maximumIntervalMs: 60_000, maximumAttempts: 8 },
    timeouts: { requestMs: 10_000, startToCloseMs: 30_000, scheduleToCloseMs: 30 * 60_000 },
  }),
  notes: [
    'A 200 does not prove delivery: a bad write key or a missing userId/anonymousId is only visible in the source debugger.',
    'Events are limited to 32 KB each; a batch (POST /v1/batch) to 500 KB and 2,500 events. Segment answers a batch as a whole (200, or 400 for size and JSON errors), so a delivered batch reports every event received.',
    'messageId must be fewer than 100 characters; longer idempotency keys are sent as their sha256 hex.',
    'EU workspaces must use the EU region.',
  ],
});

export type SegmentConfig = ConfigOf<typeof segment>;
