// Braze REST API, /users/track (CDP destination).
// Facts: https://www.braze.com/docs/api/endpoints/user_data/post_user_track/ ,
// https://www.braze.com/docs/api/api_limits/ , https://www.braze.com/docs/api/errors/ ,
// https://www.braze.com/docs/user_guide/administrative/access_braze/sdk_endpoints/
import { definePolicy } from '../../policies/types.js';
import { defineConnector, type ConfigOf } from '../define.js';
import { password, text } from '../fields.js';

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
  capabilities: { testConnection: 'api', send: true, pull: [], trigger: false },
  credentialCheck:
    'GET /events/list (Braze has no dedicated credential endpoint; this cheap read needs the events.list permission, and a key without it answers 401/403)',
  idempotency: {
    supported: false,
    note: 'Braze documents no dedup for /users/track: a retried request can record an event twice (attributes are last-write-wins). A duplicate is prevented by the send workflow\'s id, not by Braze.',
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
    'At most 75 attributes/events/purchases per request in total (75 per array on workspaces with legacy limits).',
    'Each object identifies its user by external_id, user_alias, braze_id, email or phone (the current /users/track page lists phone; an older text listed only the first four). A phone used alone must be E.164 (+15043277269); with both email and phone, Braze identifies by email.',
  ],
});

export type BrazeConfig = ConfigOf<typeof braze>;
