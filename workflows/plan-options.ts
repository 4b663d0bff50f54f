// How every workflow plans its work: a local activity that reads the connection (or pipeline) and
// the registry on the worker. Retried a few times; a bad config, an unknown id or a missing secret
// will not get better by retrying.
import type { LocalActivityOptions } from '@temporalio/workflow';

export const PLAN_NON_RETRYABLE = ['invalid_config', 'not_found', 'missing_secret'];

export const PLAN_OPTIONS: LocalActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: PLAN_NON_RETRYABLE },
};
