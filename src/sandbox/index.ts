// Local emulators of the three pull sources (Shopify orders, Stripe charges, Mailchimp members), for
// the demo, the integration tests and the benchmarks. Executors reach them through
// CallOptions.baseUrlOverride (sandbox mode only).
import { sandboxCredentials, type SandboxCredentials } from './credentials.js';
import type { FaultSettings } from './faults.js';
import { mailchimpApi } from './mailchimp.js';
import { MailchimpMembers } from './mailchimp-data.js';
import { EmulatorServer } from './server.js';
import { shopifyApi, type ShopifyTokenScopes } from './shopify.js';
import { ShopifyOrders } from './shopify-data.js';
import { stripeApi } from './stripe.js';
import { StripeCharges } from './stripe-data.js';
import type { Emulator } from './types.js';

export type { FaultController, FaultSettings, FailStatus } from './faults.js';
export type { SandboxCredentials } from './credentials.js';
export type { Emulator, EmulatorStats, MutateOptions, MutateResult, RecordSummary, RecordedRequest } from './types.js';
export { STRIPE_SANDBOX_API_VERSION } from './stripe.js';
export { SANDBOX_SHOPIFY_SCOPES, shopifyServedVersion, type ShopifyTokenScopes } from './shopify.js';

export const DEFAULT_SANDBOX_SIZE = 2500;

export interface SandboxOptions {
  /** Seed of every generated value (default 1). */
  seed?: number;
  /** Records per data set (default 2,500 each). */
  sizes?: { orders?: number; charges?: number; members?: number };
  /** Listening address (default 127.0.0.1). */
  host?: string;
  /** 0 or absent: a free port chosen by the system. */
  ports?: { shopify?: number; stripe?: number; mailchimp?: number };
  /** Initial fault settings, applied to all three emulators. */
  faults?: Partial<FaultSettings>;
  /** Steady rate limit for all three (overrides faults.rateLimit); default null = none. */
  rateLimit?: { requestsPerSecond: number } | null;
  /**
   * More Shopify Admin API tokens, each with the scopes it is granted (e.g. one without read_orders,
   * to see testConnection refuse it). The sandbox's own token has SANDBOX_SHOPIFY_SCOPES.
   */
  shopifyTokens?: ShopifyTokenScopes;
}

export interface Sandbox {
  shopify: Emulator;
  stripe: Emulator;
  mailchimp: Emulator;
  credentials: SandboxCredentials;
  close(): Promise<void>;
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
  const startMs = Date.now();
  const credentials = sandboxCredentials(seed);
  const faults: Partial<FaultSettings> = { ...(options.faults ?? {}) };
  if (options.rateLimit !== undefined) faults.rateLimit = options.rateLimit;

  const orders = new ShopifyOrders(seed, size(options.sizes?.orders, 'orders'), startMs);
  const charges = new StripeCharges(seed, size(options.sizes?.charges, 'charges'), startMs);
  const members = new MailchimpMembers(seed, size(options.sizes?.members, 'members'), startMs, credentials.mailchimp.listId);

  const servers = [
    new EmulatorServer(shopifyApi(orders, credentials.shopify, options.shopifyTokens), orders, faults),
    new EmulatorServer(stripeApi(charges, credentials.stripe), charges, faults),
    new EmulatorServer(mailchimpApi(members, credentials.mailchimp), members, faults),
  ] as const;
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
