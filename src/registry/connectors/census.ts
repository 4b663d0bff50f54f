// Census (Fivetran Activations) REST API v1: trigger a sync and follow the sync run (reverse ETL).
// Facts: https://fivetran.com/docs/activations/rest-api/api-reference/workspace-apis/syncs/trigger-sync ,
// https://fivetran.com/docs/activations/rest-api/api-reference/workspace-apis/syncs/fetch-sync
import { definePolicy } from '../../policies/types.js';
import { defineConnector, type ConfigOf } from '../define.js';
import { password, select, text } from '../fields.js';

export const CENSUS_HOSTS = { us: 'https://app.getcensus.com/api/v1', eu: 'https://app-eu.getcensus.com/api/v1' } as const;

export const census = defineConnector({
  id: 'census',
  name: 'Census',
  category: 'reverse_etl',
  description: 'Triggers a Census (Fivetran Activations) sync and follows the sync run to its end.',
  docsUrl: 'https://fivetran.com/docs/activations/rest-api/api-reference/workspace-apis/syncs/trigger-sync',
  capabilities: { testConnection: 'api', send: false, pull: [], trigger: true },
  credentialCheck: 'GET /api/v1/syncs (one small page)',
  idempotency: { supported: false, note: 'Census has no idempotency key; a repeated trigger may start another run. The trigger workflow id prevents duplicate triggers from the engine.' },
  authMethods: [
    {
      id: 'api_token',
      label: 'Workspace API access token',
      help: 'Workspace Settings → API access → the workspace access token.',
      connectionFields: {
        region: select({
          label: 'Region',
          help: 'EU workspaces (app-eu.getcensus.com) use the EU API host.',
          required: false,
          default: 'us',
          options: [
            { value: 'us', label: 'US (app.getcensus.com)' },
            { value: 'eu', label: 'EU (app-eu.getcensus.com)' },
          ],
        }),
        syncId: text({
          label: 'Sync ID',
          help: 'The number in the sync\'s URL (…/syncs/<id>).',
          required: true,
          placeholder: '123456',
          validation: { pattern: '\\d+', patternDescription: 'a numeric sync ID' },
        }),
        forceFullSync: select({
          label: 'Force full sync',
          help: 'true resends every row; some sync modes (e.g. Append) cannot full-sync.',
          required: false,
          default: 'false',
          options: [
            { value: 'false', label: 'No: changed rows only' },
            { value: 'true', label: 'Yes: all rows' },
          ],
        }),
      },
      authFields: {
        apiToken: password({
          label: 'API access token',
          help: 'Sent as a Bearer token.',
          required: true,
          validation: { minLength: 8 },
        }),
      },
    },
  ],
  policy: definePolicy({
    source: 'https://fivetran.com/docs/activations/rest-api/api-reference/workspace-apis/syncs/trigger-sync',
    // Census publishes no rate limit; a trigger plus spaced status polls need little, so stay low.
    rate: { requestsPerSecond: 2, concurrency: 5 },
    retry: { initialIntervalMs: 5_000, backoffCoefficient: 2, maximumIntervalMs: 5 * 60_000, maximumAttempts: 8 },
    // Trigger and status are single short requests: the workflow polls syncStatus with durable timers
    // between activities, so no activity outlives one call (plus its retries) and none heartbeats.
    // startToClose covers one attempt with room for a slow answer; scheduleToClose caps the retries.
    timeouts: { requestMs: 30_000, startToCloseMs: 2 * 60_000, scheduleToCloseMs: 30 * 60_000 },
  }),
  notes: [
    'Census is now Fivetran Activations; the v1 API is reported to retire on 2027-01-15 in favour of a v2 API (unconfirmed).',
    'A 404 on trigger means the sync ID does not exist in this workspace (or region).',
  ],
});

export type CensusConfig = ConfigOf<typeof census>;
