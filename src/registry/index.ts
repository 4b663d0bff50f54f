// The registry of all connectors, keyed by id. Adding a connector: one file in connectors/, one line here.
import type { Connector, FormSpec } from './define.js';
import { slack } from './connectors/slack.js';
import { teams } from './connectors/teams.js';
import { whatsapp } from './connectors/whatsapp.js';
import { pagerduty } from './connectors/pagerduty.js';
import { twilio } from './connectors/twilio.js';
import { sendgrid } from './connectors/sendgrid.js';
import { postmark } from './connectors/postmark.js';
import { intercom } from './connectors/intercom.js';
import { zendesk } from './connectors/zendesk.js';
import { iterable } from './connectors/iterable.js';
import { klaviyo } from './connectors/klaviyo.js';
import { segment } from './connectors/segment.js';
import { braze } from './connectors/braze.js';
import { shopify } from './connectors/shopify.js';
import { stripe } from './connectors/stripe.js';
import { mailchimp } from './connectors/mailchimp.js';
import { snowpipe } from './connectors/snowpipe.js';
import { fivetran } from './connectors/fivetran.js';
import { hightouch } from './connectors/hightouch.js';
import { census } from './connectors/census.js';
import { databricks } from './connectors/databricks.js';
import { kinesis } from './connectors/kinesis.js';

// Order is the catalogue order a UI lists them in: messaging, CDP/support, commerce sources, reverse ETL.
export const connectorRegistry = {
  slack,
  teams,
  whatsapp,
  pagerduty,
  twilio,
  sendgrid,
  postmark,
  intercom,
  zendesk,
  iterable,
  klaviyo,
  segment,
  braze,
  shopify,
  stripe,
  mailchimp,
  snowpipe,
  fivetran,
  hightouch,
  census,
  databricks,
  kinesis,
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
export * from './versions.js';
