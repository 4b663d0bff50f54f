// Payload encryption end to end on the shared dev server: a worker and a client with the AES-GCM
// codec run a send and a pull; the histories, read by a client without the codec, hold neither the
// message text nor any pulled email, only `binary/encrypted` payloads; the codec client reads results.
import { randomBytes } from 'node:crypto';
import { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { AesGcmCodec, ENCRYPTED_ENCODING } from '../../src/temporal/codec.js';
import { startSync } from '../../src/temporal/client.js';
import { startSend } from '../../src/temporal/send-client.js';
import { historyText } from '../helpers/history.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import type { PullProgress } from '../../workflows/pull.js';
import { startTestWorker, temporalTestContext, type RunningWorker, type TemporalTestContext } from '../helpers/temporal.js';

const SECRET = 'secret-launch-codes-4242@example.com';
const SLACK_PATH = '/services/T000CODEC/B000CODEC/abcdefghijklmnop';

let ctx: TemporalTestContext;
let sandbox: Sandbox;
let receiver: Receiver;
let worker: RunningWorker | undefined;
let encrypted: Client;
const dataConverter: DataConverter = {
  payloadCodecs: [new AesGcmCodec({ keys: new Map([['test-2025', randomBytes(32)]]), activeKeyId: 'test-2025' })],
};

beforeAll(async () => {
  ctx = await temporalTestContext();
  // ctx.client has no codec: it plays whoever can read the server's database, but not the keys.
  encrypted = new Client({ connection: ctx.client.connection, namespace: ctx.namespace, dataConverter });
  sandbox = await startSandbox({ seed: 11, sizes: { orders: 0, charges: 0, members: 250 } });
  receiver = await startReceiver((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
  process.env.CODEC_WF_SLACK_URL = `https://hooks.slack.com${SLACK_PATH}`;
  process.env.CODEC_WF_MC_KEY = sandbox.credentials.mailchimp.apiKey;
  await ctx.store.add({ id: 'alerts', connectorId: 'slack', baseUrlOverride: receiver.url, config: { webhookUrl: 'env:CODEC_WF_SLACK_URL' } });
  await ctx.store.add({ id: 'crm', connectorId: 'mailchimp', baseUrlOverride: sandbox.mailchimp.url, config: { apiKey: 'env:CODEC_WF_MC_KEY', listId: sandbox.credentials.mailchimp.listId } });
  worker = await startTestWorker(ctx, {
    connectors: ['slack', 'mailchimp'],
    dataConverter,
    policyOverrides: { '*': { retry: { initialIntervalMs: 50, maximumIntervalMs: 200, maximumAttempts: 5 }, rate: { requestsPerSecond: 200 } } },
  });
});

afterAll(async () => {
  await worker?.stop();
  await receiver?.close();
  await sandbox?.close();
  await ctx?.close();
});

/**
 * Every payload the SDK's data converter wrote into a history. Left out, as no codec touches them:
 * search attributes (the server indexes them) and the SDK core's own local-activity marker record
 * (`details.data`: sequence number, attempt, activity type, times; the result next to it is encoded).
 */
function payloadsOf(node: unknown, path = '', out: { path: string; metadata: Record<string, Uint8Array> }[] = []) {
  if (!node || typeof node !== 'object' || node instanceof Uint8Array) return out;
  const obj = node as Record<string, unknown>;
  if (obj.metadata && typeof obj.metadata === 'object' && 'data' in obj) out.push({ path, metadata: obj.metadata as Record<string, Uint8Array> });
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'searchAttributes' || k === 'metadata' || (k === 'data' && path.endsWith('markerRecordedEventAttributes.details'))) continue;
    payloadsOf(v, `${path}.${k}`, out);
  }
  return out;
}

function expectOnlyEncryptedPayloads(history: unknown): void {
  const payloads = payloadsOf(history);
  expect(payloads.length).toBeGreaterThan(0);
  for (const p of payloads) expect(`${p.path}: ${Buffer.from(p.metadata.encoding ?? []).toString()}`).toBe(`${p.path}: ${ENCRYPTED_ENCODING}`);
}

test('a send: the message text never reaches the server in plaintext, and the codec client reads the result', async () => {
  const { handle } = await startSend(encrypted, ctx.store, { connectionId: 'alerts', message: { text: `Launch: ${SECRET}` }, idempotencyKey: 'codec-send-1', namePrefix: ctx.namePrefix });
  const result = await handle.result();
  expect(result).toMatchObject({ connectionId: 'alerts', connectorId: 'slack', status: 200 });
  // The destination got the real message: encryption is only between the SDK and the server.
  expect(receiver.requests.at(-1)?.body).toContain(SECRET);

  const history = await ctx.client.workflow.getHandle(handle.workflowId).fetchHistory();
  expect(historyText(history)).not.toContain(SECRET);
  expect(historyText(history)).not.toContain('secret-launch-codes');
  expectOnlyEncryptedPayloads(history);
  // Without the key the result is unreadable; with it, it is the same as above.
  await expect(ctx.client.workflow.getHandle(handle.workflowId).result()).rejects.toThrow();
  expect(await encrypted.workflow.getHandle(handle.workflowId).result()).toEqual(result);

  // Control: the same check does see plaintext when a client without the codec starts the send.
  const control = 'control-plaintext-7331@example.com';
  const plain = await startSend(ctx.client, ctx.store, { connectionId: 'alerts', message: { text: control }, idempotencyKey: 'codec-send-control', namePrefix: ctx.namePrefix });
  await encrypted.workflow.getHandle(plain.handle.workflowId).result();
  expect(historyText(await plain.handle.fetchHistory())).toContain(control);
});

test('a pull: no pulled email appears in the history, and every payload is binary/encrypted', async () => {
  const handle = await startSync(encrypted, ctx.store, { connectionId: 'crm', mode: 'full', pageSize: 100, pagesPerRun: 2, namePrefix: ctx.namePrefix });
  const result = await handle.result();
  expect(result.records).toBe(250);

  const stored = await ctx.sink.readAll({ connectionId: 'crm', stream: 'members' });
  const emails = [...stored.values()].map((r) => r.data.email_address).filter((e): e is string => typeof e === 'string');
  expect(emails.length).toBe(250);

  // pagesPerRun 2 forces continue-as-new: check the first run and the last.
  const runs = [ctx.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId), ctx.client.workflow.getHandle(handle.workflowId)];
  // describe() decodes the run's memo (records, pages), which is encrypted too: only the codec client reads it.
  await expect(runs[1]!.describe()).rejects.toThrow(/binary\/encrypted/);
  expect((await encrypted.workflow.getHandle(handle.workflowId).describe()).runId).not.toBe(handle.firstExecutionRunId);
  for (const run of runs) {
    const history = await run.fetchHistory();
    const text = historyText(history);
    for (const email of emails) expect(text).not.toContain(email);
    expect(text).not.toContain(sandbox.credentials.mailchimp.apiKey);
    expectOnlyEncryptedPayloads(history);
  }
  // The codec client decodes the result and queries as usual.
  expect(await encrypted.workflow.getHandle(handle.workflowId).result()).toEqual(result);
  expect(await encrypted.workflow.getHandle(handle.workflowId).query<PullProgress>('progress')).toMatchObject({ connectionId: 'crm', records: 250 });
});
