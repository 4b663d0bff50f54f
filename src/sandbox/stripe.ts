// Stripe emulator: GET /v1/balance, GET /v1/charges (newest first, created filters, cursor paging),
// GET /v1/charges/{id}, GET /v1/events (the account's event log, newest first, 30 days back) and
// GET /v1/events/{id}. Behaviour follows the facts in src/registry/connectors/stripe.ts and
// https://docs.stripe.com/api/charges/list , https://docs.stripe.com/api/pagination ,
// https://docs.stripe.com/api/events/list , https://docs.stripe.com/api/events/types ,
// https://docs.stripe.com/rate-limits , https://docs.stripe.com/error-handling
import { randomBytes } from 'node:crypto';
import type { BadTimestampKind, FailStatus } from './faults.js';
import { ALNUM } from './prng.js';
import type { LimitReason, ProviderApi, Reply, RequestContext } from './server.js';
import type { ChargeEvent, ChargeState, CreatedRange, RefundInfo, StripeCharges, StripeEventType } from './stripe-data.js';

/** The API version the sandbox answers as (the one the response schema in shared/specs was cut from). */
export const STRIPE_SANDBOX_API_VERSION = '2023-08-16';
const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 100;
const CREATED_OPS = new Set(['gt', 'gte', 'lt', 'lte']);
const DAY = 86_400;
/**
 * "List events, going back up to 30 days" and "Retrieves the details of an event if it was created in
 * the last 30 days" (https://docs.stripe.com/api/events/list , /api/events/retrieve): older events are
 * neither listed nor retrievable, measured on the emulator's clock.
 */
export const STRIPE_EVENT_RETENTION_DAYS = 30;
/** "types: An array of up to 20 strings containing specific event names" (https://docs.stripe.com/api/events/list). */
const MAX_TYPES = 20;
// Real list parameters the emulator does not model: refused by name rather than ignored.
const UNMODELLED = /^(customer|payment_intent|transfer_group)$/;
const UNMODELLED_EVENT_PARAMS = /^(delivery_success)$/;
const EXPAND_KEY = /^expand(\[\d*\])?$/;
const TYPES_KEY = /^types\[\d*\]$/;

/** What a bad created looks like (see BadTimestampKind): Stripe's created is unix seconds. */
const BAD_CREATED: Record<BadTimestampKind, unknown> = { unparseable: 'not a date', farFuture: 253_402_300_799, farPast: 0 };

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

  function renderRefund(chargeId: string, r: RefundInfo): Record<string, unknown> {
    return {
      id: r.id,
      object: 'refund',
      amount: r.amount,
      balance_transaction: `txn_${r.id.slice(3)}`,
      charge: chargeId,
      created: r.created,
      currency: 'usd',
      metadata: {},
      payment_intent: `pi_${chargeId.slice(3)}`,
      reason: null,
      receipt_number: null,
      source_transfer_reversal: null,
      status: 'succeeded',
      transfer_reversal: null,
    };
  }

  /**
   * A charge as served in a data answer: live mode, the badTimestamps fault, and its refunds when
   * expanded. Since API version 2022-11-15 a charge no longer carries `refunds` unless asked
   * (expand[]=refunds; in lists expand[]=data.refunds):
   * https://docs.stripe.com/changelog/2022-11-15/deprecates-charges-auto-expand
   */
  function chargeJson(ctx: RequestContext, i: number, state?: ChargeState, expandRefunds = false): Record<string, unknown> {
    const c = charges.render(i, state);
    if (livemode) c.livemode = true;
    const id = c.id as string;
    const bad = ctx.faults.badTimestamp(i, id);
    if (bad) c.created = BAD_CREATED[bad];
    if (expandRefunds) {
      const list = charges.refundsOf(i);
      c.refunds = { object: 'list', data: list.map((r) => renderRefund(id, r)), has_more: false, url: `/v1/charges/${id}/refunds` };
    }
    return c;
  }

  /** The Dispute a charge.dispute.created event carries (https://docs.stripe.com/api/disputes/object). */
  function renderDispute(e: ChargeEvent): Record<string, unknown> {
    const d = e.dispute!;
    const chargeId = charges.idOf(e.charge);
    return {
      id: d.id,
      object: 'dispute',
      amount: d.amount,
      balance_transactions: [],
      charge: chargeId,
      created: d.created,
      currency: 'usd',
      evidence: { customer_email_address: null, customer_name: null, product_description: null, receipt: null, uncategorized_text: null },
      evidence_details: { due_by: d.created + 7 * DAY, has_evidence: false, past_due: false, submission_count: 0 },
      is_charge_refundable: false,
      livemode,
      metadata: {},
      payment_intent: `pi_${chargeId.slice(3)}`,
      reason: d.reason,
      status: 'needs_response',
    };
  }

  /**
   * An Event (https://docs.stripe.com/api/events/object): data.object is the charge as it was right
   * after the change (charge.* events) or the dispute (charge.dispute.* events), rendered in the
   * sandbox's API version; update events carry data.previous_attributes.
   */
  function eventJson(ctx: RequestContext, seq: number): Record<string, unknown> {
    const e = charges.eventAt(seq);
    const object = e.dispute ? renderDispute(e) : chargeJson(ctx, e.charge, e.state);
    return {
      id: charges.eventIdOf(seq),
      object: 'event',
      api_version: STRIPE_SANDBOX_API_VERSION,
      created: e.created,
      data: e.previous ? { object, previous_attributes: e.previous } : { object },
      livemode,
      pending_webhooks: 0,
      request: { id: null, idempotency_key: null },
      type: e.type,
    };
  }

  interface ListParams {
    range: CreatedRange;
    limit: number;
    startingAfter: string | null;
    endingBefore: string | null;
  }

  /**
   * limit, created, created[gt|gte|lt|lte], starting_after and ending_before, shared by both lists;
   * any other key goes to `other`, which answers null (taken), a Reply (refused) or undefined (unknown).
   */
  function parseList(q: URLSearchParams, other: (key: string, value: string) => Reply | null | undefined): ListParams | Reply {
    const out: ListParams = { range: { gte: null, lte: null }, limit: DEFAULT_LIMIT, startingAfter: null, endingBefore: null };
    const tighten = (gte: number | null, lte: number | null) => {
      if (gte !== null) out.range.gte = out.range.gte === null ? gte : Math.max(out.range.gte, gte);
      if (lte !== null) out.range.lte = out.range.lte === null ? lte : Math.min(out.range.lte, lte);
    };
    for (const [key, value] of q) {
      if (key === 'limit') {
        const n = parseInteger(value, 'limit');
        if (typeof n !== 'number') return n;
        if (n < 1) return badParam('limit', 'This value must be greater than or equal to 1.');
        if (n > MAX_LIMIT) return badParam('limit', `This value must be less than or equal to ${MAX_LIMIT}.`);
        out.limit = n;
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
        out.startingAfter = value;
      } else if (key === 'ending_before') {
        out.endingBefore = value;
      } else {
        const r = other(key, value);
        if (r === undefined) return badParam(key, `Received unknown parameter: ${key}`);
        if (r !== null) return r;
      }
    }
    if (out.startingAfter !== null && out.endingBefore !== null) {
      return badParam('starting_after', 'You may only specify one of these parameters: ending_before, starting_after.');
    }
    return out;
  }

  /** Resolves starting_after/ending_before through `resolve` (an id to an index or seq, -1 unknown). */
  function anchors(p: ListParams, resolve: (id: string) => number, what: string): { startingAfter?: number; endingBefore?: number } | Reply {
    const anchor: { startingAfter?: number; endingBefore?: number } = {};
    for (const [param, id] of [['starting_after', p.startingAfter], ['ending_before', p.endingBefore]] as const) {
      if (id === null) continue;
      const index = resolve(id);
      if (index < 0) return badParam(param, `No such ${what}: '${id}'`, 'resource_missing');
      if (param === 'starting_after') anchor.startingAfter = index;
      else anchor.endingBefore = index;
    }
    return anchor;
  }

  function listCharges(ctx: RequestContext): Reply {
    let expandRefunds = false;
    const p = parseList(ctx.query, (key, value) => {
      if (EXPAND_KEY.test(key)) {
        if (value !== 'data.refunds') return badParam(key, `The sandbox emulator can only expand data.refunds on GET /v1/charges (got ${value}).`);
        expandRefunds = true;
        return null;
      }
      if (UNMODELLED.test(key)) return badParam(key, `The sandbox emulator does not support the parameter ${key} of GET /v1/charges.`);
      return undefined;
    });
    if ('status' in p) return p;
    const anchor = anchors(p, (id) => charges.indexOfId(id), 'charge');
    if ('status' in anchor) return anchor;
    const page = charges.list(p.range, anchor, p.limit);
    // dropRecords: the page is cut after has_more was decided, as a provider losing rows would.
    const kept = page.items.filter((i) => !ctx.faults.dropRecord(i, charges.idOf(i)));
    return {
      status: 200,
      body: { object: 'list', data: kept.map((i) => chargeJson(ctx, i, undefined, expandRefunds)), has_more: page.hasMore, url: '/v1/charges' },
    };
  }

  /**
   * GET /v1/events: newest first; `type` is "a specific event name, or group of events using * as a
   * wildcard", `types[]` up to 20 exact names, never both ("You may pass either type or types, but
   * not both"); events older than 30 days are not listed. The docs do not say whether * spans dots:
   * the emulator reads it as any characters, so charge.* also matches charge.dispute.created.
   */
  function listEvents(ctx: RequestContext): Reply {
    let type: string | null = null;
    const types: string[] = [];
    const p = parseList(ctx.query, (key, value) => {
      if (key === 'type') {
        if (value === '') return badParam('type', 'Invalid string: an event type is required.');
        type = value;
        return null;
      }
      if (TYPES_KEY.test(key)) {
        if (value === '') return badParam('types', 'Invalid string: an event type is required.');
        types.push(value);
        return null;
      }
      if (key === 'types') return badParam('types', 'Invalid array');
      if (EXPAND_KEY.test(key)) return badParam(key, 'The sandbox emulator does not support expand on GET /v1/events.');
      if (UNMODELLED_EVENT_PARAMS.test(key)) return badParam(key, `The sandbox emulator does not support the parameter ${key} of GET /v1/events.`);
      return undefined;
    });
    if ('status' in p) return p;
    if (type !== null && types.length > 0) return badParam('types', 'You may pass either type or types, but not both.');
    if (types.length > MAX_TYPES) return badParam('types', `This value must have at most ${MAX_TYPES} elements.`);
    let match: ((t: StripeEventType) => boolean) | null = null;
    if (type !== null) {
      const pattern = new RegExp(`^${(type as string).split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
      match = (t) => pattern.test(t);
    } else if (types.length > 0) {
      const wanted = new Set(types);
      match = (t) => wanted.has(t);
    }
    const anchor = anchors(p, (id) => charges.eventSeqOf(id), 'event');
    if ('status' in anchor) return anchor;
    const retainedFrom = Math.floor(ctx.now() / 1000) - STRIPE_EVENT_RETENTION_DAYS * DAY;
    const page = charges.listEvents({ range: p.range, match, anchor, limit: p.limit, retainedFrom });
    return { status: 200, body: { object: 'list', data: page.items.map((seq) => eventJson(ctx, seq)), has_more: page.hasMore, url: '/v1/events' } };
  }

  function retrieveCharge(ctx: RequestContext, id: string): Reply {
    let expandRefunds = false;
    for (const [key, value] of ctx.query) {
      if (!EXPAND_KEY.test(key)) return badParam(key, `Received unknown parameter: ${key}`);
      if (value !== 'refunds') return badParam(key, `The sandbox emulator can only expand refunds on GET /v1/charges/{id} (got ${value}).`);
      expandRefunds = true;
    }
    const index = charges.indexOfId(id);
    return index < 0
      ? stripeError(404, { message: `No such charge: '${id}'`, type: 'invalid_request_error', param: 'id', code: 'resource_missing' })
      : { status: 200, body: chargeJson(ctx, index, undefined, expandRefunds) };
  }

  function retrieveEvent(ctx: RequestContext, id: string): Reply {
    const seq = charges.eventSeqOf(id);
    const retainedFrom = Math.floor(ctx.now() / 1000) - STRIPE_EVENT_RETENTION_DAYS * DAY;
    // An event past retention is gone as far as the API is concerned.
    if (seq < 0 || charges.eventCreated(seq) < retainedFrom) {
      return stripeError(404, { message: `No such event: '${id}'`, type: 'invalid_request_error', param: 'id', code: 'resource_missing' });
    }
    return { status: 200, body: eventJson(ctx, seq) };
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
      return ctx.method === 'GET' && (ctx.path === '/v1/charges' || ctx.path === '/v1/events');
    },

    handle(ctx) {
      let reply: Reply;
      const one = /^\/v1\/(charges|events)\/([^/]+)$/.exec(ctx.path);
      if (ctx.method === 'GET' && ctx.path === '/v1/charges') reply = listCharges(ctx);
      else if (ctx.method === 'GET' && ctx.path === '/v1/events') reply = listEvents(ctx);
      else if (ctx.method === 'GET' && ctx.path === '/v1/balance') reply = balance();
      else if (ctx.method === 'GET' && one) {
        const id = decodeURIComponent(one[2]!);
        reply = one[1] === 'charges' ? retrieveCharge(ctx, id) : retrieveEvent(ctx, id);
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
