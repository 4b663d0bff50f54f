// pullWorkflow: one durable run of one (connection, stream) pull.
//
// Guarantee: every record changed in the run's window lands in the sink exactly once as a reader
// sees it, whatever dies along the way (worker, deploy, provider outage). The cursor and counters
// live in workflow state; each page is fetched and written by one activity, so a crash repeats at
// most the page in flight, and the sink upserts by record id. The watermark for the next incremental
// run is saved only after the last page has landed, only if the run's end-of-run checks pass, and
// only from change times that can be trusted (a date, not after the run's upper bound).
//
// A large first (full) sync is sliced: the window of change time is split into slices read in
// parallel by child workflows (workflows/pull-slice.ts), all inside the connection's provider budget,
// each resuming on its own after a crash; the watermark is saved when every slice has committed.
// Small syncs stay one sequential run.
import {
  ApplicationFailure,
  CancellationScope,
  ParentClosePolicy,
  continueAsNew,
  defineQuery,
  executeChild,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { PipelineActivities, SyncPlan } from '../activities/index.js';
import { planSlices, splitWindow, type TimeWindow } from '../src/core/slices.js';
import { pipelineFailure } from './failure.js';
import { addPage, emptyCounters, maxIso, mergeCounters, type PageCounters, type TimeAnomalies } from './pull-pages.js';
import { pullSliceWorkflow, type SliceResult } from './pull-slice.js';
import { PLAN_OPTIONS } from './plan-options.js';

// ---- types -----------------------------------------------------------------------------------

export type SyncMode = 'incremental' | 'full';

export interface PullInput {
  connectionId: string;
  stream: string;
  /** incremental (default): from the saved watermark; full: the whole history again. */
  mode?: SyncMode;
  pageSize?: number;
  /** Pages per workflow run before continue-as-new (keeps history small). */
  pagesPerRun?: number;
  /** When the end-of-run checks find data missing: fail the run (default) or complete it with a warning. */
  onIncomplete?: 'fail' | 'warn';
  /** Never slice, even a large first sync (benchmarks compare the two). */
  sequential?: boolean;
  /** Carried across continue-as-new; absent on the first run. */
  state?: PullState;
}

export interface SlicingState {
  /** Windows not started yet. */
  queue: TimeWindow[];
  /** Index of the next slice to start. */
  nextIndex: number;
  /** Slices finished (including those that handed back a remainder). */
  done: number;
  /** Slices planned so far (grows when a slice is split again). */
  total: number;
  /** Slices that found more than planned and handed back a remainder. */
  resplit: number;
}

export interface PullState {
  plan: SyncPlan;
  mode: SyncMode;
  since: string | null;
  until: string;
  cursor: string | null;
  counters: PageCounters;
  previousWatermark: string | null;
  startedAt: string;
  /** How many times this sync has continued-as-new. */
  generation: number;
  /** Records the source reports for the window, where it says (Mailchimp total_items). */
  total?: number | null;
  /** Set when the run is sliced. */
  slicing?: SlicingState;
  /** Why this run reads everything although it was asked for an incremental one. */
  fallback?: string;
}

export type PullPhase = 'planning' | 'pulling' | 'checking' | 'finishing' | 'done' | 'cancelled' | 'failed';

export interface PullProgress {
  connectionId: string;
  stream: string;
  connectorId: string | null;
  phase: PullPhase;
  mode: SyncMode;
  pages: number;
  records: number;
  since: string | null;
  until: string | null;
  watermark: string | null;
  startedAt: string | null;
  generation: number;
  /** Records the source reports for the window, where it says: a percentage and an ETA become possible. */
  total: number | null;
  /** Slices done / planned, when the sync is sliced. */
  slices: { done: number; total: number; running: number } | null;
}

/** What a cancelled run leaves in its memo (a cancelled workflow has no result). */
export interface PullOutcomeMemo {
  outcome: 'cancelled' | 'failed';
  pages: number;
  records: number;
  /** The saved watermark was not moved: the next run starts where the last completed one ended. */
  watermarkAdvanced: false;
  previousWatermark: string | null;
  /**
   * A sliced run: slices finished of those planned. `pages` and `records` count the finished ones;
   * what a slice cut off had written stays in the sink (read again by the next sync) uncounted.
   */
  slices?: { done: number; total: number };
}

export interface Completeness {
  /** Records read, and written by the sink. */
  read: number;
  written: number;
  /** Records the source still counts in the run's window at its end (exact counts only), else null. */
  sourceCount: number | null;
  /** Records known to be missing (0 when none are). */
  missing: number;
  outcome: 'ok' | 'warned';
}

export interface PullResult {
  connectionId: string;
  connectorId: string;
  stream: string;
  mode: SyncMode;
  /** Records pulled by this sync (a record seen twice across pages counts twice). */
  records: number;
  pages: number;
  /** Slices the sync was read in (0: one sequential run), and how many of them were split again. */
  slices: number;
  slicesResplit: number;
  /** Distinct records stored for the stream after this sync. */
  storedRecords: number;
  since: string | null;
  until: string;
  watermark: string | null;
  previousWatermark: string | null;
  /** Records whose change time was not trusted (written, not used for the watermark). */
  anomalies: TimeAnomalies;
  completeness: Completeness;
  /** Why a full re-read replaced an incremental one (e.g. Stripe's 30-day event retention). */
  fallback?: string;
  location: string;
  startedAt: string;
  finishedAt: string;
}

// ---- queries ---------------------------------------------------------------------------------

export const progressQuery = defineQuery<PullProgress>('progress');

// ---- helpers ---------------------------------------------------------------------------------

const DEFAULT_PAGES_PER_RUN = 500;

const { planSync } = proxyLocalActivities<PipelineActivities>(PLAN_OPTIONS);

// Sink bookkeeping is local I/O, not provider calls: it runs on the workflow's own task queue so
// that it does not spend the connector's rate budget. Compaction may take minutes on a large file;
// the heartbeat makes a worker that died in it known within seconds.
const sinkActivities = proxyActivities<PipelineActivities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '10s',
  cancellationType: 'WAIT_CANCELLATION_COMPLETED',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 20 },
});

function minusMs(iso: string, ms: number): string {
  return new Date(Date.parse(iso) - ms).toISOString();
}

const isDate = (v: string | null | undefined): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v));

function outcomeMemo(outcome: PullOutcomeMemo['outcome'], state: PullState): PullOutcomeMemo {
  return {
    outcome,
    pages: state.counters.pages,
    records: state.counters.records,
    watermarkAdvanced: false,
    previousWatermark: state.previousWatermark,
    ...(state.slicing ? { slices: { done: state.slicing.done, total: state.slicing.total } } : {}),
  };
}

function label(plan: SyncPlan): string {
  return `${plan.connectorName} ${plan.stream} for "${plan.connectionId}"`;
}

// ---- workflow --------------------------------------------------------------------------------

export async function pullWorkflow(input: PullInput): Promise<PullResult> {
  let state: PullState | undefined = input.state;
  let phase: PullPhase = state ? 'pulling' : 'planning';
  let running = 0;

  setHandler(progressQuery, () => ({
    connectionId: input.connectionId,
    stream: input.stream,
    connectorId: state?.plan.connectorId ?? null,
    phase,
    mode: state?.mode ?? input.mode ?? 'incremental',
    pages: state?.counters.pages ?? 0,
    records: state?.counters.records ?? 0,
    since: state?.since ?? null,
    until: state?.until ?? null,
    watermark: state?.counters.highWatermark ?? null,
    startedAt: state?.startedAt ?? null,
    generation: state?.generation ?? 0,
    total: state?.total ?? null,
    slices: state?.slicing ? { done: state.slicing.done, total: state.slicing.total, running } : null,
  }));

  try {
    if (!state) state = await begin(input);
    phase = 'pulling';
    const s = state;
    if (s.slicing) await pullSlices(input, s, (n) => (running = n));
    else await pullSequentially(input, s);

    phase = 'checking';
    const completeness = await checkCompleteness(input, s);

    phase = 'finishing';
    const watermark = maxIso(s.previousWatermark, s.counters.highWatermark);
    // Every page has landed and the checks passed: a cancel arriving now lets the run finish
    // (compaction and watermark are a few seconds of local work), so that "cancelled" always means
    // "watermark not advanced".
    const done = await CancellationScope.nonCancellable(() =>
      sinkActivities.completeSync({ connectionId: s.plan.connectionId, stream: s.plan.stream, watermark, records: s.counters.records, runId: workflowInfo().firstExecutionRunId }),
    );
    phase = 'done';
    const anomalies = s.counters.anomalies;
    const untrusted = anomalies.unparseable + anomalies.afterWindow;
    if (untrusted > 0 || completeness.outcome === 'warned') {
      // The Web UI shows it on the run: records that were written but not trusted for the watermark.
      setCurrentDetails(
        [
          untrusted > 0 ? `${untrusted} record(s) with a change time that is not a date (${anomalies.unparseable}) or after the run's window (${anomalies.afterWindow}): written, not used for the watermark; e.g. ${anomalies.examples.join(', ')}` : '',
          completeness.outcome === 'warned' ? `${completeness.missing} record(s) the source still counts were not read` : '',
        ].filter(Boolean).join('\n\n'),
      );
    }
    upsertMemo({ pull: { records: s.counters.records, pages: s.counters.pages, slices: s.slicing?.total ?? 0, anomalies, completeness } });
    return {
      connectionId: s.plan.connectionId,
      connectorId: s.plan.connectorId,
      stream: s.plan.stream,
      mode: s.mode,
      records: s.counters.records,
      pages: s.counters.pages,
      slices: s.slicing?.total ?? 0,
      slicesResplit: s.slicing?.resplit ?? 0,
      storedRecords: done.storedRecords,
      since: s.since,
      until: s.until,
      watermark,
      previousWatermark: s.previousWatermark,
      anomalies,
      completeness,
      ...(s.fallback ? { fallback: s.fallback } : {}),
      location: done.location,
      startedAt: s.startedAt,
      finishedAt: new Date().toISOString(),
    };
  } catch (err) {
    if (isCancellation(err)) {
      // A cancel is not a failure: the run ends CANCELLED, says what it did, and leaves the saved
      // watermark alone (the next run starts from the last completed one, so nothing is skipped).
      phase = 'cancelled';
      if (state) upsertMemo({ pull: outcomeMemo('cancelled', state) });
      throw err;
    }
    phase = 'failed';
    throw err;
  }
}

/** The plan, the window and (for a large first sync) the slices of a new run. */
async function begin(input: PullInput): Promise<PullState> {
  let mode: SyncMode = input.mode ?? 'incremental';
  const plan = await planSync({ connectionId: input.connectionId, stream: input.stream, ...(input.pageSize ? { pageSize: input.pageSize } : {}) });
  const ref = { connectionId: input.connectionId, stream: input.stream };
  const saved = mode === 'incremental' ? await sinkActivities.loadSyncState(ref) : null;
  // A saved watermark that is not a date (written by an older version from bad provider data) is
  // not trusted: the run reads everything rather than throw on it.
  const previousWatermark = isDate(saved?.watermark) ? saved.watermark : null;
  let fallback: string | undefined = saved?.watermark && !previousWatermark ? `the saved watermark "${saved.watermark}" is not a date` : undefined;
  const until = new Date().toISOString();
  // A change feed (Stripe events) keeps changes for a limited time: a watermark older than that
  // would miss changes, so the run reads everything again.
  if (previousWatermark && plan.changeFeedRetentionMs && Date.parse(until) - Date.parse(previousWatermark) > plan.changeFeedRetentionMs) {
    fallback = `the last sync (${previousWatermark}) is older than ${plan.connectorName}'s ${Math.round(plan.changeFeedRetentionMs / 86_400_000)}-day change retention: everything is read again`;
    mode = 'full';
  }
  if (fallback && mode === 'incremental') mode = 'full';

  const state: PullState = {
    plan,
    mode,
    // Start a little before the watermark: changes that became visible late are read again (and
    // deduplicated by the sink) rather than missed. A full run has no lower bound.
    since: mode === 'incremental' && previousWatermark ? minusMs(previousWatermark, plan.overlapMs) : null,
    // A fixed upper bound for the whole run: records changing while we page fall into the next run.
    until,
    cursor: null,
    counters: emptyCounters(),
    previousWatermark,
    startedAt: until,
    generation: 0,
    ...(fallback ? { fallback } : {}),
  };

  // A first or full sync of a source that can be sliced: probe its size, and slice it when large.
  if (state.since === null && plan.slices && !input.sequential) {
    const { probeWindow } = proxyActivities<PipelineActivities>(plan.activity);
    const whole: TimeWindow = { since: plan.floor, until };
    const probe = await probeWindow.executeWithOptions({ ...plan.activity, summary: `size of ${plan.connectorName} ${plan.stream} up to ${until}` }, [
      { connectionId: plan.connectionId, stream: plan.stream, since: whole.since, until: whole.until },
    ]).catch((err: unknown) => {
      // A cancel while sizing is a cancel, not a failure of the source.
      if (isCancellation(err)) throw err;
      throw pipelineFailure(`Sync of ${label(plan)} failed while sizing it`, err);
    });
    const sliced = planSlices(whole, probe, plan.pageSize, plan.slices);
    if (sliced.sliced) {
      state.slicing = { queue: sliced.windows, nextIndex: 1, done: 0, total: sliced.windows.length, resplit: 0 };
      state.since = sliced.windows[0]!.since;
    }
  }
  return state;
}

async function pullSequentially(input: PullInput, state: PullState): Promise<void> {
  const { pullPage } = proxyActivities<PipelineActivities>(state.plan.activity);
  const pagesPerRun = input.pagesPerRun ?? DEFAULT_PAGES_PER_RUN;
  let pagesThisRun = 0;
  for (;;) {
    let page;
    try {
      // The summary makes each activity in the Web UI read as "page 12 of Shopify orders".
      page = await pullPage.executeWithOptions({ ...state.plan.activity, summary: `page ${state.counters.pages + 1} of ${state.plan.connectorName} ${state.plan.stream}` }, [
        {
          connectionId: state.plan.connectionId, stream: state.plan.stream, cursor: state.cursor, since: state.since, until: state.until, pageSize: state.plan.pageSize,
          // An incremental run also follows the source's change feed where it has one (Stripe events).
          ...(state.mode === 'incremental' && state.since !== null ? { followChanges: true } : {}),
        },
      ]);
    } catch (err) {
      if (isCancellation(err)) throw err;
      throw pipelineFailure(`Sync of ${label(state.plan)} failed on page ${state.counters.pages + 1}`, err);
    }
    addPage(state.counters, page);
    state.cursor = page.nextCursor;
    if (page.total !== undefined) state.total = page.total;
    pagesThisRun++;
    if (state.cursor === null) return;
    if (pagesThisRun >= pagesPerRun || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof pullWorkflow>({ ...input, mode: state.mode, state: { ...state, generation: state.generation + 1 } });
    }
  }
}

/**
 * Runs the slices as child workflows, a few at a time, and splits again the remainder a slice hands
 * back. Before continuing-as-new it lets the running slices finish: children of a run that closes
 * would be terminated with it.
 */
async function pullSlices(input: PullInput, state: PullState, onRunning: (n: number) => void): Promise<void> {
  const slicing = state.slicing!;
  const policy = state.plan.slices!;
  const running = new Map<number, Promise<SliceResult>>();
  let wrapUp = false;
  while (slicing.queue.length > 0 || running.size > 0) {
    while (!wrapUp && running.size < policy.parallel && slicing.queue.length > 0) {
      const window = slicing.queue.shift()!;
      const index = slicing.nextIndex++;
      running.set(
        index,
        executeChild(pullSliceWorkflow, {
          workflowId: `${workflowInfo().workflowId}:slice-${index}`,
          args: [{ plan: state.plan, window, index, splitAfterPages: policy.pagesPerSlice * 2, minWindowMs: policy.minWindowMs }],
          parentClosePolicy: ParentClosePolicy.TERMINATE,
          staticSummary: `slice ${index}: ${window.since} .. ${window.until}`,
        }),
      );
    }
    onRunning(running.size);
    if (running.size === 0) break;
    let result: SliceResult;
    try {
      result = await Promise.race([...running.values()]);
    } catch (err) {
      // (patched: a run cancelled under the code before this waited for no slice.)
      if (isCancellation(err) && patched('cancel-waits-for-slices')) {
        // The cancel reaches every running slice: wait until each has ended (rather than leave the
        // stragglers to be terminated with this run), and count what the finished ones read.
        for (const settled of await Promise.allSettled(running.values())) {
          if (settled.status === 'fulfilled') mergeCounters(state.counters, settled.value.counters);
        }
        onRunning(0);
      }
      throw err;
    }
    running.delete(result.index);
    mergeCounters(state.counters, result.counters);
    slicing.done++;
    if (result.remaining) {
      // More data than planned: what the slice did not read becomes two new slices.
      const parts = splitWindow(result.remaining, 2, policy.minWindowMs);
      slicing.queue.push(...parts);
      slicing.total += parts.length;
      slicing.resplit++;
    }
    if (!wrapUp && workflowInfo().continueAsNewSuggested) wrapUp = true;
    if (wrapUp && running.size === 0) {
      await continueAsNew<typeof pullWorkflow>({ ...input, mode: state.mode, state: { ...state, generation: state.generation + 1 } });
    }
  }
  onRunning(0);
}

/**
 * A sync never reports success on missing data: the sink must have written every record read, and
 * where the source counts a window exactly, every record it still counts at the end must have been
 * read (a record that changed during the run leaves the window, so the count can only shrink).
 */
async function checkCompleteness(input: PullInput, state: PullState): Promise<Completeness> {
  const { plan, counters } = state;
  let sourceCount: number | null = null;
  if (plan.slices) {
    const { probeWindow } = proxyActivities<PipelineActivities>(plan.activity);
    const probe = await probeWindow.executeWithOptions({ ...plan.activity, summary: `end-of-run count of ${plan.connectorName} ${plan.stream}` }, [
      // Up to a little before the run's bound: a provider clock behind ours could let a record that
      // changed during the run count as inside the window; older ones all existed when the run began.
      { connectionId: plan.connectionId, stream: plan.stream, since: state.since ?? plan.floor, until: minusMs(state.until, plan.overlapMs) },
    ]).catch((err: unknown) => {
      throw pipelineFailure(`Sync of ${label(plan)} failed in its end-of-run check`, err);
    });
    if (!probe.estimated) sourceCount = probe.count;
  }
  const unwritten = counters.records - counters.written;
  const unread = sourceCount !== null ? Math.max(0, sourceCount - counters.records) : 0;
  const missing = unwritten + unread;
  const completeness: Completeness = { read: counters.records, written: counters.written, sourceCount, missing, outcome: 'ok' };
  if (missing === 0) return completeness;
  const what = [
    unwritten > 0 ? `the sink wrote ${counters.written} of the ${counters.records} records read` : '',
    unread > 0 ? `${plan.connectorName} counts ${sourceCount} records in the run's window but only ${counters.records} were read` : '',
  ].filter(Boolean).join('; ');
  if ((input.onIncomplete ?? 'fail') === 'warn') return { ...completeness, outcome: 'warned' };
  throw ApplicationFailure.create({
    type: 'incomplete_sync',
    nonRetryable: true,
    message: `Sync of ${label(plan)} is incomplete: ${what}. The watermark was not advanced, so the next run reads this window again.`,
    details: [completeness],
  });
}
