// A per-worker circuit breaker per connection: after `failureThreshold` consecutive retryable
// failures, calls fail fast with `circuit_open` for `openMs`, then one call is let through
// (half-open). It spares a provider that is down from every retry of every workflow at once;
// Temporal still retries, after the remaining open time.
import type { CircuitPolicySpec } from './types.js';

interface CircuitState {
  failures: number;
  openUntil: number;
}

export class CircuitBreakers {
  private readonly states = new Map<string, CircuitState>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Milliseconds the circuit stays open for this key, or 0 when a call may go ahead. */
  openFor(key: string): number {
    const state = this.states.get(key);
    if (!state || state.openUntil === 0) return 0;
    const remaining = state.openUntil - this.now();
    if (remaining > 0) return remaining;
    // Half-open: let this call through; one more failure re-opens immediately.
    state.openUntil = 0;
    state.failures = Math.max(0, state.failures - 1);
    return 0;
  }

  record(key: string, outcome: 'success' | 'retryable_failure' | 'other', policy: CircuitPolicySpec): void {
    if (outcome === 'success') {
      this.states.delete(key);
      return;
    }
    if (outcome !== 'retryable_failure') return;
    const state = this.states.get(key) ?? { failures: 0, openUntil: 0 };
    state.failures++;
    if (state.failures >= policy.failureThreshold) state.openUntil = this.now() + policy.openMs;
    this.states.set(key, state);
  }
}
