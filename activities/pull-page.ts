// pullPage: fetch one page from the provider and write it to the sink, inside the same activity, so
// that only counts, the next cursor and the watermark go back to the workflow (and into history).
// Re-running a page after a crash writes the same records again; the sink upserts by record id.
import type { SourceRecord } from '../src/core/envelope.js';
import { connectorError } from '../src/core/errors.js';
import { getExecutor } from '../src/executors/index.js';
import type { ActivityDeps } from './deps.js';
import { loadConnection } from './connection.js';
import { failureFromConnectorError, failureFromError } from './failures.js';
import { guardedCall, withHeartbeats } from './call-guard.js';
import { CircuitBreakers } from '../src/policies/circuit-breaker.js';

export interface PullPageInput {
  connectionId: string;
  stream: string;
  cursor: string | null;
  since: string | null;
  until: string | null;
  pageSize: number;
  /** An incremental run: read the source's change feed too (see PullRequest.followChanges). */
  followChanges?: boolean;
}

export interface PullPageResult {
  /** Records read. */
  count: number;
  /** Records the sink wrote (checked against `count` at the end of the run). */
  written: number;
  nextCursor: string | null;
  /** The highest change time on the page that can be trusted: a date, not after the run's upper bound. */
  watermark: string | null;
  latencyMs: number;
  /** Records the source reports for the run's window (Mailchimp total_items), where it reports one. */
  total?: number;
  /** Records written but not trusted for the watermark, by reason. */
  anomalies?: TimeAnomalies;
  /** The order of change times in the window, and how far in that order this page reached (slices split on it). */
  order?: 'asc' | 'desc';
  boundary?: string | null;
}

export interface TimeAnomalies {
  unparseable: number;
  afterWindow: number;
  examples: string[];
}

/**
 * A record's change time becomes the watermark only if it is a date and not after the run's upper
 * bound: a provider record dated "not a date" or year 9999 would otherwise become the watermark, and
 * every later incremental run would throw or read nothing. Such records are still written.
 */
export function trustedTimes(records: readonly SourceRecord[], until: string | null): { watermark: string | null; anomalies: TimeAnomalies | undefined; earliest: string | null; latest: string | null } {
  const upper = until ? Date.parse(until) : Number.POSITIVE_INFINITY;
  let best = Number.NEGATIVE_INFINITY;
  let low = Number.POSITIVE_INFINITY;
  const anomalies: TimeAnomalies = { unparseable: 0, afterWindow: 0, examples: [] };
  for (const r of records) {
    const t = typeof r.updatedAt === 'string' ? Date.parse(r.updatedAt) : Number.NaN;
    let bad = false;
    if (Number.isNaN(t)) {
      anomalies.unparseable++;
      bad = true;
    } else if (t > upper) {
      anomalies.afterWindow++;
      bad = true;
    }
    if (bad) {
      if (anomalies.examples.length < 5) anomalies.examples.push(r.id);
      continue;
    }
    if (t > best) best = t;
    if (t < low) low = t;
  }
  const iso = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : null);
  return {
    watermark: iso(best),
    anomalies: anomalies.unparseable + anomalies.afterWindow > 0 ? anomalies : undefined,
    earliest: iso(low),
    latest: iso(best),
  };
}

/** Longest cursor carried into the workflow's history; provider cursors are far shorter. */
export const MAX_CURSOR_CHARS = 4_096;

/** Why a next cursor cannot be carried to the next page (history, the next request), or null. */
function cursorProblem(cursor: unknown): string | null {
  if (cursor === null) return null;
  if (typeof cursor !== 'string' || cursor === '') return 'is not a non-empty string';
  if (cursor.length > MAX_CURSOR_CHARS) return `is ${cursor.length.toLocaleString('en-US')} characters long (at most ${MAX_CURSOR_CHARS.toLocaleString('en-US')})`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(cursor)) return 'contains control characters';
  return null;
}

/** A page fetched and written to the sink, before it is summarized for the workflow. */
export interface FetchedPage {
  records: readonly SourceRecord[];
  result: PullPageResult;
}

/**
 * Fetches one page and writes it to the sink (the part a pull and a pipeline's stage share). Runs
 * inside the caller's heartbeats.
 */
export async function fetchAndWritePage(deps: ActivityDeps, breakers: CircuitBreakers, input: PullPageInput): Promise<FetchedPage> {
  const conn = await loadConnection(deps, input.connectionId);
  const executor = getExecutor(conn.record.connectorId);
  if (!executor.pull) throw failureFromConnectorError(connectorError('invalid_config', `${conn.connector.name} cannot be pulled`));
  const res = await guardedCall(
    breakers,
    conn,
    () =>
      executor.pull!(
        conn.config,
        { stream: input.stream, cursor: input.cursor, since: input.since, until: input.until, pageSize: input.pageSize, ...(input.followChanges ? { followChanges: true } : {}) },
        conn.callOptions,
      ),
    undefined,
    // The records go to the sink, which checks what it can store (src/sinks/limits.ts).
    { body: 'written' },
  );
  const page = res.body;
  // Executors validate the cursors they build; this is the shared backstop before history.
  const problem = cursorProblem(page.nextCursor);
  if (problem) {
    throw failureFromConnectorError(connectorError('invalid_response', `${conn.connector.name}: the next-page cursor ${problem}; the page was not written`), { status: res.status });
  }
  let written = 0;
  try {
    written = (await deps.sink.writePage({ connectionId: input.connectionId, stream: input.stream }, page.records)).written;
  } catch (err) {
    // A record the sink refuses (nested too deep, say) is a typed invalid_response; other sink
    // errors (disk, database) stay retryable.
    failureFromError(err);
  }
  // Counted here, once the sink has the page: the one place every pull and pipeline page passes (src/metrics).
  conn.metrics.pageWritten({ connector: conn.record.connectorId, connection: input.connectionId, stream: input.stream }, written);
  // The executor's own watermark is not trusted: it is recomputed from the records.
  const times = trustedTimes(page.records, input.until);
  const boundary = page.order === 'desc' ? times.earliest : page.order === 'asc' ? times.latest : null;
  return {
    records: page.records,
    result: {
      count: page.records.length,
      written,
      nextCursor: page.nextCursor,
      watermark: times.watermark,
      latencyMs: res.latencyMs,
      ...(page.total !== undefined && page.total !== null ? { total: page.total } : {}),
      ...(times.anomalies ? { anomalies: times.anomalies } : {}),
      ...(page.order ? { order: page.order, boundary } : {}),
    },
  };
}

export function pullPageActivity(deps: ActivityDeps) {
  const breakers = deps.breakers ?? new CircuitBreakers();
  return async function pullPage(input: PullPageInput): Promise<PullPageResult> {
    // Heartbeats cover the fetch and the sink write: a worker that dies in either is noticed within
    // the heartbeat timeout, and the page is fetched and written again by the next attempt.
    return withHeartbeats(async () => (await fetchAndWritePage(deps, breakers, input)).result);
  };
}
