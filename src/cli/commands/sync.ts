// `pipeline sync`: register a connection from a config file (optional) and run a pull sync of it,
// showing progress until it ends. Ctrl-C detaches: the sync goes on in Temporal.
import { readFile } from 'node:fs/promises';
import type { Client } from '@temporalio/client';
import { createConnectionStore } from '../../connections/index.js';
import type { ConnectionStore } from '../../connections/types.js';
import { ConnectionError, type NewConnection } from '../../connections/types.js';
import { loadSettings } from '../../settings.js';
import { connectClient, followSync, startSync, syncWorkflowId } from '../../temporal/client.js';
import { dataConverterFromEnv } from '../../temporal/codec.js';
import { getConnector } from '../../registry/index.js';
import { workflowTaskQueue } from '../../temporal/task-queues.js';
import { CliError, color, formatDuration, printJson } from '../output.js';
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

/** A connection file: {"id": "...", "connector": "shopify", "config": {...}}. */
export async function readConnectionFile(path: string): Promise<NewConnection> {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new CliError(`Cannot read connection file ${path}: ${(err as Error).message}`);
  }
  const { id, connector, config, baseUrlOverride } = parsed;
  if (typeof id !== 'string' || typeof connector !== 'string' || !config || typeof config !== 'object') {
    throw new CliError(`${path} must hold {"id": "...", "connector": "<connector id>", "config": {...}}`);
  }
  return { id, connectorId: connector, config: config as Record<string, unknown>, ...(typeof baseUrlOverride === 'string' ? { baseUrlOverride } : {}) };
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
  const settings = loadSettings();
  const store = createConnectionStore(settings);
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

  const client = await connectClient(settings, dataConverterFromEnv());
  try {
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
  } finally {
    await client.connection.close();
    await store.close?.();
  }
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
