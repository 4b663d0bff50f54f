// `pipeline runs list`: the engine's runs from Temporal's visibility, filtered by the engine's own
// search attributes (ConnectorId, ConnectionId, PipelineKind), without the `temporal` CLI on PATH.
import { isConnectorId, CONNECTOR_IDS } from '../../registry/index.js';
import { listRuns } from '../../temporal/runs.js';
import { workflowTaskQueue } from '../../temporal/task-queues.js';
import { withContext } from '../context.js';
import { CliError, printJson, printTable } from '../output.js';
import { didYouMean } from '../suggest.js';

const KINDS = ['pull', 'scheduled_pull', 'send', 'reverse_etl', 'pipeline'] as const;
const STATUSES: Record<string, string> = {
  running: 'Running', completed: 'Completed', failed: 'Failed', cancelled: 'Canceled', canceled: 'Canceled', terminated: 'Terminated', timed_out: 'TimedOut', continued: 'ContinuedAsNew',
};

export interface RunsListOptions {
  connector?: string;
  connection?: string;
  kind?: string;
  status?: string;
  limit?: number;
  json?: boolean;
}

/** The visibility query for the filters (values are plain ids: quoted, and checked before use). */
export function runsQuery(opts: RunsListOptions, taskQueue: string): string {
  const clauses = [`TaskQueue = "${taskQueue}"`];
  if (opts.connector) {
    if (!isConnectorId(opts.connector)) throw new CliError(`Unknown connector "${opts.connector}".${didYouMean(opts.connector, CONNECTOR_IDS)}`);
    clauses.push(`ConnectorId = "${opts.connector}"`);
  }
  if (opts.connection) {
    if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(opts.connection)) throw new CliError(`"${opts.connection}" is not a connection id`);
    clauses.push(`ConnectionId = "${opts.connection}"`);
  }
  if (opts.kind) {
    if (!(KINDS as readonly string[]).includes(opts.kind)) throw new CliError(`--kind must be one of ${KINDS.join(', ')}`);
    clauses.push(`PipelineKind = "${opts.kind}"`);
  }
  if (opts.status) {
    const s = STATUSES[opts.status.toLowerCase()];
    if (!s) throw new CliError(`--status must be one of ${Object.keys(STATUSES).filter((k) => k !== 'canceled').join(', ')}`);
    clauses.push(`ExecutionStatus = "${s}"`);
  }
  return clauses.join(' AND ');
}

export async function runsList(opts: RunsListOptions): Promise<void> {
  await withContext(async (ctx) => {
    const query = runsQuery(opts, workflowTaskQueue(ctx.settings.namePrefix));
    const rows = await listRuns(await ctx.client(), query, opts.limit ?? 20);
    if (opts.json) printJson(rows);
    else printTable(rows as unknown as Record<string, unknown>[], ['id', 'kind', 'connection', 'status', 'started', 'closed']);
  });
}
