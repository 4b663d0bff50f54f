// Provider rules that live in the field declarations: URL allow-lists, id shapes, normalisation and
// cross-field rules, checked through the public validation API.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { isLegacyTeamsWebhook } from '../../../src/registry/connectors/teams.js';
import { getConnector, type ConnectorId, type FieldIssue } from '../../../src/registry/index.js';
import { sampleFor, testPrivateKeyPem } from '../../helpers/registry-samples.js';

function validate(id: ConnectorId, authMethod: string, patch: Record<string, unknown>) {
  return getConnector(id).validateConfig({ ...sampleFor(id, authMethod), ...patch });
}
function accepted(id: ConnectorId, authMethod: string, patch: Record<string, unknown>): Record<string, unknown> {
  const result = validate(id, authMethod, patch);
  if (!result.ok) throw new Error(`expected ${id} to accept ${JSON.stringify(patch)}: ${result.message}`);
  return result.config as Record<string, unknown>;
}
function refused(id: ConnectorId, authMethod: string, patch: Record<string, unknown>, field: string): FieldIssue[] {
  const result = validate(id, authMethod, patch);
  if (result.ok) throw new Error(`expected ${id} to refuse ${JSON.stringify(patch)}`);
  const issues = result.issues.filter((i) => i.field === field);
  expect(issues, JSON.stringify(result.issues)).not.toHaveLength(0);
  for (const issue of issues) expect(issue.message).toContain(field);
  return issues;
}

describe('Slack webhook URL', () => {
  const secretPart = 'XXXXXXXXXXXXXXXXXXXXXXXX';
  test.each([
    'https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX',
    'https://hooks.slack-gov.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX',
  ])('accepts %s', (webhookUrl) => {
    accepted('slack', 'webhook_url', { webhookUrl });
  });

  test.each([
    ['another host', 'https://evil.example.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX'],
    ['a look-alike host', 'https://hooks.slack.com.evil.example.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX'],
    ['http', 'http://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX'],
    ['loopback', 'https://127.0.0.1/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX'],
    ['localhost', 'https://localhost/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX'],
    ['a private address', 'https://10.0.0.5/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX'],
    ['another port', 'https://hooks.slack.com:8443/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX'],
    ['credentials in the URL', 'https://user:pw@hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX'],
    ['a Workflow Builder trigger', 'https://hooks.slack.com/triggers/T00000000/1234567890/XXXXXXXXXXXXXXXXXXXXXXXX'],
    ['a path that is not /services/', 'https://hooks.slack.com/api/chat.postMessage'],
    ['not a URL', 'hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX'],
  ])('refuses %s, naming the field and not echoing the secret', (_what, webhookUrl) => {
    const issues = refused('slack', 'webhook_url', { webhookUrl }, 'webhookUrl');
    for (const issue of issues) expect(issue.message).not.toContain(secretPart);
  });
});

describe('Teams webhook URL', () => {
  test.each([
    ['Workflows (Logic Apps host)', 'https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=FAKE'],
    ['Workflows (Power Platform host)', 'https://default0000.00.environment.api.powerplatform.com/powerautomate/automations/direct/workflows/abc/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=FAKE'],
    ['Workflows (US government)', 'https://prod-01.usgovvirginia.logic.azure.us/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=FAKE'],
    ['Workflows (US government Power Platform)', 'https://x.environment.api.powerplatform.us/powerautomate/automations/direct/workflows/abc/triggers/manual/paths/invoke?sig=FAKE'],
    ['legacy connector', 'https://contoso.webhook.office.com/webhookb2/00000000-0000-0000-0000-000000000000@00000000-0000-0000-0000-000000000000/IncomingWebhook/abc/00000000-0000-0000-0000-000000000000'],
  ])('accepts %s', (_what, webhookUrl) => {
    accepted('teams', 'webhook_url', { webhookUrl });
  });

  test('flags the legacy connector host', () => {
    expect(isLegacyTeamsWebhook('https://contoso.webhook.office.com/webhookb2/x')).toBe(true);
    expect(isLegacyTeamsWebhook('https://prod-12.westeurope.logic.azure.com/workflows/x')).toBe(false);
  });

  test.each([
    ['another host', 'https://evil.example.com/workflows/abc/triggers/manual/paths/invoke?sig=FAKE'],
    ['a suffix look-alike', 'https://prod-12.logic.azure.com.evil.example.com/workflows/abc?sig=FAKE'],
    ['http', 'http://prod-12.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=FAKE'],
    ['a private address', 'https://192.168.1.10/workflows/abc?sig=FAKE'],
    ['loopback', 'https://[::1]/workflows/abc?sig=FAKE'],
    ['a Workflows URL without sig', 'https://prod-12.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01'],
    ['a Workflows host without /workflows/', 'https://prod-12.westeurope.logic.azure.com/other?sig=FAKE'],
    ['a legacy host without /webhookb2/', 'https://contoso.webhook.office.com/other'],
  ])('refuses %s', (_what, webhookUrl) => {
    refused('teams', 'webhook_url', { webhookUrl }, 'webhookUrl');
  });

  test('explains that the outlook.office.com form was retired', () => {
    const issues = refused('teams', 'webhook_url', { webhookUrl: 'https://outlook.office.com/webhook/abc/IncomingWebhook/def/ghi' }, 'webhookUrl');
    expect(issues.map((i) => i.message).join(' ')).toMatch(/retired/);
  });
});

describe('Braze REST endpoint', () => {
  test.each(['https://rest.iad-01.braze.com', 'https://rest.us-10.braze.com', 'https://rest.fra-02.braze.eu', 'https://rest.au-01.braze.com'])('accepts %s', (restEndpoint) => {
    expect(accepted('braze', 'api_key', { restEndpoint }).restEndpoint).toBe(restEndpoint);
  });
  test('keeps the origin of a pasted endpoint with a trailing slash', () => {
    expect(accepted('braze', 'api_key', { restEndpoint: 'https://REST.iad-01.braze.com/' }).restEndpoint).toBe('https://rest.iad-01.braze.com');
  });
  test.each([
    'https://evil.example.com',
    'https://rest.iad-01.braze.com.evil.example.com',
    'https://rest.iad-01.braze.net',
    'http://rest.iad-01.braze.com',
    'https://dashboard-01.braze.com',
    'https://rest.iad-01.braze.com/users/track',
    'https://127.0.0.1',
  ])('refuses %s', (restEndpoint) => {
    refused('braze', 'api_key', { restEndpoint }, 'restEndpoint');
  });
});

describe('Databricks workspace', () => {
  test.each([
    ['https://dbc-a1b2c3d4-e5f6.cloud.databricks.com', 'https://dbc-a1b2c3d4-e5f6.cloud.databricks.com'],
    ['https://adb-1234567890123456.7.azuredatabricks.net/?o=1234567890123456', 'https://adb-1234567890123456.7.azuredatabricks.net'],
    ['1234567890123456.7.gcp.databricks.com', 'https://1234567890123456.7.gcp.databricks.com'],
    ['https://Mycompany.cloud.databricks.com/sql/editor', 'https://mycompany.cloud.databricks.com'],
  ])('accepts %s as %s', (host, expected) => {
    expect(accepted('databricks', 'pat', { host }).host).toBe(expected);
  });
  test.each([
    'https://evil.example.com',
    'https://adb-1234567890123456.7.azuredatabricks.net.evil.example.com',
    'https://westus.azuredatabricks.net',
    'http://dbc-a1b2c3d4-e5f6.cloud.databricks.com',
    'https://dbc-a1b2c3d4-e5f6.cloud.databricks.com:8443',
    'https://accounts.cloud.databricks.com',
    'https://169.254.169.254',
  ])('refuses %s', (host) => {
    refused('databricks', 'pat', { host }, 'host');
  });
  test('takes the warehouse ID from a pasted HTTP path', () => {
    expect(accepted('databricks', 'pat', { warehouseId: '/sql/1.0/warehouses/0123456789ABCDEF' }).warehouseId).toBe('0123456789abcdef');
    refused('databricks', 'pat', { warehouseId: 'not-a-warehouse' }, 'warehouseId');
  });
  test('wait timeout is 0 or 5..50 s, 30 by default', () => {
    expect(accepted('databricks', 'pat', {}).waitTimeoutSeconds).toBe(30);
    expect(accepted('databricks', 'pat', { waitTimeoutSeconds: 0 }).waitTimeoutSeconds).toBe(0);
    expect(accepted('databricks', 'pat', { waitTimeoutSeconds: '50' }).waitTimeoutSeconds).toBe(50);
    for (const bad of [3, 51, -1, 7.5, 'soon']) refused('databricks', 'pat', { waitTimeoutSeconds: bad }, 'waitTimeoutSeconds');
  });
  test('a personal access token starts with dapi; OAuth M2M needs a UUID client id', () => {
    refused('databricks', 'pat', { token: 'not-a-pat-token' }, 'token');
    refused('databricks', 'oauth_m2m', { clientId: 'my-client' }, 'clientId');
  });
});

describe('Twilio', () => {
  test('account SID is AC + 32 hex, in either case', () => {
    accepted('twilio', 'auth_token', { accountSid: `AC${'A'.repeat(32)}` });
    for (const accountSid of [`XX${'0'.repeat(32)}`, `AC${'0'.repeat(31)}`, `AC${'g'.repeat(32)}`]) {
      refused('twilio', 'auth_token', { accountSid }, 'accountSid');
    }
  });
  test('API key auth needs an SK key SID', () => {
    refused('twilio', 'api_key', { apiKeySid: `AC${'0'.repeat(32)}` }, 'apiKeySid');
  });
  test('needs From or a messaging service SID, and names both', () => {
    const issues = refused('twilio', 'auth_token', { from: undefined }, 'from');
    expect(issues[0]!.message).toContain('messagingServiceSid');
    accepted('twilio', 'auth_token', { from: undefined, messagingServiceSid: `MG${'0'.repeat(32)}` });
    refused('twilio', 'api_key', { messagingServiceSid: `MS${'0'.repeat(32)}` }, 'messagingServiceSid');
  });
  test.each(['+15017122661', 'MyBrand', 'Acme Inc', '894546'])('accepts sender %s', (from) => {
    accepted('twilio', 'auth_token', { from });
  });
  test.each(['15017122661', '+0123', 'WayTooLongSender', 'Bad!Name'])('refuses sender %s', (from) => {
    refused('twilio', 'auth_token', { from }, 'from');
  });
});

describe('Shopify shop domain', () => {
  test.each([
    ['demo-store', 'demo-store.myshopify.com'],
    ['Demo-Store.myshopify.com', 'demo-store.myshopify.com'],
    ['https://demo-store.myshopify.com/admin/orders', 'demo-store.myshopify.com'],
  ])('normalises %s to %s', (shopDomain, expected) => {
    expect(accepted('shopify', 'access_token', { shopDomain }).shopDomain).toBe(expected);
  });
  test('refuses a custom storefront domain', () => {
    refused('shopify', 'access_token', { shopDomain: 'shop.example.com' }, 'shopDomain');
  });
});

describe('Zendesk subdomain', () => {
  test.each([
    ['acme', 'acme'],
    ['ACME', 'acme'],
    ['acme.zendesk.com', 'acme'],
    ['https://acme.zendesk.com/agent/tickets/42', 'acme'],
    ['https://acme-eu.zendesk.com/', 'acme-eu'],
  ])('keeps the subdomain of %s', (subdomain, expected) => {
    expect(accepted('zendesk', 'api_token', { subdomain }).subdomain).toBe(expected);
    expect(accepted('zendesk', 'oauth', { subdomain }).subdomain).toBe(expected);
  });
  test.each(['https://support.acme.com', 'acme.zendesk.com.evil.example.com', '-acme', 'ac me'])('refuses %s', (subdomain) => {
    refused('zendesk', 'api_token', { subdomain }, 'subdomain');
  });
  test('email must be an address', () => {
    refused('zendesk', 'api_token', { email: 'agent' }, 'email');
  });
});

describe('Kinesis stream and credentials', () => {
  const arn = 'arn:aws:kinesis:us-east-1:123456789012:stream/events';
  test('takes a stream name or an ARN', () => {
    accepted('kinesis', 'access_key', {});
    accepted('kinesis', 'access_key', { streamName: undefined, streamArn: arn });
    accepted('kinesis', 'access_key', { region: 'cn-north-1', streamName: undefined, streamArn: 'arn:aws-cn:kinesis:cn-north-1:123456789012:stream/events' });
  });
  test('refuses neither, and both', () => {
    const neither = refused('kinesis', 'access_key', { streamName: undefined }, 'streamName');
    expect(neither[0]!.message).toContain('streamArn');
    refused('kinesis', 'access_key', { streamArn: arn }, 'streamArn');
  });
  test('the ARN must be in the configured region', () => {
    refused('kinesis', 'access_key', { streamName: undefined, streamArn: arn, region: 'eu-west-1' }, 'streamArn');
  });
  test.each(['us-east-1', 'eu-central-2', 'us-gov-west-1', 'cn-northwest-1', 'ap-southeast-5'])('accepts region %s', (region) => {
    accepted('kinesis', 'access_key', { region });
  });
  test.each(['useast1', 'US-EAST-1', 'us-east', 'mars-north-1'])('refuses region %s', (region) => {
    refused('kinesis', 'access_key', { region }, 'region');
  });
  test('access key ids are AKIA/ASIA + 16; temporary ones need a session token', () => {
    refused('kinesis', 'access_key', { accessKeyId: 'not-an-access-key' }, 'accessKeyId');
    const temporary = ['AS', 'IA', 'TEMP'.repeat(4)].join('');
    refused('kinesis', 'access_key', { accessKeyId: temporary }, 'sessionToken');
    accepted('kinesis', 'access_key', { accessKeyId: temporary, sessionToken: 'fake-session-token' });
    refused('kinesis', 'access_key', { secretAccessKey: 'short' }, 'secretAccessKey');
  });
});

describe('Mailchimp API key', () => {
  test.each(['not-a-key', '0123456789abcdef0123456789abcdef', '0123456789abcdef0123456789abcdef-', 'zz23456789abcdef0123456789abcdef-us6'])('refuses %s', (apiKey) => {
    refused('mailchimp', 'api_key', { apiKey }, 'apiKey');
  });
  test('accepts other data centers', () => {
    accepted('mailchimp', 'api_key', { apiKey: '0123456789abcdef0123456789abcdef-us21' });
  });
});

describe('Snowpipe key pair', () => {
  // Armour lines are assembled so that the test source holds no literal PEM marker.
  const armour = (kind: string, label: string) => `${'-'.repeat(5)}${kind} ${label}${'-'.repeat(5)}`;
  const body = testPrivateKeyPem().split('\n').filter((l) => l && !l.startsWith('-')).join('\n');

  test('accepts a PKCS#8 key, with or without surrounding whitespace', () => {
    accepted('snowpipe', 'key_pair', { privateKeyPem: `\n${testPrivateKeyPem()}\n\n` });
  });
  test('refuses a PKCS#1 key with a conversion hint', () => {
    const pkcs1 = `${armour('BEGIN', 'RSA PRIVATE KEY')}\n${body}\n${armour('END', 'RSA PRIVATE KEY')}`;
    const issues = refused('snowpipe', 'key_pair', { privateKeyPem: pkcs1 }, 'privateKeyPem');
    expect(issues[0]!.message).toContain('pkcs8');
    expect(issues[0]!.message).not.toContain(body.slice(0, 40));
  });
  test.each([
    ['a public key', `${armour('BEGIN', 'PUBLIC KEY')}\nAAAA\n${armour('END', 'PUBLIC KEY')}`],
    ['a truncated key', `${armour('BEGIN', 'PRIVATE KEY')}\n${body.slice(0, 120)}\n${armour('END', 'PRIVATE KEY')}`],
    ['a key without its END line', `${armour('BEGIN', 'PRIVATE KEY')}\n${body}`],
    ['not a key', 'hello'],
  ])('refuses %s', (_what, privateKeyPem) => {
    refused('snowpipe', 'key_pair', { privateKeyPem }, 'privateKeyPem');
  });
  test('an encrypted key needs its passphrase', () => {
    const encrypted = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'fake-test-passphrase' },
    }).privateKey;
    refused('snowpipe', 'key_pair', { privateKeyPem: encrypted }, 'privateKeyPassphrase');
    accepted('snowpipe', 'key_pair', { privateKeyPem: encrypted, privateKeyPassphrase: 'fake-test-passphrase' });
    // A reference cannot be inspected: the rule waits for the resolved value.
    expect(getConnector('snowpipe').validateStoredConfig({ ...sampleFor('snowpipe', 'key_pair'), privateKeyPem: 'env:SNOWPIPE_KEY' }).ok).toBe(true);
  });
  test('account identifier: the account URL is reduced to the identifier', () => {
    expect(accepted('snowpipe', 'key_pair', { accountIdentifier: 'https://MYORG-MYACCOUNT.snowflakecomputing.com/' }).accountIdentifier).toBe('myorg-myaccount');
    expect(accepted('snowpipe', 'key_pair', { accountIdentifier: 'xy12345.us-east-2.aws' }).accountIdentifier).toBe('xy12345.us-east-2.aws');
    refused('snowpipe', 'key_pair', { accountIdentifier: 'my account' }, 'accountIdentifier');
  });
  test('pipe name is fully qualified', () => {
    accepted('snowpipe', 'key_pair', { pipeName: '"MyDb".PUBLIC.MY_PIPE' });
    refused('snowpipe', 'key_pair', { pipeName: 'EVENTS_PIPE' }, 'pipeName');
    refused('snowpipe', 'key_pair', { pipeName: 'RAW.EVENTS_PIPE' }, 'pipeName');
  });
  test('stage path prefix is relative and stays inside the stage', () => {
    expect(accepted('snowpipe', 'key_pair', { stagePathPrefix: '/events/2025/' }).stagePathPrefix).toBe('events/2025/');
    refused('snowpipe', 'key_pair', { stagePathPrefix: 'events/../secrets/' }, 'stagePathPrefix');
  });
});

describe('versions', () => {
  test('Klaviyo: the current GA revision by default, listed revisions accepted; pre-release, unknown and retired ones refused', () => {
    expect(accepted('klaviyo', 'private_key', { revision: undefined }).revision).toBe('2026-07-15');
    accepted('klaviyo', 'private_key', { revision: '2026-10-15' });
    accepted('klaviyo', 'private_key', { revision: '2025-10-15' });
    // 2024-10-15 retired on 2026-10-15 (two years after release).
    for (const revision of ['2024-10', 'v2024-10-15', '2024-13-45', '2025-01-15.pre', '2024-10-15']) refused('klaviyo', 'private_key', { revision }, 'revision');
    refused('klaviyo', 'private_key', { privateApiKey: 'sk_wrong_prefix' }, 'privateApiKey');
  });
  test('WhatsApp: the current Graph version (v26.0) by default, older ones accepted until their "available until" date', () => {
    expect(accepted('whatsapp', 'system_user_token', { apiVersion: undefined }).apiVersion).toBe('v26.0');
    accepted('whatsapp', 'system_user_token', { apiVersion: 'v24.0' });
    // v20.0 was available until 2026-09-24 (Meta's changelog).
    refused('whatsapp', 'system_user_token', { apiVersion: 'v20.0' }, 'apiVersion');
    for (const apiVersion of ['v23', '23.0', 'v23.1']) refused('whatsapp', 'system_user_token', { apiVersion }, 'apiVersion');
    refused('whatsapp', 'system_user_token', { phoneNumberId: '+1 555 123 4567' }, 'phoneNumberId');
  });
  test('Intercom: 2.16 by default, the versions of the official spec accepted', () => {
    expect(accepted('intercom', 'access_token', { apiVersion: undefined }).apiVersion).toBe('2.16');
    accepted('intercom', 'access_token', { apiVersion: '2.14' });
    refused('intercom', 'access_token', { apiVersion: 'latest' }, 'apiVersion');
    refused('intercom', 'access_token', { region: 'ap' }, 'region');
  });
  test('Fivetran: /connections by default, the legacy /connectors path still selectable', () => {
    const config = accepted('fivetran', 'api_key', {});
    expect(config.apiPath).toBe('connections');
    expect(config.force).toBe('false');
    accepted('fivetran', 'api_key', { apiPath: 'connectors', force: 'true' });
    const issues = refused('fivetran', 'api_key', { apiPath: 'v2' }, 'apiPath');
    expect(issues[0]!.message).toContain('connections, connectors');
  });
});

describe('other provider shapes', () => {
  test('PagerDuty routing key is 32 characters; region and severity are enumerations', () => {
    refused('pagerduty', 'routing_key', { routingKey: 'x'.repeat(31) }, 'routingKey');
    refused('pagerduty', 'routing_key', { region: 'apac' }, 'region');
    refused('pagerduty', 'routing_key', { defaultSeverity: 'fatal' }, 'defaultSeverity');
    expect(accepted('pagerduty', 'routing_key', { region: undefined }).region).toBe('us');
  });
  test('SendGrid key starts with SG.; template ids with d-', () => {
    refused('sendgrid', 'api_key', { apiKey: 'fake-key' }, 'apiKey');
    refused('sendgrid', 'api_key', { templateId: 'tpl-123' }, 'templateId');
    refused('sendgrid', 'api_key', { fromEmail: 'not an address' }, 'fromEmail');
    expect(accepted('sendgrid', 'api_key', { region: 'eu' }).region).toBe('eu');
  });
  test('Postmark server token is UUID-shaped (or the documented test token)', () => {
    accepted('postmark', 'server_token', { serverToken: 'POSTMARK_API_TEST' });
    refused('postmark', 'server_token', { serverToken: 'fake-token' }, 'serverToken');
    accepted('postmark', 'server_token', { fromEmail: 'App <app@example.com>' });
    expect(accepted('postmark', 'server_token', { messageStream: undefined }).messageStream).toBe('outbound');
  });
  test('Hightouch needs exactly one of sync ID and slug', () => {
    accepted('hightouch', 'api_key', { syncId: undefined, syncSlug: 'nightly-accounts' });
    refused('hightouch', 'api_key', { syncId: undefined }, 'syncId');
    refused('hightouch', 'api_key', { syncSlug: 'nightly-accounts' }, 'syncSlug');
    refused('hightouch', 'api_key', { syncId: 'abc' }, 'syncId');
  });
  test('Census sync ID is numeric; regions us|eu', () => {
    refused('census', 'api_token', { syncId: 'sync-1' }, 'syncId');
    expect(accepted('census', 'api_token', { region: 'eu', forceFullSync: 'true' }).forceFullSync).toBe('true');
  });
  test('Iterable data center and identity mode are enumerations', () => {
    expect(accepted('iterable', 'api_key', { dataCenter: 'eu', identifyBy: 'userId' })).toMatchObject({ dataCenter: 'eu', identifyBy: 'userId' });
    refused('iterable', 'api_key', { identifyBy: 'phone' }, 'identifyBy');
  });
  test('Segment region is us or eu', () => {
    refused('segment', 'write_key', { region: 'apac' }, 'region');
  });
});
