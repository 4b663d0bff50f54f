// Shopify Admin REST: orders, paged through the Link header's page_info cursor.
// Facts (shared/docs/providers.md §14): https://shopify.dev/docs/api/admin-rest/usage/pagination ,
// https://shopify.dev/docs/api/admin-rest/usage/rate-limits
import { z } from 'zod';
import type { CallOptions, ConnectorExecutor, ConnectorResponse, PullPage, PullRequest, SourceRecord } from '../core/envelope.js';
import { failBeforeSend, withBody, withError } from '../core/envelope.js';
import { connectorError } from '../core/errors.js';
import { httpRequest, type HttpResponse } from '../core/http.js';
import type { ShopifyConfig } from '../registry/connectors/shopify.js';
import { shopify } from '../registry/connectors/shopify.js';
import { baseUrl, callOptions, checkConfig, parseBody, secretsOf } from './support.js';

const PROVIDER = 'Shopify';
const MAX_LIMIT = 250;

const ordersBody = z.object({
  orders: z.array(z.looseObject({ id: z.union([z.number(), z.string()]), updated_at: z.string() })),
});
const shopBody = z.object({ shop: z.looseObject({ id: z.union([z.number(), z.string()]) }) });

/** The page_info of the rel="next" link, or null on the last page. */
export function nextPageInfo(link: string | undefined): string | null {
  if (!link) return null;
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (m) return new URL(m[1]!).searchParams.get('page_info');
  }
  return null;
}

function toIso(value: string): string {
  const t = Date.parse(value);
  return Number.isNaN(t) ? value : new Date(t).toISOString();
}

/** A 429 with no Retry-After still carries the bucket state; wait for about two leaked requests. */
function refineRateLimit(res: HttpResponse): HttpResponse {
  if (res.status !== 429 || !res.error || res.error.retryAfterMs !== undefined) return res;
  const limit = res.headers['x-shopify-shop-api-call-limit'];
  const retryAfterMs = 1_000;
  return { ...res, error: { ...res.error, retryAfterMs, message: `${res.error.message}${limit ? ` (call limit ${limit})` : ''}` } };
}

function apiBase(config: ShopifyConfig, opts?: CallOptions) {
  return baseUrl(`https://${config.shopDomain}`, opts);
}

function authHeaders(config: ShopifyConfig) {
  return { 'x-shopify-access-token': config.accessToken };
}

export const shopifyExecutor: ConnectorExecutor<ShopifyConfig> = {
  async testConnection(rawConfig, opts) {
    const checked = checkConfig<ShopifyConfig>('shopify', rawConfig);
    if ('fail' in checked) return checked.fail;
    const { config } = checked;
    const base = apiBase(config, opts);
    if ('fail' in base) return base.fail;
    const res = await httpRequest({
      provider: PROVIDER,
      method: 'GET',
      url: `${base.base}/admin/api/${config.apiVersion}/shop.json`,
      headers: authHeaders(config),
      secrets: secretsOf('shopify', config),
      ...callOptions(opts, shopify.policy.timeouts.requestMs),
    });
    return parseBody(refineRateLimit(res), shopBody, PROVIDER);
  },

  async pull(rawConfig, req: PullRequest, opts): Promise<ConnectorResponse<PullPage>> {
    const checked = checkConfig<ShopifyConfig>('shopify', rawConfig);
    if ('fail' in checked) return checked.fail;
    const { config } = checked;
    if (req.stream !== 'orders') return failBeforeSend('invalid_config', `Shopify has no stream "${req.stream}" (streams: orders)`);
    const base = apiBase(config, opts);
    if ('fail' in base) return base.fail;
    const limit = Math.min(Math.max(1, req.pageSize ?? MAX_LIMIT), MAX_LIMIT);

    // Shopify rejects filters next to page_info: they are baked into the cursor by the first request.
    const since = req.since ?? config.startDate ?? null;
    const query = req.cursor
      ? { limit, page_info: req.cursor }
      : { limit, status: 'any', updated_at_min: since ?? undefined, updated_at_max: req.until ?? undefined };

    const res = refineRateLimit(
      await httpRequest({
        provider: PROVIDER,
        method: 'GET',
        url: `${base.base}/admin/api/${config.apiVersion}/orders.json`,
        query,
        headers: authHeaders(config),
        secrets: secretsOf('shopify', config),
        ...callOptions(opts, shopify.policy.timeouts.requestMs),
      }),
    );
    const parsed = parseBody(res, ordersBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return withError(parsed, parsed.error ?? connectorError('invalid_response', 'Shopify returned no body'));

    const records: SourceRecord[] = parsed.body.orders.map((o) => ({ id: String(o.id), updatedAt: toIso(o.updated_at), data: o }));
    const watermark = records.reduce<string | null>((max, r) => (max === null || r.updatedAt > max ? r.updatedAt : max), null);
    return withBody(parsed, { records, nextCursor: nextPageInfo(res.headers.link), watermark });
  },
};
