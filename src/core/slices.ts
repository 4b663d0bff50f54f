// Slicing a first (full) sync into windows of change time that can be read independently and in
// parallel: the plan from a probe of the source, and the re-split of a slice that finds more data
// than planned. Pure functions (workflow code imports them): no I/O, no clock.

/** A window of change time: since (inclusive) .. until (inclusive), ISO-8601. */
export interface TimeWindow {
  since: string;
  until: string;
}

export interface ProbeRequest {
  stream: string;
  since?: string | null;
  until?: string | null;
}

/** What a source can tell cheaply about a window before it is read. */
export interface ProbeResult {
  /** Records in the window: exact where the source counts (Mailchimp total_items, Shopify count), else an estimate or null. */
  count: number | null;
  /** Whether `count` is an estimate (from the density of a first page) rather than the source's own figure. */
  estimated?: boolean;
  /** The earliest change time in the window, where the source can tell (null: unknown, or an empty window). */
  earliest: string | null;
}

export interface SlicePolicy {
  /** At most this many slices in the first plan (more may come from re-splits). */
  maxSlices: number;
  /** A slice is planned to hold about this many pages. */
  pagesPerSlice: number;
  /** Below this many pages the sync stays one sequential run: no overhead where it does not pay. */
  minPagesToSlice: number;
  /** Slices in flight at once (the connection's budget caps their requests anyway). */
  parallel: number;
  /** A window shorter than this is not split further (change times have a second's precision at best). */
  minWindowMs: number;
}

// Many small slices keep the tail short (the last slices finish close together) and let a busy
// window be re-split early; the key's budget, not the number of slices, caps the request rate.
export const DEFAULT_SLICE_POLICY: SlicePolicy = { maxSlices: 128, pagesPerSlice: 15, minPagesToSlice: 20, parallel: 12, minWindowMs: 2_000 };

export type SlicePlan =
  | { sliced: false; reason: string; estimatedRecords: number | null }
  | { sliced: true; windows: TimeWindow[]; estimatedRecords: number | null; estimated: boolean };

const iso = (ms: number) => new Date(ms).toISOString();

/** `n` equal windows covering [since, until]; neighbours share their boundary second (re-read, upserted). */
export function splitWindow(w: TimeWindow, n: number, minWindowMs = DEFAULT_SLICE_POLICY.minWindowMs): TimeWindow[] {
  const lo = Date.parse(w.since);
  const hi = Date.parse(w.until);
  const parts = Math.max(1, Math.min(n, Math.floor((hi - lo) / minWindowMs)));
  if (parts <= 1) return [w];
  const step = (hi - lo) / parts;
  return Array.from({ length: parts }, (_, k) => ({ since: iso(Math.floor(lo + k * step)), until: k === parts - 1 ? w.until : iso(Math.floor(lo + (k + 1) * step)) }));
}

/** The first plan of a full sync of [since, until], from a probe of the whole window. */
export function planSlices(window: TimeWindow, probe: ProbeResult, pageSize: number, policy: SlicePolicy = DEFAULT_SLICE_POLICY): SlicePlan {
  const estimatedRecords = probe.count;
  if (probe.count === null) return { sliced: false, reason: 'the source gives no size estimate for the window', estimatedRecords };
  const pages = Math.ceil(probe.count / Math.max(1, pageSize));
  if (pages < policy.minPagesToSlice) return { sliced: false, reason: `${pages} page${pages === 1 ? '' : 's'} expected: one sequential run`, estimatedRecords };
  // Start where the data starts: an account's first record is often years after the default floor.
  const since = probe.earliest && Date.parse(probe.earliest) > Date.parse(window.since) ? probe.earliest : window.since;
  const n = Math.min(policy.maxSlices, Math.ceil(pages / policy.pagesPerSlice));
  const windows = splitWindow({ since, until: window.until }, n, policy.minWindowMs);
  if (windows.length < 2) return { sliced: false, reason: 'the window is too short to split', estimatedRecords };
  return { sliced: true, windows, estimatedRecords, estimated: probe.estimated ?? false };
}

/**
 * What remains of a slice after a page, when records come in change-time order: for a source read
 * newest first (Stripe), [since .. the oldest time seen]; oldest first (Mailchimp), [the newest time
 * seen .. until]. Null when the order is unknown (then the slice is read to its end).
 */
export function remainingWindow(w: TimeWindow, order: 'asc' | 'desc' | undefined, boundary: string | null): TimeWindow | null {
  if (!order || !boundary || Number.isNaN(Date.parse(boundary))) return null;
  return order === 'desc' ? { since: w.since, until: boundary } : { since: boundary, until: w.until };
}
