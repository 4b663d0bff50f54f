// Iterable Events API (CDP destination).
// Facts: https://support.iterable.com/hc/en-us/articles/41044692130196-Getting-Started-with-Iterable-s-API ,
// https://api.iterable.com/api/docs
import { definePolicy } from '../../policies/types.js';
import { defineConnector, type ConfigOf } from '../define.js';
import { password, select } from '../fields.js';

export const ITERABLE_HOSTS = { us: 'https://api.iterable.com', eu: 'https://api.eu.iterable.com' } as const;

export const iterable = defineConnector({
  id: 'iterable',
  name: 'Iterable',
  category: 'cdp_support',
  description: 'Tracks custom events on Iterable user profiles, by email or userId.',
  docsUrl: 'https://api.iterable.com/api/docs',
  capabilities: { testConnection: 'api', send: true, pull: [], trigger: false },
  credentialCheck: 'GET /api/channels (a cheap read the key may call; Iterable has no documented whoami)',
  idempotency: {
    supported: true,
    via: 'event id',
    note: 'An event sent with an id that already exists updates that event instead of adding one; the engine sends a deterministic id.',
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
  policy: definePolicy({
    source: 'https://support.iterable.com/hc/en-us/articles/41044692130196-Getting-Started-with-Iterable-s-API',
    // Limits are per endpoint and project; trackBulk is about 10 req/s and the figure for single
    // track is not published, so the lower documented figure is used.
    rate: { requestsPerSecond: 10, concurrency: 5 },
    retry: { initialIntervalMs: 1_000, backoffCoefficient: 2, maximumIntervalMs: 60_000, maximumAttempts: 8 },
    timeouts: { requestMs: 15_000, startToCloseMs: 45_000, scheduleToCloseMs: 30 * 60_000 },
  }),
  notes: [
    'A key works only against its own data center; EU keys fail with BadApiKey on the US host.',
    'Errors come in a 200-style envelope {"msg","code","params"}; branch on code (BadApiKey, BadParams, RateLimitExceeded).',
  ],
});

export type IterableConfig = ConfigOf<typeof iterable>;
