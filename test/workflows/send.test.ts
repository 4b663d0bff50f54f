// sendWorkflow on a real dev server against a local receiver standing in for the destination:
// the same idempotency key reaches the receiver once, whoever starts it and however often.
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createHash } from 'node:crypto';
import { MaybeDeliveredError, canonicalJson, messageFingerprint, startSend } from '../../src/temporal/send-client.js';
import { startReceiver, json, type Receiver } from '../helpers/receiver.js';
import { startTestWorker, temporalTestContext, type RunningWorker, type TemporalTestContext } from '../helpers/temporal.js';

let ctx: TemporalTestContext;
let receiver: Receiver;
let worker: RunningWorker | undefined;
let slowMs = 0;

const SLACK_PATH = '/services/T000TEST/B000TEST/abcdefghijklmnop';
const TWILIO_SID = `AC${'0a'.repeat(16)}`;

beforeAll(async () => {
  ctx = await temporalTestContext();
  receiver = await startReceiver(async (req, res) => {
    if (slowMs) await new Promise((r) => setTimeout(r, slowMs));
    if (req.path.startsWith('/services/')) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    } else if (req.path.includes('/Messages.json')) {
      json(res, 201, { sid: `SM${'1b'.repeat(16)}`, status: 'queued' });
    } else if (req.path === '/events') {
      res.writeHead(202);
      res.end();
    } else if (req.path === '/v2/enqueue') {
      const body = JSON.parse(req.body) as { dedup_key?: string };
      json(res, 202, { status: 'success', message: 'Event processed', dedup_key: body.dedup_key });
    } else {
      json(res, 404, { error: 'unknown path' });
    }
  });
  process.env.SEND_SLACK_URL = `https://hooks.slack.com${SLACK_PATH}`;
  process.env.SEND_TWILIO_TOKEN = 'f'.repeat(32);
  process.env.SEND_PD_KEY = 'R'.repeat(32);
  await ctx.store.add({ id: 'alerts', connectorId: 'slack', baseUrlOverride: receiver.url, config: { webhookUrl: 'env:SEND_SLACK_URL' } });
  await ctx.store.add({ id: 'sms', connectorId: 'twilio', baseUrlOverride: receiver.url, config: { authMethod: 'auth_token', accountSid: TWILIO_SID, authToken: 'env:SEND_TWILIO_TOKEN', from: '+15017122661' } });
  delete process.env.SEND_LATER_URL;
  await ctx.store.add({ id: 'alerts-later', connectorId: 'slack', baseUrlOverride: receiver.url, config: { webhookUrl: 'env:SEND_LATER_URL' } });
  await ctx.store.add({ id: 'oncall', connectorId: 'pagerduty', baseUrlOverride: receiver.url, config: { routingKey: 'env:SEND_PD_KEY' } });
  process.env.SEND_INTERCOM_TOKEN = 'dG9rOm' + 'x'.repeat(40);
  await ctx.store.add({ id: 'crm', connectorId: 'intercom', baseUrlOverride: receiver.url, config: { accessToken: 'env:SEND_INTERCOM_TOKEN' } });
  worker = await startTestWorker(ctx, {
    connectors: ['slack', 'twilio', 'pagerduty', 'intercom'],
    // Short request timeouts and fast retries: the tests provoke timeouts on purpose.
    policyOverrides: { '*': { timeouts: { requestMs: 300 }, retry: { initialIntervalMs: 50, maximumIntervalMs: 200, maximumAttempts: 4 }, rate: { requestsPerSecond: 100 } } },
  });
});

afterAll(async () => {
  delete process.env.SEND_LATER_URL;
  await worker?.stop();
  await receiver?.close();
  await ctx?.close();
});

const send = (connectionId: string, message: unknown, idempotencyKey: string) =>
  startSend(ctx.client, ctx.store, { connectionId, message, idempotencyKey, namePrefix: ctx.namePrefix });
const hits = (pathPart: string) => receiver.requests.filter((r) => r.path.includes(pathPart)).length;

test('started twice with the same idempotency key, a send reaches the destination once and both get its result', async () => {
  const before = hits(SLACK_PATH);
  const first = await (await send('alerts', { text: 'Deploy finished' }, 'deploy-42')).handle.result();
  const second = await (await send('alerts', { text: 'Deploy finished' }, 'deploy-42')).handle.result();
  expect(first).toMatchObject({ connectorId: 'slack', status: 200 });
  expect(second).toEqual(first);
  expect(hits(SLACK_PATH) - before).toBe(1);
  expect(JSON.parse(receiver.requests.at(-1)!.body)).toEqual({ text: 'Deploy finished' });
});

test('two concurrent starts with one key deliver once; another key delivers again', async () => {
  const before = hits(SLACK_PATH);
  const [a, b] = await Promise.all([send('alerts', { text: 'hi' }, 'k-concurrent'), send('alerts', { text: 'hi' }, 'k-concurrent')]);
  await Promise.all([a.handle.result(), b.handle.result()]);
  expect(hits(SLACK_PATH) - before).toBe(1);
  await (await send('alerts', { text: 'hi' }, 'k-other')).handle.result();
  expect(hits(SLACK_PATH) - before).toBe(2);
});

test('a timeout on a provider without de-duplication (Twilio) is not retried: one request, a clear failure', async () => {
  slowMs = 1_000;
  try {
    const before = hits('/Messages.json');
    const { handle } = await send('sms', { to: '+15558675310', body: 'Your code is 1234' }, 'otp-1');
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as Error & { type?: string };
    expect(cause.type).toBe('timeout');
    expect(cause.message).toMatch(/not retried automatically/);
    await new Promise((r) => setTimeout(r, 1_200)); // let the slow request land at the receiver
    expect(hits('/Messages.json') - before).toBe(1);

    // The SMS may have gone out: the same key is not sent again unless asked, and nothing is started.
    slowMs = 0;
    const again = await send('sms', { to: '+15558675310', body: 'Your code is 1234' }, 'otp-1').catch((e: unknown) => e);
    expect(again).toBeInstanceOf(MaybeDeliveredError);
    expect((again as Error).message).toMatch(/may have been delivered: .*not retried automatically/);
    expect(hits('/Messages.json') - before).toBe(1);
    const forced = await startSend(ctx.client, ctx.store, { connectionId: 'sms', message: { to: '+15558675310', body: 'Your code is 1234' }, idempotencyKey: 'otp-1', afterMaybeDelivered: true, namePrefix: ctx.namePrefix });
    expect(forced.outcome).toBe('started');
    await forced.handle.result();
    expect(hits('/Messages.json') - before).toBe(2);
  } finally {
    slowMs = 0;
  }
});

test('a timeout on a provider that de-duplicates (PagerDuty dedup_key) is retried with the same key', async () => {
  slowMs = 1_000;
  const before = receiver.requests.length;
  const { handle } = await send('oncall', { summary: 'Sync failed', severity: 'error' }, 'incident-7');
  setTimeout(() => {
    slowMs = 0;
  }, 700);
  const result = await handle.result();
  const enqueues = receiver.requests.slice(before).filter((r) => r.path === '/v2/enqueue');
  expect(enqueues.length).toBeGreaterThanOrEqual(2);
  expect(new Set(enqueues.map((r) => (JSON.parse(r.body) as { dedup_key: string }).dedup_key)).size).toBe(1);
  expect(result).toMatchObject({ connectorId: 'pagerduty', status: 202 });
});

test('the fingerprint of a message is the sha256 of its canonical JSON: key order does not matter, content does', () => {
  expect(canonicalJson({ b: [1, { d: 2, c: 'x' }], a: null })).toBe('{"a":null,"b":[1,{"c":"x","d":2}]}');
  expect(messageFingerprint({ text: 'hi', blocks: [] })).toBe(messageFingerprint({ blocks: [], text: 'hi' }));
  expect(messageFingerprint({ text: 'hi' })).toBe(createHash('sha256').update('{"text":"hi"}').digest('hex'));
  expect(messageFingerprint({ text: 'hi' })).not.toBe(messageFingerprint({ text: 'hi!' }));
});

test('a run carries its message fingerprint in its memo (not the message); another message under a used key is told apart and not delivered', async () => {
  const before = hits(SLACK_PATH);
  const first = await send('alerts', { text: 'Release 7 shipped' }, 'release-7');
  expect(first).toMatchObject({ outcome: 'started', sameMessage: true, messageSha256: messageFingerprint({ text: 'Release 7 shipped' }) });
  await first.handle.result();
  const memo = (await first.handle.describe()).memo;
  expect(memo).toEqual({ messageSha256: messageFingerprint({ text: 'Release 7 shipped' }), firstAttemptAtMs: expect.any(Number) });
  expect(JSON.stringify(memo)).not.toContain('Release 7');

  const same = await send('alerts', { text: 'Release 7 shipped' }, 'release-7');
  expect(same).toMatchObject({ outcome: 'finished', sameMessage: true, run: { runId: first.run.runId, status: 'COMPLETED' } });
  const other = await send('alerts', { text: 'Release 8 shipped' }, 'release-7');
  expect(other).toMatchObject({ outcome: 'finished', sameMessage: false, run: { runId: first.run.runId, status: 'COMPLETED' } });
  expect(await other.handle.result()).toEqual(await first.handle.result());
  expect(hits(SLACK_PATH) - before).toBe(1);
  expect(JSON.parse(receiver.requests.filter((r) => r.path === SLACK_PATH).at(-1)!.body)).toEqual({ text: 'Release 7 shipped' });
});

test('a failed send leaves its key free: the next start is a new run naming the failed one; after a success the key never runs again', async () => {
  const before = hits(SLACK_PATH);
  const failed = await send('alerts-later', { text: 'Backup done' }, 'backup-1');
  const err = await failed.handle.result().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect(((err as WorkflowFailedError).cause as Error & { type?: string }).type).toBe('missing_secret');

  process.env.SEND_LATER_URL = `https://hooks.slack.com${SLACK_PATH}`;
  const retried = await send('alerts-later', { text: 'Backup done' }, 'backup-1');
  expect(retried).toMatchObject({ outcome: 'started', sameMessage: true, previous: { runId: failed.run.runId, status: 'FAILED' } });
  expect(retried.run.runId).not.toBe(failed.run.runId);
  expect(await retried.handle.result()).toMatchObject({ connectorId: 'slack', status: 200 });

  const again = await send('alerts-later', { text: 'Backup done' }, 'backup-1');
  expect(again).toMatchObject({ outcome: 'finished', sameMessage: true, run: { runId: retried.run.runId } });
  expect(again.previous).toBeUndefined();
  expect(hits(SLACK_PATH) - before).toBe(1);
});

test('a new attempt at an Intercom event after a timeout carries the first attempt\'s created_at, so Intercom can drop the duplicate', async () => {
  const message = { type: 'event', eventName: 'placed-order', userId: '314159' };
  const bodies = () => receiver.requests.filter((r) => r.path === '/events').map((r) => JSON.parse(r.body) as { created_at: number });
  const before = bodies().length;
  slowMs = 1_000;
  try {
    const first = await send('crm', message, 'order-placed-1');
    const err = await first.handle.result().catch((e: unknown) => e);
    expect(((err as WorkflowFailedError).cause as Error & { type?: string }).type).toBe('timeout');
    await new Promise((r) => setTimeout(r, 1_200)); // the slow request lands at the receiver
  } finally {
    slowMs = 0;
  }
  // Seconds later, the forced new attempt: a new run, the same event time.
  await new Promise((r) => setTimeout(r, 1_100));
  const forced = await startSend(ctx.client, ctx.store, { connectionId: 'crm', message, idempotencyKey: 'order-placed-1', afterMaybeDelivered: true, namePrefix: ctx.namePrefix });
  expect(forced.outcome).toBe('started');
  await forced.handle.result();
  const sent = bodies().slice(before);
  expect(sent).toHaveLength(2);
  expect(sent[1]!.created_at).toBe(sent[0]!.created_at);
  // Another key is another event, dated now.
  const other = await send('crm', message, 'order-placed-2');
  await other.handle.result();
  expect(bodies().at(-1)!.created_at).toBeGreaterThan(sent[0]!.created_at);
});
