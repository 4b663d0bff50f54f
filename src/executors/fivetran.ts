// Fivetran REST API: trigger a connection sync, then read the connection to follow it.
// Facts and sources: src/registry/connectors/fivetran.ts. Pages this file follows:
//   https://fivetran.com/docs/rest-api/api-reference/connections/sync-connection
//   https://fivetran.com/docs/rest-api/api-reference/connections/connection-details
//   https://fivetran.com/docs/rest-api/api-reference/account/get-account-info (why /v1/account/info and
//     not the newer page's "/v1/account": src/registry/connectors/fivetran.ts)
//   https://fivetran.com/docs/rest-api/tutorials/run-manual-sync-and-poll-for-completion
//
// Fivetran has no run id: a trigger only asks the connection to sync. The run id we hand back is the
// trigger time (the provider's own clock, from the Date header, so that local clock skew cannot make
// an old completion look new), and a run is over when `succeeded_at` / `failed_at` move past it.
// Caveat: a non-forced trigger while the connection is already syncing starts nothing new, so the
// completion reported is that of the sync already running.
import { z } from 'zod';
import type { CallOptions, ConnectorExecutor, ConnectorResponse, SyncRunStatus, TriggerRequest } from '../core/envelope.js';
import { withError } from '../core/envelope.js';
import { connectorError } from '../core/errors.js';
import type { HttpResponse } from '../core/http.js';
import { basicAuth } from '../core/redact.js';
import type { FivetranConfig } from '../registry/connectors/fivetran.js';
import { bindProvider, type ProviderBinding } from './bind.js';
import { checkRunId, checkTriggerOptions, flag, runStatus, syncRun, withCodedMessage } from './reverse-etl.js';
import { parseBody } from './support.js';

const PROVIDER = 'Fivetran';
const API_BASE = 'https://api.fivetran.com';
// The current reference sends this Accept header; version=2 is the connections-era response shape.
const ACCEPT = 'application/json;version=2';
// Run ids are the ISO instants we produce in `trigger`.
const RUN_ID = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/** Trigger options, exported for `pipeline trigger` (src/cli/trigger-options.ts reads their types). */
export const triggerOptions = z.strictObject({ force: z.boolean().optional() });

const accountBody = z.object({
  code: z.string(),
  data: z.looseObject({ account_id: z.string(), account_name: z.string().nullish() }),
});
const triggerBody = z.looseObject({ code: z.string(), message: z.string().optional() });
const condition = z.looseObject({ code: z.string().nullish(), message: z.string().nullish() });
const connectionBody = z.object({
  data: z.looseObject({
    id: z.string().optional(),
    paused: z.boolean().nullish(),
    succeeded_at: z.string().nullish(),
    failed_at: z.string().nullish(),
    status: z
      .looseObject({
        sync_state: z.string().nullish(),
        setup_state: z.string().nullish(),
        update_state: z.string().nullish(),
        tasks: z.array(condition).nullish(),
        warnings: z.array(condition).nullish(),
      })
      .nullish(),
  }),
});
const errorBody = z.looseObject({ code: z.string().optional(), message: z.string().optional() });

/** Fivetran's request context: the API host, Basic key:secret, the version=2 Accept header. */
const FIVETRAN: ProviderBinding<FivetranConfig> = {
  connectorId: 'fivetran',
  provider: PROVIDER,
  baseUrl: () => API_BASE,
  headers: (config) => ({ authorization: basicAuth(config.apiKey, config.apiSecret), accept: ACCEPT }),
  // Fivetran errors are {"code":"NotFound_Connection","message":"..."}: keep the code in the message.
  refineError(res: HttpResponse, secrets) {
    const parsed = errorBody.safeParse(res.body);
    return parsed.success ? withCodedMessage(res, PROVIDER, parsed.data.code, parsed.data.message, secrets) : res;
  },
};

function connectionPath(config: FivetranConfig): string {
  return `/v1/${config.apiPath ?? 'connections'}/${encodeURIComponent(config.connectionId)}`;
}

function instant(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}

/** The trigger time: Fivetran's own clock when it sent one, else ours. */
function triggerTime(res: HttpResponse): string {
  const t = instant(res.headers.date);
  return new Date(t ?? Date.now()).toISOString();
}

type Connection = z.infer<typeof connectionBody>['data'];

function failureReason(data: Connection): string | undefined {
  const conditions = [...(data.status?.tasks ?? []), ...(data.status?.warnings ?? [])]
    .map((c) => (c.code && c.message ? `${c.code}: ${c.message}` : c.message ?? c.code))
    .filter((s): s is string => !!s);
  return conditions.length > 0 ? conditions.join('; ').slice(0, 500) : undefined;
}

/** The state of the run started at `runId`, read from the connection's timestamps and sync state. */
export function fivetranRunStatus(runId: string, data: Connection): SyncRunStatus {
  const started = Date.parse(runId);
  const syncState = data.status?.sync_state ?? undefined;
  const details = {
    providerState: syncState,
    succeededAt: data.succeeded_at,
    failedAt: data.failed_at,
    setupState: data.status?.setup_state,
  };
  const succeeded = instant(data.succeeded_at);
  const failed = instant(data.failed_at);
  // Strictly after: the Date header is truncated to the second, and no sync ends the second it starts.
  const succeededAfter = succeeded !== undefined && succeeded > started;
  const failedAfter = failed !== undefined && failed > started;
  if (succeededAfter || failedAfter) {
    // Both can move during a long wait (a failure, then an automatic retry that succeeds): the later wins.
    if (succeededAfter && (!failedAfter || succeeded! >= failed!)) return syncRun(runId, 'succeeded', undefined, details);
    return syncRun(runId, 'failed', failureReason(data) ?? `Fivetran reports the sync failed at ${data.failed_at}`, details);
  }
  switch (syncState) {
    case 'syncing':
      return syncRun(runId, 'running', undefined, details);
    case 'scheduled':
    case 'rescheduled':
      return syncRun(runId, 'pending', undefined, details);
    case 'paused':
      return syncRun(runId, 'failed', 'connection is paused', details);
    default:
      // A paused connection never runs the sync, whatever its sync_state says.
      if (data.paused === true) return syncRun(runId, 'failed', 'connection is paused', details);
      // Unknown state: keep polling; details.providerState shows what Fivetran said.
      return syncRun(runId, 'running', undefined, details);
  }
}

const listBody = z.object({
  code: z.string(),
  data: z.object({
    items: z.array(
      z.looseObject({
        id: z.string(),
        service: z.string().nullish(),
        schema: z.string().nullish(),
        group_id: z.string().nullish(),
        paused: z.boolean().nullish(),
        succeeded_at: z.string().nullish(),
        failed_at: z.string().nullish(),
        status: z.looseObject({ sync_state: z.string().nullish() }).nullish(),
      }),
    ),
    next_cursor: z.string().nullish(),
  }),
});

export interface FivetranConnectionSummary {
  id: string;
  service: string | null;
  schema: string | null;
  groupId: string | null;
  paused: boolean;
  syncState: string | null;
  succeededAt: string | null;
  failedAt: string | null;
}

/**
 * Lists the account's connections (what older docs call connectors), one page at a time, so a user
 * can find the id to configure: `GET /v1/connections?limit=&cursor=`
 * (https://fivetran.com/docs/rest-api/api-reference/connections/list-connections). The account-wide
 * list exists only under the current `connections` naming, whatever the config's apiPath.
 */
export async function listFivetranConnections(
  rawConfig: unknown,
  page: { cursor?: string; limit?: number } = {},
  opts?: CallOptions,
): Promise<ConnectorResponse<{ connections: FivetranConnectionSummary[]; nextCursor: string | null }>> {
  const bound = bindProvider(FIVETRAN, rawConfig, opts);
  if ('fail' in bound) return bound.fail;
  const limit = Math.min(Math.max(1, page.limit ?? 100), 1000);
  const query = new URLSearchParams({ limit: String(limit), ...(page.cursor ? { cursor: page.cursor } : {}) });
  const parsed = parseBody(await bound.provider.request({ method: 'GET', path: `/v1/connections?${query}` }), listBody, PROVIDER);
  if (!parsed.ok || !parsed.body) return withError(parsed, parsed.error ?? connectorError('invalid_response', 'Fivetran returned no list'));
  const connections = parsed.body.data.items.map((c) => ({
    id: c.id,
    service: c.service ?? null,
    schema: c.schema ?? null,
    groupId: c.group_id ?? null,
    paused: c.paused === true,
    syncState: c.status?.sync_state ?? null,
    succeededAt: c.succeeded_at ?? null,
    failedAt: c.failed_at ?? null,
  }));
  return { ...parsed, body: { connections, nextCursor: parsed.body.data.next_cursor ?? null } };
}

export const fivetranExecutor: ConnectorExecutor<FivetranConfig> = {
  async testConnection(rawConfig, opts) {
    const bound = bindProvider(FIVETRAN, rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    const parsed = parseBody(await bound.provider.request({ method: 'GET', path: '/v1/account/info' }), accountBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return parsed;
    return { ...parsed, body: { accountId: parsed.body.data.account_id, accountName: parsed.body.data.account_name ?? null } };
  },

  async trigger(rawConfig, req: TriggerRequest, opts): Promise<ConnectorResponse<SyncRunStatus>> {
    const bound = bindProvider(FIVETRAN, rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    const { provider } = bound;
    const options = checkTriggerOptions(triggerOptions, req?.options, PROVIDER);
    if ('fail' in options) return options.fail;

    const force = options.options.force ?? flag(provider.config.force);
    const res = await provider.request({ method: 'POST', path: `${connectionPath(provider.config)}/sync`, json: { force } });
    const parsed = parseBody(res, triggerBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return withError(parsed, parsed.error ?? connectorError('invalid_response', 'Fivetran returned no body'));
    return runStatus(parsed, syncRun(triggerTime(res), 'pending', undefined, { force, providerMessage: parsed.body.message }));
  },

  async syncStatus(rawConfig, runId, opts): Promise<ConnectorResponse<SyncRunStatus>> {
    const bound = bindProvider(FIVETRAN, rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    const id = checkRunId(runId, RUN_ID, PROVIDER, 'Fivetran run id (the ISO trigger time)');
    if ('fail' in id) return id.fail;

    const res = await bound.provider.request({ method: 'GET', path: connectionPath(bound.provider.config) });
    const parsed = parseBody(res, connectionBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return withError(parsed, parsed.error ?? connectorError('invalid_response', 'Fivetran returned no body'));
    return runStatus(parsed, fivetranRunStatus(id.runId, parsed.body.data));
  },
};
