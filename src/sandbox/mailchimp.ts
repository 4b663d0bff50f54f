// Mailchimp Marketing API emulator: /3.0/ping, /3.0/lists/{id} and /3.0/lists/{id}/members with
// offset paging. Behaviour follows the facts in src/registry/connectors/mailchimp.ts and
// https://mailchimp.com/developer/marketing/api/list-members/list-members-info/ ,
// https://mailchimp.com/developer/marketing/docs/errors/ ,
// https://mailchimp.com/developer/marketing/api/lists/get-list-info/ ,
// https://mailchimp.com/developer/marketing/guides/run-async-requests-batch-endpoint/ ("a limit of 10
// concurrent connections for your API key")
import { randomUUID } from 'node:crypto';
import type { BadTimestampKind, FailStatus } from './faults.js';
import { MEMBER_STATUSES, type MailchimpMembers, type MemberQuery, type MemberStatus } from './mailchimp-data.js';
import type { LimitReason, ProviderApi, Reply, RequestContext } from './server.js';
import { ceilSec, isoWithOffset, parseIsoMs } from './time.js';

const ERROR_DOC = 'https://mailchimp.com/developer/marketing/docs/errors/';
const PROBLEM_JSON = 'application/problem+json; charset=utf-8';
const DEFAULT_COUNT = 10;
const MAX_COUNT = 1000;
/** Simultaneous connections Mailchimp allows per API key. */
export const MAILCHIMP_SANDBOX_CONNECTIONS = 10;
// Valid member statuses that this audience has no members in (no transactional or archived data).
const EMPTY_STATUSES = new Set(['transactional', 'archived']);

/** A bad last_changed (see BadTimestampKind), in the +00:00 form Mailchimp prints. */
const BAD_LAST_CHANGED: Record<BadTimestampKind, string> = {
  unparseable: 'not a date',
  farFuture: '9999-12-31T23:59:59+00:00',
  farPast: '1970-01-01T00:00:00+00:00',
};

export interface MailchimpCredentials {
  apiKey: string;
  listId: string;
}

function problem(status: number, title: string, detail: string, errors?: { field: string; message: string }[]): Reply {
  return {
    status,
    contentType: PROBLEM_JSON,
    body: { type: ERROR_DOC, title, status, detail, instance: randomUUID(), ...(errors ? { errors } : {}) },
  };
}

const invalid = (field: string, message: string) =>
  problem(400, 'Invalid Resource', "The resource submitted could not be validated. For field-specific details, see the 'errors' array.", [{ field, message }]);

const notFound = () => problem(404, 'Resource Not Found', 'The requested resource could not be found.');

type PathTree = { [key: string]: PathTree | true };

function pathTree(list: string): PathTree {
  const root: PathTree = {};
  for (const path of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    const parts = path.split('.');
    let node: PathTree = root;
    for (let k = 0; k < parts.length; k++) {
      const part = parts[k]!;
      if (k === parts.length - 1) {
        node[part] = true;
        break;
      }
      const next: PathTree | true | undefined = node[part];
      // A shorter path already asked for the whole subtree.
      if (next === true) break;
      node = next ?? (node[part] = {});
    }
  }
  return root;
}

/** Mailchimp's `fields`: keep only the named dotted paths (arrays are entered element-wise). */
function include(value: unknown, tree: PathTree | true): unknown {
  if (tree === true) return value;
  if (Array.isArray(value)) return value.map((v) => include(v, tree));
  if (typeof value !== 'object' || value === null) return value;
  const src = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, sub] of Object.entries(tree)) if (k in src) out[k] = include(src[k], sub);
  return out;
}

/** Mailchimp's `exclude_fields`: drop the named dotted paths. */
function exclude(value: unknown, tree: PathTree): unknown {
  if (Array.isArray(value)) return value.map((v) => exclude(v, tree));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [k, sub] of Object.entries(tree)) {
    if (sub === true) delete out[k];
    else if (k in out) out[k] = exclude(out[k], sub);
  }
  return out;
}

/** The API key from Basic auth (any user name), `Bearer <key>` or `apikey <key>`. */
function presentedKey(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^(Basic|Bearer|apikey)\s+(.+)$/i.exec(header.trim());
  if (!m) return null;
  if (m[1]!.toLowerCase() !== 'basic') return m[2]!.trim();
  const decoded = Buffer.from(m[2]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : decoded.slice(colon + 1);
}

/** The API key a request presents, which names its account on a multi-key emulator. */
export function mailchimpCredential(ctx: RequestContext): string | null {
  return presentedKey(ctx.headers.authorization);
}

/** Mailchimp's partial responses: `fields` wins over `exclude_fields`, on every GET. */
function project(body: unknown, q: URLSearchParams): unknown {
  const fields = q.get('fields');
  const excluded = q.get('exclude_fields');
  if (fields) return include(body, pathTree(fields));
  if (excluded) return exclude(body, pathTree(excluded));
  return body;
}

/** `maxConnections`: the key's cap on simultaneous requests, for the 429 text (the server enforces it). */
export function mailchimpApi(members: MailchimpMembers, creds: MailchimpCredentials, options: { maxConnections?: number } = {}): ProviderApi {
  const maxConnections = options.maxConnections ?? MAILCHIMP_SANDBOX_CONNECTIONS;
  function intParam(q: URLSearchParams, name: string, fallback: number): number | Reply {
    const v = q.get(name);
    if (v === null || v === '') return fallback;
    if (!/^\d+$/.test(v)) return invalid(name, `${name} must be a non-negative integer`);
    return Number(v);
  }

  // Bounds: `since_*` is read as inclusive (>=) and `before_*` as exclusive (<). Mailchimp's docs say
  // only "after"/"before"; inclusive-since plus exclusive-before makes consecutive windows
  // [a, b), [b, c) cover every change exactly once, which is what incremental syncs need.
  function timeParam(q: URLSearchParams, name: string): number | null | Reply {
    const v = q.get(name);
    if (v === null || v === '') return null;
    const ms = parseIsoMs(v, 0);
    if (ms === null) return invalid(name, `${name} must be an ISO 8601 date-time, e.g. 2025-03-01T10:00:00+00:00`);
    return ceilSec(ms);
  }

  function listMembers(ctx: RequestContext, listId: string): Reply {
    const q = ctx.query;
    const count = intParam(q, 'count', DEFAULT_COUNT);
    if (typeof count !== 'number') return count;
    if (count > MAX_COUNT) return invalid('count', `count must be less than or equal to ${MAX_COUNT}`);
    const offset = intParam(q, 'offset', 0);
    if (typeof offset !== 'number') return offset;

    const times: (number | null)[] = [];
    for (const name of ['since_last_changed', 'before_last_changed', 'since_timestamp_opt', 'before_timestamp_opt']) {
      const t = timeParam(q, name);
      if (t !== null && typeof t === 'object') return t;
      times.push(t);
    }
    const [changedSince, changedBefore, optSince, optBefore] = times as [number | null, number | null, number | null, number | null];

    const sortFieldRaw = q.get('sort_field');
    let sortField: MemberQuery['sortField'] = null;
    if (sortFieldRaw !== null && sortFieldRaw !== '') {
      if (sortFieldRaw === 'last_changed') sortField = 'last_changed';
      // Signup and opt-in times rise together here, so both sort in creation order.
      else if (sortFieldRaw === 'timestamp_opt' || sortFieldRaw === 'timestamp_signup') sortField = 'timestamp_opt';
      else return invalid('sort_field', 'sort_field must be one of: timestamp_opt, timestamp_signup, last_changed');
    }
    const sortDir = q.get('sort_dir') ?? 'ASC';
    if (sortDir !== 'ASC' && sortDir !== 'DESC') return invalid('sort_dir', 'sort_dir must be ASC or DESC');

    const statusRaw = q.get('status');
    let status: MemberQuery['status'] = null;
    if (statusRaw !== null && statusRaw !== '') {
      if (MEMBER_STATUSES.includes(statusRaw as MemberStatus)) status = statusRaw as MemberStatus;
      else if (EMPTY_STATUSES.has(statusRaw)) status = 'none';
      else return invalid('status', 'status must be one of: subscribed, unsubscribed, cleaned, pending, transactional, archived');
    }

    const page = members.query({ status, sortField, descending: sortDir === 'DESC', changedSince, changedBefore, optSince, optBefore, offset, count });
    // dropRecords: fewer members on the page, total_items still counting them.
    const rendered: Record<string, unknown>[] = [];
    for (const i of page.items) {
      const m = members.render(i);
      if (ctx.faults.dropRecord(i, m.id as string)) continue;
      const bad = ctx.faults.badTimestamp(i, m.id as string);
      if (bad) m.last_changed = BAD_LAST_CHANGED[bad];
      rendered.push(m);
    }
    const body = { members: rendered, list_id: listId, total_items: page.total, _links: [] };
    return { status: 200, body: project(body, q) };
  }

  function list(ctx: RequestContext, listId: string): Reply {
    const created = isoWithOffset(Math.floor(Date.now() / 1000) - 400 * 86_400, 0);
    return {
      status: 200,
      body: project({
        id: listId,
        web_id: 100_001,
        name: 'Sandbox Audience',
        contact: { company: 'Sandbox Shop', address1: '1 Sandbox Way', city: 'Panama City', state: '', zip: '0801', country: 'PA' },
        permission_reminder: 'You signed up at the sandbox shop.',
        date_created: created,
        list_rating: 3,
        email_type_option: false,
        visibility: 'prv',
        double_optin: false,
        stats: { member_count: members.query({ status: 'subscribed', sortField: null, descending: false, changedSince: null, changedBefore: null, optSince: null, optBefore: null, offset: 0, count: 0 }).total },
        _links: [],
      }, ctx.query),
    };
  }

  return {
    name: 'mailchimp',

    authenticate(ctx) {
      if (!ctx.path.startsWith('/3.0')) return null;
      const key = presentedKey(ctx.headers.authorization);
      if (key === creds.apiKey) return null;
      if (key === null) return problem(401, 'API Key Missing', 'Your request did not include an API key.');
      return problem(401, 'API Key Invalid', "Your API key may be invalid, or you've attempted to access the wrong datacenter.");
    },

    isDataRequest(ctx) {
      return ctx.method === 'GET' && /^\/3\.0\/lists\/[^/]+\/members\/?$/.test(ctx.path);
    },

    handle(ctx) {
      if (ctx.method !== 'GET') return problem(405, 'Method Not Allowed', `The requested method and resource are not compatible. See the Allow header for this resource's available methods.`);
      const path = ctx.path.replace(/\/+$/, '');
      if (path === '/3.0/ping') return { status: 200, body: { health_status: "Everything's Chimpy!" } };
      const m = /^\/3\.0\/lists\/([^/]+)(\/members)?$/.exec(path);
      if (!m || decodeURIComponent(m[1]!) !== creds.listId) return notFound();
      return m[2] ? listMembers(ctx, creds.listId) : list(ctx, creds.listId);
    },

    serverError(status: FailStatus) {
      if (status === 500) return problem(500, 'Internal Server Error', 'An unexpected internal error has occurred. Please contact Support for more information.');
      return problem(status, status === 502 ? 'Bad Gateway' : 'Service Unavailable', 'The service is temporarily unavailable. Please try again later.');
    },

    rateLimited(reason: LimitReason, retryAfterSec) {
      const reply = problem(429, 'Too Many Requests',
        reason === 'concurrency'
          ? `You have exceeded the limit of ${maxConnections} simultaneous connections.`
          : 'You have exceeded the request rate set for this sandbox.');
      // Mailchimp itself sends no Retry-After; the sandbox's steady limit and storm do (tests need it).
      if (retryAfterSec !== null && reason !== 'concurrency') reply.headers = { 'retry-after': String(retryAfterSec) };
      return reply;
    },
  };
}
