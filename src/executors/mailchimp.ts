// Mailchimp Marketing API: audience members, sorted by last_changed, paged by offset.
// Facts and sources: src/registry/connectors/mailchimp.ts. Pages this file follows:
// https://mailchimp.com/developer/marketing/docs/fundamentals/ ,
// https://mailchimp.com/developer/marketing/api/list-members/list-members-info/ ,
// https://mailchimp.com/developer/marketing/api/lists/get-list-info/
import { z } from 'zod';
import type { ConnectorExecutor, ConnectorResponse, PullPage, PullRequest, SourceRecord } from '../core/envelope.js';
import type { ProbeResult } from '../core/slices.js';
import { failBeforeSend, withBody, withError } from '../core/envelope.js';
import { connectorError } from '../core/errors.js';
import { basicAuth } from '../core/redact.js';
import type { MailchimpConfig } from '../registry/connectors/mailchimp.js';
import { mailchimp, mailchimpDataCenter } from '../registry/connectors/mailchimp.js';
import { bindProvider, type ProviderBinding } from './bind.js';
import { nextCursorError, parseBody } from './support.js';

const PROVIDER = 'Mailchimp';
const MAX_COUNT = 1000;

// last_changed is kept as sent when it is not a date: the member is still written, and the activity
// leaves such a time out of the watermark (activities/pull-page.ts trustedTimes).
const membersBody = z.object({
  members: z.array(z.looseObject({ id: z.string().min(1), last_changed: z.string() })),
  total_items: z.number().int().nonnegative(),
});
const totalBody = z.looseObject({ total_items: z.number().int().nonnegative() });
const firstMemberBody = z.looseObject({ members: z.array(z.looseObject({ last_changed: z.string() })) });

/** Mailchimp's time as ISO-8601 in UTC, or as sent when it is not a date. */
function changeTime(raw: string): string {
  const ms = Date.parse(raw);
  return Number.isNaN(ms) ? raw : new Date(ms).toISOString();
}
const listBody = z.looseObject({
  id: z.string().min(1),
  name: z.string(),
  stats: z.looseObject({ member_count: z.number().int().nonnegative() }).optional(),
});

/** Mailchimp's request context: the key's data center, Basic auth with the key, the /3.0 prefix. */
const MAILCHIMP: ProviderBinding<MailchimpConfig> = {
  connectorId: 'mailchimp',
  provider: PROVIDER,
  baseUrl: (config) => `https://${mailchimpDataCenter(config.apiKey)}.api.mailchimp.com`,
  pathPrefix: '/3.0',
  headers: (config) => ({ authorization: basicAuth('anystring', config.apiKey) }),
};

const listPath = (config: MailchimpConfig) => `/lists/${encodeURIComponent(config.listId)}`;

// ---------------------------------------------------------------------------------------------
// Cursor
//
// Mailchimp pages members by offset. We bound the window with before_last_changed (fixed at run
// start) and sort by last_changed ascending, so nothing can enter the window while we page: a
// member changed mid-run gets a last_changed past the upper bound. But members can LEAVE it (that
// same change, or archiving), and every departure before our offset slides the later members one
// place left, under an offset we have already passed: plain offsets would skip them.
//
// So the cursor carries the offset to read next and the total_items seen when it was made,
// "<offset>:<total>". When a page reports a smaller total, `shrink` members left since the last
// page; in the worst case all of them sat before this page's offset, and the `shrink` members just
// before it are now unread. The next page therefore starts `shrink` places before this page's
// offset. That re-reads this page and a few more (harmless: sinks upsert by id) and never skips.
// The window only shrinks, so back-offs are bounded and the run ends.
// (Backing off from the END of this page, offset + length - shrink, would not be enough: the
// members that slid under this page's offset would still be skipped.)
// Without an upper bound (no `until`), a member changed mid-run leaves and re-enters at the end in
// one move, the total stays put, and the shift goes unseen: callers should always pass `until`.

export interface MembersCursor {
  offset: number;
  total: number;
}

/** `"<offset>:<total>"` → its parts; undefined when malformed (callers fail closed). */
export function parseMembersCursor(cursor: string): MembersCursor | undefined {
  const m = /^(\d{1,9}):(\d{1,9})$/.exec(cursor);
  return m ? { offset: Number(m[1]), total: Number(m[2]) } : undefined;
}

/** The cursor after a page read at `offset` that returned `count` members out of `total`. */
export function nextMembersCursor(offset: number, count: number, total: number, previous: MembersCursor | null): string | null {
  const shrink = previous ? Math.max(0, previous.total - total) : 0;
  if (shrink > 0) return `${Math.max(0, offset - shrink)}:${total}`;
  if (count === 0 || offset + count >= total) return null;
  return `${offset + count}:${total}`;
}

// ---------------------------------------------------------------------------------------------

/** Mailchimp documents times as `2015-10-21T15:41:36+00:00`: whole seconds, explicit offset. */
function mailchimpTime(iso: string): string | undefined {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return undefined;
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

function clampCount(pageSize: number | undefined): number {
  const wanted = pageSize !== undefined && Number.isFinite(pageSize) ? Math.floor(pageSize) : mailchimp.policy.pull?.defaultPageSize ?? MAX_COUNT;
  return Math.min(Math.max(1, wanted), MAX_COUNT);
}

export interface MailchimpConnectionBody {
  listId: string;
  name: string;
  /** The audience's stats.member_count, as Mailchimp reports it; null when not sent. */
  memberCount: number | null;
}

export const mailchimpExecutor: ConnectorExecutor<MailchimpConfig> = {
  /**
   * One read of the audience proves both the key (401 otherwise) and the audience id (404): /ping
   * proves only the key, and a wrong audience id would pass it to fail the first pull.
   */
  async testConnection(rawConfig, opts): Promise<ConnectorResponse<MailchimpConnectionBody>> {
    const bound = bindProvider(MAILCHIMP, rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    const { config } = bound.provider;
    const res = await bound.provider.request({ method: 'GET', path: listPath(config), query: { fields: 'id,name,stats.member_count' } });
    if (res.status === 404 && res.error) {
      return withError(res, connectorError('not_found', `Mailchimp: no audience (list) with id "${config.listId}" in the account of this API key (${res.error.message}). Check the audience id under Audience → Settings → Audience name and defaults.`));
    }
    const parsed = parseBody(res, listBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return withError(parsed, parsed.error ?? connectorError('invalid_response', 'Mailchimp returned no body'));
    return withBody(parsed, { listId: parsed.body.id, name: parsed.body.name, memberCount: parsed.body.stats?.member_count ?? null });
  },

  async pull(rawConfig, req: PullRequest, opts): Promise<ConnectorResponse<PullPage>> {
    const bound = bindProvider(MAILCHIMP, rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    const { config } = bound.provider;
    if (req.stream !== 'members') return failBeforeSend('invalid_config', `Mailchimp has no stream "${req.stream}" (streams: members)`);
    const previous = req.cursor ? parseMembersCursor(req.cursor) : null;
    if (previous === undefined) return failBeforeSend('invalid_config', 'Mailchimp: the cursor is not "<offset>:<total>" (two whole numbers of at most 9 digits): it was not made by this connector');
    const since = req.since ?? config.startDate ?? null;
    const sinceParam = since === null ? undefined : mailchimpTime(since);
    const untilParam = req.until ? mailchimpTime(req.until) : undefined;
    if (since !== null && sinceParam === undefined) return failBeforeSend('invalid_config', `Mailchimp: since "${since}" is not a valid ISO-8601 date`);
    if (req.until && untilParam === undefined) return failBeforeSend('invalid_config', `Mailchimp: until "${req.until}" is not a valid ISO-8601 date`);

    const offset = previous?.offset ?? 0;
    const res = await bound.provider.request({
      method: 'GET',
      path: `${listPath(config)}/members`,
      query: {
        count: clampCount(req.pageSize),
        offset,
        since_last_changed: sinceParam,
        before_last_changed: untilParam,
        sort_field: 'last_changed',
        sort_dir: 'ASC',
      },
    });
    const parsed = parseBody(res, membersBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return withError(parsed, parsed.error ?? connectorError('invalid_response', 'Mailchimp returned no body'));

    const { members, total_items } = parsed.body;
    const records: SourceRecord[] = members.map((m) => ({ id: m.id, updatedAt: changeTime(m.last_changed), data: m }));
    const watermark = records.reduce<string | null>((max, r) => (Number.isNaN(Date.parse(r.updatedAt)) ? max : max === null || r.updatedAt > max ? r.updatedAt : max), null);
    const nextCursor = nextMembersCursor(offset, members.length, total_items, previous);
    const badCursor = nextCursorError(PROVIDER, nextCursor, (c) => parseMembersCursor(c) !== undefined, `position (total_items ${total_items})`);
    if (badCursor) return withError(parsed, badCursor);
    // Sorted by last_changed ascending: a slice can hand back [the newest time seen .. until].
    return withBody(parsed, { records, nextCursor, watermark, total: total_items, order: 'asc' });
  },

  /**
   * The window's size (total_items of a one-member page) and where its data starts (the first member
   * by last_changed): two light reads. Plans a sliced first sync and checks the end of a run.
   */
  async probe(rawConfig, req, opts): Promise<ConnectorResponse<ProbeResult>> {
    const bound = bindProvider(MAILCHIMP, rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    const { config } = bound.provider;
    if (req.stream !== 'members') return failBeforeSend('invalid_config', `Mailchimp has no stream "${req.stream}" (streams: members)`);
    const window = {
      since_last_changed: req.since ? mailchimpTime(req.since) : undefined,
      before_last_changed: req.until ? mailchimpTime(req.until) : undefined,
    };
    const path = `${listPath(config)}/members`;
    const totalRes = parseBody(await bound.provider.request({ method: 'GET', path, query: { count: 1, fields: 'total_items', ...window } }), totalBody, PROVIDER);
    if (!totalRes.ok || !totalRes.body) return withError(totalRes, totalRes.error ?? connectorError('invalid_response', 'Mailchimp returned no body'));
    const count = totalRes.body.total_items;
    if (count === 0) return withBody(totalRes, { count, earliest: null });
    const firstRes = parseBody(
      await bound.provider.request({ method: 'GET', path, query: { count: 1, fields: 'members.last_changed', sort_field: 'last_changed', sort_dir: 'ASC', ...window } }),
      firstMemberBody,
      PROVIDER,
    );
    if (!firstRes.ok || !firstRes.body) return withError(firstRes, firstRes.error ?? connectorError('invalid_response', 'Mailchimp returned no body'));
    const first = firstRes.body.members[0]?.last_changed;
    const earliest = first && !Number.isNaN(Date.parse(first)) ? new Date(Date.parse(first)).toISOString() : null;
    return withBody(firstRes, { count, earliest });
  },
};
