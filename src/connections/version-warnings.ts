// Which registered connections pin a provider API version that is about to stop working (or has):
// shown by `connections add/test`, `connectors show` and the worker at start, so that a user learns
// it with the date before a sync breaks, not from a failed run.
import { getConnector, isConnectorId, needsWarning, type VersionStatus } from '../registry/index.js';
import type { ConnectionRecord, ConnectionStore } from './types.js';

export interface VersionWarning {
  connectionId: string;
  connectorId: string;
  status: VersionStatus;
}

export function versionWarningFor(record: Pick<ConnectionRecord, 'id' | 'connectorId' | 'config'>, nowMs: number = Date.now()): VersionWarning | null {
  if (!isConnectorId(record.connectorId)) return null;
  const status = getConnector(record.connectorId).versionStatus(record.config, nowMs);
  if (!status || !needsWarning(status)) return null;
  return { connectionId: record.id, connectorId: record.connectorId, status };
}

/** Warnings for the stored connections (of some connectors only, when given). */
export async function versionWarnings(store: ConnectionStore, connectorIds?: readonly string[], nowMs: number = Date.now()): Promise<VersionWarning[]> {
  const records = await store.list();
  return records
    .filter((r) => !connectorIds || connectorIds.includes(r.connectorId))
    .map((r) => versionWarningFor(r, nowMs))
    .filter((w): w is VersionWarning => w !== null);
}

export function formatVersionWarning(w: VersionWarning): string {
  return `connection "${w.connectionId}": ${w.status.message}`;
}

/** What a worker prints at start: one line per connection whose pinned version needs attention. */
export async function reportVersionWarnings(store: ConnectionStore, connectorIds: readonly string[] | undefined, write: (line: string) => void): Promise<number> {
  let warnings: VersionWarning[];
  try {
    warnings = await versionWarnings(store, connectorIds);
  } catch {
    return 0; // the store is read again by every activity; its own errors surface there
  }
  for (const w of warnings) write(`warning: ${formatVersionWarning(w)}`);
  return warnings.length;
}
