// pullPage: fetch one page from the provider and write it to the sink, inside the same activity, so
// that only counts, the next cursor and the watermark go back to the workflow (and into history).
// Re-running a page after a crash writes the same records again; the sink upserts by record id.
import { connectorError } from '../src/core/errors.js';
import { getExecutor } from '../src/executors/index.js';
import type { ActivityDeps } from './deps.js';
import { loadConnection } from './connection.js';
import { failureFromConnectorError } from './failures.js';
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

export function pullPageActivity(deps: ActivityDeps) {
  const breakers = deps.breakers ?? new CircuitBreakers();
  return async function pullPage(input: PullPageInput): Promise<PullPageResult> {
    // Heartbeats cover the fetch and the sink write: a worker that dies in either is noticed within
    // the heartbeat timeout, and the page is fetched and written again by the next attempt.
    return withHeartbeats(async () => {
      const conn = await loadConnection(deps, input.connectionId);
      const executor = getExecutor(conn.record.connectorId);
      if (!executor.pull) throw failureFromConnectorError(connectorError('invalid_config', `${conn.connector.name} cannot be pulled`));
      const res = await guardedCall(breakers, conn, () =>
        executor.pull!(
          conn.config,
          { stream: input.stream, cursor: input.cursor, since: input.since, until: input.until, pageSize: input.pageSize },
          conn.callOptions,
        ),
      );
      const page = res.body;
      await deps.sink.writePage({ connectionId: input.connectionId, stream: input.stream }, page.records);
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
