// pullSliceWorkflow: one slice of a sliced full sync, a child of pullWorkflow. It reads one window of
// change time, page after page, writing each page to the sink like any pull, and returns its counters.
//
// Guarantee: a slice resumes on its own after a crash (its cursor is in its own workflow state), and
// it never saves a watermark: its parent does, once every slice has committed. A slice that finds far
// more data than planned stops and hands back the part of its window it has not read, which the
// parent splits again — where the source returns records in change-time order (Stripe newest first,
// Mailchimp oldest first); a source without such an order is read to the end of the window.
import { continueAsNew, defineQuery, isCancellation, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { PipelineActivities, SyncPlan } from '../activities/index.js';
import { remainingWindow, type TimeWindow } from '../src/core/slices.js';
import { pipelineFailure } from './failure.js';
import { addPage, emptyCounters, type PageCounters } from './pull-pages.js';

export interface SliceInput {
  plan: SyncPlan;
  window: TimeWindow;
  /** 1-based, for names and summaries. */
  index: number;
  /** Past this many pages with more to come, the slice hands back what remains (0: never). */
  splitAfterPages: number;
  /** What remains is handed back only when it can still be split: at least twice this long. */
  minWindowMs: number;
  /** Carried across continue-as-new. */
  state?: SliceState;
}

export interface SliceState {
  cursor: string | null;
  counters: PageCounters;
  /** The change time up to which the window is read, in the source's order (see remainingWindow). */
  boundary: string | null;
}

export interface SliceResult {
  index: number;
  window: TimeWindow;
  counters: PageCounters;
  /** The part of the window left unread, to split again; null when the slice read it all. */
  remaining: TimeWindow | null;
}

export interface SliceProgress {
  index: number;
  window: TimeWindow;
  pages: number;
  records: number;
}

export const sliceProgressQuery = defineQuery<SliceProgress>('progress');

const PAGES_PER_RUN = 500;

export async function pullSliceWorkflow(input: SliceInput): Promise<SliceResult> {
  const { plan, window } = input;
  const state: SliceState = input.state ?? { cursor: null, counters: emptyCounters(), boundary: null };
  setHandler(sliceProgressQuery, () => ({ index: input.index, window, pages: state.counters.pages, records: state.counters.records }));
  const { pullPage } = proxyActivities<PipelineActivities>(plan.activity);
  let pagesThisRun = 0;

  for (;;) {
    let page;
    try {
      page = await pullPage.executeWithOptions(
        { ...plan.activity, summary: `slice ${input.index} page ${state.counters.pages + 1} of ${plan.connectorName} ${plan.stream}` },
        [{ connectionId: plan.connectionId, stream: plan.stream, cursor: state.cursor, since: window.since, until: window.until, pageSize: plan.pageSize }],
      );
    } catch (err) {
      if (isCancellation(err)) throw err;
      throw pipelineFailure(`Slice ${input.index} (${window.since} .. ${window.until}) of ${plan.connectorName} ${plan.stream} for "${plan.connectionId}" failed on page ${state.counters.pages + 1}`, err);
    }
    addPage(state.counters, page);
    state.cursor = page.nextCursor;
    if (page.boundary) state.boundary = page.boundary;
    pagesThisRun++;
    if (state.cursor === null) return { index: input.index, window, counters: state.counters, remaining: null };

    if (input.splitAfterPages > 0 && state.counters.pages >= input.splitAfterPages) {
      // Only a remainder that can still be split, and that the pages read have actually shrunk,
      // pays for handing it back: many records on one second (a bulk import) are read to the end
      // here instead of being handed back, and read again, over and over.
      const remaining = remainingWindow(window, page.order, state.boundary);
      const width = (w: TimeWindow) => Date.parse(w.until) - Date.parse(w.since);
      if (remaining && width(remaining) >= 2 * input.minWindowMs && width(remaining) <= 0.9 * width(window)) {
        return { index: input.index, window, counters: state.counters, remaining };
      }
    }
    if (pagesThisRun >= PAGES_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof pullSliceWorkflow>({ ...input, state });
    }
  }
}
