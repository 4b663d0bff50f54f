// Fivetran REST API: trigger a connection sync and follow it (reverse-ETL / data movement).
// Facts: https://fivetran.com/docs/rest-api/api-reference/connections/sync-connection ,
// https://fivetran.com/docs/rest-api/rate-limiting ,
// https://fivetran.com/docs/rest-api/tutorials/run-manual-sync-and-poll-for-completion
import { definePolicy } from '../../policies/types.js';
import { defineConnector, type ConfigOf } from '../define.js';
import { password, select, text } from '../fields.js';

export const fivetran = defineConnector({
  id: 'fivetran',
  name: 'Fivetran',
  category: 'reverse_etl',
  description: 'Triggers a Fivetran connection sync and follows it until it succeeds or fails.',
  docsUrl: 'https://fivetran.com/docs/rest-api/api-reference/connections/sync-connection',
  capabilities: { testConnection: 'api', send: false, pull: [], trigger: true },
  credentialCheck: 'GET /v1/account/info (not in the official reference; GET /v1/groups?limit=1 is the documented fallback)',
  idempotency: {
    supported: false,
    note: 'Fivetran has no idempotency key. A non-forced trigger while the connection is syncing does not start a second run, so repeating it is harmless; a forced one restarts the sync.',
  },
  authMethods: [
    {
      id: 'api_key',
      label: 'API key and secret',
      help: 'Fivetran dashboard → your user (or a system key in Settings → API config) → API key; the secret is shown once.',
      connectionFields: {
        connectionId: text({
          label: 'Connection ID',
          help: 'The connection\'s ID: Connections → the connection → Setup tab → Fivetran Connection ID (e.g. decent_dropsy).',
          required: true,
          placeholder: 'decent_dropsy',
          validation: { pattern: '[A-Za-z0-9_]+', patternDescription: 'a connection ID of letters, digits and underscores' },
        }),
        force: select({
          label: 'Force',
          help: 'true stops a running sync and restarts it; false starts a sync only if the connection is idle.',
          required: false,
          default: 'false',
          options: [
            { value: 'false', label: 'No: start only when idle' },
            { value: 'true', label: 'Yes: restart a running sync' },
          ],
        }),
        apiPath: select({
          label: 'API resource name',
          help: 'Fivetran renamed connectors to connections; keep "connectors" only for older setups that still use /v1/connectors/….',
          required: false,
          default: 'connections',
          options: [
            { value: 'connections', label: '/v1/connections (current)' },
            { value: 'connectors', label: '/v1/connectors (legacy)' },
          ],
        }),
      },
      authFields: {
        apiKey: password({
          label: 'API key',
          help: 'User name of the Basic credential. Treated as a secret because it is half of it.',
          required: true,
          validation: { minLength: 8 },
        }),
        apiSecret: password({
          label: 'API secret',
          help: 'Shown once when the key is generated.',
          required: true,
          validation: { minLength: 8 },
        }),
      },
    },
  ],
  policy: definePolicy({
    source: 'https://fivetran.com/docs/rest-api/rate-limiting',
    // Account-wide rolling limits: 20,000 requests/h overall (500/h on trials) and 5,000/h (500/min) for
    // source-interaction calls. Every trigger and every status poll is one activity (one request), so
    // activity starts are kept at 1/s: 3,600/h at most, well inside 20,000/h.
    rate: { requestsPerSecond: 1, concurrency: 5 },
    retry: { initialIntervalMs: 5_000, backoffCoefficient: 2, maximumIntervalMs: 5 * 60_000, maximumAttempts: 8 },
    // Trigger and status are single short requests: the workflow polls syncStatus with durable timers
    // between activities, so no activity outlives one call (plus its retries) and none heartbeats.
    // startToClose covers one attempt with room for a slow answer; scheduleToClose caps the retries.
    timeouts: { requestMs: 30_000, startToCloseMs: 2 * 60_000, scheduleToCloseMs: 30 * 60_000 },
  }),
  notes: [
    'Completion is read from GET /v1/connections/{id}: succeeded_at / failed_at moving past the trigger time.',
    'Set the connection\'s schedule to manual (schedule_type) if only the pipeline should start it.',
    'Trial accounts are limited to 500 requests/h.',
  ],
});

export type FivetranConfig = ConfigOf<typeof fivetran>;
