// Stripe emulator: GET /v1/balance, GET /v1/charges (newest first, created filters, cursor paging)
// and GET /v1/charges/{id}. Behaviour follows shared/docs/providers.md §15 and
// https://docs.stripe.com/api/charges/list , https://docs.stripe.com/api/pagination ,
// https://docs.stripe.com/rate-limits , https://docs.stripe.com/error-handling
import { randomBytes } from 'node:crypto';
import type { FailStatus } from './faults.js';
import { ALNUM } from './prng.js';
import type { LimitReason, ProviderApi, Reply, RequestContext } from './server.js';
import type { CreatedRange, StripeCharges } from './stripe-data.js';

/** The API version the sandbox answers as (the one the response schema in shared/specs was cut from). */
export const STRIPE_SANDBOX_API_VERSION = '2023-08-16';
const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 100;
const CREATED_OPS = new Set(['gt', 'gte', 'lt', 'lte']);
// Real list parameters the emulator does not model: refused by name rather than ignored.
const UNMODELLED = /^(customer|payment_intent|transfer_group|expand(\[\d*\])?)$/;

export interface StripeCredentials {
  secretKey: string;
}

interface StripeErrorFields {
  message: string;
  type: 'invalid_request_error' | 'api_error';
  param?: string;
  code?: string;
}

function stripeError(status: number, e: StripeErrorFields): Reply {
  const error: Record<string, string> = { ...e } as Record<string, string>;
  if (e.code) error.doc_url = `https://stripe.com/docs/error-codes/${e.code.replace(/_/g, '-')}`;
  return { status, body: { error } };
}

const badParam = (param: string, message: string, code?: string) =>
  stripeError(400, { message, type: 'invalid_request_error', param, ...(code ? { code } : {}) });

/** Stripe's masking: keep a recognised prefix and the last four characters, never the whole key. */
export function maskKey(key: string): string {
  const m = /^((?:sk|rk|pk)_(?:test|live)_)(.*)$/.exec(key);
  const prefix = m ? m[1]! : '';
  const rest = m ? m[2]! : key;
  if (rest.length <= 8) return `${prefix}${'*'.repeat(Math.max(4, rest.length))}`;
  return `${prefix}${'*'.repeat(rest.length - 4)}${rest.slice(-4)}`;
}

/** The key from `Authorization: Bearer <key>` or Basic `<key>:` (both accepted by Stripe). */
function presentedKey(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^(Bearer|Basic)\s+(.+)$/i.exec(header.trim());
  if (!m) return header.trim() || null;
  if (m[1]!.toLowerCase() === 'bearer') return m[2]!.trim();
  const decoded = Buffer.from(m[2]!, 'base64').toString('utf8');
  const user = decoded.split(':')[0] ?? '';
  return user || null;
}

/** The secret key a request presents, which names its account on a multi-account emulator. */
export function stripeCredential(ctx: RequestContext): string | null {
  return presentedKey(ctx.headers.authorization);
}

function parseInteger(value: string, param: string): number | Reply {
  if (!/^-?\d+$/.test(value.trim())) return badParam(param, `Invalid integer: ${value}`);
  return Number(value);
}

/** `livemode`: the account's key is a live-mode key, so its objects say livemode: true. */
export function stripeApi(charges: StripeCharges, creds: StripeCredentials, options: { livemode?: boolean } = {}): ProviderApi {
  const livemode = options.livemode ?? false;
  const render = (i: number) => (livemode ? { ...charges.render(i), livemode: true } : charges.render(i));

  function listCharges(ctx: RequestContext): Reply {
    const q = ctx.query;
    const range: CreatedRange = { gte: null, lte: null };
    let limit = DEFAULT_LIMIT;
    let startingAfter: string | null = null;
    let endingBefore: string | null = null;
    const tighten = (gte: number | null, lte: number | null) => {
      if (gte !== null) range.gte = range.gte === null ? gte : Math.max(range.gte, gte);
      if (lte !== null) range.lte = range.lte === null ? lte : Math.min(range.lte, lte);
    };

    for (const [key, value] of q) {
      if (key === 'limit') {
        const n = parseInteger(value, 'limit');
        if (typeof n !== 'number') return n;
        if (n < 1) return badParam('limit', 'This value must be greater than or equal to 1.');
        if (n > MAX_LIMIT) return badParam('limit', `This value must be less than or equal to ${MAX_LIMIT}.`);
        limit = n;
      } else if (key === 'created') {
        const n = parseInteger(value, 'created');
        if (typeof n !== 'number') return n;
        tighten(n, n);
      } else if (key.startsWith('created[') && key.endsWith(']') && CREATED_OPS.has(key.slice(8, -1))) {
        const n = parseInteger(value, key);
        if (typeof n !== 'number') return n;
        const op = key.slice(8, -1);
        if (op === 'gt') tighten(n + 1, null);
        else if (op === 'gte') tighten(n, null);
        else if (op === 'lt') tighten(null, n - 1);
        else tighten(null, n);
      } else if (key === 'starting_after') {
        startingAfter = value;
      } else if (key === 'ending_before') {
        endingBefore = value;
      } else if (UNMODELLED.test(key)) {
        return badParam(key, `The sandbox emulator does not support the parameter ${key} of GET /v1/charges.`);
      } else {
        return badParam(key, `Received unknown parameter: ${key}`);
      }
    }
    if (startingAfter !== null && endingBefore !== null) {
      return badParam('starting_after', 'You may only specify one of these parameters: ending_before, starting_after.');
    }
    const anchor: { startingAfter?: number; endingBefore?: number } = {};
    for (const [param, id] of [['starting_after', startingAfter], ['ending_before', endingBefore]] as const) {
      if (id === null) continue;
      const index = charges.indexOfId(id);
      if (index < 0) return badParam(param, `No such charge: '${id}'`, 'resource_missing');
      if (param === 'starting_after') anchor.startingAfter = index;
      else anchor.endingBefore = index;
    }
    const page = charges.list(range, anchor, limit);
    return {
      status: 200,
      body: { object: 'list', data: page.items.map(render), has_more: page.hasMore, url: '/v1/charges' },
    };
  }

  function balance(): Reply {
    return {
      status: 200,
      body: {
        object: 'balance',
        available: [{ amount: 0, currency: 'usd', source_types: { card: 0 } }],
        connect_reserved: [{ amount: 0, currency: 'usd' }],
        livemode,
        pending: [{ amount: 0, currency: 'usd', source_types: { card: 0 } }],
      },
    };
  }

  return {
    name: 'stripe',

    authenticate(ctx) {
      if (!ctx.path.startsWith('/v1/')) return null;
      const key = presentedKey(ctx.headers.authorization);
      if (key === creds.secretKey) return null;
      const reply = key === null
        ? stripeError(401, {
          message: "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
          type: 'invalid_request_error',
        })
        : stripeError(401, { message: `Invalid API Key provided: ${maskKey(key)}`, type: 'invalid_request_error' });
      reply.headers = { 'www-authenticate': 'Basic realm="Stripe"' };
      return reply;
    },

    isDataRequest(ctx) {
      return ctx.method === 'GET' && ctx.path === '/v1/charges';
    },

    handle(ctx) {
      let reply: Reply;
      const one = /^\/v1\/charges\/([^/]+)$/.exec(ctx.path);
      if (ctx.method === 'GET' && ctx.path === '/v1/charges') reply = listCharges(ctx);
      else if (ctx.method === 'GET' && ctx.path === '/v1/balance') reply = balance();
      else if (ctx.method === 'GET' && one) {
        const id = decodeURIComponent(one[1]!);
        const index = charges.indexOfId(id);
        reply = index < 0
          ? stripeError(404, { message: `No such charge: '${id}'`, type: 'invalid_request_error', param: 'id', code: 'resource_missing' })
          : { status: 200, body: render(index) };
      } else {
        reply = stripeError(404, {
          message: `Unrecognized request URL (${ctx.method}: ${ctx.path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
          type: 'invalid_request_error',
        });
      }
      const version = ctx.headers['stripe-version'];
      reply.headers = { ...(reply.headers ?? {}), 'stripe-version': typeof version === 'string' && version ? version : STRIPE_SANDBOX_API_VERSION };
      return reply;
    },

    serverError(status: FailStatus) {
      const message = status === 500 ? 'An unknown error occurred' : 'Stripe is temporarily unavailable. Please try again later.';
      return stripeError(status, { message, type: 'api_error' });
    },

    rateLimited(_reason: LimitReason, retryAfterSec) {
      // The body real 429s carry (type invalid_request_error, code rate_limit) and Stripe-Should-Retry
      // (https://docs.stripe.com/error-handling). Retry-After is not in Stripe's docs; the sandbox
      // sends it so that clients honouring it (stripe-node does) back off for the bucket's refill.
      const reply = stripeError(429, {
        message: 'Request rate limit exceeded. You can learn more about rate limits here https://stripe.com/docs/rate-limits.',
        type: 'invalid_request_error',
        code: 'rate_limit',
      });
      reply.headers = { 'stripe-should-retry': 'true', 'retry-after': String(retryAfterSec ?? 1) };
      return reply;
    },

    decorate(reply) {
      let id = 'req_';
      for (const b of randomBytes(14)) id += ALNUM[b % 62];
      reply.headers = { ...(reply.headers ?? {}), 'request-id': id };
    },
  };
}
