// Databricks SQL Statement Execution API 2.0: run one (parameterised) statement on a SQL warehouse and
// follow it to its end. Trigger only: the registry declares no `send`.
// Facts and sources: src/registry/connectors/databricks.ts. Pages this file follows:
//   https://docs.databricks.com/api/workspace/statementexecution/executestatement
//   https://docs.databricks.com/api/workspace/statementexecution/getstatement
//   (also as markdown: https://docs.databricks.com/api/statement-execution/v1/get-statement-result.md)
//   https://docs.databricks.com/api/workspace/warehouses/get
//   https://docs.databricks.com/api/account/errors
//   https://docs.databricks.com/aws/en/dev-tools/auth/oauth-m2m
//
// The statement waits up to `waitTimeoutSeconds` server-side (on_wait_timeout CONTINUE): a fast
// statement comes back finished, a slow one (a cold warehouse often takes over 50 s) comes back
// PENDING/RUNNING and the workflow polls `syncStatus` with durable timers. That is why one request may
// take up to 50 s, and why the connector's request timeout (65 s) must stay above the wait.
// No idempotency: a retried INSERT can write twice; statements should MERGE on a dedup key.
import { z } from 'zod';
import type { CallOptions, ConnectorExecutor, ConnectorResponse, SyncRunStatus, TriggerRequest } from '../core/envelope.js';
import { withError } from '../core/envelope.js';
import { connectorError } from '../core/errors.js';
import { httpRequest, type HttpResponse } from '../core/http.js';
import type { DatabricksConfig } from '../registry/connectors/databricks.js';
import { databricks } from '../registry/connectors/databricks.js';
import { databricksM2MToken, forgetDatabricksToken, type M2MCredentials } from './databricks-oauth.js';
import { checkRunId, checkTriggerOptions, runStatus, syncRun, withCodedMessage } from './reverse-etl.js';
import { baseUrl, callOptions, checkConfig, parseBody, secretsOf } from './support.js';

const PROVIDER = 'Databricks';
// Statement ids are UUID-like ("01ed9db9-24c4-1cb6-a320-fb6ba3c0b6ed").
const STATEMENT_ID = /^[0-9a-f][0-9a-f-]{7,63}$/i;
const NAME = /^[^\s./`]+$/;

const parameter = z.strictObject({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be a parameter name (letters, digits, _), as in :name' }),
  // Databricks takes every value as a string and casts it to `type`; null / absent is SQL NULL.
  value: z.union([z.string(), z.number().refine(Number.isFinite, { error: 'must be a finite number' }), z.boolean(), z.null()]).optional(),
  type: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*(\(\s*\d+\s*(,\s*\d+\s*)?\))?$/, { error: 'must be a SQL type such as INT, STRING or DECIMAL(10,2)' }).optional(),
});
// Exported: `pipeline trigger` reads the declared type of each option from it (src/cli/trigger-options.ts).
export const triggerOptions = z.strictObject({
  statement: z.string().refine((s) => s.trim() !== '', { error: 'must be a SQL statement' }),
  parameters: z.array(parameter).max(256).optional(),
  catalog: z.string().regex(NAME, { error: 'must be a name without spaces, dots, slashes or backticks' }).optional(),
  schema: z.string().regex(NAME, { error: 'must be a name without spaces, dots, slashes or backticks' }).optional(),
  rowLimit: z.number().int().positive().optional(),
});

const statementBody = z.looseObject({
  statement_id: z.string().regex(STATEMENT_ID),
  status: z.looseObject({
    state: z.string(),
    error: z.looseObject({ error_code: z.string().optional(), message: z.string().optional() }).nullish(),
    sql_state: z.string().optional(),
  }),
  manifest: z.looseObject({ total_row_count: z.number().optional(), truncated: z.boolean().optional() }).nullish(),
});
const warehouseBody = z.looseObject({ id: z.string(), name: z.string().optional(), state: z.string().optional() });
const errorBody = z.looseObject({ error_code: z.string().optional(), message: z.string().optional() });

function m2m(config: Extract<DatabricksConfig, { authMethod: 'oauth_m2m' }>, base: string): M2MCredentials {
  return { base, clientId: config.clientId, clientSecret: config.clientSecret, requestMs: databricks.policy.timeouts.requestMs };
}

async function call(config: DatabricksConfig, base: string, method: 'GET' | 'POST', path: string, json: unknown, opts?: CallOptions): Promise<HttpResponse | ConnectorResponse<never>> {
  let token: string;
  if (config.authMethod === 'pat') token = config.token;
  else {
    const t = await databricksM2MToken(m2m(config, base), opts);
    if ('fail' in t) return t.fail;
    token = t.token;
  }
  const secrets = [...secretsOf('databricks', config), token];
  const res = await httpRequest({
    provider: PROVIDER,
    method,
    url: `${base}${path}`,
    headers: { authorization: `Bearer ${token}` },
    ...(json !== undefined ? { json } : {}),
    secrets,
    ...callOptions(opts, databricks.policy.timeouts.requestMs),
  });
  // A cached OAuth token the workspace refuses (revoked, expired early) must not be reused by the retry.
  if (res.status === 401 && config.authMethod === 'oauth_m2m') forgetDatabricksToken(m2m(config, base));
  // Databricks errors are {"error_code":"INVALID_PARAMETER_VALUE","message":"…"}: branch on the code.
  const parsed = errorBody.safeParse(res.body);
  return parsed.success ? withCodedMessage(res, PROVIDER, parsed.data.error_code, parsed.data.message, secrets) : res;
}

function isHttp(res: HttpResponse | ConnectorResponse<never>): res is HttpResponse {
  return 'headers' in res;
}

type Statement = z.infer<typeof statementBody>;

/** A statement's status → SyncRunStatus; never carries result rows. */
export function databricksRunStatus(s: Statement): SyncRunStatus {
  const state = s.status.state;
  const error = s.status.error;
  const reason = error ? [error.error_code, error.message].filter(Boolean).join(': ') : undefined;
  const details = { providerState: state, sqlState: s.status.sql_state };
  switch (state) {
    case 'PENDING':
      return syncRun(s.statement_id, 'pending', undefined, details);
    case 'RUNNING':
      return syncRun(s.statement_id, 'running', undefined, details);
    case 'SUCCEEDED':
      return syncRun(s.statement_id, 'succeeded', undefined, { ...details, rowCount: s.manifest?.total_row_count, truncated: s.manifest?.truncated });
    case 'CLOSED':
      // Documented as "execution successful, and statement closed; result no longer available for
      // fetch": the statement did run. Reporting it as cancelled would invite a re-run (a double write).
      return syncRun(s.statement_id, 'succeeded', undefined, { ...details, rowCount: s.manifest?.total_row_count, resultAvailable: false });
    case 'FAILED':
      return syncRun(s.statement_id, 'failed', reason || 'Databricks reports the statement failed', details);
    case 'CANCELED':
      return syncRun(s.statement_id, 'cancelled', reason || 'the statement was cancelled', details);
    default:
      return syncRun(s.statement_id, 'running', undefined, details);
  }
}

function statementResult(res: HttpResponse | ConnectorResponse<never>): ConnectorResponse<SyncRunStatus> {
  if (!isHttp(res)) return res;
  const parsed = parseBody(res, statementBody, PROVIDER);
  if (!parsed.ok || !parsed.body) return withError(parsed, parsed.error ?? connectorError('invalid_response', 'Databricks returned no body'));
  return runStatus(parsed, databricksRunStatus(parsed.body));
}

export const databricksExecutor: ConnectorExecutor<DatabricksConfig> = {
  async testConnection(rawConfig, opts) {
    const checked = checkConfig<DatabricksConfig>('databricks', rawConfig);
    if ('fail' in checked) return checked.fail;
    const { config } = checked;
    const base = baseUrl(config.host, opts);
    if ('fail' in base) return base.fail;
    // Reading the warehouse proves the token and the warehouse permission without starting it.
    const res = await call(config, base.base, 'GET', `/api/2.0/sql/warehouses/${encodeURIComponent(config.warehouseId)}`, undefined, opts);
    if (!isHttp(res)) return res;
    const parsed = parseBody(res, warehouseBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return parsed;
    return { ...parsed, body: { id: parsed.body.id, name: parsed.body.name ?? null, state: parsed.body.state ?? null } };
  },

  async trigger(rawConfig, req: TriggerRequest, opts): Promise<ConnectorResponse<SyncRunStatus>> {
    const checked = checkConfig<DatabricksConfig>('databricks', rawConfig);
    if ('fail' in checked) return checked.fail;
    const { config } = checked;
    const options = checkTriggerOptions(triggerOptions, req?.options, PROVIDER);
    if ('fail' in options) return options.fail;
    const o = options.options;
    const base = baseUrl(config.host, opts);
    if ('fail' in base) return base.fail;

    const catalog = o.catalog ?? config.catalog;
    const schema = o.schema ?? config.schema;
    const body = {
      warehouse_id: config.warehouseId,
      statement: o.statement,
      ...(o.parameters?.length
        ? {
            parameters: o.parameters.map((p) => ({
              name: p.name,
              ...(p.value !== undefined && p.value !== null ? { value: String(p.value) } : {}),
              ...(p.type ? { type: p.type } : {}),
            })),
          }
        : {}),
      ...(catalog ? { catalog } : {}),
      ...(schema ? { schema } : {}),
      ...(o.rowLimit ? { row_limit: o.rowLimit } : {}),
      wait_timeout: `${config.waitTimeoutSeconds ?? 30}s`,
      on_wait_timeout: 'CONTINUE',
      // Results, if any, stay small and are dropped: only the row count reaches the envelope.
      disposition: 'INLINE',
      format: 'JSON_ARRAY',
    };
    return statementResult(await call(config, base.base, 'POST', '/api/2.0/sql/statements', body, opts));
  },

  async syncStatus(rawConfig, runId, opts): Promise<ConnectorResponse<SyncRunStatus>> {
    const checked = checkConfig<DatabricksConfig>('databricks', rawConfig);
    if ('fail' in checked) return checked.fail;
    const id = checkRunId(runId, STATEMENT_ID, PROVIDER, 'Databricks statement id');
    if ('fail' in id) return id.fail;
    const base = baseUrl(checked.config.host, opts);
    if ('fail' in base) return base.fail;
    // A terminal statement is answered for at least 12 hours, then 404 (not_found).
    return statementResult(await call(checked.config, base.base, 'GET', `/api/2.0/sql/statements/${id.runId}`, undefined, opts));
  },
};
