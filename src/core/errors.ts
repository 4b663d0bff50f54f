// The closed set of error codes every executor answers with (DESIGN.md §4). Names are public API:
// they become Temporal ApplicationFailure types, so retry policies and users can match on them.
import { boundDelay, boundText } from './limits.js';

export const ERROR_CODES = [
  'invalid_config',
  'missing_secret',
  'unauthorized',
  'forbidden',
  'not_found',
  'bad_request',
  'conflict',
  'payload_too_large',
  'rate_limited',
  'upstream_unavailable',
  'upstream_error',
  'timeout',
  'network',
  'invalid_response',
  'circuit_open',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ConnectorError {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  retryAfterMs?: number;
  /**
   * The provider may have acted on the request although no success came back: a timeout or a lost
   * connection after the request was written, a gateway's 502/504. Retrying such a call can deliver
   * twice where the provider cannot de-duplicate (activities/call-guard.ts).
   */
  ambiguous?: boolean;
}

/** Whether a code is retried by default. Executors may refine per call (e.g. Stripe-Should-Retry). */
export const RETRYABLE_BY_DEFAULT: Readonly<Record<ErrorCode, boolean>> = {
  invalid_config: false,
  missing_secret: false,
  unauthorized: false,
  forbidden: false,
  not_found: false,
  bad_request: false,
  conflict: false,
  payload_too_large: false,
  rate_limited: true,
  upstream_unavailable: true,
  upstream_error: true,
  timeout: true,
  network: true,
  invalid_response: false,
  circuit_open: true,
};

/** Codes that Temporal must never retry, whatever an executor says for a single call. */
export const NON_RETRYABLE_CODES: readonly ErrorCode[] = ERROR_CODES.filter((c) => !RETRYABLE_BY_DEFAULT[c]);

/**
 * A ConnectorError. The message is bounded (limits.ts: a provider's 1 MB error field does not become
 * a 1 MB failure message) and a retry delay is finite and bounded, whatever a provider asked for.
 */
export function connectorError(
  code: ErrorCode,
  message: string,
  extra: { retryable?: boolean; retryAfterMs?: number; ambiguous?: boolean } = {},
): ConnectorError {
  const error: ConnectorError = { code, message: boundText(message), retryable: extra.retryable ?? RETRYABLE_BY_DEFAULT[code] };
  const retryAfterMs = boundDelay(extra.retryAfterMs);
  if (retryAfterMs !== undefined) error.retryAfterMs = retryAfterMs;
  if (extra.ambiguous) error.ambiguous = true;
  return error;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/**
 * The same error with its message bounded and its retry delay finite and at most `maxDelayMs` (for
 * errors an executor assembled itself rather than through connectorError).
 */
export function boundedError(error: ConnectorError, maxDelayMs?: number): ConnectorError {
  const out: ConnectorError = { ...error, message: boundText(String(error.message ?? '')) };
  const retryAfterMs = boundDelay(error.retryAfterMs, maxDelayMs);
  if (retryAfterMs === undefined) delete out.retryAfterMs;
  else out.retryAfterMs = retryAfterMs;
  return out;
}
