// Retry-After is either delay-seconds (Shopify sends decimals such as "2.0") or an HTTP-date
// (RFC 9110 §10.2.3). Returns milliseconds to wait, or undefined when absent or unparseable.
export function parseRetryAfter(value: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** `X-RateLimit-Reset`-style epoch seconds to a delay in ms (never negative). */
export function delayUntilEpochSeconds(value: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (!value || !/^\d+(\.\d+)?$/.test(value.trim())) return undefined;
  return Math.max(0, Math.round(Number(value) * 1000 - nowMs));
}
