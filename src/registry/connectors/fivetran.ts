// Fivetran REST API: trigger a connection sync and follow it (reverse-ETL / data movement).
// Facts: https://fivetran.com/docs/rest-api/api-reference/connections/sync-connection ,
// https://fivetran.com/docs/rest-api/rate-limiting ,
// https://fivetran.com/docs/rest-api/tutorials/run-manual-sync-and-poll-for-completion ,
// https://fivetran.com/docs/rest-api/api-reference/account/get-account-info : "GET
// https://api.fivetran.com/v1/account/info", 200 {code, message, data: {account_id, account_name,
// user_id, system_key_id}}. The newer resource page
// (https://fivetran.com/docs/developer-resources/rest-api/api-reference/account) writes the same
// operation as "GET /v1/account", but Fivetran's OpenAPI definition (fivetran/fivetran-mcp,
// open-api-definitions/account/get_account_info.json) and its Go SDK (fivetran/go-fivetran,
// account/account_info.go) both define the path as /v1/account/info, so that is what is called.
import { definePolicy } from '../../policies/types.js';
import { defineConnector, type ConfigOf, type ConnectionBudget } from '../define.js';
import { password, select, text } from '../fields.js';

/**
 * https://fivetran.com/docs/rest-api/rate-limiting : "Fivetran limits the following actions at the
 * account level for a rolling time period", "All requests | 500 per hour" for Trial Accounts and
 * "20,000 per hour" for "Free / Standard / Enterprise / Business Critical Accounts".
 */
export const FIVETRAN_REQUESTS_PER_HOUR = { trial: 500, paid: 20_000 } as const;

/**
 * A trial account's connection stays at 90% of its 500 requests/h: the limit counts every request
 * of the account over a rolling hour, the dashboard's and other API clients' included.
 */
export const FIVETRAN_TRIAL_BUDGET: ConnectionBudget = {
  requestsPerSecond: (FIVETRAN_REQUESTS_PER_HOUR.trial * 0.9) / 3_600,
  reason: 'Fivetran trial accounts may send 500 requests per hour in all (https://fivetran.com/docs/rest-api/rate-limiting); kept at 450/h because the limit is shared by every client of the account.',
};

export const fivetran = defineConnector({
  id: 'fivetran',
  name: 'Fivetran',
  category: 'reverse_etl',
  description: 'Triggers a Fivetran connection sync and follows it until it succeeds or fails.',
  docsUrl: 'https://fivetran.com/docs/rest-api/api-reference/connections/sync-connection',
  capabilities: { testConnection: 'api', send: false, pull: [], trigger: true },
  credentialCheck: 'GET /v1/account/info (Get Account Info from the API Key)',
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
        accountPlan: select({
          label: 'Account plan',
          help: 'Trial accounts may send 500 API requests per hour, paid and Free plans 20,000; a trial connection gets a budget that fits the trial limit.',
          required: false,
          default: 'standard',
          options: [
            { value: 'standard', label: 'Free, Standard, Enterprise or Business Critical (20,000 requests/h)' },
            { value: 'trial', label: 'Trial (500 requests/h)' },
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
  // Trial accounts get their own, far smaller budget (the accountPlan field); paid ones keep the policy's.
  connectionBudget: (config) => (config.accountPlan === 'trial' ? FIVETRAN_TRIAL_BUDGET : null),
  rateScope: { by: 'account (API key)', fields: ['apiKey'], source: 'https://fivetran.com/docs/rest-api/rate-limiting' },
  policy: definePolicy({
    source: 'https://fivetran.com/docs/rest-api/rate-limiting',
    // Account-wide rolling limit of 20,000 requests/h on paid and Free plans. Every trigger and every
    // status poll is one activity (one request), so activity starts are kept at 1/s: 3,600/h at most,
    // under a fifth of the limit, because the same account's other API clients (Terraform, scripts,
    // other engines) draw on it too and a trigger plus spaced polls needs no more. Trigger and status
    // are not source-interaction calls (those are setup tests and schema reloads, 5,000/h).
    rate: { requestsPerSecond: 1 },
    retry: { initialIntervalMs: 5_000, backoffCoefficient: 2, maximumIntervalMs: 5 * 60_000, maximumAttempts: 8 },
    // Trigger and status are single short requests: the workflow polls syncStatus with durable timers
    // between activities, so no activity outlives one call (plus its retries) and none heartbeats.
    // startToClose covers one attempt with room for a slow answer; scheduleToClose caps the retries.
    timeouts: { requestMs: 30_000, startToCloseMs: 2 * 60_000, scheduleToCloseMs: 30 * 60_000 },
  }),
  notes: [
    'Completion is read from GET /v1/connections/{id}: succeeded_at / failed_at moving past the trigger time.',
    'Set the connection\'s schedule to manual (schedule_type) if only the pipeline should start it.',
    'Trial accounts are limited to 500 requests/h in all (https://fivetran.com/docs/rest-api/rate-limiting): set accountPlan to trial to give the connection a 450/h budget instead of the policy\'s 1 request/s.',
    'testConnection calls GET /v1/account/info, which the official reference documents (https://fivetran.com/docs/rest-api/api-reference/account/get-account-info); the newer resource page lists the same operation as GET /v1/account.',
  ],
});

export type FivetranConfig = ConfigOf<typeof fivetran>;
