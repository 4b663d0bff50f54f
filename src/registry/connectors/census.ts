// Census (Fivetran Activations) REST API: trigger a sync and follow the sync run (reverse ETL).
// Facts:
//   https://fivetran.com/docs/activations/rest-api/api-reference/migrate-v1-to-v2 : "Activations API V1
//     is deprecated and will be retired on January 15, 2027"; V2 has base path /api/v2, "Activations
//     personal access token (PAT) only" and scope "A Fivetran group (group_id)".
//   https://fivetran.com/docs/activations/rest-api/api-reference/v2/activations-apis/syncs/trigger-a-sync-run :
//     "POST /api/v2/syncs/{sync_id}/trigger?force_full_sync=… Authorization: Bearer … Host: app.getcensus.com",
//     200 {"status":"success","data":{"sync_run_id":…}}, 404 {"status":404}. The page takes no group_id:
//     sync ids stay global in V2, so the group is not sent on the calls this connector makes.
//   https://fivetran.com/docs/activations/rest-api/api-reference/workspace-apis/syncs/trigger-sync (V1),
//   https://fivetran.com/docs/activations/rest-api/api-reference/workspace-apis/sync-runs/fetch-sync-run (V1),
//   https://fivetran.com/docs/activations/rest-api/api-reference/introduction : US https://app.getcensus.com,
//     EU https://app-eu.getcensus.com.
// Not found in the published V2 reference (as read in December 2026): V2 pages for fetching a sync run
// and listing syncs. The migration guide renames only destinations, connectors and connect links
// ("Change your base path from /api/v1 to /api/v2"), so /api/v2/sync_runs/{id} and /api/v2/syncs are
// the V1 resources under the V2 base path; the list envelope {status, data, pagination} is the one
// Census's own Terraform V2 client decodes (github.com/sutrolabs/terraform-provider-census,
// census/client/v2/envelope.go).
import { definePolicy } from '../../policies/types.js';
import { defineConnector, type ConfigOf, type FieldIssue } from '../define.js';
import { apiVersionField, password, select, text } from '../fields.js';
import type { VersionPolicy } from '../versions.js';

export const CENSUS_HOSTS = { us: 'https://app.getcensus.com', eu: 'https://app-eu.getcensus.com' } as const;

export const CENSUS_MIGRATION_GUIDE = 'https://fivetran.com/docs/activations/rest-api/api-reference/migrate-v1-to-v2';
/** "Activations API V1 is deprecated and will be retired on January 15, 2027." (the migration guide) */
const V1_RETIRES_ON = '2027-01-15';

/**
 * V2 is current; V1 stays selectable until Fivetran retires it, after which validation refuses it
 * (src/registry/versions.ts) and the executor refuses to call it.
 */
export const CENSUS_VERSIONS: VersionPolicy = {
  field: 'apiVersion',
  label: 'Activations API version',
  current: 'v2',
  rule: `V1 (workspace API token) is deprecated and is retired on ${V1_RETIRES_ON}; V2 takes an Activations personal access token and a Fivetran group.`,
  source: CENSUS_MIGRATION_GUIDE,
  versions: [
    { version: 'v2' },
    { version: 'v1', retiresOn: V1_RETIRES_ON, note: 'deprecated; workspace API tokens end with it' },
  ],
};

const blank = (v: unknown) => v === undefined || v === null || v === '';

/**
 * How a stored config is read. Connections stored before V2 support hold neither `apiVersion` nor
 * `groupId` (the old schema had neither field), and they were V1 connections: such a config is read
 * as V1, so it keeps working until V1 retires and then fails with a message saying what to do. A
 * config with a group and no version is V2, and a new connection with neither gets V2 by the field's
 * default, which validation then refuses until the group is set: new connections start on V2.
 * Validation cannot apply this rule itself (the default is filled in before any rule runs, so it
 * cannot tell "absent" from "v2"); the executor and the version status apply it to stored configs.
 * Re-saving a pre-V2 connection therefore needs its group, or apiVersion v1 set explicitly.
 */
export function withLegacyApiVersion<T>(config: T): T {
  if (!config || typeof config !== 'object' || Array.isArray(config)) return config;
  const c = config as Record<string, unknown>;
  return blank(c.apiVersion) && blank(c.groupId) ? ({ ...c, apiVersion: 'v1' } as T) : config;
}

/** The API version a (raw or validated) config uses, by the reading rule above. */
export function censusApiVersion(config: unknown): string {
  const v = (withLegacyApiVersion(config ?? {}) as Record<string, unknown>).apiVersion;
  return typeof v === 'string' && v !== '' ? v : CENSUS_VERSIONS.current;
}

/** Validation has filled in the version's default by the time this runs; an absent one is that default. */
function requireGroupForV2(config: Record<string, unknown>): FieldIssue[] {
  const version = blank(config.apiVersion) ? CENSUS_VERSIONS.current : config.apiVersion;
  if (version !== 'v2' || !blank(config.groupId)) return [];
  return [{
    field: 'groupId',
    message: 'Group ID (groupId) is required for Activations API v2 (the default). Give the Fivetran group of the sync\'s source, ' +
      `or set apiVersion to v1 to stay on the workspace API token until V1 retires on ${V1_RETIRES_ON}.`,
  }];
}

const definition = defineConnector({
  id: 'census',
  name: 'Census',
  category: 'reverse_etl',
  description: 'Triggers a Census (Fivetran Activations) sync and follows the sync run to its end.',
  docsUrl: 'https://fivetran.com/docs/activations/rest-api/api-reference/v2/activations-apis/syncs/trigger-a-sync-run',
  capabilities: { testConnection: 'api', send: false, pull: [], trigger: true },
  credentialCheck: 'GET /api/v2/syncs?page=1&per_page=1 (GET /api/v1/syncs on V1 connections)',
  idempotency: { supported: false, note: 'Census has no idempotency key; a repeated trigger may start another run. The trigger workflow id prevents duplicate triggers from the engine.' },
  authMethods: [
    {
      // The id predates V2 and is kept: stored connections carry it.
      id: 'api_token',
      label: 'API token',
      help: `API v2: an Activations personal access token. API v1 (until ${V1_RETIRES_ON}): the workspace API access token.`,
      connectionFields: {
        region: select({
          label: 'Region',
          help: 'EU organizations (app-eu.getcensus.com) use the EU API host.',
          required: false,
          default: 'us',
          options: [
            { value: 'us', label: 'US (app.getcensus.com)' },
            { value: 'eu', label: 'EU (app-eu.getcensus.com)' },
          ],
        }),
        apiVersion: apiVersionField('Census', CENSUS_VERSIONS, {
          help: 'The Activations API the connection calls. Connections stored before v2 support, with neither an API version nor a group, are read as v1.',
        }),
        groupId: text({
          label: 'Group ID',
          help: 'Required for API v2: the Fivetran group (destination) of the sync\'s source, e.g. abundant_giraffe. V2 scopes every Activations resource by it; GET /api/v2/activations shows each activation\'s group_id.',
          required: false,
          placeholder: 'abundant_giraffe',
          validation: { pattern: '[A-Za-z0-9_]+', patternDescription: 'a Fivetran group ID of letters, digits and underscores' },
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
          label: 'API token',
          help: 'v2: an Activations personal access token (user settings → Personal Access Tokens → New Token). v1: the workspace API access token (workspace settings → API Access). Sent as a Bearer token.',
          required: true,
          validation: { minLength: 8 },
        }),
      },
    },
  ],
  refine: requireGroupForV2,
  apiVersion: CENSUS_VERSIONS,
  rateScope: { by: 'workspace (API token)', fields: ['apiToken'], source: 'https://fivetran.com/docs/activations/rest-api/api-reference/v2/activations-apis/syncs/trigger-a-sync-run' },
  policy: definePolicy({
    source: 'https://fivetran.com/docs/activations/rest-api/api-reference/v2/activations-apis/syncs/trigger-a-sync-run',
    // Census publishes no rate limit; a trigger plus spaced status polls need little, so stay low.
    rate: { requestsPerSecond: 2 },
    retry: { initialIntervalMs: 5_000, backoffCoefficient: 2, maximumIntervalMs: 5 * 60_000, maximumAttempts: 8 },
    // Trigger and status are single short requests: the workflow polls syncStatus with durable timers
    // between activities, so no activity outlives one call (plus its retries) and none heartbeats.
    // startToClose covers one attempt with room for a slow answer; scheduleToClose caps the retries.
    timeouts: { requestMs: 30_000, startToCloseMs: 2 * 60_000, scheduleToCloseMs: 30 * 60_000 },
  }),
  notes: [
    `Census is now Fivetran Activations. API v1 is deprecated and is retired on ${V1_RETIRES_ON} (confirmed: ${CENSUS_MIGRATION_GUIDE}); v1 connections fail from that day until moved to v2 (an Activations personal access token, the group ID, apiVersion v2).`,
    'API v2 sync runs and the sync list are the v1 resources under /api/v2 (the migration guide renames only destinations, connectors and connect links); the v2 reference pages for them were not found, so their shapes are taken from v1.',
    'The v2 reference examples name only app.getcensus.com, and Census\'s own Terraform v2 client says v2 has no regional hosts (https://github.com/sutrolabs/terraform-provider-census/blob/main/census/client/v2/client.go); EU organizations keep app-eu.getcensus.com here, as the API introduction page documents, and should switch region to us if the EU host refuses v2 calls.',
    'A 404 on trigger means the sync ID does not exist for this token (or region).',
  ],
});

/** The registry entry; its version status reads stored pre-v2 configs as v1, as the executor does. */
export const census: typeof definition = {
  ...definition,
  versionStatus: (config, nowMs) => definition.versionStatus(withLegacyApiVersion(config), nowMs),
};

export type CensusConfig = ConfigOf<typeof definition>;
