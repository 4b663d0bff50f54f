// Valid sample configs for every connector and auth method, for registry and executor tests.
// Every secret here is obviously fake: keys that scanners match (AWS access key ids, PEM private keys)
// are assembled or generated at run time, never written out.
import { generateKeyPairSync } from 'node:crypto';
import type { ConnectorId } from '../../src/registry/index.js';

let pem: string | undefined;
/** A throwaway RSA-2048 PKCS#8 PEM, generated once per test process. */
export function testPrivateKeyPem(): string {
  pem ??= generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  }).privateKey;
  return pem;
}

/** An AKIA-shaped id that says FAKE, assembled so the source holds no key-shaped literal. */
export const FAKE_AWS_ACCESS_KEY_ID = ['AK', 'IA', 'FAKE'.repeat(4)].join('');
export const FAKE_AWS_SECRET_ACCESS_KEY = 'fake/secret/access/key/for/unit/tests'.padEnd(40, '0');

export const validSamples: Record<ConnectorId, Record<string /* authMethod */, Record<string, unknown>>> = {
  slack: {
    webhook_url: { webhookUrl: 'https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX' },
  },
  teams: {
    webhook_url: {
      webhookUrl:
        'https://prod-00.westus.logic.azure.com:443/workflows/00000000000000000000000000000000/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=FAKE-signature-for-tests',
    },
  },
  whatsapp: {
    system_user_token: { phoneNumberId: '100000000000001', accessToken: 'EAA-fake-token-for-unit-tests', apiVersion: 'v26.0' },
  },
  pagerduty: {
    routing_key: { routingKey: 'fake'.padEnd(32, '0'), region: 'us', defaultSeverity: 'error', defaultSource: 'unit-test' },
  },
  twilio: {
    auth_token: { accountSid: `AC${'0'.repeat(32)}`, authToken: 'deadbeef'.repeat(4), from: '+15005550006' },
    api_key: {
      accountSid: `AC${'0'.repeat(32)}`,
      apiKeySid: `SK${'0'.repeat(32)}`,
      apiKeySecret: 'FakeApiKeySecret'.padEnd(32, '0'),
      messagingServiceSid: `MG${'0'.repeat(32)}`,
    },
  },
  sendgrid: {
    api_key: { apiKey: 'SG.fake-key-id.fake-key-secret', region: 'global', fromEmail: 'noreply@example.com', templateId: 'd-0123456789abcdef' },
  },
  postmark: {
    server_token: { serverToken: '00000000-0000-0000-0000-000000000000', fromEmail: 'app@example.com', messageStream: 'outbound' },
  },
  intercom: {
    access_token: { accessToken: 'fake-intercom-token', region: 'eu', apiVersion: '2.16' },
  },
  zendesk: {
    api_token: { subdomain: 'acme', email: 'agent@example.com', apiToken: 'fake-zendesk-token' },
    oauth: { subdomain: 'acme', accessToken: 'fake-zendesk-oauth-token' },
  },
  iterable: {
    api_key: { apiKey: 'fake'.padEnd(32, '0'), dataCenter: 'us', identifyBy: 'email' },
  },
  klaviyo: {
    private_key: { privateApiKey: 'pk_fake_test_key_0000', revision: '2026-07-15' },
  },
  segment: {
    write_key: { writeKey: 'fakeWriteKey0000', region: 'us' },
  },
  braze: {
    api_key: { restEndpoint: 'https://rest.iad-01.braze.com', apiKey: 'fake-braze-rest-api-key' },
  },
  shopify: {
    access_token: { shopDomain: 'demo-store.myshopify.com', accessToken: 'shpat_fake_token_0000', apiVersion: '2026-07' },
  },
  stripe: {
    secret_key: { secretKey: `sk_test_${'FAKE'.repeat(6)}` },
  },
  mailchimp: {
    api_key: { apiKey: '0123456789abcdef0123456789abcdef-us6', listId: 'abc123def0' },
  },
  snowpipe: {
    key_pair: {
      accountIdentifier: 'myorg-myaccount',
      user: 'LOADER',
      // A getter so that the key is generated only by tests that read it.
      get privateKeyPem() {
        return testPrivateKeyPem();
      },
      pipeName: 'ANALYTICS.RAW.EVENTS_PIPE',
      stagePathPrefix: 'events/',
    },
  },
  fivetran: {
    api_key: { apiKey: 'fakeFivetranKey', apiSecret: 'fakeFivetranSecret', connectionId: 'decent_dropsy' },
  },
  hightouch: {
    api_key: { apiKey: 'fake-hightouch-key', syncId: '123456' },
  },
  census: {
    api_token: { apiToken: 'secret-token:fake-census-token', region: 'us', groupId: 'abundant_giraffe', syncId: '123456' },
  },
  databricks: {
    pat: { host: 'https://dbc-00000000-0000.cloud.databricks.com', warehouseId: '0123456789abcdef', token: `dapi${'0'.repeat(32)}` },
    oauth_m2m: {
      host: 'https://adb-1234567890123456.7.azuredatabricks.net',
      warehouseId: '0123456789abcdef',
      clientId: '00000000-0000-0000-0000-000000000000',
      clientSecret: 'dose-fake-client-secret',
    },
  },
  kinesis: {
    access_key: {
      region: 'us-east-1',
      streamName: 'events',
      get accessKeyId() {
        return FAKE_AWS_ACCESS_KEY_ID;
      },
      secretAccessKey: FAKE_AWS_SECRET_ACCESS_KEY,
    },
  },
};

/** A fresh copy of a sample with its authMethod set, ready to validate or mutate. */
export function sampleFor(id: ConnectorId, authMethod: string): Record<string, unknown> {
  const sample = validSamples[id][authMethod];
  if (!sample) throw new Error(`No sample for ${id}/${authMethod}`);
  return { authMethod, ...sample };
}
