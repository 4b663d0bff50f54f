// Braze REST API, /users/track (CDP destination).
// Facts: https://www.braze.com/docs/api/endpoints/user_data/post_user_track/ ,
// https://www.braze.com/docs/api/api_limits/ , https://www.braze.com/docs/api/errors/ ,
// https://www.braze.com/docs/user_guide/administrative/access_braze/sdk_endpoints/
//
// Objects per /users/track request (attributes, events and purchases together) depend on the account,
// and the pages disagree with each other:
// - https://www.braze.com/docs/api/api_limits/ , current editions (read in /docs/ja/ and /docs/de/,
//   translated here): up to 75 objects in total, combined across attributes, events and purchases, per
//   API request; customers with legacy rate limits may send up to 75 objects per array independently.
//   (The English edition read, and the /users/track page's rate-limit section, still say "75 events, 75
//   purchases, and 75 attributes per API request".)
// - https://www.braze.com/docs/api/endpoints/user_data/post_user_track/ , "Monthly Active Users CY 24-25":
//   "Each request may batch up to 50 updates combined across attribute, event, or purchase objects."
// - https://www.braze.com/docs/api/endpoints/user_data/post_user_track_bulk/ : "The /users/track endpoint
//   request object limits vary by pricing model and configuration."
// send keeps one caller's message to 75 objects in total (the default; Braze's own 400 covers an
// account whose limit is lower). A batch is the engine's own combination of messages, so it must fit
// every account: at most 50 objects per request.
//
// Batches (sendBatch): one request carries several messages' objects. Each message in a batch may carry
// at most BRAZE_BATCH_OBJECTS_PER_MESSAGE objects (one attribute update, one event and one purchase, say);
// so BRAZE_BATCH_MAX_ITEMS messages always fit in 50 objects, whatever each carries. A message with more
// fails on its own (send it with send); a batch with more messages is refused whole before sending.
// Per-object failures: "If your message is successful but has non-fatal errors, such as one invalid event
// object out of a long list of events ... For success messages, any data not affected by an error in the
// errors array will still be processed" (post_user_track, "Responses"). The reference pages show a minor
// error only as <minor error message>; Braze's recorded answers carry it as {"type", "input_array",
// "index"}, naming the array and position of the rejected object (e.g. {"type":"'price' is not valid",
// "input_array":"purchases","index":0} from rest.iad-03.braze.com, as the existing send already parses).
// The executor maps each to the message that contributed that object; an error that names no object of
// the request makes the per-message outcome unknown, and the call is reported as such (invalid_response,
// ambiguous), never guessed. Fatal errors (400, 401, 403, 404, 429, 5xx) fail the whole call:
// https://www.braze.com/docs/api/errors/#fatal-errors .
// Rate-limit headers: "X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset (the time at which the
// current rate limit window resets in UTC epoch seconds)" (api_limits, "Monitoring your rate limits");
// Braze documents no Retry-After, so a 429 waits until X-RateLimit-Reset.
// Duplicates: "each event ingested into Braze has its own event ID, so 'duplicate' events are treated as
// separate, unique events" (post_user_track, FAQ "How does /users/track handle duplicate events?").
import { definePolicy } from '../../policies/types.js';
import { defineConnector, type ConfigOf } from '../define.js';
import { password, text } from '../fields.js';

/** Objects one /users/track request carries at most on every kind of account (see the header). */
export const BRAZE_BATCH_MAX_OBJECTS = 50;
/** Objects (attributes, events and purchases together) one message may carry in a batch. */
export const BRAZE_BATCH_OBJECTS_PER_MESSAGE = 3;
/** Messages per batch: as many as always fit, each at its maximum. */
export const BRAZE_BATCH_MAX_ITEMS = Math.floor(BRAZE_BATCH_MAX_OBJECTS / BRAZE_BATCH_OBJECTS_PER_MESSAGE);

/** REST hosts of every Braze instance: rest.<instance>.braze.com, and .braze.eu for EU-01/02. */
export const BRAZE_REST_HOST_PATTERN = 'rest\\.[a-z0-9-]+\\.braze\\.(com|eu)';

/** Keeps the origin of a pasted REST endpoint: lower case, no trailing slash. */
export function normalizeBrazeEndpoint(value: string): string {
  return value.trim().toLowerCase().replace(/\/+$/, '');
}

export const braze = defineConnector({
  id: 'braze',
  name: 'Braze',
  category: 'cdp_support',
  description: 'Records custom events, attributes and purchases on Braze user profiles through /users/track.',
  docsUrl: 'https://www.braze.com/docs/api/endpoints/user_data/post_user_track/',
  capabilities: {
    testConnection: 'api',
    send: true,
    pull: [],
    trigger: false,
    // Braze documents no byte limit for /users/track (the 2 MB of /users/track/bulk is another endpoint).
    batch: { maxItems: BRAZE_BATCH_MAX_ITEMS, endpoint: 'POST /users/track' },
  },
  credentialCheck:
    'GET /events/list (Braze has no dedicated credential endpoint; this cheap read needs the events.list permission, and a key without it answers 401/403)',
  idempotency: {
    supported: false,
    note: 'Braze documents no dedup for /users/track ("duplicate" events are treated as separate, unique events): a retried request can record an event twice (attributes are last-write-wins). A duplicate is prevented by the send workflow\'s id, not by Braze. A batch is one request: retrying it after an ambiguous failure records the events of every message in it again, not only those of the failed ones.',
  },
  authMethods: [
    {
      id: 'api_key',
      label: 'REST API key',
      help: 'Settings → APIs and Identifiers → Create API key, with the users.track permission (and events.list for the connection test).',
      connectionFields: {
        restEndpoint: text({
          label: 'REST endpoint',
          help: 'Your instance\'s REST endpoint from Braze\'s API instance table, e.g. https://rest.iad-01.braze.com or https://rest.fra-01.braze.eu; it matches the dashboard you log in to. Do not guess it.',
          required: true,
          placeholder: 'https://rest.iad-01.braze.com',
          normalize: normalizeBrazeEndpoint,
          validation: {
            pattern: `https://${BRAZE_REST_HOST_PATTERN}`,
            patternDescription: 'a Braze REST endpoint such as https://rest.iad-01.braze.com (no path)',
            url: { hostPatterns: [BRAZE_REST_HOST_PATTERN] },
          },
          check: (v) => (/^https:\/\/dashboard[^/]*\.braze\./.test(v) ? 'is the dashboard URL; use the REST endpoint (https://rest.<instance>.braze.com)' : null),
        }),
      },
      authFields: {
        apiKey: password({
          label: 'REST API key',
          help: 'Sent as a Bearer token. If the key has an IP allowlist, the workers\' addresses must be on it.',
          required: true,
          validation: { minLength: 16 },
        }),
      },
    },
  ],
  rateScope: { by: 'workspace (REST API key on its instance)', fields: ['restEndpoint', 'apiKey'], source: 'https://www.braze.com/docs/api/api_limits/' },
  policy: definePolicy({
    source: 'https://www.braze.com/docs/api/api_limits/',
    // /users/track allows 3,000 requests per 3 s (1,000/s) per workspace, shared with every other
    // integration of the workspace: half of it, each request carrying up to 75 objects.
    rate: { requestsPerSecond: 500 },
    retry: { initialIntervalMs: 1_000, backoffCoefficient: 2, maximumIntervalMs: 60_000, maximumAttempts: 8 },
    timeouts: { requestMs: 15_000, startToCloseMs: 45_000, scheduleToCloseMs: 30 * 60_000 },
  }),
  notes: [
    'A 2xx means queued; a 201 can still carry non-fatal "errors" for some objects while the rest are applied.',
    'EU instances use .braze.eu hosts (rest.fra-01.braze.eu), not .braze.com.',
    'At most 75 attributes/events/purchases per request in total (75 per array on workspaces with legacy limits; 50 in total on Monthly Active Users CY 24-25 contracts, where a send over 50 gets Braze\'s 400).',
    `A batch (sendBatch) combines up to ${BRAZE_BATCH_MAX_ITEMS} messages of at most ${BRAZE_BATCH_OBJECTS_PER_MESSAGE} objects each into one /users/track request (${BRAZE_BATCH_MAX_OBJECTS} objects, within every account\'s limit); a message that failed is named by Braze\'s non-fatal errors, the rest of the batch is applied.`,
    'Each object identifies its user by external_id, user_alias, braze_id, email or phone (the current /users/track page lists phone; an older text listed only the first four). A phone used alone must be E.164 (+15043277269); with both email and phone, Braze identifies by email.',
  ],
});

export type BrazeConfig = ConfigOf<typeof braze>;
