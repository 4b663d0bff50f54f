// A worker that stops mid-sync (graceful shutdown) or whose process is killed (SIGKILL) is
// replaced, and the sync completes with nothing lost and nothing duplicated in the sink.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import type { PolicyOverrides } from '../../src/policies/activity-options.js';
import { startSync } from '../../src/temporal/client.js';
import { createPipelineWorker } from '../../src/temporal/worker.js';
import type { PullProgress } from '../../workflows/pull.js';
import { temporalTestContext, workflowBundle, type TemporalTestContext } from '../helpers/temporal.js';

const SIZE = 2600;
const overrides: Record<string, PolicyOverrides> = {
  // A short start-to-close lets the server notice a killed worker's activity quickly.
  '*': { retry: { initialIntervalMs: 100, maximumIntervalMs: 500 }, timeouts: { startToCloseMs: 3_000 }, rate: { requestsPerSecond: 500, concurrency: 10 } },
};

let ctx: TemporalTestContext;
let sandbox: Sandbox;
const children: ChildProcess[] = [];

beforeAll(async () => {
  ctx = await temporalTestContext();
  sandbox = await startSandbox({ seed: 11, sizes: { orders: SIZE, charges: SIZE, members: SIZE }, faults: { latencyMs: 40 } });
  process.env.CRASH_SHOP_TOKEN = sandbox.credentials.shopify.accessToken;
  process.env.CRASH_STRIPE_KEY = sandbox.credentials.stripe.secretKey;
  await ctx.store.add({ id: 'shop', connectorId: 'shopify', baseUrlOverride: sandbox.shopify.url, config: { shopDomain: sandbox.credentials.shopify.shopDomain, accessToken: 'env:CRASH_SHOP_TOKEN' } });
  await ctx.store.add({ id: 'pay', connectorId: 'stripe', baseUrlOverride: sandbox.stripe.url, config: { secretKey: 'env:CRASH_STRIPE_KEY' } });
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await sandbox?.close();
  await ctx?.close();
});

async function waitForPages(workflowId: string, pages: number, timeoutMs = 60_000): Promise<PullProgress> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const p = await ctx.client.workflow.getHandle(workflowId).query<PullProgress>('progress');

      if (p.pages >= pages) return p;
    } catch {
      // not started yet
    }
    if (Date.now() > deadline) throw new Error(`sync did not reach ${pages} pages`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function expectExactlyOnce(connectionId: string, stream: string, expectedIds: string[]) {
  const stored = await ctx.sink.readAll({ connectionId, stream });
  expect(new Set(stored.keys())).toEqual(new Set(expectedIds));
  const lines = (await readFile(ctx.sink.filePath({ connectionId, stream }), 'utf8')).split('\n').filter(Boolean);
  expect(lines.length).toBe(expectedIds.length);
}

// Both syncs are one sequential cursor (52 pages would otherwise be sliced): its progress counts each
// page as it lands, so "stopped mid-sync" is exact. Sliced syncs have their own crash test
// (test/workflows/sync-edges.test.ts, "slices resume on their own when the worker goes away").
test('a worker stopped mid-sync and then restarted: the sync completes, nothing lost or duplicated', async () => {
  const bundle = await workflowBundle();
  const make = () =>
    createPipelineWorker({
      connection: ctx.nativeConnection, namespace: ctx.namespace, store: ctx.store, sink: ctx.sink,
      namePrefix: ctx.namePrefix, policyOverrides: overrides, workflowBundle: bundle, connectors: ['shopify'],
    });
  const first = await make();
  const firstRun = first.run();
  const handle = await startSync(ctx.client, ctx.store, { connectionId: 'shop', mode: 'full', pageSize: 50, sequential: true, namePrefix: ctx.namePrefix });
  const at = await waitForPages(handle.workflowId, 10);
  first.shutdown();
  await firstRun;
  expect((await handle.describe()).status.name).toBe('RUNNING');
  expect(at.pages).toBeLessThan(52);

  const second = await make();
  const result = await second.runUntil(handle.result());
  expect(result.storedRecords).toBe(SIZE);
  await expectExactlyOnce('shop', 'orders', sandbox.shopify.records().map((r) => r.id));
});

test('a worker process killed (SIGKILL) mid-sync: a new process finishes it, nothing lost or duplicated', async () => {
  const bin = fileURLToPath(new URL('../../bin/pipeline.mjs', import.meta.url));
  const spawnWorker = () => {
    const child = spawn(process.execPath, [bin, 'worker', '--connectors', 'stripe'], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: ctx.address,
        TEMPORAL_NAMESPACE: ctx.namespace,
        PIPELINE_NAME_PREFIX: ctx.namePrefix,
        PIPELINE_CONNECTIONS_FILE: ctx.store.path,
        PIPELINE_DATA_DIR: ctx.sink.dataDir,
        PIPELINE_POLICY_OVERRIDES: JSON.stringify(overrides),
        PIPELINE_SANDBOX: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    return child;
  };

  const a = spawnWorker();
  const handle = await startSync(ctx.client, ctx.store, { connectionId: 'pay', mode: 'full', pageSize: 50, sequential: true, namePrefix: ctx.namePrefix });
  await waitForPages(handle.workflowId, 8, 90_000);
  a.kill('SIGKILL');
  await new Promise((r) => a.once('exit', r));
  expect((await handle.describe()).status.name).toBe('RUNNING');

  const b = spawnWorker();
  const result = await handle.result();
  b.kill('SIGTERM');
  expect(result.storedRecords).toBe(SIZE);
  await expectExactlyOnce('pay', 'charges', sandbox.stripe.records().map((r) => r.id));
}, 120_000);
