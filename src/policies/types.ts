// A connector's operating policy: how Temporal retries, times out and rate-limits its activities.
// Declared in each connector's registry file from the provider's documented limits.
import type { SlicePolicy } from '../core/slices.js';

export interface RetryPolicySpec {
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  maximumAttempts: number;
}

export interface TimeoutPolicySpec {
  /** One HTTP call to the provider. */
  requestMs: number;
  /** One activity attempt (may include a few calls, e.g. a page plus its sink write). */
  startToCloseMs: number;
  /** All attempts of one activity, retries included: a deadline for a stuck provider. */
  scheduleToCloseMs: number;
  /** Heartbeat timeout for long activities (polls); omitted for single calls. */
  heartbeatMs?: number;
}

export interface RatePolicySpec {
  /**
   * Requests per second for ONE rate key (one store, account, API key, webhook… — see the connector's
   * rateScope), enforced by the Temporal server across every worker through task-queue fairness; on a
   * cluster without fairness, for the whole connector (src/temporal/queue-config.ts).
   */
  requestsPerSecond: number;
  /** Activities of this connector one worker process runs at once, all keys together (its slots). */
  concurrency: number;
  /**
   * Calls of one rate key in flight at once across every worker, where the provider caps it
   * (Mailchimp: 10 connections per API key). Held by leases (src/policies/leases.ts).
   */
  concurrencyPerKey?: number;
  /** Requests the provider lets one key make in a burst above its steady rate (Shopify's bucket of 40). */
  burst?: number;
}

/**
 * What a provider limits by, so that every connection gets its own budget and two connections that
 * share a credential share one. The rate key is made from `fields` (src/policies/rate-key.ts):
 * non-secret fields as they are, secret ones only through a keyed hash.
 */
export interface RateScopeSpec {
  /** The provider's unit, in its words: store, account, API key, webhook, project, workspace, stream… */
  by: string;
  /** Config fields that together name one scope. */
  fields: readonly string[];
  /** Where the provider says what it limits by. */
  source: string;
}

export interface CircuitPolicySpec {
  /** Consecutive retryable failures of one connection that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit fails calls fast before letting one through. */
  openMs: number;
}

export interface PullPolicySpec {
  defaultPageSize: number;
  maxPageSize: number;
  /** Incremental runs restart this far before the saved watermark (late-visible changes). */
  overlapMs: number;
  /** How a large first sync is sliced (src/core/slices.ts); defaults where unset. */
  slices?: Partial<SlicePolicy>;
  /** How long the source's change feed keeps changes (Stripe events: 30 days): older watermarks mean a full re-read. */
  changeFeedRetentionMs?: number;
}

export interface ConnectorPolicy {
  retry: RetryPolicySpec;
  timeouts: TimeoutPolicySpec;
  rate: RatePolicySpec;
  circuit: CircuitPolicySpec;
  pull?: PullPolicySpec;
  /** Where the limits came from (provider documentation URL). */
  source: string;
}

type DeepPartial<T> = { [K in keyof T]-?: NonNullable<T[K]> extends object ? Partial<NonNullable<T[K]>> : T[K] };

export const DEFAULT_POLICY: Omit<ConnectorPolicy, 'source'> = {
  retry: { initialIntervalMs: 1_000, backoffCoefficient: 2, maximumIntervalMs: 60_000, maximumAttempts: 8 },
  timeouts: { requestMs: 10_000, startToCloseMs: 60_000, scheduleToCloseMs: 30 * 60_000 },
  // 50 slots per worker: one connector queue serves every connection (key) of that connector.
  rate: { requestsPerSecond: 10, concurrency: 50 },
  circuit: { failureThreshold: 10, openMs: 30_000 },
};

/** A policy from the defaults plus the provider's own figures. */
export function definePolicy(p: Partial<DeepPartial<Omit<ConnectorPolicy, 'source'>>> & { source: string }): ConnectorPolicy {
  const policy: ConnectorPolicy = {
    retry: { ...DEFAULT_POLICY.retry, ...p.retry },
    timeouts: { ...DEFAULT_POLICY.timeouts, ...p.timeouts },
    rate: { ...DEFAULT_POLICY.rate, ...p.rate },
    circuit: { ...DEFAULT_POLICY.circuit, ...p.circuit },
    source: p.source,
  };
  if (p.pull) policy.pull = { defaultPageSize: 100, maxPageSize: 100, overlapMs: 60_000, ...p.pull };
  return policy;
}
