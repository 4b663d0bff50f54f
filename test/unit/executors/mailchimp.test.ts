// Mailchimp executor against MockAgent: audience members paged by offset with the "<offset>:<total>"
// cursor (facts: src/registry/connectors/mailchimp.ts). Mailchimp publishes no schema we may use (see
// shared/specs/SOURCES.md).
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import type { CallOptions, PullRequest } from '../../../src/core/envelope.js';
import { basicAuth } from '../../../src/core/redact.js';
import { mailchimpExecutor, nextMembersCursor, parseMembersCursor } from '../../../src/executors/mailchimp.js';
import { MAILCHIMP_DEFAULT_CONNECTIONS, MAILCHIMP_MAX_CONNECTIONS, mailchimp } from '../../../src/registry/connectors/mailchimp.js';
import { JSON_HEADERS, pathIs, queryPairs, useMockAgent } from '../../helpers/mock-agent.js';
import { describeHttpContract } from './http-contract.js';

const mock = useMockAgent();

const KEY = '0123456789abcdef0123456789abcdef-us6';
const ORIGIN = 'https://us6.api.mailchimp.com';
const LIST = 'a1b2c3d4e5';
const MEMBERS = `/3.0/lists/${LIST}/members`;
const config = { apiKey: KEY, listId: LIST };

const pull = (cfg: Record<string, unknown>, req: PullRequest, opts?: CallOptions) => mailchimpExecutor.pull!(cfg as never, req, opts);

function member(n: number, lastChanged: string) {
  const email = `User${n}@Example.com`;
  // Mailchimp's member id is the subscriber hash: MD5 of the lower-cased address.
  const id = createHash('md5').update(email.toLowerCase()).digest('hex');
  return { id, email_address: email, unique_email_id: `u${n}`, status: 'subscribed', list_id: LIST, last_changed: lastChanged };
}
const page = (members: unknown[], total: number) => ({ members, list_id: LIST, total_items: total, _links: [] });

function replyMembers(body: unknown, status = 200) {
  mock.agent.get(ORIGIN).intercept({ path: pathIs(MEMBERS), method: 'GET' })
    .reply(status, JSON.stringify(body), { headers: JSON_HEADERS });
}

/**
 * A tiny Mailchimp: serves `count` members from `offset` of a list the test can change between
 * pages, as members leave the run's window (changed past `until`, or archived).
 */
function emulateMembers(list: ReturnType<typeof member>[]) {
  mock.agent.get(ORIGIN).intercept({ path: pathIs(MEMBERS), method: 'GET' }).reply((opts) => {
    const q = new URL(opts.path, ORIGIN).searchParams;
    const offset = Number(q.get('offset'));
    const count = Number(q.get('count'));
    return { statusCode: 200, data: JSON.stringify(page(list.slice(offset, offset + count), list.length)), responseOptions: { headers: JSON_HEADERS } };
  }).persist();
}

async function pullAll(req: Omit<PullRequest, 'cursor'>, between: (pageNo: number) => void = () => {}) {
  const ids: string[] = [];
  const cursors: (string | null)[] = [];
  let cursor: string | null = null;
  for (let n = 0; n < 20; n++) {
    const res = await pull(config, { ...req, cursor });
    expect(res.error).toBeUndefined();
    ids.push(...res.body!.records.map((r) => r.id));
    cursor = res.body!.nextCursor;
    cursors.push(cursor);
    if (cursor === null) break;
    between(n + 1);
  }
  return { ids, cursors };
}

const LIST_PATH = `/3.0/lists/${LIST}`;
const LIST_QUERY = '?fields=id%2Cname%2Cstats.member_count';

function replyList(body: unknown, status = 200, origin = ORIGIN) {
  mock.agent.get(origin).intercept({ path: pathIs(LIST_PATH), method: 'GET' })
    .reply(status, JSON.stringify(body), { headers: JSON_HEADERS });
}
const listInfo = { id: LIST, name: 'Newsletter', stats: { member_count: 1234 } };

describe('mailchimp testConnection', () => {
  test('GET /3.0/lists/{listId} on the key\'s data center with Basic anystring:<key>, asking only for id, name and member count', async () => {
    replyList(listInfo);
    const res = await mailchimpExecutor.testConnection(config as never);
    expect(res).toMatchObject({ ok: true, status: 200, body: { listId: LIST, name: 'Newsletter', memberCount: 1234 } });
    const sent = mock.sent();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.method).toBe('GET');
    expect(sent[0]!.url.href).toBe(`${ORIGIN}${LIST_PATH}${LIST_QUERY}`);
    expect(sent[0]!.url.searchParams.get('fields')).toBe('id,name,stats.member_count');
    expect(sent[0]!.headers.authorization).toBe(`Basic ${Buffer.from(`anystring:${KEY}`).toString('base64')}`);
  });

  test('an unknown audience is not_found, naming the audience id', async () => {
    replyList({ type: 'https://mailchimp.com/developer/marketing/docs/errors/', title: 'Resource Not Found', status: 404, detail: 'The requested resource could not be found.', instance: 'x' }, 404);
    const res = await mailchimpExecutor.testConnection(config as never);
    expect(res).toMatchObject({ ok: false, status: 404, body: null, error: { code: 'not_found', retryable: false } });
    expect(res.error!.message).toContain(`"${LIST}"`);
    expect(res.error!.message).toContain('Resource Not Found');
    expect(res.error!.message).not.toContain(KEY);
  });

  test('the data center comes from the key suffix after the last dash', async () => {
    const key = 'fedcba9876543210fedcba9876543210-us21';
    replyList(listInfo, 200, 'https://us21.api.mailchimp.com');
    expect((await mailchimpExecutor.testConnection({ ...config, apiKey: key } as never)).ok).toBe(true);
    expect(mock.sent()[0]!.url.host).toBe('us21.api.mailchimp.com');
  });

  test('an audience id is path-encoded', async () => {
    mock.agent.get(ORIGIN).intercept({ path: pathIs('/3.0/lists/a_b-c'), method: 'GET' }).reply(200, JSON.stringify({ ...listInfo, id: 'a_b-c' }), { headers: JSON_HEADERS });
    expect((await mailchimpExecutor.testConnection({ ...config, listId: 'a_b-c' } as never)).body).toMatchObject({ listId: 'a_b-c' });
  });

  test('a list body without id or name is invalid_response; a missing member count is null', async () => {
    replyList({ status: 'ok' });
    expect((await mailchimpExecutor.testConnection(config as never)).error).toMatchObject({ code: 'invalid_response', retryable: false });
    replyList({ id: LIST, name: 'Newsletter' });
    expect((await mailchimpExecutor.testConnection(config as never)).body).toEqual({ listId: LIST, name: 'Newsletter', memberCount: null });
  });

  test('a key without a data center, or with a host-like suffix, is invalid_config; nothing sent', async () => {
    for (const apiKey of ['0123456789abcdef0123456789abcdef', '0123456789abcdef0123456789abcdef-evil.example.com#', 'ABCDEF-us6']) {
      const res = await mailchimpExecutor.testConnection({ ...config, apiKey } as never);
      expect(res.error?.code).toBe('invalid_config');
    }
    expect(mock.sent()).toHaveLength(0);
  });

  test('the key, the Basic header and its base64 credentials are all redacted from errors', async () => {
    const header = basicAuth('anystring', KEY);
    replyList({
      type: 'https://mailchimp.com/developer/marketing/docs/errors/', title: 'API Key Invalid', status: 401,
      detail: `Your API key may be invalid: ${KEY} (sent as "${header}", credentials ${header.slice(6)})`,
    }, 401);
    const res = await mailchimpExecutor.testConnection(config as never);
    expect(res.error?.code).toBe('unauthorized');
    expect(res.error!.message).toContain('API Key Invalid');
    for (const secret of [KEY, header, header.slice(6)]) expect(JSON.stringify(res)).not.toContain(secret);
  });
});

describe('mailchimp connection share (maxConnections)', () => {
  const validate = (extra: Record<string, unknown>) => mailchimp.validateConfig({ ...config, ...extra });

  test('defaults to a share of Mailchimp\'s 10 connections per key, not all of them', () => {
    const res = validate({});
    expect(res.ok && res.config.maxConnections).toBe(MAILCHIMP_DEFAULT_CONNECTIONS);
    expect(MAILCHIMP_DEFAULT_CONNECTIONS).toBeLessThan(MAILCHIMP_MAX_CONNECTIONS);
    expect(mailchimp.policy.rate.concurrencyPerKey).toBe(MAILCHIMP_DEFAULT_CONNECTIONS);
  });

  test('accepts whole numbers 1..10 (form strings are coerced)', () => {
    for (const [input, expected] of [[1, 1], [10, 10], ['4', 4]] as const) {
      const res = validate({ maxConnections: input });
      expect(res.ok, String(input)).toBe(true);
      if (res.ok) expect(res.config.maxConnections).toBe(expected);
    }
  });

  test.each([[0, 'at least 1'], [11, 'at most 10'], [2.5, 'whole number'], ['many', 'must be a number']])('refuses %s (%s), naming the field', (value, why) => {
    const res = validate({ maxConnections: value });
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.issues.map((i) => i.field)).toContain('maxConnections');
      expect(res.message).toContain(why);
    }
  });

  test('connectionBudget: the configured share as concurrency, with the reason', () => {
    const budget = (extra: Record<string, unknown>) => {
      const res = validate(extra);
      if (!res.ok) throw new Error(res.message);
      return mailchimp.connectionBudget!(res.config as Record<string, unknown>);
    };
    expect(budget({})).toEqual({ concurrency: MAILCHIMP_DEFAULT_CONNECTIONS, reason: expect.stringContaining('10 simultaneous connections per API key') });
    const seven = budget({ maxConnections: 7 });
    expect(seven).toMatchObject({ concurrency: 7 });
    expect(seven!.reason).toContain('takes 7 of them');
    expect(seven!.requestsPerSecond).toBeUndefined();
  });

  test('the form offers it as a number field with its bounds', () => {
    const field = mailchimp.formSpec().authMethods[0]!.fields.find((f) => f.key === 'maxConnections');
    expect(field).toMatchObject({ kind: 'number', group: 'connection', required: false, default: MAILCHIMP_DEFAULT_CONNECTIONS, validation: { min: 1, max: 10, integer: true } });
  });
});

describe('mailchimp pull members', () => {
  test('first request: count, offset 0, the window in Mailchimp\'s time format, sorted by last_changed ascending', async () => {
    replyMembers(page([], 0));
    await pull(config, { stream: 'members', since: '2025-01-01T00:00:00.900Z', until: '2025-02-01T12:34:56.789Z', pageSize: 250 });
    const { url, headers } = mock.sent()[0]!;
    expect(url.origin + url.pathname).toBe(ORIGIN + MEMBERS);
    expect(queryPairs(url)).toEqual([
      ['count', '250'],
      ['offset', '0'],
      ['since_last_changed', '2025-01-01T00:00:00+00:00'],
      ['before_last_changed', '2025-02-01T12:34:56+00:00'],
      ['sort_field', 'last_changed'],
      ['sort_dir', 'ASC'],
    ]);
    expect(headers.authorization).toBe(basicAuth('anystring', KEY));
  });

  test('startDate is the lower bound on a full sync; count defaults to 1000 and is clamped to 1..1000', async () => {
    for (let i = 0; i < 3; i++) replyMembers(page([], 0));
    await pull({ ...config, startDate: '2024-06-01' }, { stream: 'members' });
    await pull(config, { stream: 'members', pageSize: 5_000 });
    await pull(config, { stream: 'members', pageSize: 0 });
    const [full, big, zero] = mock.sent();
    expect(full!.url.searchParams.get('since_last_changed')).toBe('2024-06-01T00:00:00+00:00');
    expect(full!.url.searchParams.has('before_last_changed')).toBe(false);
    expect(full!.url.searchParams.get('count')).toBe('1000');
    expect(big!.url.searchParams.get('count')).toBe('1000');
    expect(big!.url.searchParams.has('since_last_changed')).toBe(false);
    expect(zero!.url.searchParams.get('count')).toBe('1');
  });

  test('three pages chained through "<offset>:<total>" cursors; every member once', async () => {
    const all = Array.from({ length: 5 }, (_, i) => member(i, `2025-01-0${i + 1}T10:00:00+00:00`));
    replyMembers(page(all.slice(0, 2), 5));
    replyMembers(page(all.slice(2, 4), 5));
    replyMembers(page(all.slice(4), 5));
    const { ids, cursors } = await pullAll({ stream: 'members', pageSize: 2, until: '2025-02-01T00:00:00Z' });
    expect(cursors).toEqual(['2:5', '4:5', null]);
    expect(ids).toEqual(all.map((m) => m.id));
    expect(mock.sent().map((s) => s.url.searchParams.get('offset'))).toEqual(['0', '2', '4']);
  });

  test('normalises members: id = subscriber hash, updatedAt = last_changed in UTC, watermark = highest', async () => {
    const members = [member(1, '2025-03-01T12:00:00+00:00'), member(2, '2025-03-01T14:30:00+02:00'), member(3, '2025-03-01T12:45:10+00:00')];
    replyMembers(page(members, 3));
    const res = await pull(config, { stream: 'members' });
    expect(res.body!.records).toEqual([
      { id: members[0]!.id, updatedAt: '2025-03-01T12:00:00.000Z', data: members[0] },
      { id: members[1]!.id, updatedAt: '2025-03-01T12:30:00.000Z', data: members[1] },
      { id: members[2]!.id, updatedAt: '2025-03-01T12:45:10.000Z', data: members[2] },
    ]);
    expect(res.body!.watermark).toBe('2025-03-01T12:45:10.000Z');
    expect(res.body!.nextCursor).toBeNull();
    // total_items is the window's size: progress shows a percentage and an ETA from it.
    expect(res.body!.total).toBe(3);
  });

  test('an empty page ends the run even if total_items says otherwise', async () => {
    replyMembers(page([], 10));
    const res = await pull(config, { stream: 'members', cursor: '10:10' });
    expect(res.body).toEqual({ records: [], nextCursor: null, watermark: null, total: 10, order: 'asc' });
  });

  describe('cursor back-off when members leave the window mid-run', () => {
    test('a member leaving before our offset: the next page backs off and nobody is skipped', async () => {
      const all = Array.from({ length: 10 }, (_, i) => member(i, `2025-01-01T00:00:${String(i).padStart(2, '0')}+00:00`));
      const list = [...all];
      emulateMembers(list);
      // After page 1 (members 0..2), member 1 is edited: its last_changed passes `until`, so it
      // leaves the window and everything after it slides one place left. Plain offsets would then
      // read members 4..6 next and never see member 3.
      const { ids, cursors } = await pullAll({ stream: 'members', pageSize: 3, until: '2025-02-01T00:00:00Z' }, (n) => {
        if (n === 1) list.splice(1, 1);
      });
      expect(cursors).toEqual(['3:10', '2:9', '5:9', '8:9', null]);
      expect(new Set(ids)).toEqual(new Set(all.map((m) => m.id)));
      // Re-reads are harmless (sinks upsert by id); skips are not.
      expect(ids.length).toBeGreaterThan(all.length);
    });

    test('members leaving just before the last page do not end the run early', async () => {
      const all = Array.from({ length: 8 }, (_, i) => member(i, `2025-01-01T00:00:0${i}+00:00`));
      const list = [...all];
      emulateMembers(list);
      // Pages 0..2 and 3..5 read; then members 0 and 2 are archived. The page at offset 6 sees
      // total 6 and no members: without the back-off the run would stop and miss members 6 and 7.
      const { ids, cursors } = await pullAll({ stream: 'members', pageSize: 3 }, (n) => {
        if (n === 2) { list.splice(2, 1); list.splice(0, 1); }
      });
      expect(cursors).toEqual(['3:8', '6:8', '4:6', null]);
      expect(new Set(ids)).toEqual(new Set(all.map((m) => m.id)));
    });

    test('nextMembersCursor', () => {
      expect(nextMembersCursor(0, 3, 10, null)).toBe('3:10');
      expect(nextMembersCursor(3, 3, 10, { offset: 3, total: 10 })).toBe('6:10');
      expect(nextMembersCursor(9, 1, 10, { offset: 9, total: 10 })).toBeNull();
      expect(nextMembersCursor(6, 3, 8, { offset: 6, total: 10 })).toBe('4:8');
      expect(nextMembersCursor(1, 0, 0, { offset: 1, total: 3 })).toBe('0:0');
      expect(nextMembersCursor(0, 0, 0, { offset: 0, total: 0 })).toBeNull();
      // A growing total (no upper bound on the window) is not a departure.
      expect(nextMembersCursor(3, 3, 12, { offset: 3, total: 10 })).toBe('6:12');
    });

    test('parseMembersCursor accepts only "<offset>:<total>"', () => {
      expect(parseMembersCursor('1000:52011')).toEqual({ offset: 1000, total: 52011 });
      for (const bad of ['', '10', '10:', ':10', '-1:10', '1.5:10', '10:10:10', ' 10:10', '1e3:10', '1234567890:1']) {
        expect(parseMembersCursor(bad)).toBeUndefined();
      }
    });
  });

  test('a malformed cursor, a bad since or an unknown stream is invalid_config; nothing sent', async () => {
    const results = [
      await pull(config, { stream: 'members', cursor: 'page-2' }),
      await pull(config, { stream: 'members', cursor: '-5:10' }),
      await pull(config, { stream: 'members', since: 'last week' }),
      await pull(config, { stream: 'members', until: 'now' }),
      await pull(config, { stream: 'campaigns' }),
      await pull({ ...config, listId: '../../ping' }, { stream: 'members' }),
    ];
    for (const res of results) expect(res).toMatchObject({ ok: false, status: 0, error: { code: 'invalid_config' } });
    expect(mock.sent()).toHaveLength(0);
  });

  test('a member without a usable last_changed is still read, its time kept as sent and left out of the watermark', async () => {
    replyMembers(page([{ ...member(1, 'x'), last_changed: 'not a date' }, member(2, '2025-03-01T12:00:00+00:00')], 2));
    const res = await pull(config, { stream: 'members' });
    expect(res.ok).toBe(true);
    expect(res.body!.records.map((r) => r.updatedAt)).toEqual(['not a date', '2025-03-01T12:00:00.000Z']);
    expect(res.body!.watermark).toBe('2025-03-01T12:00:00.000Z');
  });

  test('a problem-details error body is reported by title and detail', async () => {
    replyMembers({ type: 'https://mailchimp.com/developer/marketing/docs/errors/', title: 'Resource Not Found', status: 404, detail: 'The requested resource could not be found.', instance: 'abc' }, 404);
    const res = await pull(config, { stream: 'members' });
    expect(res.error).toMatchObject({ code: 'not_found', retryable: false, message: 'Mailchimp answered HTTP 404: Resource Not Found: The requested resource could not be found.' });
  });

  describeHttpContract(mock, {
    config,
    secretField: 'apiKey',
    malformedSecret: 'f00dfeed-us6',
    origin: ORIGIN,
    path: MEMBERS,
    call: (cfg, opts) => pull(cfg, { stream: 'members' }, opts),
    others: { testConnection: (cfg, opts) => mailchimpExecutor.testConnection(cfg as never, opts) },
    okBody: page([], 0),
    errorBody: (message) => ({ type: 'https://mailchimp.com/developer/marketing/docs/errors/', title: 'Error', status: 0, detail: message }),
  });
});
