// `pipeline pipelines create | update | list | show | delete`: pipeline definitions. Runs, status,
// dead letters and replays are in pipeline-runs.ts.
import { readFile } from 'node:fs/promises';
import { ScheduleNotFoundError } from '@temporalio/client';
import { createSink } from '../../sinks/index.js';
import { ledgerFor } from '../../pipelines/index.js';
import { checkPipeline, type PipelineCheck } from '../../pipelines/check.js';
import { fileSamples, sandboxSamples, storedSamples, type Samples } from '../../pipelines/samples.js';
import { PipelineError, type PipelineDefinition, type PipelineRecord } from '../../pipelines/types.js';
import { validatePipelineDefinition } from '../../pipelines/validate.js';
import { getConnector } from '../../registry/index.js';
import { pipelineWorkflowId } from '../../temporal/pipeline-client.js';
import { createPipelineSchedule, pipelineScheduleId, ScheduleError, type OverlapPolicyName } from '../../temporal/schedules.js';
import { withContext, type CliContext } from '../context.js';
import { CliError, color, count, displayPath, formatInterval, plural, printJson, printTable } from '../output.js';
import { didYouMean } from '../suggest.js';
import { parseDurationOption, scheduleWhen } from './schedules.js';

export interface DefinitionOptions {
  from?: string;
  to?: string;
  map?: string;
  filter?: string;
  filterFile?: string;
  batchSize?: number;
  pageSize?: number;
  stored?: boolean;
  note?: string;
  sample?: string;
}

export interface CreateOptions extends DefinitionOptions {
  every?: string;
  cron?: string[];
  timezone?: string;
  paused?: boolean;
  json?: boolean;
}

/** `<connection>:<stream>`, or a connection alone (its first stream). */
async function parseFrom(ctx: CliContext, from: string): Promise<{ connectionId: string; stream: string }> {
  const [connectionId, stream] = from.split(':', 2) as [string, string | undefined];
  if (stream) return { connectionId, stream };
  const record = await ctx.store.get(connectionId);
  const first = record ? getConnector(record.connectorId).capabilities.pull[0] : undefined;
  if (!first) throw new CliError(`--from ${from}: give <connection>:<stream>, e.g. demo-shopify:orders`);
  return { connectionId, stream: first };
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new CliError(`Cannot read the ${what} file ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

export async function requirePipeline(ctx: CliContext, id: string): Promise<PipelineRecord> {
  const def = await ctx.store.pipelines.get(id);
  if (def) return def;
  const ids = (await ctx.store.pipelines.list()).map((p) => p.id);
  throw new CliError(`No pipeline "${id}".${didYouMean(id, ids)} See \`pipeline pipelines list\`.`);
}

/** The samples a mapping is checked against: a file, the stream's stored records, else the provider's sandbox shape. */
async function samplesFor(ctx: CliContext, def: PipelineDefinition, samplePath: string | undefined): Promise<Samples> {
  if (samplePath) {
    try {
      return { records: await fileSamples(samplePath), origin: 'file' };
    } catch (err) {
      throw new CliError(`--sample ${samplePath}: ${(err as Error).message}`);
    }
  }
  const sink = createSink(ctx.settings);
  try {
    const stored = await storedSamples(sink, def.source.connectionId, def.source.stream);
    if (stored.length) return { records: stored, origin: 'stored' };
  } finally {
    await sink.close();
  }
  const source = await ctx.store.get(def.source.connectionId);
  const example = source ? await sandboxSamples(source.connectorId, def.source.stream).catch(() => []) : [];
  return { records: example, origin: example.length ? 'sandbox' : 'none' };
}

function originWords(check: PipelineCheck, sourceName: string): string {
  const n = check.samples.count;
  if (check.samples.origin === 'stored') return `${plural(n, 'stored record')}`;
  if (check.samples.origin === 'file') return `${plural(n, 'sample record')} from the file`;
  if (check.samples.origin === 'sandbox') return `${plural(n, 'example record')} shaped like ${sourceName}'s (no records stored yet)`;
  return 'no records';
}

/** Prints what the check found; throws when it found errors. */
function report(check: PipelineCheck, json: boolean, verb: string): void {
  if (check.errors.length) {
    if (json) printJson({ ok: false, code: 'invalid_config', errors: check.errors, warnings: check.warnings, samples: check.samples });
    else {
      process.stderr.write(`${color.red('Invalid pipeline')}: nothing was ${verb}.\n`);
      for (const e of check.errors) process.stderr.write(`  ${color.bold(e.field)}: ${e.message}\n`);
      for (const w of check.warnings) process.stderr.write(`  ${color.yellow('warning')}: ${w}\n`);
    }
    throw new CliError('');
  }
}

async function definitionFrom(ctx: CliContext, id: string, o: DefinitionOptions, base?: PipelineRecord): Promise<PipelineDefinition> {
  const source = o.from ? await parseFrom(ctx, o.from) : base?.source;
  if (!source) throw new CliError('Give --from <connection>:<stream>');
  const destination = o.to ?? base?.destination.connectionId;
  if (!destination) throw new CliError('Give --to <connection>');
  const mapping = o.map ? await readText(o.map, 'mapping') : base?.mapping;
  if (mapping === undefined) throw new CliError('Give --map <file> (a JSONata expression turning one source record into the destination\'s message)');
  if (o.filter !== undefined && o.filterFile) throw new CliError('Give --filter or --filter-file, not both');
  const filter = o.filterFile ? await readText(o.filterFile, 'filter') : o.filter !== undefined ? o.filter : base?.filter;
  const def: PipelineDefinition = {
    id,
    source: { connectionId: source.connectionId, stream: source.stream, from: o.stored ? 'stored' : (base?.source.from ?? 'pull') },
    mapping,
    destination: { connectionId: destination },
    ...(filter !== undefined && filter.trim() !== '' ? { filter } : {}),
    ...((o.batchSize ?? base?.batchSize) !== undefined ? { batchSize: (o.batchSize ?? base?.batchSize)! } : {}),
    ...((o.pageSize ?? base?.pageSize) !== undefined ? { pageSize: (o.pageSize ?? base?.pageSize)! } : {}),
    ...((o.note ?? base?.note) !== undefined ? { note: (o.note ?? base?.note)! } : {}),
  };
  try {
    return validatePipelineDefinition(def);
  } catch (err) {
    if (err instanceof PipelineError) {
      process.stderr.write(`${color.red('Invalid pipeline')}: nothing was saved.\n`);
      for (const i of err.issues) process.stderr.write(`  ${color.bold(i.field)}: ${i.message}\n`);
      throw new CliError('');
    }
    throw err;
  }
}

/** The destination's delivery guarantee in one sentence. */
export function guaranteeLine(check: Pick<PipelineCheck, 'destination'>): string {
  const d = check.destination;
  if (!d) return '';
  return d.dedup
    ? `exactly once per record version: ${d.name} drops a repeated ${d.dedupVia ?? 'key'}, so a retry after a crash is harmless`
    : `at most once per record version through the ledger: ${d.name} cannot de-duplicate, so a call cut off mid-way (a worker killed while sending) leaves its records "unknown" for you to replay, never resent on its own`;
}

export async function pipelinesCreate(id: string, opts: CreateOptions): Promise<void> {
  const everyMs = opts.every ? parseDurationOption('--every', opts.every, 1_000) : undefined;
  if (opts.every && opts.cron?.length) throw new CliError('Give --every or --cron, not both. Nothing was created.');
  await withContext(async (ctx) => {
    if (await ctx.store.pipelines.get(id)) throw new CliError(`Pipeline "${id}" already exists: change it with \`pipeline pipelines update ${id}\`, or delete it first`);
    const def = await definitionFrom(ctx, id, opts);
    const samples = await samplesFor(ctx, def, opts.sample);
    const check = await checkPipeline(ctx.store, def, samples);
    report(check, opts.json ?? false, 'created');
    const saved = await ctx.store.pipelines.add(def).catch((err: unknown) => {
      throw err instanceof PipelineError ? new CliError(err.message) : err;
    });
    let scheduleId: string | undefined;
    if (everyMs !== undefined || opts.cron?.length) {
      const handle = await createPipelineSchedule(await ctx.client(), ctx.store, {
        pipelineId: saved.id,
        ...(everyMs !== undefined ? { every: `${everyMs}ms` } : {}),
        ...(opts.cron?.length ? { cron: opts.cron } : {}),
        ...(opts.timezone ? { timezone: opts.timezone } : {}),
        overlap: 'skip' as OverlapPolicyName,
        paused: opts.paused ?? false,
        namePrefix: ctx.settings.namePrefix,
      }).catch((err: unknown) => {
        throw err instanceof ScheduleError ? new CliError(`Pipeline ${saved.id} was created, but its schedule was not: ${err.message}`) : err;
      });
      scheduleId = handle.scheduleId;
    }
    if (opts.json) {
      printJson({ ok: true, pipeline: saved, check: { warnings: check.warnings, samples: check.samples, destination: check.destination }, ...(scheduleId ? { scheduleId } : {}) });
      return;
    }
    printCreated(saved, check, scheduleId, everyMs, opts.cron, 'Created');
  });
}

function printCreated(def: PipelineRecord, check: PipelineCheck, scheduleId: string | undefined, everyMs: number | undefined, cron: string[] | undefined, verb: string): void {
  const src = check.source?.name ?? def.source.connectionId;
  const dst = check.destination;
  process.stdout.write(`${color.green(verb)} pipeline ${color.bold(def.id)}: ${src} ${def.source.stream} (${def.source.connectionId}${def.source.from === 'stored' ? ', stored records' : ''}) → ${dst?.name ?? ''} (${def.destination.connectionId})\n`);
  if (dst) process.stdout.write(`  ${dst.batch ? `batches of up to ${dst.itemsPerCall} via ${dst.batch.endpoint}` : 'one call per record'}; ${guaranteeLine(check)}\n`);
  const s = check.samples;
  if (s.count > 0) {
    process.stdout.write(`  mapping checked against ${originWords(check, src)}: ${s.mapped} mapped to valid ${dst?.name ?? ''} messages${s.filteredOut ? `, ${s.filteredOut} filtered out` : ''}\n`);
    if (s.example !== undefined) process.stdout.write(color.dim(`  e.g. ${truncate(JSON.stringify(s.example), 200)}\n`));
  }
  for (const w of check.warnings) process.stderr.write(`${color.yellow('warning')}: ${w}\n`);
  if (scheduleId) process.stdout.write(`  schedule ${color.bold(scheduleId)}: ${everyMs !== undefined ? `every ${formatInterval(everyMs)}` : (cron ?? []).map((c) => `cron ${c}`).join(', ')}\n`);
  else process.stdout.write(color.dim(`  run it: pipeline pipelines run ${def.id}\n`));
}

const truncate = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export async function pipelinesUpdate(id: string, opts: DefinitionOptions & { json?: boolean }): Promise<void> {
  await withContext(async (ctx) => {
    const base = await requirePipeline(ctx, id);
    const def = await definitionFrom(ctx, id, opts, base);
    const check = await checkPipeline(ctx.store, def, await samplesFor(ctx, def, opts.sample));
    report(check, opts.json ?? false, 'changed');
    const saved = await ctx.store.pipelines.put(def);
    if (opts.json) printJson({ ok: true, pipeline: saved, check: { warnings: check.warnings, samples: check.samples } });
    else {
      printCreated(saved, check, undefined, undefined, undefined, 'Updated');
      process.stdout.write(color.dim(`  records that went dead under the old mapping are re-sent by: pipeline pipelines replay ${id}\n`));
    }
  });
}

export async function pipelinesList(opts: { json?: boolean }): Promise<void> {
  await withContext(async (ctx) => {
    const defs = await ctx.store.pipelines.list();
    const sink = createSink(ctx.settings);
    const ledger = ledgerFor(sink);
    try {
      const rows = [];
      for (const def of defs) {
        const counts = await ledger.counts(def.id);
        const state = await ledger.loadState(def.id);
        rows.push({ def, counts, lastRunAt: state?.lastRunAt ?? null });
      }
      if (opts.json) {
        printJson(rows.map((r) => ({ ...r.def, ledger: r.counts, lastRunAt: r.lastRunAt })));
        return;
      }
      printTable(
        rows.map(({ def, counts, lastRunAt }) => ({
          id: def.id,
          from: `${def.source.connectionId}:${def.source.stream}${def.source.from === 'stored' ? ' (stored)' : ''}`,
          to: def.destination.connectionId,
          delivered: counts.delivered,
          dead: counts.dead,
          unknown: counts.unknown,
          failed: counts.failed,
          'last run': lastRunAt ?? 'never',
        })),
        ['id', 'from', 'to', 'delivered', 'dead', 'unknown', 'failed', 'last run'],
      );
    } finally {
      await ledger.close();
      await sink.close();
    }
  });
}

export async function pipelinesShow(id: string, opts: { json?: boolean }): Promise<void> {
  await withContext(async (ctx) => {
    const def = await requirePipeline(ctx, id);
    const check = await checkPipeline(ctx.store, def, { records: [], origin: 'none' });
    const sink = createSink(ctx.settings);
    const ledger = ledgerFor(sink);
    let counts, state;
    try {
      counts = await ledger.counts(id);
      state = await ledger.loadState(id);
    } finally {
      await ledger.close();
      await sink.close();
    }
    const client = await ctx.client();
    const schedule = await client.schedule.getHandle(pipelineScheduleId(id, ctx.settings.namePrefix)).describe().catch((err: unknown) => {
      if (err instanceof ScheduleNotFoundError) return null;
      throw err;
    });
    const run = await client.workflow.getHandle(pipelineWorkflowId(id, ctx.settings.namePrefix)).describe().catch(() => null);
    const out = {
      ...def,
      ledger: counts,
      ledgerLocation: ledgerFor(createSink(ctx.settings)).location(id),
      watermark: state?.watermark ?? null,
      lastRunAt: state?.lastRunAt ?? null,
      guarantee: guaranteeLine(check),
      schedule: schedule ? { id: schedule.scheduleId, paused: schedule.state.paused, when: scheduleWhen(schedule.spec, schedule.memo), next: schedule.info.nextActionTimes[0]?.toISOString() ?? null } : null,
      latestRun: run ? { workflowId: run.workflowId, runId: run.runId, status: run.status.name, startTime: run.startTime.toISOString() } : null,
      problems: check.errors,
    };
    if (opts.json) {
      printJson(out);
      return;
    }
    const w = process.stdout;
    w.write(`${color.bold(def.id)}: ${check.source?.name ?? '?'} ${def.source.stream} (${def.source.connectionId}${def.source.from === 'stored' ? ', stored records' : ''}) → ${check.destination?.name ?? '?'} (${def.destination.connectionId})\n`);
    if (def.note) w.write(`  ${def.note}\n`);
    w.write(`  delivery: ${check.destination?.batch ? `batches of up to ${check.destination.itemsPerCall} via ${check.destination.batch.endpoint}` : 'one call per record'}; ${out.guarantee}\n`);
    w.write(`  ledger: ${count(counts.delivered)} delivered, ${count(counts.dead)} dead, ${count(counts.unknown)} unknown, ${count(counts.failed)} failed, ${count(counts.filtered)} filtered (${displayPath(out.ledgerLocation)})\n`);
    w.write(`  watermark: ${out.watermark ?? 'none (the next run reads everything)'}; last run ${out.lastRunAt ?? 'never'}\n`);
    w.write(`  schedule: ${out.schedule ? `${out.schedule.id} ${out.schedule.paused ? color.yellow('paused') : color.green('active')}, ${out.schedule.when.join('; ')}${out.schedule.next ? `, next ${out.schedule.next}` : ''}` : 'none'}\n`);
    if (out.latestRun) w.write(`  latest run: ${out.latestRun.workflowId} ${out.latestRun.status.toLowerCase()} (started ${out.latestRun.startTime})\n`);
    if (def.filter) w.write(`  filter:\n${indent(def.filter)}\n`);
    w.write(`  mapping:\n${indent(def.mapping)}\n`);
    for (const p of check.errors) w.write(`${color.red('problem')}: ${p.field}: ${p.message}\n`);
  });
}

const indent = (text: string) => text.trimEnd().split('\n').map((l) => `    ${l}`).join('\n');

export async function pipelinesDelete(id: string, opts: { yes?: boolean; purgeLedger?: boolean; json?: boolean }): Promise<void> {
  await withContext(async (ctx) => {
    await requirePipeline(ctx, id);
    if (!opts.yes) throw new CliError(`Deleting pipeline ${id} also deletes its schedule and cancels a run in progress. Add --yes to do it${opts.purgeLedger ? '' : ' (its delivery ledger is kept unless --purge-ledger: re-creating the pipeline under this id then sends nothing twice)'}.`);
    const client = await ctx.client();
    let scheduleDeleted = false;
    try {
      await client.schedule.getHandle(pipelineScheduleId(id, ctx.settings.namePrefix)).delete();
      scheduleDeleted = true;
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
    const handle = client.workflow.getHandle(pipelineWorkflowId(id, ctx.settings.namePrefix));
    const running = await handle.describe().then((d) => d.status.name === 'RUNNING', () => false);
    if (running) {
      await handle.cancel();
      await handle.result().catch(() => undefined);
    }
    await ctx.store.pipelines.remove(id);
    if (opts.purgeLedger) {
      const sink = createSink(ctx.settings);
      const ledger = ledgerFor(sink);
      await ledger.drop(id).finally(async () => {
        await ledger.close();
        await sink.close();
      });
    }
    if (opts.json) printJson({ ok: true, pipelineId: id, scheduleDeleted, runCancelled: running, ledgerPurged: opts.purgeLedger ?? false });
    else {
      process.stdout.write(`Deleted pipeline ${id}${scheduleDeleted ? ', its schedule' : ''}${running ? ' and cancelled its run in progress' : ''}.`);
      process.stdout.write(opts.purgeLedger ? ' Its delivery ledger was removed.\n' : ' Its delivery ledger is kept (--purge-ledger removes it).\n');
    }
  });
}
