// Retry-After is either delay-seconds (Shopify sends decimals such as "2.0") or an HTTP-date
// (RFC 9110 §10.2.3). Returns milliseconds to wait, or undefined when absent or unparseable.
// Whatever a provider sends ("1e308", twenty nines, a date in the year 275760), the delay is a finite
// number of ms between 0 and MAX_RETRY_DELAY_MS: it becomes a Temporal nextRetryDelay, where
// Infinity or an absurd value breaks the failure conversion.
import { boundDelay } from './limits.js';

export function parseRetryAfter(value: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  // Number() of a long digit string is a huge number or Infinity: boundDelay clamps both.
  if (/^\d+(\.\d+)?$/.test(text)) return boundDelay(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return boundDelay(at - nowMs);
}

/** `X-RateLimit-Reset`-style epoch seconds to a delay in ms (never negative, never beyond MAX_RETRY_DELAY_MS). */
export function delayUntilEpochSeconds(value: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  if (!/^\d+(\.\d+)?$/.test(text)) return undefined;
  return boundDelay(Number(text) * 1000 - nowMs);
}
