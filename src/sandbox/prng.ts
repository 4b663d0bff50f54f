// Seeded randomness for the emulators' data sets. Every record is rendered from a generator keyed by
// (seed, salt, index[, revision]), so a page can be rebuilt on demand without storing whole objects.

export type Rng = () => number;

/** mulberry32: tiny, fast and good enough for test data (not for anything secret). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes integers into one 32-bit value (murmur3 finaliser per part), for per-record generators. */
export function hash32(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    // Fold in the high bits too, so indices or seeds above 2^32 still change the hash.
    h ^= (p >>> 0) ^ Math.floor(p / 4294967296);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

export function rngFor(...parts: number[]): Rng {
  return mulberry32(hash32(...parts));
}

/** Integer in [lo, hi], both inclusive. */
export function randInt(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)] as T;
}

export const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const HEX = '0123456789abcdef';

export function randChars(rng: Rng, alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(rng() * alphabet.length)];
  return out;
}

/**
 * k distinct integers from [0, n), in the order drawn (Floyd's algorithm): O(k) time and memory,
 * so touching a few records of a million-record set costs nothing.
 */
export function sampleDistinct(rng: Rng, n: number, k: number): number[] {
  const count = Math.max(0, Math.min(k, n));
  const chosen = new Set<number>();
  const order: number[] = [];
  for (let j = n - count; j < n; j++) {
    const t = Math.floor(rng() * (j + 1));
    const v = chosen.has(t) ? j : t;
    chosen.add(v);
    order.push(v);
  }
  return order;
}

/**
 * n sorted whole seconds spread uniformly over [startSec, endSec). Uses normalised exponential
 * spacings, which yields sorted uniform samples in O(n) without a sort (matters at 1M records).
 */
export function sortedSeconds(rng: Rng, n: number, startSec: number, endSec: number): number[] {
  const gaps = new Float64Array(n + 1);
  let total = 0;
  for (let i = 0; i <= n; i++) {
    const g = -Math.log(1 - rng());
    gaps[i] = g;
    total += g;
  }
  const span = endSec - startSec;
  const out: number[] = [];
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc += gaps[i]!;
    out.push(Math.min(endSec - 1, startSec + Math.floor((span * acc) / total)));
  }
  return out;
}
