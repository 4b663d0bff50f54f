// What staging one page did, counted. No imports: workflow code adds these up too.
export interface StageCounts {
  /** Records on the page (after de-duplicating ids within it). */
  records: number;
  /** Staged for delivery, in `calls` calls. */
  staged: number;
  calls: number;
  /** Already delivered (this version), or superseded by a newer delivered version. */
  alreadyDelivered: number;
  /** Dead, unknown or filtered before (left alone outside a replay). */
  held: number;
  /** Claimed by another page of this run (the same version twice in one run). */
  duplicates: number;
  /** Refused now by the filter. */
  filtered: number;
  /** Refused now by the mapping or the destination's schema. */
  dead: number;
  /** Unknown now: a claim of an earlier run was left `sending` on a destination that cannot de-duplicate. */
  unknown: number;
  /** A few reasons of dead records, for the run's summary. */
  deadExamples: string[];
}

export function emptyStageCounts(): StageCounts {
  return { records: 0, staged: 0, calls: 0, alreadyDelivered: 0, held: 0, duplicates: 0, filtered: 0, dead: 0, unknown: 0, deadExamples: [] };
}

export function addStageCounts(into: StageCounts, from: StageCounts): void {
  for (const k of ['records', 'staged', 'calls', 'alreadyDelivered', 'held', 'duplicates', 'filtered', 'dead', 'unknown'] as const) into[k] += from[k];
  for (const e of from.deadExamples) if (into.deadExamples.length < 5) into.deadExamples.push(e);
}
