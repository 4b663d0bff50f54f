// `pipeline send` as a user runs it (the real binary) against the shared dev server, a worker and a
// local receiver standing in for Slack: what it prints and its exit code must match what happened.
// Deliveries are counted at the receiver.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sendWorkflowId } from '../../src/temporal/send-client.js';
import { runCli, startCli } from '../helpers/cli.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { startTestWorker, temporalTestContext, type RunningWorker, type TemporalTestContext } from '../helpers/temporal.js';

let ctx: TemporalTestContext;
/** A second context (its own queue prefix and home) that no worker polls until a test starts one. */
let idle: TemporalTestContext;
let receiver: Receiver;
let worker: RunningWorker | undefined;
let idleWorker: RunningWorker | undefined;

const SLACK_PATH = '/services/T000CLI/B000CLI/clisendtestwebhook';
/** Each `pipeline` run is a real process (tsx): seconds each on a busy two-core machine. */
const CLI_TEST_TIMEOUT = 300_000;

beforeAll(async () => {
  [ctx, idle] = await Promise.all([temporalTestContext(), temporalTestContext()]);
  receiver = await startReceiver((req, res) => {
    res.writeHead(req.path.startsWith('/services/') ? 200 : 404, { 'content-type': 'text/plain' });
    res.end(req.path.startsWith('/services/') ? 'ok' : 'unknown path');
  });
  // The worker runs in this process: it resolves env: secrets from this environment.
  process.env.SEND_CLI_SLACK_URL = `https://hooks.slack.com${SLACK_PATH}`;
  delete process.env.SEND_CLI_LATER_URL;
  for (const store of [ctx.store, idle.store]) {
    await store.add({ id: 'alerts', connectorId: 'slack', baseUrlOverride: receiver.url, config: { webhookUrl: 'env:SEND_CLI_SLACK_URL' } });
    await store.add({ id: 'later', connectorId: 'slack', baseUrlOverride: receiver.url, config: { webhookUrl: 'env:SEND_CLI_LATER_URL' } });
  }
  worker = await startTestWorker(ctx, {
    connectors: ['slack'],
    policyOverrides: { '*': { retry: { initialIntervalMs: 50, maximumIntervalMs: 200, maximumAttempts: 3 }, rate: { requestsPerSecond: 100 } } },
  });
});

afterAll(async () => {
  await idleWorker?.stop();
  await worker?.stop();
  await receiver?.close();
  await Promise.all([ctx?.close(), idle?.close()]);
  delete process.env.SEND_CLI_LATER_URL;
});

const deliveries = () => receiver.requests.filter((r) => r.path === SLACK_PATH).length;
const bodies = () => receiver.requests.filter((r) => r.path === SLACK_PATH).map((r) => r.body);

async function messageFile(c: TemporalTestContext, name: string, message: unknown): Promise<string> {
  const file = join(c.home, `${name}.json`);
  await writeFile(file, JSON.stringify(message));
  return file;
}

describe('one idempotency key, one message', () => {
  test('the same message again is "already sent" (exit 0); another message under the key is NOT sent (exit 4) and says so', async () => {
    const first = await messageFile(ctx, 'first', { text: 'Deploy 42 finished' });
    // The same message with its keys in another order is the same message.
    const sameReordered = await messageFile(ctx, 'same', { text: 'Deploy 42 finished' });
    const other = await messageFile(ctx, 'other', { text: 'Deploy 43 finished' });
    const before = deliveries();

    const sent = await runCli(ctx, ['send', 'alerts', '--message', first, '--idempotency-key', 'deploy-42']);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(/sent: HTTP 200/);
    expect(deliveries() - before).toBe(1);

    const again = await runCli(ctx, ['send', 'alerts', '--message', sameReordered, '--idempotency-key', 'deploy-42']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/already sent with idempotency key deploy-42 .*HTTP 200/);
    expect(again.stdout).toMatch(/Nothing was sent again/);
    const againJson = await runCli(ctx, ['send', 'alerts', '--message', first, '--idempotency-key', 'deploy-42', '--json']);
    expect(againJson.code).toBe(0);
    expect(JSON.parse(againJson.stdout)).toMatchObject({ ok: true, sent: true, alreadySent: true, idempotencyKey: 'deploy-42', status: 200 });

    const refused = await runCli(ctx, ['send', 'alerts', '--message', other, '--idempotency-key', 'deploy-42']);
    expect(refused.code).toBe(4);
    expect(refused.stdout).not.toMatch(/^sent/m);
    expect(refused.stdout).toMatch(/idempotency key deploy-42 was already used by another message/);
    expect(refused.stdout).toMatch(/its result: HTTP 200/);
    expect(refused.stderr).toMatch(/this message was NOT sent/);

    const refusedJson = await runCli(ctx, ['send', 'alerts', '--message', other, '--idempotency-key', 'deploy-42', '--json']);
    expect(refusedJson.code).toBe(4);
    expect(JSON.parse(refusedJson.stdout)).toMatchObject({
      ok: false,
      sent: false,
      reason: 'idempotency_key_used_by_another_message',
      idempotencyKey: 'deploy-42',
      first: { status: 'completed', result: { connectorId: 'slack', status: 200 } },
    });

    // One delivery in all, of the first message.
    expect(deliveries() - before).toBe(1);
    expect(bodies().at(-1)).toBe(JSON.stringify({ text: 'Deploy 42 finished' }));
  }, CLI_TEST_TIMEOUT);

  test('two sends of one message with one key at the same time deliver once, and both say sent', async () => {
    const file = await messageFile(ctx, 'concurrent', { text: 'Only once' });
    const before = deliveries();
    const [a, b] = await Promise.all([
      runCli(ctx, ['send', 'alerts', '--message', file, '--idempotency-key', 'k-concurrent', '--json']),
      runCli(ctx, ['send', 'alerts', '--message', file, '--idempotency-key', 'k-concurrent', '--json']),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(JSON.parse(a.stdout)).toMatchObject({ ok: true, sent: true, status: 200 });
    expect(JSON.parse(b.stdout)).toMatchObject({ ok: true, sent: true, status: 200 });
    expect(deliveries() - before).toBe(1);
  }, CLI_TEST_TIMEOUT);
});

describe('a failed send does not block its key', () => {
  test('missing secret: fails with the cause chain (text and --json); once fixed, the same key is a new attempt and sends; then never again', async () => {
    const file = await messageFile(ctx, 'later', { text: 'Nightly report ready' });
    const args = ['send', 'later', '--message', file, '--idempotency-key', 'report-1'];
    const before = deliveries();

    const failedJson = await runCli(ctx, [...args, '--json']);
    expect(failedJson.code).toBe(1);
    const report = JSON.parse(failedJson.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({ ok: false, outcome: 'failed', code: 'missing_secret', idempotencyKey: 'report-1' });
    expect(report.message).toMatch(/Send to Slack via "later" failed/);
    expect(report.message).toMatch(/SEND_CLI_LATER_URL/);
    expect(failedJson.stderr).toMatch(/missing_secret: Send to Slack via "later" failed/);

    // Still missing: a new attempt, which fails again, in text.
    const failedText = await runCli(ctx, args);
    expect(failedText.code).toBe(1);
    expect(failedText.stdout).toMatch(/New attempt after a failed one: the last send with this key failed \(missing_secret: /);
    expect(failedText.stderr).toMatch(/error: missing_secret: Send to Slack via "later" failed/);
    expect(failedText.stderr).toMatch(/may be used again/);

    process.env.SEND_CLI_LATER_URL = `https://hooks.slack.com${SLACK_PATH}`;
    const fixed = await runCli(ctx, args);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stdout).toMatch(/New attempt after a failed one: the last send with this key failed \(missing_secret: /);
    expect(fixed.stdout).toMatch(/sent: HTTP 200/);
    expect(deliveries() - before).toBe(1);

    const again = await runCli(ctx, [...args, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: true, sent: true, alreadySent: true, status: 200 });
    const againText = await runCli(ctx, args);
    expect(againText.code).toBe(0);
    expect(againText.stdout).toMatch(/already sent/);
    expect(againText.stdout).toMatch(/Nothing was sent again/);
    expect(deliveries() - before).toBe(1);
    expect(bodies().at(-1)).toBe(JSON.stringify({ text: 'Nightly report ready' }));
  }, CLI_TEST_TIMEOUT);
});

describe('no worker', () => {
  test('says at once which queues no worker polls and what to run; Ctrl-C detaches; a terminated send exits 3; the queued send runs when a worker starts', async () => {
    const file = await messageFile(idle, 'queued', { text: 'Queued until a worker starts' });
    const before = deliveries();

    const waiting = startCli(idle, ['send', 'alerts', '--message', file, '--idempotency-key', 'queued-1']);
    await waiting.waitFor(/No worker is polling/, 20_000);
    await waiting.waitFor(/queued durably/, 5_000);
    const stderr = waiting.stderr();
    expect(stderr).toContain(`${idle.namePrefix}pipeline-workflows`);
    expect(stderr).toContain(`${idle.namePrefix}pipeline-activities-slack`);
    expect(stderr).toMatch(/pipeline worker/);
    const detached = await waiting.stop('SIGINT');
    expect(detached.code).toBe(130);
    expect(detached.stderr).toMatch(/Detached\. .*will still happen/);
    expect(detached.stderr).toMatch(/run the same command again with --idempotency-key queued-1/);
    expect(detached.stdout).not.toMatch(/^sent/m);

    // A send stopped by an operator (terminate) is a cancel: exit 3, and --json prints the failure.
    const stopped = startCli(idle, ['send', 'alerts', '--message', file, '--idempotency-key', 'stopped-1', '--json']);
    await stopped.waitFor(/queued durably/, 20_000);
    await idle.client.workflow.getHandle(sendWorkflowId('alerts', 'stopped-1', idle.namePrefix)).terminate('operator stopped it');
    // Let it exit on its own (stop() would kill it if still running).
    if (stopped.child.exitCode === null && stopped.child.signalCode === null) await new Promise((r) => stopped.child.once('exit', r));
    const terminated = await stopped.stop();
    expect(terminated.code).toBe(3);
    expect(JSON.parse(terminated.stdout)).toMatchObject({ ok: false, outcome: 'terminated', idempotencyKey: 'stopped-1', exitCode: 3 });
    expect(terminated.stderr).toMatch(/terminated: /);
    expect(deliveries() - before).toBe(0);

    // A worker starts: the queued send happens, and the same command prints its result.
    idleWorker = await startTestWorker(idle, { connectors: ['slack'], policyOverrides: { '*': { rate: { requestsPerSecond: 100 } } } });
    const result = await runCli(idle, ['send', 'alerts', '--message', file, '--idempotency-key', 'queued-1']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/(sent|already sent).*HTTP 200/);
    expect(result.stderr).not.toMatch(/No worker is polling/);
    // The terminated one may be sent again under its key: a new attempt.
    const retried = await runCli(idle, ['send', 'alerts', '--message', file, '--idempotency-key', 'stopped-1']);
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toMatch(/New attempt after a failed one: the last send with this key terminated/);
    expect(retried.stdout).toMatch(/sent: HTTP 200/);
    expect(deliveries() - before).toBe(2);
  }, CLI_TEST_TIMEOUT);
});
