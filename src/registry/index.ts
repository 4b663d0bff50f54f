// The registry of all connectors, keyed by id. Adding a connector: one file in connectors/, one line here.
import type { Connector, FormSpec } from './define.js';
import { shopify } from './connectors/shopify.js';

export const connectorRegistry = {
  shopify,
} as const;

export type ConnectorId = keyof typeof connectorRegistry;
export const CONNECTOR_IDS = Object.keys(connectorRegistry) as ConnectorId[];

export function isConnectorId(id: string): id is ConnectorId {
  return Object.hasOwn(connectorRegistry, id);
}

export function getConnector(id: string): Connector {
  if (!isConnectorId(id)) throw new Error(`Unknown connector "${id}". Known: ${CONNECTOR_IDS.join(', ')}`);
  return connectorRegistry[id] as unknown as Connector;
}

export function formSpec(id: string): FormSpec {
  return getConnector(id).formSpec();
}

export * from './define.js';
export * from './fields.js';
