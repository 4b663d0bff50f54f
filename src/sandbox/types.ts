// Shapes shared by the three emulators and their data sets.
import type { EmulatorClock } from './clock.js';
import type { FaultController } from './faults.js';

/** One record of a data set as tests see it: the provider's id and its change time (UTC ISO). */
export interface RecordSummary {
  id: string;
  /** `new Date(sec * 1000).toISOString()` of the change time the API exposes (Stripe: `created`). */
  updatedAt: string;
}

export interface MutateOptions {
  /** Existing records to change now (picked by the seeded PRNG). */
  update?: number;
  /**
   * These existing records (provider ids) to change now, besides the `update` ones; an unknown id
   * throws. The change is the same as `update`'s: Shopify's updated_at and Mailchimp's last_changed
   * move to now (out of any window that ends before now, as on the real APIs); a Stripe charge is
   * refunded, captured or edited, appending its event, and keeps its created.
   */
  ids?: string[];
  /** New records to add, stamped now. */
  create?: number;
}

export interface MutateResult {
  updated: string[];
  created: string[];
}

/** What an emulator needs from its data set besides serving pages. */
export interface DataStore {
  readonly size: number;
  records(): RecordSummary[];
  mutate(opts: MutateOptions): MutateResult;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** Parsed query; repeated keys become arrays. Values of credential-like keys are replaced. */
  query: Record<string, string | string[]>;
  status: number;
  /** When the request arrived (ISO). */
  at: string;
  /** The tenant whose credential the request presented, once accepted as that tenant's (absent: none, or refused 401). */
  key?: string;
}

/** One tenant's counters, under its name (never its credential). */
export interface KeyStats {
  /** Requests authenticated as this tenant, whatever their answer (429s included). */
  requests: number;
  byStatus: Record<number, number>;
  /** Of them, answered 429: the tenant's bucket, its concurrency cap or the rateLimitStorm fault. */
  rateLimited: number;
  /** Requests of the tenant being served right now (accepted or refused, until the answer is sent). */
  inFlight: number;
  /**
   * The most requests of the tenant in flight at once since the stats began: the client's
   * concurrency for this credential as the emulator saw it (refused requests included).
   */
  maxInFlight: number;
  /**
   * Requests by arrival second: perSecond[s] counts those that arrived in [since + s, since + s + 1)
   * seconds. Dense (zeros included) up to the last second with a request; sums to `requests`.
   */
  perSecond: number[];
}

export interface EmulatorStats {
  /** Every provider request (admin endpoints excluded), those naming no tenant included. */
  requests: number;
  byStatus: Record<number, number>;
  /** Start of second 0 of every `perSecond` (ISO): the emulator's start or the last resetStats(). */
  since: string;
  /** Per tenant name, every tenant listed (zeros before its first request). */
  byKey: Record<string, KeyStats>;
}

export interface Emulator {
  /** Base URL override for the executor, e.g. http://127.0.0.1:41234 */
  url: string;
  faults: FaultController;
  stats(): EmulatorStats;
  /** Provider requests in arrival order (admin endpoints excluded); the oldest are dropped past 20,000. */
  requests: RecordedRequest[];
  /** Tenant names in declaration order (one, "default", unless tenants were declared). */
  readonly tenants: readonly string[];
  /** The records of a tenant's data set (default: the first tenant). Throws for an unknown name. */
  records(tenant?: string): RecordSummary[];
  /** Changes a tenant's data set (default: the first tenant). Throws for an unknown name. */
  mutate(opts: MutateOptions, tenant?: string): MutateResult;
  /** The emulator's clock: its now, for every tenant's stamps, Stripe's event retention and the Date header. */
  readonly clock: EmulatorClock;
  /** Clears `requests` and the counters of `stats()`, per tenant too; `since` restarts now. */
  resetStats(): void;
}
