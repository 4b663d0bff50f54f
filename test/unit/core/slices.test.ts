// The slice plan of a first sync (src/core/slices.ts): when a sync is sliced, into how many windows,
// starting where the data starts, covering the whole window without a gap; and what a slice that
// found more than planned hands back.
import { describe, expect, test } from 'vitest';
import { DEFAULT_SLICE_POLICY, planSlices, remainingWindow, splitWindow } from '../../../src/core/slices.js';

const WINDOW = { since: '2020-01-01T00:00:00.000Z', until: '2026-12-01T00:00:00.000Z' };

describe('planSlices', () => {
  test('below 20 pages, or without a size, a sync stays one sequential run', () => {
    expect(planSlices(WINDOW, { count: 1_900, earliest: null }, 100)).toMatchObject({ sliced: false, reason: '19 pages expected: one sequential run' });
    expect(planSlices(WINDOW, { count: null, earliest: null }, 100)).toMatchObject({ sliced: false });
  });

  test('a large window: about 15 pages a slice, from the earliest record to the bound, no gap between slices', () => {
    const plan = planSlices(WINDOW, { count: 100_000, earliest: '2024-06-01T00:00:00.000Z' }, 100);
    expect(plan.sliced).toBe(true);
    if (!plan.sliced) return;
    expect(plan.windows).toHaveLength(Math.ceil(1_000 / DEFAULT_SLICE_POLICY.pagesPerSlice));
    expect(plan.windows[0]!.since).toBe('2024-06-01T00:00:00.000Z');
    expect(plan.windows.at(-1)!.until).toBe(WINDOW.until);
    for (let i = 1; i < plan.windows.length; i++) expect(plan.windows[i]!.since).toBe(plan.windows[i - 1]!.until);
  });

  test('never more than maxSlices at first; an estimate is marked as one', () => {
    const plan = planSlices(WINDOW, { count: 10_000_000, estimated: true, earliest: null }, 100);
    expect(plan).toMatchObject({ sliced: true, estimated: true });
    if (plan.sliced) expect(plan.windows).toHaveLength(DEFAULT_SLICE_POLICY.maxSlices);
  });

  test('a window too short to split stays one run', () => {
    const short = { since: '2026-12-01T00:00:00.000Z', until: '2026-12-01T00:00:03.000Z' };
    expect(planSlices(short, { count: 50_000, earliest: null }, 100)).toMatchObject({ sliced: false, reason: 'the window is too short to split' });
  });
});

describe('splitWindow and remainingWindow', () => {
  test('n equal parts that share their boundaries, never shorter than the minimum', () => {
    const parts = splitWindow({ since: '2026-01-01T00:00:00.000Z', until: '2026-01-01T00:00:10.000Z' }, 10, 2_000);
    expect(parts).toHaveLength(5);
    expect(parts[0]!.since).toBe('2026-01-01T00:00:00.000Z');
    expect(parts.at(-1)!.until).toBe('2026-01-01T00:00:10.000Z');
  });

  test('newest first (Stripe) hands back [since .. oldest seen]; oldest first (Mailchimp) [newest seen .. until]; unknown order nothing', () => {
    const w = { since: '2026-01-01T00:00:00.000Z', until: '2026-02-01T00:00:00.000Z' };
    expect(remainingWindow(w, 'desc', '2026-01-20T00:00:00.000Z')).toEqual({ since: w.since, until: '2026-01-20T00:00:00.000Z' });
    expect(remainingWindow(w, 'asc', '2026-01-20T00:00:00.000Z')).toEqual({ since: '2026-01-20T00:00:00.000Z', until: w.until });
    expect(remainingWindow(w, undefined, '2026-01-20T00:00:00.000Z')).toBeNull();
    expect(remainingWindow(w, 'desc', 'not a date')).toBeNull();
  });
});
