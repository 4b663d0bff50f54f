// Temporal Schedules for recurring pulls, and finding runs in visibility by the engine's search
// attributes — on the real dev server, with a real worker and the sandbox.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { followSync, startSync } from '../../src/temporal/client.js';
import { createPullSchedule, describeSchedule, listPullSchedules, scheduleId, ScheduleError } from '../../src/temporal/schedules.js';
import type { PullResult } from '../../workflows/pull.js';
import type { ScheduledPullResult } from '../../workflows/scheduled-pull.js';
import { startTestWorker, temporalTestContext, type RunningWorker, type TemporalTestContext } from '../helpers/temporal.js';

let ctx: TemporalTestContext;
let sandbox: Sandbox;
let worker: RunningWorker | undefined;
// Unique per run: visibility queries and schedule ids are namespace-wide.
const conn = `vis-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  ctx = await temporalTestContext();
  sandbox = await startSandbox({ seed: 5, sizes: { orders: 300, charges: 300, members: 300 } });
  process.env.SCHED_STRIPE_KEY = sandbox.credentials.stripe.secretKey;
  await ctx.store.add({ id: conn, connectorId: 'stripe', baseUrlOverride: sandbox.stripe.url, config: { secretKey: 'env:SCHED_STRIPE_KEY' } });
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

async function eventually<T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('a schedule is created, listed, triggered (a run lands records), paused and deleted', async () => {
  const handle = await createPullSchedule(ctx.client, ctx.store, { connectionId: conn, every: '1h', jitter: '1s', catchupWindow: '10m', namePrefix: ctx.namePrefix });
  const id = scheduleId(conn, 'charges', ctx.namePrefix);
  expect(handle.scheduleId).toBe(id);
  await expect(createPullSchedule(ctx.client, ctx.store, { connectionId: conn, every: '1h', namePrefix: ctx.namePrefix })).rejects.toBeInstanceOf(ScheduleError);

  await eventually(async () => ((await listPullSchedules(ctx.client, ctx.namePrefix)).some((s) => s.scheduleId === id) ? true : undefined), 'the schedule in the list');
  const { description } = await describeSchedule(ctx.client, id);
  expect(description.policies.overlap).toBe('SKIP');
  expect(description.spec.intervals?.[0]?.every).toBe(3_600_000);

  await handle.trigger();
  const workflowId = await eventually(async () => (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId, 'the triggered run');
  expect(workflowId.startsWith(`${ctx.namePrefix}scheduled:pull:${conn}:charges`)).toBe(true);
  const run = await ctx.client.workflow.getHandle(workflowId).result() as ScheduledPullResult;
  expect(run.ran).toBe(true);
  const result = (run as { result: PullResult }).result;
  expect(result.storedRecords).toBe(300);
  expect((await ctx.sink.readAll({ connectionId: conn, stream: 'charges' })).size).toBe(300);

  await handle.pause('maintenance');
  expect((await handle.describe()).state).toMatchObject({ paused: true, note: 'maintenance' });
  await handle.unpause();
  expect((await handle.describe()).state.paused).toBe(false);

  await handle.delete();
  await expect(describeSchedule(ctx.client, id)).rejects.toBeInstanceOf(ScheduleError);
});

test('a sync is found in visibility by ConnectorId, ConnectionId and PipelineKind, with its summary', async () => {
  const handle = await startSync(ctx.client, ctx.store, { connectionId: conn, mode: 'full', namePrefix: ctx.namePrefix });
  await followSync(handle, () => undefined);
  const query = `ConnectorId = 'stripe' AND ConnectionId = '${conn}' AND PipelineKind = 'pull' AND WorkflowId = '${handle.workflowId}'`;
  const found = await eventually(async () => {
    for await (const wf of ctx.client.workflow.list({ query })) if (wf.status.name === 'COMPLETED') return wf;
    return undefined;
  }, 'the sync in visibility');
  expect(found.workflowId).toBe(handle.workflowId);
  expect(found.typedSearchAttributes.get((await import('../../src/temporal/search-attributes.js')).ConnectionIdKey)).toBe(conn);
  expect(await (await handle.describe()).staticSummary()).toMatch(/Full pull of Stripe charges for vis-/);
  // Each page activity carries a summary, so the Web UI's event list reads as a sync history.
  const history = await handle.fetchHistory();
  const scheduled = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'pullPage');
  expect(scheduled.length).toBeGreaterThan(0);
  expect(scheduled.every((e) => e.userMetadata?.summary)).toBe(true);
});
