// `pipeline pipelines run | status | dead | replay | deliveries`: running a pipeline, watching it, and
// repairing what it could not deliver.
import type { WorkflowHandle } from '@temporalio/client';
import { withLedger as withSettingsLedger } from '../../pipelines/index.js';
import type { DeliveryLedger } from '../../pipelines/ledger.js';
import { REPLAYABLE_STATES, type DeliveryEntry } from '../../pipelines/types.js';
import { followPipeline, pipelineWorkflowId, PipelineRunningError, startPipelineRun } from '../../temporal/pipeline-client.js';
import { activityTaskQueue, workflowTaskQueue } from '../../temporal/task-queues.js';
import type { PipelineMode, PipelineProgress, PipelineResult, pipelineWorkflow } from '../../../workflows/pipeline.js';
import { withContext, type CliContext } from '../context.js';
import { failureReport, formatFailure } from '../failure.js';
import { CliError, color, count, displayPath, formatDuration, plural, printJson, printTable } from '../output.js';
import { createPipelineProgressView } from '../pipeline-progress.js';
import { noWorkerMessage, queuesWithoutPollers } from '../workers.js';
import { requirePipeline } from './pipelines.js';

function withLedger<T>(ctx: CliContext, fn: (ledger: DeliveryLedger) => Promise<T>): Promise<T> {
  return withSettingsLedger(ctx.settings, fn);
}

export interface RunOptions {
  full?: boolean;
  wait?: boolean;
  json?: boolean;
}

/** Starts a run (or a replay), or follows the one already running, until it ends. */
async function startAndFollow(ctx: CliContext, id: string, mode: PipelineMode, opts: RunOptions & { replay?: { recordIds?: string[]; since?: string } }): Promise<void> {
  const def = await requirePipeline(ctx, id);
  const client = await ctx.client();
  const destination = await ctx.store.get(def.destination.connectionId);
  const source = await ctx.store.get(def.source.connectionId);
  const queues = [
    { name: workflowTaskQueue(ctx.settings.namePrefix), kind: 'workflow' as const },
    ...(destination ? [{ name: activityTaskQueue(destination.connectorId, ctx.settings.namePrefix), kind: 'activity' as const }] : []),
    ...(source && def.source.from === 'pull' && mode !== 'replay' ? [{ name: activityTaskQueue(source.connectorId, ctx.settings.namePrefix), kind: 'activity' as const }] : []),
  ];
  const idle = await queuesWithoutPollers(client, ctx.settings.namespace, queues);
  if (idle.length) process.stderr.write(color.yellow(`${noWorkerMessage(idle, destination?.connectorId ?? '')} The run waits until one does.\n`));

  let handle: WorkflowHandle<typeof pipelineWorkflow>;
  let attached = false;
  try {
    handle = await startPipelineRun(client, ctx.store, { pipelineId: id, mode, ...(opts.replay ? { replay: opts.replay } : {}), namePrefix: ctx.settings.namePrefix });
  } catch (err) {
    if (!(err instanceof PipelineRunningError)) throw err;
    if (mode === 'replay') throw new CliError(`${err.message}. A replay starts once it has ended.`);
    handle = client.workflow.getHandle<typeof pipelineWorkflow>(err.workflowId);
    attached = true;
    if (!opts.json) process.stdout.write(`Pipeline ${id} is already running (${err.workflowId}); following it.\n`);
  }
  if (opts.wait === false) {
    if (opts.json) printJson({ workflowId: handle.workflowId, attached });
    else if (!attached) process.stdout.write(`Started ${handle.workflowId}\n`);
    return;
  }
  const started = Date.now();
  const view = opts.json ? null : createPipelineProgressView(mode === 'replay' ? `replay ${id}` : id);
  process.once('SIGINT', () => {
    view?.stop();
    process.stderr.write(`\nDetached. The run goes on in Temporal as ${handle.workflowId}; \`pipeline pipelines status ${id}\` shows it.\n`);
    process.exit(130);
  });
  let result: PipelineResult;
  try {
    result = await followPipeline(handle, (p) => view?.update(p));
  } catch (err) {
    view?.stop();
    const report = failureReport(err);
    if (!report) throw err;
    if (opts.json) printJson({ workflowId: handle.workflowId, ...report });
    else {
      process.stderr.write(`${color.red(report.outcome === 'cancelled' ? 'Pipeline run cancelled' : 'Pipeline run failed')}: ${formatFailure(report)}\n`);
      process.stderr.write(color.dim(`The watermark was not advanced; records it could not deliver are kept in the ledger (pipeline pipelines dead ${id}).\n`));
    }
    throw new CliError('', report.exitCode);
  }
  view?.stop();
  if (opts.json) {
    printJson({ workflowId: handle.workflowId, ok: true, attached, ...result });
    return;
  }
  printResult(result, Date.now() - started);
}

function printResult(r: PipelineResult, ms: number): void {
  const w = process.stdout;
  const read = r.mode === 'replay' ? `${plural(r.staged, 'record')} re-sent` : `${plural(r.records, 'record')} read in ${plural(r.pages, 'page')}`;
  w.write(`${color.green('Done')}: ${r.label} — ${read}, ${color.bold(`${r.delivered.toLocaleString('en-US')} delivered`)}`);
  w.write(`${r.dead ? `, ${color.red(`${r.dead} dead`)}` : ', 0 dead'}${r.unknown ? `, ${color.yellow(`${r.unknown} unknown`)}` : ''}${r.failed ? `, ${color.yellow(`${r.failed} failed (retried by the next run)`)}` : ''}`);
  w.write(`${r.filtered ? `, ${r.filtered} filtered out` : ''}${r.skipped ? `, ${r.skipped.toLocaleString('en-US')} already delivered` : ''} in ${plural(r.requests, 'request')} (${formatDuration(ms)})\n`);
  const l = r.ledger;
  w.write(`  ledger: ${count(l.delivered ?? 0)} delivered, ${count(l.dead ?? 0)} dead, ${count(l.unknown ?? 0)} unknown, ${count(l.failed ?? 0)} failed in all (${displayPath(r.ledgerLocation)})\n`);
  for (const e of r.deadExamples) w.write(`  ${color.red('dead')}: ${e}\n`);
  if ((l.dead ?? 0) + (l.unknown ?? 0) > 0) w.write(color.dim(`  see them: pipeline pipelines dead ${r.pipelineId}; send them again after a fix: pipeline pipelines replay ${r.pipelineId}\n`));
}

export async function pipelinesRun(id: string, opts: RunOptions): Promise<void> {
  await withContext((ctx) => startAndFollow(ctx, id, opts.full ? 'full' : 'incremental', opts));
}

export async function pipelinesReplay(id: string, opts: RunOptions & { record?: string[]; since?: string }): Promise<void> {
  if (opts.since && Number.isNaN(Date.parse(opts.since))) throw new CliError(`--since ${opts.since} is not a date (ISO-8601, e.g. 2026-12-01T00:00:00Z)`);
  await withContext(async (ctx) => {
    await requirePipeline(ctx, id);
    const pending = await withLedger(ctx, (ledger) => ledger.current(id, { states: REPLAYABLE_STATES, ...(opts.record?.length ? { recordIds: opts.record } : {}), ...(opts.since ? { since: new Date(opts.since).toISOString() } : {}) }));
    if (pending.length === 0) {
      if (opts.json) printJson({ ok: true, replayed: 0 });
      else process.stdout.write(`Nothing to replay: no dead, unknown or failed record${opts.record?.length ? ` among ${opts.record.join(', ')}` : ''}${opts.since ? ` since ${opts.since}` : ''} in pipeline ${id}.\n`);
      return;
    }
    if (!opts.json) process.stdout.write(`Replaying ${plural(pending.length, 'record')} of pipeline ${id} (${countStates(pending)}), with their original delivery keys.\n`);
    await startAndFollow(ctx, id, 'replay', { ...opts, replay: { ...(opts.record?.length ? { recordIds: opts.record } : {}), ...(opts.since ? { since: new Date(opts.since).toISOString() } : {}) } });
  });
}

function countStates(entries: readonly DeliveryEntry[]): string {
  const by = new Map<string, number>();
  for (const e of entries) by.set(e.state, (by.get(e.state) ?? 0) + 1);
  return [...by].map(([s, n]) => `${n} ${s}`).join(', ');
}

export async function pipelinesStatus(id: string, opts: { json?: boolean }): Promise<void> {
  await withContext(async (ctx) => {
    await requirePipeline(ctx, id);
    const client = await ctx.client();
    const handle = client.workflow.getHandle(pipelineWorkflowId(id, ctx.settings.namePrefix));
    const d = await handle.describe().catch(() => null);
    const progress = d?.status.name === 'RUNNING' ? await handle.query<PipelineProgress>('pipelineProgress').catch(() => null) : null;
    const { counts, state } = await withLedger(ctx, async (ledger) => ({ counts: await ledger.counts(id), state: await ledger.loadState(id) }));
    const out = {
      pipelineId: id,
      run: d ? { workflowId: d.workflowId, runId: d.runId, status: d.status.name, startTime: d.startTime.toISOString(), closeTime: d.closeTime?.toISOString() ?? null } : null,
      progress,
      ledger: counts,
      watermark: state?.watermark ?? null,
      lastRun: state?.lastRun ?? null,
      lastRunAt: state?.lastRunAt ?? null,
    };
    if (opts.json) {
      printJson(out);
      return;
    }
    const w = process.stdout;
    if (!d) w.write(`Pipeline ${id} has not run yet.\n`);
    else if (progress) {
      w.write(`${color.bold(id)} running (${d.workflowId}, started ${out.run!.startTime}): ${progress.phase}, ${progress.records} read, ${progress.delivered} delivered, ${progress.dead} dead, ${progress.unknown} unknown, ${progress.failed} failed, ${progress.callsInFlight} call(s) in flight\n`);
    } else {
      w.write(`${color.bold(id)} last run ${d.status.name.toLowerCase()} (${d.workflowId}, ${out.run!.startTime} → ${out.run!.closeTime ?? '?'})\n`);
    }
    w.write(`  ledger: ${count(counts.delivered)} delivered, ${count(counts.dead)} dead, ${count(counts.unknown)} unknown, ${count(counts.failed)} failed, ${count(counts.filtered)} filtered, ${count(counts.queued + counts.sending)} in progress\n`);
    w.write(`  watermark: ${out.watermark ?? 'none'}\n`);
  });
}

export async function pipelinesDead(id: string, opts: { json?: boolean; limit?: number; all?: boolean }): Promise<void> {
  await withContext(async (ctx) => {
    await requirePipeline(ctx, id);
    const entries = await withLedger(ctx, (ledger) => ledger.current(id, { states: REPLAYABLE_STATES }));
    entries.sort((a, b) => a.at.localeCompare(b.at));
    const shown = opts.all ? entries : entries.slice(0, opts.limit ?? 50);
    if (opts.json) {
      printJson(shown.map((e) => ({ recordId: e.recordId, version: e.version, state: e.state, code: e.code ?? null, reason: e.reason ?? null, status: e.status ?? null, at: e.at, key: e.key })));
      return;
    }
    if (entries.length === 0) {
      process.stdout.write(`No dead letters: every record pipeline ${id} has seen was delivered (or filtered out).\n`);
      return;
    }
    printTable(
      shown.map((e) => ({ record: e.recordId, state: e.state, code: e.code ?? '', at: e.at, reason: oneLine(e.reason ?? '', 120) })),
      ['record', 'state', 'code', 'at', 'reason'],
    );
    if (shown.length < entries.length) process.stdout.write(color.dim(`… ${entries.length - shown.length} more (--all, or --json)\n`));
    process.stdout.write(color.dim(`dead: refused by the destination or the mapping; unknown: may have arrived (a call was cut off); failed: retried by the next run.\nAfter a fix: pipeline pipelines replay ${id} [--record <id>]\n`));
  });
}

const oneLine = (s: string, n: number) => {
  const t = s.replace(/\s+/g, ' ');
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
};

export async function pipelinesDeliveries(id: string, opts: { record: string; json?: boolean }): Promise<void> {
  await withContext(async (ctx) => {
    await requirePipeline(ctx, id);
    const history = await withLedger(ctx, (ledger) => ledger.history(id, opts.record));
    if (opts.json) {
      printJson(history);
      return;
    }
    if (history.length === 0) {
      process.stdout.write(`Pipeline ${id} has no delivery of record ${opts.record} (never pulled, or filtered before it had one).\n`);
      return;
    }
    printTable(
      history.map((e) => ({ at: e.at, version: e.version.slice(0, 10), state: e.state, status: e.status ?? '', key: e.key ?? '', detail: oneLine([e.code, e.reason, e.providerId ? `id ${e.providerId}` : '', e.replay ? 'replay' : ''].filter(Boolean).join(' '), 90) })),
      ['at', 'version', 'state', 'status', 'key', 'detail'],
    );
  });
}

