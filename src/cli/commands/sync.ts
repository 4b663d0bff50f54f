// `pipeline sync`: register a connection from a config file (optional) and run a pull sync of it,
// showing progress until it ends. Ctrl-C detaches: the sync goes on in Temporal.
import type { Client } from '@temporalio/client';
import type { ConnectionStore } from '../../connections/types.js';
import { ConnectionError } from '../../connections/types.js';
import { getConnector } from '../../registry/index.js';
import { followSync, startSync, syncWorkflowId } from '../../temporal/client.js';
import { workflowTaskQueue } from '../../temporal/task-queues.js';
import { withContext } from '../context.js';
import { CliError, color, formatDuration, printJson } from '../output.js';
import { readConnectionFile } from './connections.js';
import { createProgressView } from '../progress.js';

export interface SyncOptions {
  config?: string;
  stream?: string;
  full?: boolean;
  pageSize?: number;
  json?: boolean;
  wait?: boolean;
  /** Cancel the running sync of this connection and stream instead of starting one. */
  cancel?: boolean;
}

async function warnIfNoWorker(client: Client, namespace: string, taskQueue: string): Promise<void> {
  try {
    const res = await client.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue }, taskQueueType: 1 });
    if ((res.pollers ?? []).length === 0) {
      process.stderr.write(color.yellow(`No worker is polling ${taskQueue}: the sync waits until one starts (\`pipeline worker\` or \`pipeline dev\`).\n`));
    }
  } catch {
    // visibility of pollers is a nicety
  }
}

export async function syncCommand(connectionId: string | undefined, opts: SyncOptions): Promise<void> {
  await withContext(async (ctx) => {
    const { settings, store } = ctx;
    if (opts.config) {
      const conn = await readConnectionFile(opts.config);
      if (connectionId && connectionId !== conn.id) throw new CliError(`${opts.config} describes "${conn.id}", not "${connectionId}"`);
      try {
        await store.put(conn);
      } catch (err) {
        if (err instanceof ConnectionError) throw new CliError(err.message);
        throw err;
      }
      connectionId = conn.id;
      if (!opts.json) process.stdout.write(`Registered connection ${color.bold(conn.id)} (${conn.connectorId}) in ${settings.connectionsFile}\n`);
    }
    if (!connectionId) throw new CliError('Name a connection, or give --config <file>');

    const client = await ctx.client();
    if (opts.cancel) {
      await cancelSync(client, store, connectionId, opts.stream, settings.namePrefix, opts.json ?? false);
      return;
    }
    await warnIfNoWorker(client, settings.namespace, workflowTaskQueue(settings.namePrefix));
    const handle = await startSync(client, store, {
      connectionId,
      ...(opts.stream ? { stream: opts.stream } : {}),
      mode: opts.full ? 'full' : 'incremental',
      ...(opts.pageSize ? { pageSize: opts.pageSize } : {}),
      namePrefix: settings.namePrefix,
    });
    if (opts.wait === false) {
      if (opts.json) printJson({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId });
      else process.stdout.write(`Started ${handle.workflowId}\n`);
      return;
    }
    process.once('SIGINT', () => {
      process.stderr.write(`\nDetached. The sync goes on in Temporal as ${handle.workflowId}.\n`);
      process.exit(130);
    });
    const started = Date.now();
    const view = opts.json ? null : createProgressView({ sync: `${connectionId}` });
    const result = await followSync(handle, (p) => view?.update('sync', p));
    view?.done('sync', result.records, result.pages);
    view?.stop();
    if (opts.json) printJson({ workflowId: handle.workflowId, ...result });
    else {
      process.stdout.write(
        `${color.green('Done')}: ${result.records} records pulled in ${result.pages} pages (${formatDuration(Date.now() - started)}); ` +
          `${result.storedRecords} records stored in ${result.location}; next incremental sync starts from ${result.watermark ?? 'the beginning'}\n`,
      );
    }
  });
}

async function cancelSync(client: Client, store: ConnectionStore, connectionId: string, stream: string | undefined, namePrefix: string, json: boolean): Promise<void> {
  const record = await store.get(connectionId);
  if (!record) throw new CliError(`No connection "${connectionId}"`);
  const s = stream ?? getConnector(record.connectorId).capabilities.pull[0];
  if (!s) throw new CliError(`${record.connectorId} connections have no stream to sync`);
  const handle = client.workflow.getHandle(syncWorkflowId(connectionId, s, namePrefix));
  const status = await handle.describe().then((d) => d.status.name, () => 'NOT_FOUND');
  if (status !== 'RUNNING') throw new CliError(`No sync of ${connectionId}/${s} is running (${status.toLowerCase()})`);
  await handle.cancel();
  // The workflow stops after the page in flight; its watermark is not advanced, so nothing is skipped.
  await handle.result().catch(() => undefined);
  if (json) printJson({ cancelled: handle.workflowId });
  else process.stdout.write(`Cancelled ${handle.workflowId}. The next sync starts from the last completed run's watermark.\n`);
}
