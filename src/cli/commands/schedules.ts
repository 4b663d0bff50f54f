// `pipeline schedules create | list | describe | pause | unpause | trigger | backfill | delete`.
import type { ScheduleSpecDescription } from '@temporalio/client';
import { msToNumber, type Duration } from '@temporalio/common';
import { getConnector } from '../../registry/index.js';
import {
  createPullSchedule,
  DEFAULT_CATCHUP_WINDOW_MS,
  describeSchedule,
  listPullSchedules,
  overlapName,
  scheduleId,
  ScheduleError,
  SCHEDULE_MEMO,
  OVERLAP_POLICIES,
  type OverlapPolicyName,
} from '../../temporal/schedules.js';
import { withContext, type CliContext } from '../context.js';
import { connectionSuggestion, requireConnection } from '../lookup.js';
import { CliError, color, formatInterval, plural, printJson, printTable } from '../output.js';

/** Temporal's default catch-up window as people write it ("365d"), for --help and `describe`. */
export const DEFAULT_CATCHUP_WINDOW = formatInterval(DEFAULT_CATCHUP_WINDOW_MS);

/** Accepts a schedule id (`pull:shop:orders`) or a connection id (its first stream). */
async function resolveId(ctx: CliContext, idOrConnection: string): Promise<string> {
  if (idOrConnection.startsWith(`${ctx.settings.namePrefix}pull:`) || idOrConnection.startsWith(`${ctx.settings.namePrefix}pipeline:`)) return idOrConnection;
  // A pipeline's id names its schedule too.
  if (await ctx.store.pipelines.get(idOrConnection)) return `${ctx.settings.namePrefix}pipeline:${idOrConnection}`;
  const record = await ctx.store.get(idOrConnection);
  const stream = record ? getConnector(record.connectorId).capabilities.pull[0] : undefined;
  if (!record || !stream) {
    const hint = record ? '' : await connectionSuggestion(ctx.store, idOrConnection);
    throw new CliError(`"${idOrConnection}" is neither a schedule id (pull:<connection>:<stream>, pipeline:<id>), a pipeline nor a pullable connection.${hint}`);
  }
  return scheduleId(record.id, stream, ctx.settings.namePrefix);
}

/**
 * A duration option in milliseconds. A bare number is refused: Temporal would read "90" as 90
 * milliseconds, which nobody means by `--every 90`.
 */
export function parseDurationOption(flag: string, value: string, minMs: number): number {
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) throw new CliError(`${flag} ${v} has no unit. Did you mean ${v}s? (s, m, h or d, e.g. 90s, 15m, 1h, 1d)`);
  let ms: number;
  try {
    ms = msToNumber(v as Duration);
  } catch {
    throw new CliError(`${flag} ${v} is not a duration: give a number with a unit, e.g. 90s, 15m, 1h, 1d`);
  }
  if (!Number.isFinite(ms) || ms < minMs) throw new CliError(`${flag} ${v} is too short: the minimum is ${formatInterval(minMs)}`);
  return ms;
}

const MONTHS = ['JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER', 'NOVEMBER', 'DECEMBER'];
const DAYS = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'];
type Ranges = readonly { start: number | string; end?: number | string; step?: number }[] | undefined;

function cronField(ranges: Ranges, min: number, max: number, toNumber: (v: number | string) => number = Number): string {
  if (!ranges?.length) return '*';
  return ranges
    .map((r) => {
      const start = toNumber(r.start);
      const end = r.end === undefined ? start : toNumber(r.end);
      const step = r.step ?? 1;
      const span = start === min && end === max ? '*' : start === end ? String(start) : `${start}-${end}`;
      if (step <= 1) return span;
      return `${span === String(start) ? `${start}-${max}` : span}/${step}`;
    })
    .join(',');
}

/** A calendar the server compiled from a cron expression, written back as one ("15 3 * * 1-5"). */
export function calendarAsCron(c: NonNullable<ScheduleSpecDescription['calendars']>[number]): string {
  const fields = [
    cronField(c.minute, 0, 59),
    cronField(c.hour, 0, 23),
    cronField(c.dayOfMonth, 1, 31),
    cronField(c.month, 1, 12, (m) => MONTHS.indexOf(String(m)) + 1),
    cronField(c.dayOfWeek, 0, 6, (d) => DAYS.indexOf(String(d))),
  ];
  const second = cronField(c.second, 0, 59);
  return (second === '0' ? fields : [second, ...fields]).join(' ');
}

/** When a schedule runs, in words: "every 2h", "cron 15 3 * * 1-5 (Europe/Paris)". */
export function scheduleWhen(spec: ScheduleSpecDescription | undefined, memo: Record<string, unknown> | undefined): string[] {
  const out = (spec?.intervals ?? []).map((i) => `every ${formatInterval(Number(i.every))}`);
  const written = memo?.[SCHEDULE_MEMO.cron];
  // The expressions as written when the memo has them; otherwise read back from the compiled calendars.
  const cron = Array.isArray(written) && written.every((c) => typeof c === 'string') ? (written as string[]) : (spec?.calendars ?? []).map(calendarAsCron);
  const tz = spec?.timezone && spec.timezone !== 'UTC' ? ` (${spec.timezone})` : '';
  return [...out, ...cron.map((c) => `cron ${c}${tz}`)];
}

function catchupWords(ms: number | undefined): string {
  const value = ms ?? DEFAULT_CATCHUP_WINDOW_MS;
  return `${formatInterval(value)}${value === DEFAULT_CATCHUP_WINDOW_MS ? ' (the default)' : ''}`;
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
  if (opts.every && opts.cron?.length) {
    // Temporal would take the union (runs at the times of both): refuse rather than guess.
    throw new CliError('Give --every or --cron, not both: a schedule with both would run at the times of each. Nothing was created.');
  }
  const everyMs = opts.every ? parseDurationOption('--every', opts.every, 1_000) : undefined;
  if (opts.jitter) parseDurationOption('--jitter', opts.jitter, 1);
  const catchupMs = opts.catchupWindow ? parseDurationOption('--catchup-window', opts.catchupWindow, 10_000) : undefined;
  await withContext(async (ctx) => {
    await requireConnection(ctx.store, connectionId);
    const handle = await createPullSchedule(await ctx.client(), ctx.store, {
      connectionId,
      ...(opts.stream ? { stream: opts.stream } : {}),
      ...(everyMs !== undefined ? { every: `${everyMs}ms` } : {}),
      ...(opts.cron?.length ? { cron: opts.cron } : {}),
      ...(opts.timezone ? { timezone: opts.timezone } : {}),
      ...(opts.jitter ? { jitter: opts.jitter } : {}),
      ...(opts.overlap ? { overlap: opts.overlap as OverlapPolicyName } : {}),
      ...(catchupMs !== undefined ? { catchupWindow: `${catchupMs}ms` } : {}),
      mode: opts.full ? 'full' : 'incremental',
      paused: opts.paused ?? false,
      ...(opts.note ? { note: opts.note } : {}),
      namePrefix: ctx.settings.namePrefix,
    }).catch(wrap);
    // Say what the options were read as: an interval or a cron expression, and the catch-up window.
    const when = everyMs !== undefined ? [`every ${formatInterval(everyMs)}`] : (opts.cron ?? []).map((c) => `cron ${c}${opts.timezone ? ` (${opts.timezone})` : ''}`);
    if (opts.json) {
      printJson({ scheduleId: handle.scheduleId, ...(everyMs !== undefined ? { everyMs } : { cron: opts.cron }), catchupWindowMs: catchupMs ?? DEFAULT_CATCHUP_WINDOW_MS, paused: opts.paused ?? false });
    } else {
      process.stdout.write(`Created schedule ${color.bold(handle.scheduleId)}${opts.paused ? ' (paused)' : ''}: ${when.join(', ')}, catch-up window ${catchupWords(catchupMs)}.\n`);
    }
  });
}

export async function schedulesList(opts: { json?: boolean }): Promise<void> {
  await withContext(async (ctx) => {
    const list = await listPullSchedules(await ctx.client(), ctx.settings.namePrefix);
    if (opts.json) {
      printJson(list.map((s) => ({ scheduleId: s.scheduleId, paused: s.state.paused, when: scheduleWhen(s.spec, s.memo), nextRuns: s.info.nextActionTimes.slice(0, 3), recent: s.info.recentActions.slice(-3), spec: s.spec })));
      return;
    }
    printTable(
      list.map((s) => ({
        id: s.scheduleId,
        state: s.state.paused ? 'paused' : 'active',
        when: scheduleWhen(s.spec, s.memo).join('; '),
        next: s.info.nextActionTimes[0]?.toISOString() ?? '',
        last: s.info.recentActions.at(-1)?.takenAt.toISOString() ?? '',
      })),
      ['id', 'state', 'when', 'next', 'last'],
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
      catchupWindowIsDefault: Number(d.policies.catchupWindow) === DEFAULT_CATCHUP_WINDOW_MS,
      when: scheduleWhen(d.spec, d.memo),
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
      process.stdout.write(`  runs ${summary.when.join('; ') || '-'}\n`);
      process.stdout.write(`  overlap ${summary.overlap}, catch-up window ${catchupWords(Number(summary.catchupWindowMs))}, ${plural(summary.actions, 'run')} taken, ${summary.skippedForOverlap} skipped for overlap\n`);
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
