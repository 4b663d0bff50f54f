// The engine's runs as Temporal's visibility lists them, read by their search attributes
// (ConnectorId, ConnectionId, PipelineKind): `pipeline runs list` and the console's run history.
import type { Client } from '@temporalio/client';
import { ConnectionIdKey, PipelineKindKey } from './search-attributes.js';

export interface RunRow {
  id: string;
  runId: string;
  type: string;
  kind: string;
  connection: string;
  /** running, completed, failed, canceled, terminated, timed_out, continued_as_new */
  status: string;
  started: string;
  closed: string;
}

/** Runs matching a visibility query, newest first, at most `limit`. */
export async function listRuns(client: Client, query: string, limit: number): Promise<RunRow[]> {
  const rows: RunRow[] = [];
  if (limit <= 0) return rows;
  for await (const w of client.workflow.list({ query, pageSize: Math.min(limit, 100) })) {
    const attrs = w.typedSearchAttributes;
    rows.push({
      id: w.workflowId,
      runId: w.runId,
      type: w.type,
      kind: attrs.get(PipelineKindKey) ?? '',
      connection: attrs.get(ConnectionIdKey) ?? '',
      status: w.status.name.toLowerCase(),
      started: w.startTime.toISOString(),
      closed: w.closeTime?.toISOString() ?? '',
    });
    if (rows.length >= limit) break;
  }
  return rows;
}
