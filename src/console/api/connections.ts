// The registered connections: list them (secrets only as set / not set), add one from the rendered
// form (validated and stored exactly as `pipeline connections add` does: the store validates against
// the connector's zod schema and encrypts inline secrets when PIPELINE_SECRETS_KEYS is set), and
// run its credential check on a worker.
import { z } from 'zod';
import { isSecretRef } from '../../core/secret-ref.js';
import { secretStatus, type SecretStatus } from '../../connections/redacted.js';
import type { ConnectionRecord } from '../../connections/types.js';
import { versionWarningFor } from '../../connections/version-warnings.js';
import { getConnector, isConnectorId } from '../../registry/index.js';
import { testConnectionRun } from '../../temporal/test-connection.js';
import { activityTaskQueue, workflowTaskQueue } from '../../temporal/task-queues.js';
import { failureReport } from '../../cli/failure.js';
import { noWorkerMessage, queuesWithoutPollers } from '../../cli/workers.js';
import { CONNECTION_ID, Reply, requireConnection, temporal, type ConsoleDeps, type Route } from '../context.js';
import { RequestError } from '../security.js';
import { scheduleView, type ScheduleView } from './schedules.js';

export interface ConnectionView {
  id: string;
  connectorId: string;
  connectorName: string;
  authMethod: { id: string; label: string };
  /** The non-secret fields that are set, in the form's order. */
  fields: { key: string; label: string; value: string }[];
  /** Each secret field of the auth method: whether it is set and how it is kept. Never its value. */
  secrets: ({ key: string; label: string } & SecretStatus)[];
  sandboxUrl: string | null;
  streams: readonly string[];
  canSend: boolean;
  canTrigger: boolean;
  versionWarning: string | null;
  createdAt: string;
  updatedAt: string;
}

export function connectionView(record: ConnectionRecord): ConnectionView {
  const connector = getConnector(record.connectorId);
  const methods = connector.formSpec().authMethods;
  const method = methods.find((m) => m.id === record.config.authMethod) ?? methods[0]!;
  const fields: ConnectionView['fields'] = [];
  const secrets: ConnectionView['secrets'] = [];
  for (const f of method.fields) {
    const value = record.config[f.key];
    if (f.secret) secrets.push({ key: f.key, label: f.label, ...secretStatus(value) });
    else if (value !== undefined && value !== null && value !== '') fields.push({ key: f.key, label: f.label, value: String(value) });
  }
  return {
    id: record.id,
    connectorId: record.connectorId,
    connectorName: connector.name,
    authMethod: { id: method.id, label: method.label },
    fields,
    secrets,
    sandboxUrl: record.baseUrlOverride ?? null,
    streams: connector.capabilities.pull,
    canSend: connector.capabilities.send,
    canTrigger: connector.capabilities.trigger,
    versionWarning: versionWarningFor(record)?.status.message ?? null,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

/** Every schedule of the listed sources, or why Temporal could not say. */
async function schedulesOf(deps: ConsoleDeps, records: ConnectionRecord[]): Promise<{ byId: Map<string, ScheduleView | null>; temporal: { ok: boolean; message?: string } }> {
  const byId = new Map<string, ScheduleView | null>();
  const sources = records.filter((r) => getConnector(r.connectorId).capabilities.pull.length > 0);
  if (sources.length === 0) return { byId, temporal: { ok: true } };
  try {
    const client = await temporal(deps);
    await Promise.all(sources.map(async (r) => byId.set(r.id, await scheduleView(deps, client, r))));
    return { byId, temporal: { ok: true } };
  } catch (err) {
    return { byId, temporal: { ok: false, message: (err as Error).message } };
  }
}

// Limits here only keep a request small; the connector's own schema (the store's) judges the values.
const addSchema = z.strictObject({
  id: z.string().max(63),
  connectorId: z.string().max(64),
  config: z
    .record(z.string().max(64), z.union([z.string().max(20_000), z.number(), z.boolean()]))
    .refine((c) => Object.keys(c).length <= 64, { error: 'too many fields' }),
  baseUrlOverride: z.string().max(2_048).optional(),
});

export const connectionRoutes: Route[] = [
  {
    method: 'GET',
    path: /^\/api\/connections$/,
    async handle({ deps }) {
      const records = await deps.store.list();
      const { byId, temporal: t } = await schedulesOf(deps, records);
      return { connections: records.map((r) => ({ ...connectionView(r), schedule: byId.get(r.id) ?? null })), temporal: t };
    },
  },
  {
    method: 'POST',
    path: /^\/api\/connections$/,
    async handle({ deps, body, secrets }) {
      const input = await body(addSchema);
      if (!isConnectorId(input.connectorId)) {
        throw new RequestError(400, 'invalid_config', `Unknown connector "${input.connectorId}"`, { fieldErrors: { connectorId: ['unknown connector'] } });
      }
      // Inline secret values (not env:/file: references) must never come back, not even in an error.
      for (const key of getConnector(input.connectorId).secretFields()) {
        const v = input.config[key];
        if (typeof v === 'string' && v !== '' && !isSecretRef(v)) secrets.push(v);
      }
      const record = await deps.store.add({
        id: input.id,
        connectorId: input.connectorId,
        config: input.config,
        ...(input.baseUrlOverride ? { baseUrlOverride: input.baseUrlOverride } : {}),
      });
      return new Reply(201, { connection: connectionView(record) });
    },
  },
  {
    method: 'POST',
    path: new RegExp(`^/api/connections/${CONNECTION_ID}/test$`),
    async handle({ deps, params, body }) {
      await body(z.strictObject({})); // nothing to give, and nothing else accepted
      const record = await requireConnection(deps, params[0]!);
      const client = await temporal(deps);
      const prefix = deps.settings.namePrefix;
      // A person is waiting for the answer: without a worker there is none to wait for.
      const idle = await queuesWithoutPollers(client, deps.settings.namespace, [
        { name: workflowTaskQueue(prefix), kind: 'workflow' },
        { name: activityTaskQueue(record.connectorId, prefix), kind: 'activity' },
      ]);
      if (idle.length) return { ok: false, code: 'no_worker', message: noWorkerMessage(idle, record.connectorId) };
      try {
        const r = await testConnectionRun(client, record.id, prefix);
        return { ok: true, status: r.status, latencyMs: Math.round(r.latencyMs), check: r.check };
      } catch (err) {
        const report = failureReport(err);
        if (!report) throw err;
        return { ok: false, code: report.code ?? report.outcome, message: report.message, causes: report.causes };
      }
    },
  },
];
