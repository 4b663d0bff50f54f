// Turning an activity failure into the workflow's own failure: the provider's reason and the error
// code (as the failure type) are kept, wrapped in a sentence that says which pipeline failed.
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';

export function pipelineFailure(context: string, err: unknown): ApplicationFailure {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  const type = cause instanceof ApplicationFailure ? (cause.type ?? 'upstream_error') : 'upstream_error';
  const message = cause instanceof Error ? cause.message : String(cause);
  // The details (the HTTP status, whether the provider may have acted) stay with the failure.
  const details = cause instanceof ApplicationFailure ? cause.details : undefined;
  return ApplicationFailure.create({ type, nonRetryable: true, message: `${context}: ${message}`, ...(details?.length ? { details: [...details] } : {}) });
}
