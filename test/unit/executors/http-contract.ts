// The behaviour DESIGN.md §4 and §6 require of every HTTP executor, declared once and run by each
// connector's test file: the shared error mapping, timeouts, malformed bodies, fail-closed secrets,
// redaction and the sandbox-only base-URL override.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { CallOptions, ConnectorResponse } from '../../../src/core/envelope.js';
import { JSON_HEADERS, pathIs, type MockAgentHandle } from '../../helpers/mock-agent.js';

type Config = Record<string, unknown>;
type Call = (config: Config, opts?: CallOptions) => Promise<ConnectorResponse<unknown>>;

export interface HttpContractTarget {
  /** A valid config, secret included. */
  config: Config;
  /** The required secret field of `config`. */
  secretField: string;
  /** The origin and path `call` requests with `config` (the same path under a sandbox override). */
  origin: string;
  path: string;
  /** HTTP method of `call` (default GET). */
  method?: 'GET' | 'POST' | 'PUT';
  /**
   * Whether `call` checks its 2xx body (default true). False for providers whose success answer is
   * not a documented JSON document (Slack answers the text "ok", Teams "1" or an empty 202).
   */
  checksBody?: boolean;
  /** The call under test (a first pull page); `others` are checked for fail-closed secrets too. */
  call: Call;
  others?: Record<string, Call>;
  /** A 2xx body `call` accepts. */
  okBody: unknown;
  /** The provider's error body carrying `message`. */
  errorBody(message: string): unknown;
  /** A value of the secret field that the registry's validation rejects. */
  malformedSecret: string;
}

const SANDBOX_ORIGIN = 'http://127.0.0.1:18080';

export function describeHttpContract(mock: MockAgentHandle, t: HttpContractTarget): void {
  const secret = String(t.config[t.secretField]);
  const reply = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    mock.agent.get(t.origin).intercept({ path: pathIs(t.path), method: t.method ?? 'GET' })
      .reply(status, typeof body === 'string' ? body : JSON.stringify(body), { headers: { ...JSON_HEADERS, ...headers } });

  describe('shared error mapping', () => {
    test('401 is unauthorized, not retryable, and the echoed secret is redacted', async () => {
      reply(401, t.errorBody(`Invalid API key provided: ${secret}`));
      const res = await t.call(t.config);
      expect(res).toMatchObject({ ok: false, status: 401, body: null, error: { code: 'unauthorized', retryable: false } });
      expect(res.error!.message).not.toContain(secret);
      expect(res.error!.message).toContain('[REDACTED]');
      expect(JSON.stringify(res)).not.toContain(secret);
    });

    test('404 is not_found, not retryable', async () => {
      reply(404, t.errorBody('No such resource'));
      const res = await t.call(t.config);
      expect(res).toMatchObject({ ok: false, status: 404, error: { code: 'not_found', retryable: false } });
      expect(res.error!.message).toContain('No such resource');
    });

    test('429 with Retry-After in seconds is rate_limited, retryable, with retryAfterMs', async () => {
      reply(429, t.errorBody('Too many requests'), { 'retry-after': '7' });
      const res = await t.call(t.config);
      expect(res).toMatchObject({ ok: false, status: 429, error: { code: 'rate_limited', retryable: true, retryAfterMs: 7_000 } });
    });

    test('429 with Retry-After as an HTTP-date is rate_limited with the delay until then', async () => {
      reply(429, t.errorBody('Too many requests'), { 'retry-after': new Date(Date.now() + 30_000).toUTCString() });
      const res = await t.call(t.config);
      expect(res.error).toMatchObject({ code: 'rate_limited', retryable: true });
      // HTTP-dates have whole seconds: up to one second is lost, plus the test's own run time.
      expect(res.error!.retryAfterMs).toBeGreaterThan(27_000);
      expect(res.error!.retryAfterMs).toBeLessThanOrEqual(30_000);
    });

    test('500 is upstream_error, 503 upstream_unavailable, both retryable', async () => {
      reply(500, t.errorBody('Something went wrong'));
      expect((await t.call(t.config)).error).toMatchObject({ code: 'upstream_error', retryable: true });
      reply(503, '');
      expect((await t.call(t.config))).toMatchObject({ status: 503, error: { code: 'upstream_unavailable', retryable: true } });
    });

    test('no answer within timeoutMs is timeout (status 0, retryable)', async () => {
      mock.agent.get(t.origin).intercept({ path: pathIs(t.path), method: t.method ?? 'GET' })
        .reply(200, JSON.stringify(t.okBody), { headers: JSON_HEADERS }).delay(1_000);
      const res = await t.call(t.config, { timeoutMs: 50 });
      expect(res).toMatchObject({ ok: false, status: 0, body: null, error: { code: 'timeout', retryable: true } });
      expect(res.latencyMs).toBeGreaterThanOrEqual(40);
      expect(res.latencyMs).toBeLessThan(1_000);
    });

    test('a connection failure is network (status 0, retryable)', async () => {
      mock.agent.get(t.origin).intercept({ path: pathIs(t.path), method: t.method ?? 'GET' })
        .replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
      const res = await t.call(t.config);
      expect(res).toMatchObject({ ok: false, status: 0, error: { code: 'network', retryable: true } });
    });

    test.skipIf(t.checksBody === false)('200 with broken JSON is invalid_response, not retryable', async () => {
      reply(200, '{"data": [ {"id": ');
      const res = await t.call(t.config);
      expect(res).toMatchObject({ ok: false, status: 200, body: null, error: { code: 'invalid_response', retryable: false } });
    });

    test.skipIf(t.checksBody === false)('200 with a body of the wrong shape is invalid_response, not retryable', async () => {
      reply(200, { unexpected: [1, 2, 3] });
      const res = await t.call(t.config);
      expect(res).toMatchObject({ ok: false, status: 200, body: null, error: { code: 'invalid_response', retryable: false } });
    });
  });

  describe('fail closed before any request', () => {
    const calls: [string, Call][] = [['call', t.call], ...Object.entries(t.others ?? {})];
    const { [t.secretField]: _omitted, ...withoutSecret } = t.config;
    const variants: [string, Config][] = [
      ['absent', withoutSecret],
      ['empty', { ...t.config, [t.secretField]: '' }],
      ['an unresolved env: reference', { ...t.config, [t.secretField]: 'env:PIPELINE_TEST_UNSET_SECRET' }],
    ];
    for (const [name, call] of calls) {
      for (const [how, config] of variants) {
        test(`${name}: secret ${how} → missing_secret, status 0, nothing sent`, async () => {
          const res = await call(config);
          expect(res).toMatchObject({ ok: false, status: 0, latencyMs: 0, body: null, error: { code: 'missing_secret', retryable: false } });
          expect(mock.sent()).toHaveLength(0);
        });
      }
    }

    test('a malformed secret is invalid_config and is not echoed', async () => {
      const bad = t.malformedSecret;
      const res = await t.call({ ...t.config, [t.secretField]: bad });
      expect(res).toMatchObject({ ok: false, status: 0, error: { code: 'invalid_config' } });
      expect(res.error!.message).not.toContain(bad);
      expect(mock.sent()).toHaveLength(0);
    });
  });

  describe('base-URL override (sandbox emulators only)', () => {
    let saved: string | undefined;
    beforeEach(() => {
      saved = process.env.PIPELINE_SANDBOX;
    });
    afterEach(() => {
      if (saved === undefined) delete process.env.PIPELINE_SANDBOX;
      else process.env.PIPELINE_SANDBOX = saved;
    });

    test('refused outside sandbox mode, even for loopback', async () => {
      delete process.env.PIPELINE_SANDBOX;
      const res = await t.call(t.config, { baseUrlOverride: SANDBOX_ORIGIN });
      expect(res).toMatchObject({ ok: false, status: 0, error: { code: 'invalid_config' } });
      expect(mock.sent()).toHaveLength(0);
    });

    for (const host of ['https://attacker.example.com', 'http://169.254.169.254', 'http://10.0.0.5:8080']) {
      test(`refused in sandbox mode for a non-loopback host (${host})`, async () => {
        process.env.PIPELINE_SANDBOX = '1';
        const res = await t.call(t.config, { baseUrlOverride: host });
        expect(res).toMatchObject({ ok: false, status: 0, error: { code: 'invalid_config' } });
        expect(mock.sent()).toHaveLength(0);
      });
    }

    test('honoured in sandbox mode for a loopback host', async () => {
      process.env.PIPELINE_SANDBOX = '1';
      mock.agent.get(SANDBOX_ORIGIN).intercept({ path: pathIs(t.path), method: t.method ?? 'GET' })
        .reply(200, JSON.stringify(t.okBody), { headers: JSON_HEADERS });
      const res = await t.call(t.config, { baseUrlOverride: SANDBOX_ORIGIN });
      expect(res.error).toBeUndefined();
      expect(res.ok).toBe(true);
      const [sent] = mock.sent();
      expect(sent!.url.origin).toBe(SANDBOX_ORIGIN);
      expect(sent!.url.pathname).toBe(t.path);
    });
  });
}
