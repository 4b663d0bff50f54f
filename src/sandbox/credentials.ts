// Credentials the emulators accept. Derived from the seed (so a demo can be re-run with the same
// config) and plainly fake: Stripe keys are test-mode keys marked "sandbox", never sk_live_.
import { ALNUM, HEX, randChars, rngFor } from './prng.js';

export interface SandboxCredentials {
  shopify: { shopDomain: string; accessToken: string };
  stripe: { secretKey: string };
  mailchimp: { apiKey: string; listId: string };
}

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
