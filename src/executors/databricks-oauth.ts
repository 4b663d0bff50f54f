// Databricks OAuth machine-to-machine: a service principal's client id and secret are exchanged at
// the workspace's /oidc/v1/token endpoint (client_credentials, scope all-apis, HTTP Basic client
// authentication) for a short-lived bearer token, cached in memory until shortly before it expires.
// Facts: https://docs.databricks.com/aws/en/dev-tools/auth/oauth-m2m
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { callOptions } from './support.js';
import type { CallOptions, ConnectorResponse } from '../core/envelope.js';
import { withError } from '../core/envelope.js';
import { connectorError } from '../core/errors.js';
import { httpRequest } from '../core/http.js';
import { basicAuth, redact } from '../core/redact.js';

const tokenBody = z.looseObject({
  access_token: z.string().min(1),
  expires_in: z.number().positive(),
  token_type: z.string().optional(),
});
// RFC 6749 §5.2 error body.
const oauthError = z.looseObject({ error: z.string(), error_description: z.string().optional() });

/** Renew this long before the token expires (half its lifetime for unusually short tokens). */
const RENEW_MARGIN_S = 5 * 60;

interface CachedToken {
  token: string;
  renewAtMs: number;
}

const cache = new Map<string, CachedToken>();
// Concurrent calls of one worker share one token request instead of racing for several.
const inFlight = new Map<string, Promise<{ token: string } | { fail: ConnectorResponse<never> }>>();

/** For tests: forget every cached token. */
export function clearDatabricksTokenCache(): void {
  cache.clear();
  inFlight.clear();
}

function cacheKey(base: string, clientId: string, clientSecret: string): string {
  // The secret is part of the key (a rotated secret must not reuse a token), but only as a hash.
  return `${base}|${clientId}|${createHash('sha256').update(clientSecret).digest('hex')}`;
}

export interface M2MCredentials {
  base: string;
  clientId: string;
  clientSecret: string;
  requestMs: number;
}

/** Drops the cached token (after a 401: it was revoked or expired early). */
export function forgetDatabricksToken(c: M2MCredentials): void {
  cache.delete(cacheKey(c.base, c.clientId, c.clientSecret));
}

async function fetchToken(c: M2MCredentials, opts?: CallOptions): Promise<{ token: string } | { fail: ConnectorResponse<never> }> {
  const authorization = basicAuth(c.clientId, c.clientSecret);
  const secrets = [c.clientSecret];
  const res = await httpRequest({
    provider: 'Databricks OAuth',
    method: 'POST',
    url: `${c.base}/oidc/v1/token`,
    headers: { authorization },
    form: { grant_type: 'client_credentials', scope: 'all-apis' },
    secrets,
    ...callOptions(opts, c.requestMs),
  });
  if (!res.ok) {
    const parsed = oauthError.safeParse(res.body);
    if (!parsed.success || !res.error || res.status === 0) return { fail: withError(res, res.error!) };
    const { error, error_description } = parsed.data;
    const message = redact(`Databricks OAuth token request answered HTTP ${res.status}: ${error}${error_description ? `: ${error_description}` : ''}`, secrets);
    return { fail: withError(res, { ...res.error, message }) };
  }
  const parsed = tokenBody.safeParse(res.body);
  if (!parsed.success) {
    return { fail: withError(res, connectorError('invalid_response', `Databricks OAuth token endpoint answered HTTP ${res.status} without an access_token and expires_in`)) };
  }
  const { access_token, expires_in } = parsed.data;
  const margin = Math.min(RENEW_MARGIN_S, expires_in / 2);
  cache.set(cacheKey(c.base, c.clientId, c.clientSecret), { token: access_token, renewAtMs: Date.now() + (expires_in - margin) * 1000 });
  return { token: access_token };
}

/** A valid access token for the service principal: cached, or freshly requested. */
export async function databricksM2MToken(c: M2MCredentials, opts?: CallOptions): Promise<{ token: string } | { fail: ConnectorResponse<never> }> {
  const key = cacheKey(c.base, c.clientId, c.clientSecret);
  const cached = cache.get(key);
  if (cached && Date.now() < cached.renewAtMs) return { token: cached.token };
  const pending = inFlight.get(key);
  if (pending) return pending;
  const request = fetchToken(c, opts).finally(() => inFlight.delete(key));
  inFlight.set(key, request);
  return request;
}
