// The rate key of a connection: the name of the provider budget it draws from (a Shopify store, a
// Stripe account, a Mailchimp API key, a Slack webhook…), from the connector's rate scope. It becomes
// the Temporal fairness key of every provider activity of the connection, so the server holds each
// key to its own budget across all workers, and keys take turns.
//
// Stable (the same config always gives the same key, on every worker), short (Temporal allows 64
// bytes), and never a secret: non-secret fields (a shop domain, an account SID) are used as they
// are; secret ones (an API key, a webhook URL) only through a truncated keyed hash. Two connections
// with the same credential therefore share a key, as they share the provider's budget.
import { createHash, createHmac } from 'node:crypto';
import type { RateScopeSpec } from './types.js';

/** Temporal's limit on a fairness key. */
export const MAX_RATE_KEY_BYTES = 64;

/**
 * The HMAC key of secret parts. A deployment may set PIPELINE_RATE_KEY_SALT (the same on every worker
 * and client) so that the hashes in Temporal history cannot be compared with other deployments'.
 */
function salt(env: NodeJS.ProcessEnv): string {
  return `pipeline-rate-key:v1:${env.PIPELINE_RATE_KEY_SALT ?? ''}`;
}

function secretPart(value: string, env: NodeJS.ProcessEnv): string {
  // 16 hex characters (64 bits): no collisions among a deployment's credentials in practice, and far
  // too little of the digest to learn anything about a high-entropy credential.
  return `h${createHmac('sha256', salt(env)).update(value, 'utf8').digest('hex').slice(0, 16)}`;
}

export function rateKey(
  connectorId: string,
  scope: RateScopeSpec,
  config: Record<string, unknown>,
  secretFields: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): string {
  const parts = scope.fields.map((field) => {
    const raw = config[field];
    const value = raw === undefined || raw === null ? '' : String(raw);
    if (value === '') return '-';
    return secretFields.includes(field) ? secretPart(value, env) : value.toLowerCase();
  });
  const key = `${connectorId}:${parts.join(':')}`;
  if (Buffer.byteLength(key, 'utf8') <= MAX_RATE_KEY_BYTES) return key;
  // A long non-secret name (a stream ARN): keep the connector readable, hash the rest.
  return `${connectorId}:${createHash('sha256').update(parts.join(':'), 'utf8').digest('hex').slice(0, 32)}`;
}
