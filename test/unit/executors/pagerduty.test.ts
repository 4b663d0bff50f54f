// PagerDuty executor against MockAgent: Events API v2 enqueue with dedup_key plumbing
// (facts: src/registry/connectors/pagerduty.ts). PagerDuty's own events schema has no licence we may
// use (shared/specs/SOURCES.md), so bodies are checked field by field here.
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import type { CallOptions } from '../../../src/core/envelope.js';
import { pagerdutyExecutor } from '../../../src/executors/pagerduty.js';
import { JSON_HEADERS, useMockAgent } from '../../helpers/mock-agent.js';
import { describeHttpContract } from './http-contract.js';

const mock = useMockAgent();

const KEY = 'R0123456789abcdef0123456789ABCDE';
const ORIGIN = 'https://events.pagerduty.com';
const PATH = '/v2/enqueue';
const config = { routingKey: KEY };

const send = (cfg: Record<string, unknown>, message: unknown, opts?: CallOptions) => pagerdutyExecutor.send!(cfg as never, message, opts);

function reply(status: number, body: unknown, origin = ORIGIN) {
  mock.agent.get(origin).intercept({ path: PATH, method: 'POST' }).reply(status, JSON.stringify(body), { headers: JSON_HEADERS });
}
const accepted = (dedupKey: string) => ({ status: 'success', message: 'Event processed', dedup_key: dedupKey });
const sentJson = (i = 0) => JSON.parse(String(mock.sent()[i]!.body)) as Record<string, unknown>;

describe('pagerduty send: trigger', () => {
  test('POST /v2/enqueue, JSON, routing_key in the body and no auth header; defaults for source and severity', async () => {
    reply(202, accepted('send:conn-1:42'));
    const res = await send(config, { summary: 'Sync of orders failed' }, { idempotencyKey: 'send:conn-1:42' });
    expect(res).toMatchObject({ ok: true, status: 202, body: { dedupKey: 'send:conn-1:42' } });
    const [sent] = mock.sent();
    expect(sent!.method).toBe('POST');
    expect(sent!.url.href).toBe(`${ORIGIN}${PATH}`);
    expect(sent!.headers['content-type']).toBe('application/json');
    expect(sent!.headers).not.toHaveProperty('authorization');
    expect(sentJson()).toEqual({
      routing_key: KEY,
      event_action: 'trigger',
      dedup_key: 'send:conn-1:42',
      payload: { summary: 'Sync of orders failed', source: 'pipeline-worker', severity: 'error' },
    });
  });

  test('the configured default source and severity apply; the message\'s own win', async () => {
    reply(202, accepted('a'));
    reply(202, accepted('b'));
    const cfg = { ...config, defaultSource: 'etl-01', defaultSeverity: 'warning' };
    await send(cfg, { summary: 's' }, { idempotencyKey: 'a' });
    await send(cfg, { summary: 's', source: 'db-02', severity: 'critical' }, { idempotencyKey: 'b' });
    expect(sentJson(0).payload).toMatchObject({ source: 'etl-01', severity: 'warning' });
    expect(sentJson(1).payload).toMatchObject({ source: 'db-02', severity: 'critical' });
  });

  test('every optional field maps to its Events API name', async () => {
    reply(202, accepted('k'));
    await send(config, {
      summary: 's', component: 'orders', group: 'sync', class: 'timeout', timestamp: '2025-01-02T03:04:05Z',
      customDetails: { rows: 42, connection: 'shop-1' },
      links: [{ href: 'https://example.com/runs/42', text: 'Run 42' }],
      images: [{ src: 'https://example.com/chart.png', alt: 'chart' }],
    }, { idempotencyKey: 'k' });
    expect(sentJson()).toEqual({
      routing_key: KEY, event_action: 'trigger', dedup_key: 'k',
      payload: {
        summary: 's', source: 'pipeline-worker', severity: 'error', timestamp: '2025-01-02T03:04:05Z',
        component: 'orders', group: 'sync', class: 'timeout', custom_details: { rows: 42, connection: 'shop-1' },
      },
      links: [{ href: 'https://example.com/runs/42', text: 'Run 42' }],
      images: [{ src: 'https://example.com/chart.png', alt: 'chart' }],
    });
  });

  test('the EU region posts to events.eu.pagerduty.com', async () => {
    reply(202, accepted('k'), 'https://events.eu.pagerduty.com');
    expect((await send({ ...config, region: 'eu' }, { summary: 's' }, { idempotencyKey: 'k' })).ok).toBe(true);
    expect(mock.sent()[0]!.url.href).toBe(`https://events.eu.pagerduty.com${PATH}`);
  });
});

describe('pagerduty send: dedup_key from the idempotency key', () => {
  test('an explicit dedupKey wins over the idempotency key', async () => {
    reply(202, accepted('incident-7'));
    await send(config, { summary: 's', dedupKey: 'incident-7' }, { idempotencyKey: 'send:conn-1:42' });
    expect(sentJson().dedup_key).toBe('incident-7');
  });

  test('a key of up to 255 characters is used as is; a longer one becomes its sha256 hex, deterministically', async () => {
    const short = 'k'.repeat(255);
    const long = 'k'.repeat(256);
    for (let i = 0; i < 3; i++) reply(202, accepted('x'));
    await send(config, { summary: 's' }, { idempotencyKey: short });
    await send(config, { summary: 's' }, { idempotencyKey: long });
    await send(config, { summary: 's' }, { idempotencyKey: long });
    const hash = createHash('sha256').update(long).digest('hex');
    expect(mock.sent().map((_, i) => sentJson(i).dedup_key)).toEqual([short, hash, hash]);
  });

  test('without either, no dedup_key is sent (PagerDuty makes one) and its key is reported', async () => {
    reply(202, accepted('5f3c1a2b9e8d4c7f'));
    const res = await send(config, { summary: 's' });
    expect(sentJson()).not.toHaveProperty('dedup_key');
    expect(res.body).toEqual({ dedupKey: '5f3c1a2b9e8d4c7f' });
  });

  for (const action of ['acknowledge', 'resolve'] as const) {
    test(`${action}: needs the alert's dedupKey; sends no payload`, async () => {
      const missing = await send(config, { action }, { idempotencyKey: 'send:conn-1:43' });
      expect(missing).toMatchObject({ ok: false, status: 0, error: { code: 'bad_request' } });
      expect(missing.error!.message).toContain(`dedupKey: is required to ${action} an alert`);
      expect(mock.sent()).toHaveLength(0);

      reply(202, accepted('incident-7'));
      const res = await send(config, { action, dedupKey: 'incident-7', summary: 'ignored' }, { idempotencyKey: 'send:conn-1:43' });
      expect(res.body).toEqual({ dedupKey: 'incident-7' });
      expect(sentJson()).toEqual({ routing_key: KEY, event_action: action, dedup_key: 'incident-7' });
    });
  }
});

describe('pagerduty send: validation and errors', () => {
  test('impossible events are bad_request naming the field, nothing sent', async () => {
    const cases: [unknown, string][] = [
      [{}, 'summary: is required to trigger'],
      [{ summary: 'x'.repeat(1025) }, 'summary'],
      [{ summary: 's', severity: 'fatal' }, 'severity'],
      [{ summary: 's', action: 'escalate' }, 'action'],
      [{ summary: 's', dedupKey: 'x'.repeat(256) }, 'dedupKey'],
      [{ summary: 's', links: [{ href: 'javascript:alert(1)' }] }, 'links.0.href'],
      [{ summary: 's', timestamp: 'yesterday' }, 'timestamp'],
      [{ summary: 's', routing_key: 'other' }, 'routing_key'],
      [{ summary: 's', images: [{ src: 'http://example.com/chart.png' }] }, 'images.0.src: must be an https URL'],
    ];
    for (const [message, field] of cases) {
      const res = await send(config, message, { idempotencyKey: 'k' });
      expect(res).toMatchObject({ ok: false, status: 0, body: null, error: { code: 'bad_request', retryable: false } });
      expect(res.error!.message).toContain(field);
    }
    expect(mock.sent()).toHaveLength(0);
  });

  test('images[].src must be https (PagerDuty: "This image must be served via HTTPS"); the image\'s href may be http', async () => {
    const res = await send(config, { summary: 's', images: [{ src: 'http://example.com/chart.png' }] }, { idempotencyKey: 'k' });
    expect(res).toMatchObject({ ok: false, status: 0, body: null, error: { code: 'bad_request', retryable: false } });
    expect(res.error!.message).toContain('images.0.src');
    expect(mock.sent()).toHaveLength(0);
    reply(202, accepted('k'));
    expect((await send(config, { summary: 's', images: [{ src: 'https://example.com/chart.png', href: 'http://example.com/' }] }, { idempotencyKey: 'k' })).ok).toBe(true);
  });

  test('source has no 255-character limit (PagerDuty documents none): a long one is sent whole, from the message or the config', async () => {
    const source = `monitoringtool:cloudvendor:${'x'.repeat(400)}`;
    reply(202, accepted('k'));
    reply(202, accepted('k'));
    expect((await send(config, { summary: 's', source }, { idempotencyKey: 'k' })).ok).toBe(true);
    expect((await send({ ...config, defaultSource: source }, { summary: 's' }, { idempotencyKey: 'k' })).ok).toBe(true);
    expect((sentJson(0).payload as { source: string }).source).toBe(source);
    expect((sentJson(1).payload as { source: string }).source).toBe(source);
  });

  test('an event over 512 KB is payload_too_large before sending', async () => {
    const res = await send(config, { summary: 's', customDetails: { blob: 'x'.repeat(512 * 1024) } }, { idempotencyKey: 'k' });
    expect(res).toMatchObject({ ok: false, status: 0, error: { code: 'payload_too_large', retryable: false } });
    expect(mock.sent()).toHaveLength(0);
  });

  test('400 invalid event is bad_request with PagerDuty\'s errors in the message', async () => {
    reply(400, { status: 'invalid event', message: 'Event object is invalid', errors: ["'payload.summary' is missing or blank", "'payload.source' is missing or blank"] });
    const res = await send(config, { summary: 's' }, { idempotencyKey: 'k' });
    expect(res).toMatchObject({ ok: false, status: 400, body: null, error: { code: 'bad_request', retryable: false } });
    expect(res.error!.message).toBe("PagerDuty answered HTTP 400 (invalid event): Event object is invalid: 'payload.summary' is missing or blank; 'payload.source' is missing or blank");
  });

  test('a 202 that is not status "success" is invalid_response', async () => {
    reply(202, { status: 'queued', dedup_key: 'k' });
    expect((await send(config, { summary: 's' }, { idempotencyKey: 'k' })).error).toMatchObject({ code: 'invalid_response' });
  });
});

describe('pagerduty testConnection', () => {
  test('offline: the routing key is validated, nothing is sent', async () => {
    const res = await pagerdutyExecutor.testConnection(config as never);
    expect(res).toEqual({ ok: true, status: 0, latencyMs: 0, body: { check: 'offline', note: expect.stringContaining('no read endpoint') } });
    expect(mock.sent()).toHaveLength(0);
  });

  test('a routing key that is not 32 characters is invalid_config', async () => {
    const res = await pagerdutyExecutor.testConnection({ routingKey: 'short' } as never);
    expect(res).toMatchObject({ ok: false, status: 0, error: { code: 'invalid_config' } });
  });
});

describe('pagerduty HTTP contract', () => {
  describeHttpContract(mock, {
    config,
    secretField: 'routingKey',
    malformedSecret: 'not-a-routing-key',
    origin: ORIGIN,
    path: PATH,
    method: 'POST',
    call: (cfg, opts) => send(cfg, { summary: 'hello' }, { idempotencyKey: 'k', ...opts }),
    others: { testConnection: (cfg, opts) => pagerdutyExecutor.testConnection(cfg as never, opts) },
    okBody: accepted('k'),
    errorBody: (message) => ({ status: 'invalid event', message, errors: [] }),
  });
});
