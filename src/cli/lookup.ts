// Looking up what a person typed: a connection or a connector id, with the nearest known one
// suggested when it is not there.
import type { ConnectionRecord, ConnectionStore } from '../connections/types.js';
import { CONNECTOR_IDS, isConnectorId, type ConnectorId } from '../registry/index.js';
import { CliError } from './output.js';
import { didYouMean } from './suggest.js';

/** The connection, or a CliError "No connection "x". Did you mean "y"?". */
export async function requireConnection(store: ConnectionStore, id: string): Promise<ConnectionRecord> {
  const record = await store.get(id);
  if (record) return record;
  throw new CliError(`No connection "${id}".${await connectionSuggestion(store, id)} See \`pipeline connections list\`.`);
}

/** ` Did you mean "y"?` for a connection id, or empty. */
export async function connectionSuggestion(store: ConnectionStore, id: string): Promise<string> {
  const ids = await store.list().then((rs) => rs.map((r) => r.id)).catch(() => [] as string[]);
  return didYouMean(id, ids);
}

/** The connector id, or a CliError "Unknown connector "x". Did you mean "y"?". */
export function requireConnectorId(id: string): ConnectorId {
  if (isConnectorId(id)) return id;
  throw new CliError(`Unknown connector "${id}".${didYouMean(id, CONNECTOR_IDS)} Try \`pipeline connectors list\`.`);
}
