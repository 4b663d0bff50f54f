// The engine's own metrics (prom-client), next to the Temporal SDK's (see server.ts). Activities see
// only the EngineMetrics interface, through ActivityDeps, so the engine runs without prom-client
// doing anything when no endpoint is asked for (NO_METRICS).
//
// Labels are low-cardinality and never secret: connector ids and error codes are closed sets;
// connection ids, stream names and pipeline ids are names the operator chose, one per registered
// connection or pipeline. No config value, URL or message ever becomes a label.
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import { isErrorCode } from '../core/errors.js';
import type { CircuitStateName } from '../policies/circuit-breaker.js';

export type { CircuitStateName };

export interface ConnectionLabels {
  connector: string;
  connection: string;
}

/**
 * Ledger states that are an outcome (src/pipelines/types.ts): all but queued and sending, which are
 * intents. failed is an attempt's outcome (retried), the others settle the record version.
 */
const SETTLED_STATES = new Set(['delivered', 'dead', 'failed', 'unknown', 'filtered', 'superseded']);

export interface EngineMetrics {
  /** One page fetched and written to the sink, with the records the sink wrote. */
  pageWritten(labels: ConnectionLabels & { stream: string }, records: number): void;
  /**
   * One executor call's answer: 'ok', or its error code (rate_limited also counts as a 429). The
   * answer as the executor gave it, before the engine's own handling (ambiguity, retries).
   */
  providerAnswer(labels: ConnectionLabels, code: string): void;
  /** The connection's circuit breaker moved to `state`. */
  circuitChanged(labels: ConnectionLabels, state: CircuitStateName): void;
  /** Entries just written to a pipeline's ledger, one state each; the outcomes among them are counted. */
  deliveriesSettled(pipeline: string, states: readonly string[]): void;
}

/** What activities use when the worker exposes no metrics. */
export const NO_METRICS: EngineMetrics = {
  pageWritten: () => undefined,
  providerAnswer: () => undefined,
  circuitChanged: () => undefined,
  deliveriesSettled: () => undefined,
};

/** The series, for the README table and the tests. */
export const SERIES = {
  records: 'pipeline_records_written_total',
  pages: 'pipeline_pages_written_total',
  answers: 'pipeline_provider_answers_total',
  rateLimited: 'pipeline_provider_rate_limited_total',
  circuit: 'pipeline_circuit_transitions_total',
  deliveries: 'pipeline_deliveries_total',
} as const;

export class PromEngineMetrics implements EngineMetrics {
  readonly registry: Registry;
  private readonly records: Counter<'connector' | 'connection' | 'stream'>;
  private readonly pages: Counter<'connector' | 'connection' | 'stream'>;
  private readonly answers: Counter<'connector' | 'connection' | 'code'>;
  private readonly rateLimited: Counter<'connector' | 'connection'>;
  private readonly circuit: Counter<'connector' | 'connection' | 'state'>;
  private readonly deliveries: Counter<'pipeline' | 'state'>;

  /**
   * `processMetrics`: also the Node process's own series (CPU, memory, event-loop lag, GC) through
   * prom-client's default collectors; the worker's endpoint has them, unit tests leave them out.
   */
  constructor(opts: { registry?: Registry; processMetrics?: boolean } = {}) {
    const registers = [(this.registry = opts.registry ?? new Registry())];
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry });
    this.records = new Counter({ name: SERIES.records, help: 'Records written to the sink, per connection and stream', labelNames: ['connector', 'connection', 'stream'], registers });
    this.pages = new Counter({ name: SERIES.pages, help: 'Pages fetched and written to the sink, per connection and stream', labelNames: ['connector', 'connection', 'stream'], registers });
    this.answers = new Counter({ name: SERIES.answers, help: 'Executor calls by answer: ok, or the error code', labelNames: ['connector', 'connection', 'code'], registers });
    this.rateLimited = new Counter({ name: SERIES.rateLimited, help: 'Rate-limited answers (HTTP 429 or the provider\'s equivalent)', labelNames: ['connector', 'connection'], registers });
    this.circuit = new Counter({ name: SERIES.circuit, help: 'Circuit breaker state changes, by the state entered', labelNames: ['connector', 'connection', 'state'], registers });
    this.deliveries = new Counter({ name: SERIES.deliveries, help: 'Pipeline delivery outcomes written to the ledger, by state', labelNames: ['pipeline', 'state'], registers });
  }

  pageWritten(labels: ConnectionLabels & { stream: string }, records: number): void {
    const l = { connector: labels.connector, connection: labels.connection, stream: labels.stream };
    this.pages.inc(l);
    // inc(0) still creates the series, so an empty page shows as 0 records rather than no series.
    this.records.inc(l, Math.max(0, records));
  }

  providerAnswer(labels: ConnectionLabels, code: string): void {
    // Anything but a known code (an executor bug) is folded into one value: the label set stays closed.
    const c = code === 'ok' || isErrorCode(code) ? code : 'other';
    const l = { connector: labels.connector, connection: labels.connection };
    this.answers.inc({ ...l, code: c });
    if (c === 'rate_limited') this.rateLimited.inc(l);
  }

  circuitChanged(labels: ConnectionLabels, state: CircuitStateName): void {
    this.circuit.inc({ connector: labels.connector, connection: labels.connection, state });
  }

  deliveriesSettled(pipeline: string, states: readonly string[]): void {
    const byState = new Map<string, number>();
    for (const s of states) if (SETTLED_STATES.has(s)) byState.set(s, (byState.get(s) ?? 0) + 1);
    for (const [state, n] of byState) this.deliveries.inc({ pipeline, state }, n);
  }
}
