// pipelineWorkflow: one run of a pipeline, from its source stream to its destination.
//
// A run first re-stages what earlier runs left `failed` (from the records in the sink), then pulls
// the source page by page from the pipeline's own watermark, as a pull does: each page is fetched,
// written to the sink and staged (filtered, mapped, cut into the destination's calls) by one activity
// on the source's queue. As soon as a page is staged its calls are delivered by activities on the
// destination's queue, several in flight, while the next page is pulled: the two providers' budgets
// are spent side by side. The watermark is saved only when every page has been staged and every call
// has settled; the delivery ledger (src/pipelines/ledger.ts) makes each record version go out once.
//
// A replay run (mode "replay") only re-stages the dead, unknown and failed versions the ledger lists
// (or some of them) and delivers them with their original delivery keys. A pipeline whose source is
// "stored" delivers the stream's records in the sink instead of pulling.
//
// Deterministic code only: every decision that needs the registry, the store or the clock of a
// provider is made by an activity and arrives as plain data.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  continueAsNew,
  defineQuery,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { DeliverCallResult, PipelineActivities, PipelinePlan, StagedPage } from '../activities/index.js';
import { addStageCounts, emptyStageCounts, type StageCounts } from '../src/pipelines/stage-counts.js';
import type { DeliveryCounts } from '../src/pipelines/types.js';
import { planSlices } from '../src/core/slices.js';
import { pipelineFailure } from './failure.js';
import { maxIso } from './pull-pages.js';
import { PLAN_OPTIONS } from './plan-options.js';

export type PipelineMode = 'incremental' | 'full' | 'replay';

export interface PipelineInput {
  pipelineId: string;
  /** incremental (default): from the pipeline's watermark; full: the whole source again (delivered versions are still skipped); replay: dead, unknown and failed versions only. */
  mode?: PipelineMode;
  /** What a replay re-sends: these record ids, and/or versions whose last entry is at or after `since`. */
  replay?: { recordIds?: string[]; since?: string };
  /** Pages per workflow run before continue-as-new. */
  pagesPerRun?: number;
  /** Carried across continue-as-new. */
  state?: PipelineRunState;
}

export interface PipelineCounters {
  /** Pages pulled from the source, and records on them. */
  pages: number;
  records: number;
  /** What staging did (records mapped and cut into calls, skipped, refused). */
  staged: StageCounts;
  /** Outcomes of the destination calls. */
  delivered: number;
  dead: number;
  unknown: number;
  failed: number;
  /** Destination requests made, and calls that failed for good after their retries. */
  requests: number;
  failedCalls: number;
  deadExamples: string[];
}

export interface PipelineRunState {
  plan: PipelinePlan;
  mode: PipelineMode;
  /** The run's key in the ledger: its first run id, the same across continue-as-new. */
  run: string;
  phase: 'stored' | 'pull';
  /** The run's lower bound (null: from the start) and fixed upper bound. */
  since: string | null;
  until: string;
  /**
   * What is left to pull: one window (an incremental run), or the windows of a large first run read
   * side by side (src/core/slices.ts plans them from the source's own size estimate).
   */
  windows: PullWindow[];
  /** Windows read at once (1 unless the first run was sliced). */
  lanes: number;
  /** Pages started so far: names each page's stage. */
  pageSeq: number;
  previousWatermark: string | null;
  highWatermark: string | null;
  counters: PipelineCounters;
  startedAt: string;
  generation: number;
}

export interface PullWindow {
  since: string | null;
  until: string;
  cursor: string | null;
  done: boolean;
}

export interface PipelineProgress {
  pipelineId: string;
  phase: 'planning' | 'retrying' | 'replaying' | 'pulling' | 'delivering' | 'finishing' | 'done' | 'failed' | 'cancelled';
  mode: PipelineMode;
  label: string | null;
  pages: number;
  records: number;
  staged: number;
  delivered: number;
  dead: number;
  unknown: number;
  failed: number;
  /** Versions skipped because they were delivered (or settled) already. */
  skipped: number;
  callsInFlight: number;
  callsQueued: number;
  startedAt: string | null;
}

export interface PipelineResult {
  pipelineId: string;
  mode: PipelineMode;
  label: string;
  pages: number;
  records: number;
  staged: number;
  delivered: number;
  dead: number;
  unknown: number;
  failed: number;
  filtered: number;
  skipped: number;
  requests: number;
  deadExamples: string[];
  /** What the ledger holds for the pipeline after the run (every record's current version). */
  ledger: DeliveryCounts;
  ledgerLocation: string;
  watermark: string | null;
  startedAt: string;
  finishedAt: string;
}

export const pipelineProgressQuery = defineQuery<PipelineProgress>('pipelineProgress');

const DEFAULT_PAGES_PER_RUN = 100;
/** Staged calls waiting beyond those in flight: bounds the staging area while the source is faster. */
const QUEUED_CALLS_FACTOR = 2;
/** Finished pages whose staged calls are removed together (fewer activities). */
const UNSTAGE_EVERY = 20;

const { planPipeline } = proxyLocalActivities<PipelineActivities>(PLAN_OPTIONS);

// Local I/O (ledger, sink): on the workflow's own queue, like a pull's sink bookkeeping.
const local = proxyActivities<PipelineActivities>({
  startToCloseTimeout: '30m',
  heartbeatTimeout: '10s',
  cancellationType: 'WAIT_CANCELLATION_COMPLETED',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 20, nonRetryableErrorTypes: ['invalid_config', 'not_found'] },
});

const FATAL = new Set(['unauthorized', 'forbidden', 'invalid_config', 'missing_secret', 'not_found']);

function emptyPipelineCounters(): PipelineCounters {
  return { pages: 0, records: 0, staged: emptyStageCounts(), delivered: 0, dead: 0, unknown: 0, failed: 0, requests: 0, failedCalls: 0, deadExamples: [] };
}

function addDeliveries(c: PipelineCounters, r: DeliverCallResult): void {
  c.delivered += r.delivered;
  c.dead += r.dead;
  c.unknown += r.unknown;
  c.failed += r.failed;
  c.requests += r.requests;
  for (const e of r.deadExamples) if (c.deadExamples.length < 5) c.deadExamples.push(e);
}

/** The staged calls of a run: started a few at a time, in order, on the destination's queue. */
class Deliveries {
  private readonly running = new Map<number, Promise<void>>();
  private readonly queue: { stageId: string; call: number; calls: number }[] = [];
  private readonly remaining = new Map<string, number>();
  private finished: string[] = [];
  private seq = 0;
  /** A failure that stops the run (the destination refused the credentials or the connection). */
  fatal: unknown = null;

  constructor(
    private readonly state: PipelineRunState,
    private readonly onSettled: () => void,
  ) {}

  get inFlight(): number {
    return this.running.size;
  }

  get queued(): number {
    return this.queue.length;
  }

  add(page: StagedPage): void {
    if (page.calls === 0) return;
    this.remaining.set(page.stageId, page.calls);
    for (let call = 0; call < page.calls; call++) this.queue.push({ stageId: page.stageId, call, calls: page.calls });
    this.pump();
  }

  private pump(): void {
    const { destination } = this.state.plan;
    while (this.fatal === null && this.running.size < destination.callsInFlight && this.queue.length > 0) {
      const next = this.queue.shift()!;
      const id = this.seq++;
      const { deliverCall } = proxyActivities<PipelineActivities>(destination.activity);
      const what = destination.itemsPerCall > 1 ? `batch ${next.call + 1} of ${next.calls}` : `record ${next.call + 1} of ${next.calls}`;
      const p = deliverCall
        .executeWithOptions({ ...destination.activity, summary: `${what} of ${next.stageId.slice(this.state.run.length + 1)} to ${destination.connectorName}` }, [
          { pipelineId: this.state.plan.pipelineId, destinationConnectionId: destination.connectionId, run: this.state.run, stageId: next.stageId, call: next.call },
        ])
        .then(
          (r) => addDeliveries(this.state.counters, r),
          (err: unknown) => this.failed(err),
        )
        .finally(() => {
          this.running.delete(id);
          const left = (this.remaining.get(next.stageId) ?? 1) - 1;
          if (left <= 0) {
            this.remaining.delete(next.stageId);
            this.finished.push(next.stageId);
          } else this.remaining.set(next.stageId, left);
          this.onSettled();
          this.pump();
        });
      this.running.set(id, p);
    }
  }

  private failed(err: unknown): void {
    if (isCancellation(err)) throw err;
    const cause = err instanceof ActivityFailure ? err.cause : err;
    const details = cause instanceof ApplicationFailure ? (cause.details?.[0] as DeliverCallResult | undefined) : undefined;
    // The activity recorded its outcomes before failing: what it delivered counts, the rest is failed.
    if (details && typeof details.delivered === 'number') addDeliveries(this.state.counters, details);
    this.state.counters.failedCalls++;
    const type = cause instanceof ApplicationFailure ? cause.type : undefined;
    if (type && FATAL.has(type) && this.fatal === null) this.fatal = err;
  }

  /** Waits while more calls are staged than can soon be sent. */
  async throttle(): Promise<void> {
    const limit = this.state.plan.destination.callsInFlight * QUEUED_CALLS_FACTOR;
    while (this.fatal === null && this.queue.length > limit && this.running.size > 0) await Promise.race(this.running.values());
  }

  /** Waits for every staged call to settle (or, after a fatal failure, for those in flight). */
  async drain(): Promise<void> {
    for (;;) {
      this.pump();
      if (this.running.size === 0) return;
      await Promise.race(this.running.values());
    }
  }

  /** Finished pages, taken (their staged calls can go). */
  takeFinished(min: number): string[] {
    if (this.finished.length < min) return [];
    const out = this.finished;
    this.finished = [];
    return out;
  }
}

export async function pipelineWorkflow(input: PipelineInput): Promise<PipelineResult> {
  let state: PipelineRunState | undefined = input.state;
  let phase: PipelineProgress['phase'] = state ? (state.phase === 'pull' ? 'pulling' : 'retrying') : 'planning';
  let deliveries: Deliveries | undefined;

  setHandler(pipelineProgressQuery, () => {
    const c = state?.counters;
    return {
      pipelineId: input.pipelineId,
      phase,
      mode: state?.mode ?? input.mode ?? 'incremental',
      label: state?.plan.label ?? null,
      pages: c?.pages ?? 0,
      records: c?.records ?? 0,
      staged: c?.staged.staged ?? 0,
      delivered: c?.delivered ?? 0,
      dead: (c?.dead ?? 0) + (c?.staged.dead ?? 0),
      unknown: (c?.unknown ?? 0) + (c?.staged.unknown ?? 0),
      failed: c?.failed ?? 0,
      skipped: (c?.staged.alreadyDelivered ?? 0) + (c?.staged.held ?? 0) + (c?.staged.duplicates ?? 0),
      callsInFlight: deliveries?.inFlight ?? 0,
      callsQueued: deliveries?.queued ?? 0,
      startedAt: state?.startedAt ?? null,
    };
  });

  const showCounts = (s: PipelineRunState) => {
    const c = s.counters;
    setCurrentDetails(
      `${s.plan.label}\n\n${c.delivered.toLocaleString('en-US')} delivered, ${(c.dead + c.staged.dead).toLocaleString('en-US')} dead, ${(c.unknown + c.staged.unknown).toLocaleString('en-US')} unknown, ${c.failed.toLocaleString('en-US')} failed` +
        ` · ${c.pages} page(s), ${c.records.toLocaleString('en-US')} record(s) read`,
    );
  };

  try {
    if (!state) state = await begin(input);
    const s = state;
    const d = (deliveries = new Deliveries(s, () => undefined));

    if (s.phase === 'stored') {
      phase = s.mode === 'replay' ? 'replaying' : 'retrying';
      const select = s.mode === 'replay' ? 'replay' : s.plan.from === 'stored' ? 'all' : 'failed';
      const staged = await local.stageStored.executeWithOptions(
        { startToCloseTimeout: '30m', heartbeatTimeout: '10s', retry: { maximumAttempts: 20 }, summary: select === 'replay' ? 'stage the records to replay' : select === 'all' ? 'stage the stored records' : 'stage the records earlier runs could not deliver' },
        [
          {
            ...target(s),
            select,
            ...(input.replay?.recordIds ? { recordIds: input.replay.recordIds } : {}),
            ...(input.replay?.since ? { since: input.replay.since } : {}),
            stagePrefix: `${s.run}-s${s.generation}`,
            pageSize: s.plan.source.pageSize,
          },
        ],
      );
      addStageCounts(s.counters.staged, staged.staged);
      for (const page of staged.pages) d.add(page);
      await d.drain();
      if (d.fatal) throw d.fatal;
      if (s.mode !== 'replay' && s.plan.from === 'pull') s.phase = 'pull';
      else return await finish(input, s, false, (p) => (phase = p), showCounts);
    }

    phase = 'pulling';
    const { pullToStage } = proxyActivities<PipelineActivities>(s.plan.source.activity);
    const pagesPerRun = input.pagesPerRun ?? DEFAULT_PAGES_PER_RUN;
    let pagesThisRun = 0;
    let wrapUp = false;
    // Pages are mapped one at a time, in order (each page's claims are in the ledger before the next
    // page is looked at), while the next pages are pulled: pulling, mapping and delivering overlap.
    let mapping: Promise<void> = Promise.resolve();
    let failure: unknown = null;
    const mapPage = (stageId: string) => {
      mapping = mapping
        .then(async () => {
          if (failure !== null || d.fatal !== null) return;
          const staged = await local.mapPage.executeWithOptions({ startToCloseTimeout: '10m', heartbeatTimeout: '10s', retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 20, nonRetryableErrorTypes: ['invalid_config', 'not_found'] }, summary: `map ${stageId.slice(s.run.length + 1)}` }, [{ ...target(s), stageId }]);
          addStageCounts(s.counters.staged, staged);
          d.add({ stageId, calls: staged.calls });
          showCounts(s);
        })
        .catch((err: unknown) => {
          if (isCancellation(err)) throw err;
          failure ??= pipelineFailure(`Pipeline ${s.plan.label} failed while mapping its records`, err);
        });
    };
    // One lane reads one window, page after page; several lanes run when the run was sliced.
    const lane = async (w: PullWindow): Promise<void> => {
      while (!w.done && !wrapUp && failure === null && d.fatal === null) {
        const pageNo = ++s.pageSeq;
        let page;
        try {
          page = await pullToStage.executeWithOptions({ ...s.plan.source.activity, summary: `page ${pageNo} of ${s.plan.source.connectorName} ${s.plan.source.stream}` }, [
            {
              ...target(s),
              stageId: `${s.run}-p${pageNo}`,
              page: {
                connectionId: s.plan.source.connectionId, stream: s.plan.source.stream, cursor: w.cursor, since: w.since, until: w.until, pageSize: s.plan.source.pageSize,
                ...(s.mode === 'incremental' && s.since !== null ? { followChanges: true } : {}),
              },
            },
          ]);
        } catch (err) {
          if (isCancellation(err)) throw err;
          failure ??= pipelineFailure(`Pipeline ${s.plan.label} failed on page ${pageNo} of its source`, err);
          return;
        }
        s.counters.pages++;
        s.counters.records += page.count;
        s.highWatermark = maxIso(s.highWatermark, page.watermark);
        w.cursor = page.nextCursor;
        if (w.cursor === null) w.done = true;
        // Page N is mapped while the next pages are pulled; the page mapped before it must be done
        // first, so that few pages wait.
        const previous = mapping;
        mapPage(page.stageId);
        await previous;
        await d.throttle();
        const done = d.takeFinished(UNSTAGE_EVERY);
        if (done.length) await local.unstagePages({ pipelineId: s.plan.pipelineId, stageIds: done });
        pagesThisRun++;
        if (pagesThisRun >= pagesPerRun || workflowInfo().continueAsNewSuggested) wrapUp = true;
      }
    };
    const running = new Set<Promise<void>>();
    const active = new Set<PullWindow>();
    for (;;) {
      for (const w of s.windows) {
        if (running.size >= s.lanes || wrapUp || failure !== null || d.fatal !== null) break;
        if (w.done || active.has(w)) continue;
        active.add(w);
        const p: Promise<void> = lane(w).finally(() => {
          active.delete(w);
          running.delete(p);
        });
        running.add(p);
      }
      if (running.size === 0) break;
      await Promise.race(running);
    }
    await mapping;
    if (failure !== null || d.fatal !== null) {
      await d.drain();
      throw failure ?? pipelineFailure(`Pipeline ${s.plan.label} stopped: the destination refused the delivery`, d.fatal);
    }
    if (s.windows.some((w) => !w.done)) {
      // Maps and calls in flight belong to this run: let them settle before handing over.
      phase = 'delivering';
      await d.drain();
      if (d.fatal) throw pipelineFailure(`Pipeline ${s.plan.label} stopped: the destination refused the delivery`, d.fatal);
      await continueAsNew<typeof pipelineWorkflow>({ ...input, mode: s.mode, state: { ...s, generation: s.generation + 1 } });
    }
    phase = 'delivering';
    await d.drain();
    if (d.fatal) throw pipelineFailure(`Pipeline ${s.plan.label} stopped: the destination refused the delivery`, d.fatal);
    return await finish(input, s, true, (p) => (phase = p), showCounts);
  } catch (err) {
    if (isCancellation(err)) {
      phase = 'cancelled';
      if (state) upsertMemo({ pipeline: { outcome: 'cancelled', ...summary(state) } });
      throw err;
    }
    phase = 'failed';
    if (state) {
      showCounts(state);
      upsertMemo({ pipeline: { outcome: 'failed', ...summary(state) } });
    }
    throw err instanceof ApplicationFailure ? err : pipelineFailure(`Pipeline "${input.pipelineId}" failed`, err);
  }
}

function target(s: PipelineRunState) {
  const dest = s.plan.destination;
  return {
    pipelineId: s.plan.pipelineId,
    run: s.run,
    destinationConnectorId: dest.connectorId,
    providerDedup: dest.providerDedup,
    itemsPerCall: dest.itemsPerCall,
    ...(dest.maxCallBytes ? { maxCallBytes: dest.maxCallBytes } : {}),
  };
}

function summary(s: PipelineRunState) {
  const c = s.counters;
  return { pages: c.pages, records: c.records, delivered: c.delivered, dead: c.dead + c.staged.dead, unknown: c.unknown + c.staged.unknown, failed: c.failed };
}

async function begin(input: PipelineInput): Promise<PipelineRunState> {
  const plan = await planPipeline({ pipelineId: input.pipelineId }).catch((err: unknown) => {
    throw pipelineFailure(`Pipeline "${input.pipelineId}" cannot run`, err);
  });
  const mode: PipelineMode = input.mode ?? 'incremental';
  const saved = mode === 'incremental' ? await local.loadPipelineState({ pipelineId: input.pipelineId }) : null;
  const previousWatermark = saved?.watermark && !Number.isNaN(Date.parse(saved.watermark)) ? saved.watermark : null;
  const until = new Date().toISOString();
  // A little before the watermark, as a pull does: late-visible changes are read again, and the
  // ledger skips the versions already delivered.
  const since = previousWatermark ? new Date(Date.parse(previousWatermark) - plan.source.overlapMs).toISOString() : null;
  let windows: PullWindow[] = [{ since, until, cursor: null, done: false }];
  let lanes = 1;
  // A first (or full) run of a large source is read in windows side by side, as a first sync is.
  if (since === null && mode !== 'replay' && plan.from === 'pull' && plan.source.slices) {
    const source = plan.source;
    const { probeWindow } = proxyActivities<PipelineActivities>(source.activity);
    const probe = await probeWindow.executeWithOptions({ ...source.activity, summary: `size of ${source.connectorName} ${source.stream} up to ${until}` }, [
      { connectionId: source.connectionId, stream: source.stream, since: source.floor, until },
    ]).catch((err: unknown) => {
      // A cancel while sizing is a cancel, not a failure of the source.
      if (isCancellation(err)) throw err;
      throw pipelineFailure(`Pipeline ${plan.label} failed while sizing its source`, err);
    });
    const sliced = planSlices({ since: source.floor, until }, probe, source.pageSize, source.slices!);
    if (sliced.sliced) {
      windows = sliced.windows.map((w) => ({ since: w.since, until: w.until, cursor: null, done: false }));
      lanes = source.slices!.parallel;
    }
  }
  return {
    plan,
    mode,
    run: workflowInfo().firstExecutionRunId,
    phase: 'stored',
    since,
    until,
    windows,
    lanes,
    pageSeq: 0,
    previousWatermark,
    highWatermark: null,
    counters: emptyPipelineCounters(),
    startedAt: until,
    generation: 0,
  };
}

async function finish(
  input: PipelineInput,
  s: PipelineRunState,
  pulled: boolean,
  setPhase: (p: PipelineProgress['phase']) => void,
  showCounts: (s: PipelineRunState) => void,
): Promise<PipelineResult> {
  setPhase('finishing');
  const watermark = pulled ? maxIso(s.previousWatermark, s.highWatermark) : null;
  const done = await CancellationScope.nonCancellable(() =>
    local.completePipelineRun({ pipelineId: s.plan.pipelineId, run: s.run, watermark, pulled, records: s.counters.records }),
  );
  setPhase('done');
  showCounts(s);
  upsertMemo({ pipeline: { outcome: 'completed', ...summary(s) } });
  const c = s.counters;
  return {
    pipelineId: s.plan.pipelineId,
    mode: s.mode,
    label: s.plan.label,
    pages: c.pages,
    records: c.records,
    staged: c.staged.staged,
    delivered: c.delivered,
    dead: c.dead + c.staged.dead,
    unknown: c.unknown + c.staged.unknown,
    failed: c.failed,
    filtered: c.staged.filtered,
    skipped: c.staged.alreadyDelivered + c.staged.held + c.staged.duplicates,
    requests: c.requests,
    deadExamples: [...c.staged.deadExamples, ...c.deadExamples].slice(0, 5),
    ledger: { ...done.counts },
    ledgerLocation: done.ledger,
    watermark: done.watermark,
    startedAt: s.startedAt,
    finishedAt: new Date().toISOString(),
  };
}
