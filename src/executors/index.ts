// getExecutor(id): the executor of each connector. One file per connector in this folder.
import type { ConnectorExecutor } from '../core/envelope.js';
import { CONNECTOR_IDS, type ConnectorId } from '../registry/index.js';
import { brazeExecutor } from './braze.js';
import { censusExecutor } from './census.js';
import { databricksExecutor } from './databricks.js';
import { fivetranExecutor } from './fivetran.js';
import { hightouchExecutor } from './hightouch.js';
import { intercomExecutor } from './intercom.js';
import { iterableExecutor } from './iterable.js';
import { kinesisExecutor } from './kinesis.js';
import { klaviyoExecutor } from './klaviyo.js';
import { mailchimpExecutor } from './mailchimp.js';
import { pagerdutyExecutor } from './pagerduty.js';
import { postmarkExecutor } from './postmark.js';
import { segmentExecutor } from './segment.js';
import { sendgridExecutor } from './sendgrid.js';
import { shopifyExecutor } from './shopify.js';
import { slackExecutor } from './slack.js';
import { snowpipeExecutor } from './snowpipe.js';
import { stripeExecutor } from './stripe.js';
import { teamsExecutor } from './teams.js';
import { twilioExecutor } from './twilio.js';
import { whatsappExecutor } from './whatsapp.js';
import { zendeskExecutor } from './zendesk.js';

const executors: Record<ConnectorId, ConnectorExecutor<never>> = {
  slack: slackExecutor,
  teams: teamsExecutor,
  whatsapp: whatsappExecutor,
  pagerduty: pagerdutyExecutor,
  twilio: twilioExecutor,
  sendgrid: sendgridExecutor,
  postmark: postmarkExecutor,
  intercom: intercomExecutor,
  zendesk: zendeskExecutor,
  iterable: iterableExecutor,
  klaviyo: klaviyoExecutor,
  segment: segmentExecutor,
  braze: brazeExecutor,
  shopify: shopifyExecutor,
  stripe: stripeExecutor,
  mailchimp: mailchimpExecutor,
  snowpipe: snowpipeExecutor,
  fivetran: fivetranExecutor,
  hightouch: hightouchExecutor,
  census: censusExecutor,
  databricks: databricksExecutor,
  kinesis: kinesisExecutor,
};

/** The executor of a connector. Configs are validated inside each method, so it takes any config. */
export function getExecutor(id: string): ConnectorExecutor<Record<string, unknown>> {
  // Own keys only: "constructor" or "__proto__" is no connector, whatever Object.prototype holds.
  const exec = Object.hasOwn(executors, id) ? (executors as Partial<Record<string, ConnectorExecutor<never>>>)[id] : undefined;
  if (!exec) throw new Error(`Unknown connector "${id}". Known: ${CONNECTOR_IDS.join(', ')}`);
  return exec as unknown as ConnectorExecutor<Record<string, unknown>>;
}

export function hasExecutor(id: string): boolean {
  return Object.hasOwn(executors, id);
}
