// getExecutor(id): the executor of each connector. One file per connector in this folder.
import type { ConnectorExecutor } from '../core/envelope.js';
import { CONNECTOR_IDS, type ConnectorId } from '../registry/index.js';
import { shopifyExecutor } from './shopify.js';
import { stripeExecutor } from './stripe.js';
import { mailchimpExecutor } from './mailchimp.js';

const executors: Partial<Record<ConnectorId, ConnectorExecutor<never>>> = {
  shopify: shopifyExecutor,
  stripe: stripeExecutor,
  mailchimp: mailchimpExecutor,
};

/** The executor of a connector. Configs are validated inside each method, so it takes any config. */
export function getExecutor(id: string): ConnectorExecutor<Record<string, unknown>> {
  const exec = executors[id as ConnectorId];
  if (!exec) {
    throw new Error(CONNECTOR_IDS.includes(id as ConnectorId) ? `Connector "${id}" has no executor yet` : `Unknown connector "${id}"`);
  }
  return exec as unknown as ConnectorExecutor<Record<string, unknown>>;
}

export function hasExecutor(id: string): boolean {
  return executors[id as ConnectorId] !== undefined;
}
