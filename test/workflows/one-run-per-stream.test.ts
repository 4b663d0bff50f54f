// One run per (connection, stream), whatever starts it: a scheduled run finds a manual sync of the
// stream running and is skipped (saying so); a manual sync finds a scheduled one running and is
// refused (the CLI follows it); and a saved watermark never moves backwards.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { startSync, SyncAlreadyRunningError, syncWorkflowId } from '../../src/temporal/client.js';
import { createPullSchedule } from '../../src/temporal/schedules.js';
import type { ScheduledPullResult } from '../../workflows/scheduled-pull.js';
import { startTestWorker, temporalTestContext, type RunningWorker, type TemporalTestContext } from '../helpers/temporal.js';

let ctx: TemporalTestContext;
let sandbox: Sandbox;
let worker: RunningWorker | undefined;
const conn = `one-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  ctx = await temporalTestContext();
  // Slow pages: a sync of 200 charges in pages of 10 runs for several seconds.
  sandbox = await startSandbox({ seed: 41, sizes: { orders: 10, charges: 200, members: 10 }, faults: { latencyMs: 150 } });
  process.env.ONE_RUN_STRIPE_KEY = sandbox.credentials.stripe.secretKey;
  await ctx.store.add({ id: conn, connectorId: 'stripe', baseUrlOverride: sandbox.stripe.url, config: { secretKey: 'env:ONE_RUN_STRIPE_KEY' } });
  worker = await startTestWorker(ctx, { connectors: ['stripe'], policyOverrides: { '*': { rate: { requestsPerSecond: 100 } } } });
});

afterAll(async () => {
  await worker?.stop();
  await sandbox?.close();
  await ctx?.close();
});

async function latestScheduledRun(handle: Awaited<ReturnType<typeof createPullSchedule>>, after: number): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const actions = (await handle.describe()).info.recentActions;
    const id = actions.length > after ? actions[actions.length - 1]?.action.workflow.workflowId : undefined;
    if (id) return id;
    if (Date.now() > deadline) throw new Error('the schedule did not start a run');
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('a scheduled run while a manual sync runs is skipped, and the reverse is refused: never two at once', async () => {
  const schedule = await createPullSchedule(ctx.client, ctx.store, { connectionId: conn, every: '1d', paused: true, namePrefix: ctx.namePrefix });
  const streamId = syncWorkflowId(conn, 'charges', ctx.namePrefix);
  try {
    // 1. Manual first: the scheduled run is skipped.
    // One sequential cursor of 20 pages at 150 ms (~3 s): still running when the scheduled run looks.
    const manual = await startSync(ctx.client, ctx.store, { connectionId: conn, mode: 'full', pageSize: 10, sequential: true, namePrefix: ctx.namePrefix });
    await schedule.trigger();
    const skippedRun = await latestScheduledRun(schedule, 0);
    const skipped = (await ctx.client.workflow.getHandle(skippedRun).result()) as ScheduledPullResult;
    expect(skipped).toMatchObject({ ran: false, workflowId: streamId });
    expect((skipped as { reason: string }).reason).toMatch(/already running/);
    expect((await manual.describe()).status.name).toBe('RUNNING');
    const running = await ctx.client.workflow.count(`WorkflowId = "${streamId}" AND ExecutionStatus = "Running"`);
    expect(running.count).toBe(1);
    await manual.result();

    // 2. Scheduled first: the manual start is refused while it runs (the CLI follows it instead).
    await schedule.trigger();
    const scheduledRun = await latestScheduledRun(schedule, 1);
    const deadline = Date.now() + 20_000;
    while ((await ctx.client.workflow.getHandle(streamId).describe()).status.name !== 'RUNNING') {
      if (Date.now() > deadline) throw new Error('the scheduled sync did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    await expect(startSync(ctx.client, ctx.store, { connectionId: conn, mode: 'full', namePrefix: ctx.namePrefix })).rejects.toBeInstanceOf(SyncAlreadyRunningError);
    const ran = (await ctx.client.workflow.getHandle(scheduledRun).result()) as ScheduledPullResult;
    expect(ran).toMatchObject({ ran: true, workflowId: streamId });
    expect((ran as { result: { storedRecords: number } }).result.storedRecords).toBe(200);
  } finally {
    await schedule.delete();
  }
}, 120_000);

test('a run that finishes after a newer one never moves the saved watermark backwards', async () => {
  const acts = createActivities({ store: ctx.store, sink: ctx.sink });
  const ref = { connectionId: 'wm-order', stream: 'charges' };
  await acts.completeSync({ ...ref, watermark: '2026-11-02T00:00:00.000Z', records: 5, runId: 'newer' });
  await acts.completeSync({ ...ref, watermark: '2026-11-01T00:00:00.000Z', records: 3, runId: 'older' });
  expect((await ctx.sink.loadState(ref))?.watermark).toBe('2026-11-02T00:00:00.000Z');
  await acts.completeSync({ ...ref, watermark: '2026-11-03T00:00:00.000Z', records: 1, runId: 'next' });
  expect((await ctx.sink.loadState(ref))?.watermark).toBe('2026-11-03T00:00:00.000Z');
});
