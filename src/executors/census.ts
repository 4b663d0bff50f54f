// Census (Fivetran Activations) REST API: trigger a sync, then follow the sync run it started, on the
// Activations API v2 (or v1 for connections that have not moved yet, until v1 retires on 2027-01-15).
// Facts and sources: src/registry/connectors/census.ts. Sync run statuses, as documented on the
// fetch-sync-run page: queued, working, completed, failed, skipped ("an earlier instance of the sync
// is still running, so this run was skipped"); a run also carries a `canceled` flag (the UI shows
// "Canceled").
import { z } from 'zod';
import type { CallOptions, ConnectorExecutor, ConnectorResponse, SyncRunStatus, TriggerRequest } from '../core/envelope.js';
import { failBeforeSend, withError } from '../core/envelope.js';
import { connectorError } from '../core/errors.js';
import type { HttpResponse } from '../core/http.js';
import type { CensusConfig } from '../registry/connectors/census.js';
import { CENSUS_HOSTS, CENSUS_MIGRATION_GUIDE, CENSUS_VERSIONS, census, censusApiVersion, withLegacyApiVersion } from '../registry/connectors/census.js';
import { needsWarning } from '../registry/versions.js';
import { bindProvider, type BoundProvider, type ProviderBinding } from './bind.js';
import { checkRunId, checkTriggerOptions, flag, runStatus, syncRun, withCodedMessage } from './reverse-etl.js';
import { parseBody } from './support.js';

const PROVIDER = 'Census';
const RUN_ID = /^\d{1,20}$/;

/** Trigger options, exported for `pipeline trigger` (src/cli/trigger-options.ts reads their types). */
export const triggerOptions = z.strictObject({ forceFullSync: z.boolean().optional() });

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
// Census does not publish its error body; {"status":"error","message":"…"} is what it answers in practice
// (the v2 reference documents a bare {"status":404} for an unknown sync, which carries no reason).
const errorBody = z.looseObject({ message: z.string().optional(), error: z.string().optional(), error_code: z.string().optional() });

/** Census's request context: the region's host, the API version's base path, the Bearer token. */
const CENSUS: ProviderBinding<CensusConfig> = {
  connectorId: 'census',
  provider: PROVIDER,
  baseUrl: (config) => CENSUS_HOSTS[config.region ?? 'us'],
  pathPrefix: (config) => `/api/${censusApiVersion(config)}`,
  headers: (config) => ({ authorization: `Bearer ${config.apiToken}` }),
  refineError(res: HttpResponse, secrets) {
    const parsed = errorBody.safeParse(res.body);
    return parsed.success ? withCodedMessage(res, PROVIDER, parsed.data.error_code, parsed.data.message ?? parsed.data.error, secrets) : res;
  },
};

/**
 * Binds the provider for a config read by the registry's rule (a pre-v2 config is v1), after refusing
 * a v1 connection once v1 is retired. The refusal comes first and reads the injected clock: it says
 * what to do (validation would only list the valid versions, and reads the real clock).
 */
function bind(rawConfig: unknown, opts: CallOptions | undefined): { provider: BoundProvider<CensusConfig> } | { fail: ConnectorResponse<never> } {
  const config = withLegacyApiVersion(rawConfig ?? {});
  const status = census.versionStatus(config as Record<string, unknown>, opts?.now?.() ?? Date.now());
  if (status?.state === 'retired') {
    return {
      fail: failBeforeSend(
        'invalid_config',
        `Census: this connection uses Activations API v1, which Fivetran retired on ${status.date} (${CENSUS_MIGRATION_GUIDE}). ` +
          `To move it to ${CENSUS_VERSIONS.current}: create an Activations personal access token and set apiToken to it, ` +
          `set groupId to the Fivetran group of the sync's source, and set apiVersion to ${CENSUS_VERSIONS.current}.`,
      ),
    };
  }
  return bindProvider(CENSUS, config, opts);
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
    const bound = bind(rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    const { provider } = bound;
    const parsed = parseBody(await provider.request({ method: 'GET', path: '/syncs', query: { page: 1, per_page: 1 } }), listBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return parsed;
    // A v1 connection still works, but says how long it has left.
    const version = census.versionStatus(provider.config as Record<string, unknown>, opts?.now?.() ?? Date.now());
    return {
      ...parsed,
      body: {
        syncs: parsed.body.pagination?.total_records ?? parsed.body.data.length,
        apiVersion: censusApiVersion(provider.config),
        ...(version && needsWarning(version) ? { warning: version.message } : {}),
      },
    };
  },

  async trigger(rawConfig, req: TriggerRequest, opts): Promise<ConnectorResponse<SyncRunStatus>> {
    const bound = bind(rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    const { provider } = bound;
    const options = checkTriggerOptions(triggerOptions, req?.options, PROVIDER);
    if ('fail' in options) return options.fail;

    const forceFullSync = options.options.forceFullSync ?? flag(provider.config.forceFullSync);
    // The flag is a query parameter; the body is empty.
    const res = await provider.request({ method: 'POST', path: `/syncs/${encodeURIComponent(provider.config.syncId)}/trigger`, query: { force_full_sync: forceFullSync } });
    const parsed = parseBody(res, triggerBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return withError(parsed, parsed.error ?? connectorError('invalid_response', 'Census returned no body'));
    return runStatus(parsed, syncRun(String(parsed.body.data.sync_run_id), 'pending', undefined, { forceFullSync }));
  },

  async syncStatus(rawConfig, runId, opts): Promise<ConnectorResponse<SyncRunStatus>> {
    const bound = bind(rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    const id = checkRunId(runId, RUN_ID, PROVIDER, 'Census sync run id');
    if ('fail' in id) return id.fail;

    const parsed = parseBody(await bound.provider.request({ method: 'GET', path: `/sync_runs/${id.runId}` }), runBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return withError(parsed, parsed.error ?? connectorError('invalid_response', 'Census returned no body'));
    return runStatus(parsed, censusRunStatus(id.runId, parsed.body.data));
  },
};
