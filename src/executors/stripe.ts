// Stripe: charges, newest first, paged with starting_after while has_more.
// Facts (shared/docs/providers.md §15): https://docs.stripe.com/api/charges/list ,
// https://docs.stripe.com/api/pagination , https://docs.stripe.com/error-handling
import { z } from 'zod';
import type { CallOptions, ConnectorExecutor, ConnectorResponse, PullPage, PullRequest, SourceRecord } from '../core/envelope.js';
import { failBeforeSend, withBody, withError } from '../core/envelope.js';
import { connectorError } from '../core/errors.js';
import { httpRequest, type HttpResponse, type QueryValue } from '../core/http.js';
import { redact } from '../core/redact.js';
import type { StripeConfig } from '../registry/connectors/stripe.js';
import { stripe } from '../registry/connectors/stripe.js';
import { baseUrl, callOptions, checkConfig, nextCursorError, parseBody, secretsOf } from './support.js';

const PROVIDER = 'Stripe';
const API_BASE = 'https://api.stripe.com';
// The 1..100 range is documented in prose only; the OpenAPI schema does not carry it.
const MAX_LIMIT = 100;
// Stripe object ids are `<prefix>_<alphanumerics>`; anything else in a cursor is not ours.
const CURSOR = /^[A-Za-z0-9_-]{1,255}$/;

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

function apiBase(opts?: CallOptions) {
  return baseUrl(API_BASE, opts);
}

function headersFor(config: StripeConfig): Record<string, string> {
  const headers: Record<string, string> = { authorization: `Bearer ${config.secretKey}` };
  if (config.apiVersion) headers['stripe-version'] = config.apiVersion;
  if (config.connectAccountId) headers['stripe-account'] = config.connectAccountId;
  return headers;
}

async function get(config: StripeConfig, url: string, query: Record<string, QueryValue> | undefined, opts?: CallOptions): Promise<HttpResponse> {
  const secrets = secretsOf('stripe', config);
  const res = await httpRequest({
    provider: PROVIDER,
    method: 'GET',
    url,
    ...(query ? { query } : {}),
    headers: headersFor(config),
    secrets,
    ...callOptions(opts, stripe.policy.timeouts.requestMs),
  });
  return refineStripeError(res, secrets);
}

function clampLimit(pageSize: number | undefined): number {
  const wanted = pageSize !== undefined && Number.isFinite(pageSize) ? Math.floor(pageSize) : stripe.policy.pull?.defaultPageSize ?? MAX_LIMIT;
  return Math.min(Math.max(1, wanted), MAX_LIMIT);
}

export const stripeExecutor: ConnectorExecutor<StripeConfig> = {
  async testConnection(rawConfig, opts) {
    const checked = checkConfig<StripeConfig>('stripe', rawConfig);
    if ('fail' in checked) return checked.fail;
    const base = apiBase(opts);
    if ('fail' in base) return base.fail;
    const res = await get(checked.config, `${base.base}/v1/balance`, undefined, opts);
    return parseBody(res, balanceBody, PROVIDER);
  },

  async pull(rawConfig, req: PullRequest, opts): Promise<ConnectorResponse<PullPage>> {
    const checked = checkConfig<StripeConfig>('stripe', rawConfig);
    if ('fail' in checked) return checked.fail;
    const { config } = checked;
    if (req.stream !== 'charges') return failBeforeSend('invalid_config', `Stripe has no stream "${req.stream}" (streams: charges)`);
    if (req.cursor && !CURSOR.test(req.cursor)) return failBeforeSend('invalid_config', 'Stripe: the cursor is not a Stripe object id (letters, digits, "_" and "-", at most 255 characters): it was not made by this connector');
    const base = apiBase(opts);
    if ('fail' in base) return base.fail;

    // `created` is fixed at creation: the window [since, until] is stable while we page, and the
    // upper bound keeps charges created mid-run from pushing older ones onto the next page.
    const since = req.since ?? config.startDate ?? null;
    const gte = since === null ? undefined : unixSeconds(since, 'since');
    const lte = req.until ? unixSeconds(req.until, 'until') : undefined;
    if (typeof gte === 'string') return failBeforeSend('invalid_config', `Stripe: ${gte}`);
    if (typeof lte === 'string') return failBeforeSend('invalid_config', `Stripe: ${lte}`);

    const res = await get(config, `${base.base}/v1/charges`, {
      limit: clampLimit(req.pageSize),
      'created[gte]': gte,
      'created[lte]': lte,
      // Never together with ending_before: Stripe rejects the pair.
      starting_after: req.cursor ?? undefined,
    }, opts);
    const parsed = parseBody(res, chargeList, PROVIDER);
    if (!parsed.ok || !parsed.body) return withError(parsed, parsed.error ?? connectorError('invalid_response', 'Stripe returned no body'));

    const { data, has_more } = parsed.body;
    const last = data[data.length - 1];
    if (has_more && !last) {
      return withError(parsed, connectorError('invalid_response', 'Stripe answered has_more=true with an empty page: no cursor to continue from'));
    }
    const records: SourceRecord[] = data.map((c) => ({ id: c.id, updatedAt: new Date(c.created * 1000).toISOString(), data: c }));
    const watermark = records.reduce<string | null>((max, r) => (max === null || r.updatedAt > max ? r.updatedAt : max), null);
    const nextCursor = has_more && last ? last.id : null;
    const badCursor = nextCursorError(PROVIDER, nextCursor, (c) => CURSOR.test(c), 'last charge id');
    if (badCursor) return withError(parsed, badCursor);
    return withBody(parsed, { records, nextCursor, watermark });
  },
};
