// reverseEtlSyncWorkflow on a real dev server against a local receiver standing in for Census (its
// Activations API v2, which every connection uses once v1 retires on 2027-01-15):
// the run is triggered once and followed with durable timers to its end; a provider-side failure
// fails the workflow with the provider's reason.
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startReverseEtl } from '../../src/temporal/send-client.js';
import type { ReverseEtlResult } from '../../workflows/reverse-etl.js';
import { json, startReceiver, type Receiver } from '../helpers/receiver.js';
import { startTestWorker, temporalTestContext, type RunningWorker, type TemporalTestContext } from '../helpers/temporal.js';

let ctx: TemporalTestContext;
let receiver: Receiver;
let worker: RunningWorker | undefined;
/** Status reads before a run reports its end, and how it ends, by sync id. */
const script: Record<string, { runId: number; workingReads: number; end: Record<string, unknown> }> = {
  '42': { runId: 7001, workingReads: 3, end: { status: 'completed', records_processed: 1200, records_updated: 1190, records_failed: 10 } },
  '43': { runId: 7002, workingReads: 2, end: { status: 'failed', error_code: 'destination_error', error_message: 'Destination rejected 12 records: missing email' } },
};
const reads = new Map<number, number>();

beforeAll(async () => {
  ctx = await temporalTestContext();
  receiver = await startReceiver((req, res) => {
    const trigger = /^\/api\/v2\/syncs\/(\d+)\/trigger/.exec(req.path);
    if (trigger && req.method === 'POST') {
      const s = script[trigger[1]!];
      if (!s) return json(res, 404, { status: 'not_found', message: 'Sync not found' });
      return json(res, 200, { status: 'success', data: { sync_run_id: s.runId } });
    }
    const run = /^\/api\/v2\/sync_runs\/(\d+)$/.exec(req.path);
    if (run && req.method === 'GET') {
      const id = Number(run[1]);
      const s = Object.values(script).find((x) => x.runId === id)!;
      const n = (reads.get(id) ?? 0) + 1;
      reads.set(id, n);
      const data = n <= s.workingReads ? { id, status: 'working' } : { id, ...s.end };
      return json(res, 200, { status: 'success', data });
    }
    return json(res, 404, { status: 'not_found', message: req.path });
  });
  process.env.RETL_CENSUS_TOKEN = 'secret-token:fake-census-token';
  for (const syncId of ['42', '43']) {
    await ctx.store.add({ id: `census-${syncId}`, connectorId: 'census', baseUrlOverride: receiver.url, config: { apiToken: 'env:RETL_CENSUS_TOKEN', groupId: 'abundant_giraffe', syncId } });
  }
  worker = await startTestWorker(ctx, {
    connectors: ['census'],
    policyOverrides: { '*': { rate: { requestsPerSecond: 100 } } },
  });
});

afterAll(async () => {
  await worker?.stop();
  await receiver?.close();
  await ctx?.close();
});

const triggers = () => receiver.requests.filter((r) => r.method === 'POST' && r.path.includes('/trigger'));

test('a run that reports "working" several times before "completed" is followed to success with durable timers', async () => {
  const handle = await startReverseEtl(ctx.client, ctx.store, { connectionId: 'census-42', pollIntervalMs: 100, namePrefix: ctx.namePrefix });
  const result: ReverseEtlResult = await handle.result();
  expect(result).toMatchObject({ connectorId: 'census', runId: '7001', state: 'succeeded', polls: 4 });
  expect(triggers().filter((r) => r.path.startsWith('/api/v2/syncs/42/'))).toHaveLength(1);
  // Waiting happened in Temporal timers between single-request activities, not inside an activity.
  const events = (await handle.fetchHistory()).events ?? [];
  expect(events.filter((e) => e.timerStartedEventAttributes).length).toBe(4);
  const statusActivities = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'syncStatus');
  expect(statusActivities).toHaveLength(4);
});

test('a run that reports failure fails the workflow with the provider reason', async () => {
  const handle = await startReverseEtl(ctx.client, ctx.store, { connectionId: 'census-43', pollIntervalMs: 100, namePrefix: ctx.namePrefix });
  const err = await handle.result().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause as Error & { type?: string };
  expect(cause.type).toBe('sync_failed');
  expect(cause.message).toContain('Destination rejected 12 records: missing email');
  expect(cause.message).toContain('7002');
});

test('a second concurrent run of the same connection is refused; a deadline fails a run that never ends', async () => {
  script['42'] = { runId: 7003, workingReads: 1_000, end: { status: 'completed' } };
  const handle = await startReverseEtl(ctx.client, ctx.store, { connectionId: 'census-42', pollIntervalMs: 100, deadlineMs: 1_500, namePrefix: ctx.namePrefix });
  await expect(startReverseEtl(ctx.client, ctx.store, { connectionId: 'census-42', namePrefix: ctx.namePrefix })).rejects.toThrow(/already in progress/);
  const err = await handle.result().catch((e: unknown) => e);
  expect(((err as WorkflowFailedError).cause as Error & { type?: string }).type).toBe('deadline_exceeded');
});
