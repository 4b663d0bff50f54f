// The `pipeline` command as a user runs it (a real process), against the shared dev server and a
// worker, with the sandbox standing in for Stripe: exit codes, --json output, redaction, errors.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { runCli } from '../helpers/cli.js';
import { startTestWorker, temporalTestContext, type RunningWorker, type TemporalTestContext } from '../helpers/temporal.js';

let ctx: TemporalTestContext;
let sandbox: Sandbox;
let worker: RunningWorker | undefined;

const cli = (args: string[], env: Record<string, string> = {}) => runCli(ctx, args, env);

beforeAll(async () => {
  ctx = await temporalTestContext();
  sandbox = await startSandbox({ seed: 9, sizes: { orders: 200, charges: 450, members: 200 } });
  process.env.CLI_STRIPE_KEY = sandbox.credentials.stripe.secretKey;
  worker = await startTestWorker(ctx, {
    connectors: ['stripe'],
    policyOverrides: { '*': { rate: { requestsPerSecond: 100 } } },
  });
});

afterAll(async () => {
  await worker?.stop();
  await sandbox?.close();
  await ctx?.close();
});

describe('registry commands', () => {
  test('connectors list --json lists the 22 connectors', async () => {
    const r = await cli(['connectors', 'list', '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as unknown[]).length).toBe(22);
  });

  test('connectors show prints the form fields and the policy; an unknown id fails with exit 1', async () => {
    const r = await cli(['connectors', 'show', 'shopify']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/shopDomain/);
    expect(r.stdout).toMatch(/rate\s+2\/s/);
    const bad = await cli(['connectors', 'show', 'nope']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Unknown connector "nope"/);
  });
});

describe('connections, test, sync', () => {
  test('a bad config is refused naming the field, and an inline secret is never echoed', async () => {
    const r = await cli(['connections', 'add', 'bad', '--connector', 'stripe', '--set', 'secretKey=sk_test_inlineSecretValue123', '--set', 'startDate=yesterday']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/startDate/);
    expect(r.stderr + r.stdout).not.toContain('sk_test_inlineSecretValue123');
  });

  test('add, show (secret reference only), test as an activity, sync with --json, then remove', async () => {
    const add = await cli(['connections', 'add', 'pay', '--connector', 'stripe', '--set', 'secretKey=env:CLI_STRIPE_KEY', '--base-url-override', sandbox.stripe.url]);
    expect(add.code).toBe(0);
    const show = JSON.parse((await cli(['connections', 'show', 'pay', '--json'])).stdout) as { config: Record<string, unknown> };
    expect(show.config.secretKey).toBe('env:CLI_STRIPE_KEY');

    const t = await cli(['connections', 'test', 'pay', '--json']);
    expect(t.code).toBe(0);
    expect(JSON.parse(t.stdout)).toMatchObject({ ok: true, status: 200, connectorId: 'stripe' });

    const s = await cli(['sync', 'pay', '--json']);
    expect(s.code).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject({ records: 450, storedRecords: 450, connectorId: 'stripe' });

    const cancel = await cli(['sync', 'pay', '--cancel']);
    expect(cancel.code).toBe(1);
    expect(cancel.stderr).toMatch(/No sync of pay\/charges is running/);

    expect((await cli(['connections', 'remove', 'pay', '--yes'])).code).toBe(0);
    expect((await cli(['connections', 'show', 'pay'])).code).toBe(1);
  });

  test('a failing credential check exits 1 with the code and a secret-free reason', async () => {
    await ctx.store.put({ id: 'pay-bad', connectorId: 'stripe', baseUrlOverride: sandbox.stripe.url, config: { secretKey: 'env:CLI_BAD_KEY' } });
    const r = await cli(['connections', 'test', 'pay-bad'], {});
    // The worker resolves env:CLI_BAD_KEY from its own environment (this test process).
    process.env.CLI_BAD_KEY = 'sk_test_wrongwrongwrongwrong00';
    const r2 = await cli(['connections', 'test', 'pay-bad']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/missing_secret/);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/unauthorized: .*401/);
    expect(r2.stderr).not.toContain('sk_test_wrongwrongwrongwrong00');
  });
});

describe('schedules', () => {
  test('create, list, describe, pause, delete from the command line', async () => {
    await ctx.store.put({ id: 'pay-sched', connectorId: 'stripe', baseUrlOverride: sandbox.stripe.url, config: { secretKey: 'env:CLI_STRIPE_KEY' } });
    const id = `${ctx.namePrefix}pull:pay-sched:charges`;
    expect((await cli(['schedules', 'create', 'pay-sched', '--every', '2h', '--overlap', 'skip', '--catchup-window', '10m'])).code).toBe(0);
    const list = JSON.parse((await cli(['schedules', 'list', '--json'])).stdout) as { scheduleId: string }[];
    expect(list.map((s) => s.scheduleId)).toContain(id);
    const d = JSON.parse((await cli(['schedules', 'describe', 'pay-sched', '--json'])).stdout) as { overlap: string; paused: boolean };
    expect(d).toMatchObject({ overlap: 'skip', paused: false });
    expect((await cli(['schedules', 'pause', id, '--note', 'maintenance'])).code).toBe(0);
    expect(JSON.parse((await cli(['schedules', 'describe', id, '--json'])).stdout)).toMatchObject({ paused: true, note: 'maintenance' });
    expect((await cli(['schedules', 'delete', id])).code).toBe(0);
    const gone = await cli(['schedules', 'describe', id]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/No schedule/);
  });
});

test('send reads the message file; a missing file is a clear error', async () => {
  const r = await cli(['send', 'nobody', '--message', join(ctx.home, 'missing.json')]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/Cannot read the message/);
  await writeFile(join(ctx.home, 'm.json'), '{"text":"hi"}');
  const r2 = await cli(['send', 'nobody', '--message', join(ctx.home, 'm.json')]);
  expect(r2.code).toBe(1);
  expect(r2.stderr).toMatch(/Connection "nobody" is not registered/);
});
