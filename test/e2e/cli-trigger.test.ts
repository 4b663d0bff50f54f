// `pipeline trigger` as a user runs it (the real binary), against the shared dev server, a worker
// and a local receiver standing in for Hightouch: --set values are typed by the executor's option
// schema, a value that does not fit is refused before anything starts, "Triggered" is printed only
// once Hightouch has accepted the run (with its run id), and a refused trigger prints the failure
// and exits 1.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { queuesWithoutPollers } from '../../src/cli/workers.js';
import { activityTaskQueue, workflowTaskQueue } from '../../src/temporal/task-queues.js';
import { runCli } from '../helpers/cli.js';
import { json, startReceiver, type Receiver } from '../helpers/receiver.js';
import { startTestWorker, temporalTestContext, type RunningWorker, type TemporalTestContext } from '../helpers/temporal.js';

let ctx: TemporalTestContext;
let receiver: Receiver;
let worker: RunningWorker | undefined;
const cli = (args: string[]) => runCli(ctx, args);

let down = 0;
const triggers = () => receiver.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/trigger'));

beforeAll(async () => {
  ctx = await temporalTestContext();
  receiver = await startReceiver((req, res) => {
    const trigger = /^\/api\/v1\/syncs\/(\d+)\/trigger$/.exec(req.path);
    if (trigger && req.method === 'POST') {
      // Hightouch refuses a fullResync that is not a boolean, like the real API's validation would.
      const body = JSON.parse(req.body || '{}') as { fullResync?: unknown };
      if (typeof body.fullResync !== 'boolean') return json(res, 422, { message: 'Validation failed', details: { fullResync: 'must be a boolean' } });
      if (trigger[1] === '12') return json(res, 422, { message: 'Validation failed', details: { sync: 'sync 12 is disabled' } });
      // Sync 13: Hightouch is down for its first four triggers, then accepts.
      if (trigger[1] === '13' && ++down <= 4) return json(res, 503, { error: 'down for maintenance' });
      if (trigger[1] === '13') return json(res, 200, { id: '5002' });
      return json(res, 200, { id: '5001' });
    }
    if (/^\/api\/v1\/syncs\/11\/runs/.test(req.path) && req.method === 'GET') {
      return json(res, 200, { data: [{ id: 5001, status: 'success', successfulRows: { addedCount: 3, changedCount: 0, removedCount: 0 } }] });
    }
    if (/^\/api\/v1\/syncs\/13\/runs/.test(req.path) && req.method === 'GET') return json(res, 200, { data: [{ id: 5002, status: 'success' }] });
    return json(res, 404, { message: `no route ${req.path}` });
  });
  process.env.CLI_HT_KEY = 'secret-token:ht-fake-key';
  for (const [id, syncId] of [['ht', '11'], ['ht-off', '12'], ['ht-down', '13']] as const) {
    await ctx.store.add({ id, connectorId: 'hightouch', baseUrlOverride: receiver.url, config: { apiKey: 'env:CLI_HT_KEY', syncId } });
  }
  worker = await startTestWorker(ctx, {
    connectors: ['hightouch'],
    // Retries 1.5 s apart, so that a trigger retried a few times is over in seconds.
    policyOverrides: { '*': { rate: { requestsPerSecond: 100 }, retry: { initialIntervalMs: 1_500, backoffCoefficient: 1 } } },
  });
  // The command checks for pollers before it starts anything: let the worker's first polls land.
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
  await receiver?.close();
  await ctx?.close();
});

test('--set fullResync=true is sent as a boolean; "Triggered Hightouch run <id>" comes once Hightouch accepted it', async () => {
  const r = await cli(['trigger', 'ht', '--set', 'fullResync=true', '--poll-interval', '1']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^Triggered Hightouch run 5001; following /m);
  expect(r.stdout).toMatch(/^succeeded: Hightouch run 5001 after 1 status read /m);
  expect(triggers().map((t) => JSON.parse(t.body) as unknown)).toEqual([{ fullResync: true }]);
});

test('a value that does not fit the declared type is refused naming the option and the type; nothing starts', async () => {
  const before = triggers().length;
  const r = await cli(['trigger', 'ht', '--set', 'fullResync=yes']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/--set fullResync=yes: Hightouch option fullResync takes a boolean \(true or false\), not "yes"\. Nothing was triggered\./);
  expect(r.stdout).not.toMatch(/Triggered/);
  const unknown = await cli(['trigger', 'ht', '--set', 'fullresync=true']);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toMatch(/Hightouch has no trigger option "fullresync"\. Did you mean "fullResync"\?/);
  expect(triggers().length).toBe(before);
  // No workflow was started either: the next trigger of the connection is not "already in progress".
  const again = await cli(['trigger', 'ht', '--poll-interval', '1']);
  expect(again.code).toBe(0);
});

test('a trigger Hightouch refuses prints the failure and exits 1, without ever claiming "Triggered"', async () => {
  const r = await cli(['trigger', 'ht-off']);
  expect(r.code).toBe(1);
  expect(r.stdout).not.toMatch(/Triggered/);
  expect(r.stderr).toMatch(/^error: bad_request: Triggering Hightouch via "ht-off" failed: .*sync 12 is disabled/m);
  const json = await cli(['trigger', 'ht-off', '--json']);
  expect(json.code).toBe(1);
  expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, outcome: 'failed', code: 'bad_request', message: expect.stringMatching(/sync 12 is disabled/) });
});

test('while Hightouch does not accept the trigger, each failed attempt is said; "Triggered" comes once it does', async () => {
  const r = await cli(['trigger', 'ht-down', '--poll-interval', '1']);
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(/^retrying: Hightouch has not accepted the trigger yet \(attempt \d failed: .*down for maintenance\)$/m);
  expect(r.stdout).toMatch(/^Triggered Hightouch run 5002; following /m);
  expect(down).toBe(5);
});

test('an unknown connection gets the nearest one; a connection that cannot trigger says so', async () => {
  const r = await cli(['trigger', 'hx']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/No connection "hx"\. Did you mean "ht"\?/);
  await ctx.store.add({ id: 'pay', connectorId: 'stripe', config: { secretKey: 'env:NOPE' } });
  const s = await cli(['trigger', 'pay']);
  expect(s.code).toBe(1);
  expect(s.stderr).toMatch(/Stripe connections cannot be triggered/);
});
