// Syncs of a source connection: start one (or join the one running: one run per stream, as
// `pipeline sync` does), and read how it is going: the workflow's progress query while it runs
// (slices when sliced), its result or its failure once it ended. The page polls the second.
import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { getConnector } from '../../registry/index.js';
import { startSync, SyncAlreadyRunningError, syncWorkflowId } from '../../temporal/client.js';
import { activityTaskQueue, workflowTaskQueue } from '../../temporal/task-queues.js';
import type { PullProgress, PullResult } from '../../../workflows/pull.js';
import { failureReport } from '../../cli/failure.js';
import { noWorkerMessage, queuesWithoutPollers } from '../../cli/workers.js';
import { CONNECTION_ID, Reply, requireConnection, runLink, temporal, type Route } from '../context.js';
import { RequestError } from '../security.js';

const startSchema = z.strictObject({
  stream: z.string().max(64).optional(),
  full: z.boolean().optional(),
});

/** What the page shows of a finished sync (the sink's location is a path on this machine: not needed there). */
function resultView(r: PullResult) {
  return { records: r.records, pages: r.pages, slices: r.slices, storedRecords: r.storedRecords, watermark: r.watermark, mode: r.mode, startedAt: r.startedAt, finishedAt: r.finishedAt };
}

function progressView(p: PullProgress) {
  return { phase: p.phase, mode: p.mode, pages: p.pages, records: p.records, total: p.total, slices: p.slices, startedAt: p.startedAt };
}

export const syncRoutes: Route[] = [
  {
    method: 'POST',
    path: new RegExp(`^/api/connections/${CONNECTION_ID}/sync$`),
    async handle({ deps, params, body }) {
      const input = await body(startSchema);
      const record = await requireConnection(deps, params[0]!);
      const connector = getConnector(record.connectorId);
      if (connector.capabilities.pull.length === 0) throw new RequestError(400, 'not_a_source', `${connector.name} is not a source: it cannot be pulled`);
      const client = await temporal(deps);
      const prefix = deps.settings.namePrefix;
      const idle = await queuesWithoutPollers(client, deps.settings.namespace, [
        { name: workflowTaskQueue(prefix), kind: 'workflow' },
        { name: activityTaskQueue(record.connectorId, prefix), kind: 'activity' },
      ]);
      const warning = idle.length ? `${noWorkerMessage(idle, record.connectorId)} The sync waits until one does.` : null;
      try {
        const handle = await startSync(client, deps.store, {
          connectionId: record.id,
          ...(input.stream ? { stream: input.stream } : {}),
          mode: input.full ? 'full' : 'incremental',
          namePrefix: prefix,
        });
        return new Reply(201, { workflowId: handle.workflowId, attached: false, warning });
      } catch (err) {
        // One run per stream: a sync already running (by hand, by its schedule) is followed instead.
        if (err instanceof SyncAlreadyRunningError) return { workflowId: err.workflowId, attached: true, warning };
        if (err instanceof Error && /has no stream|not a source/.test(err.message)) throw new RequestError(400, 'invalid_request', err.message);
        throw err;
      }
    },
  },
  {
    method: 'GET',
    path: new RegExp(`^/api/connections/${CONNECTION_ID}/sync$`),
    async handle({ deps, params, query }) {
      const record = await requireConnection(deps, params[0]!);
      const streams = getConnector(record.connectorId).capabilities.pull;
      const stream = query.get('stream') ?? streams[0];
      if (!stream || !streams.includes(stream)) throw new RequestError(400, 'invalid_request', 'No such stream');
      const workflowId = syncWorkflowId(record.id, stream, deps.settings.namePrefix);
      const client = await temporal(deps);
      const handle = client.workflow.getHandle(workflowId);
      let d;
      try {
        d = await handle.describe();
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return { workflowId, status: 'none' };
        throw err;
      }
      const status = d.status.name.toLowerCase();
      const base = { workflowId, runId: d.runId, status, startTime: d.startTime.toISOString(), closeTime: d.closeTime?.toISOString() ?? null, link: runLink(deps, workflowId, d.runId) };
      if (status === 'running') {
        const progress = await handle.query<PullProgress>('progress').catch(() => null); // between runs of a continue-as-new
        return { ...base, progress: progress ? progressView(progress) : null };
      }
      try {
        return { ...base, result: resultView(await handle.result()) };
      } catch (err) {
        const report = failureReport(err);
        if (!report) throw err;
        return { ...base, failure: { code: report.code ?? report.outcome, message: report.message, causes: report.causes } };
      }
    },
  },
];
