// The shared core against hostile and broken input: deeply nested JSON, megabyte error fields,
// absurd Retry-After values, requests the HTTP client refuses, and secrets echoed in any answer.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, errors as undiciErrors, getGlobalDispatcher, MockAgent, setGlobalDispatcher, type Dispatcher } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { withError } from '../../../src/core/envelope.js';
import { extractProviderMessage, mapHttpFailure } from '../../../src/core/error-mapping.js';
import { connectorError } from '../../../src/core/errors.js';
import { httpRequest } from '../../../src/core/http.js';
import { boundText, jsonDepth, MAX_MESSAGE_CHARS, MAX_RETRY_DELAY_MS } from '../../../src/core/limits.js';
import { redact, redactDeep, REDACTED } from '../../../src/core/redact.js';
import { delayUntilEpochSeconds, parseRetryAfter } from '../../../src/core/retry-after.js';

const SECRET = 'tok_live_0123456789abcdef';
const DEEP = 100_000;
const JSON_HEADERS = { 'content-type': 'application/json' };

/** `{"a":{"a":…{"a":<leaf>}…}}`, `depth` levels, as JSON text (built without recursion). */
function deepJson(depth: number, leaf: string): string {
  return '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);
}

/** The same value, built without recursion. */
function deepValue(depth: number, leaf: unknown): Record<string, unknown> {
  let v: unknown = leaf;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v as Record<string, unknown>;
}

/** The leaf at the bottom of a deepValue, found without recursion. */
function bottom(v: unknown): unknown {
  let cur = v;
  while (cur && typeof cur === 'object' && 'a' in cur) cur = (cur as { a: unknown }).a;
  return cur;
}

describe('redaction of deeply nested values', () => {
  test('a value nested 100 000 levels deep is redacted whole, keys included, without overflowing the stack', () => {
    const value = deepValue(DEEP, { [`key-${SECRET}`]: `echo ${SECRET}` });
    const out = redactDeep(value, [SECRET]);
    expect(jsonDepth(out)).toBe(DEEP + 1);
    expect(bottom(out)).toEqual({ [`key-${REDACTED}`]: `echo ${REDACTED}` });
  });

  test('a key "__proto__" stays a plain key of the copy', () => {
    const out = redactDeep(JSON.parse(`{"__proto__":{"x":"${SECRET}"}}`) as object, [SECRET]);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ x: REDACTED });
  });
});

describe('bounded messages', () => {
  test('a 1 MB provider error field gives a bounded message that says how much was cut', () => {
    const huge = 'x'.repeat(1_048_576);
    for (const body of [{ error: { message: huge } }, { message: huge }, { errors: [{ detail: huge }] }, { errors: { field: [huge] } }, huge]) {
      const m = extractProviderMessage(body)!;
      expect(m.length).toBeLessThanOrEqual(500);
      expect(m).toMatch(/… \[cut [\d,]+ characters\]$/);
      const e = mapHttpFailure({ provider: 'Example', status: 400, body, headers: {} });
      expect(e.message.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
    }
    expect(boundText('y'.repeat(1_050_000), 2_000)).toMatch(/… \[cut 1,048,0\d\d characters\]$/);
  });

  test('200 000 error entries are not all read into the message', () => {
    const errors = Array.from({ length: 200_000 }, (_, i) => ({ message: `bad ${i}` }));
    expect(extractProviderMessage({ errors })!.length).toBeLessThanOrEqual(500);
  });

  test('connectorError and withError bound the messages executors build', () => {
    const huge = 'z'.repeat(4_000_000);
    expect(connectorError('bad_request', huge).message.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
    const res = withError({ ok: false, status: 400, latencyMs: 1, body: null }, { code: 'bad_request', message: huge, retryable: false });
    expect(res.error!.message.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
    expect(res.error!.message).toContain('[cut ');
  });

  test('a secret cut in half by the bound is still redacted', () => {
    // The marker takes the last ~25 characters: put the secret across the cut.
    const text = `${'x'.repeat(MAX_MESSAGE_CHARS - 35)}${SECRET}${'y'.repeat(10_000)}`;
    const cut = boundText(text);
    expect(cut).toContain(SECRET.slice(0, 6));
    expect(cut).not.toContain(SECRET);
    const out = redact(cut, [SECRET]);
    expect(out).toMatch(/x\[REDACTED\]… \[cut [\d,]+ characters\]$/);
    expect(out).not.toContain(SECRET.slice(0, 6));
  });
});

describe('Retry-After and reset headers give finite, bounded delays', () => {
  test.each([
    ['a 400-digit number of seconds', '9'.repeat(400)],
    ['twenty nines', '99999999999999999999'],
    ['a far-future HTTP date', 'Sat, 13 Sep 275760 00:00:00 GMT'],
    ['ten years', String(10 * 365 * 86_400)],
  ])('%s', (_name, value) => {
    const ms = parseRetryAfter(value, Date.parse('2025-01-01T00:00:00Z'))!;
    expect(Number.isFinite(ms)).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(ms).toBeLessThanOrEqual(MAX_RETRY_DELAY_MS);
  });

  test('"1e308" is no delay-seconds value; a reset epoch in the far future is bounded too', () => {
    expect(parseRetryAfter('1e308')).toBeUndefined();
    expect(delayUntilEpochSeconds('9'.repeat(400))).toBe(MAX_RETRY_DELAY_MS);
    expect(mapHttpFailure({ provider: 'X', status: 429, body: null, headers: { 'retry-after': '9'.repeat(400) } }).retryAfterMs).toBe(MAX_RETRY_DELAY_MS);
  });
});

describe('httpRequest against hostile answers (MockAgent)', () => {
  let agent: MockAgent;
  let previous: Dispatcher;
  beforeEach(() => {
    previous = getGlobalDispatcher();
    agent = new MockAgent();
    agent.disableNetConnect();
    setGlobalDispatcher(agent);
  });
  afterEach(async () => {
    setGlobalDispatcher(previous);
    await agent.close();
  });
  const origin = 'https://api.example.com';
  const get = (extra: Record<string, unknown> = {}) =>
    httpRequest({ provider: 'Example', method: 'GET', url: `${origin}/x`, secrets: [SECRET], ...extra });

  test('an error body nested 100 000 levels deep is mapped, not thrown', async () => {
    agent.get(origin).intercept({ path: '/x' }).reply(500, deepJson(DEEP, `"${SECRET}"`), { headers: JSON_HEADERS });
    const res = await get();
    expect(res.error).toMatchObject({ code: 'upstream_error', retryable: true });
    expect(bottom(res.body)).toBe(REDACTED);
  });

  test('a 200 body nested 100 000 levels deep comes back whole, with the echoed secret redacted', async () => {
    agent.get(origin).intercept({ path: '/x' }).reply(200, deepJson(DEEP, `"${SECRET}"`), { headers: JSON_HEADERS });
    const res = await get();
    expect(res.ok).toBe(true);
    expect(bottom(res.body)).toBe(REDACTED);
  });

  test('a secret echoed in a 2xx body (value, key, JSON-escaped, URL-encoded) or a response header is redacted', async () => {
    const escaped = SECRET.replace('tok', '\\u0074ok');
    agent.get(origin).intercept({ path: '/x' }).reply(
      200,
      `{"message":"hello ${SECRET}","${SECRET}":1,"escaped":"${escaped}","url":"https://x/?k=${encodeURIComponent(SECRET)}"}`,
      { headers: { ...JSON_HEADERS, 'x-echo': `token=${SECRET}` } },
    );
    const res = await get();
    expect(res.ok).toBe(true);
    expect(JSON.stringify(res)).not.toContain(SECRET);
    expect(JSON.stringify(res)).not.toContain(encodeURIComponent(SECRET));
    expect(res.body).toMatchObject({ message: `hello ${REDACTED}`, escaped: REDACTED, [REDACTED]: 1 });
    expect(res.headers['x-echo']).toBe(`token=${REDACTED}`);
  });

  test('a 2xx text body echoing the secret is redacted', async () => {
    agent.get(origin).intercept({ path: '/x' }).reply(200, `ok ${SECRET}`, { headers: { 'content-type': 'text/plain' } });
    expect((await get()).body).toBe(`ok ${REDACTED}`);
  });

  test('a 1 MB error message is bounded; strings kept in the error body are bounded too', async () => {
    agent.get(origin).intercept({ path: '/x' }).reply(400, JSON.stringify({ error: { message: 'm'.repeat(1_048_576) } }), { headers: JSON_HEADERS });
    const res = await get();
    expect(res.error!.message.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
    expect(res.error!.message).toMatch(/\[cut [\d,]+ characters\]/);
    expect(JSON.stringify(res.body).length).toBeLessThan(20_000);
  });

  test('a header undici refuses (its own InvalidArgumentError) is invalid_config, not a retryable network failure', async () => {
    agent.get(origin).intercept({ path: '/x' }).replyWithError(new undiciErrors.InvalidArgumentError('invalid x-token header'));
    const res = await get();
    expect(res).toMatchObject({ ok: false, status: 0, error: { code: 'invalid_config', retryable: false } });
    expect(res.error!.ambiguous).toBeUndefined();
  });

  test('an invalid URL is invalid_config, not a thrown TypeError', async () => {
    const res = await httpRequest({ provider: 'Example', method: 'GET', url: 'https://exa mple.com:99999/x' });
    expect(res).toMatchObject({ ok: false, status: 0, error: { code: 'invalid_config', retryable: false } });
  });

  test('a JSON request body nested too deep to encode is bad_request, nothing sent', async () => {
    const res = await httpRequest({ provider: 'Example', method: 'POST', url: `${origin}/x`, json: deepValue(DEEP, 1) });
    expect(res).toMatchObject({ ok: false, status: 0, error: { code: 'bad_request', retryable: false } });
  });
});

describe('httpRequest and the real HTTP client (loopback server)', () => {
  let server: Server;
  let origin: string;
  let received = 0;
  const dispatcher = new Agent();
  beforeAll(async () => {
    server = createServer((_req, res) => {
      received++;
      res.end('{}');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.close();
    await dispatcher.close();
  });

  test.each([
    ['a line break', `${SECRET}\n`],
    ['CR LF (header injection)', `${SECRET}\r\nX-Evil: 1`],
    ['NUL', `${SECRET}\u0000`],
    ['a zero-width space', `${SECRET}\u200b`],
    ['a bidi override', `\u202e${SECRET}`],
  ])('a credential with %s is invalid_config naming the header, not its value; nothing is sent', async (_name, token) => {
    const before = received;
    const res = await httpRequest({ provider: 'Example', method: 'GET', url: `${origin}/x`, headers: { authorization: `Bearer ${token}` }, secrets: [token], dispatcher });
    expect(res).toMatchObject({ ok: false, status: 0, error: { code: 'invalid_config', retryable: false } });
    expect(res.error!.message).toContain('authorization');
    expect(res.error!.message).not.toContain(SECRET);
    expect(received).toBe(before);
  });

  test('a clean request still goes through', async () => {
    const res = await httpRequest({ provider: 'Example', method: 'GET', url: `${origin}/x`, headers: { authorization: `Bearer ${SECRET}` }, dispatcher });
    expect(res).toMatchObject({ ok: true, status: 200 });
  });
});
