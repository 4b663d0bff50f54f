// "Did you mean ...?" for ids typed by hand (connector ids, connection ids, option names): the known
// value nearest to a typo, by edit distance. Commands and flags get the same from commander itself.

/** Optimal-string-alignment distance: insertions, deletions, substitutions and swaps of neighbours. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidates nearest to `input` (case-insensitive), best first; none when nothing is close: at
 * most 40% of the input's length apart (at least 1), or a candidate the input is the start of.
 */
export function nearest(input: string, candidates: Iterable<string>): string[] {
  const needle = input.toLowerCase();
  if (needle === '') return [];
  const maxDistance = Math.max(1, Math.floor(needle.length * 0.4));
  const scored: { c: string; d: number }[] = [];
  for (const c of new Set(candidates)) {
    const hay = c.toLowerCase();
    if (hay === needle) return [c];
    const d = editDistance(needle, hay);
    if (d <= maxDistance) scored.push({ c, d });
    else if (needle.length >= 3 && hay.startsWith(needle)) scored.push({ c, d: maxDistance + 1 });
  }
  scored.sort((x, y) => x.d - y.d || x.c.localeCompare(y.c));
  const best = scored[0]?.d;
  return scored.filter((s) => s.d === best).map((s) => s.c);
}

/** ` Did you mean "x"?` (or `"x" or "y"`), with a leading space; empty when nothing is close. */
export function didYouMean(input: string, candidates: Iterable<string>): string {
  const near = nearest(input, candidates).slice(0, 3);
  if (near.length === 0) return '';
  return ` Did you mean ${near.map((n) => `"${n}"`).join(' or ')}?`;
}
