// A provider's request context, bound once per connector (the lesson of Segment's `extendRequest`):
// the config check, the base URL (or the sandbox override), the auth headers, the secrets to redact,
// the per-call timeout and the provider's error refinement are declared in one place, so that each
// executor method is only its endpoint and what it makes of the answer.
import type { CallOptions, ConnectorResponse } from '../core/envelope.js';
import { boundedError } from '../core/errors.js';
import { httpRequest, type HttpRequest, type HttpResponse } from '../core/http.js';
import { redact } from '../core/redact.js';
import { getConnector } from '../registry/index.js';
import { baseUrl, callOptions, checkConfig, secretsOf } from './support.js';

export interface ProviderBinding<C> {
  connectorId: string;
  /** The provider's name in messages ("Klaviyo answered HTTP 401: …"). */
  provider: string;
  /** The provider's base URL for this config (before any sandbox override), without a trailing slash. */
  baseUrl(config: C): string;
  /** Path prefix added after the base (also after a sandbox override), e.g. "/api". */
  pathPrefix?: string | ((config: C) => string);
  /** Auth and version headers every request carries. */
  headers(config: C): Record<string, string>;
  /** Extra secrets to redact besides the config's secret fields (derived tokens, say). */
  extraSecrets?(config: C): string[];
  /** Provider-specific refinement of a failed answer (a clearer message, another code). */
  refineError?(res: HttpResponse, secrets: readonly string[]): HttpResponse;
}

export interface BoundRequest extends Omit<HttpRequest, 'provider' | 'url' | 'secrets' | 'timeoutMs' | 'signal'> {
  /** Path after the base and prefix, starting with "/"; or an absolute URL (a pagination link). */
  path: string;
}

export interface BoundProvider<C> {
  config: C;
  secrets: string[];
  /** Base URL with the path prefix. */
  base: string;
  opts: CallOptions | undefined;
  request(r: BoundRequest): Promise<HttpResponse>;
}

/**
 * Checks the config (fail closed: `missing_secret` / `invalid_config` before any request), resolves
 * the base URL, and returns the bound provider, or the failing envelope.
 */
export function bindProvider<C>(binding: ProviderBinding<C>, rawConfig: unknown, opts: CallOptions | undefined): { provider: BoundProvider<C> } | { fail: ConnectorResponse<never> } {
  const checked = checkConfig<C>(binding.connectorId, rawConfig);
  if ('fail' in checked) return checked;
  const config = checked.config;
  const resolved = baseUrl(binding.baseUrl(config), opts);
  if ('fail' in resolved) return resolved;
  const prefix = typeof binding.pathPrefix === 'function' ? binding.pathPrefix(config) : binding.pathPrefix ?? '';
  const base = `${resolved.base}${prefix}`;
  const secrets = [...secretsOf(binding.connectorId, config as Record<string, unknown>), ...(binding.extraSecrets?.(config) ?? [])];
  const requestMs = getConnector(binding.connectorId).policy.timeouts.requestMs;
  return {
    provider: {
      config,
      secrets,
      base,
      opts,
      async request(r) {
        const { path, headers, ...rest } = r;
        const res = await httpRequest({
          ...rest,
          provider: binding.provider,
          url: /^https?:\/\//.test(path) ? path : `${base}${path}`,
          headers: { ...binding.headers(config), ...headers },
          secrets,
          ...callOptions(opts, requestMs),
        });
        if (!binding.refineError) return res;
        // A refinement may copy provider headers or body parts into the message (Shopify's call
        // limit): redacted, then bounded, here once for every connector.
        const refined = binding.refineError(res, secrets);
        return refined.error ? { ...refined, error: boundedError({ ...refined.error, message: redact(refined.error.message, secrets) }) } : refined;
      },
    },
  };
}
