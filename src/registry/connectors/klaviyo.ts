// Klaviyo Create Event, JSON:API (CDP destination).
// Facts: https://developers.klaviyo.com/en/reference/create_event ,
// https://developers.klaviyo.com/en/docs/rate_limits_and_error_handling ,
// https://developers.klaviyo.com/en/docs/api_versioning_and_deprecation_policy ,
// and the official OpenAPI spec https://github.com/klaviyo/openapi (openapi/stable/apis/create_event.json,
// revision 2026-07-15):
// - Paths carry no trailing slash: `/api/events`, `/api/accounts` (the spec's `paths`; some guide pages'
//   curl examples add one).
// - `time`: "The time must be after the year 1990 and can only be up to 1 year in the future." The
//   2026-04-15 spec still said "after the year 2000", and so does the older ingestion-limits table of
//   the rate-limits page ("Between 2000 and now+1 year"); the engine applies the current spec's 1990
//   whatever the pinned revision, and Klaviyo's own 400 (bad_request) covers a revision that is stricter.
// - `properties`: "must not exceed 400 properties. The size of the event payload must not exceed 5 MB,
//   and each string cannot be larger than 100 KB." The rate-limits page's older table says 300
//   properties and "100 kB" per field; the spec wins.
//
// No batch endpoint (no capabilities.batch, no executor.sendBatch), on purpose. Klaviyo has one: Bulk
// Create Events, POST /api/event-bulk-create-jobs (https://developers.klaviyo.com/en/reference/bulk_create_events ;
// klaviyo/openapi openapi/stable/apis/bulk_create_events.json, operationId bulk_create_events, read at
// revision 2026-04-15): "Accepts up to 1,000 events per request. The maximum allowed payload size is
// 5MB. A single string cannot exceed 100KB." Rate limits "Burst: 10/s, Steady: 150/m". But:
// - It creates a job and answers 202 with no body (the spec declares `"202": {"description": "Success"}`
//   and no content): no job id, no per-event outcome, and the stable spec has no operation that reads an
//   event bulk job back. A 202 says the request was accepted, not which events were recorded, so a
//   per-message result would be invented. Per-item results must be real (core/envelope.ts BatchItemResult).
// - Its unique_id is not create_event's de-duplication. Create Event: a repeated unique_id for the same
//   profile and metric keeps "only the first processed event". Bulk: "If a unique_id is repeated for the
//   same profile and metric, the request will fail and no events will be processed." Re-sending one event
//   that an earlier attempt already delivered (a retry after a timeout, a record sent again) would make the
//   whole job fail after its 202, losing the other events of the batch silently.
// Pipelines therefore call send (POST /api/events) once per record: a result per record, and unique_id
// de-duplication on every retry, at Create Event's own rate (burst 350/s, steady 3,500/min; see policy).
import { definePolicy } from '../../policies/types.js';
import { defineConnector, type ConfigOf } from '../define.js';
import { apiVersionField, password } from '../fields.js';
import type { ApiVersionSpec, VersionPolicy } from '../versions.js';

/**
 * A revision released on `released` is supported for two years: Klaviyo's changelog
 * (https://developers.klaviyo.com/en/changelog) says "Each revision is supported for 2 years after
 * its release" and gives, for example, 2024-06-15 "Date revision is no longer supported: 2026-06-15".
 * Stable for the first year, deprecated (still served) in the second; once retired a request "returns
 * 410 errors or silently falls forward" (Klaviyo's revision notes,
 * https://developers.klaviyo.com/.well-known/skills/klaviyo-migrate-oauth/references/revision-changes.md),
 * so the engine refuses it from that day rather than let events land under another revision.
 */
function revision(released: string, note?: string): ApiVersionSpec {
  const retiresOn = `${Number(released.slice(0, 4)) + 2}${released.slice(4)}`;
  return { version: released, released, retiresOn, ...(note ? { note } : {}) };
}

/**
 * Revisions from 2024-10-15 (the oldest the engine accepted before this list existed; retired, so a
 * connection still pinned to it is told why it is refused) to the newest in Klaviyo's changelog.
 * Current = the newest revision of the klaviyo/openapi stable spec, the one the create_event body is
 * built and tested against (shared/specs/klaviyo.events-create.schema.json). 2026-10-15 is in the
 * changelog ("Revision 2026-10-15 (GA)") but its spec was not available to test against, so it is
 * offered, not defaulted.
 */
export const KLAVIYO_REVISIONS: VersionPolicy = {
  field: 'revision',
  label: 'revision',
  current: '2026-07-15',
  rule: 'Klaviyo supports each revision for 2 years after its release (deprecated in the second year); a retired revision answers 410 or falls forward to another one.',
  source: 'https://developers.klaviyo.com/en/docs/api_versioning_and_deprecation_policy',
  versions: [
    revision('2026-10-15', 'newer than the stable spec this connector is tested against'),
    revision('2026-07-15'),
    revision('2026-04-15'),
    revision('2026-01-15'),
    revision('2025-10-15'),
    revision('2025-07-15'),
    revision('2025-04-15'),
    revision('2025-01-15'),
    revision('2024-10-15'),
  ],
};

/** The revision of the official create_event schema this connector is built and tested against. */
export const KLAVIYO_DEFAULT_REVISION = KLAVIYO_REVISIONS.current;

/** Create Event limits of the current stable spec (see the header). */
export const KLAVIYO_EVENT_LIMITS = {
  /** `time` must be after this instant (the start of 1990). */
  earliestTimeMs: Date.UTC(1990, 0, 1),
  /** …and at most this far ahead of now. */
  maxFutureMs: 365 * 24 * 3600 * 1000,
  maxProperties: 400,
  // "5 MB" and "100 KB" read as decimal units: the lower of the two readings, so nothing the engine
  // sends can be over Klaviyo's limit under either.
  maxPayloadBytes: 5_000_000,
  maxStringBytes: 100_000,
} as const;

export const klaviyo = defineConnector({
  id: 'klaviyo',
  name: 'Klaviyo',
  category: 'cdp_support',
  description: 'Creates Klaviyo events (metric + profile) through the JSON:API events endpoint.',
  docsUrl: 'https://developers.klaviyo.com/en/reference/create_event',
  capabilities: { testConnection: 'api', send: true, pull: [], trigger: false },
  credentialCheck: 'GET /api/accounts (requires the accounts:read scope)',
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
        revision: apiVersionField('Klaviyo', KLAVIYO_REVISIONS, {
          help: 'Sent as the revision header. Pin one and upgrade deliberately.',
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
  apiVersion: KLAVIYO_REVISIONS,
  rateScope: { by: 'account (private API key)', fields: ['privateApiKey'], source: 'https://developers.klaviyo.com/en/docs/rate_limits_and_error_handling' },
  policy: definePolicy({
    source: 'https://developers.klaviyo.com/en/docs/rate_limits_and_error_handling',
    // Create Event: burst 350/s, steady 3,500/min (about 58/s) per account for private keys. The steady
    // figure is what a long send sustains.
    rate: { requestsPerSecond: 50 },
    retry: { initialIntervalMs: 1_000, backoffCoefficient: 2, maximumIntervalMs: 60_000, maximumAttempts: 8 },
    timeouts: { requestMs: 15_000, startToCloseMs: 45_000, scheduleToCloseMs: 30 * 60_000 },
  }),
  notes: [
    '202 with an empty body means validated and queued, not processed.',
    'Event time must be after the year 1990 (revision 2026-07-15; older revisions\' specs say 2000) and at most one year ahead; event properties are limited to 400, each string to 100 KB and the payload to 5 MB. The engine refuses a message over these limits before sending, naming the field.',
    'Each revision is supported for two years after its release; the engine refuses a retired revision and warns 60 days before.',
  ],
});

export type KlaviyoConfig = ConfigOf<typeof klaviyo>;
