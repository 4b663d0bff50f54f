// `pipeline connections ...` and the program-level options, as a user runs them (the real binary),
// against the shared dev server and a worker that polls the workflow queue and Hightouch's activity
// queue only (so that a Stripe connection has no worker for its activities).
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ScheduleNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SecretBox } from '../../src/connections/secret-box.js';
import { queuesWithoutPollers } from '../../src/cli/workers.js';
import { startSync } from '../../src/temporal/client.js';
import { activityTaskQueue, workflowTaskQueue } from '../../src/temporal/task-queues.js';
import { BIN, cliEnv, runCli, type CliRun } from '../helpers/cli.js';
import { startTestWorker, temporalTestContext, type RunningWorker, type TemporalTestContext } from '../helpers/temporal.js';

let ctx: TemporalTestContext;
let worker: RunningWorker | undefined;
const NO_KEYS = { PIPELINE_SECRETS_KEYS: '' };
const cli = (args: string[], env: Record<string, string> = NO_KEYS) => runCli(ctx, args, env);
const KEYS = { PIPELINE_SECRETS_KEYS: `k1:${SecretBox.generateKey()}` };

beforeAll(async () => {
  ctx = await temporalTestContext();
  worker = await startTestWorker(ctx, { connectors: ['hightouch'] });
  for (let i = 0; i < 50; i++) {
    const idle = await queuesWithoutPollers(ctx.client, ctx.namespace, [
      { name: workflowTaskQueue(ctx.namePrefix), kind: 'workflow' },
      { name: activityTaskQueue('hightouch', ctx.namePrefix), kind: 'activity' },
    ]);
    if (idle.length === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
});

afterAll(async () => {
  await worker?.stop();
  await ctx?.close();
});

describe('program', () => {
  test('--version prints the package version', async () => {
    const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const r = await cli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  test('typos get the nearest command or connector', async () => {
    const cmd = await cli(['conections', 'list']);
    expect(cmd.code).toBe(1);
    expect(cmd.stderr).toMatch(/unknown command 'conections'\n\(Did you mean connections\?\)/);
    const connector = await cli(['connectors', 'show', 'shopfy']);
    expect(connector.code).toBe(1);
    expect(connector.stderr).toMatch(/Unknown connector "shopfy"\. Did you mean "shopify"\?/);
    const add = await cli(['connections', 'add', 'x1', '--connector', 'strpe', '--set', 'secretKey=env:X']);
    expect(add.stderr).toMatch(/Unknown connector "strpe"\. Did you mean "stripe"\?/);
  });

  test('a mistyped connection id gets the nearest registered one', async () => {
    await ctx.store.put({ id: 'payments', connectorId: 'stripe', config: { secretKey: 'env:PAY_KEY' } });
    for (const sub of ['show', 'test', 'remove']) {
      const r = await cli(['connections', sub, 'paymnets']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/No connection "paymnets"\. Did you mean "payments"\?/);
    }
  });
});

describe('secrets in messages and in `show`', () => {
  test('an inline secret without a key is refused with the whole message, down to PIPELINE_SECRETS_KEYS', async () => {
    const r = await cli(['connections', 'add', 'inline', '--connector', 'stripe', '--set', 'secretKey=sk_test_inlineinlineinline1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/must be references such as "env:MY_TOKEN" or "file:\/run\/secrets\/token" \(the worker resolves them.*\), or set PIPELINE_SECRETS_KEYS so that inline secrets are stored encrypted/);
    expect(r.stderr).not.toContain('sk_test_inlineinlineinline1');
  });

  test('env: with no name and a relative file: path each get their own message, even when inline secrets would be encrypted', async () => {
    for (const env of [NO_KEYS, KEYS]) {
      const e = await cli(['connections', 'add', 'noname', '--connector', 'stripe', '--set', 'secretKey=env:'], env);
      expect(e.code).toBe(1);
      expect(e.stderr).toMatch(/secretKey: "env:" names no environment variable: write env:NAME/);
      const f = await cli(['connections', 'add', 'relpath', '--connector', 'stripe', '--set', 'secretKey=file:secrets/stripe'], env);
      expect(f.code).toBe(1);
      expect(f.stderr).toMatch(/secretKey: "file:secrets\/stripe" is a relative path: give an absolute one/);
    }
    expect(await ctx.store.get('noname')).toBeNull();
    expect(await ctx.store.get('relpath')).toBeNull();
  });

  test('show prints "encrypted, set" for an encrypted secret (never the blob), the reference for a reference, "not set" for an absent one', async () => {
    const add = await cli(['connections', 'add', 'enc', '--connector', 'stripe', '--set', 'secretKey=sk_test_encryptedencrypted1'], KEYS);
    expect(add.code).toBe(0);
    expect(JSON.stringify((await ctx.store.get('enc'))!.config)).toMatch(/enc:v1:/);
    const show = await cli(['connections', 'show', 'enc'], KEYS);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/secretKey\s+encrypted, set/);
    expect(show.stdout).not.toMatch(/enc:v1/);
    expect((JSON.parse((await cli(['connections', 'show', 'enc', '--json'], KEYS)).stdout) as { config: Record<string, unknown> }).config.secretKey).toBe('encrypted, set');

    await ctx.store.put({
      id: 'stream',
      connectorId: 'kinesis',
      config: { region: 'us-east-1', streamName: 'events', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'env:AWS_SECRET' },
    });
    const k = await cli(['connections', 'show', 'stream']);
    expect(k.stdout).toMatch(/secretAccessKey\s+env:AWS_SECRET/);
    expect(k.stdout).toMatch(/sessionToken\s+not set/);
  });
});

describe('update', () => {
  test('--unset of a field the connector does not have is refused, naming its fields; the stored config is unchanged', async () => {
    await ctx.store.put({ id: 'upd', connectorId: 'stripe', config: { secretKey: 'env:UPD_KEY' } });
    const before = await ctx.store.get('upd');
    const r = await cli(['connections', 'update', 'upd', '--unset', 'secretKye']);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(/Updated/);
    expect(r.stderr).toMatch(/--unset secretKye: Stripe has no field "secretKye"\. Did you mean "secretKey"\? Its fields: authMethod, .*secretKey/);
    expect((await ctx.store.get('upd'))!.updatedAt).toBe(before!.updatedAt);
  });
});

describe('test', () => {
  test('without a worker for the connector\'s activities it says so at once and exits 1', async () => {
    await ctx.store.put({ id: 'lonely', connectorId: 'stripe', config: { secretKey: 'env:LONELY_KEY' } });
    const started = Date.now();
    const r = await cli(['connections', 'test', 'lonely']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`No worker is polling ${activityTaskQueue('stripe', ctx.namePrefix)}. Start one with \`pipeline worker\``);
    expect(r.stderr).not.toMatch(/timed out/);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  test('without any worker it names the workflow queue too; --json says no_worker', async () => {
    const prefix = `${ctx.namePrefix}idle-`;
    const r = await cli(['connections', 'test', 'lonely', '--json'], { ...NO_KEYS, PIPELINE_NAME_PREFIX: prefix });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`No worker is polling ${workflowTaskQueue(prefix)} and ${activityTaskQueue('stripe', prefix)}.`);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, code: 'no_worker' });
  });
});

/** Runs the binary on a pseudo-terminal (util-linux `script`), typing `answer` once it asks. */
function onTerminal(args: string[], answer: string): Promise<CliRun> {
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  const child = spawn('script', ['-qec', [process.execPath, BIN, ...args].map(quote).join(' '), '/dev/null'], { env: cliEnv(ctx, NO_KEYS), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let answered = false;
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (!answered && stdout.includes('[y/N]')) {
      answered = true;
      child.stdin.write(`${answer}\n`);
    }
  });
  const timer = setTimeout(() => child.kill(), 45_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr: '' });
    }),
  );
}

const hasScript = spawnSync('script', ['--version']).status === 0;

describe('remove', () => {
  test.skipIf(!hasScript)('on a terminal it asks first: "n" removes nothing, "y" removes', async () => {
    await ctx.store.put({ id: 'asked', connectorId: 'stripe', config: { secretKey: 'env:ASKED_KEY' } });
    const no = await onTerminal(['connections', 'remove', 'asked'], 'n');
    expect(no.stdout).toMatch(/Remove connection "asked" \(Stripe\), 0 schedules and 0 running workflows\? \[y\/N\]/);
    expect(no.code).toBe(1);
    expect(no.stdout).toMatch(/Nothing was removed\./);
    expect(await ctx.store.get('asked')).not.toBeNull();
    const yes = await onTerminal(['connections', 'remove', 'asked'], 'y');
    expect(yes.code).toBe(0);
    expect(yes.stdout).toMatch(/Removed connection asked/);
    expect(await ctx.store.get('asked')).toBeNull();
  });

  test('removes the connection with its schedules and running workflows; without a terminal it needs --yes', async () => {
    const id = `gone-${randomUUID().slice(0, 6)}`;
    await ctx.store.put({ id, connectorId: 'stripe', baseUrlOverride: 'http://127.0.0.1:9', config: { secretKey: 'env:GONE_KEY' } });
    const created = await cli(['schedules', 'create', id, '--every', '1h', '--paused']);
    expect(created.code).toBe(0);
    const scheduleId = `${ctx.namePrefix}pull:${id}:charges`;
    // A sync that waits for a Stripe worker that never comes: running until cancelled.
    const sync = await startSync(ctx.client, ctx.store, { connectionId: id, namePrefix: ctx.namePrefix });

    const refused = await cli(['connections', 'remove', id]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`This removes connection "${id}" \\(Stripe\\), 1 schedule and 1 running workflow\\. Pass --yes to confirm`));
    expect(await ctx.store.get(id)).not.toBeNull();
    expect((await sync.describe()).status.name).toBe('RUNNING');

    const r = await cli(['connections', 'remove', id, '--yes']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(''); // visibility was searched by ConnectionId (no warning that it could not be)
    expect(r.stdout).toContain(`Deleted schedule ${scheduleId}\n`);
    expect(r.stdout).toContain(`Requested cancellation of ${sync.workflowId}\n`);
    expect(r.stdout).toMatch(new RegExp(`Removed connection ${id} \\(1 schedule deleted, 1 running workflow cancelled\\)`));
    expect(await ctx.store.get(id)).toBeNull();
    await expect(ctx.client.schedule.getHandle(scheduleId).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    const deadline = Date.now() + 20_000;
    while ((await sync.describe()).status.name === 'RUNNING' && Date.now() < deadline) await new Promise((res) => setTimeout(res, 200));
    expect((await sync.describe()).status.name).toBe('CANCELLED');
  });
});
