// The line a worker prints at start about how provider budgets are held.
import type { RateModeDecision } from '../temporal/queue-config.js';

export function describeRateMode(d: RateModeDecision): string {
  if (d.mode === 'per-key') return 'Provider budgets: per rate key (one per store, account, API key or webhook), enforced by the Temporal server across all workers (task-queue fairness).';
  return `warning: provider budgets are per connector, not per credential: ${d.reason ?? 'per-key limits are unavailable'}. All connections of a connector share one provider budget; enable task-queue fairness on the server (README "Rate limits").`;
}
