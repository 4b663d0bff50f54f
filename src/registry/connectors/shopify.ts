// Shopify Admin REST API, orders (pull source).
// Facts: https://shopify.dev/docs/api/admin-rest/usage/pagination ,
// https://shopify.dev/docs/api/admin-rest/usage/rate-limits ,
// https://shopify.dev/docs/api/admin-rest/latest/resources/order ,
// https://shopify.dev/docs/api/admin-rest/latest/resources/accessscope ,
// https://shopify.dev/docs/api/usage/access-scopes
//
// Corrections to the December 2026 provider audit (shared/docs/provider-audit-2026-12.md, shopify):
// - Finding 2 (testConnection does not prove read_orders): confirmed. No scope is documented for
//   shop.json, so its success says nothing about orders; the check now first reads the token's
//   granted scopes from GET /admin/oauth/access_scopes.json ("The list of access scopes retrieved is
//   based on the access token for the request", resources/accessscope above).
//   That endpoint is unversioned ("AccessScope" is listed under unversioned APIs on
//   https://shopify.dev/docs/api/usage/versioning) and answers {"access_scopes":[{"handle":…}]}.
//   "Any scope that writes a resource also grants read access to it"
//   (https://shopify.dev/docs/api/usage/access-scopes), so write_orders satisfies read_orders.
// - The audit's "falls forward" source was a forum post; the official versioning page says it too:
//   "Shopify falls forward when your selected version becomes inaccessible"
//   (https://shopify.dev/docs/api/usage/versioning).
import { definePolicy } from '../../policies/types.js';
import { defineConnector, type ConfigOf } from '../define.js';
import { apiVersionField, password, select, text } from '../fields.js';
import type { VersionPolicy } from '../versions.js';

/**
 * Admin API versions. https://shopify.dev/docs/api/usage/versioning : a stable version ships every
 * quarter (YYYY-01/04/07/10, 5pm UTC on the 1st) and "is supported for a minimum of 12 months"; a
 * request to a version past support is answered by the oldest supported version instead ("Shopify
 * falls forward when your selected version becomes inaccessible"), so an expired pin keeps running
 * with a warning rather than being refused. Release candidates and `unstable` are not offered.
 */
export const SHOPIFY_VERSIONS: VersionPolicy = {
  field: 'apiVersion',
  label: 'Admin API version',
  current: '2026-10',
  rule: 'Shopify supports each stable version for at least 12 months, then answers with the oldest supported version instead.',
  source: 'https://shopify.dev/docs/api/usage/versioning',
  versions: [
    { version: '2026-10', released: '2026-10-01', supportedUntil: '2027-10-01' },
    { version: '2026-07', released: '2026-07-01', supportedUntil: '2027-07-01' },
    { version: '2026-04', released: '2026-04-01', supportedUntil: '2027-04-01' },
    { version: '2026-01', released: '2026-01-01', supportedUntil: '2027-01-01' },
    { version: '2025-10', released: '2025-10-01', supportedUntil: '2026-10-01', note: 'Shopify now answers with the oldest supported version' },
    { version: '2025-07', released: '2025-07-01', supportedUntil: '2026-07-01', note: 'Shopify now answers with the oldest supported version' },
  ],
};

/** Scopes of which at least one lets a token read orders (a write scope includes the read one). */
export const SHOPIFY_ORDER_SCOPES = ['read_orders', 'write_orders'] as const;
/**
 * Lifts the default 60-day window on orders; Shopify grants it only on request and only next to
 * read_orders or write_orders (https://shopify.dev/docs/api/admin-graphql/latest/objects/Order).
 */
export const SHOPIFY_ALL_ORDERS_SCOPE = 'read_all_orders';

/** REST Admin requests per second by plan (https://shopify.dev/docs/api/admin-rest/usage/rate-limits). */
export const SHOPIFY_PLAN_RATES: Readonly<Record<string, number>> = { standard: 2, advanced: 4, plus: 20, enterprise: 40 };

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
  credentialCheck: 'GET /admin/oauth/access_scopes.json (read_orders or write_orders granted), then GET /admin/api/{version}/shop.json (the shop, and the version Shopify serves)',
  idempotency: { supported: false, note: 'Pull source: re-reading a page is harmless because sinks upsert by order id.' },
  authMethods: [
    {
      id: 'access_token',
      label: 'Admin API access token',
      help: 'A custom app in the store admin with the read_orders scope (write_orders also grants read access). Without read_all_orders, which Shopify grants on request, only orders from the last 60 days are returned.',
      connectionFields: {
        shopDomain: text({
          label: 'Shop domain',
          help: 'The store\'s myshopify.com domain (custom storefront domains are not API hosts).',
          required: true,
          placeholder: 'my-store.myshopify.com',
          normalize: normalizeShopDomain,
          validation: { pattern: '[a-z0-9][a-z0-9-]*\\.myshopify\\.com', patternDescription: 'a <name>.myshopify.com domain' },
        }),
        apiVersion: apiVersionField('Shopify', SHOPIFY_VERSIONS, { help: 'Quarterly Admin API version in the request path.' }),
        plan: select({
          label: 'Shopify plan',
          help: 'The store\'s plan sets its REST Admin rate: 2 requests/s (standard), 4 (Advanced), 20 (Plus), 40 (Commerce Components). Each store has its own budget.',
          required: false,
          default: 'standard',
          options: [
            { value: 'standard', label: 'Standard (2 requests/s)' },
            { value: 'advanced', label: 'Advanced Shopify (4 requests/s)' },
            { value: 'plus', label: 'Shopify Plus (20 requests/s)' },
            { value: 'enterprise', label: 'Commerce Components (40 requests/s)' },
          ],
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
  apiVersion: SHOPIFY_VERSIONS,
  rateScope: { by: 'store', fields: ['shopDomain'], source: 'https://shopify.dev/docs/api/admin-rest/usage/rate-limits' },
  // "Standard limit: 2 requests/second · Advanced Shopify limit: 4 · Shopify Plus limit: 20 · Shopify
  // for enterprise (Commerce Components): 40" (shopify.dev REST Admin API rate limits, per store).
  connectionBudget: (config) => {
    const rps = SHOPIFY_PLAN_RATES[String(config.plan ?? 'standard')];
    return rps && rps !== SHOPIFY_PLAN_RATES.standard
      ? { requestsPerSecond: rps, reason: `Shopify ${String(config.plan)} stores get ${rps} REST Admin requests per second (https://shopify.dev/docs/api/admin-rest/usage/rate-limits)` }
      : null;
  },
  policy: definePolicy({
    source: 'https://shopify.dev/docs/api/admin-rest/usage/rate-limits',
    // Leaky bucket: 40 requests, refilled at 2/s on standard plans.
    rate: { requestsPerSecond: 2, burst: 40 },
    retry: { initialIntervalMs: 1_000, maximumIntervalMs: 30_000, maximumAttempts: 10 },
    timeouts: { requestMs: 30_000, startToCloseMs: 120_000, scheduleToCloseMs: 30 * 60_000 },
    pull: { defaultPageSize: 250, maxPageSize: 250, overlapMs: 60_000 },
  }),
  notes: [
    'REST Admin is legacy since 2024-10-01; custom apps may still use it.',
    'testConnection fails with forbidden when the token has neither read_orders nor write_orders (https://shopify.dev/docs/api/usage/access-scopes: "Any scope that writes a resource also grants read access to it"), and reports whether read_all_orders is granted: without it Shopify returns only the last 60 days of orders.',
    'Shopify answers a request for a version past support with the oldest supported one and names it in X-Shopify-Api-Version ("Shopify falls forward when your selected version becomes inaccessible", https://shopify.dev/docs/api/usage/versioning); testConnection reports that header as servedVersion.',
    'Deleted orders never appear in orders.json; use the orders/delete webhook to capture deletions.',
  ],
});

export type ShopifyConfig = ConfigOf<typeof shopify>;
