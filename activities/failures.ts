// Executor errors -> Temporal failures. The failure type is the error code, so retry policies,
// workflows and users can match on it; Retry-After becomes the next retry's delay.
import { ApplicationFailure } from '@temporalio/common';
import { boundedError, type ConnectorError } from '../src/core/errors.js';
import { ConnectionError } from '../src/connections/types.js';
import { SinkRecordError } from '../src/sinks/limits.js';

export interface FailureOptions {
  /**
   * The longest retry delay to ask Temporal for: the activity's retry policy maximum interval
   * (conn.policy.retry.maximumIntervalMs). A provider asking for longer (Retry-After: 99999999999)
   * is retried at that interval; without it the delay is still finite and at most a day.
   */
  maxRetryDelayMs?: number;
}

export function failureFromConnectorError(error: ConnectorError, details?: { status: number }, opts: FailureOptions = {}): ApplicationFailure {
  // The last gate before Temporal: a bounded message, a finite delay no longer than the policy's.
  const e = boundedError(error, opts.maxRetryDelayMs);
  return ApplicationFailure.create({
    type: e.code,
    message: e.message,
    nonRetryable: !e.retryable,
    ...(e.retryAfterMs !== undefined ? { nextRetryDelay: e.retryAfterMs } : {}),
    // `ambiguous`: the provider may have acted (see ConnectorError.ambiguous). A later attempt under
    // the same idempotency key is then refused unless asked for (src/temporal/send-client.ts).
    ...(details || e.ambiguous ? { details: [{ ...details, ...(e.ambiguous ? { ambiguous: true } : {}) }] } : {}),
  });
}

/**
 * Store/secret problems are configuration errors: retrying cannot fix them. A record a sink cannot
 * write is provider data (invalid_response): re-reading the page gives the same record.
 */
export function failureFromError(err: unknown): never {
  if (err instanceof ConnectionError) {
    throw ApplicationFailure.create({ type: err.code, message: err.message, nonRetryable: true });
  }
  if (err instanceof SinkRecordError) {
    throw ApplicationFailure.create({ type: err.code, message: err.message, nonRetryable: true });
  }
  throw err;
}
