// The typed configs derived from the declarations (checked by tsc; the runtime part is trivial).
import { expectTypeOf, test } from 'vitest';
import type { DatabricksConfig } from '../../../src/registry/connectors/databricks.js';
import type { KinesisConfig } from '../../../src/registry/connectors/kinesis.js';
import type { ShopifyConfig } from '../../../src/registry/connectors/shopify.js';
import type { PagerDutyConfig } from '../../../src/registry/connectors/pagerduty.js';
import type { SlackConfig } from '../../../src/registry/connectors/slack.js';
import type { TwilioConfig } from '../../../src/registry/connectors/twilio.js';
import type { ZendeskConfig } from '../../../src/registry/connectors/zendesk.js';

test('configs are discriminated by auth method, with required and optional keys as declared', () => {
  type Slack = { authMethod: 'webhook_url'; webhookUrl: string };
  expectTypeOf<SlackConfig>().toExtend<Slack>();
  expectTypeOf<Slack>().toExtend<SlackConfig>();
  expectTypeOf<TwilioConfig['authMethod']>().toEqualTypeOf<'auth_token' | 'api_key'>();
  expectTypeOf<Extract<TwilioConfig, { authMethod: 'api_key' }>['apiKeySid']>().toEqualTypeOf<string>();
  expectTypeOf<Extract<TwilioConfig, { authMethod: 'auth_token' }>['from']>().toEqualTypeOf<string | undefined>();
  expectTypeOf<Extract<ZendeskConfig, { authMethod: 'oauth' }>>().toHaveProperty('accessToken');
  expectTypeOf<PagerDutyConfig['region']>().toEqualTypeOf<'us' | 'eu' | undefined>();
  expectTypeOf<PagerDutyConfig['defaultSeverity']>().toEqualTypeOf<'critical' | 'error' | 'warning' | 'info' | undefined>();
  expectTypeOf<DatabricksConfig['waitTimeoutSeconds']>().toEqualTypeOf<number | undefined>();
  expectTypeOf<KinesisConfig['sessionToken']>().toEqualTypeOf<string | undefined>();
  expectTypeOf<ShopifyConfig['shopDomain']>().toEqualTypeOf<string>();
});

test('configs are closed: an undeclared key is a type error, not an index signature', () => {
  // @ts-expect-error -- 'nope' is not a Slack field
  expectTypeOf<SlackConfig['nope']>().toBeUnknown();
});
