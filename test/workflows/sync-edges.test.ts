// Syncs that are fast and right at the edges, on the real dev server against the sandbox:
// - a large first sync is sliced and read in parallel; a slice that finds more data than planned is
//   split again; every record lands once and the watermark is saved after the last slice;
// - a record with a change time that is not a date, or in year 9999, is written and reported but never
//   becomes the watermark, and the next incremental run still reads every change;
// - an incremental Stripe sync sees a refund of a charge created before the watermark, and a watermark
//   older than Stripe's 30-day event retention means a full re-read, said in the result;
// - 500 records sharing one change time, across a page boundary and at the watermark, are neither
//   lost nor doubled across runs (Shopify, Mailchimp);
// - records dropped from a page while the source still counts them fail the run (or warn) instead of
//   saving the watermark.
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { startSync } from '../../src/temporal/client.js';
import type { PullProgress, PullResult } from '../../workflows/pull.js';
import { startTestWorker, temporalTestContext, type RunningWorker, type TemporalTestContext } from '../helpers/temporal.js';

const DAY = 86_400_000;
let ctx: TemporalTestContext;
let sandbox: Sandbox;
let worker: RunningWorker | undefined;

beforeAll(async () => {
  ctx = await temporalTestContext();
  sandbox = await startSandbox({
    seed: 71,
    sizes: { orders: 1200, charges: 3000, members: 1200 },
    sharedTimestamp: { orders: { count: 500 }, members: { count: 500 } },
  });
  process.env.EDGE_SHOP = sandbox.credentials.shopify.accessToken;
  process.env.EDGE_STRIPE = sandbox.credentials.stripe.secretKey;
  process.env.EDGE_MC = sandbox.credentials.mailchimp.apiKey;
  const add = (id: string, connectorId: string, url: string, config: Record<string, unknown>) => ctx.store.add({ id, connectorId, baseUrlOverride: url, config });
  await add('shop', 'shopify', sandbox.shopify.url, { shopDomain: sandbox.credentials.shopify.shopDomain, accessToken: 'env:EDGE_SHOP' });
  await add('pay', 'stripe', sandbox.stripe.url, { secretKey: 'env:EDGE_STRIPE' });
  await add('crm', 'mailchimp', sandbox.mailchimp.url, { apiKey: 'env:EDGE_MC', listId: sandbox.credentials.mailchimp.listId, maxConnections: 4 });
  for (const id of ['shop-bad-times', 'shop-drop']) await add(id, 'shopify', sandbox.shopify.url, { shopDomain: sandbox.credentials.shopify.shopDomain, accessToken: 'env:EDGE_SHOP' });
  worker = await startTestWorker(ctx, {
    connectors: ['shopify', 'stripe', 'mailchimp'],
    policyOverrides: { '*': { retry: { initialIntervalMs: 50, maximumIntervalMs: 300, maximumAttempts: 30 }, rate: { requestsPerSecond: 500 } } },
  });
});

afterAll(async () => {
  await worker?.stop();
  await sandbox?.close();
  await ctx?.close();
});

async function run(connectionId: string, opts: { mode?: 'full' | 'incremental'; pageSize?: number; onIncomplete?: 'fail' | 'warn' } = {}) {
  return startSync(ctx.client, ctx.store, { connectionId, namePrefix: ctx.namePrefix, ...opts });
}

async function stored(connectionId: string, stream: string) {
  return ctx.sink.readAll({ connectionId, stream });
}

describe('a large first sync is sliced', () => {
  test('Stripe: slices in parallel, every charge once, the watermark saved after the last slice', async () => {
    const progress: PullProgress[] = [];
    const handle = await run('pay', { mode: 'full', pageSize: 20 }); // 150 pages: sliced
    const poll = setInterval(() => void handle.query<PullProgress>('progress').then((p) => progress.push(p), () => undefined), 50);
    const result = await handle.result().finally(() => clearInterval(poll));
    expect(result.slices).toBeGreaterThan(1);
    expect(result.storedRecords).toBe(3000);
    const ids = new Set(sandbox.stripe.records().map((r) => r.id));
    expect(new Set((await stored('pay', 'charges')).keys())).toEqual(ids);
    // Slices ran side by side, and progress counted them.
    expect(Math.max(...progress.map((p) => p.slices?.running ?? 0))).toBeGreaterThan(1);
    expect(progress.some((p) => p.slices && p.slices.done > 0 && p.slices.done < p.slices.total)).toBe(true);
    expect((await ctx.sink.loadState({ connectionId: 'pay', stream: 'charges' }))?.watermark).toBe(result.watermark);
    // Each slice is a child workflow of its own (it resumes on its own after a crash).
    const children = await ctx.client.workflow.count(`WorkflowId STARTS_WITH "${handle.workflowId}:slice-"`);
    expect(children.count).toBe(result.slices);
  });

  test('a slice that finds far more than planned is split again', async () => {
    // 600 charges within two hours, two days ago: far denser than the rest (about 4 an hour). The
    // plan (equal windows of time) puts them in one slice, which hands back what it has not read
    // once it is past twice its plan, and the remainder is split again.
    const before = sandbox.stripe.records().length;
    sandbox.stripe.clock.set(-2 * DAY);
    for (let k = 0; k < 6; k++) {
      sandbox.stripe.createCharges({ count: 100 });
      sandbox.stripe.clock.advance(20 * 60_000);
    }
    sandbox.stripe.clock.set(0);
    const result = await (await run('pay', { mode: 'full', pageSize: 10 })).result();
    expect(result.storedRecords).toBe(before + 600);
    const handle = ctx.client.workflow.getHandle(`${ctx.namePrefix}pull:pay:charges`);
    const memo = (await handle.describe()).memo as { pull: { slices: number } };
    expect(memo.pull.slices).toBe(result.slices);
    expect(new Set((await stored('pay', 'charges')).keys()).size).toBe(before + 600);
    // A slice handed back what it had not read, and more slices ran than the plan made.
    expect(result.slicesResplit).toBeGreaterThanOrEqual(1);
    const started = (await handle.fetchHistory()).events!.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes).length;
    expect(started).toBe(result.slices);
  }, 180_000);

  test('slices resume on their own when the worker goes away mid-sync', async () => {
    await ctx.store.add({ id: 'pay-crash', connectorId: 'stripe', baseUrlOverride: sandbox.stripe.url, config: { secretKey: 'env:EDGE_STRIPE' } });
    sandbox.stripe.faults.update({ latencyMs: 30 });
    try {
      const handle = await run('pay-crash', { mode: 'full', pageSize: 20 });
      const deadline = Date.now() + 30_000;
      while (((await handle.query<PullProgress>('progress').catch(() => null))?.slices?.done ?? 0) < 2) {
        if (Date.now() > deadline) throw new Error('no slice finished');
        await new Promise((r) => setTimeout(r, 50));
      }
      await worker!.stop();
      expect((await handle.describe()).status.name).toBe('RUNNING');
      worker = await startTestWorker(ctx, {
        connectors: ['shopify', 'stripe', 'mailchimp'],
        policyOverrides: { '*': { retry: { initialIntervalMs: 50, maximumIntervalMs: 300, maximumAttempts: 30 }, rate: { requestsPerSecond: 500 } } },
      });
      const result = await handle.result();
      expect(result.slices).toBeGreaterThan(1);
      expect(new Set((await stored('pay-crash', 'charges')).keys())).toEqual(new Set(sandbox.stripe.records().map((r) => r.id)));
    } finally {
      sandbox.stripe.faults.update({ latencyMs: 0 });
    }
  }, 120_000);

  test('a small sync stays one sequential run', async () => {
    const result = await (await run('shop', { mode: 'full', pageSize: 250 })).result(); // 5 pages
    expect(result.slices).toBe(0);
    expect(result.storedRecords).toBe(1200);
  });
});

describe('a watermark that provider data cannot poison', () => {
  test('change times that are not dates or in year 9999: written, reported, never the watermark; the next run reads every change', async () => {
    const records = sandbox.shopify.records();
    const future = [records[3]!.id, records[10]!.id];
    const broken = [records[5]!.id];
    sandbox.shopify.faults.update({ badTimestamps: { kind: 'farFuture', ids: future } });
    let first: PullResult;
    try {
      first = await (await run('shop-bad-times', { mode: 'full', pageSize: 100 })).result();
    } finally {
      sandbox.shopify.faults.update({ badTimestamps: null });
    }
    expect(first.storedRecords).toBe(1200);
    expect(first.anomalies.afterWindow).toBe(2);
    expect(first.anomalies.examples.sort()).toEqual(future.sort());
    expect(Date.parse(first.watermark!)).toBeLessThanOrEqual(Date.parse(first.until));
    const all = await stored('shop-bad-times', 'orders');
    for (const id of future) expect(all.get(id)?.updatedAt).toMatch(/^9999-/);

    sandbox.shopify.faults.update({ badTimestamps: { kind: 'unparseable', ids: broken } });
    const changed = sandbox.shopify.mutate({ update: 5 });
    await new Promise((r) => setTimeout(r, 1100));
    let second: PullResult;
    try {
      second = await (await run('shop-bad-times')).result();
    } finally {
      sandbox.shopify.faults.update({ badTimestamps: null });
    }
    // The incremental run started from a real watermark, read the changes, and reported none of
    // the bad records it did not read (they are outside its window).
    expect(second.mode).toBe('incremental');
    expect(second.previousWatermark).toBe(first.watermark);
    const after = await stored('shop-bad-times', 'orders');
    for (const id of changed.updated) expect(Date.parse(after.get(id)!.updatedAt)).toBeGreaterThan(Date.parse(first.watermark!));
    expect(Date.parse(second.watermark!)).toBeLessThanOrEqual(Date.parse(second.until));
  });
});

describe('Stripe updates through events', () => {
  test('a charge created long before the watermark, refunded after the first sync, lands in its refunded state', async () => {
    const first = await (await run('pay', { mode: 'full', pageSize: 100 })).result();
    const old = sandbox.stripe.records()[7]!;
    expect(Date.parse(old.updatedAt)).toBeLessThan(Date.parse(first.watermark!) - DAY);
    sandbox.stripe.refund(old.id);
    await new Promise((r) => setTimeout(r, 1100));
    const second = await (await run('pay')).result();
    expect(second.mode).toBe('incremental');
    const charge = (await stored('pay', 'charges')).get(old.id)!;
    expect(charge.data).toMatchObject({ id: old.id, refunded: true });
    expect(Date.parse(charge.updatedAt)).toBeGreaterThan(Date.parse(first.watermark!));
    expect(second.fallback).toBeUndefined();
  });

  test('a watermark older than the 30-day event retention: the run reads everything again, and says so', async () => {
    await ctx.sink.saveState({ connectionId: 'pay-old', stream: 'charges' }, { watermark: new Date(Date.now() - 40 * DAY).toISOString(), lastRunAt: new Date().toISOString(), lastRunRecords: 1 });
    await ctx.store.add({ id: 'pay-old', connectorId: 'stripe', baseUrlOverride: sandbox.stripe.url, config: { secretKey: 'env:EDGE_STRIPE' } });
    const result = await (await run('pay-old', { pageSize: 100 })).result();
    expect(result.mode).toBe('full');
    expect(result.fallback).toMatch(/older than Stripe's 30-day change retention: everything is read again/);
    expect(result.storedRecords).toBe(sandbox.stripe.records().length);
  });
});

describe('many records on one change time', () => {
  test.each([
    { connectionId: 'shop', stream: 'orders', emulator: () => sandbox.shopify, pageSize: 100 },
    { connectionId: 'crm', stream: 'members', emulator: () => sandbox.mailchimp, pageSize: 100 },
  ])('$stream: 500 records on one timestamp across a page boundary and at the watermark, neither lost nor doubled', async ({ connectionId, stream, emulator, pageSize }) => {
    const first = await (await run(connectionId, { mode: 'full', pageSize })).result();
    expect(first.storedRecords).toBe(1200);
    // The run after: the 500 sit inside the overlap before the watermark, and are read again.
    const changed = emulator().mutate({ update: 3 });
    await new Promise((r) => setTimeout(r, 1100)); // changes stamped in a past second, inside the next window
    const second = await (await run(connectionId, { pageSize })).result();
    const all = await stored(connectionId, stream);
    expect(all.size).toBe(1200);
    expect(new Set(all.keys())).toEqual(new Set(emulator().records().map((r) => r.id)));
    for (const id of changed.updated) expect(all.get(id)!.updatedAt).toBe(new Date(emulator().records().find((r) => r.id === id)!.updatedAt).toISOString());
    expect(second.completeness.missing).toBe(0);
  });
});

describe('a sync never reports success on missing data', () => {
  test('records dropped from pages while the source still counts them: the run fails, the watermark is not saved', async () => {
    sandbox.shopify.faults.update({ dropRecords: { everyNth: 97 } });
    try {
      const handle = await run('shop-drop', { mode: 'full', pageSize: 100 });
      const err = await handle.result().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause as Error & { type?: string };
      expect(cause.type).toBe('incomplete_sync');
      expect(cause.message).toMatch(/Shopify counts (\d+) records in the run's window but only 1188 were read\. The watermark was not advanced/);
      expect(await ctx.sink.loadState({ connectionId: 'shop-drop', stream: 'orders' })).toBeNull();

      const warned = await (await run('shop-drop', { mode: 'full', pageSize: 100, onIncomplete: 'warn' })).result();
      expect(warned.completeness).toMatchObject({ outcome: 'warned', read: 1188 });
      expect(warned.completeness.missing).toBe(warned.completeness.sourceCount! - 1188);
      expect(warned.completeness.missing).toBeGreaterThan(0);
    } finally {
      sandbox.shopify.faults.update({ dropRecords: null });
    }
  });
});
