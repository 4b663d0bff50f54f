// `pipeline sync`: register a connection from a config file (optional) and run a pull sync of it,
// showing progress until it ends. A sync of the same stream that is already running is followed
// instead of refused. Ctrl-C detaches: the sync goes on in Temporal. A failed or cancelled sync says
// why (the workflow's own failure message and its causes), in text and in --json, and exits 1
// (failed) or 3 (cancelled).
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { ConnectionStore } from '../../connections/types.js';
import { ConnectionError } from '../../connections/types.js';
import { getConnector } from '../../registry/index.js';
import { followSync, startSync, SyncAlreadyRunningError, syncWorkflowId } from '../../temporal/client.js';
import { activityTaskQueue, workflowTaskQueue } from '../../temporal/task-queues.js';
import type { pullWorkflow, PullOutcomeMemo, PullResult } from '../../../workflows/pull.js';
import { withContext } from '../context.js';
import { failureReport, formatFailure, type FailureReport } from '../failure.js';
import { CliError, color, displayPath, EXIT, formatDuration, plural, printJson } from '../output.js';
import { readConnectionFile } from './connections.js';
import { createProgressView } from '../progress.js';
import { noWorkerMessage, queuesWithoutPollers } from '../workers.js';

export interface SyncOptions {
  config?: string;
  stream?: string;
  full?: boolean;
  onIncomplete?: string;
  pageSize?: number;
  json?: boolean;
  wait?: boolean;
  /** Cancel the running sync of this connection and stream instead of starting one. */
  cancel?: boolean;
}

/** What a cancelled or failed run left in its memo: how far it got. */
async function outcomeOf(handle: WorkflowHandle): Promise<PullOutcomeMemo | undefined> {
  try {
    const memo = (await handle.describe()).memo as { pull?: PullOutcomeMemo } | undefined;
    return memo?.pull;
  } catch {
    return undefined;
  }
}

export function cancelledLine(workflowId: string, outcome: PullOutcomeMemo | undefined): string {
  const pagesAndRecords = outcome ? `${plural(outcome.pages, 'page')} and ${plural(outcome.records, 'record')}` : '';
  const counts = !outcome
    ? ''
    : outcome.slices
      ? ` after ${outcome.slices.done} of ${plural(outcome.slices.total, 'slice')} (${pagesAndRecords} in those; what the slices cut off had written stays in the sink)`
      : ` after ${pagesAndRecords}`;
  // No outcome in the memo: the run was cancelled while it was still planning, before any page.
  if (!outcome) return `Cancelled ${workflowId} before it read any page. The watermark was not advanced: the next sync starts where the last completed one ended, so nothing is skipped.`;
  const from = outcome.previousWatermark ? `from ${outcome.previousWatermark}` : 'from the beginning';
  return `Cancelled ${workflowId}${counts}. The watermark was not advanced: the next sync starts ${from}, so nothing is skipped.`;
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
      if (!opts.json) process.stdout.write(`Registered connection ${color.bold(conn.id)} (${conn.connectorId}) in ${displayPath(settings.connectionsFile)}\n`);
    }
    if (!connectionId) throw new CliError('Name a connection, or give --config <file>');

    const client = await ctx.client();
    if (opts.cancel) {
      await cancelSync(client, store, connectionId, opts.stream, settings.namePrefix, opts.json ?? false);
      return;
    }
    const record = await store.get(connectionId);
    if (record) {
      const idle = await queuesWithoutPollers(client, settings.namespace, [
        { name: workflowTaskQueue(settings.namePrefix), kind: 'workflow' },
        { name: activityTaskQueue(record.connectorId, settings.namePrefix), kind: 'activity' },
      ]);
      if (idle.length) process.stderr.write(color.yellow(`${noWorkerMessage(idle, record.connectorId)} The sync waits until one does.\n`));
    }

    let handle: WorkflowHandle<typeof pullWorkflow>;
    let attached = false;
    try {
      handle = await startSync(client, store, {
        connectionId,
        ...(opts.stream ? { stream: opts.stream } : {}),
        mode: opts.full ? 'full' : 'incremental',
        ...(opts.pageSize ? { pageSize: opts.pageSize } : {}),
        ...(opts.onIncomplete ? { onIncomplete: onIncomplete(opts.onIncomplete) } : {}),
        namePrefix: settings.namePrefix,
      });
    } catch (err) {
      if (!(err instanceof SyncAlreadyRunningError)) throw err instanceof Error && !(err instanceof CliError) && /not registered|no stream|not a source/.test(err.message) ? new CliError(err.message) : err;
      // One run per stream: a sync already running is followed rather than refused.
      handle = client.workflow.getHandle<typeof pullWorkflow>(err.workflowId);
      attached = true;
      const started = await handle.describe().then((d) => d.startTime.toISOString(), () => null);
      if (!opts.json) process.stdout.write(`A sync of ${connectionId} is already running (${err.workflowId}${started ? `, started ${started}` : ''}); following it.${opts.full ? ' (--full applies to the next run, not to this one.)' : ''}\n`);
    }
    if (opts.wait === false) {
      if (opts.json) printJson({ workflowId: handle.workflowId, attached });
      else if (!attached) process.stdout.write(`Started ${handle.workflowId}\n`);
      return;
    }

    const started = Date.now();
    const view = opts.json ? null : createProgressView({ sync: `${connectionId}` });
    process.once('SIGINT', () => {
      view?.stop();
      process.stderr.write(`\nDetached. The sync goes on in Temporal as ${handle.workflowId}; \`pipeline sync ${connectionId}\` follows it again, \`--cancel\` stops it.\n`);
      process.exit(130);
    });
    let result;
    try {
      result = await followSync(handle, (p) => view?.update('sync', p));
    } catch (err) {
      const report = failureReport(err);
      view?.ended('sync', report?.outcome === 'cancelled' ? 'cancelled' : 'failed');
      view?.stop();
      if (!report) throw err;
      await reportEnd(handle, report, opts.json ?? false);
      return;
    }
    view?.done('sync', result.records, result.pages);
    view?.stop();
    if (opts.json) printJson({ workflowId: handle.workflowId, ok: true, attached, ...result });
    else {
      const sliced = result.slices > 0 ? ` in ${plural(result.slices, 'slice')}` : '';
      process.stdout.write(
        `${color.green('Done')}: ${plural(result.records, 'record')} pulled in ${plural(result.pages, 'page')}${sliced} (${formatDuration(Date.now() - started)}); ` +
          `${plural(result.storedRecords, 'record')} stored in ${displayPath(result.location)}; next incremental sync starts from ${result.watermark ?? 'the beginning'}\n`,
      );
      for (const line of resultNotes(result)) process.stderr.write(`${color.yellow('note')}: ${line}\n`);
    }
  });
}

function onIncomplete(v: string): 'fail' | 'warn' {
  if (v === 'fail' || v === 'warn') return v;
  throw new CliError(`--on-incomplete must be fail or warn, not "${v}"`);
}

/** What a person should know about a completed run besides its counts. */
export function resultNotes(result: PullResult): string[] {
  const notes: string[] = [];
  if (result.fallback) notes.push(`read in full: ${result.fallback}`);
  const a = result.anomalies;
  if (a.unparseable + a.afterWindow > 0) {
    notes.push(`${plural(a.unparseable + a.afterWindow, 'record')} had a change time that could not be trusted (${a.unparseable} not a date, ${a.afterWindow} after the run's window): written, but not used for the watermark; e.g. ${a.examples.join(', ')}`);
  }
  if (result.completeness.outcome === 'warned') notes.push(`incomplete: ${plural(result.completeness.missing, 'record')} the source still counts were not read (--on-incomplete warn)`);
  return notes;
}

/** A failed or cancelled run: its reason on stderr (or the failure object on stdout with --json), and the exit code. */
async function reportEnd(handle: WorkflowHandle, report: FailureReport, json: boolean): Promise<never> {
  const outcome = await outcomeOf(handle);
  if (json) {
    printJson({ workflowId: handle.workflowId, ...report, ...(outcome ? { pages: outcome.pages, records: outcome.records, ...(outcome.slices ? { slices: outcome.slices } : {}), watermarkAdvanced: false } : {}) });
  } else if (report.outcome === 'cancelled') {
    process.stderr.write(`${cancelledLine(handle.workflowId, outcome)}\n`);
  } else {
    process.stderr.write(`${color.red('Sync failed')}: ${formatFailure(report)}\n`);
    process.stderr.write(color.dim(`The watermark was not advanced; see the run in the Web UI or \`pipeline sync --help\`.\n`));
  }
  throw new CliError('', report.exitCode);
}

async function cancelSync(client: Client, store: ConnectionStore, connectionId: string, stream: string | undefined, namePrefix: string, json: boolean): Promise<void> {
  const record = await store.get(connectionId);
  if (!record) throw new CliError(`No connection "${connectionId}"`);
  const s = stream ?? getConnector(record.connectorId).capabilities.pull[0];
  if (!s) throw new CliError(`${record.connectorId} connections have no stream to sync`);
  const handle = client.workflow.getHandle(syncWorkflowId(connectionId, s, namePrefix));
  const status = await handle.describe().then((d) => d.status.name, () => 'NOT_FOUND');
  if (status !== 'RUNNING') throw new CliError(`No sync of ${connectionId}/${s} is running (${status.toLowerCase().replace('_', ' ')})`);
  await handle.cancel();
  // The page in flight is interrupted (its activity heartbeats); the saved watermark is not advanced.
  const ended = await handle.result().then(() => 'completed' as const, (err: unknown) => failureReport(err)?.outcome ?? 'failed');
  if (ended === 'completed') {
    // The cancel came while the run was saving its last page's results: it finished instead.
    if (json) printJson({ workflowId: handle.workflowId, cancelled: false, outcome: 'completed' });
    else process.stdout.write(`${handle.workflowId} had already landed every page and completed before the cancel took effect.\n`);
    return;
  }
  const outcome = await outcomeOf(handle);
  if (json) printJson({ workflowId: handle.workflowId, cancelled: ended === 'cancelled', outcome: ended, ...(outcome ? { pages: outcome.pages, records: outcome.records, ...(outcome.slices ? { slices: outcome.slices } : {}), watermarkAdvanced: false } : {}) });
  else process.stdout.write(`${cancelledLine(handle.workflowId, outcome)}\n`);
}
