// Shopify Admin REST: orders, paged through the Link header's page_info cursor.
// Facts and sources: src/registry/connectors/shopify.ts. Pages this file follows:
// https://shopify.dev/docs/api/admin-rest/usage/pagination ,
// https://shopify.dev/docs/api/admin-rest/usage/rate-limits ,
// https://shopify.dev/docs/api/admin-rest/latest/resources/accessscope ,
// https://shopify.dev/docs/api/usage/access-scopes , https://shopify.dev/docs/api/usage/versioning
import { z } from 'zod';
import type { ConnectorExecutor, ConnectorResponse, PullPage, PullRequest, SourceRecord } from '../core/envelope.js';
import type { ProbeResult } from '../core/slices.js';
import { failBeforeSend, withBody, withError } from '../core/envelope.js';
import { connectorError } from '../core/errors.js';
import type { HttpResponse } from '../core/http.js';
import type { ShopifyConfig } from '../registry/connectors/shopify.js';
import { SHOPIFY_ALL_ORDERS_SCOPE, SHOPIFY_ORDER_SCOPES, SHOPIFY_VERSIONS } from '../registry/connectors/shopify.js';
import { bindProvider, type ProviderBinding } from './bind.js';
import { nextCursorError, parseBody } from './support.js';

const PROVIDER = 'Shopify';
const MAX_LIMIT = 250;

const ordersBody = z.object({
  orders: z.array(z.looseObject({ id: z.union([z.number(), z.string()]), updated_at: z.string() })),
});
const shopBody = z.object({ shop: z.looseObject({ id: z.union([z.number(), z.string()]) }) });
const countBody = z.object({ count: z.number().int().nonnegative() });
const firstOrderBody = z.object({ orders: z.array(z.looseObject({ id: z.union([z.number(), z.string()]), created_at: z.string() })) });
const accessScopesBody = z.object({ access_scopes: z.array(z.looseObject({ handle: z.string() })) });

/** Shopify's page_info tokens are opaque, URL-safe and short; anything else was not made by Shopify. */
const PAGE_INFO = /^[A-Za-z0-9_\-+/=.~]{1,2048}$/;
export const isPageInfo = (value: string): boolean => PAGE_INFO.test(value);

/**
 * The page_info of the rel="next" link (null on the last page), or what is wrong with the Link
 * header. Never throws, and reads the header in linear time whatever it holds.
 */
export function readNextPageInfo(link: string | undefined): { pageInfo: string | null } | { problem: string } {
  if (!link) return { pageInfo: null };
  for (const part of link.split(',')) {
    const open = part.indexOf('<');
    const close = open < 0 ? -1 : part.indexOf('>', open + 1);
    if (close < 0 || !/^\s*;\s*rel="?next"?/.test(part.slice(close + 1))) continue;
    let url: URL;
    try {
      url = new URL(part.slice(open + 1, close));
    } catch {
      return { problem: 'its rel="next" link is not a URL' };
    }
    const pageInfo = url.searchParams.get('page_info');
    if (pageInfo === null) return { problem: 'its rel="next" link has no page_info' };
    return { pageInfo };
  }
  return { pageInfo: null };
}

/** The page_info of the rel="next" link, or null on the last page (and for a malformed header: see readNextPageInfo). */
export function nextPageInfo(link: string | undefined): string | null {
  const r = readNextPageInfo(link);
  return 'pageInfo' in r ? r.pageInfo : null;
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

/** Shopify's request context: the shop's myshopify host, the access token, the call-limit refinement. */
const SHOPIFY: ProviderBinding<ShopifyConfig> = {
  connectorId: 'shopify',
  provider: PROVIDER,
  baseUrl: (config) => `https://${config.shopDomain}`,
  headers: (config) => ({ 'x-shopify-access-token': config.accessToken }),
  refineError: refineRateLimit,
};

/** The version a config asks for: validation applies the registry default, so it is always set. */
function requestedVersion(config: ShopifyConfig): string {
  return config.apiVersion ?? SHOPIFY_VERSIONS.current;
}

export interface ShopifyScopeCheck {
  scopes: string[];
  /** Whether orders can be read at all (read_orders, or write_orders which includes it). */
  readsOrders: boolean;
  /** Whether orders older than 60 days are visible. */
  readsAllOrders: boolean;
}

export function checkShopifyScopes(handles: readonly string[]): ShopifyScopeCheck {
  const scopes = [...new Set(handles)].sort();
  return {
    scopes,
    readsOrders: SHOPIFY_ORDER_SCOPES.some((s) => scopes.includes(s)),
    readsAllOrders: scopes.includes(SHOPIFY_ALL_ORDERS_SCOPE),
  };
}

export interface ShopifyConnectionBody {
  shop: { id: number | string; name?: unknown; myshopify_domain?: unknown };
  scopes: string[];
  /** False: Shopify returns only orders from the last 60 days. */
  readAllOrders: boolean;
  /** The version in the request path. */
  apiVersion: string;
  /** The version Shopify says it served (X-Shopify-Api-Version); null when it sent none. */
  servedVersion: string | null;
  /** Set when Shopify served another version than the one asked for (it falls forward past support). */
  versionNote?: string;
}

export const shopifyExecutor: ConnectorExecutor<ShopifyConfig> = {
  /**
   * Two reads. access_scopes.json proves the token and that it may read orders: shop.json alone
   * answers for any valid token, and a token without read_orders would pass only to fail the first
   * pull with 403. shop.json then proves the versioned Admin path the pull uses (access_scopes.json
   * is unversioned) and tells which version Shopify actually serves.
   */
  async testConnection(rawConfig, opts) {
    const bound = bindProvider(SHOPIFY, rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    const provider = bound.provider;
    const { config } = provider;

    const scopesRes = parseBody(await provider.request({ method: 'GET', path: '/admin/oauth/access_scopes.json' }), accessScopesBody, PROVIDER);
    if (!scopesRes.ok || !scopesRes.body) return scopesRes;
    const scopes = checkShopifyScopes(scopesRes.body.access_scopes.map((s) => s.handle));
    if (!scopes.readsOrders) {
      const granted = scopes.scopes.length > 0 ? scopes.scopes.join(', ') : 'none';
      return withError(scopesRes, connectorError(
        'forbidden',
        `Shopify: the access token lacks the read_orders scope, which pulling orders needs (granted: ${granted}). Add read_orders (or write_orders) to the app's Admin API scopes and reinstall it; add read_all_orders too for orders older than 60 days.`,
      ));
    }

    const apiVersion = requestedVersion(config);
    const shopRes = await provider.request({ method: 'GET', path: `/admin/api/${apiVersion}/shop.json` });
    const shop = parseBody(shopRes, shopBody, PROVIDER);
    if (!shop.ok || !shop.body) return shop;
    const servedVersion = shopRes.headers['x-shopify-api-version'] ?? null;
    const body: ShopifyConnectionBody = {
      shop: shop.body.shop,
      scopes: scopes.scopes,
      readAllOrders: scopes.readsAllOrders,
      apiVersion,
      servedVersion,
    };
    if (servedVersion !== null && servedVersion !== apiVersion) {
      body.versionNote = `Shopify served Admin API version ${servedVersion} instead of ${apiVersion}: ${apiVersion} is past its support and Shopify falls forward to its oldest supported version. Move the connection to ${SHOPIFY_VERSIONS.current}.`;
    }
    return withBody(shop, body);
  },

  async pull(rawConfig, req: PullRequest, opts): Promise<ConnectorResponse<PullPage>> {
    const bound = bindProvider(SHOPIFY, rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    const provider = bound.provider;
    const { config } = provider;
    if (req.stream !== 'orders') return failBeforeSend('invalid_config', `Shopify has no stream "${req.stream}" (streams: orders)`);
    if (req.cursor && !isPageInfo(req.cursor)) return failBeforeSend('invalid_config', 'Shopify: the cursor is not a page_info token (letters, digits and _ - + / = . ~, at most 2048 characters): it was not made by this connector');
    const limit = Math.min(Math.max(1, req.pageSize ?? MAX_LIMIT), MAX_LIMIT);

    // Shopify rejects filters next to page_info: they are baked into the cursor by the first request.
    const since = req.since ?? config.startDate ?? null;
    const query = req.cursor
      ? { limit, page_info: req.cursor }
      : { limit, status: 'any', updated_at_min: since ?? undefined, updated_at_max: req.until ?? undefined };

    const res = await provider.request({ method: 'GET', path: `/admin/api/${requestedVersion(config)}/orders.json`, query });
    const parsed = parseBody(res, ordersBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return withError(parsed, parsed.error ?? connectorError('invalid_response', 'Shopify returned no body'));

    const records: SourceRecord[] = parsed.body.orders.map((o) => ({ id: String(o.id), updatedAt: toIso(o.updated_at), data: o }));
    const watermark = records.reduce<string | null>((max, r) => (max === null || r.updatedAt > max ? r.updatedAt : max), null);
    const next = readNextPageInfo(res.headers.link);
    if ('problem' in next) return withError(parsed, connectorError('invalid_response', `Shopify answered with a Link header that cannot be followed: ${next.problem}`));
    const badCursor = nextCursorError(PROVIDER, next.pageInfo, isPageInfo, 'page_info');
    if (badCursor) return withError(parsed, badCursor);
    return withBody(parsed, { records, nextCursor: next.pageInfo, watermark });
  },

  /**
   * The window's size (orders/count.json with the pull's own filters, status=any included: the count
   * otherwise defaults to open orders only) and a bound on where its data starts: the first order of
   * the window by id (since_id=0) was created first, and every order's updated_at is at or after its
   * own created_at, so none in the window changed before that order's created_at.
   */
  async probe(rawConfig, req, opts): Promise<ConnectorResponse<ProbeResult>> {
    const bound = bindProvider(SHOPIFY, rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    const provider = bound.provider;
    const version = requestedVersion(provider.config);
    if (req.stream !== 'orders') return failBeforeSend('invalid_config', `Shopify has no stream "${req.stream}" (streams: orders)`);
    const counted = parseBody(
      await provider.request({ method: 'GET', path: `/admin/api/${version}/orders/count.json`, query: { status: 'any', updated_at_min: req.since ?? undefined, updated_at_max: req.until ?? undefined } }),
      countBody,
      PROVIDER,
    );
    if (!counted.ok || !counted.body) return withError(counted, counted.error ?? connectorError('invalid_response', 'Shopify returned no body'));
    const count = counted.body.count;
    if (count === 0) return withBody(counted, { count, earliest: null });
    const first = parseBody(
      await provider.request({
        method: 'GET',
        path: `/admin/api/${version}/orders.json`,
        query: { limit: 1, status: 'any', since_id: 0, fields: 'id,created_at', updated_at_min: req.since ?? undefined, updated_at_max: req.until ?? undefined },
      }),
      firstOrderBody,
      PROVIDER,
    );
    if (!first.ok || !first.body) return withError(first, first.error ?? connectorError('invalid_response', 'Shopify returned no body'));
    const created = first.body.orders[0]?.created_at;
    return withBody(first, { count, earliest: created && !Number.isNaN(Date.parse(created)) ? new Date(Date.parse(created)).toISOString() : null });
  },
};
