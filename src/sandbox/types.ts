// Shapes shared by the three emulators and their data sets.
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
}

export interface EmulatorStats {
  requests: number;
  byStatus: Record<number, number>;
}

export interface Emulator {
  /** Base URL override for the executor, e.g. http://127.0.0.1:41234 */
  url: string;
  faults: FaultController;
  stats(): EmulatorStats;
  /** Provider requests in arrival order (admin endpoints excluded); the oldest are dropped past 20,000. */
  requests: RecordedRequest[];
  records(): RecordSummary[];
  mutate(opts: MutateOptions): MutateResult;
  /** Clears `requests` and the counters of `stats()`. */
  resetStats(): void;
}
