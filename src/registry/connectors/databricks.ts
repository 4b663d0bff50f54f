// Databricks SQL Statement Execution API 2.0 on a SQL warehouse (reverse-ETL / data movement).
// Facts: https://docs.databricks.com/api/workspace/statementexecution ,
// https://docs.databricks.com/aws/en/dev-tools/sql-execution-tutorial ,
// https://docs.databricks.com/api/account/errors ,
// https://docs.databricks.com/aws/en/dev-tools/auth/oauth-m2m
import { definePolicy } from '../../policies/types.js';
import { defineConnector, type ConfigOf } from '../define.js';
import { number, password, text } from '../fields.js';

/** Workspace hosts: AWS, Azure and GCP. */
export const DATABRICKS_HOST_PATTERNS = [
  '[a-z0-9][a-z0-9-]*\\.cloud\\.databricks\\.com',
  'adb-[0-9]+\\.[0-9]+\\.azuredatabricks\\.net',
  '[a-z0-9][a-z0-9-]*(\\.[0-9]+)?\\.gcp\\.databricks\\.com',
] as const;

/** Keeps the origin of a pasted workspace URL (drops paths such as /?o=123 or /sql/…); adds https:// when missing. */
export function normalizeDatabricksHost(value: string): string {
  const v = /^[a-z][a-z0-9+.-]*:\/\//i.test(value.trim()) ? value.trim() : `https://${value.trim()}`;
  try {
    const url = new URL(v);
    // Anything the URL rule must refuse (http, credentials, ports) is left for it to report.
    if (url.protocol !== 'https:' || url.username || url.password || url.port) return v;
    return url.origin.toLowerCase();
  } catch {
    return v;
  }
}

/** Accepts the warehouse ID or its HTTP path (/sql/1.0/warehouses/<id>) and keeps the ID. */
export function normalizeWarehouseId(value: string): string {
  const m = /\/sql\/1\.0\/(?:warehouses|endpoints)\/([^/?#\s]+)/.exec(value);
  return (m ? m[1]! : value.trim()).toLowerCase();
}

const NAME = { pattern: '[^\\s./`]+', patternDescription: 'a name without spaces, dots, slashes or backticks' };

const connectionFields = {
  host: text({
    label: 'Workspace URL',
    help: 'The workspace URL from the browser address bar: https://dbc-….cloud.databricks.com (AWS), https://adb-<id>.<n>.azuredatabricks.net (Azure) or https://<id>.<n>.gcp.databricks.com (GCP).',
    required: true,
    placeholder: 'https://dbc-a1b2c3d4-e5f6.cloud.databricks.com',
    normalize: normalizeDatabricksHost,
    validation: { url: { hostPatterns: DATABRICKS_HOST_PATTERNS } },
    check: (v) => (/^https:\/\/accounts\./.test(v) ? 'is the account console; use a workspace URL' : null),
  }),
  warehouseId: text({
    label: 'SQL warehouse ID',
    help: 'SQL Warehouses → the warehouse → Connection details: the ID at the end of the HTTP path (pasting the HTTP path works).',
    required: true,
    placeholder: '1234567890abcdef',
    normalize: normalizeWarehouseId,
    validation: { pattern: '[0-9a-f]{16}', patternDescription: 'a 16-character warehouse ID' },
  }),
  catalog: text({
    label: 'Default catalog',
    help: 'Optional. Catalog for unqualified table names (e.g. main).',
    required: false,
    validation: NAME,
  }),
  schema: text({
    label: 'Default schema',
    help: 'Optional. Schema for unqualified table names.',
    required: false,
    validation: NAME,
  }),
  waitTimeoutSeconds: number({
    label: 'Wait timeout (seconds)',
    help: 'How long a statement call waits for the result before returning a statement id to poll: 0 (always poll) or 5 to 50. A cold warehouse often takes longer than 50 s.',
    required: false,
    default: 30,
    min: 0,
    max: 50,
    integer: true,
    check: (v) => (v > 0 && v < 5 ? 'must be 0 or between 5 and 50' : null),
  }),
};

export const databricks = defineConnector({
  id: 'databricks',
  name: 'Databricks SQL',
  category: 'reverse_etl',
  description: 'Runs parameterised SQL statements (e.g. MERGE of a batch) on a Databricks SQL warehouse and follows them to completion.',
  docsUrl: 'https://docs.databricks.com/api/workspace/statementexecution',
  capabilities: { testConnection: 'api', send: false, pull: [], trigger: true },
  credentialCheck: 'GET /api/2.0/sql/warehouses/{warehouseId} (checks the token and warehouse access without starting it)',
  idempotency: {
    supported: false,
    note: 'The Statement Execution API has no idempotency key: a retried INSERT can write twice. Use MERGE on a dedup key or a batch-id guard in the statement.',
  },
  authMethods: [
    {
      id: 'pat',
      label: 'Personal access token',
      help: 'Settings → Developer → Access tokens → Generate new token (a service principal\'s token is better for production).',
      connectionFields,
      authFields: {
        token: password({
          label: 'Access token',
          help: 'Sent as a Bearer token; personal access tokens start with dapi.',
          required: true,
          validation: { pattern: 'dapi[0-9a-z-]+', patternFlags: 'i', patternDescription: 'a personal access token starting with dapi' },
        }),
      },
    },
    {
      id: 'oauth_m2m',
      label: 'OAuth machine-to-machine (service principal)',
      help: 'A service principal with an OAuth secret (Settings → Identity and access → Service principals → Secrets); the worker exchanges it for short-lived tokens at /oidc/v1/token.',
      connectionFields,
      authFields: {
        clientId: text({
          label: 'Client ID',
          help: 'The service principal\'s application ID (a UUID).',
          required: true,
          validation: {
            pattern: '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}',
            patternFlags: 'i',
            patternDescription: 'a UUID (the application ID)',
          },
        }),
        clientSecret: password({
          label: 'Client secret',
          help: 'The OAuth secret, shown once when created.',
          required: true,
          validation: { minLength: 8 },
        }),
      },
    },
  ],
  rateScope: { by: 'workspace', fields: ['host'], source: 'https://docs.databricks.com/api/workspace/statementexecution' },
  policy: definePolicy({
    source: 'https://docs.databricks.com/api/workspace/statementexecution',
    // Databricks throttles per workspace (429 + Retry-After) without published numbers; the warehouse's
    // own queue is the real limit, so few statements run at once.
    rate: { requestsPerSecond: 5 },
    retry: { initialIntervalMs: 2_000, backoffCoefficient: 2, maximumIntervalMs: 2 * 60_000, maximumAttempts: 6 },
    // One call can wait up to 50 s server-side (wait_timeout), so a request gets 65 s. Trigger and status
    // are single requests (the workflow polls with durable timers between them), so an attempt needs no
    // heartbeat: startToClose is one request plus headroom (and the OAuth token fetch), scheduleToClose
    // caps the retries of one call.
    timeouts: { requestMs: 65_000, startToCloseMs: 2 * 60_000, scheduleToCloseMs: 30 * 60_000 },
  }),
  notes: [
    'SQL failures come back as HTTP 200 with status.state FAILED; branch on error_code, never on message text.',
    'INLINE results are limited to 25 MiB; statements whose results exceed it fail.',
    'GovCloud and Azure China workspace hosts are not on the allow-list.',
  ],
});

export type DatabricksConfig = ConfigOf<typeof databricks>;
