// Intercom REST API: data events and contacts (CDP / support destination).
// Facts: https://developers.intercom.com/docs/references/rest-api/api.intercom.io/data-events/createdataevent ,
// https://developers.intercom.com/docs/references/rest-api/errors/rate-limiting ,
// https://developers.intercom.com/building-apps/docs/api-changelog
import { definePolicy } from '../../policies/types.js';
import { defineConnector, type ConfigOf } from '../define.js';
import { password, select, text } from '../fields.js';

export const INTERCOM_HOSTS = {
  us: 'https://api.intercom.io',
  eu: 'https://api.eu.intercom.io',
  au: 'https://api.au.intercom.io',
} as const;

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
    note: 'Intercom has no idempotency header and does not promise to dedupe events; a duplicate is prevented by the send workflow\'s id, not by Intercom.',
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
        apiVersion: text({
          label: 'API version',
          help: 'Sent as the Intercom-Version header; without it Intercom uses the version set on the app. 2.14 was released 2025-08-15.',
          required: false,
          default: '2.14',
          validation: { pattern: '\\d+\\.\\d+|Unstable', patternDescription: 'a version such as 2.14 (or Unstable)' },
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
  policy: definePolicy({
    source: 'https://developers.intercom.com/docs/references/rest-api/errors/rate-limiting',
    // 10,000 calls/min per app (about 166/s), enforced in 10-second windows, and 25,000/min per
    // workspace shared with every other app: 100/s leaves room for the rest.
    rate: { requestsPerSecond: 100, concurrency: 20 },
    retry: { initialIntervalMs: 1_000, backoffCoefficient: 2, maximumIntervalMs: 60_000, maximumAttempts: 8 },
    timeouts: { requestMs: 15_000, startToCloseMs: 45_000, scheduleToCloseMs: 30 * 60_000 },
  }),
  notes: [
    'POST /events answers 202 with an empty body: accepted, not yet visible on the contact.',
    'EU and Australian workspaces must use their regional host; tokens do not work across regions.',
    'Creating a contact that exists answers 409: search for it and update it instead.',
  ],
});

export type IntercomConfig = ConfigOf<typeof intercom>;
