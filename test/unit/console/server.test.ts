// The console's real node:http server, called as a browser and as an attacker would (undici, with
// Host and Origin set by hand): the token, the Origin and Host checks, body limits, the security
// headers on every kind of answer, static files by allow-list, form errors by field, and no secret
// in any answer. Temporal is not reachable here on purpose: pages that need it get a 503.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FileConnectionStore } from '../../../src/connections/file-store.js';
import { startConsole, type ConsoleServer } from '../../../src/console/server.js';
import { CONTENT_SECURITY_POLICY, TOKEN_HEADER } from '../../../src/console/security.js';
import { loadSettings } from '../../../src/settings.js';

// A fake Shopify-shaped token, made per run.
const INLINE_SECRET = `shpat_FAKE${randomBytes(12).toString('hex')}`;
const ENV_NAME = 'CONSOLE_UNIT_SHOP_TOKEN_NAME';
let home: string;
let store: FileConnectionStore;
let consoleServer: ConsoleServer;
let host: string;
const savedKeys = process.env.PIPELINE_SECRETS_KEYS;
const errors: string[] = [];

beforeAll(async () => {
  // Inline secrets are stored encrypted when a key is configured, as `connections add` does.
  process.env.PIPELINE_SECRETS_KEYS = `k1:${randomBytes(32).toString('base64')}`;
  home = await mkdtemp(join(tmpdir(), 'console-unit-'));
  store = new FileConnectionStore(join(home, 'connections.json'));
  const settings = { ...loadSettings({ PIPELINE_HOME: home }), namePrefix: 'unit-' };
  consoleServer = await startConsole({
    deps: { settings, store, client: () => Promise.reject(new Error('Cannot reach Temporal at 127.0.0.1:1 (test)')), uiUrl: null, sandbox: true },
    port: 0,
    onError: (m) => errors.push(m),
  });
  host = `127.0.0.1:${consoleServer.port}`;
});

afterAll(async () => {
  await consoleServer?.close();
  await rm(home, { recursive: true, force: true });
  if (savedKeys === undefined) delete process.env.PIPELINE_SECRETS_KEYS;
  else process.env.PIPELINE_SECRETS_KEYS = savedKeys;
});

interface Call {
  method?: 'GET' | 'POST' | 'PUT' | 'HEAD';
  token?: string | null;
  origin?: string | null;
  host?: string;
  body?: unknown;
  raw?: string;
  contentType?: string;
}

async function call(path: string, c: Call = {}) {
  const headers: Record<string, string> = { host: c.host ?? host };
  const token = c.token === undefined ? consoleServer.token : c.token;
  if (token !== null) headers[TOKEN_HEADER] = token;
  const origin = c.origin === undefined ? `http://${host}` : c.origin;
  if (origin !== null && c.method && c.method !== 'GET') headers.origin = origin;
  const raw = c.raw ?? (c.body === undefined ? undefined : JSON.stringify(c.body));
  if (raw !== undefined) headers['content-type'] = c.contentType ?? 'application/json';
  const res = await request(`http://127.0.0.1:${consoleServer.port}${path}`, { method: c.method ?? 'GET', headers, ...(raw !== undefined ? { body: raw } : {}) });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

const shopify = (id: string, config: Record<string, unknown>) => ({ id, connectorId: 'shopify', config: { authMethod: 'access_token', ...config } });

function expectSecurityHeaders(headers: Record<string, unknown>): void {
  expect(headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('no-referrer');
  expect(headers['x-frame-options']).toBe('DENY');
}

describe('the token', () => {
  test('is in the printed URL\'s fragment only, and new at every start', async () => {
    expect(consoleServer.url).toBe(`http://127.0.0.1:${consoleServer.port}/#token=${consoleServer.token}`);
    const other = await startConsole({ deps: { settings: loadSettings({ PIPELINE_HOME: home }), store, client: () => Promise.reject(new Error('no')), uiUrl: null, sandbox: false }, port: 0 });
    try {
      expect(other.token).not.toBe(consoleServer.token);
      // One console's token opens nothing on another.
      const res = await request(`http://127.0.0.1:${other.port}/api/session`, { headers: { [TOKEN_HEADER]: consoleServer.token } });
      expect(res.statusCode).toBe(401);
      await res.body.text();
    } finally {
      await other.close();
    }
  });

  test('missing or wrong: 401 on every /api endpoint', async () => {
    for (const path of ['/api/session', '/api/connectors', '/api/connections', '/api/pipelines', '/api/nope']) {
      expect((await call(path, { token: null })).status).toBe(401);
      expect((await call(path, { token: 'x'.repeat(43) })).status).toBe(401);
    }
    const r = await call('/api/connections', { method: 'POST', token: null, body: shopify('a', {}) });
    expect(r.status).toBe(401);
    expect(r.json()).toMatchObject({ error: 'unauthorized' });
  });

  test('right: the API answers', async () => {
    const r = await call('/api/session');
    expect(r.status).toBe(200);
    expect(r.json()).toMatchObject({ namespace: 'default', sandbox: true, inlineSecrets: true });
  });
});

describe('cross-site and rebinding protection', () => {
  test('a change without the console\'s Origin: 403, and nothing is stored', async () => {
    expect((await call('/api/connections', { method: 'POST', origin: null, body: shopify('x1', {}) })).status).toBe(403);
    expect((await call('/api/connections', { method: 'POST', origin: 'http://evil.example', body: shopify('x1', {}) })).status).toBe(403);
    expect(await store.get('x1')).toBeNull();
  });

  test('a foreign Host name: 421, for the page and the API alike', async () => {
    expect((await call('/', { host: `evil.example:${consoleServer.port}` })).status).toBe(421);
    expect((await call('/api/session', { host: `evil.example:${consoleServer.port}` })).status).toBe(421);
  });
});

describe('request bodies', () => {
  test('oversize: 413', async () => {
    const r = await call('/api/connections', { method: 'POST', raw: JSON.stringify({ id: 'big', connectorId: 'shopify', config: { note: 'x'.repeat(70_000) } }) });
    expect(r.status).toBe(413);
    expect(r.json()).toMatchObject({ error: 'payload_too_large' });
  });

  test('not JSON: 400 or 415; the wrong shape: 400 with the issues', async () => {
    expect((await call('/api/connections', { method: 'POST', raw: '{"id":' })).json()).toMatchObject({ error: 'invalid_json' });
    expect((await call('/api/connections', { method: 'POST', raw: 'id=a', contentType: 'application/x-www-form-urlencoded' })).status).toBe(415);
    const r = await call('/api/connections', { method: 'POST', body: { id: 'a', connectorId: 'shopify', config: { shopDomain: { nested: true } }, admin: true } });
    expect(r.status).toBe(400);
    const issues = (r.json().issues as { path: string }[]).map((i) => i.path).sort();
    expect(issues).toEqual(['', 'config.shopDomain']);
  });

  test('the connector\'s own schema judges the config: errors come back by field', async () => {
    const r = await call('/api/connections', { method: 'POST', body: shopify('bad-shop', { shopDomain: 'example.com', accessToken: 'env:X', plan: 'gold' }) });
    expect(r.status).toBe(400);
    const fieldErrors = r.json().fieldErrors as Record<string, string[]>;
    expect(fieldErrors.shopDomain?.[0]).toMatch(/myshopify\.com/);
    expect(fieldErrors.plan?.[0]).toMatch(/must be one of/);
    const missing = await call('/api/connections', { method: 'POST', body: shopify('bad-shop', { shopDomain: 'a.myshopify.com' }) });
    expect((missing.json().fieldErrors as Record<string, string[]>).accessToken?.[0]).toMatch(/required/);
    const id = await call('/api/connections', { method: 'POST', body: shopify('Bad Id', { shopDomain: 'a.myshopify.com', accessToken: 'env:X' }) });
    expect(Object.keys(id.json().fieldErrors as object)).toEqual(['id']);
  });
});

describe('secrets are write-only', () => {
  test('an inline secret is stored encrypted, and no answer holds it, its ciphertext or a reference\'s name', async () => {
    const added = await call('/api/connections', { method: 'POST', body: shopify('inline-shop', { shopDomain: 'inline.myshopify.com', accessToken: INLINE_SECRET }) });
    expect(added.status).toBe(201);
    const ref = await call('/api/connections', { method: 'POST', body: shopify('ref-shop', { shopDomain: 'ref.myshopify.com', accessToken: `env:${ENV_NAME}` }) });
    expect(ref.status).toBe(201);
    // Stored as `connections add` stores it: encrypted, bound to its connection and field.
    const file = await readFile(store.path, 'utf8');
    expect(file).toContain('enc:v1:');
    expect(file).not.toContain(INLINE_SECRET);

    const list = await call('/api/connections');
    expect(list.status).toBe(200);
    const views = list.json().connections as { id: string; secrets: { key: string; set: boolean; via: string }[] }[];
    expect(views.find((c) => c.id === 'inline-shop')?.secrets).toEqual([{ key: 'accessToken', label: 'Admin API access token', set: true, via: 'encrypted' }]);
    expect(views.find((c) => c.id === 'ref-shop')?.secrets[0]).toMatchObject({ set: true, via: 'env' });
    for (const r of [added, ref, list]) {
      expect(r.text).not.toContain(INLINE_SECRET);
      expect(r.text).not.toContain('enc:v1');
      expect(r.text).not.toContain(ENV_NAME);
    }
  });

  test('a refused form with an inline secret does not echo it', async () => {
    const r = await call('/api/connections', { method: 'POST', body: shopify('echo-shop', { shopDomain: INLINE_SECRET, accessToken: INLINE_SECRET }) });
    expect(r.status).toBe(400);
    expect(r.text).not.toContain(INLINE_SECRET);
  });

  test('a duplicate id is the id field\'s error', async () => {
    const r = await call('/api/connections', { method: 'POST', body: shopify('ref-shop', { shopDomain: 'ref.myshopify.com', accessToken: 'env:OTHER' }) });
    expect(r.status).toBe(409);
    expect(Object.keys(r.json().fieldErrors as object)).toEqual(['id']);
  });
});

describe('every answer carries the security headers', () => {
  test('page, script, stylesheet, API, refusals, errors', async () => {
    const page = await call('/', { token: null });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.text).not.toMatch(/<script>|<style|style=/); // nothing inline: the CSP would block it
    const script = await call('/app.js', { token: null });
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const css = await call('/console.css', { token: null });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    const answers = [
      page, script, css,
      await call('/api/connectors'),
      await call('/api/session', { token: null }), // 401
      await call('/api/connections', { method: 'POST', origin: null, body: {} }), // 403
      await call('/', { host: 'evil.example' }), // 421
      await call('/nope.js'), // 404
      await call('/api/connections/ref-shop/test', { method: 'POST' }), // 503: no Temporal
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 401, 403, 421, 404, 503]);
    for (const a of answers) expectSecurityHeaders(a.headers);
  });
});

describe('routing', () => {
  test('static files by allow-list only', async () => {
    for (const path of ['/../package.json', '/%2e%2e/package.json', '/src/console/server.ts', '/public/app.js', '/.env']) {
      expect((await call(path)).status).toBe(404);
    }
    expect((await call('/index.html')).status).toBe(200);
  });

  test('the connectors, grouped by category, with capabilities, auth, rate scope and API version', async () => {
    const r = (await call('/api/connectors')).json() as { categories: { id: string; connectors: Record<string, unknown>[] }[] };
    expect(r.categories.map((c) => c.id)).toEqual(['messaging', 'cdp_support', 'commerce_source', 'reverse_etl']);
    expect(r.categories.flatMap((c) => c.connectors)).toHaveLength(22);
    const shop = r.categories[2]!.connectors.find((c) => c.id === 'shopify');
    expect(shop).toMatchObject({ capabilities: ['test (API)', 'pull: orders'], rate: { requestsPerSecond: 2, per: 'store' }, authMethods: [{ id: 'access_token' }] });
    expect(String(shop?.apiVersion)).toMatch(/^\d{4}-\d{2} \(supported until/);
    const form = (await call('/api/connectors/shopify')).json() as { form: { authMethods: { fields: { key: string }[] }[] } };
    expect(form.form.authMethods[0]!.fields.map((f) => f.key)).toContain('shopDomain');
    expect((await call('/api/connectors/nope')).status).toBe(404);
  });

  test('a wrong method: 405; an unknown connection: 404; Temporal down: 503 with the reason', async () => {
    expect((await call('/api/connections/ref-shop/test')).status).toBe(405);
    expect((await call('/api/connections/nobody/test', { method: 'POST' })).status).toBe(404);
    // A request that takes no body takes none.
    expect((await call('/api/connections/ref-shop/test', { method: 'POST', body: { force: true } })).status).toBe(400);
    const down = await call('/api/connections/ref-shop/sync', { method: 'POST', body: {} });
    expect(down.status).toBe(503);
    expect(down.json()).toMatchObject({ error: 'temporal_unavailable', message: expect.stringMatching(/Cannot reach Temporal/) });
    // The list still answers, and says what it could not ask.
    const list = (await call('/api/connections')).json() as { temporal: { ok: boolean } };
    expect(list.temporal.ok).toBe(false);
    expect(errors).toEqual([]);
  });
});
