// GET /api/connections/<id>/runs: the connection's latest runs (syncs, scheduled runs, sends,
// reverse-ETL runs) from Temporal's visibility, with their outcome and a link into the Web UI.
import { listRuns } from '../../temporal/runs.js';
import { workflowTaskQueue } from '../../temporal/task-queues.js';
import { runsQuery } from '../../cli/commands/runs.js';
import { CONNECTION_ID, requireConnection, runLink, temporal, type Route } from '../context.js';

const MAX_RUNS = 50;

export const runRoutes: Route[] = [
  {
    method: 'GET',
    path: new RegExp(`^/api/connections/${CONNECTION_ID}/runs$`),
    async handle({ deps, params, query }) {
      const record = await requireConnection(deps, params[0]!);
      const limit = Math.min(Math.max(Number(query.get('limit')) || 10, 1), MAX_RUNS);
      const client = await temporal(deps);
      const q = runsQuery({ connection: record.id }, workflowTaskQueue(deps.settings.namePrefix));
      try {
        const runs = await listRuns(client, q, limit);
        return { runs: runs.map((r) => ({ ...r, link: runLink(deps, r.id, r.runId) })) };
      } catch (err) {
        // A cluster without the ConnectionId search attribute cannot be asked by connection.
        return { runs: [], message: `Temporal's visibility could not list the runs: ${(err as Error).message}` };
      }
    },
  },
];
