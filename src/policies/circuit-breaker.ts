// A per-worker circuit breaker per connection: after `failureThreshold` consecutive retryable
// failures, calls fail fast with `circuit_open` for `openMs`, then one call is let through
// (half-open). It spares a provider that is down from every retry of every workflow at once;
// Temporal still retries, after the remaining open time.
import type { CircuitPolicySpec } from './types.js';

interface CircuitState {
  failures: number;
  openUntil: number;
  /** Let through after the open time, until the next success or retryable failure decides. */
  halfOpen?: boolean;
}

export type CircuitStateName = 'closed' | 'open' | 'half_open';

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
    state.halfOpen = true;
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
    if (state.failures >= policy.failureThreshold) {
      state.openUntil = this.now() + policy.openMs;
      state.halfOpen = false;
    }
    this.states.set(key, state);
  }

  /**
   * Where the key's circuit stands, for metrics (src/metrics): no clock is read, so an open circuit
   * whose time is up reads `open` until the next call's openFor() moves it to half-open.
   */
  state(key: string): CircuitStateName {
    const state = this.states.get(key);
    if (!state) return 'closed';
    if (state.openUntil > 0) return 'open';
    return state.halfOpen ? 'half_open' : 'closed';
  }
}
