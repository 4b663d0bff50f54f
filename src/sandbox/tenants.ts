// Tenants of the emulators: the shops of the Shopify emulator, the accounts (secret keys) of the
// Stripe emulator and the API keys of the Mailchimp emulator. Each has its own data set, credentials
// and limits; see index.ts for the options and what they mean. This module validates the options
// and turns them into the ProviderSpec each EmulatorServer runs.
import {
  mailchimpTenantCredentials,
  shopifyTenantCredentials,
  stripeTenantCredentials,
  type MailchimpTenantCredentials,
  type SandboxCredentials,
  type ShopifyTenantCredentials,
  type StripeTenantCredentials,
} from './credentials.js';
import { mailchimpApi, mailchimpCredential, MAILCHIMP_SANDBOX_CONNECTIONS } from './mailchimp.js';
import { MailchimpMembers } from './mailchimp-data.js';
import { hash32 } from './prng.js';
import type { SandboxClock } from './clock.js';
import type { ProviderSpec, Tenant, TenantLimits } from './server.js';
import { SHOPIFY_PLAN_RATES, shopifyApi, shopifyCredential, type ShopifyPlan, type ShopifyTokenScopes } from './shopify.js';
import { ShopifyOrders } from './shopify-data.js';
import { stripeApi, stripeCredential } from './stripe.js';
import { StripeCharges } from './stripe-data.js';
import { optionInstantSec } from './time.js';

/** The tenant of an emulator started without declared tenants (the sandbox's historical one). */
export const DEFAULT_TENANT = 'default';
/** Lower-case letters, digits and hyphens: a shop's name is also its myshopify.com subdomain. */
export const TENANT_NAME_RE = /^[a-z0-9][a-z0-9-]{0,59}$/;
export const MAX_TENANTS = 1000;
/** Shopify's REST bucket: 40 requests per shop and app (https://shopify.dev/docs/api/admin-rest/usage/rate-limits). */
export const SHOPIFY_BUCKET_SIZE = 40;
/** Stripe's global limit per account: 25 requests/second in test mode (sandboxes), 100 in live mode (https://docs.stripe.com/rate-limits). */
export const STRIPE_MODE_RATES = { test: 25, live: 100 } as const;

/**
 * `count` records of a data set share one change time `at` (ISO-8601; default: the middle of the
 * generated 30 days): Shopify updated_at, Stripe created, Mailchimp last_changed. The run sits where
 * `at` falls among the generated times, so the data stays ordered around it. Ties are ordered by id,
 * as the emulators always order them: Shopify lists by order id anyway; Stripe lists newest first with
 * equal created in descending charge id; Mailchimp sorts equal last_changed by member id (ascending
 * for sort_dir=ASC, reversed for DESC).
 */
export interface SharedTimestampOption {
  count: number;
  at?: string;
}

export interface ShopifyTenantOptions {
  /** Unique on the emulator; the shop is `<name>.myshopify.com`. */
  name: string;
  /** Orders of this shop (default: sizes.orders, else 2,500). */
  orders?: number;
  /** Orders sharing one updated_at (default: the sandbox's sharedTimestamp.orders). */
  sharedTimestamp?: SharedTimestampOption;
  /** The shop's plan, which sets its leak rate: standard 2/s (default), advanced 4/s, plus 20/s, enterprise 40/s. */
  plan?: ShopifyPlan;
  /** The shop's leaky bucket, overriding the plan's (size default 40). null: no limit. */
  bucket?: { size?: number; leakPerSecond?: number } | null;
  /** More Admin API tokens of this shop, with their scopes (e.g. one without read_orders). */
  tokens?: ShopifyTokenScopes;
}

export interface StripeTenantOptions {
  /** Unique on the emulator. */
  name: string;
  /** Charges of this account (default: sizes.charges, else 2,500). */
  charges?: number;
  /** Charges sharing one created second (default: the sandbox's sharedTimestamp.charges). */
  sharedTimestamp?: SharedTimestampOption;
  /** test (default): key sk_test_sandbox…, 25 requests/s; live: key sk_live_sandbox…, 100 requests/s, objects livemode: true. */
  mode?: 'test' | 'live';
  /** Overrides the mode's limit (a token bucket holding one second). null: no limit. */
  requestsPerSecond?: number | null;
}

export interface MailchimpTenantOptions {
  /** Unique on the emulator. */
  name: string;
  /** Members of this key's audience (default: sizes.members, else 2,500). */
  members?: number;
  /** Members sharing one last_changed (default: the sandbox's sharedTimestamp.members). */
  sharedTimestamp?: SharedTimestampOption;
  /** Simultaneous requests the key is allowed (default 10, Mailchimp's); null: unlimited. */
  maxConnections?: number | null;
  /** The data centre the key ends with (default us6). */
  dataCenter?: string;
}

export interface SandboxTenants {
  shopify?: readonly ShopifyTenantOptions[];
  stripe?: readonly StripeTenantOptions[];
  mailchimp?: readonly MailchimpTenantOptions[];
}

export interface BuildContext {
  seed: number;
  startMs: number;
  /** Default records per data set, already validated. */
  sizes: { orders: number; charges: number; members: number };
  /** Each emulator's clock, which its data sets stamp changes with. */
  clocks: { shopify: SandboxClock; stripe: SandboxClock; mailchimp: SandboxClock };
  /** The sandbox-wide sharedTimestamp options, for tenants without their own. */
  shared?: { orders?: SharedTimestampOption; charges?: SharedTimestampOption; members?: SharedTimestampOption };
}

type SharedRun = { count: number; at: number } | undefined;

/**
 * A data set's shared run: the tenant's own option (a count above the set's size is an error) or
 * else the sandbox's (clipped to the set's size, so one option fits tenants of every size).
 */
export function sharedRun(ctx: BuildContext, kind: 'orders' | 'charges' | 'members', own: unknown, size: number, where: string): SharedRun {
  const inherited = own === undefined;
  const opt = inherited ? ctx.shared?.[kind] : own;
  if (opt === undefined) return undefined;
  const name = inherited ? `sharedTimestamp.${kind}` : `${where}.sharedTimestamp`;
  if (!isRecord(opt)) throw new Error(`sandbox: ${name} must be {count, at?}`);
  checkFields(opt, ['count', 'at'], name);
  const n = count(opt.count, 0, `${name}.count`);
  if (!inherited && n > size) throw new Error(`sandbox: ${name}.count (${n}) exceeds the ${size} records of the data set`);
  const end = Math.floor(ctx.startMs / 1000) - 3600;
  const at = opt.at === undefined ? end - 15 * 86_400 : optionInstantSec(opt.at, `${name}.at`);
  return { count: Math.min(n, size), at };
}

export interface BuiltProvider<C> {
  spec: ProviderSpec;
  /** Tenant name -> its credentials, in declaration order. */
  credentials: Record<string, C>;
}

const NO_LIMITS: TenantLimits = { rate: null, maxConcurrent: null };

function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

/** FNV-1a of a string, to seed a tenant's data from its name. */
function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The data seed of a declared tenant: the sandbox's seed and the tenant's name. */
export function tenantSeed(seed: number, provider: string, name: string): number {
  return hash32(seed, 0x7e4a, nameHash(provider), nameHash(name));
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkFields(o: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new Error(`sandbox: ${where}: unknown option "${k}" (known: ${allowed.join(', ')})`);
}

function count(v: unknown, fallback: number, where: string): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`sandbox: ${where} must be a non-negative integer`);
  return v;
}

function positive(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new Error(`sandbox: ${where} must be a positive number`);
  return v;
}

function positiveInt(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error(`sandbox: ${where} must be a positive integer`);
  return v;
}

/** Checks the list and each tenant's name and fields; returns the records typed loosely for the builders. */
function checkList(list: unknown, provider: string, allowed: readonly string[]): Record<string, unknown>[] {
  if (!Array.isArray(list) || list.length === 0) throw new Error(`sandbox: tenants.${provider} must be a non-empty array`);
  if (list.length > MAX_TENANTS) throw new Error(`sandbox: tenants.${provider} holds at most ${MAX_TENANTS} tenants`);
  const seen = new Set<string>();
  return list.map((t: unknown, k) => {
    if (!isRecord(t)) throw new Error(`sandbox: tenants.${provider}[${k}] must be an object`);
    const name = t.name;
    if (typeof name !== 'string' || !TENANT_NAME_RE.test(name)) {
      throw new Error(`sandbox: tenants.${provider}[${k}].name must be lower-case letters, digits and hyphens (got ${JSON.stringify(name)})`);
    }
    if (seen.has(name)) throw new Error(`sandbox: tenants.${provider} names "${name}" twice`);
    seen.add(name);
    checkFields(t, allowed, `tenants.${provider}["${name}"]`);
    return t;
  });
}

function tokenScopes(v: unknown, where: string): ShopifyTokenScopes {
  if (v === undefined) return {};
  if (!isRecord(v)) throw new Error(`sandbox: ${where} must map tokens to scope lists`);
  for (const [token, scopes] of Object.entries(v)) {
    if (token === '' || !Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string')) throw new Error(`sandbox: ${where}: each token needs a list of scope names`);
  }
  return v as ShopifyTokenScopes;
}

export function shopifyProvider(ctx: BuildContext, declared: readonly ShopifyTenantOptions[] | undefined, defaults: SandboxCredentials['shopify'], firstShopTokens: ShopifyTokenScopes = {}): BuiltProvider<ShopifyTenantCredentials> {
  const credentials: Record<string, ShopifyTenantCredentials> = {};
  const tenants: Tenant[] = [];
  const clock = () => ctx.clocks.shopify.now();
  if (declared === undefined) {
    const size = ctx.sizes.orders;
    const shared = sharedRun(ctx, 'orders', undefined, size, 'shopify');
    credentials[DEFAULT_TENANT] = defaults;
    tenants.push({
      name: DEFAULT_TENANT,
      secrets: [...new Set([defaults.accessToken, ...Object.keys(firstShopTokens)])],
      limits: NO_LIMITS,
      load: lazy(() => {
        const store = new ShopifyOrders(ctx.seed, size, ctx.startMs, 0, { now: clock, shared });
        return { store, api: shopifyApi(store, defaults, firstShopTokens) };
      }),
    });
  } else {
    checkList(declared, 'shopify', ['name', 'orders', 'plan', 'bucket', 'tokens', 'sharedTimestamp']).forEach((t, k) => {
      const o = t as unknown as ShopifyTenantOptions;
      const where = `tenants.shopify["${o.name}"]`;
      const size = count(o.orders, ctx.sizes.orders, `${where}.orders`);
      const shared = sharedRun(ctx, 'orders', o.sharedTimestamp, size, where);
      const plan = o.plan ?? 'standard';
      if (!Object.hasOwn(SHOPIFY_PLAN_RATES, plan)) throw new Error(`sandbox: ${where}.plan must be one of ${Object.keys(SHOPIFY_PLAN_RATES).join(', ')}`);
      let rate: TenantLimits['rate'] = null;
      if (o.bucket !== null) {
        if (o.bucket !== undefined && !isRecord(o.bucket)) throw new Error(`sandbox: ${where}.bucket must be null or {size?, leakPerSecond?}`);
        if (o.bucket) checkFields(o.bucket as Record<string, unknown>, ['size', 'leakPerSecond'], `${where}.bucket`);
        const depth = o.bucket?.size === undefined ? SHOPIFY_BUCKET_SIZE : positiveInt(o.bucket.size, `${where}.bucket.size`);
        const leak = o.bucket?.leakPerSecond === undefined ? SHOPIFY_PLAN_RATES[plan] : positive(o.bucket.leakPerSecond, `${where}.bucket.leakPerSecond`);
        rate = { requestsPerSecond: leak, burst: depth };
      }
      const creds = shopifyTenantCredentials(ctx.seed, o.name);
      const tokens = { ...(k === 0 ? firstShopTokens : {}), ...tokenScopes(o.tokens, `${where}.tokens`) };
      credentials[o.name] = creds;
      tenants.push({
        name: o.name,
        secrets: [...new Set([creds.accessToken, ...Object.keys(tokens)])],
        limits: { rate, maxConcurrent: null },
          load: lazy(() => {
          const store = new ShopifyOrders(tenantSeed(ctx.seed, 'shopify', o.name), size, ctx.startMs, k, { now: clock, shared });
          return { store, api: shopifyApi(store, creds, tokens, { shopName: o.name, plan, shopIndex: k }) };
        }),
      });
    });
  }
  return { spec: { name: 'shopify', limiter: 'leaky', credentialOf: shopifyCredential, tenants }, credentials };
}

export function stripeProvider(ctx: BuildContext, declared: readonly StripeTenantOptions[] | undefined, defaults: SandboxCredentials['stripe']): BuiltProvider<StripeTenantCredentials> {
  const credentials: Record<string, StripeTenantCredentials> = {};
  const tenants: Tenant[] = [];
  const clock = () => ctx.clocks.stripe.now();
  if (declared === undefined) {
    const size = ctx.sizes.charges;
    const shared = sharedRun(ctx, 'charges', undefined, size, 'stripe');
    credentials[DEFAULT_TENANT] = defaults;
    tenants.push({
      name: DEFAULT_TENANT,
      secrets: [defaults.secretKey],
      limits: NO_LIMITS,
      load: lazy(() => {
        const store = new StripeCharges(ctx.seed, size, ctx.startMs, { now: clock, shared });
        return { store, api: stripeApi(store, defaults) };
      }),
    });
  } else {
    for (const t of checkList(declared, 'stripe', ['name', 'charges', 'mode', 'requestsPerSecond', 'sharedTimestamp'])) {
      const o = t as unknown as StripeTenantOptions;
      const where = `tenants.stripe["${o.name}"]`;
      const size = count(o.charges, ctx.sizes.charges, `${where}.charges`);
      const shared = sharedRun(ctx, 'charges', o.sharedTimestamp, size, where);
      const mode = o.mode ?? 'test';
      if (mode !== 'test' && mode !== 'live') throw new Error(`sandbox: ${where}.mode must be test or live`);
      let rate: TenantLimits['rate'] = null;
      if (o.requestsPerSecond !== null) {
        const rps = o.requestsPerSecond === undefined ? STRIPE_MODE_RATES[mode] : positive(o.requestsPerSecond, `${where}.requestsPerSecond`);
        rate = { requestsPerSecond: rps, burst: Math.max(1, rps) };
      }
      const creds = stripeTenantCredentials(ctx.seed, o.name, mode);
      credentials[o.name] = creds;
      tenants.push({
        name: o.name,
        secrets: [creds.secretKey],
        limits: { rate, maxConcurrent: null },
          load: lazy(() => {
          const store = new StripeCharges(tenantSeed(ctx.seed, 'stripe', o.name), size, ctx.startMs, { now: clock, shared });
          return { store, api: stripeApi(store, creds, { livemode: mode === 'live' }) };
        }),
      });
    }
  }
  return { spec: { name: 'stripe', limiter: 'token', credentialOf: stripeCredential, tenants }, credentials };
}

export function mailchimpProvider(ctx: BuildContext, declared: readonly MailchimpTenantOptions[] | undefined, defaults: SandboxCredentials['mailchimp']): BuiltProvider<MailchimpTenantCredentials> {
  const credentials: Record<string, MailchimpTenantCredentials> = {};
  const tenants: Tenant[] = [];
  const clock = () => ctx.clocks.mailchimp.now();
  if (declared === undefined) {
    const size = ctx.sizes.members;
    const shared = sharedRun(ctx, 'members', undefined, size, 'mailchimp');
    credentials[DEFAULT_TENANT] = defaults;
    tenants.push({
      name: DEFAULT_TENANT,
      secrets: [defaults.apiKey],
      // Mailchimp's cap on simultaneous connections has always applied, also to the default key.
      limits: { rate: null, maxConcurrent: MAILCHIMP_SANDBOX_CONNECTIONS },
      load: lazy(() => {
        const store = new MailchimpMembers(ctx.seed, size, ctx.startMs, defaults.listId, { now: clock, shared });
        return { store, api: mailchimpApi(store, defaults) };
      }),
    });
  } else {
    for (const t of checkList(declared, 'mailchimp', ['name', 'members', 'maxConnections', 'dataCenter', 'sharedTimestamp'])) {
      const o = t as unknown as MailchimpTenantOptions;
      const where = `tenants.mailchimp["${o.name}"]`;
      const size = count(o.members, ctx.sizes.members, `${where}.members`);
      const shared = sharedRun(ctx, 'members', o.sharedTimestamp, size, where);
      const maxConcurrent = o.maxConnections === null ? null : o.maxConnections === undefined ? MAILCHIMP_SANDBOX_CONNECTIONS : positiveInt(o.maxConnections, `${where}.maxConnections`);
      const dc = o.dataCenter ?? 'us6';
      if (typeof dc !== 'string' || !/^[a-z]+[0-9]+$/.test(dc)) throw new Error(`sandbox: ${where}.dataCenter must look like us6`);
      const creds = mailchimpTenantCredentials(ctx.seed, o.name, dc);
      credentials[o.name] = creds;
      tenants.push({
        name: o.name,
        secrets: [creds.apiKey],
        limits: { rate: null, maxConcurrent },
          load: lazy(() => {
          const store = new MailchimpMembers(tenantSeed(ctx.seed, 'mailchimp', o.name), size, ctx.startMs, creds.listId, { now: clock, shared });
          return { store, api: mailchimpApi(store, creds, maxConcurrent === null ? {} : { maxConnections: maxConcurrent }) };
        }),
      });
    }
  }
  return { spec: { name: 'mailchimp', limiter: 'token', credentialOf: mailchimpCredential, tenants }, credentials };
}
