// The console's guard as functions: token comparison, the host names it answers to, the order of
// the checks (host, then token, then Origin for changes), body limits and validation, and the last
// check that keeps a secret out of any answer.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { ConnectionError } from '../../../src/connections/types.js';
import { errorReply } from '../../../src/console/server.js';
import { allowedHosts, checkRequest, leaksSecret, newToken, readJsonBody, RequestError, TOKEN_HEADER, tokenMatches } from '../../../src/console/security.js';

// A fake Shopify-shaped token, made per run: what a request carried and no answer may hold.
const FAKE_TOKEN = `shpat_FAKE${randomBytes(8).toString('hex')}`;

const token = newToken();
const hosts = allowedHosts('127.0.0.1', 8390);

function refusal(fn: () => void): { status: number; code: string } | null {
  try {
    fn();
    return null;
  } catch (err) {
    if (err instanceof RequestError) return { status: err.status, code: err.code };
    throw err;
  }
}

const req = (method: string, headers: Record<string, string>) => ({ method, headers: { host: '127.0.0.1:8390', ...headers } });

describe('token', () => {
  test('new at every call, long and URL-safe', () => {
    expect(newToken()).not.toBe(token);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  test('matches only itself', () => {
    expect(tokenMatches(token, token)).toBe(true);
    expect(tokenMatches(token, `${token}x`)).toBe(false);
    expect(tokenMatches(token, token.slice(0, -1))).toBe(false);
    expect(tokenMatches(token, '')).toBe(false);
    expect(tokenMatches(token, undefined)).toBe(false);
    expect(tokenMatches(token, [token, token])).toBe(false);
  });
});

describe('host names (DNS rebinding)', () => {
  test('on loopback: the loopback names with the port, nothing else', () => {
    expect([...hosts].sort()).toEqual(['127.0.0.1:8390', '[::1]:8390', 'localhost:8390']);
  });

  test('a name that resolved to 127.0.0.1 through someone else\'s DNS is refused with 421', () => {
    expect(refusal(() => checkRequest(req('GET', { host: 'attacker.example:8390' }), '/', { token, allowedHosts: hosts }))).toEqual({ status: 421, code: 'unknown_host' });
    expect(refusal(() => checkRequest(req('GET', { host: '127.0.0.1:9999' }), '/api/session', { token, allowedHosts: hosts }))?.status).toBe(421);
    expect(refusal(() => checkRequest({ method: 'GET', headers: {} }, '/', { token, allowedHosts: hosts }))?.status).toBe(421);
  });

  test('a specific address answers to itself; every interface adds this machine\'s names', () => {
    expect(allowedHosts('192.168.1.20', 80)).toEqual(new Set(['192.168.1.20:80', '192.168.1.20']));
    const all = allowedHosts('0.0.0.0', 8390);
    expect(all.has('localhost:8390')).toBe(true);
    expect(all.has('attacker.example:8390')).toBe(false);
  });
});

describe('checks in order', () => {
  const check = (method: string, path: string, headers: Record<string, string>) => refusal(() => checkRequest(req(method, headers), path, { token, allowedHosts: hosts }));

  test('static files need no token (the page loads before it has one)', () => {
    expect(check('GET', '/app.js', {})).toBeNull();
    expect(check('POST', '/app.js', {})?.status).toBe(405);
  });

  test('/api without the token, or with a wrong one: 401', () => {
    expect(check('GET', '/api/session', {})).toEqual({ status: 401, code: 'unauthorized' });
    expect(check('GET', '/api/session', { [TOKEN_HEADER]: 'guess' })?.status).toBe(401);
    expect(check('GET', '/api/session', { [TOKEN_HEADER]: token })).toBeNull();
  });

  test('a change needs the token and the console\'s own Origin: 403 otherwise', () => {
    const auth = { [TOKEN_HEADER]: token };
    expect(check('POST', '/api/connections', auth)).toEqual({ status: 403, code: 'bad_origin' });
    expect(check('POST', '/api/connections', { ...auth, origin: 'http://attacker.example' })?.status).toBe(403);
    expect(check('POST', '/api/connections', { ...auth, origin: 'null' })?.status).toBe(403);
    expect(check('POST', '/api/connections', { ...auth, origin: 'http://localhost:8390' })?.status).toBe(403); // another name than the Host it came to
    expect(check('POST', '/api/connections', { ...auth, origin: 'http://127.0.0.1:8390' })).toBeNull();
    // The Origin alone is not enough: a page that guesses it still has no token.
    expect(check('POST', '/api/connections', { origin: 'http://127.0.0.1:8390' })?.status).toBe(401);
  });
});

function body(text: string, headers: Record<string, string> = { 'content-type': 'application/json' }): IncomingMessage {
  const stream = Readable.from([Buffer.from(text)]) as unknown as IncomingMessage;
  stream.headers = headers;
  return stream;
}

async function bodyRefusal(p: Promise<unknown>): Promise<{ status: number; code: string; details?: unknown }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof RequestError) return { status: err.status, code: err.code, details: err.details };
    throw err;
  }
  throw new Error('not refused');
}

describe('bodies', () => {
  const schema = z.strictObject({ every: z.string().min(1) });

  test('valid JSON of the right shape is returned; an empty body is {}', async () => {
    await expect(readJsonBody(body('{"every":"1h"}'), schema)).resolves.toEqual({ every: '1h' });
    await expect(readJsonBody(body(''), z.strictObject({}))).resolves.toEqual({});
  });

  test('too large: 413, by its declared length or as it streams', async () => {
    expect((await bodyRefusal(readJsonBody(body('{}', { 'content-type': 'application/json', 'content-length': '70000' }), schema))).status).toBe(413);
    expect((await bodyRefusal(readJsonBody(body(`{"every":"${'x'.repeat(100)}"}`), schema, 64))).status).toBe(413);
  });

  test('not JSON: 415 for another type, 400 for broken JSON', async () => {
    expect((await bodyRefusal(readJsonBody(body('every=1h', { 'content-type': 'application/x-www-form-urlencoded' }), schema))).status).toBe(415);
    expect(await bodyRefusal(readJsonBody(body('{"every":'), schema))).toMatchObject({ status: 400, code: 'invalid_json' });
  });

  test('the wrong shape: 400 with the issues by path', async () => {
    const r = await bodyRefusal(readJsonBody(body('{"every":1,"extra":true}'), schema));
    expect(r).toMatchObject({ status: 400, code: 'invalid_request' });
    expect((r.details as { issues: { path: string }[] }).issues.map((i) => i.path).sort()).toEqual(['', 'every']);
  });
});

describe('secrets stay out of answers', () => {
  test('a ciphertext or a secret the request carried is caught before it leaves', () => {
    expect(leaksSecret('{"a":"enc:v1:k1:AAAA:BBBB"}', [])).toBe(true);
    expect(leaksSecret(`{"message":"${FAKE_TOKEN}"}`, [FAKE_TOKEN])).toBe(true);
    expect(leaksSecret('{"message":"fine"}', [FAKE_TOKEN])).toBe(false);
  });

  test('error messages are redacted of the request\'s secrets', () => {
    const err = new ConnectionError(`Invalid config: ${FAKE_TOKEN} is not a domain`, 'invalid_config', [{ field: 'shopDomain', message: `${FAKE_TOKEN} is not a domain` }]);
    const reply = errorReply(err, [FAKE_TOKEN]);
    expect(reply.status).toBe(400);
    expect(JSON.stringify(reply.body)).not.toContain(FAKE_TOKEN);
    expect(reply.body.fieldErrors).toEqual({ shopDomain: ['[REDACTED] is not a domain'] });
  });
});
