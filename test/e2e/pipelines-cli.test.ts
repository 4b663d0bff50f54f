// `pipeline pipelines …` as a user runs it (the real binary), against a worker, the sandbox sources
// and the destination emulators: a mapping refused at create time with the failing field named and
// nothing stored; a scheduled pipeline that runs; dead letters listed with the destination's reason,
// replayed after the fix and delivered once; a record's delivery history; delete that takes the
// schedule with it; a connection a pipeline uses cannot be removed; no secret in any output.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ledgerFor } from '../../src/pipelines/index.js';
import { startDestinations, type Destinations } from '../../src/sandbox/destinations/index.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { runCli } from '../helpers/cli.js';
import { startTestWorker, temporalTestContext, type RunningWorker, type TemporalTestContext } from '../helpers/temporal.js';

let ctx: TemporalTestContext;
let sandbox: Sandbox;
let dest: Destinations;
let worker: RunningWorker | undefined;
let files: string;
const outputs: string[] = [];
const cli = async (args: string[]) => {
  const r = await runCli(ctx, args, { PIPELINE_SANDBOX: '1' });
  outputs.push(r.stdout, r.stderr);
  return r;
};
const N = 300;

beforeAll(async () => {
  ctx = await temporalTestContext();
  sandbox = await startSandbox({ seed: 61, sizes: { orders: N, charges: N, members: N } });
  dest = await startDestinations();
  process.env.PLC_MC = sandbox.credentials.mailchimp.apiKey;
  process.env.PLC_SHOP = sandbox.credentials.shopify.accessToken;
  process.env.PLC_SEGMENT = dest.credentials.segment.writeKey;
  process.env.PLC_BRAZE = dest.credentials.braze.apiKey;
  await ctx.store.add({ id: 'crm', connectorId: 'mailchimp', baseUrlOverride: sandbox.mailchimp.url, config: { apiKey: 'env:PLC_MC', listId: sandbox.credentials.mailchimp.listId } });
  await ctx.store.add({ id: 'shop', connectorId: 'shopify', baseUrlOverride: sandbox.shopify.url, config: { shopDomain: sandbox.credentials.shopify.shopDomain, accessToken: 'env:PLC_SHOP' } });
  await ctx.store.add({ id: 'cdp', connectorId: 'segment', baseUrlOverride: dest.urls.segment, config: { writeKey: 'env:PLC_SEGMENT' } });
  await ctx.store.add({ id: 'engage', connectorId: 'braze', baseUrlOverride: dest.urls.braze, config: { restEndpoint: dest.credentials.braze.restEndpoint, apiKey: 'env:PLC_BRAZE' } });
  files = await mkdtemp(join(tmpdir(), 'pipeline-maps-'));
  await writeFile(join(files, 'typo.jsonata'), '{"type": "track", "event": "Order", "userId": customer.emial}');
  await writeFile(join(files, 'orders.jsonata'), '{"type": "track", "event": "Order", "userId": $string(customer.id), "properties": {"total": $number(total_price)}}');
  await writeFile(join(files, 'members.jsonata'), '{"attributes": [{"external_id": id, "email": email_address, "home_city": location.region = "TX" ? undefined : location.region}]}');
  await writeFile(join(files, 'members-fixed.jsonata'), '{"attributes": [{"external_id": id, "email": email_address, "home_city": location.region}]}');
  worker = await startTestWorker(ctx, {
    connectors: ['mailchimp', 'shopify', 'segment', 'braze'],
    policyOverrides: { '*': { retry: { initialIntervalMs: 50, maximumIntervalMs: 300, maximumAttempts: 20 }, rate: { requestsPerSecond: 1000 } } },
  });
});

afterAll(async () => {
  await ctx.client.schedule.getHandle(`${ctx.namePrefix}pipeline:orders`).delete().catch(() => undefined);
  await worker?.stop();
  await dest?.close();
  await sandbox?.close();
  await ctx?.close();
});

test('a mapping the destination would refuse is refused at create, the field named; nothing is stored', async () => {
  const r = await cli(['pipelines', 'create', 'orders', '--from', 'shop:orders', '--to', 'cdp', '--map', join(files, 'typo.jsonata')]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/message\.userId: give userId or anonymousId — all \d+ sample records/);
  expect(r.stderr).toMatch(/the mapping reads "customer\.emial", which none of the \d+ sample records has/);
  expect(await ctx.store.pipelines.get('orders')).toBeNull();
  const missing = await cli(['pipelines', 'create', 'orders', '--from', 'shop:orders', '--to', 'nope', '--map', join(files, 'orders.jsonata')]);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toMatch(/destination\.connectionId: no connection "nope"/);
});

test('create with a schedule, run it (once per record), and the schedule runs it too', async () => {
  const created = await cli(['pipelines', 'create', 'orders', '--from', 'shop:orders', '--to', 'cdp', '--map', join(files, 'orders.jsonata'), '--every', '1h', '--paused']);
  expect(created.code).toBe(0);
  expect(created.stdout).toMatch(/Created pipeline orders: Shopify orders \(shop\) → Segment \(cdp\)/);
  expect(created.stdout).toMatch(/exactly once per record version/);
  expect(created.stdout).toMatch(new RegExp(`schedule ${ctx.namePrefix}pipeline:orders: every 1h`));
  const run = await cli(['pipelines', 'run', 'orders', '--json']);
  expect(run.code).toBe(0);
  expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, delivered: N, dead: 0 });
  expect(dest.segment.unique()).toHaveLength(N);
  // The schedule's run goes through the pipeline's own workflow id, and finds nothing new to send.
  const trig = await cli(['schedules', 'trigger', 'orders']);
  expect(trig.code).toBe(0);
  const deadline = Date.now() + 30_000;
  let runs = 0;
  while (Date.now() < deadline && runs < 2) {
    runs = (await ctx.client.workflow.count(`WorkflowId = "${ctx.namePrefix}pipeline:orders" AND ExecutionStatus = "Completed"`)).count;
    await new Promise((r) => setTimeout(r, 300));
  }
  expect(runs).toBe(2);
  expect(dest.segment.received).toHaveLength(N);
  const status = await cli(['pipelines', 'status', 'orders', '--json']);
  expect(JSON.parse(status.stdout).ledger).toMatchObject({ delivered: N });
});

test('dead letters carry the destination\'s reason; replay after the fix delivers them once', async () => {
  dest.braze.faults.set({ rejectItems: { field: 'home_city', missing: true, error: 'home_city is required' } });
  expect((await cli(['pipelines', 'create', 'members', '--from', 'crm:members', '--to', 'engage', '--map', join(files, 'members.jsonata')])).code).toBe(0);
  const run = JSON.parse((await cli(['pipelines', 'run', 'members', '--json'])).stdout) as { delivered: number; dead: number };
  expect(run.dead).toBeGreaterThan(0);
  expect(run.delivered + run.dead).toBe(N);
  const dead = JSON.parse((await cli(['pipelines', 'dead', 'members', '--json'])).stdout) as { recordId: string; state: string; reason: string }[];
  expect(dead).toHaveLength(run.dead);
  expect(dead[0]).toMatchObject({ state: 'dead' });
  expect(dead[0]!.reason).toMatch(/home_city is required/);
  const text = await cli(['pipelines', 'dead', 'members']);
  expect(text.stdout).toMatch(/home_city is required/);

  // The fix: the mapping sets home_city for every member. (The emulator keeps refusing objects without one.)
  expect((await cli(['pipelines', 'update', 'members', '--map', join(files, 'members-fixed.jsonata')])).code).toBe(0);
  const before = dest.braze.received.length;
  const replay = await cli(['pipelines', 'replay', 'members', '--json']);
  expect(replay.code).toBe(0);
  expect(JSON.parse(replay.stdout)).toMatchObject({ delivered: run.dead, dead: 0 });
  expect(dest.braze.received.length - before).toBe(run.dead);
  expect(JSON.parse((await cli(['pipelines', 'dead', 'members', '--json'])).stdout)).toEqual([]);
  const nothing = await cli(['pipelines', 'replay', 'members']);
  expect(nothing.stdout).toMatch(/Nothing to replay/);

  const history = JSON.parse((await cli(['pipelines', 'deliveries', 'members', '--record', dead[0]!.recordId, '--json'])).stdout) as { state: string; replay?: boolean }[];
  expect(history.map((h) => h.state)).toEqual(['queued', 'sending', 'dead', 'queued', 'sending', 'delivered']);
  expect(history[3]?.replay).toBe(true);
});

test('a connection a pipeline uses cannot be removed; delete takes the schedule, keeps the ledger', async () => {
  const rm = await cli(['connections', 'remove', 'cdp', '--yes']);
  expect(rm.code).toBe(1);
  expect(rm.stderr).toMatch(/used by pipeline orders/);
  expect(await ctx.store.get('cdp')).not.toBeNull();

  const refused = await cli(['pipelines', 'delete', 'orders']);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/Add --yes/);
  const del = await cli(['pipelines', 'delete', 'orders', '--yes']);
  expect(del.code).toBe(0);
  expect(del.stdout).toMatch(/Deleted pipeline orders, its schedule/);
  expect(await ctx.store.pipelines.get('orders')).toBeNull();
  await expect(ctx.client.schedule.getHandle(`${ctx.namePrefix}pipeline:orders`).describe()).rejects.toThrow();
  const ledger = ledgerFor(ctx.sink);
  expect((await ledger.counts('orders')).delivered).toBe(N);
  await ledger.close();
});

test('no secret in any output', () => {
  const all = outputs.join('\n');
  for (const secret of [process.env.PLC_MC, process.env.PLC_SHOP, process.env.PLC_SEGMENT, process.env.PLC_BRAZE]) expect(all).not.toContain(secret);
});
