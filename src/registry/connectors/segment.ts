// Segment HTTP Tracking API (CDP destination).
// Facts: https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/ ,
// https://segment.com/docs/guides/regional-segment/
import { definePolicy } from '../../policies/types.js';
import { defineConnector, type ConfigOf } from '../define.js';
import { password, select } from '../fields.js';

export const SEGMENT_HOSTS = { us: 'https://api.segment.io/v1', eu: 'https://events.eu1.segmentapis.com/v1' } as const;

export const segment = defineConnector({
  id: 'segment',
  name: 'Segment',
  category: 'cdp_support',
  description: 'Sends track, identify and group calls to a Segment HTTP API source.',
  docsUrl: 'https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/',
  capabilities: { testConnection: 'offline', send: true, pull: [], trigger: false },
  credentialCheck:
    'none: the Tracking API answers 200 to nearly everything, even a wrong write key, so the config is validated offline; check the source\'s debugger after a test event.',
  idempotency: {
    supported: true,
    via: 'messageId',
    note: 'Segment deduplicates messages with the same messageId (commonly within 24 h); the engine sets it from the send\'s idempotency key.',
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
  policy: definePolicy({
    source: 'https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/',
    // Segment asks to stay below about 1,000 requests/s per workspace; half of it leaves room for the
    // workspace's other sources.
    rate: { requestsPerSecond: 500, concurrency: 50 },
    retry: { initialIntervalMs: 1_000, backoffCoefficient: 2, maximumIntervalMs: 60_000, maximumAttempts: 8 },
    timeouts: { requestMs: 10_000, startToCloseMs: 30_000, scheduleToCloseMs: 30 * 60_000 },
  }),
  notes: [
    'A 200 does not prove delivery: a bad write key or a missing userId/anonymousId is only visible in the source debugger.',
    'Events are limited to 32 KB, batches to 500 KB.',
    'EU workspaces must use the EU region.',
  ],
});

export type SegmentConfig = ConfigOf<typeof segment>;
