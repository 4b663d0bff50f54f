// Stripe: charges, newest first, paged with starting_after while has_more.
// Facts and sources: src/registry/connectors/stripe.ts. Pages this file follows:
// https://docs.stripe.com/api/charges/list ,
// https://docs.stripe.com/api/pagination , https://docs.stripe.com/error-handling
import { z } from 'zod';
import type { ConnectorExecutor, ConnectorResponse, PullPage, PullRequest, SourceRecord } from '../core/envelope.js';
import { failBeforeSend, withBody, withError } from '../core/envelope.js';
import { connectorError } from '../core/errors.js';
import type { HttpResponse } from '../core/http.js';
import { redact } from '../core/redact.js';
import type { ProbeResult } from '../core/slices.js';
import type { StripeConfig } from '../registry/connectors/stripe.js';
import { stripe } from '../registry/connectors/stripe.js';
import { bindProvider, type BoundProvider, type ProviderBinding } from './bind.js';
import { nextCursorError, parseBody } from './support.js';

const PROVIDER = 'Stripe';
const API_BASE = 'https://api.stripe.com';
// The 1..100 range is documented in prose only; the OpenAPI schema does not carry it.
const MAX_LIMIT = 100;

const chargeList = z.object({
  object: z.literal('list'),
  // The upper bound (9999-12-31) keeps `new Date(created * 1000)` from throwing on a bogus value.
  data: z.array(z.looseObject({ id: z.string().min(1), created: z.number().int().nonnegative().max(253_402_300_799) })),
  has_more: z.boolean(),
});
const balanceBody = z.looseObject({ object: z.literal('balance'), available: z.array(z.unknown()) });

const stripeErrorBody = z.object({
  error: z.looseObject({ message: z.string().optional(), code: z.string().optional(), type: z.string().optional() }),
});

/**
 * Stripe's refinements of the shared mapping: `Stripe-Should-Retry` is Stripe's own verdict and
 * wins over the status table (e.g. a 409 idempotency race it wants retried, a 500 it does not), and
 * the message names Stripe's error code and the Request-Id that Stripe support asks for.
 */
export function refineStripeError(res: HttpResponse, secrets: readonly string[]): HttpResponse {
  if (res.ok || !res.error || res.status === 0) return res;
  const error = { ...res.error };
  const shouldRetry = res.headers['stripe-should-retry']?.trim().toLowerCase();
  if (shouldRetry === 'true') error.retryable = true;
  else if (shouldRetry === 'false') error.retryable = false;

  const parsed = stripeErrorBody.safeParse(res.body);
  if (parsed.success) {
    const { message, code, type } = parsed.data.error;
    const kind = code ?? type;
    const requestId = res.headers['request-id'];
    error.message = redact(
      `${PROVIDER} answered HTTP ${res.status}${kind ? ` (${kind})` : ''}${message ? `: ${message}` : ''}${requestId ? ` [request ${requestId}]` : ''}`,
      secrets,
    );
  }
  return { ...res, error };
}

function unixSeconds(iso: string, what: string): number | string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? `${what} "${iso}" is not a valid ISO-8601 date` : Math.floor(ms / 1000);
}

/** Stripe's request context: the secret key, the pinned version and the connected account, bound once. */
const STRIPE: ProviderBinding<StripeConfig> = {
  connectorId: 'stripe',
  provider: PROVIDER,
  baseUrl: () => API_BASE,
  headers: (config) => ({
    authorization: `Bearer ${config.secretKey}`,
    ...(config.apiVersion ? { 'stripe-version': config.apiVersion } : {}),
    ...(config.connectAccountId ? { 'stripe-account': config.connectAccountId } : {}),
  }),
  refineError: refineStripeError,
};

function clampLimit(pageSize: number | undefined): number {
  const wanted = pageSize !== undefined && Number.isFinite(pageSize) ? Math.floor(pageSize) : stripe.policy.pull?.defaultPageSize ?? MAX_LIMIT;
  return Math.min(Math.max(1, wanted), MAX_LIMIT);
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

// ---------------------------------------------------------------------------------------------
// Cursor
//
// A run reads charges created in its window, newest first (the charge's `created` never changes).
// An incremental run then follows Stripe's change feed: the `charge.*` events created in the window
// (refunds, captures, disputes, metadata edits of charges created before it), each applied as the
// charge's new version, stamped with the event's time. Events whose object is not the charge (a
// dispute, a refund) name it; those charges are read again by id, one per page, so that every
// request stays one page of the connection's budget. The cursor says where the run is:
//   "<charge id>"                   next page of charges after that one
//   "[rf:<id>@<time>,…|]ev:<pos>"   events: "*" to start, else after that event id; refetches pending
//   "rf:<id>@<time>,…"              charges still to read again by id, the events done
// https://docs.stripe.com/api/events/list , https://docs.stripe.com/api/events/types

const OBJECT_ID = /^[A-Za-z0-9_-]{1,255}$/;
const REFETCH = /^[A-Za-z0-9_]{1,255}@\d{1,12}$/;
const MAX_PENDING = 50;

interface FeedCursor {
  refetch: { id: string; at: number }[];
  /** Null when the events are done. */
  events: string | null;
}

export function parseStripeCursor(cursor: string): { charges: string } | { feed: FeedCursor } | undefined {
  if (OBJECT_ID.test(cursor)) return { charges: cursor };
  const m = /^(?:rf:([^|]+))?(?:\|?ev:(\*|[A-Za-z0-9_-]{1,255}))?$/.exec(cursor);
  if (!m || (!m[1] && !m[2])) return undefined;
  const refetch = (m[1] ?? '').split(',').filter(Boolean);
  if (!refetch.every((r) => REFETCH.test(r))) return undefined;
  return { feed: { refetch: refetch.map((r) => ({ id: r.split('@')[0]!, at: Number(r.split('@')[1]) })), events: m[2] ?? null } };
}

export function feedCursor(c: FeedCursor): string | null {
  const rf = c.refetch.length ? `rf:${c.refetch.map((r) => `${r.id}@${r.at}`).join(',')}` : '';
  const ev = c.events !== null ? `ev:${c.events}` : '';
  const out = [rf, ev].filter(Boolean).join('|');
  return out === '' ? null : out;
}

const isCursor = (c: string) => parseStripeCursor(c) !== undefined;

const eventList = z.object({
  object: z.literal('list'),
  data: z.array(z.looseObject({
    id: z.string().min(1),
    type: z.string(),
    created: z.number().int().nonnegative().max(253_402_300_799),
    data: z.looseObject({ object: z.looseObject({ id: z.string().optional(), object: z.string().optional(), charge: z.unknown().optional() }) }),
  })),
  has_more: z.boolean(),
});
const chargeBody = z.looseObject({ id: z.string().min(1), object: z.literal('charge'), created: z.number().int().nonnegative().max(253_402_300_799) });

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

export const stripeExecutor: ConnectorExecutor<StripeConfig> = {
  async testConnection(rawConfig, opts) {
    const bound = bindProvider(STRIPE, rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    return parseBody(await bound.provider.request({ method: 'GET', path: '/v1/balance' }), balanceBody, PROVIDER);
  },

  async pull(rawConfig, req: PullRequest, opts): Promise<ConnectorResponse<PullPage>> {
    const bound = bindProvider(STRIPE, rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    const { provider } = bound;
    const { config } = provider;
    if (req.stream !== 'charges') return failBeforeSend('invalid_config', `Stripe has no stream "${req.stream}" (streams: charges)`);
    const position = req.cursor ? parseStripeCursor(req.cursor) : { charges: '' };
    if (!position) return failBeforeSend('invalid_config', 'Stripe: the cursor is neither a Stripe object id nor an events position of this connector: it was not made by this connector');

    // `created` is fixed at creation: the window [since, until] is stable while we page, and the
    // upper bound keeps charges created mid-run from pushing older ones onto the next page.
    const since = req.since ?? config.startDate ?? null;
    const gte = since === null ? undefined : unixSeconds(since, 'since');
    const lte = req.until ? unixSeconds(req.until, 'until') : undefined;
    if (typeof gte === 'string') return failBeforeSend('invalid_config', `Stripe: ${gte}`);
    if (typeof lte === 'string') return failBeforeSend('invalid_config', `Stripe: ${lte}`);
    const followChanges = req.followChanges === true && gte !== undefined;

    if ('feed' in position) return readFeed(provider, position.feed, { gte, lte }, clampLimit(req.pageSize));

    const res = await provider.request({
      method: 'GET',
      path: '/v1/charges',
      query: {
        limit: clampLimit(req.pageSize),
        'created[gte]': gte,
        'created[lte]': lte,
        // Never together with ending_before: Stripe rejects the pair.
        starting_after: position.charges || undefined,
      },
    });
    const parsed = parseBody(res, chargeList, PROVIDER);
    if (!parsed.ok || !parsed.body) return withError(parsed, parsed.error ?? connectorError('invalid_response', 'Stripe returned no body'));

    const { data, has_more } = parsed.body;
    const last = data[data.length - 1];
    if (has_more && !last) {
      return withError(parsed, connectorError('invalid_response', 'Stripe answered has_more=true with an empty page: no cursor to continue from'));
    }
    const records: SourceRecord[] = data.map((c) => ({ id: c.id, updatedAt: iso(c.created), data: c }));
    const watermark = records.reduce<string | null>((max, r) => (max === null || r.updatedAt > max ? r.updatedAt : max), null);
    // After the last page of charges, an incremental run goes on to the events of the window.
    const nextCursor = has_more && last ? last.id : followChanges ? 'ev:*' : null;
    const badCursor = nextCursorError(PROVIDER, nextCursor, isCursor, 'last charge id');
    if (badCursor) return withError(parsed, badCursor);
    // Newest first: a slice that finds more than planned hands back [since .. the oldest seen].
    return withBody(parsed, { records, nextCursor, watermark, order: 'desc' });
  },

  /**
   * The window's size and where its data starts. Stripe counts nothing: a first page of 100 tells
   * the size exactly when it is the only page; otherwise the oldest charge is found by halving the
   * window (a one-charge read per step, paced at the connector's rate, down to a day) and the size is
   * estimated from the first page's density.
   */
  async probe(rawConfig, req, opts): Promise<ConnectorResponse<ProbeResult>> {
    const bound = bindProvider(STRIPE, rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    const { provider } = bound;
    if (req.stream !== 'charges') return failBeforeSend('invalid_config', `Stripe has no stream "${req.stream}" (streams: charges)`);
    const gte = req.since ? unixSeconds(req.since, 'since') : STRIPE_EPOCH_S;
    const lte = req.until ? unixSeconds(req.until, 'until') : Math.floor(Date.now() / 1000);
    if (typeof gte === 'string') return failBeforeSend('invalid_config', `Stripe: ${gte}`);
    if (typeof lte === 'string') return failBeforeSend('invalid_config', `Stripe: ${lte}`);
    const list = (limit: number, lo: number, hi: number) =>
      provider.request({ method: 'GET', path: '/v1/charges', query: { limit, 'created[gte]': lo, 'created[lte]': hi } }).then((r) => parseBody(r, chargeList, PROVIDER));

    const first = await list(MAX_LIMIT, gte, lte);
    if (!first.ok || !first.body) return withError(first, first.error ?? connectorError('invalid_response', 'Stripe returned no body'));
    const page = first.body.data;
    if (!first.body.has_more) {
      const earliest = page.length ? iso(Math.min(...page.map((c) => c.created))) : null;
      return withBody(first, { count: page.length, earliest });
    }
    // The oldest charge lies in [gte, oldest on the first page]: halve that range down to a day.
    const pace = 1000 / stripe.policy.rate.requestsPerSecond;
    let lo = gte;
    let hi = Math.min(...page.map((c) => c.created));
    let last: ConnectorResponse<unknown> = first;
    while (hi - lo > 86_400) {
      await sleep(pace);
      const mid = Math.floor((lo + hi) / 2);
      const probe = await list(1, lo, mid);
      if (!probe.ok || !probe.body) return withError(probe, probe.error ?? connectorError('invalid_response', 'Stripe returned no body'));
      last = probe;
      if (probe.body.data.length > 0) hi = mid;
      else lo = mid;
    }
    const newest = Math.max(...page.map((c) => c.created));
    const oldestOnPage = Math.min(...page.map((c) => c.created));
    const span = Math.max(1, newest - oldestOnPage);
    const estimate = Math.round((page.length * (lte - lo)) / span);
    return withBody(last, { count: Math.max(page.length + 1, estimate), estimated: true, earliest: iso(lo) });
  },
};

/** Stripe launched in 2010: no account has data before that. */
const STRIPE_EPOCH_S = Math.floor(Date.UTC(2010, 0, 1) / 1000);

/** One page of the change feed: a charge read again by id, or a page of `charge.*` events. */
async function readFeed(
  provider: BoundProvider<StripeConfig>,
  feed: FeedCursor,
  window: { gte: number | undefined; lte: number | undefined },
  limit: number,
): Promise<ConnectorResponse<PullPage>> {
  const [next, ...rest] = feed.refetch;
  if (next) {
    const res = await provider.request({ method: 'GET', path: `/v1/charges/${encodeURIComponent(next.id)}` });
    const parsed = parseBody(res, chargeBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return withError(parsed, parsed.error ?? connectorError('invalid_response', 'Stripe returned no body'));
    const record: SourceRecord = { id: parsed.body.id, updatedAt: iso(next.at), data: parsed.body };
    return withBody(parsed, { records: [record], nextCursor: feedCursor({ refetch: rest, events: feed.events }), watermark: record.updatedAt });
  }
  const res = await provider.request({
    method: 'GET',
    path: '/v1/events',
    query: {
      type: 'charge.*',
      limit,
      'created[gte]': window.gte,
      'created[lte]': window.lte,
      starting_after: feed.events && feed.events !== '*' ? feed.events : undefined,
    },
  });
  const parsed = parseBody(res, eventList, PROVIDER);
  if (!parsed.ok || !parsed.body) return withError(parsed, parsed.error ?? connectorError('invalid_response', 'Stripe returned no body'));
  const { data, has_more } = parsed.body;
  const last = data[data.length - 1];
  if (has_more && !last) return withError(parsed, connectorError('invalid_response', 'Stripe answered has_more=true with an empty page of events: no cursor to continue from'));
  const records: SourceRecord[] = [];
  const refetch: FeedCursor['refetch'] = [];
  for (const event of data) {
    const object = event.data.object;
    if (object.object === 'charge' && typeof object.id === 'string') {
      records.push({ id: object.id, updatedAt: iso(event.created), data: object });
    } else if (typeof object.charge === 'string' && !refetch.some((r) => r.id === object.charge)) {
      // A dispute or a refund names its charge: read the charge again.
      refetch.push({ id: object.charge, at: event.created });
    }
  }
  const watermark = records.reduce<string | null>((max, r) => (max === null || r.updatedAt > max ? r.updatedAt : max), null);
  const pending = refetch.slice(0, MAX_PENDING);
  if (refetch.length > MAX_PENDING) {
    return withError(parsed, connectorError('invalid_response', `Stripe: more than ${MAX_PENDING} disputed or refunded charges on one page of events; use a smaller page size`));
  }
  const nextCursor = feedCursor({ refetch: pending, events: has_more && last ? last.id : null });
  const badCursor = nextCursorError(PROVIDER, nextCursor, isCursor, 'events position');
  if (badCursor) return withError(parsed, badCursor);
  return withBody(parsed, { records, nextCursor, watermark });
}
