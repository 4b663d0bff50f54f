// pullPage: fetch one page from the provider and write it to the sink, inside the same activity, so
// that only counts, the next cursor and the watermark go back to the workflow (and into history).
// Re-running a page after a crash writes the same records again; the sink upserts by record id.
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
}

export interface PullPageResult {
  count: number;
  nextCursor: string | null;
  watermark: string | null;
  latencyMs: number;
  /** Records the source reports for the run's window (Mailchimp total_items), where it reports one. */
  total?: number;
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

export function pullPageActivity(deps: ActivityDeps) {
  const breakers = deps.breakers ?? new CircuitBreakers();
  return async function pullPage(input: PullPageInput): Promise<PullPageResult> {
    // Heartbeats cover the fetch and the sink write: a worker that dies in either is noticed within
    // the heartbeat timeout, and the page is fetched and written again by the next attempt.
    return withHeartbeats(async () => {
      const conn = await loadConnection(deps, input.connectionId);
      const executor = getExecutor(conn.record.connectorId);
      if (!executor.pull) throw failureFromConnectorError(connectorError('invalid_config', `${conn.connector.name} cannot be pulled`));
      const res = await guardedCall(
        breakers,
        conn,
        () =>
          executor.pull!(
            conn.config,
            { stream: input.stream, cursor: input.cursor, since: input.since, until: input.until, pageSize: input.pageSize },
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
      try {
        await deps.sink.writePage({ connectionId: input.connectionId, stream: input.stream }, page.records);
      } catch (err) {
        // A record the sink refuses (nested too deep, say) is a typed invalid_response; other sink
        // errors (disk, database) stay retryable.
        failureFromError(err);
      }
      return {
        count: page.records.length,
        nextCursor: page.nextCursor,
        watermark: page.watermark,
        latencyMs: res.latencyMs,
        ...(page.total !== undefined && page.total !== null ? { total: page.total } : {}),
      };
    });
  };
}
