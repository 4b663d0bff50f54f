// Rate keys and per-connection budgets: what the Temporal server's fairness keys are made of.
import { describe, expect, test } from 'vitest';
import { connectionRate } from '../../../src/policies/connection-rate.js';
import { MAX_RATE_KEY_BYTES, rateKey } from '../../../src/policies/rate-key.js';
import { CONNECTOR_IDS, getConnector } from '../../../src/registry/index.js';
import { validSamples as REGISTRY_SAMPLES } from '../../helpers/registry-samples.js';

const shop = (shopDomain: string, extra: Record<string, unknown> = {}) => ({ shopDomain, accessToken: 'shpat_0123456789abcdef', ...extra });

describe('every connector declares what its provider limits by', () => {
  test.each(CONNECTOR_IDS)('%s: a scope with a source and fields of its own config', (id) => {
    const c = getConnector(id);
    expect(c.rateScope.by.length).toBeGreaterThan(2);
    expect(c.rateScope.source).toMatch(/^https:\/\//);
    const fields = new Set(c.authMethods.flatMap((m) => [...Object.keys(m.connectionFields), ...Object.keys(m.authFields)]));
    for (const f of c.rateScope.fields) expect(fields.has(f), `${id}: rate scope field ${f}`).toBe(true);
  });

  test.each(CONNECTOR_IDS)('%s: the sample config gives a short key that holds no secret', (id) => {
    const c = getConnector(id);
    for (const [method, config] of Object.entries(REGISTRY_SAMPLES[id] ?? {})) {
      const full: Record<string, unknown> = { authMethod: method, ...config };
      const key = connectionRate(c, c.policy, full).rateKey;
      expect(key.startsWith(`${id}:`)).toBe(true);
      expect(Buffer.byteLength(key)).toBeLessThanOrEqual(MAX_RATE_KEY_BYTES);
      for (const secretField of c.secretFields(method)) {
        const value = full[secretField];
        if (typeof value === 'string' && value.length >= 4) expect(key).not.toContain(value);
      }
    }
  });
});

describe('rate keys', () => {
  const shopify = getConnector('shopify');
  const stripe = getConnector('stripe');

  test('a store is its own key; the same store is the same key whatever else differs', () => {
    const a = connectionRate(shopify, shopify.policy, shop('a-shop.myshopify.com')).rateKey;
    const b = connectionRate(shopify, shopify.policy, shop('b-shop.myshopify.com')).rateKey;
    expect(a).toBe('shopify:a-shop.myshopify.com');
    expect(b).not.toBe(a);
    expect(connectionRate(shopify, shopify.policy, shop('a-shop.myshopify.com', { accessToken: 'shpat_other_token_xx' })).rateKey).toBe(a);
  });

  test('a secret scope is a truncated keyed hash: two connections with one key share it, another key does not', () => {
    const one = connectionRate(stripe, stripe.policy, { secretKey: 'sk_test_aaaaaaaaaaaaaaaaaaaaaaaa' }).rateKey;
    const same = connectionRate(stripe, stripe.policy, { secretKey: 'sk_test_aaaaaaaaaaaaaaaaaaaaaaaa', startDate: '2024-01-01T00:00:00Z' }).rateKey;
    const other = connectionRate(stripe, stripe.policy, { secretKey: 'sk_test_bbbbbbbbbbbbbbbbbbbbbbbb' }).rateKey;
    expect(one).toMatch(/^stripe:h[0-9a-f]{16}$/);
    expect(same).toBe(one);
    expect(other).not.toBe(one);
    expect(one).not.toContain('aaaa');
  });

  test('a deployment salt changes the hash (histories of two deployments cannot be compared)', () => {
    const scope = stripe.rateScope;
    const config = { secretKey: 'sk_test_aaaaaaaaaaaaaaaaaaaaaaaa' };
    expect(rateKey('stripe', scope, config, ['secretKey'], {})).not.toBe(rateKey('stripe', scope, config, ['secretKey'], { PIPELINE_RATE_KEY_SALT: 'x' }));
  });

  test('a long non-secret name is hashed to stay within 64 bytes', () => {
    const key = rateKey('kinesis', { by: 'stream', fields: ['streamArn'], source: 'https://x' }, { streamArn: `arn:aws:kinesis:eu-west-1:123456789012:stream/${'s'.repeat(120)}` }, []);
    expect(Buffer.byteLength(key)).toBeLessThanOrEqual(MAX_RATE_KEY_BYTES);
    expect(key).toMatch(/^kinesis:[0-9a-f]{32}$/);
  });
});

describe('per-connection budgets become fairness weights', () => {
  test('a Shopify Plus store gets 20 requests/s: ten times the standard key', () => {
    const shopify = getConnector('shopify');
    expect(connectionRate(shopify, shopify.policy, shop('std.myshopify.com'))).toMatchObject({ requestsPerSecond: 2, fairnessWeight: 1 });
    const plus = connectionRate(shopify, shopify.policy, shop('big.myshopify.com', { plan: 'plus' }));
    expect(plus).toMatchObject({ requestsPerSecond: 20, fairnessWeight: 10 });
    expect(plus.reason).toMatch(/Shopify plus stores get 20/);
  });

  test('a Fivetran trial account gets its 500/h budget', () => {
    const fivetran = getConnector('fivetran');
    const config = { ...(REGISTRY_SAMPLES.fivetran!.api_key as Record<string, unknown>), accountPlan: 'trial' };
    const r = connectionRate(fivetran, fivetran.policy, config);
    expect(r.requestsPerSecond).toBeLessThan(500 / 3600);
    expect(r.fairnessWeight).toBeCloseTo(r.requestsPerSecond / fivetran.policy.rate.requestsPerSecond, 5);
  });

  test('a Mailchimp connection holds its share of the key\'s simultaneous connections', () => {
    const mailchimp = getConnector('mailchimp');
    const config = { ...(REGISTRY_SAMPLES.mailchimp!.api_key as Record<string, unknown>) };
    expect(connectionRate(mailchimp, mailchimp.policy, config).concurrencyPerKey).toBe(3);
    expect(connectionRate(mailchimp, mailchimp.policy, { ...config, maxConnections: 7 }).concurrencyPerKey).toBe(7);
  });
});
