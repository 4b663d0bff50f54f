// Pull syncs on a real Temporal dev server with real workers, against the sandbox emulators:
// every record lands exactly once, incremental runs pull only what changed, provider faults are
// retried, and a bad credential fails fast with a clear, secret-free error.
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSandbox, type Emulator, type Sandbox } from '../../src/sandbox/index.js';
import type { PolicyOverrides } from '../../src/policies/activity-options.js';
import { followSync, startSync, SyncAlreadyRunningError } from '../../src/temporal/client.js';
import type { PullProgress, PullResult } from '../../workflows/pull.js';
import { historyText } from '../helpers/history.js';
import { startTestWorker, temporalTestContext, type RunningWorker, type TemporalTestContext } from '../helpers/temporal.js';

const SIZE = 2600;
// Fast retries: the behaviour under test is "retried until it succeeds", not the production backoff.
const overrides: Record<string, PolicyOverrides> = {
  '*': { retry: { initialIntervalMs: 50, maximumIntervalMs: 300, maximumAttempts: 30 }, rate: { requestsPerSecond: 500, concurrency: 20 } },
};

let ctx: TemporalTestContext;
let sandbox: Sandbox;
let worker: RunningWorker | undefined;

const SOURCES = [
  { id: 'shop', connectorId: 'shopify', stream: 'orders', emulator: () => sandbox.shopify },
  { id: 'pay', connectorId: 'stripe', stream: 'charges', emulator: () => sandbox.stripe },
  { id: 'crm', connectorId: 'mailchimp', stream: 'members', emulator: () => sandbox.mailchimp },
] as const;

beforeAll(async () => {
  ctx = await temporalTestContext();
  sandbox = await startSandbox({ seed: 7, sizes: { orders: SIZE, charges: SIZE, members: SIZE } });
  process.env.WF_SHOP_TOKEN = sandbox.credentials.shopify.accessToken;
  process.env.WF_STRIPE_KEY = sandbox.credentials.stripe.secretKey;
  process.env.WF_MC_KEY = sandbox.credentials.mailchimp.apiKey;
  process.env.WF_BAD_TOKEN = 'shpat_definitely_wrong_token_42';
  await ctx.store.add({ id: 'shop', connectorId: 'shopify', baseUrlOverride: sandbox.shopify.url, config: { shopDomain: sandbox.credentials.shopify.shopDomain, accessToken: 'env:WF_SHOP_TOKEN' } });
  await ctx.store.add({ id: 'pay', connectorId: 'stripe', baseUrlOverride: sandbox.stripe.url, config: { secretKey: 'env:WF_STRIPE_KEY' } });
  await ctx.store.add({ id: 'crm', connectorId: 'mailchimp', baseUrlOverride: sandbox.mailchimp.url, config: { apiKey: 'env:WF_MC_KEY', listId: sandbox.credentials.mailchimp.listId } });
  await ctx.store.add({ id: 'shop-bad', connectorId: 'shopify', baseUrlOverride: sandbox.shopify.url, config: { shopDomain: sandbox.credentials.shopify.shopDomain, accessToken: 'env:WF_BAD_TOKEN' } });
  worker = await startTestWorker(ctx, {
    policyOverrides: overrides,
    connectors: ['shopify', 'stripe', 'mailchimp'],
  });
});

afterAll(async () => {
  await worker?.stop();
  await sandbox?.close();
  await ctx?.close();
});

async function sync(connectionId: string, opts: { mode?: 'full' | 'incremental'; pageSize?: number; pagesPerRun?: number; sequential?: boolean } = {}) {
  return startSync(ctx.client, ctx.store, { connectionId, namePrefix: ctx.namePrefix, ...opts });
}

/**
 * When each record last changed: its own change time, or for Stripe charges (whose `created` never
 * changes) the latest of it and the events about the charge (refunds, captures, disputes).
 */
function lastChanges(emulator: Emulator): Map<string, string> {
  const out = new Map(emulator.records().map((r) => [r.id, new Date(r.updatedAt).toISOString()]));
  if (emulator === sandbox.stripe) {
    for (const e of sandbox.stripe.events()) {
      if (e.type === 'charge.succeeded') continue;
      const at = new Date(e.created * 1000).toISOString();
      if (at > (out.get(e.charge) ?? '')) out.set(e.charge, at);
    }
  }
  return out;
}

/** Every record of the emulator is stored exactly once, in its latest version. */
async function expectSinkMatches(connectionId: string, stream: string, emulator: Emulator) {
  const stored = await ctx.sink.readAll({ connectionId, stream });
  const expected = emulator.records();
  expect(stored.size).toBe(expected.length);
  const changed = lastChanges(emulator);
  for (const r of expected) expect(stored.get(r.id)?.updatedAt).toBe(changed.get(r.id));
  // After the run the file itself holds each id once (compaction at the end of a sync).
  const { readFile } = await import('node:fs/promises');
  const lines = (await readFile(ctx.sink.filePath({ connectionId, stream }), 'utf8')).split('\n').filter(Boolean);
  expect(lines.length).toBe(expected.length);
}

describe('full sync', () => {
  test.each(SOURCES)('$connectorId $stream: every record over many pages lands exactly once', async ({ id, connectorId, stream, emulator }) => {
    const progress: PullProgress[] = [];
    // Small pages and a small page budget: many pages, and continue-as-new mid-sync (one sequential run).
    const handle = await sync(id, { mode: 'full', pageSize: 100, pagesPerRun: 10, sequential: true });
    const result = await followSync(handle, (p) => progress.push(p), 100);
    expect(result.records).toBe(SIZE);
    expect(result.pages).toBeGreaterThanOrEqual(26);
    expect(result.storedRecords).toBe(SIZE);
    await expectSinkMatches(id, stream, emulator());
    // The run continued-as-new (history stays small) and the progress query kept answering.
    expect((await handle.describe()).runId).not.toBe(handle.firstExecutionRunId);
    expect(progress.some((p) => p.records > 0 && p.phase === 'pulling')).toBe(true);
    // A source that reports its total (Mailchimp total_items) lets progress show a share and an ETA.
    const totals = progress.filter((p) => p.records > 0).map((p) => p.total);
    if (connectorId === 'mailchimp') expect(new Set(totals)).toEqual(new Set([SIZE]));
    else expect(totals.every((t) => t === null)).toBe(true);
  });
});

describe('incremental sync', () => {
  test.each(SOURCES)('$connectorId: a second run pulls only records changed since the watermark', async ({ id, stream, emulator }) => {
    const first: PullResult = await (await sync(id, { mode: 'full', pageSize: 250 })).result();
    const changed = emulator().mutate({ update: 40, create: 25 });
    await new Promise((r) => setTimeout(r, 1100)); // changes stamped in a past second, before the window ends
    const second: PullResult = await (await sync(id, { mode: 'incremental', pageSize: 250 })).result();

    expect(second.previousWatermark).toBe(first.watermark);
    // Exactly the records whose change time is in [since, until]: the changes plus the few
    // records inside the overlap before the old watermark.
    const since = Date.parse(second.since!);
    const until = Date.parse(second.until);
    const inWindow = emulator().records().filter((r) => Date.parse(r.updatedAt) >= since && Date.parse(r.updatedAt) <= until);
    if (stream === 'charges') {
      // Charges created in the window, then the window's events: the changes of older charges too.
      const events = sandbox.stripe.events().filter((e) => e.created * 1000 >= since && e.created * 1000 <= until);
      expect(second.records).toBeGreaterThanOrEqual(inWindow.length + changed.updated.length);
      expect(second.records).toBeLessThanOrEqual(inWindow.length + events.length);
    } else expect(second.records).toBe(inWindow.length);
    expect(second.records).toBeLessThan(200);
    const visible = [...changed.updated, ...changed.created];
    if (stream !== 'charges') for (const recordId of visible) expect(inWindow.map((r) => r.id)).toContain(recordId);
    await expectSinkMatches(id, stream, emulator());
    expect(second.watermark! > first.watermark!).toBe(true);
  });
});

describe('provider faults', () => {
  test('429 storms and 5xx bursts are retried and the sync completes', async () => {
    sandbox.stripe.faults.set({ rateLimitStorm: 4, fail5xx: { count: 3, status: 503 } });
    sandbox.shopify.faults.set({ rateLimitStorm: 3, fail5xx: { count: 2, status: 500 } });
    const before = { stripe: sandbox.stripe.stats().byStatus, shopify: sandbox.shopify.stats().byStatus };
    const results = await Promise.all([(await sync('pay', { mode: 'full' })).result(), (await sync('shop', { mode: 'full' })).result()]);
    expect(results.map((r) => r.storedRecords)).toEqual([sandbox.stripe.records().length, sandbox.shopify.records().length]);
    expect((sandbox.stripe.stats().byStatus[429] ?? 0) - (before.stripe[429] ?? 0)).toBe(4);
    expect((sandbox.stripe.stats().byStatus[503] ?? 0) - (before.stripe[503] ?? 0)).toBe(3);
    expect((sandbox.shopify.stats().byStatus[429] ?? 0) - (before.shopify[429] ?? 0)).toBe(3);
    await expectSinkMatches('pay', 'charges', sandbox.stripe);
    await expectSinkMatches('shop', 'orders', sandbox.shopify);
  });

  test('a 401 fails the workflow after one attempt with a clear, secret-free error', async () => {
    const before = sandbox.shopify.stats().byStatus[401] ?? 0;
    const handle = await sync('shop-bad', { mode: 'full' });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as Error & { type?: string };
    expect(cause.type).toBe('unauthorized');
    expect(cause.message).toMatch(/Sync of Shopify orders for "shop-bad" failed while sizing it: Shopify answered HTTP 401/);
    expect(cause.message).not.toContain('shpat_definitely_wrong_token_42');
    expect((sandbox.shopify.stats().byStatus[401] ?? 0) - before).toBe(1);
    expect(historyText(await handle.fetchHistory())).not.toContain('shpat_definitely_wrong_token_42');
    expect(historyText(await handle.fetchHistory())).toContain('Shopify answered HTTP 401'); // the search does see payload text
  });
});

test('a second concurrent sync of the same stream is refused', async () => {
  sandbox.mailchimp.faults.set({ latencyMs: 200 });
  try {
    const first = await sync('crm', { mode: 'full', pageSize: 500 });
    await expect(sync('crm')).rejects.toBeInstanceOf(SyncAlreadyRunningError);
    await first.result();
  } finally {
    sandbox.mailchimp.faults.set({});
  }
});
