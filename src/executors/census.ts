// Census (Fivetran Activations) REST API v1: trigger a sync, then follow the sync run it started.
// Facts (shared/docs/providers.md §20):
//   https://fivetran.com/docs/activations/rest-api/api-reference/workspace-apis/syncs/trigger-sync
//   https://fivetran.com/docs/activations/rest-api/api-reference/workspace-apis/sync-runs/fetch-sync-run
//   https://fivetran.com/docs/activations/rest-api/api-reference/workspace-apis/sync-runs/list-sync-runs
// Sync run statuses, as documented on the fetch-sync-run page: queued, working, completed, failed,
// skipped ("an earlier instance of the sync is still running, so this run was skipped"); a run also
// carries a `canceled` flag (the UI shows "Canceled").
import { z } from 'zod';
import type { CallOptions, ConnectorExecutor, ConnectorResponse, SyncRunStatus, TriggerRequest } from '../core/envelope.js';
import { withError } from '../core/envelope.js';
import { connectorError } from '../core/errors.js';
import { httpRequest, type HttpResponse, type QueryValue } from '../core/http.js';
import type { CensusConfig } from '../registry/connectors/census.js';
import { CENSUS_HOSTS, census } from '../registry/connectors/census.js';
import { checkRunId, checkTriggerOptions, flag, runStatus, syncRun, withCodedMessage } from './reverse-etl.js';
import { baseUrl, callOptions, checkConfig, parseBody, secretsOf } from './support.js';

const PROVIDER = 'Census';
const RUN_ID = /^\d{1,20}$/;

const triggerOptions = z.strictObject({ forceFullSync: z.boolean().optional() });

const listBody = z.looseObject({
  status: z.string().optional(),
  data: z.array(z.unknown()),
  pagination: z.looseObject({ total_records: z.number().optional() }).nullish(),
});
const triggerBody = z.looseObject({ data: z.looseObject({ sync_run_id: z.union([z.number().int().nonnegative(), z.string().regex(RUN_ID)]) }) });
const count = z.number().nullish();
const runBody = z.looseObject({
  data: z.looseObject({
    id: z.union([z.number(), z.string()]).optional(),
    status: z.string(),
    canceled: z.boolean().nullish(),
    error_code: z.string().nullish(),
    error_message: z.string().nullish(),
    error_detail: z.string().nullish(),
    full_sync: z.boolean().nullish(),
    completed_at: z.string().nullish(),
    source_record_count: count,
    records_processed: count,
    records_updated: count,
    records_failed: count,
    records_invalid: count,
  }),
});
// Census does not publish its error body; {"status":"error","message":"…"} is what it answers in practice.
const errorBody = z.looseObject({ message: z.string().optional(), error: z.string().optional(), error_code: z.string().optional() });

function apiBase(config: CensusConfig, opts?: CallOptions) {
  return baseUrl(CENSUS_HOSTS[config.region ?? 'us'].replace(/\/api\/v1$/, ''), opts);
}

async function call(config: CensusConfig, url: string, method: 'GET' | 'POST', query: Record<string, QueryValue> | undefined, opts?: CallOptions): Promise<HttpResponse> {
  const secrets = secretsOf('census', config);
  const res = await httpRequest({
    provider: PROVIDER,
    method,
    url,
    ...(query ? { query } : {}),
    headers: { authorization: `Bearer ${config.apiToken}` },
    secrets,
    ...callOptions(opts, census.policy.timeouts.requestMs),
  });
  const parsed = errorBody.safeParse(res.body);
  return parsed.success ? withCodedMessage(res, PROVIDER, parsed.data.error_code, parsed.data.message ?? parsed.data.error, secrets) : res;
}

type Run = z.infer<typeof runBody>['data'];

function failure(run: Run): string {
  const reason = run.error_message ?? run.error_detail;
  if (run.error_code && reason) return `${run.error_code}: ${reason}`;
  return reason ?? run.error_code ?? 'Census reports the sync run failed';
}

/** A Census sync run → SyncRunStatus. */
export function censusRunStatus(runId: string, run: Run): SyncRunStatus {
  const details = {
    providerState: run.status,
    fullSync: run.full_sync,
    sourceRecords: run.source_record_count,
    recordsProcessed: run.records_processed,
    recordsUpdated: run.records_updated,
    recordsFailed: run.records_failed,
    recordsInvalid: run.records_invalid,
    completedAt: run.completed_at,
  };
  const active = run.status === 'queued' || run.status === 'working';
  // A cancelled run may still report its last status; once it is no longer active, the flag wins.
  if (run.canceled === true && !active) return syncRun(runId, 'cancelled', 'the sync run was cancelled', details);
  switch (run.status) {
    case 'queued':
      return syncRun(runId, 'pending', undefined, details);
    case 'working':
      return syncRun(runId, 'running', undefined, details);
    case 'completed':
      return syncRun(runId, 'succeeded', undefined, details);
    case 'failed':
      return syncRun(runId, 'failed', failure(run), details);
    case 'skipped':
      // Nothing ran: the trigger was absorbed by a run already in progress.
      return syncRun(runId, 'cancelled', 'Census skipped this run: an earlier run of the sync was still in progress', details);
    case 'canceled':
    case 'cancelled':
      return syncRun(runId, 'cancelled', 'the sync run was cancelled', details);
    default:
      return syncRun(runId, 'running', undefined, details);
  }
}

export const censusExecutor: ConnectorExecutor<CensusConfig> = {
  async testConnection(rawConfig, opts) {
    const checked = checkConfig<CensusConfig>('census', rawConfig);
    if ('fail' in checked) return checked.fail;
    const base = apiBase(checked.config, opts);
    if ('fail' in base) return base.fail;
    const res = await call(checked.config, `${base.base}/api/v1/syncs`, 'GET', { page: 1, per_page: 1 }, opts);
    const parsed = parseBody(res, listBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return parsed;
    return { ...parsed, body: { syncs: parsed.body.pagination?.total_records ?? parsed.body.data.length } };
  },

  async trigger(rawConfig, req: TriggerRequest, opts): Promise<ConnectorResponse<SyncRunStatus>> {
    const checked = checkConfig<CensusConfig>('census', rawConfig);
    if ('fail' in checked) return checked.fail;
    const { config } = checked;
    const options = checkTriggerOptions(triggerOptions, req?.options, PROVIDER);
    if ('fail' in options) return options.fail;
    const base = apiBase(config, opts);
    if ('fail' in base) return base.fail;

    const forceFullSync = options.options.forceFullSync ?? flag(config.forceFullSync);
    // The flag is a query parameter; the body is empty.
    const res = await call(config, `${base.base}/api/v1/syncs/${encodeURIComponent(config.syncId)}/trigger`, 'POST', { force_full_sync: forceFullSync }, opts);
    const parsed = parseBody(res, triggerBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return withError(parsed, parsed.error ?? connectorError('invalid_response', 'Census returned no body'));
    return runStatus(parsed, syncRun(String(parsed.body.data.sync_run_id), 'pending', undefined, { forceFullSync }));
  },

  async syncStatus(rawConfig, runId, opts): Promise<ConnectorResponse<SyncRunStatus>> {
    const checked = checkConfig<CensusConfig>('census', rawConfig);
    if ('fail' in checked) return checked.fail;
    const id = checkRunId(runId, RUN_ID, PROVIDER, 'Census sync run id');
    if ('fail' in id) return id.fail;
    const base = apiBase(checked.config, opts);
    if ('fail' in base) return base.fail;

    const res = await call(checked.config, `${base.base}/api/v1/sync_runs/${id.runId}`, 'GET', undefined, opts);
    const parsed = parseBody(res, runBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return withError(parsed, parsed.error ?? connectorError('invalid_response', 'Census returned no body'));
    return runStatus(parsed, censusRunStatus(id.runId, parsed.body.data));
  },
};
