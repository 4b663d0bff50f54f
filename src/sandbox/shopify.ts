// Shopify Admin REST emulator: access_scopes.json, shop.json and orders.json with page_info cursors
// in the Link header. Behaviour follows the facts in src/registry/connectors/shopify.ts and
// https://shopify.dev/docs/api/admin-rest/usage/pagination ,
// https://shopify.dev/docs/api/admin-rest/usage/rate-limits ,
// https://shopify.dev/docs/api/admin-rest/latest/resources/order (orders.json, orders/count.json) ,
// https://shopify.dev/docs/api/admin-rest/latest/resources/accessscope ,
// https://shopify.dev/docs/api/usage/versioning
import { randomUUID } from 'node:crypto';
import { SHOPIFY_ORDER_SCOPES, SHOPIFY_VERSIONS } from '../registry/connectors/shopify.js';
import type { BadTimestampKind, FailStatus } from './faults.js';
import type { LimitReason, ProviderApi, Reply, RequestContext } from './server.js';
import { ORDER_STATUSES, SHOP_IANA_TIMEZONE, SHOP_UTC_OFFSET_MIN, type OrderFilter, type OrderStatus, type ShopifyOrders } from './shopify-data.js';
import { ceilSec, floorSec, isoWithOffset, parseIsoMs } from './time.js';

const VERSION_RE = /^\d{4}-(01|04|07|10)$/;
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 250;
// The only parameters Shopify accepts next to page_info: filters are baked into the cursor.
const PAGE_INFO_COMPANIONS = new Set(['page_info', 'limit', 'fields']);
// Real orders.json filters this emulator does not model; refused rather than silently ignored, so
// a client relying on one finds out here instead of in production.
const UNMODELLED_FILTERS = ['ids', 'financial_status', 'fulfillment_status', 'processed_at_min', 'processed_at_max', 'attribution_app_id', 'name'];
// orders/count.json takes created_at_min/max, updated_at_min/max, status, financial_status and
// fulfillment_status (the Order resource's count operation, https://shopify.dev/docs/api/admin-rest/latest/resources/order ;
// the generated client Shopify publishes lists exactly these: Shopify/shopify-api-js
// rest/admin/2023-04/order.ts, Order.count) and answers {"count": n}. The last two are not modelled; paging and listing
// parameters are refused too, where Shopify would ignore them, so a client that thinks they narrow
// a count finds out here.
const COUNT_UNMODELLED = ['financial_status', 'fulfillment_status'];
const COUNT_REFUSED = ['page_info', 'limit', 'since_id', 'ids', 'fields', 'processed_at_min', 'processed_at_max', 'attribution_app_id', 'name'];

/** A bad updated_at (see BadTimestampKind), in the shop's -05:00 offset like every time it serves. */
const BAD_UPDATED_AT: Record<BadTimestampKind, string> = {
  unparseable: 'not a date',
  farFuture: '9999-12-31T18:59:59-05:00',
  farPast: '1969-12-31T19:00:00-05:00',
};

export interface ShopifyCredentials {
  shopDomain: string;
  accessToken: string;
}

/**
 * What the sandbox's own token is granted. read_all_orders is included because the emulator serves
 * every order it has (they all lie within Shopify's default 60-day window anyway).
 */
export const SANDBOX_SHOPIFY_SCOPES: readonly string[] = ['read_all_orders', 'read_orders', 'read_products'];

/** Extra Admin API tokens the emulator accepts, each with the scopes it was granted. */
export type ShopifyTokenScopes = Readonly<Record<string, readonly string[]>>;

/** Shopify's plans as its REST rate limits name them, with their leak rates (requests/second). */
export const SHOPIFY_PLAN_RATES = { standard: 2, advanced: 4, plus: 20, enterprise: 40 } as const;
export type ShopifyPlan = keyof typeof SHOPIFY_PLAN_RATES;

export interface ShopifyShopOptions {
  /** shop.json's name (default "Sandbox Shop"). */
  shopName?: string;
  /** shop.json's plan (default standard, shown as Shopify's "basic"). */
  plan?: ShopifyPlan;
  /** The shop's position on the emulator, for a shop id of its own (default 0). */
  shopIndex?: number;
}

const PLAN_NAMES: Record<ShopifyPlan, [string, string]> = {
  standard: ['basic', 'Basic'],
  advanced: ['unlimited', 'Advanced Shopify'],
  plus: ['shopify_plus', 'Shopify Plus'],
  enterprise: ['shopify_plus', 'Commerce Components'],
};

/** The Admin API access token a request presents, which names its shop on a multi-shop emulator. */
export function shopifyCredential(ctx: RequestContext): string | null {
  const token = ctx.headers['x-shopify-access-token'];
  return typeof token === 'string' && token !== '' ? token : null;
}

/** The shop a request's Host names (`<shop>.myshopify.com`, port dropped), or null for any other host. */
function myshopifyHost(ctx: RequestContext): string | null {
  const host = (ctx.headers.host ?? '').toLowerCase().replace(/:\d+$/, '');
  return host.endsWith('.myshopify.com') ? host : null;
}

const dayStart = (iso: string) => Date.parse(`${iso}T00:00:00Z`);

/**
 * The Admin API version Shopify serves for a requested one at `nowMs`, from the registry's version
 * list: a supported version is served as asked; one past its support, or older than any listed,
 * "falls forward" to the oldest supported version (https://shopify.dev/docs/api/usage/versioning).
 * null: not a version Shopify has released (malformed, or later than the newest listed), answered 404.
 */
export function shopifyServedVersion(requested: string, nowMs: number = Date.now()): string | null {
  if (!VERSION_RE.test(requested)) return null;
  const released = SHOPIFY_VERSIONS.versions.filter((v) => !v.released || dayStart(v.released) <= nowMs).map((v) => v.version).sort();
  const newest = released[released.length - 1];
  if (newest === undefined || requested > newest) return null;
  const supported = SHOPIFY_VERSIONS.versions
    .filter((v) => released.includes(v.version) && (!v.supportedUntil || dayStart(v.supportedUntil) > nowMs))
    .map((v) => v.version)
    .sort();
  if (supported.includes(requested)) return requested;
  // A registry left behind by the calendar has no supported version left: serve the newest it knows.
  return supported[0] ?? newest;
}

interface Cursor {
  filter: OrderFilter;
  direction: 'after' | 'before';
  anchorId: number;
}

const errors = (status: number, errors: unknown): Reply => ({ status, body: { errors } });
const fieldError = (field: string, message: string): Reply => errors(400, { [field]: [message] });

function encodeCursor(c: Cursor): string {
  const f = c.filter;
  const raw = [c.direction === 'after' ? 'n' : 'p', c.anchorId, f.status, f.updatedMin, f.updatedMax, f.createdMin, f.createdMax, f.sinceId];
  return Buffer.from(JSON.stringify(raw)).toString('base64url');
}

function decodeCursor(token: string): Cursor | null {
  try {
    const raw: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (!Array.isArray(raw) || raw.length !== 8) return null;
    const [d, anchor, status, ...nums] = raw as unknown[];
    if ((d !== 'n' && d !== 'p') || typeof anchor !== 'number' || !Number.isSafeInteger(anchor)) return null;
    if (status !== 'any' && !ORDER_STATUSES.includes(status as OrderStatus)) return null;
    if (!nums.every((v) => v === null || (typeof v === 'number' && Number.isSafeInteger(v)))) return null;
    const [updatedMin, updatedMax, createdMin, createdMax, sinceId] = nums as (number | null)[];
    return {
      direction: d === 'n' ? 'after' : 'before',
      anchorId: anchor,
      filter: { status: status as OrderFilter['status'], updatedMin: updatedMin ?? null, updatedMax: updatedMax ?? null, createdMin: createdMin ?? null, createdMax: createdMax ?? null, sinceId: sinceId ?? null },
    };
  } catch {
    return null;
  }
}

function project(order: Record<string, unknown>, fields: string[] | null): Record<string, unknown> {
  if (!fields) return order;
  const out: Record<string, unknown> = {};
  for (const f of fields) if (f in order) out[f] = order[f];
  return out;
}

export function shopifyApi(orders: ShopifyOrders, creds: ShopifyCredentials, extraTokens: ShopifyTokenScopes = {}, options: ShopifyShopOptions = {}): ProviderApi {
  const shopId = 60_100_000_000 + (options.shopIndex ?? 0) * 1_000_000 + (orders.idOf(0) % 1_000_000);
  const [planName, planDisplayName] = PLAN_NAMES[options.plan ?? 'standard'];
  const tokenScopes = new Map<string, readonly string[]>([...Object.entries(extraTokens), [creds.accessToken, SANDBOX_SHOPIFY_SCOPES]]);
  const scopesOf = (ctx: RequestContext) => {
    const token = ctx.headers['x-shopify-access-token'];
    return (typeof token === 'string' ? tokenScopes.get(token) : undefined) ?? [];
  };

  type Parsed<T> = { ok: T } | { error: Reply };

  function parseTime(q: URLSearchParams, name: string, round: 'ceil' | 'floor'): Parsed<number | null> {
    const v = q.get(name);
    if (v === null || v === '') return { ok: null };
    // Shopify reads a time without an offset in the shop's time zone.
    const ms = parseIsoMs(v, SHOP_UTC_OFFSET_MIN);
    if (ms === null) return { error: fieldError(name, 'must be a valid ISO 8601 date, e.g. 2025-01-01T00:00:00-05:00') };
    return { ok: round === 'ceil' ? ceilSec(ms) : floorSec(ms) };
  }

  function filterFrom(q: URLSearchParams): Parsed<OrderFilter> {
    const status = q.get('status') ?? 'open';
    if (status !== 'any' && !ORDER_STATUSES.includes(status as OrderStatus)) {
      return { error: fieldError('status', `must be one of: open, closed, cancelled, any (got "${status}")`) };
    }
    const times = [
      parseTime(q, 'updated_at_min', 'ceil'),
      parseTime(q, 'updated_at_max', 'floor'),
      parseTime(q, 'created_at_min', 'ceil'),
      parseTime(q, 'created_at_max', 'floor'),
    ];
    const values: (number | null)[] = [];
    for (const t of times) {
      if ('error' in t) return t;
      values.push(t.ok);
    }
    let sinceId: number | null = null;
    const rawSince = q.get('since_id');
    if (rawSince !== null && rawSince !== '') {
      if (!/^\d+$/.test(rawSince)) return { error: fieldError('since_id', 'must be an integer') };
      sinceId = Number(rawSince);
    }
    const [updatedMin, updatedMax, createdMin, createdMax] = values as [number | null, number | null, number | null, number | null];
    return { ok: { status: status as OrderFilter['status'], updatedMin, updatedMax, createdMin, createdMax, sinceId } };
  }

  function listOrders(ctx: RequestContext, version: string): Reply {
    const q = ctx.query;
    const rawLimit = q.get('limit');
    let limit = DEFAULT_LIMIT;
    if (rawLimit !== null) {
      limit = /^\d+$/.test(rawLimit) ? Number(rawLimit) : NaN;
      if (!(limit >= 1 && limit <= MAX_LIMIT)) return fieldError('limit', `must be an integer between 1 and ${MAX_LIMIT}`);
    }
    const rawFields = q.get('fields');
    const fields = rawFields ? rawFields.split(',').map((s) => s.trim()).filter(Boolean) : null;

    let filter: OrderFilter;
    let cursor: { direction: 'after' | 'before'; anchorId: number } | null = null;
    const pageInfo = q.get('page_info');
    if (pageInfo !== null) {
      const extra = [...new Set(q.keys())].filter((k) => !PAGE_INFO_COMPANIONS.has(k));
      if (extra.length > 0) {
        return fieldError('page_info', `cannot be used with other parameters (${extra.join(', ')}); only limit and fields may accompany page_info`);
      }
      const decoded = decodeCursor(pageInfo);
      if (!decoded) return fieldError('page_info', 'Invalid value.');
      filter = decoded.filter;
      cursor = { direction: decoded.direction, anchorId: decoded.anchorId };
    } else {
      const unmodelled = UNMODELLED_FILTERS.filter((k) => q.has(k));
      if (unmodelled.length > 0) return fieldError(unmodelled[0]!, 'is not supported by the sandbox emulator');
      const parsed = filterFrom(q);
      if ('error' in parsed) return parsed.error;
      filter = parsed.ok;
    }

    const page = orders.page(filter, cursor, limit);
    // dropRecords leaves orders out after the page and its links were decided (below, from page.items):
    // the cursor moves past a dropped order, so it is never served.
    const served = page.items.filter((i) => !ctx.faults.dropRecord(i, String(orders.idOf(i))));
    const body = {
      orders: served.map((i) => {
        const order = orders.render(i);
        const bad = ctx.faults.badTimestamp(i, String(order.id));
        if (bad) order.updated_at = BAD_UPDATED_AT[bad];
        return project(order, fields);
      }),
    };
    const link = (direction: 'after' | 'before', anchor: number) => {
      const params = new URLSearchParams({ limit: String(limit), page_info: encodeCursor({ filter, direction, anchorId: anchor }) });
      if (rawFields) params.set('fields', rawFields);
      return `<${ctx.baseUrl}/admin/api/${version}/orders.json?${params.toString()}>`;
    };
    const links: string[] = [];
    const firstIndex = page.items[0];
    const lastIndex = page.items[page.items.length - 1];
    const firstId = firstIndex !== undefined ? orders.idOf(firstIndex) : (cursor?.anchorId ?? 0) + 1;
    const lastId = lastIndex !== undefined ? orders.idOf(lastIndex) : (cursor?.anchorId ?? 0) - 1;
    if (page.hasPrevious) links.push(`${link('before', firstId)}; rel="previous"`);
    if (page.hasNext) links.push(`${link('after', lastId)}; rel="next"`);
    return { status: 200, body, headers: links.length > 0 ? { link: links.join(', ') } : {} };
  }

  /**
   * orders/count.json: {"count": n} for the same filters as orders.json, so a planner can size
   * updated_at windows before listing them. status defaults to open as on orders.json (the sandbox's
   * reading: the stored docs did not show the count's default), so count what a status=any listing
   * returns with status=any. Whatever dropRecords leaves out of the lists is still counted.
   */
  function countOrders(ctx: RequestContext): Reply {
    const q = ctx.query;
    const refused = COUNT_REFUSED.find((k) => q.has(k));
    if (refused) return fieldError(refused, 'is not a parameter of orders/count.json');
    const unmodelled = COUNT_UNMODELLED.find((k) => q.has(k));
    if (unmodelled) return fieldError(unmodelled, 'is not supported by the sandbox emulator');
    const parsed = filterFrom(q);
    if ('error' in parsed) return parsed.error;
    return { status: 200, body: { count: orders.count(parsed.ok) } };
  }

  function shop(): Reply {
    const created = isoWithOffset(Math.floor(Date.now() / 1000) - 400 * 86_400, SHOP_UTC_OFFSET_MIN);
    return {
      status: 200,
      body: {
        shop: {
          id: shopId,
          name: options.shopName ?? 'Sandbox Shop',
          email: 'owner@example.com',
          domain: creds.shopDomain,
          myshopify_domain: creds.shopDomain,
          province: 'Panamá',
          country: 'PA',
          country_code: 'PA',
          country_name: 'Panama',
          city: 'Panama City',
          address1: '1 Sandbox Way',
          zip: '0801',
          phone: null,
          currency: 'USD',
          customer_email: 'orders@example.com',
          timezone: '(GMT-05:00) America/Panama',
          iana_timezone: SHOP_IANA_TIMEZONE,
          shop_owner: 'Sandbox Owner',
          money_format: '${{amount}}',
          plan_name: planName,
          plan_display_name: planDisplayName,
          has_storefront: true,
          password_enabled: false,
          created_at: created,
          updated_at: created,
        },
      },
    };
  }

  return {
    name: 'shopify',

    authenticate(ctx) {
      if (!ctx.path.startsWith('/admin/')) return null;
      const token = ctx.headers['x-shopify-access-token'];
      // Through the sandbox override the host is the emulator's, and the token alone names the shop;
      // a request whose Host names another shop is refused, as Shopify refuses a token on a shop it
      // was not issued for.
      const host = myshopifyHost(ctx);
      if (typeof token === 'string' && tokenScopes.has(token) && (host === null || host === creds.shopDomain)) return null;
      return errors(401, '[API] Invalid API key or access token (unrecognized login or wrong password)');
    },

    isDataRequest(ctx) {
      return ctx.method === 'GET' && /^\/admin\/api\/[^/]+\/orders(\/count)?\.json$/.test(ctx.path);
    },

    handle(ctx) {
      if (ctx.method !== 'GET') return errors(404, 'Not Found');
      // Unversioned: the granted scopes of the token that asks.
      if (ctx.path === '/admin/oauth/access_scopes.json') {
        return { status: 200, body: { access_scopes: scopesOf(ctx).map((handle) => ({ handle })) } };
      }
      const m = /^\/admin\/api\/([^/]+)\/(.+)$/.exec(ctx.path);
      const served = m ? shopifyServedVersion(m[1]!) : null;
      if (!m || served === null) return errors(404, 'Not Found');
      const requested = m[1]!;
      let reply: Reply;
      if (m[2] === 'shop.json') reply = shop();
      else if (m[2] !== 'orders.json' && m[2] !== 'orders/count.json') reply = errors(404, 'Not Found');
      else if (!SHOPIFY_ORDER_SCOPES.some((s) => scopesOf(ctx).includes(s))) {
        // The wording developers report from Shopify for an ungranted scope (not on shopify.dev).
        reply = errors(403, '[API] This action requires merchant approval for read_orders scope.');
      } else reply = m[2] === 'orders.json' ? listOrders(ctx, requested) : countOrders(ctx);
      reply.headers = { ...(reply.headers ?? {}), 'x-shopify-api-version': served };
      return reply;
    },

    serverError(status: FailStatus) {
      const text = status === 500 ? 'Internal Server Error' : status === 502 ? 'Bad Gateway' : 'Service Unavailable';
      return errors(status, text);
    },

    rateLimited(reason: LimitReason, retryAfterSec) {
      const reply = errors(429, 'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.');
      // Shopify's REST limiter always answers Retry-After: 2.0; the storm fault asks for 1.
      reply.headers = { 'retry-after': reason === 'storm' ? String(retryAfterSec ?? 1) : '2.0' };
      return reply;
    },

    decorate(reply, info) {
      reply.headers = {
        ...(reply.headers ?? {}),
        'x-shopify-shop-api-call-limit': `${info.callLimitUsed}/${info.callLimitCapacity}`,
        'x-request-id': randomUUID(),
      };
    },
  };
}
