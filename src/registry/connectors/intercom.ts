// Intercom REST API: data events and contacts (CDP / support destination).
// Facts: https://developers.intercom.com/docs/references/rest-api/api.intercom.io/data-events/createdataevent ,
// https://developers.intercom.com/docs/references/rest-api/errors/rate-limiting ,
// https://developers.intercom.com/docs/build-an-integration/learn-more/rest-apis/api-changelog ,
// https://github.com/intercom/Intercom-OpenAPI (descriptions/2.16/api.intercom.io.yaml)
import { definePolicy } from '../../policies/types.js';
import { defineConnector, type ConfigOf } from '../define.js';
import { apiVersionField, password, select } from '../fields.js';
import type { VersionPolicy } from '../versions.js';

export const INTERCOM_HOSTS = {
  us: 'https://api.intercom.io',
  eu: 'https://api.eu.intercom.io',
  au: 'https://api.au.intercom.io',
} as const;

/**
 * createDataEvent, "Metadata behaviour": "We currently limit the number of tracked metadata keys to
 * 10 per event. Once the quota is reached, we ignore any further keys we receive." (the same text in
 * Intercom-OpenAPI 2.14, 2.15 and 2.16). Intercom's help centre article "Set up event tracking"
 * says "up to twenty pieces of metadata"; the API reference's lower figure is the one enforced, so
 * that no key is ever dropped silently.
 */
export const INTERCOM_MAX_METADATA_KEYS = 10;

/**
 * Intercom-Version values. The official spec (intercom/Intercom-OpenAPI, descriptions/2.16) lists
 * 1.0 … 2.16 in its `intercom_version` enum with 2.16 as the default, and its README says "Supported
 * API versions: 2.7 and higher". Release dates are from the API changelog page; 2.15 and 2.16 are
 * in the spec but not yet in the changelog table read here. developers.intercom.com also serves
 * reference pages under /docs/references/2.17/, but 2.17 is in no official spec or changelog entry
 * found, so it is not offered. Intercom publishes no end-of-support dates.
 */
export const INTERCOM_VERSIONS: VersionPolicy = {
  field: 'apiVersion',
  label: 'API version',
  current: '2.16',
  rule: 'Intercom publishes no end-of-support dates for its API versions (the official OpenAPI repository lists 2.7 and higher as supported); a new version is chosen deliberately, not by date.',
  source: 'https://github.com/intercom/Intercom-OpenAPI',
  // Unstable comes first: it runs ahead of the newest numbered version.
  versions: [
    { version: 'Unstable', note: 'changes without notice; not for production' },
    { version: '2.16' },
    { version: '2.15' },
    { version: '2.14', released: '2025-08-15' },
    { version: '2.13', released: '2024-03-13' },
    { version: '2.12', released: '2024-01-07' },
    { version: '2.11', released: '2024-05-03' },
    { version: '2.10', released: '2023-09-14' },
    { version: '2.9', released: '2023-01-24' },
    { version: '2.8', released: '2023-01-24' },
    { version: '2.7', released: '2022-12-07' },
  ],
};

export const intercom = defineConnector({
  id: 'intercom',
  name: 'Intercom',
  category: 'cdp_support',
  description: 'Submits data events and upserts contacts in an Intercom workspace.',
  docsUrl: 'https://developers.intercom.com/docs/references/rest-api/api.intercom.io/data-events/createdataevent',
  capabilities: { testConnection: 'api', send: true, pull: [], trigger: false },
  credentialCheck: 'GET /me (the admin the token belongs to)',
  idempotency: {
    supported: false,
    // createDataEvent: "The API may detect and ignore duplicate events. Each event is uniquely
    // identified as a combination of ... the Workspace identifier, the Contact external identifier,
    // the Data Event name and the Data Event created time." "May" is not a promise, so this stays
    // unsupported; created_at is kept stable across retries so that the de-duplication can work.
    note: 'Intercom has no idempotency header. It "may detect and ignore duplicate events", identified by workspace, contact, event name and created_at (not metadata); the engine keeps created_at the same on every retry of a send and on a new attempt under its idempotency key (the time of its first attempt), and a pipeline dates each record version by its change time, so that a repeated event matches. Contacts are not de-duplicated: a second create answers 409.',
  },
  authMethods: [
    {
      id: 'access_token',
      label: 'Access token',
      help: 'Developer Hub → your app → Configure → Authentication → Access token (or an OAuth token of a public app).',
      connectionFields: {
        region: select({
          label: 'Workspace region',
          help: 'Where the workspace is hosted (Settings → Workspace → General): each region has its own API host.',
          required: false,
          default: 'us',
          options: [
            { value: 'us', label: 'US (api.intercom.io)' },
            { value: 'eu', label: 'Europe (api.eu.intercom.io)' },
            { value: 'au', label: 'Australia (api.au.intercom.io)' },
          ],
        }),
        apiVersion: apiVersionField('Intercom', INTERCOM_VERSIONS, {
          help: 'Sent as the Intercom-Version header on every request (without it Intercom would use the version set on the app).',
        }),
      },
      authFields: {
        accessToken: password({
          label: 'Access token',
          help: 'Sent as a Bearer token. Needs the permissions for the data you send (e.g. write events, write users).',
          required: true,
          validation: { minLength: 10 },
        }),
      },
    },
  ],
  apiVersion: INTERCOM_VERSIONS,
  rateScope: { by: 'app in a workspace (access token)', fields: ['accessToken'], source: 'https://developers.intercom.com/docs/references/rest-api/errors/rate-limiting' },
  policy: definePolicy({
    source: 'https://developers.intercom.com/docs/references/rest-api/errors/rate-limiting',
    // 10,000 calls/min per app (about 166/s), enforced in 10-second windows, and 25,000/min per
    // workspace shared with every other app: 100/s leaves room for the rest.
    rate: { requestsPerSecond: 100 },
    retry: { initialIntervalMs: 1_000, backoffCoefficient: 2, maximumIntervalMs: 60_000, maximumAttempts: 8 },
    timeouts: { requestMs: 15_000, startToCloseMs: 45_000, scheduleToCloseMs: 30 * 60_000 },
  }),
  notes: [
    'POST /events answers 202 with an empty body: accepted, not yet visible on the contact.',
    'EU and Australian workspaces must use their regional host; tokens do not work across regions.',
    'Creating a contact that exists answers 409: search for it and update it instead.',
    `An event carries at most ${INTERCOM_MAX_METADATA_KEYS} metadata keys: Intercom ignores further keys ("Once the quota is reached, we ignore any further keys we receive"), so a message with more is refused before sending.`,
    'created_at defaults to the time the send was first scheduled (the same on every retry), so that Intercom\'s de-duplication on workspace, contact, event name and created_at recognises a retried event; pass createdAt to choose it yourself.',
  ],
});

export type IntercomConfig = ConfigOf<typeof intercom>;
