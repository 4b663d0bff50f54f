// Many connections of one provider, on the real dev server with two worker processes: every store
// syncs at its own budget at the same time, no store ever gets more than its budget (counted by the
// emulator, per store, per second), the provider answers no 429, and a provider's cap on calls in
// flight per API key holds across both workers. Requests are counted, not timed.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { startSync } from '../../src/temporal/client.js';
import { temporalTestContext, type TemporalTestContext } from '../helpers/temporal.js';
import { runCli } from '../helpers/cli.js';
import { spawnWorkerProcess } from '../helpers/worker-spawn.js';

const SHOPS = ['shop-a', 'shop-b', 'shop-c'];
const ORDERS = 240;
const PAGE = 20; // 12 pages per store

let ctx: TemporalTestContext;
let sandbox: Sandbox;
const workers: ChildProcess[] = [];

function spawnWorker(env: Record<string, string> = {}): { child: ChildProcess; ready: Promise<string> } {
  const child = spawnWorkerProcess(ctx, { TEST_CONNECTORS: 'shopify,mailchimp', ...env });
  workers.push(child);
  let out = '';
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('worker ready')) resolve(out);
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`worker exited (${code}): ${out}`)));
  });
  return { child, ready };
}

beforeAll(async () => {
  ctx = await temporalTestContext();
  sandbox = await startSandbox({
    seed: 51,
    faults: { latencyMs: 40 },
    tenants: {
      shopify: SHOPS.map((name) => ({ name, orders: ORDERS })),
      mailchimp: [{ name: 'shared-key', members: 300 }],
    },
  });
  for (const name of SHOPS) {
    const creds = sandbox.credentials.tenants.shopify[name]!;
    process.env[`TENANT_${name.replace('-', '_').toUpperCase()}`] = creds.accessToken;
    await ctx.store.add({ id: name, connectorId: 'shopify', baseUrlOverride: sandbox.shopify.url, config: { shopDomain: creds.shopDomain, accessToken: `env:TENANT_${name.replace('-', '_').toUpperCase()}` } });
  }
  const mc = sandbox.credentials.tenants.mailchimp['shared-key']!;
  process.env.TENANT_MC_KEY = mc.apiKey;
  // Four connections on ONE Mailchimp API key, each allowed 2 of its simultaneous connections: the
  // key's calls in flight must stay at 2 whatever both workers do.
  for (const n of [1, 2, 3, 4]) {
    await ctx.store.add({ id: `mc-${n}`, connectorId: 'mailchimp', baseUrlOverride: sandbox.mailchimp.url, config: { apiKey: 'env:TENANT_MC_KEY', listId: mc.listId, maxConnections: 2 } });
  }
  const a = spawnWorker();
  const b = spawnWorker();
  const [outA] = await Promise.all([a.ready, b.ready]);
  expect(outA).not.toMatch(/per connector, not per credential/);
}, 180_000);

afterAll(async () => {
  for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
  await sandbox?.close();
  await ctx?.close();
});

describe('per-store budgets, enforced by the server across two workers', () => {
  test('three stores sync at the same time, each within its 2 requests/s, with no 429', async () => {
    sandbox.shopify.resetStats();
    const handles = await Promise.all(SHOPS.map((id) => startSync(ctx.client, ctx.store, { connectionId: id, mode: 'full', pageSize: PAGE, namePrefix: ctx.namePrefix })));
    const results = await Promise.all(handles.map((h) => h.result()));
    for (const r of results) expect(r.storedRecords).toBe(ORDERS);

    const stats = sandbox.shopify.stats();
    const windows = SHOPS.map((name) => stats.byKey[name]!.perSecond);
    for (const [i, name] of SHOPS.entries()) {
      const key = stats.byKey[name]!;
      expect(key.rateLimited, `${name}: 429s`).toBe(0);
      // One request per page, no retries, plus the size probe before the pages and the count check
      // after them (each a count and the window's first order).
      expect(key.requests, `${name}: one request per page and 4 for the probes (no retries)`).toBe(ORDERS / PAGE + 4);
      // The server's per-key limiter releases at most one second of tokens at once on top of its
      // steady rate (1.9/s here, 5% under Shopify's 2/s): never more than 5 in any one-second window.
      expect(Math.max(...windows[i]!), `${name}: most requests in one second`).toBeLessThanOrEqual(5);
    }
    // At the same time, not one after the other: the three stores were served in the same seconds,
    // and together they got more than one store's budget in some second after the first.
    const seconds = Math.max(...windows.map((w) => w.length));
    const shared = Array.from({ length: seconds }, (_, s) => windows.filter((w) => (w[s] ?? 0) > 0).length);
    expect(shared.filter((n) => n === SHOPS.length).length).toBeGreaterThanOrEqual(3);
    const fleet = Array.from({ length: seconds }, (_, s) => windows.reduce((sum, w) => sum + (w[s] ?? 0), 0));
    expect(Math.max(...fleet.slice(1))).toBeGreaterThanOrEqual(5);
  }, 120_000);

  test('a provider cap on calls in flight per API key (Mailchimp) holds across both workers', async () => {
    sandbox.mailchimp.faults.update({ latencyMs: 300 });
    sandbox.mailchimp.resetStats();
    const handles = await Promise.all([1, 2, 3, 4].map((n) => startSync(ctx.client, ctx.store, { connectionId: `mc-${n}`, mode: 'full', pageSize: 30, namePrefix: ctx.namePrefix })));
    const results = await Promise.all(handles.map((h) => h.result()));
    for (const r of results) expect(r.storedRecords).toBe(300);
    const key = sandbox.mailchimp.stats().byKey['shared-key']!;
    expect(key.rateLimited).toBe(0);
    expect(key.maxInFlight).toBeLessThanOrEqual(2);
    expect(key.maxInFlight).toBe(2); // and the cap was used, not just respected by one sync at a time
  }, 120_000);
});

describe('a cluster without per-key limits', () => {
  test('PIPELINE_RATE_MODE=per-connector: the worker says at start that budgets are per connector', async () => {
    for (const w of workers) w.kill('SIGTERM');
    const { child, ready } = spawnWorker({ PIPELINE_RATE_MODE: 'per-connector' });
    const out = await ready;
    child.kill('SIGTERM');
    expect(out).toMatch(/warning: provider budgets are per connector, not per credential: PIPELINE_RATE_MODE=per-connector/);
    // The same from the CLI worker, which a user runs.
    const r = await runCli(ctx, ['worker', '--connectors', 'shopify'], { PIPELINE_RATE_MODE: 'bogus' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/PIPELINE_RATE_MODE must be auto, per-key or per-connector, not "bogus"/);
  }, 60_000);
});
