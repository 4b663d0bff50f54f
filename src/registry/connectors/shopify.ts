// Shopify Admin REST API, orders (pull source).
// Facts: https://shopify.dev/docs/api/admin-rest/usage/pagination ,
// https://shopify.dev/docs/api/admin-rest/usage/rate-limits ,
// https://shopify.dev/docs/api/admin-rest/latest/resources/order
import { definePolicy } from '../../policies/types.js';
import { defineConnector, type ConfigOf } from '../define.js';
import { password, text } from '../fields.js';

/** Accepts `shop`, `shop.myshopify.com` or an admin URL and keeps `shop.myshopify.com`. */
export function normalizeShopDomain(value: string): string {
  let v = value.trim().toLowerCase();
  v = v.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  const admin = /^admin\.shopify\.com$/.test(v) ? null : v;
  if (admin && !admin.includes('.')) return `${admin}.myshopify.com`;
  return v;
}

export const shopify = defineConnector({
  id: 'shopify',
  name: 'Shopify',
  category: 'commerce_source',
  description: 'Pulls orders from a Shopify store through the Admin REST API, incrementally by updated_at.',
  docsUrl: 'https://shopify.dev/docs/api/admin-rest/latest/resources/order',
  capabilities: { testConnection: 'api', send: false, pull: ['orders'], trigger: false },
  credentialCheck: 'GET /admin/api/{version}/shop.json',
  idempotency: { supported: false, note: 'Pull source: re-reading a page is harmless because sinks upsert by order id.' },
  authMethods: [
    {
      id: 'access_token',
      label: 'Admin API access token',
      help: 'A custom app in the store admin with the read_orders scope (read_all_orders for orders older than 60 days).',
      connectionFields: {
        shopDomain: text({
          label: 'Shop domain',
          help: 'The store\'s myshopify.com domain (custom storefront domains are not API hosts).',
          required: true,
          placeholder: 'my-store.myshopify.com',
          normalize: normalizeShopDomain,
          validation: { pattern: '[a-z0-9][a-z0-9-]*\\.myshopify\\.com', patternDescription: 'a <name>.myshopify.com domain' },
        }),
        apiVersion: text({
          label: 'API version',
          help: 'Quarterly Admin API version (YYYY-01/04/07/10); each is supported for about a year.',
          required: false,
          default: '2025-07',
          validation: { pattern: '\\d{4}-(01|04|07|10)', patternDescription: 'a quarterly version such as 2025-07' },
        }),
        startDate: text({
          label: 'Start date',
          help: 'Earliest updated_at to pull on the first (full) sync, ISO-8601. Empty means all orders.',
          required: false,
          placeholder: '2024-01-01T00:00:00Z',
          check: (v) => (Number.isNaN(Date.parse(v)) ? 'must be an ISO-8601 date' : null),
        }),
      },
      authFields: {
        accessToken: password({
          label: 'Admin API access token',
          help: 'Starts with shpat_. Sent as X-Shopify-Access-Token.',
          required: true,
          validation: { minLength: 10 },
        }),
      },
    },
  ],
  policy: definePolicy({
    source: 'https://shopify.dev/docs/api/admin-rest/usage/rate-limits',
    // Leaky bucket: 40 requests, refilled at 2/s on standard plans.
    rate: { requestsPerSecond: 2, concurrency: 2 },
    retry: { initialIntervalMs: 1_000, maximumIntervalMs: 30_000, maximumAttempts: 10 },
    timeouts: { requestMs: 30_000, startToCloseMs: 120_000, scheduleToCloseMs: 30 * 60_000 },
    pull: { defaultPageSize: 250, maxPageSize: 250, overlapMs: 60_000 },
  }),
  notes: [
    'REST Admin is legacy since 2024-10-01; custom apps may still use it.',
    'Deleted orders never appear in orders.json; use the orders/delete webhook to capture deletions.',
  ],
});

export type ShopifyConfig = ConfigOf<typeof shopify>;
