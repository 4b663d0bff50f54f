// `pipeline schedules ...` as a user runs it (the real binary) against the shared dev server: what a
// duration is read as, --every with --cron, cron expressions shown as written, the default catch-up
// window, and `schedules trigger <connection>`.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { temporalTestContext, type TemporalTestContext } from '../helpers/temporal.js';

let ctx: TemporalTestContext;
const cli = (args: string[]) => runCli(ctx, args);
// Schedule ids are namespace-wide: unique per run.
const conn = `sch-${randomUUID().slice(0, 6)}`;
const cronConn = `${conn}-cron`;
const trigConn = `${conn}-trig`;
const sid = (c: string) => `${ctx.namePrefix}pull:${c}:charges`;

beforeAll(async () => {
  ctx = await temporalTestContext();
  for (const id of [conn, cronConn, trigConn]) await ctx.store.put({ id, connectorId: 'stripe', baseUrlOverride: 'http://127.0.0.1:9', config: { secretKey: 'env:SCH_KEY' } });
});

afterAll(async () => {
  for (const id of [conn, cronConn, trigConn]) {
    const handle = ctx.client.schedule.getHandle(sid(id));
    // The run `schedules trigger` started waits for a worker this file does not run: end it.
    const running = (await handle.describe().catch(() => null))?.info.runningActions ?? [];
    for (const a of running) await ctx.client.workflow.getHandle(a.workflow.workflowId).terminate('test cleanup').catch(() => undefined);
    await handle.delete().catch(() => undefined);
  }
  await ctx?.close();
});

test('--every 90 (no unit) is refused with "did you mean 90s?"; --every 90s is read, and said, as 1m30s', async () => {
  const bare = await cli(['schedules', 'create', conn, '--every', '90', '--paused']);
  expect(bare.code).toBe(1);
  expect(bare.stderr).toMatch(/--every 90 has no unit\. Did you mean 90s\?/);
  const r = await cli(['schedules', 'create', conn, '--every', '90s', '--paused']);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`Created schedule ${sid(conn)} (paused): every 1m30s, catch-up window 365d (the default).`);
});

test('--every together with --cron is refused, and nothing is created', async () => {
  const r = await cli(['schedules', 'create', cronConn, '--every', '1h', '--cron', '0 * * * *']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/Give --every or --cron, not both/);
  expect((await cli(['schedules', 'describe', sid(cronConn)])).code).toBe(1);
});

test('a cron schedule shows its expression in list and describe; describe shows the default catch-up window', async () => {
  const r = await cli(['schedules', 'create', cronConn, '--cron', '15 3 * * 1-5', '--timezone', 'Europe/Paris', '--paused']);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('cron 15 3 * * 1-5 (Europe/Paris)');
  const d = await cli(['schedules', 'describe', cronConn]);
  expect(d.code).toBe(0);
  expect(d.stdout).toMatch(/runs cron 15 3 \* \* 1-5 \(Europe\/Paris\)/);
  expect(d.stdout).toMatch(/catch-up window 365d \(the default\)/);
  expect(JSON.parse((await cli(['schedules', 'describe', cronConn, '--json'])).stdout)).toMatchObject({ when: ['cron 15 3 * * 1-5 (Europe/Paris)'], catchupWindowIsDefault: true });
  // Listing is eventually consistent: wait until the server lists it, then ask the CLI once.
  for (let i = 0; i < 100; i++) {
    let seen = false;
    for await (const s of ctx.client.schedule.list()) if (s.scheduleId === sid(cronConn)) seen = true;
    if (seen) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const listed = (await cli(['schedules', 'list'])).stdout;
  const line = listed.split('\n').find((l) => l.startsWith(sid(cronConn)));
  expect(line).toMatch(/cron 15 3 \* \* 1-5 \(Europe\/Paris\)/);
});

test('schedules create --help documents the default catch-up window', async () => {
  const r = await cli(['schedules', 'create', '--help']);
  expect(r.code).toBe(0);
  expect(r.stdout.replace(/\s+/g, ' ')).toMatch(/--catchup-window <duration> how late a missed run may still start, e\.g\. 10m \(minimum 10s; default 365d/);
});

test('schedules trigger still takes a connection id', async () => {
  expect((await cli(['schedules', 'create', trigConn, '--every', '1h', '--paused'])).code).toBe(0);
  const r = await cli(['schedules', 'trigger', trigConn]);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`Triggered a run of ${sid(trigConn)}.`);
});
