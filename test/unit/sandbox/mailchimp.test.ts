import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { mailchimpExecutor } from '../../../src/executors/mailchimp.js';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { call, isoSec, mailchimpAuth } from './helpers.js';

let sb: Sandbox;
let members: string;
beforeAll(async () => {
  sb = await startSandbox({ seed: 5, sizes: { orders: 10, charges: 10, members: 2500 } });
  members = `/3.0/lists/${sb.credentials.mailchimp.listId}/members`;
});
afterAll(() => sb.close());

const get = (path: string, headers: Record<string, string> = mailchimpAuth(sb)) => call(`${sb.mailchimp.url}${path}`, { headers });

type Member = { id: string; email_address: string; status: string; last_changed: string; timestamp_opt: string };

/** Offset paging until a short page; returns the members and the total_items seen on each page. */
async function pageAll(query: string, count = 1000) {
  const out: Member[] = [];
  const totals: number[] = [];
  for (let offset = 0; ; offset += count) {
    const res = await get(`${members}?count=${count}&offset=${offset}${query}`);
    expect(res.status).toBe(200);
    out.push(...res.json.members);
    totals.push(res.json.total_items);
    if (res.json.members.length < count) return { members: out, totals };
  }
}

const byChange = (a: Member, b: Member) => isoSec(a.last_changed) - isoSec(b.last_changed) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

describe('auth and routes', () => {
  test('wrong key -> 401 problem details', async () => {
    const res = await get('/3.0/ping', { authorization: `Basic ${Buffer.from('u:0123456789abcdef0123456789abcdef-us6').toString('base64')}` });
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json).toEqual({
      type: 'https://mailchimp.com/developer/marketing/docs/errors/',
      title: 'API Key Invalid',
      status: 401,
      detail: "Your API key may be invalid, or you've attempted to access the wrong datacenter.",
      instance: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  test('no key -> 401 API Key Missing', async () => {
    const res = await get('/3.0/ping', {});
    expect(res.status).toBe(401);
    expect(res.json.title).toBe('API Key Missing');
  });

  test('ping', async () => {
    const res = await get('/3.0/ping');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ health_status: "Everything's Chimpy!" });
  });

  test('unknown list -> 404 Resource Not Found', async () => {
    const res = await get('/3.0/lists/ffffffffff/members');
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({ title: 'Resource Not Found', status: 404 });
  });

  test('GET /3.0/lists/{id}: the audience, projected by fields; an unknown one is 404 problem details', async () => {
    const listId = sb.credentials.mailchimp.listId;
    const full = await get(`/3.0/lists/${listId}`);
    expect(full.status).toBe(200);
    expect(full.json).toMatchObject({ id: listId, name: 'Sandbox Audience', stats: { member_count: expect.any(Number) } });
    const subscribed = sb.mailchimp.records().length;
    expect(full.json.stats.member_count).toBeGreaterThan(0);
    expect(full.json.stats.member_count).toBeLessThanOrEqual(subscribed);

    const slim = await get(`/3.0/lists/${listId}?fields=${encodeURIComponent('id,name,stats.member_count')}`);
    expect(slim.json).toEqual({ id: listId, name: 'Sandbox Audience', stats: { member_count: full.json.stats.member_count } });
    const without = await get(`/3.0/lists/${listId}?exclude_fields=contact,_links`);
    expect(without.json.contact).toBeUndefined();
    expect(without.json.name).toBe('Sandbox Audience');

    const unknown = await get('/3.0/lists/ffffffffff?fields=id');
    expect(unknown.status).toBe(404);
    expect(unknown.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(unknown.json).toMatchObject({ title: 'Resource Not Found', status: 404 });
  });

  test('key has the real shape', () => {
    expect(sb.credentials.mailchimp.apiKey).toMatch(/^[0-9a-f]{32}-us6$/);
  });
});

describe('GET /3.0/lists/{id}/members', () => {
  test('offset paging sorted by last_changed ASC returns every member once, ties by id', async () => {
    const { members: all, totals } = await pageAll('&sort_field=last_changed&sort_dir=ASC');
    expect(all).toHaveLength(2500);
    expect(new Set(all.map((m) => m.id)).size).toBe(2500);
    expect(totals.every((t) => t === 2500)).toBe(true);
    expect(all).toEqual([...all].sort(byChange));
    expect(all.map((m) => m.id).sort()).toEqual(sb.mailchimp.records().map((r) => r.id).sort());
    for (const m of all.slice(0, 50)) {
      expect(m.id).toBe(createHash('md5').update(m.email_address.toLowerCase()).digest('hex'));
      expect(m.last_changed).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$/);
    }
  });

  test('DESC is the reverse of ASC; default count is 10', async () => {
    const asc = await pageAll('&sort_field=last_changed&sort_dir=ASC');
    const desc = await pageAll('&sort_field=last_changed&sort_dir=DESC');
    expect(desc.members.map((m) => m.id)).toEqual(asc.members.map((m) => m.id).reverse());
    const res = await get(members);
    expect(res.json.members).toHaveLength(10);
    expect(res.json.list_id).toBe(sb.credentials.mailchimp.listId);
    expect(res.json._links).toEqual([]);
  });

  test('since_last_changed is inclusive, before_last_changed exclusive', async () => {
    const recs = sb.mailchimp.records().map((r) => ({ id: r.id, t: isoSec(r.updatedAt) }));
    const times = [...new Set(recs.map((r) => r.t))].sort((a, b) => a - b);
    const lo = times[300]!;
    const hi = times[1200]!;
    const iso = (t: number) => new Date(t * 1000).toISOString().replace('.000Z', '+00:00');
    const { members: got, totals } = await pageAll(`&sort_field=last_changed&sort_dir=ASC&since_last_changed=${encodeURIComponent(iso(lo))}&before_last_changed=${encodeURIComponent(iso(hi))}`, 200);
    const expected = recs.filter((r) => r.t >= lo && r.t < hi).map((r) => r.id).sort();
    expect(got.map((m) => m.id).sort()).toEqual(expected);
    expect(totals[0]).toBe(expected.length);
    expect(got.some((m) => isoSec(m.last_changed) === lo)).toBe(true);
  });

  test('a window with sort_field=timestamp_opt gives the same members in opt-in order', async () => {
    const lc = await pageAll('&sort_field=last_changed&since_last_changed=2000-01-01T00:00:00Z');
    const opt = await pageAll('&sort_field=timestamp_opt&since_last_changed=2000-01-01T00:00:00Z');
    expect(opt.members.map((m) => m.id).sort()).toEqual(lc.members.map((m) => m.id).sort());
    const optTimes = opt.members.map((m) => isoSec(m.timestamp_opt));
    expect(optTimes).toEqual([...optTimes].sort((a, b) => a - b));
  });

  test('status filter and total_items', async () => {
    const all = await pageAll('');
    const subscribed = await pageAll('&status=subscribed');
    expect(subscribed.members.every((m) => m.status === 'subscribed')).toBe(true);
    expect(subscribed.totals[0]).toBe(all.members.filter((m) => m.status === 'subscribed').length);
    expect(subscribed.members.length).toBeLessThan(all.members.length);
    expect((await get(`${members}?status=archived`)).json.total_items).toBe(0);
    expect((await get(`${members}?status=nope`)).status).toBe(400);
  });

  test('count above 1000 and bad parameters -> 400 problem details', async () => {
    for (const q of ['count=1001', 'offset=-1', 'sort_field=email', 'sort_dir=asc', 'since_last_changed=yesterday']) {
      const res = await get(`${members}?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.json).toMatchObject({ title: 'Invalid Resource', status: 400 });
    }
  });

  test('fields and exclude_fields project the body', async () => {
    const res = await get(`${members}?count=2&fields=members.id,members.last_changed,total_items`);
    expect(Object.keys(res.json).sort()).toEqual(['members', 'total_items']);
    expect(Object.keys(res.json.members[0]).sort()).toEqual(['id', 'last_changed']);
    const ex = await get(`${members}?count=2&exclude_fields=members.merge_fields,_links`);
    expect(ex.json.members[0].merge_fields).toBeUndefined();
    expect(ex.json.members[0].email_address).toBeDefined();
    expect(ex.json._links).toBeUndefined();
  });

  test('mutate moves updated and created members to the end of the last_changed order', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const { updated, created } = sb.mailchimp.mutate({ update: 7, create: 4 });
    const { members: recent } = await pageAll(`&sort_field=last_changed&sort_dir=ASC&since_last_changed=${encodeURIComponent(since)}`, 3);
    expect(recent.map((m) => m.id).sort()).toEqual([...updated, ...created].sort());
    expect(recent).toEqual([...recent].sort(byChange));
    const all = await pageAll('&sort_field=last_changed');
    expect(all.members).toHaveLength(2504);
    expect(all.members.slice(-11).map((m) => m.id).sort()).toEqual([...updated, ...created].sort());
  });
});

describe('mailchimp executor against the emulator', () => {
  const saved = process.env.PIPELINE_SANDBOX;
  afterEach(() => {
    if (saved === undefined) delete process.env.PIPELINE_SANDBOX;
    else process.env.PIPELINE_SANDBOX = saved;
  });
  const testConnection = (listId: string) => {
    process.env.PIPELINE_SANDBOX = '1';
    return mailchimpExecutor.testConnection({ apiKey: sb.credentials.mailchimp.apiKey, listId } as never, { baseUrlOverride: sb.mailchimp.url });
  };

  test('testConnection proves the audience: its name and member count, or not_found naming a wrong id', async () => {
    const ok = await testConnection(sb.credentials.mailchimp.listId);
    expect(ok).toMatchObject({ ok: true, status: 200, body: { listId: sb.credentials.mailchimp.listId, name: 'Sandbox Audience', memberCount: expect.any(Number) } });
    const missing = await testConnection('0000000000');
    expect(missing).toMatchObject({ ok: false, status: 404, error: { code: 'not_found', retryable: false } });
    expect(missing.error!.message).toContain('"0000000000"');
    expect(JSON.stringify(missing)).not.toContain(sb.credentials.mailchimp.apiKey);
  });
});
