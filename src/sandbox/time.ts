// Timestamps as the providers print and parse them. The data sets keep whole unix seconds: every
// provider here reports change times at second precision, so ties are real and must be ordered.

import { lowerBound } from './bsearch.js';

const ISO_RE = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(?::(\d{2})(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** `2025-03-01T10:00:00-05:00`: the instant shown in a fixed UTC offset (Shopify, Mailchimp). */
export function isoWithOffset(sec: number, offsetMinutes: number): string {
  const local = new Date((sec + offsetMinutes * 60) * 1000).toISOString().slice(0, 19);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${local}${sign}${hh}:${mm}`;
}

/** Canonical UTC form (`2025-03-01T15:00:00.000Z`), the form executors normalise to. */
export function isoUtc(sec: number): string {
  return new Date(sec * 1000).toISOString();
}

/**
 * Parses an ISO-8601 date or date-time into epoch milliseconds, or null when it is not one.
 * A value without an offset is read in `defaultOffsetMinutes` (the shop's zone for Shopify, UTC for
 * Mailchimp), never in the local zone of the machine running the sandbox.
 */
export function parseIsoMs(value: string, defaultOffsetMinutes: number): number | null {
  const m = ISO_RE.exec(value.trim());
  if (!m) return null;
  const [, date, hm, ss, frac, zone] = m;
  let offset = defaultOffsetMinutes;
  if (zone && zone.toUpperCase() !== 'Z') {
    const digits = zone.replace(':', '');
    const sign = digits.startsWith('-') ? -1 : 1;
    offset = sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
  } else if (zone) {
    offset = 0;
  }
  const ms = Date.parse(`${date}T${hm ?? '00:00'}:${ss ?? '00'}${frac ?? ''}Z`);
  if (Number.isNaN(ms)) return null;
  return ms - offset * 60_000;
}

/** Smallest whole second at or after `ms` (for an inclusive lower bound given with fractions). */
export function ceilSec(ms: number): number {
  return Math.ceil(ms / 1000);
}

/** Largest whole second at or before `ms` (for an inclusive upper bound). */
export function floorSec(ms: number): number {
  return Math.floor(ms / 1000);
}

/**
 * Delay between creation and the first recorded change, as a smooth function of time (5 to 55
 * minutes over a day). Its slope stays far below 1, so `t - lag(t)` rises with `t`: creation times
 * derived from sorted change times stay sorted, which the indexes rely on.
 */
export function settleLagSec(sec: number): number {
  return Math.round(1800 + 1500 * Math.sin((2 * Math.PI * sec) / 86_400));
}

/**
 * Gives `count` records of a sorted run of change times one identical time `atSec`, keeping the
 * array sorted: the run starts where `atSec` falls (moved back from the end when too few records
 * follow), so every record before it is older or equal and every one after it newer or equal.
 * Returns the run's first position (the run is [start, start + count)).
 */
export function shareRun(times: number[], count: number, atSec: number): number {
  const n = times.length;
  const k = Math.min(lowerBound(0, n, (p) => times[p]!, atSec), n - count);
  const start = Math.max(0, k);
  for (let p = start; p < start + count; p++) times[p] = atSec;
  return start;
}

/** A sandbox option's instant (ISO-8601 with an offset, or a bare date read as UTC), in unix seconds. */
export function optionInstantSec(value: unknown, name: string): number {
  const ms = typeof value === 'string' ? parseIsoMs(value, 0) : null;
  if (ms === null || !Number.isFinite(ms)) throw new Error(`sandbox: ${name} must be an ISO-8601 date-time such as 2025-03-01T12:00:00Z`);
  return Math.floor(ms / 1000);
}
