// Local emulators of the three pull sources (Shopify orders, Stripe charges, Mailchimp members), for
// the demo, the integration tests and the benchmarks. Executors reach them through
// CallOptions.baseUrlOverride (sandbox mode only).
//
// Tenants. Providers limit per credential: per shop on Shopify, per account (secret key) on Stripe,
// per API key on Mailchimp. Each emulator can serve several tenants, each with its own data set,
// credentials and limits. Through the sandbox override every request reaches the same loopback host,
// so the credential a request presents names its tenant (X-Shopify-Access-Token, Stripe's Bearer
// key, Mailchimp's Basic key); an unknown one gets the provider's 401.
//
//   startSandbox()    one tenant per emulator, named "default", with the historical credentials
//                     (sandbox.credentials.shopify/stripe/mailchimp) and data, and no rate limit but
//                     Mailchimp's 10 simultaneous connections, exactly as before tenants existed.
//   startSandbox({ tenants: {
//     shopify: [{ name: 'big', orders: 50_000 }, ...Array.from({ length: 19 }, (_, k) => ({ name: `shop-${k + 1}`, orders: 1000 })),
//               { name: 'flagship', plan: 'plus' }],
//     stripe: [{ name: 'acct-a', charges: 5000, mode: 'live' }, { name: 'acct-b' }],
//     mailchimp: [{ name: 'key-a' }, { name: 'key-b', maxConnections: 3 }],
//   } })
//     A provider listed declares its tenants (the default one is then gone); one left out keeps its
//     default tenant. Declared tenants get the provider's documented limits unless told otherwise:
//       Shopify   a leaky bucket per shop, 40 deep, leaking 2/s (plan advanced 4/s, plus 20/s,
//                 enterprise 40/s; `bucket: { size, leakPerSecond }` overrides, `bucket: null` lifts
//                 it). Past it: 429, Retry-After: 2.0 and X-Shopify-Shop-Api-Call-Limit: 40/40, the
//                 header reporting that shop's bucket on every answer.
//       Stripe    a token bucket per key holding one second: 25 requests/s in test mode, 100 in live
//                 mode (`requestsPerSecond` overrides, null lifts it). Past it: 429 with the error
//                 body {"error": {"type": "invalid_request_error", "code": "rate_limit", ...}},
//                 Stripe-Should-Retry: true and Retry-After.
//       Mailchimp 10 simultaneous requests per key (`maxConnections`, null lifts it); the next one
//                 is answered 429 problem+json without Retry-After until one of the 10 is answered.
//     Credentials are derived from the seed and the tenant's name (the same for the same pair):
//     sandbox.credentials.tenants.shopify['shop-1'] = { shopDomain: 'shop-1.myshopify.com',
//     accessToken: 'shpat_sandbox_…' }, .stripe['acct-a'] = { secretKey: 'sk_live_sandbox…' },
//     .mailchimp['key-a'] = { apiKey: '<32 hex>-us6', listId }: exactly the connector config fields.
//     sandbox.credentials.shopify/stripe/mailchimp are the first tenant's. Data sets are seeded by the
//     seed and the name too, and built at start like the single ones (a compact core, records
//     rendered on demand: 50,000 orders take some 50 ms), so no tenant's first request stalls the
//     others. Each shop's ids lie in their own range (by position), so no two shops share an order,
//     line item or customer id. A Host header naming another shop (<other>.myshopify.com) is
//     refused 401, as Shopify refuses a token on a shop it is not for.
//
// Faults (emulator.faults, POST /_sandbox/faults) belong to the emulator, not to a tenant: latencyMs
// delays every request of every tenant; the counted faults (fail5xx, malformed, slow,
// rateLimitStorm) are consumed by whichever requests come first. The rateLimit fault applies per
// tenant: while set, each tenant gets its own bucket at that rate (Shopify: leaking into the shop's
// bucket size; others: a one-second token bucket), replacing the tenant's own limit until lifted.
//
// Counting (emulator.stats(), GET /_sandbox/stats): totals as before, plus `since` and `byKey`, per
// tenant name (never a credential): requests, byStatus, rateLimited (429s), inFlight, maxInFlight (the
// most of its requests in flight at once, refused ones included) and perSecond (counts by arrival
// second since `since`). resetStats() (POST /_sandbox/stats/reset) clears them and restarts `since`.
// Each logged request carries `key`, its tenant's name, once accepted as that tenant's.
// records(tenant?) and mutate(opts, tenant?) (admin: ?tenant=name) act on one tenant's data set, the
// first by default; GET /_sandbox/tenants lists names, record counts and limits.
// mutate({ ids: [...] }) changes those records (provider ids) besides `update` random ones.
//
// Probes (what a planner sizes slices with before listing them):
//   Shopify   GET /admin/api/{v}/orders/count.json with orders.json's filters (status, default open;
//             updated_at_min/max; created_at_min/max) answers {"count": n}.
//   Mailchimp …/members?count=1&fields=total_items (total_items of any window) and
//             sort_field=last_changed&sort_dir=ASC&count=1 (the window's earliest member).
//   Stripe    GET /v1/charges?limit=1&created[lt]=t (the newest charge before t); windows
//             created[gte]+created[lte] page with starting_after.
// Every window survives paging: Shopify's page_info carries the filters, Mailchimp's and Stripe's
// are resent with each page.
//
// Stripe events (GET /v1/events, GET /v1/events/{id}; see stripe-data.ts and stripe-emulator.ts).
// Each account keeps an event log: every charge's charge.succeeded at its creation (the generated
// ones included, derived, nothing stored), and one event per later change, stamped with the
// emulator's clock, its data.object the charge as it was right after the change:
//   sandbox.stripe.refund(chargeId, { amount?, tenant? })   charge.refunded
//   sandbox.stripe.capture(chargeId)                         charge.captured (createCharges({ count, captured: false }) first)
//   sandbox.stripe.dispute(chargeId, { reason? })            charge.dispute.created: data.object is the Dispute (its
//                                                            `charge` names the charge), as on Stripe, not the charge
//   sandbox.stripe.updateMetadata(chargeId, { k: 'v' })      charge.updated, with data.previous_attributes
//   sandbox.stripe.createCharges({ count, captured? })       charge.succeeded each
//   sandbox.stripe.mutate({ update, ids, create })           update/ids: capture, else refund half of what is left,
//                                                            else a metadata edit; create: charge.succeeded
//   sandbox.stripe.events()                                  the whole log, oldest first (expired ones too)
// The list: newest first; limit 1..100 (default 10); starting_after/ending_before by event id;
// created / created[gt|gte|lt|lte]; `type` (one name, or a group with *: charge.*, read as any
// characters, dots included) or `types[]` (up to 20 exact names), not both. Events older than 30 days by the emulator's clock are neither listed nor
// retrievable. Charges carry `refunds` only when expanded (expand[]=refunds, lists expand[]=data.refunds),
// as since Stripe's 2022-11-15 API version. Admin: POST /_sandbox/charges/{refund,capture,dispute,
// metadata,create}, GET /_sandbox/events.
//
// Clock (emulator.clock; GET|POST /_sandbox/clock {"advanceMs": n} | {"offsetMs": n}; option
// clockOffsetMs). Each emulator's now is the real clock plus an offset; it stamps every change
// (mutate, the Stripe operations), bounds Stripe's 30-day event retention and is sent as the Date
// header. The data sets are generated at start around the emulators' now (the 30 days ending an
// hour before it) and stay there when the clock moves. Two ways to get past Stripe's retention:
//   startSandbox({ clockOffsetMs: -40 * DAY }) then, after a first sync, sandbox.stripe.clock.set(0):
//     the account's history is 40 days old by the real clock too (a first sync's watermark is
//     already past the 30 days, no event of it is listed any more), and later changes are stamped
//     on the real clock, as an engine comparing watermarks with its own clock expects;
//   sandbox.stripe.clock.advance(31 * DAY): the log's events expire at once, but the emulator now
//     runs ahead of the real clock, and changes made after it are stamped in the real future (only
//     an engine that reads the provider's time, e.g. the Date header, sees the month pass).
//
// Edge data: sharedTimestamp: { orders: { count: 500, at: '2025-03-01T12:00:00Z' }, charges: {…},
// members: {…} } gives `count` records of each data set one identical change time (Shopify
// updated_at, Stripe created, Mailchimp last_changed; `at` defaults to the middle of the data);
// a declared tenant may set its own (tenants.shopify[k].sharedTimestamp = { count, at? }). Ties are
// ordered by id: Shopify lists by order id; Stripe newest first, equal created by descending charge
// id; Mailchimp equal last_changed by ascending member id (reversed for DESC).
//
// Per-record faults (faults.dropRecords, faults.badTimestamps; see faults.ts), set like the others:
//   dropRecords: { everyNth?: 7, ids?: [...], count?: 3 }   records silently missing from the pages
//     that list them (charges, orders, members; not /v1/events) while everything else still claims
//     them (Stripe has_more, Shopify count.json and the Link chain, Mailchimp total_items);
//     everyNth/ids on every request, count once each.
//   badTimestamps: { kind: 'unparseable' | 'farFuture' | 'farPast', everyNth?, ids? }   those records'
//     served change time is "not a date", 9999-12-31T23:59:59Z or the epoch (Stripe created:
//     "not a date" (a string, which Stripe never sends), 253402300799 or 0); filters still use the
//     true time.
// everyNth counts records in creation order from 1 (records(tenant)[n - 1] is the first one hit).
import { SandboxClock } from './clock.js';
import { sandboxCredentials, type SandboxCredentials, type TenantCredentials } from './credentials.js';
import type { FaultSettingsInput } from './faults.js';
import { EmulatorServer } from './server.js';
import type { ShopifyTokenScopes } from './shopify.js';
import { StripeEmulatorServer, type StripeEmulator } from './stripe-emulator.js';
import { mailchimpProvider, shopifyProvider, stripeProvider, type SandboxTenants, type SharedTimestampOption } from './tenants.js';
import type { Emulator } from './types.js';

export type { EmulatorClock } from './clock.js';
export type { BadTimestampKind, BadTimestampsFault, DropRecordsFault, FaultController, FaultSettings, FaultSettingsInput, FailStatus } from './faults.js';
export type { MailchimpTenantCredentials, SandboxCredentials, ShopifyTenantCredentials, StripeTenantCredentials, TenantCredentials } from './credentials.js';
export type { Emulator, EmulatorStats, KeyStats, MutateOptions, MutateResult, RecordSummary, RecordedRequest } from './types.js';
export type { StripeEmulator, StripeEventSummary } from './stripe-emulator.js';
export type { StripeEventType } from './stripe-data.js';
export { STRIPE_EVENT_RETENTION_DAYS, STRIPE_SANDBOX_API_VERSION } from './stripe.js';
export { SANDBOX_SHOPIFY_SCOPES, SHOPIFY_PLAN_RATES, shopifyServedVersion, type ShopifyPlan, type ShopifyTokenScopes } from './shopify.js';
export { MAILCHIMP_SANDBOX_CONNECTIONS } from './mailchimp.js';
export {
  DEFAULT_TENANT,
  SHOPIFY_BUCKET_SIZE,
  STRIPE_MODE_RATES,
  type MailchimpTenantOptions,
  type SandboxTenants,
  type SharedTimestampOption,
  type ShopifyTenantOptions,
  type StripeTenantOptions,
} from './tenants.js';

export const DEFAULT_SANDBOX_SIZE = 2500;

export interface SandboxOptions {
  /** Seed of every generated value (default 1). */
  seed?: number;
  /** Records per data set (default 2,500 each); declared tenants without a size of their own use these too. */
  sizes?: { orders?: number; charges?: number; members?: number };
  /** Listening address (default 127.0.0.1). */
  host?: string;
  /** 0 or absent: a free port chosen by the system. */
  ports?: { shopify?: number; stripe?: number; mailchimp?: number };
  /** Initial fault settings, applied to all three emulators. */
  faults?: FaultSettingsInput;
  /** Steady rate limit for all three, per tenant (overrides faults.rateLimit); default null = none. */
  rateLimit?: { requestsPerSecond: number } | null;
  /**
   * More Shopify Admin API tokens of the first shop, each with the scopes it is granted (e.g. one
   * without read_orders, to see testConnection refuse it). The shops' own tokens have SANDBOX_SHOPIFY_SCOPES.
   */
  shopifyTokens?: ShopifyTokenScopes;
  /** Several tenants per emulator (see the module header); a provider left out keeps its default tenant. */
  tenants?: SandboxTenants;
  /** Records sharing one change time, per data set (see the module header); tenants may set their own. */
  sharedTimestamp?: { orders?: SharedTimestampOption; charges?: SharedTimestampOption; members?: SharedTimestampOption };
  /**
   * Every emulator's clock starts this far from the real one (ms; default 0), and the data sets are
   * generated around it (ending an hour before the emulators' now). See the module header.
   */
  clockOffsetMs?: number;
}

export interface Sandbox {
  shopify: Emulator;
  stripe: StripeEmulator;
  mailchimp: Emulator;
  /** The first tenant's credentials per provider, and every tenant's under `tenants`. */
  credentials: SandboxCredentials & { tenants: TenantCredentials };
  close(): Promise<void>;
}

function sharedOption(v: unknown): NonNullable<SandboxOptions['sharedTimestamp']> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('sandbox: sharedTimestamp must be {orders?, charges?, members?}');
  for (const k of Object.keys(v)) if (k !== 'orders' && k !== 'charges' && k !== 'members') throw new Error(`sandbox: sharedTimestamp: unknown data set "${k}" (known: orders, charges, members)`);
  return v as NonNullable<SandboxOptions['sharedTimestamp']>;
}

function size(value: number | undefined, name: string): number {
  const n = value ?? DEFAULT_SANDBOX_SIZE;
  if (!Number.isInteger(n) || n < 0) throw new Error(`sandbox: sizes.${name} must be a non-negative integer`);
  return n;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const seed = options.seed ?? 1;
  if (!Number.isFinite(seed)) throw new Error('sandbox: seed must be a number');
  const host = options.host ?? '127.0.0.1';
  const defaults = sandboxCredentials(seed);
  const faults: FaultSettingsInput = { ...(options.faults ?? {}) };
  if (options.rateLimit !== undefined) faults.rateLimit = options.rateLimit;

  const offset = SandboxClock.check(options.clockOffsetMs ?? 0, 'sandbox: clockOffsetMs');
  const clocks = { shopify: new SandboxClock(offset), stripe: new SandboxClock(offset), mailchimp: new SandboxClock(offset) };
  // The data sets are generated around the emulators' now, not the real one.
  const startMs = clocks.stripe.now();
  const ctx = {
    seed,
    startMs,
    sizes: { orders: size(options.sizes?.orders, 'orders'), charges: size(options.sizes?.charges, 'charges'), members: size(options.sizes?.members, 'members') },
    clocks,
    ...(options.sharedTimestamp !== undefined ? { shared: sharedOption(options.sharedTimestamp) } : {}),
  };
  const declared = options.tenants ?? {};
  const shopify = shopifyProvider(ctx, declared.shopify, defaults.shopify, options.shopifyTokens);
  const stripe = stripeProvider(ctx, declared.stripe, defaults.stripe);
  const mailchimp = mailchimpProvider(ctx, declared.mailchimp, defaults.mailchimp);
  const first = <C>(creds: Record<string, C>): C => Object.values(creds)[0]!;
  const credentials = {
    shopify: first(shopify.credentials),
    stripe: first(stripe.credentials),
    mailchimp: first(mailchimp.credentials),
    tenants: { shopify: shopify.credentials, stripe: stripe.credentials, mailchimp: mailchimp.credentials },
  };

  const servers = [
    new EmulatorServer(shopify.spec, faults, clocks.shopify),
    new StripeEmulatorServer(stripe.spec, faults, clocks.stripe),
    new EmulatorServer(mailchimp.spec, faults, clocks.mailchimp),
  ] as const;
  // Built now rather than on a tenant's first request: a large data set takes a while to generate
  // and would stall every tenant's requests mid-run.
  for (const spec of [shopify.spec, stripe.spec, mailchimp.spec]) for (const t of spec.tenants) t.load();
  const ports = [options.ports?.shopify ?? 0, options.ports?.stripe ?? 0, options.ports?.mailchimp ?? 0];
  try {
    await Promise.all(servers.map((s, k) => s.listen(host, ports[k]!)));
  } catch (err) {
    await Promise.allSettled(servers.map((s) => s.close()));
    throw err;
  }

  let closed: Promise<void> | null = null;
  return {
    shopify: servers[0],
    stripe: servers[1],
    mailchimp: servers[2],
    credentials,
    close() {
      closed ??= Promise.all(servers.map((s) => s.close())).then(() => undefined);
      return closed;
    },
  };
}
