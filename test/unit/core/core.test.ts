// The shared core: error mapping table, Retry-After, redaction, URL guard and the HTTP function.
import { getGlobalDispatcher, MockAgent, setGlobalDispatcher, type Dispatcher } from 'undici';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { codeForStatus, extractProviderMessage } from '../../../src/core/error-mapping.js';
import { httpRequest } from '../../../src/core/http.js';
import { redact } from '../../../src/core/redact.js';
import { parseRetryAfter } from '../../../src/core/retry-after.js';
import { checkAllowedUrl, isPrivateOrLocalHost, resolveBaseUrl } from '../../../src/core/url-guard.js';

describe('error mapping (DESIGN.md §4 table)', () => {
  test.each([
    [400, 'bad_request'], [422, 'bad_request'], [401, 'unauthorized'], [403, 'forbidden'], [404, 'not_found'],
    [409, 'conflict'], [413, 'payload_too_large'], [429, 'rate_limited'], [500, 'upstream_error'],
    [502, 'upstream_unavailable'], [503, 'upstream_unavailable'], [504, 'upstream_unavailable'], [402, 'bad_request'],
  ])('%i -> %s', (status, code) => expect(codeForStatus(status)).toBe(code));

  test('provider error bodies give a readable message', () => {
    expect(extractProviderMessage({ error: { message: 'No such charge' } })).toBe('No such charge');
    expect(extractProviderMessage({ errors: [{ message: 'bad email', field: 'to' }] })).toBe('to: bad email');
    expect(extractProviderMessage({ title: 'Invalid Resource', detail: 'Blank email' })).toBe('Invalid Resource: Blank email');
    expect(extractProviderMessage({ errors: { limit: ['must be <= 250'] } })).toBe('limit: must be <= 250');
    expect(extractProviderMessage('invalid_payload')).toBe('invalid_payload');
  });
});

describe('Retry-After', () => {
  test('seconds, decimals and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('2.0')).toBe(2000);
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

test('redaction covers raw and URL-encoded forms and ignores tiny strings', () => {
  expect(redact('key=abc/def+1 and abc%2Fdef%2B1', ['abc/def+1'])).toBe('key=[REDACTED] and [REDACTED]');
  expect(redact('a b c', ['a'])).toBe('a b c');
});

describe('URL guard', () => {
  test('private, loopback and link-local hosts are refused for destinations', () => {
    for (const h of ['127.0.0.1', 'localhost', '10.1.2.3', '192.168.0.1', '172.16.5.5', '169.254.169.254', '[::1]', 'fd00::1']) {
      expect(isPrivateOrLocalHost(h)).toBe(true);
    }
    expect(isPrivateOrLocalHost('hooks.slack.com')).toBe(false);
    expect(checkAllowedUrl('https://169.254.169.254/latest', { hosts: ['169.254.169.254'] })).toMatch(/public host/);
    expect(checkAllowedUrl('http://hooks.slack.com/x', { hosts: ['hooks.slack.com'] })).toMatch(/https/);
    expect(checkAllowedUrl('https://hooks.slack.com.evil.io/x', { hosts: ['hooks.slack.com'] })).toMatch(/not allowed/);
    expect(checkAllowedUrl('https://x.logic.azure.com/w', { hostSuffixes: ['.logic.azure.com'] })).toBeNull();
  });

  test('a base-URL override needs sandbox mode and a loopback host', () => {
    const prev = process.env.PIPELINE_SANDBOX;
    try {
      process.env.PIPELINE_SANDBOX = '0';
      expect(resolveBaseUrl('https://api.stripe.com', 'http://127.0.0.1:9')).toHaveProperty('error.code', 'invalid_config');
      process.env.PIPELINE_SANDBOX = '1';
      expect(resolveBaseUrl('https://api.stripe.com', 'http://127.0.0.1:9/')).toEqual({ base: 'http://127.0.0.1:9' });
      expect(resolveBaseUrl('https://api.stripe.com', 'http://10.0.0.1:9')).toHaveProperty('error.code', 'invalid_config');
      expect(resolveBaseUrl('https://api.stripe.com', undefined)).toEqual({ base: 'https://api.stripe.com' });
    } finally {
      process.env.PIPELINE_SANDBOX = prev;
    }
  });
});

describe('httpRequest', () => {
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

  test('measures latency, parses JSON, encodes query arrays and forms', async () => {
    agent.get('https://api.example.com').intercept({ path: '/x?a=1&b=2&b=3', method: 'POST', body: 'k=v&k=w' }).reply(200, { ok: 1 }, { headers: { 'content-type': 'application/json' } }).delay(20);
    const res = await httpRequest({ provider: 'Example', method: 'POST', url: 'https://api.example.com/x', query: { a: 1, b: ['2', '3'], c: undefined }, form: { k: ['v', 'w'] } });
    expect(res).toMatchObject({ ok: true, status: 200, body: { ok: 1 } });
    expect(res.latencyMs).toBeGreaterThanOrEqual(15);
  });

  test('a network error is retryable "network" with the secret redacted', async () => {
    agent.get('https://api.example.com').intercept({ path: '/x' }).replyWithError(new Error('socket hang up near tok_secret_123'));
    const res = await httpRequest({ provider: 'Example', method: 'GET', url: 'https://api.example.com/x', secrets: ['tok_secret_123'] });
    expect(res.error).toMatchObject({ code: 'network', retryable: true });
    expect(res.error?.message).not.toContain('tok_secret_123');
    expect(res.status).toBe(0);
  });

  test('a timeout is retryable "timeout"; a caller cancellation is not reported as one', async () => {
    agent.get('https://api.example.com').intercept({ path: '/slow' }).reply(200, {}).delay(300);
    const t = await httpRequest({ provider: 'Example', method: 'GET', url: 'https://api.example.com/slow', timeoutMs: 50 });
    expect(t.error).toMatchObject({ code: 'timeout', retryable: true });
    agent.get('https://api.example.com').intercept({ path: '/slow' }).reply(200, {}).delay(300);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    const c = await httpRequest({ provider: 'Example', method: 'GET', url: 'https://api.example.com/slow', signal: ac.signal });
    expect(c.error?.code).toBe('network');
    expect(c.error?.message).toMatch(/cancelled/);
  });

  test('a 2xx that is not JSON where JSON is declared is invalid_response, not retryable', async () => {
    agent.get('https://api.example.com').intercept({ path: '/x' }).reply(200, '{"a":', { headers: { 'content-type': 'application/json' } });
    const res = await httpRequest({ provider: 'Example', method: 'GET', url: 'https://api.example.com/x' });
    expect(res.error).toMatchObject({ code: 'invalid_response', retryable: false });
  });
});

describe('redaction of the Authorization header', () => {
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

  test('a provider echoing the Basic header or its base64 credentials sees both redacted, undeclared', async () => {
    const header = `Basic ${Buffer.from('user:pa55word-xyz').toString('base64')}`;
    agent.get('https://api.example.com').intercept({ path: '/x' }).reply(401, { message: `rejected ${header} (${header.slice(6)})` }, { headers: { 'content-type': 'application/json' } });
    const res = await httpRequest({ provider: 'Example', method: 'GET', url: 'https://api.example.com/x', headers: { Authorization: header } });
    expect(res.error?.message).not.toContain(header.slice(6));
    expect(JSON.stringify(res.body)).not.toContain(header.slice(6));
  });
});
