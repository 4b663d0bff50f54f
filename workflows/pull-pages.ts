// What a pull run and its slices share: the counters a page adds to, and the call of one page.
// Deterministic code only (bundled with the workflows).
import type { PullPageInput, PullPageResult } from '../activities/index.js';

import type { TimeAnomalies } from '../activities/index.js';

export type { TimeAnomalies };

export interface PageCounters {
  pages: number;
  /** Records read (a record read twice counts twice). */
  records: number;
  /** Records the sink wrote. */
  written: number;
  /** The highest trusted change time seen. */
  highWatermark: string | null;
  anomalies: TimeAnomalies;
}

const MAX_EXAMPLES = 10;

export function emptyCounters(): PageCounters {
  return { pages: 0, records: 0, written: 0, highWatermark: null, anomalies: { unparseable: 0, afterWindow: 0, examples: [] } };
}

export function maxIso(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

export function addPage(c: PageCounters, page: PullPageResult): void {
  c.pages++;
  c.records += page.count;
  c.written += page.written;
  c.highWatermark = maxIso(c.highWatermark, page.watermark);
  addAnomalies(c.anomalies, page.anomalies);
}

export function addAnomalies(into: TimeAnomalies, from: TimeAnomalies | undefined): void {
  if (!from) return;
  into.unparseable += from.unparseable;
  into.afterWindow += from.afterWindow;
  for (const id of from.examples) if (into.examples.length < MAX_EXAMPLES && !into.examples.includes(id)) into.examples.push(id);
}

export function mergeCounters(into: PageCounters, from: PageCounters): void {
  into.pages += from.pages;
  into.records += from.records;
  into.written += from.written;
  into.highWatermark = maxIso(into.highWatermark, from.highWatermark);
  addAnomalies(into.anomalies, from.anomalies);
}

export type PullPageCall = {
  executeWithOptions(options: Record<string, unknown>, args: [PullPageInput]): Promise<PullPageResult>;
};
