// The sandbox credentials must pass the connectors' own config validation, or nobody could
// register a sandbox connection with them; and they must never look like live keys.
import { expect, test } from 'vitest';
import { sandboxCredentials } from '../../../src/sandbox/credentials.js';
import { getConnector } from '../../../src/registry/index.js';

test.each([1, 2, 12345])('seed %i: credentials validate against the registry and are plainly fake', (seed) => {
  const c = sandboxCredentials(seed);
  expect(getConnector('shopify').validateConfig({ ...c.shopify })).toMatchObject({ ok: true });
  expect(getConnector('stripe').validateConfig({ ...c.stripe })).toMatchObject({ ok: true });
  expect(getConnector('mailchimp').validateConfig({ ...c.mailchimp })).toMatchObject({ ok: true });
  expect(c.stripe.secretKey).toMatch(/^sk_test_sandbox[A-Za-z0-9]+$/);
  expect(c.shopify.accessToken).toMatch(/^shpat_sandbox_/);
  expect(c.mailchimp.apiKey).toMatch(/^[0-9a-f]{32}-us6$/);
  expect(JSON.stringify(c)).not.toMatch(/_live_/);
});
