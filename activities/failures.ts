// Executor errors -> Temporal failures. The failure type is the error code, so retry policies,
// workflows and users can match on it; Retry-After becomes the next retry's delay.
import { ApplicationFailure } from '@temporalio/common';
import type { ConnectorError } from '../src/core/errors.js';
import { ConnectionError } from '../src/connections/types.js';

export function failureFromConnectorError(error: ConnectorError, details?: { status: number }): ApplicationFailure {
  return ApplicationFailure.create({
    type: error.code,
    message: error.message,
    nonRetryable: !error.retryable,
    ...(error.retryAfterMs !== undefined ? { nextRetryDelay: error.retryAfterMs } : {}),
    // `ambiguous`: the provider may have acted (see ConnectorError.ambiguous). A later attempt under
    // the same idempotency key is then refused unless asked for (src/temporal/send-client.ts).
    ...(details || error.ambiguous ? { details: [{ ...details, ...(error.ambiguous ? { ambiguous: true } : {}) }] } : {}),
  });
}

/** Store/secret problems are configuration errors: retrying cannot fix them. */
export function failureFromError(err: unknown): never {
  if (err instanceof ConnectionError) {
    throw ApplicationFailure.create({ type: err.code, message: err.message, nonRetryable: true });
  }
  throw err;
}
