// Credentials the emulators accept. Derived from the seed (so a demo can be re-run with the same
// config) and plainly fake: every token and key carries "sandbox"; Stripe keys are test-mode keys
// unless a tenant is declared in live mode (sk_live_sandbox…, still fake and only accepted here).
import { createHash } from 'node:crypto';
import { ALNUM, HEX, randChars, rngFor } from './prng.js';

export interface ShopifyTenantCredentials {
  shopDomain: string;
  accessToken: string;
}

export interface StripeTenantCredentials {
  secretKey: string;
}

export interface MailchimpTenantCredentials {
  apiKey: string;
  listId: string;
}

/** The credentials of the first tenant of each emulator (the only one unless tenants are declared). */
export interface SandboxCredentials {
  shopify: ShopifyTenantCredentials;
  stripe: StripeTenantCredentials;
  mailchimp: MailchimpTenantCredentials;
}

/**
 * Every tenant's credentials by tenant name, in declaration order. Each value holds exactly the
 * connector's config fields, so `{ ...tenants.shopify['shop-01'] }` registers a connection.
 */
export interface TenantCredentials {
  shopify: Record<string, ShopifyTenantCredentials>;
  stripe: Record<string, StripeTenantCredentials>;
  mailchimp: Record<string, MailchimpTenantCredentials>;
}

/** The single default tenant's credentials (unchanged since the sandbox had one tenant per emulator). */
export function sandboxCredentials(seed: number): SandboxCredentials {
  const rng = rngFor(seed, 0xc4ed);
  return {
    shopify: { shopDomain: 'sandbox-shop.myshopify.com', accessToken: `shpat_sandbox_${randChars(rng, HEX, 24)}` },
    // Alphanumeric after the mode, like real keys (configs validate `(sk|rk)_(live|test)_[A-Za-z0-9]+`).
    stripe: { secretKey: `sk_test_sandbox${randChars(rng, ALNUM, 24)}` },
    // Same shape as a real key (32 hex + data centre) so config validation accepts it.
    mailchimp: { apiKey: `${randChars(rng, HEX, 32)}-us6`, listId: randChars(rng, HEX, 10) },
  };
}

/** `length` characters of `alphabet` drawn from SHA-256(seed, provider, name, purpose): stable, distinct per tenant. */
function derived(seed: number, provider: string, name: string, purpose: string, alphabet: string, length: number): string {
  let out = '';
  for (let block = 0; out.length < length; block++) {
    const digest = createHash('sha256').update(`sandbox-tenant\0${seed}\0${provider}\0${name}\0${purpose}\0${block}`).digest();
    for (const b of digest) {
      if (out.length === length) break;
      out += alphabet[b % alphabet.length];
    }
  }
  return out;
}

/** A declared shop: `<name>.myshopify.com` with its own Admin API token. */
export function shopifyTenantCredentials(seed: number, name: string): ShopifyTenantCredentials {
  return { shopDomain: `${name}.myshopify.com`, accessToken: `shpat_sandbox_${derived(seed, 'shopify', name, 'token', HEX, 24)}` };
}

/** A declared Stripe account: its secret key, sk_test_sandbox… or (live mode) sk_live_sandbox…. */
export function stripeTenantCredentials(seed: number, name: string, mode: 'test' | 'live'): StripeTenantCredentials {
  return { secretKey: `sk_${mode}_sandbox${derived(seed, 'stripe', name, 'key', ALNUM, 24)}` };
}

/** A declared Mailchimp API key (32 hex, a dash, the data centre) and the id of its audience. */
export function mailchimpTenantCredentials(seed: number, name: string, dataCenter: string): MailchimpTenantCredentials {
  return { apiKey: `${derived(seed, 'mailchimp', name, 'key', HEX, 32)}-${dataCenter}`, listId: derived(seed, 'mailchimp', name, 'list', HEX, 10) };
}
