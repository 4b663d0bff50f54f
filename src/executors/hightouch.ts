// Hightouch REST API (api.hightouch.com/api/v1): trigger a sync, then follow the sync run it started.
// Facts and sources: src/registry/connectors/hightouch.ts. Pages this file follows:
//   https://hightouch.com/docs/developer-tools/api-guide
//   https://hightouch.com/docs/api-reference (TriggerRun, TriggerRunCustom, ListSyncRuns, ListSync)
// The run-status path and enum were checked against Hightouch's published OpenAPI (ListSyncRuns:
// GET /syncs/{syncId}/runs?runId=…, SyncRunStatus = queued | querying | processing | reporting |
// success | warning | failed | cancelled | interrupted) as mirrored in speakeasy-sdks/hightouch-*-sdk
// and api-evangelist/hightouch, and against Kestra's Hightouch plugin, which polls the same way.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { CallOptions, ConnectorExecutor, ConnectorResponse, SyncRunStatus, TriggerRequest } from '../core/envelope.js';
import { withError } from '../core/envelope.js';
import { connectorError } from '../core/errors.js';
import { httpRequest, type HttpResponse, type QueryValue } from '../core/http.js';
import { redact } from '../core/redact.js';
import type { HightouchConfig } from '../registry/connectors/hightouch.js';
import { hightouch } from '../registry/connectors/hightouch.js';
import { checkRunId, checkTriggerOptions, flag, runStatus, syncRun, withCodedMessage } from './reverse-etl.js';
import { baseUrl, callOptions, checkConfig, parseBody, secretsOf } from './support.js';

const PROVIDER = 'Hightouch';
const API_BASE = 'https://api.hightouch.com';
const RUN_ID = /^\d{1,20}$/;

// Exported: `pipeline trigger` reads the declared type of each option from it (src/cli/trigger-options.ts).
export const triggerOptions = z.strictObject({ fullResync: z.boolean().optional() });

const listBody = z.looseObject({ data: z.array(z.looseObject({ id: z.union([z.number(), z.string()]) })), hasMore: z.boolean().optional() });
const triggerBody = z.looseObject({ id: z.union([z.string().regex(RUN_ID), z.number().int().nonnegative()]) });
const rowCounts = z.looseObject({ addedCount: z.number(), changedCount: z.number(), removedCount: z.number() }).nullish();
const runsBody = z.looseObject({
  data: z.array(
    z.looseObject({
      id: z.union([z.number(), z.string()]),
      status: z.string(),
      error: z.union([z.string(), z.looseObject({ message: z.string().optional() })]).nullish(),
      completionRatio: z.number().nullish(),
      querySize: z.number().nullish(),
      plannedRows: rowCounts,
      successfulRows: rowCounts,
      failedRows: rowCounts,
      startedAt: z.string().nullish(),
      finishedAt: z.string().nullish(),
    }),
  ),
});
const validationError = z.looseObject({ message: z.literal('Validation failed'), details: z.record(z.string(), z.unknown()) });
// 422 {"message":"Validation failed","details":{…}}; 429 {"error":"…"}.
const errorBody = z.looseObject({ message: z.string().optional(), error: z.string().optional(), details: z.record(z.string(), z.unknown()).optional() });

async function call(config: HightouchConfig, url: string, method: 'GET' | 'POST', json: unknown, query: Record<string, QueryValue> | undefined, opts?: CallOptions): Promise<HttpResponse> {
  const secrets = secretsOf('hightouch', config);
  const res = await httpRequest({
    provider: PROVIDER,
    method,
    url,
    ...(query ? { query } : {}),
    headers: { authorization: `Bearer ${config.apiKey}` },
    ...(json !== undefined ? { json } : {}),
    secrets,
    ...callOptions(opts, hightouch.policy.timeouts.requestMs),
  });
  const parsed = errorBody.safeParse(res.body);
  if (!parsed.success || res.ok) return res;
  const { message, error, details } = parsed.data;
  // "Validation failed" alone tells the user nothing: add which fields failed.
  const detail = details && Object.keys(details).length > 0 ? ` ${JSON.stringify(details).slice(0, 300)}` : '';
  return withCodedMessage(res, PROVIDER, undefined, message || error ? `${message ?? error}${detail}` : undefined, secrets);
}

// A slug-configured sync is triggered by slug, but runs are listed under the sync's numeric id:
// resolve it once per (workspace key, slug) and keep it, since ids never change.
const syncIdBySlug = new Map<string, string>();

/** For tests: forget the resolved slug → id mappings. */
export function clearHightouchSlugCache(): void {
  syncIdBySlug.clear();
}

async function resolveSyncId(config: HightouchConfig, base: string, opts?: CallOptions): Promise<{ syncId: string } | { fail: ConnectorResponse<never> }> {
  if (config.syncId) return { syncId: config.syncId };
  const slug = config.syncSlug!;
  const key = `${createHash('sha256').update(config.apiKey).digest('hex')}:${slug}`;
  const known = syncIdBySlug.get(key);
  if (known) return { syncId: known };
  const res = await call(config, `${base}/api/v1/syncs`, 'GET', undefined, { slug, limit: 1 }, opts);
  const parsed = parseBody(res, listBody, PROVIDER);
  if (!parsed.ok || !parsed.body) return { fail: withError(parsed, parsed.error ?? connectorError('invalid_response', 'Hightouch returned no body')) };
  const sync = parsed.body.data[0];
  if (!sync) {
    return { fail: withError(parsed, connectorError('not_found', `Hightouch has no sync with slug "${slug}" in this workspace`)) };
  }
  const syncId = String(sync.id);
  syncIdBySlug.set(key, syncId);
  return { syncId };
}

type Run = z.infer<typeof runsBody>['data'][number];

function runError(run: Run): string | undefined {
  if (!run.error) return undefined;
  return typeof run.error === 'string' ? run.error : run.error.message;
}

/** A Hightouch sync run → SyncRunStatus. */
export function hightouchRunStatus(runId: string, run: Run | undefined): SyncRunStatus {
  // The trigger queues a sync request; its run appears once Hightouch picks it up (after any run
  // already in progress), so "no run yet" means pending.
  if (!run) return syncRun(runId, 'pending', undefined, { providerState: 'not_started' });
  const details = {
    providerState: run.status,
    completionRatio: run.completionRatio,
    querySize: run.querySize,
    plannedRows: run.plannedRows,
    successfulRows: run.successfulRows,
    failedRows: run.failedRows,
  };
  const error = runError(run);
  switch (run.status) {
    case 'queued':
      return syncRun(runId, 'pending', undefined, details);
    case 'querying':
    case 'processing':
    case 'reporting':
      return syncRun(runId, 'running', undefined, details);
    case 'success':
      return syncRun(runId, 'succeeded', undefined, details);
    case 'warning':
    // Seen in the wild (Kestra's enum) though not in the OpenAPI enum: the run ended, some rows failed.
    case 'Completed with errors':
      return syncRun(runId, 'succeeded', undefined, { ...details, warning: error ?? 'the run finished with warnings (some rows were rejected)' });
    case 'failed':
      return syncRun(runId, 'failed', error ?? 'Hightouch reports the sync run failed', details);
    case 'interrupted':
      return syncRun(runId, 'failed', error ?? 'Hightouch interrupted the sync run (it resumes in a new run)', details);
    case 'cancelled':
      return syncRun(runId, 'cancelled', error ?? 'the sync run was cancelled', details);
    default:
      return syncRun(runId, 'running', undefined, details);
  }
}

export const hightouchExecutor: ConnectorExecutor<HightouchConfig> = {
  async testConnection(rawConfig, opts) {
    const checked = checkConfig<HightouchConfig>('hightouch', rawConfig);
    if ('fail' in checked) return checked.fail;
    const base = baseUrl(API_BASE, opts);
    if ('fail' in base) return base.fail;
    const parsed = parseBody(await call(checked.config, `${base.base}/api/v1/syncs`, 'GET', undefined, { limit: 1 }, opts), listBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return parsed;
    return { ...parsed, body: { syncsListed: parsed.body.data.length, hasMore: parsed.body.hasMore ?? false } };
  },

  async trigger(rawConfig, req: TriggerRequest, opts): Promise<ConnectorResponse<SyncRunStatus>> {
    const checked = checkConfig<HightouchConfig>('hightouch', rawConfig);
    if ('fail' in checked) return checked.fail;
    const { config } = checked;
    const options = checkTriggerOptions(triggerOptions, req?.options, PROVIDER);
    if ('fail' in options) return options.fail;
    const base = baseUrl(API_BASE, opts);
    if ('fail' in base) return base.fail;

    const fullResync = options.options.fullResync ?? flag(config.fullResync);
    const res = config.syncId
      ? await call(config, `${base.base}/api/v1/syncs/${encodeURIComponent(config.syncId)}/trigger`, 'POST', { fullResync }, undefined, opts)
      : await call(config, `${base.base}/api/v1/syncs/trigger`, 'POST', { syncSlug: config.syncSlug, fullResync }, undefined, opts);
    // TriggerRunCustom documents a 200 whose body is ValidateErrorJSON: an error inside a success.
    const invalid = res.ok ? validationError.safeParse(res.body) : undefined;
    if (invalid?.success) {
      const text = `Hightouch answered HTTP ${res.status}: ${invalid.data.message} ${JSON.stringify(invalid.data.details).slice(0, 300)}`;
      return withError(res, connectorError('bad_request', redact(text, secretsOf('hightouch', config))));
    }
    const parsed = parseBody(res, triggerBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return withError(parsed, parsed.error ?? connectorError('invalid_response', 'Hightouch returned no body'));
    return runStatus(parsed, syncRun(String(parsed.body.id), 'pending', undefined, { fullResync }));
  },

  async syncStatus(rawConfig, runId, opts): Promise<ConnectorResponse<SyncRunStatus>> {
    const checked = checkConfig<HightouchConfig>('hightouch', rawConfig);
    if ('fail' in checked) return checked.fail;
    const { config } = checked;
    const id = checkRunId(runId, RUN_ID, PROVIDER, 'Hightouch sync run id');
    if ('fail' in id) return id.fail;
    const base = baseUrl(API_BASE, opts);
    if ('fail' in base) return base.fail;

    const sync = await resolveSyncId(config, base.base, opts);
    if ('fail' in sync) return sync.fail;
    const res = await call(config, `${base.base}/api/v1/syncs/${encodeURIComponent(sync.syncId)}/runs`, 'GET', undefined, { runId: id.runId }, opts);
    const parsed = parseBody(res, runsBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return withError(parsed, parsed.error ?? connectorError('invalid_response', 'Hightouch returned no body'));
    const runs = parsed.body.data;
    const run = runs.find((r) => String(r.id) === id.runId);
    if (runs.length > 0 && !run) {
      // runId is a filter; an answer about other runs means the filter was ignored: never guess.
      return withError(parsed, connectorError('invalid_response', `Hightouch listed runs of sync ${sync.syncId} but not run ${id.runId}`));
    }
    return runStatus(parsed, hightouchRunStatus(id.runId, run));
  },
};
