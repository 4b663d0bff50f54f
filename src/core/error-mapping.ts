// The shared status -> error code table of DESIGN.md §4. Deterministic: the same answer always maps
// to the same code. Provider-specific refinements live in each connector's executor.
import { connectorError, type ConnectorError, type ErrorCode } from './errors.js';
import { boundText } from './limits.js';
import { parseRetryAfter } from './retry-after.js';

export function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
    case 422:
      return 'bad_request';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
    case 410:
      return 'not_found';
    case 408:
      return 'timeout';
    case 409:
      return 'conflict';
    case 413:
      return 'payload_too_large';
    case 429:
      return 'rate_limited';
    case 502:
    case 503:
    case 504:
      return 'upstream_unavailable';
    default:
      if (status >= 500) return 'upstream_error';
      // Other 4xx (402 frozen shop, 405, 406, 423 locked, 451 ...) are the caller's to fix.
      return 'bad_request';
  }
}

/** The provider's part of an error message; a longer one is cut with a marker of what was cut. */
const MAX_MESSAGE = 500;
const bound = (text: string) => boundText(text, MAX_MESSAGE);

function firstString(...values: unknown[]): string | undefined {
  for (const v of values) {
    if (typeof v === 'string' && v.trim() !== '') return v.trim();
  }
  return undefined;
}

/**
 * Pulls a human message out of the error bodies providers commonly send:
 * `{error:{message}}` (Stripe, Meta), `{errors:[{message|detail|title}]}` (SendGrid, Klaviyo),
 * `{errors:"..."}` / `{errors:{field:[..]}}` (Shopify), `{title,detail}` (Mailchimp),
 * `{message}` (Twilio, PagerDuty, Braze), `{Message}` (Postmark), plain text (Slack, Teams).
 */
export function extractProviderMessage(body: unknown): string | undefined {
  const m = providerMessage(body);
  return m === undefined ? undefined : bound(m);
}

function providerMessage(body: unknown): string | undefined {
  if (body === null || body === undefined) return undefined;
  if (typeof body === 'string') return body.trim() === '' ? undefined : body.trim();
  if (typeof body !== 'object') return String(body);
  const b = body as Record<string, unknown>;
  const err = b.error;
  if (err && typeof err === 'object') {
    const e = err as Record<string, unknown>;
    const m = firstString(e.message, e.error_user_msg, e.description);
    if (m) return m;
  }
  if (Array.isArray(b.errors) && b.errors.length > 0) {
    const parts: string[] = [];
    let length = 0;
    // Only as many entries as the message can show: a body may carry a million of them.
    for (const e of b.errors) {
      if (length > MAX_MESSAGE) break;
      let part: string | undefined;
      if (typeof e === 'string') part = e;
      else if (e && typeof e === 'object') {
        const o = e as Record<string, unknown>;
        const msg = firstString(o.detail, o.message, o.title, o.description);
        const source = o.source && typeof o.source === 'object' ? (o.source as Record<string, unknown>).pointer : undefined;
        const field = firstString(o.field, source);
        part = msg && field ? `${field}: ${msg}` : msg;
      }
      if (part) {
        parts.push(part);
        length += part.length + 2;
      }
    }
    if (parts.length > 0) return parts.join('; ');
  }
  if (typeof b.errors === 'string') return b.errors;
  if (b.errors && typeof b.errors === 'object') {
    const parts: string[] = [];
    let length = 0;
    for (const [field, msgs] of Object.entries(b.errors as Record<string, unknown>)) {
      if (length > MAX_MESSAGE) break;
      const part = `${field}: ${Array.isArray(msgs) ? msgs.slice(0, 20).map(short).join(', ') : short(msgs)}`;
      parts.push(part);
      length += part.length + 2;
    }
    if (parts.length > 0) return parts.join('; ');
  }
  const title = firstString(b.title);
  const detail = firstString(b.detail);
  if (title && detail) return `${title}: ${detail}`;
  return firstString(b.message, b.Message, b.detail, b.title, b.description, b.msg, typeof err === 'string' ? err : undefined);
}

/** A value inside an error list, as text no longer than the message can show (never a deep walk). */
function short(v: unknown): string {
  if (typeof v === 'string') return bound(v);
  if (v !== null && typeof v === 'object') return Array.isArray(v) ? '[…]' : '{…}';
  return String(v);
}

export interface FailureContext {
  provider: string;
  status: number;
  body: unknown;
  headers: Record<string, string>;
  nowMs?: number;
}

/** Maps a non-2xx answer to a ConnectorError with a clear message. */
export function mapHttpFailure(ctx: FailureContext): ConnectorError {
  const code = codeForStatus(ctx.status);
  const detail = extractProviderMessage(ctx.body);
  const message = boundText(`${ctx.provider} answered HTTP ${ctx.status}${detail ? `: ${detail}` : ''}`);
  const retryAfterMs = parseRetryAfter(ctx.headers['retry-after'], ctx.nowMs);
  // A gateway's 502/504 says the upstream failed or did not answer in time: it may have acted.
  const ambiguous = ctx.status === 502 || ctx.status === 504;
  return connectorError(code, message, { ...(retryAfterMs !== undefined ? { retryAfterMs } : {}), ...(ambiguous ? { ambiguous } : {}) });
}
