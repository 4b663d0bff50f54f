// Hightouch REST API: trigger a sync and follow its sync request (reverse ETL).
// Facts: https://hightouch.com/docs/developer-tools/api-guide ,
// https://hightouch.com/docs/developer-tools/api-guide#hightouch-api-rate-limits
import { definePolicy } from '../../policies/types.js';
import { defineConnector, type ConfigOf, type FieldIssue } from '../define.js';
import { password, select, text } from '../fields.js';

function exactlyOneSync(config: Record<string, unknown>): FieldIssue[] {
  if (config.syncId && config.syncSlug) {
    return [{ field: 'syncSlug', message: 'Set only one of Sync ID (syncId) and Sync slug (syncSlug)' }];
  }
  if (!config.syncId && !config.syncSlug) {
    return [{ field: 'syncId', message: 'Set Sync ID (syncId) or Sync slug (syncSlug): the sync to trigger' }];
  }
  return [];
}

export const hightouch = defineConnector({
  id: 'hightouch',
  name: 'Hightouch',
  category: 'reverse_etl',
  description: 'Triggers a Hightouch sync (by ID or slug) and follows the sync request to its end.',
  docsUrl: 'https://hightouch.com/docs/developer-tools/api-guide',
  capabilities: { testConnection: 'api', send: false, pull: [], trigger: true },
  credentialCheck: 'GET /api/v1/syncs?limit=1',
  idempotency: { supported: false, note: 'Hightouch has no idempotency key; a repeated trigger may start another run. The trigger workflow id prevents duplicate triggers from the engine.' },
  authMethods: [
    {
      id: 'api_key',
      label: 'Workspace API key',
      help: 'Settings → API keys → Add API key (a workspace admin can create it).',
      connectionFields: {
        syncId: text({
          label: 'Sync ID',
          help: 'The number in the sync\'s URL (…/syncs/<id>). Set this or the slug.',
          required: false,
          placeholder: '123456',
          validation: { pattern: '\\d+', patternDescription: 'a numeric sync ID' },
        }),
        syncSlug: text({
          label: 'Sync slug',
          help: 'The sync\'s slug, as an alternative to the ID.',
          required: false,
          validation: { pattern: '[a-z0-9][a-z0-9_-]*', patternFlags: 'i', patternDescription: 'a slug of letters, digits, hyphens and underscores' },
        }),
        fullResync: select({
          label: 'Full resync',
          help: 'true resyncs every row instead of only the changes since the last run.',
          required: false,
          default: 'false',
          options: [
            { value: 'false', label: 'No: changed rows only' },
            { value: 'true', label: 'Yes: all rows' },
          ],
        }),
      },
      authFields: {
        apiKey: password({
          label: 'API key',
          help: 'Sent as a Bearer token; shown once at creation.',
          required: true,
          validation: { minLength: 8 },
        }),
      },
    },
  ],
  refine: exactlyOneSync,
  rateScope: { by: 'workspace (API key)', fields: ['apiKey'], source: 'https://hightouch.com/docs/developer-tools/api-guide#hightouch-api-rate-limits' },
  policy: definePolicy({
    source: 'https://hightouch.com/docs/developer-tools/api-guide#hightouch-api-rate-limits',
    // 200 requests per 10 s (20/s) per workspace; half of it, since status polls share the budget.
    rate: { requestsPerSecond: 10 },
    retry: { initialIntervalMs: 5_000, backoffCoefficient: 2, maximumIntervalMs: 5 * 60_000, maximumAttempts: 8 },
    // Trigger and status are single short requests: the workflow polls syncStatus with durable timers
    // between activities, so no activity outlives one call (plus its retries) and none heartbeats.
    // startToClose covers one attempt with room for a slow answer; scheduleToClose caps the retries.
    timeouts: { requestMs: 30_000, startToCloseMs: 2 * 60_000, scheduleToCloseMs: 30 * 60_000 },
  }),
  notes: [
    'Set the sync\'s schedule to Manual so that it runs only when triggered.',
    'The legacy api.hightouch.io/api/v2/rest/run API is not used.',
  ],
});

export type HightouchConfig = ConfigOf<typeof hightouch>;
