// GET /api/connectors: the registry, grouped by category, as the connectors page lists it.
// GET /api/connectors/<id>: one connector's form description (formSpec), which the page renders as is.
import { connectorRegistry, formSpec, getConnector, isConnectorId, type Connector, type ConnectorCategory } from '../../registry/index.js';
import { apiVersionSummary, capabilityWords, CATEGORY_LABELS } from '../../registry/summary.js';
import { CONNECTOR_ID, type Route } from '../context.js';
import { RequestError } from '../security.js';

export interface ConnectorSummary {
  id: string;
  name: string;
  category: ConnectorCategory;
  description: string;
  docsUrl: string;
  capabilities: string[];
  streams: readonly string[];
  authMethods: { id: string; label: string }[];
  /** The policy's rate, and what the provider counts it by (a store, an account, a webhook…). */
  rate: { requestsPerSecond: number; per: string; source: string };
  apiVersion: string;
  dedup: string | null;
}

export function connectorSummary(c: Connector): ConnectorSummary {
  return {
    id: c.id,
    name: c.name,
    category: c.category,
    description: c.description,
    docsUrl: c.docsUrl,
    capabilities: capabilityWords(c),
    streams: c.capabilities.pull,
    authMethods: c.authMethods.map((m) => ({ id: m.id, label: m.label })),
    rate: { requestsPerSecond: c.policy.rate.requestsPerSecond, per: c.rateScope.by, source: c.rateScope.source },
    apiVersion: apiVersionSummary(c.apiVersion),
    dedup: c.idempotency.supported ? (c.idempotency.via ?? 'yes') : null,
  };
}

export const connectorRoutes: Route[] = [
  {
    method: 'GET',
    path: /^\/api\/connectors$/,
    async handle() {
      const all = Object.values(connectorRegistry) as unknown as Connector[];
      // In the registry's catalogue order, which is already grouped by category.
      const categories = (Object.keys(CATEGORY_LABELS) as ConnectorCategory[]).map((id) => ({
        id,
        label: CATEGORY_LABELS[id],
        connectors: all.filter((c) => c.category === id).map(connectorSummary),
      }));
      return { categories };
    },
  },
  {
    method: 'GET',
    path: new RegExp(`^/api/connectors/${CONNECTOR_ID}$`),
    async handle({ params }) {
      const id = params[0]!;
      if (!isConnectorId(id)) throw new RequestError(404, 'not_found', `Unknown connector "${id}"`);
      return { summary: connectorSummary(getConnector(id)), form: formSpec(id) };
    },
  },
];
