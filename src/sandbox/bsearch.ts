// Binary search over positions whose key never decreases; every page query starts with one of these.

/** First position p in [lo, hi) with key(p) >= x, or hi. */
export function lowerBound(lo: number, hi: number, key: (p: number) => number, x: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(mid) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First position p in [lo, hi) with key(p) > x, or hi. */
export function upperBound(lo: number, hi: number, key: (p: number) => number, x: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(mid) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
