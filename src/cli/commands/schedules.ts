// `pipeline schedules create | list | describe | pause | unpause | trigger | backfill | delete`.
import { getConnector } from '../../registry/index.js';
import {
  createPullSchedule,
  describeSchedule,
  listPullSchedules,
  overlapName,
  scheduleId,
  ScheduleError,
  OVERLAP_POLICIES,
  type OverlapPolicyName,
} from '../../temporal/schedules.js';
import { withContext, type CliContext } from '../context.js';
import { CliError, color, formatInterval, printJson, printTable } from '../output.js';

/** Accepts a schedule id (`pull:shop:orders`) or a connection id (its first stream). */
async function resolveId(ctx: CliContext, idOrConnection: string): Promise<string> {
  if (idOrConnection.startsWith(`${ctx.settings.namePrefix}pull:`)) return idOrConnection;
  const record = await ctx.store.get(idOrConnection);
  const stream = record ? getConnector(record.connectorId).capabilities.pull[0] : undefined;
  if (!record || !stream) throw new CliError(`"${idOrConnection}" is neither a schedule id (pull:<connection>:<stream>) nor a pullable connection`);
  return scheduleId(record.id, stream, ctx.settings.namePrefix);
}

function wrap(err: unknown): never {
  if (err instanceof ScheduleError) throw new CliError(err.message);
  throw err;
}

export interface CreateOptions {
  stream?: string;
  every?: string;
  cron?: string[];
  timezone?: string;
  jitter?: string;
  overlap?: string;
  catchupWindow?: string;
  full?: boolean;
  paused?: boolean;
  note?: string;
  json?: boolean;
}

export async function schedulesCreate(connectionId: string, opts: CreateOptions): Promise<void> {
  if (opts.overlap && !(OVERLAP_POLICIES as readonly string[]).includes(opts.overlap)) {
    throw new CliError(`--overlap must be one of ${OVERLAP_POLICIES.join(', ')}`);
  }
  await withContext(async (ctx) => {
    const handle = await createPullSchedule(await ctx.client(), ctx.store, {
      connectionId,
      ...(opts.stream ? { stream: opts.stream } : {}),
      ...(opts.every ? { every: opts.every } : {}),
      ...(opts.cron?.length ? { cron: opts.cron } : {}),
      ...(opts.timezone ? { timezone: opts.timezone } : {}),
      ...(opts.jitter ? { jitter: opts.jitter } : {}),
      ...(opts.overlap ? { overlap: opts.overlap as OverlapPolicyName } : {}),
      ...(opts.catchupWindow ? { catchupWindow: opts.catchupWindow } : {}),
      mode: opts.full ? 'full' : 'incremental',
      paused: opts.paused ?? false,
      ...(opts.note ? { note: opts.note } : {}),
      namePrefix: ctx.settings.namePrefix,
    }).catch(wrap);
    if (opts.json) printJson({ scheduleId: handle.scheduleId });
    else process.stdout.write(`Created schedule ${color.bold(handle.scheduleId)}${opts.paused ? ' (paused)' : ''}.\n`);
  });
}

export async function schedulesList(opts: { json?: boolean }): Promise<void> {
  await withContext(async (ctx) => {
    const list = await listPullSchedules(await ctx.client(), ctx.settings.namePrefix);
    if (opts.json) {
      printJson(list.map((s) => ({ scheduleId: s.scheduleId, paused: s.state.paused, nextRuns: s.info.nextActionTimes.slice(0, 3), recent: s.info.recentActions.slice(-3), spec: s.spec })));
      return;
    }
    printTable(
      list.map((s) => ({
        id: s.scheduleId,
        state: s.state.paused ? 'paused' : 'active',
        every: (s.spec?.intervals ?? []).map((i) => formatInterval(Number(i.every))).join(',') || (s.spec?.calendars?.length ? 'calendar/cron' : ''),
        next: s.info.nextActionTimes[0]?.toISOString() ?? '',
        last: s.info.recentActions.at(-1)?.takenAt.toISOString() ?? '',
      })),
      ['id', 'state', 'every', 'next', 'last'],
    );
  });
}

export async function schedulesDescribe(idOrConnection: string, opts: { json?: boolean }): Promise<void> {
  await withContext(async (ctx) => {
    const id = await resolveId(ctx, idOrConnection);
    const { description: d } = await describeSchedule(await ctx.client(), id).catch(wrap);
    const summary = {
      scheduleId: d.scheduleId,
      paused: d.state.paused,
      note: d.state.note,
      overlap: overlapName(d.policies.overlap),
      catchupWindowMs: d.policies.catchupWindow,
      spec: d.spec,
      action: d.action.type === 'startWorkflow' ? { workflowType: d.action.workflowType, workflowId: d.action.workflowId, args: d.action.args } : d.action,
      nextRuns: d.info.nextActionTimes.slice(0, 5).map((t) => t.toISOString()),
      recentRuns: d.info.recentActions.map((a) => ({ scheduledAt: a.scheduledAt.toISOString(), workflowId: a.action.workflow.workflowId })),
      running: d.info.runningActions.map((a) => a.workflow.workflowId),
      actions: d.info.numActionsTaken,
      skippedForOverlap: d.info.numActionsSkippedOverlap,
    };
    if (opts.json) printJson(summary);
    else {
      process.stdout.write(`${color.bold(summary.scheduleId)} — ${summary.paused ? color.yellow('paused') : color.green('active')}${summary.note ? ` (${summary.note})` : ''}\n`);
      process.stdout.write(`  overlap ${summary.overlap}, catch-up window ${formatInterval(Number(summary.catchupWindowMs))}, ${summary.actions} runs taken, ${summary.skippedForOverlap} skipped for overlap\n`);
      process.stdout.write(`  next: ${summary.nextRuns.join(', ') || '-'}\n`);
      for (const r of summary.recentRuns.slice(-5)) process.stdout.write(`  ran ${r.scheduledAt} as ${r.workflowId}\n`);
      for (const r of summary.running) process.stdout.write(`  running now: ${r}\n`);
    }
  });
}

type Op = 'pause' | 'unpause' | 'trigger' | 'delete';

export async function schedulesOp(op: Op, idOrConnection: string, opts: { note?: string; json?: boolean }): Promise<void> {
  await withContext(async (ctx) => {
    const id = await resolveId(ctx, idOrConnection);
    const { handle } = await describeSchedule(await ctx.client(), id).catch(wrap);
    if (op === 'pause') await handle.pause(opts.note ?? 'paused from the pipeline CLI');
    else if (op === 'unpause') await handle.unpause(opts.note ?? 'unpaused from the pipeline CLI');
    else if (op === 'trigger') await handle.trigger();
    else await handle.delete();
    const done = { pause: 'Paused', unpause: 'Unpaused', trigger: 'Triggered a run of', delete: 'Deleted' }[op];
    if (opts.json) printJson({ scheduleId: id, op });
    else process.stdout.write(`${done} ${id}.\n`);
  });
}

export async function schedulesBackfill(idOrConnection: string, opts: { start: string; end: string; overlap?: string; json?: boolean }): Promise<void> {
  const start = new Date(opts.start);
  const end = new Date(opts.end);
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end <= start) throw new CliError('--start and --end must be ISO dates with start < end');
  await withContext(async (ctx) => {
    const id = await resolveId(ctx, idOrConnection);
    const { handle } = await describeSchedule(await ctx.client(), id).catch(wrap);
    // Each backfilled time starts a run; buffer them one after another by default, like a catch-up.
    const { ScheduleOverlapPolicy } = await import('@temporalio/client');
    const overlap = opts.overlap ? (opts.overlap.toUpperCase() as keyof typeof ScheduleOverlapPolicy) : 'BUFFER_ALL';
    await handle.backfill({ start, end, overlap: ScheduleOverlapPolicy[overlap] });
    if (opts.json) printJson({ scheduleId: id, backfill: { start: start.toISOString(), end: end.toISOString() } });
    else process.stdout.write(`Backfilling ${id} from ${start.toISOString()} to ${end.toISOString()}.\n`);
  });
}
