// pullWorkflow: one durable run of one (connection, stream) pull.
//
// Guarantee: every record changed in the run's window lands in the sink exactly once as a reader
// sees it, whatever dies along the way (worker, deploy, provider outage). The cursor and counters
// live in workflow state; each page is fetched and written by one activity, so a crash repeats at
// most the page in flight, and the sink upserts by record id. The watermark for the next
// incremental run is saved only after the last page has landed.
import {
  ApplicationFailure,
  CancellationScope,
  continueAsNew,
  defineQuery,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { PipelineActivities, SyncPlan } from '../activities/index.js';
import { pipelineFailure } from './failure.js';

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
  /** Carried across continue-as-new; absent on the first run. */
  state?: PullState;
}

export interface PullState {
  plan: SyncPlan;
  mode: SyncMode;
  since: string | null;
  until: string;
  cursor: string | null;
  pages: number;
  records: number;
  highWatermark: string | null;
  previousWatermark: string | null;
  startedAt: string;
  /** How many times this sync has continued-as-new. */
  generation: number;
  /** Records the source reports for the window, where it says (Mailchimp total_items). */
  total?: number | null;
}

export type PullPhase = 'planning' | 'pulling' | 'finishing' | 'done' | 'cancelled' | 'failed';

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
}

/** What a cancelled run leaves in its memo (a cancelled workflow has no result). */
export interface PullOutcomeMemo {
  outcome: 'cancelled' | 'failed';
  pages: number;
  records: number;
  /** The saved watermark was not moved: the next run starts where the last completed one ended. */
  watermarkAdvanced: false;
  previousWatermark: string | null;
}

export interface PullResult {
  connectionId: string;
  connectorId: string;
  stream: string;
  mode: SyncMode;
  /** Records pulled by this sync (a record seen twice across pages counts twice). */
  records: number;
  pages: number;
  /** Distinct records stored for the stream after this sync. */
  storedRecords: number;
  since: string | null;
  until: string;
  watermark: string | null;
  previousWatermark: string | null;
  location: string;
  startedAt: string;
  finishedAt: string;
}

// ---- queries ---------------------------------------------------------------------------------

export const progressQuery = defineQuery<PullProgress>('progress');

// ---- helpers ---------------------------------------------------------------------------------

const DEFAULT_PAGES_PER_RUN = 500;

const { planSync } = proxyLocalActivities<PipelineActivities>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: ['invalid_config', 'not_found', 'missing_secret'] },
});

// Sink bookkeeping is local I/O, not provider calls: it runs on the workflow's own task queue so
// that it does not spend the connector's rate budget. Compaction may take minutes on a large file;
// the heartbeat makes a worker that died in it known within seconds.
const sinkActivities = proxyActivities<PipelineActivities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '10s',
  cancellationType: 'WAIT_CANCELLATION_COMPLETED',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 20 },
});

function maxIso(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return a > b ? a : b;
}

function minusMs(iso: string, ms: number): string {
  return new Date(Date.parse(iso) - ms).toISOString();
}

function outcomeMemo(outcome: PullOutcomeMemo['outcome'], state: PullState): PullOutcomeMemo {
  return { outcome, pages: state.pages, records: state.records, watermarkAdvanced: false, previousWatermark: state.previousWatermark };
}

/** A clear, secret-free failure that names the sync and the page. */
function syncFailure(state: PullState, err: unknown): ApplicationFailure {
  return pipelineFailure(`Sync of ${state.plan.connectorName} ${state.plan.stream} for "${state.plan.connectionId}" failed on page ${state.pages + 1}`, err);
}

// ---- workflow --------------------------------------------------------------------------------

export async function pullWorkflow(input: PullInput): Promise<PullResult> {
  const mode: SyncMode = input.mode ?? 'incremental';
  let state: PullState | undefined = input.state;
  let phase: PullPhase = state ? 'pulling' : 'planning';

  setHandler(progressQuery, () => ({
    connectionId: input.connectionId,
    stream: input.stream,
    connectorId: state?.plan.connectorId ?? null,
    phase,
    mode,
    pages: state?.pages ?? 0,
    records: state?.records ?? 0,
    since: state?.since ?? null,
    until: state?.until ?? null,
    watermark: state?.highWatermark ?? null,
    startedAt: state?.startedAt ?? null,
    generation: state?.generation ?? 0,
    total: state?.total ?? null,
  }));

  if (!state) {
    const plan = await planSync({ connectionId: input.connectionId, stream: input.stream, ...(input.pageSize ? { pageSize: input.pageSize } : {}) });
    const saved = mode === 'incremental' ? await sinkActivities.loadSyncState({ connectionId: input.connectionId, stream: input.stream }) : null;
    const previousWatermark = saved?.watermark ?? null;
    state = {
      plan,
      mode,
      // Start a little before the watermark: changes that became visible late are read again
      // (and deduplicated by the sink) rather than missed.
      since: previousWatermark ? minusMs(previousWatermark, plan.overlapMs) : null,
      // A fixed upper bound for the whole run: records changing while we page fall into the next run.
      until: new Date().toISOString(),
      cursor: null,
      pages: 0,
      records: 0,
      highWatermark: null,
      previousWatermark,
      startedAt: new Date().toISOString(),
      generation: 0,
    };
  }
  phase = 'pulling';

  const { pullPage } = proxyActivities<PipelineActivities>(state.plan.activity);
  const pagesPerRun = input.pagesPerRun ?? DEFAULT_PAGES_PER_RUN;
  let pagesThisRun = 0;

  for (;;) {
    let page;
    try {
      // The summary makes each activity in the Web UI read as "page 12 of Shopify orders".
      page = await pullPage.executeWithOptions({ ...state.plan.activity, summary: `page ${state.pages + 1} of ${state.plan.connectorName} ${state.plan.stream}` }, [
        {
          connectionId: state.plan.connectionId,
          stream: state.plan.stream,
          cursor: state.cursor,
          since: state.since,
          until: state.until,
          pageSize: state.plan.pageSize,
        },
      ]);
    } catch (err) {
      if (isCancellation(err)) {
        // A cancel is not a failure: the run ends CANCELLED, says what it did, and leaves the saved
        // watermark alone (the next run starts from the last completed one, so nothing is skipped).
        phase = 'cancelled';
        upsertMemo({ pull: outcomeMemo('cancelled', state) });
        throw err;
      }
      phase = 'failed';
      throw syncFailure(state, err);
    }
    state.pages++;
    state.records += page.count;
    if (page.total !== undefined) state.total = page.total;
    state.cursor = page.nextCursor;
    state.highWatermark = maxIso(state.highWatermark, page.watermark);
    pagesThisRun++;
    if (state.cursor === null) break;
    if (pagesThisRun >= pagesPerRun || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof pullWorkflow>({ ...input, mode, state: { ...state, generation: state.generation + 1 } });
    }
  }

  phase = 'finishing';
  const watermark = maxIso(state.previousWatermark, state.highWatermark);
  const finishing = state;
  // Every page has landed: a cancel arriving now lets the run finish (compaction and watermark are a
  // few seconds of local work), so that "cancelled" always means "watermark not advanced".
  const done = await CancellationScope.nonCancellable(() =>
    sinkActivities.completeSync({
      connectionId: finishing.plan.connectionId,
      stream: finishing.plan.stream,
      watermark,
      records: finishing.records,
      runId: workflowInfo().firstExecutionRunId,
    }),
  ).catch((err: unknown) => {
    phase = 'failed';
    throw err;
  });
  phase = 'done';
  return {
    connectionId: state.plan.connectionId,
    connectorId: state.plan.connectorId,
    stream: state.plan.stream,
    mode,
    records: state.records,
    pages: state.pages,
    storedRecords: done.storedRecords,
    since: state.since,
    until: state.until,
    watermark,
    previousWatermark: state.previousWatermark,
    location: done.location,
    startedAt: state.startedAt,
    finishedAt: new Date().toISOString(),
  };
}
