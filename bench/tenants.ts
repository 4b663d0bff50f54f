// Many stores of one provider (issue: per-credential budgets). Shopify-sandbox stores, each with
// its own 2 requests/s leaky bucket (40 deep) and 40 ms latency, synced through Temporal by two
// `pipeline worker` processes, budgets held per store by the server (task-queue fairness):
//
//   1. fleet:    20 stores at once: the fleet's request rate as a share of 20 × 2 requests/s, and 429s
//   2. fairness: 19 small stores (1k orders) alone, then again while one store backfills 50k orders:
//                p50/p95 completion time of the small ones, and the ratio
//   3. ceiling:  more and more stores until the engine, not the budgets, is the limit (pages/s)
//
//   npm run bench:tenants -- [--stores 20] [--ceiling 20,40,80,160,320]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { FileConnectionStore } from '../src/connections/file-store.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { startSync } from '../src/temporal/client.js';
import { startDevServer } from '../src/temporal/dev-server.js';

const { values: args } = parseArgs({
  options: {
    stores: { type: 'string', default: '20' },
    ceiling: { type: 'string', default: '20,40,80,160,320' },
    // Orders per page in the fleet and ceiling phases: the budgets count requests, so small pages
    // measure the dispatching of requests rather than the handling of large order payloads.
    'page-size': { type: 'string', default: '10' },
    phases: { type: 'string', default: 'fleet,fairness,ceiling' },
  },
});
const PAGE_SIZE = Number(args['page-size']);
const PHASES = new Set(args.phases.split(','));
// Enough pages for every store to stay busy ~20 s at its budget, so that the server's initial burst
// (about one second of tokens per key) weighs little in the steady rate.
const FLEET_ORDERS = PAGE_SIZE * 40;
const STORES = Number(args.stores);
const CEILING_STEPS = args.ceiling.split(',').map(Number);
const BUDGET = 2; // Shopify standard plan, requests per second per store
const BIN = fileURLToPath(new URL('../bin/pipeline.mjs', import.meta.url));

const server = await startDevServer({ headless: true });
const client = new Client({ connection: await Connection.connect({ address: server.address }) });
let round = 0;

interface Round {
  sandbox: Sandbox;
  store: FileConnectionStore;
  home: string;
  prefix: string;
  workers: ChildProcess[];
  ids: string[];
}

/** A fresh sandbox, connection store and two worker processes for `shops` (name → orders). */
async function setUp(shops: { name: string; orders: number }[]): Promise<Round> {
  round++;
  const home = await mkdtemp(join(tmpdir(), 'pipeline-tenants-'));
  const prefix = `bench${round}-`;
  const sandbox = await startSandbox({ seed: 60 + round, faults: { latencyMs: 40 }, tenants: { shopify: shops } });
  const store = new FileConnectionStore(join(home, 'connections.json'));
  for (const s of shops) {
    const creds = sandbox.credentials.tenants.shopify[s.name]!;
    // Secrets stay out of the store: env references, resolved by the workers (which inherit them).
    const env = `BENCH_TOKEN_${s.name.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}`;
    process.env[env] = creds.accessToken;
    await store.add({ id: s.name, connectorId: 'shopify', baseUrlOverride: sandbox.shopify.url, config: { shopDomain: creds.shopDomain, accessToken: `env:${env}` } });
  }
  const workers = Array.from({ length: Number(process.env.BENCH_WORKERS ?? 2) }, () =>
    spawn(process.execPath, [BIN, 'worker', '--connectors', 'shopify'], {
      env: { ...process.env, TEMPORAL_ADDRESS: server.address, PIPELINE_HOME: home, PIPELINE_NAME_PREFIX: prefix, PIPELINE_SANDBOX: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
    let out = '';
    w.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Worker polling')) resolve();
    });
    w.stderr!.on('data', (d: Buffer) => {
      const line = d.toString();
      if (/per connector, not per credential/.test(line)) process.stderr.write(line);
    });
    w.once('exit', (code) => reject(new Error(`worker exited (${code})`)));
  })));
  return { sandbox, store, home, prefix, workers, ids: shops.map((s) => s.name) };
}

async function tearDown(r: Round): Promise<void> {
  for (const w of r.workers) w.kill('SIGTERM');
  await Promise.all(r.workers.map((w) => new Promise((res) => (w.exitCode === null ? w.once('exit', res) : res(null)))));
  await r.sandbox.close();
  await rm(r.home, { recursive: true, force: true });
}

/** Runs full syncs of `ids` (started together) and returns each one's completion time in ms. */
async function syncAll(r: Round, ids: string[], pageSize: number): Promise<Map<string, number>> {
  r.sandbox.shopify.resetStats(); // per-second counts start now
  const t0 = Date.now();
  const handles = await Promise.all(ids.map((id) => startSync(client, r.store, { connectionId: id, mode: 'full', pageSize, namePrefix: r.prefix })));
  const times = new Map<string, number>();
  await Promise.all(handles.map(async (h, i) => {
    await h.result();
    times.set(ids[i]!, Date.now() - t0);
  }));
  return times;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

/** Requests per second of the whole fleet, over the seconds in which every store was still busy. */
function fleetRate(r: Round): { rate: number; seconds: number; rateLimited: number } {
  const stats = r.sandbox.shopify.stats();
  const series = r.ids.map((id) => stats.byKey[id]!.perSecond);
  // The seconds in which every store was busy, less the first (the server's initial burst and the
  // starts) and the last (partly busy).
  const from = Math.max(...series.map((s) => s.findIndex((n) => n > 0))) + 1;
  const to = Math.min(...series.map((s) => s.findLastIndex((n) => n > 0))) - 1;
  const window = Array.from({ length: Math.max(0, to - from + 1) }, (_, k) => from + k);
  const total = window.reduce((sum, s) => sum + series.reduce((a, ser) => a + (ser[s] ?? 0), 0), 0);
  const rateLimited = r.ids.reduce((a, id) => a + stats.byKey[id]!.rateLimited, 0);
  return { rate: window.length ? total / window.length : 0, seconds: window.length, rateLimited };
}

try {
  // ---- 1. fleet: every store busy for ~20 s (40 pages each at 2/s) ---------------------------
  if (PHASES.has('fleet')) {
    const r = await setUp(Array.from({ length: STORES }, (_, k) => ({ name: `shop-${k + 1}`, orders: FLEET_ORDERS })));
    await syncAll(r, r.ids, PAGE_SIZE);
    const f = fleetRate(r);
    console.log(`tenants fleet stores=${STORES} budget=${STORES * BUDGET}/s achieved=${f.rate.toFixed(1)}/s (${Math.round((100 * f.rate) / (STORES * BUDGET))}% of the allowed aggregate, over ${f.seconds} s with every store busy) 429s=${f.rateLimited}`);
    await tearDown(r);
  }

  // ---- 2. fairness: small stores alone, then beside a 50k-order backfill ----------------------
  if (PHASES.has('fairness')) {
    const small = Array.from({ length: STORES - 1 }, (_, k) => ({ name: `small-${k + 1}`, orders: 1000 }));
    const r = await setUp([{ name: 'big', orders: 50_000 }, ...small]);
    const smallIds = small.map((s) => s.name);
    const alone = [...(await syncAll(r, smallIds, 250)).values()];
    const big = startSync(client, r.store, { connectionId: 'big', mode: 'full', pageSize: 250, namePrefix: r.prefix });
    const bigHandle = await big;
    await new Promise((res) => setTimeout(res, 3_000)); // the backfill is well under way
    const beside = [...(await syncAll(r, smallIds, 250)).values()];
    const bigProgress = await bigHandle.query<{ pages: number }>('progress');
    await bigHandle.cancel();
    await bigHandle.result().catch(() => undefined);
    const rateLimited = r.ids.reduce((a, id) => a + r.sandbox.shopify.stats().byKey[id]!.rateLimited, 0);
    console.log(
      `tenants fairness small=${smallIds.length}x1k big=50k: small stores alone p50=${(pct(alone, 50) / 1000).toFixed(2)}s p95=${(pct(alone, 95) / 1000).toFixed(2)}s; ` +
        `beside the backfill p50=${(pct(beside, 50) / 1000).toFixed(2)}s p95=${(pct(beside, 95) / 1000).toFixed(2)}s; p95 ratio=${(pct(beside, 95) / pct(alone, 95)).toFixed(2)} ` +
        `(the backfill had landed ${bigProgress.pages} pages meanwhile) 429s=${rateLimited}`,
    );
    await tearDown(r);
  }

  // ---- 3. ceiling: more stores until the engine is the limit --------------------------------
  let best = 0;
  for (const n of PHASES.has('ceiling') ? CEILING_STEPS : []) {
    const r = await setUp(Array.from({ length: n }, (_, k) => ({ name: `s${n}-${k + 1}`, orders: FLEET_ORDERS })));
    const t0 = Date.now();
    await syncAll(r, r.ids, PAGE_SIZE);
    const f = fleetRate(r);
    const demand = n * BUDGET;
    best = Math.max(best, f.rate);
    console.log(`tenants ceiling stores=${n} demand=${demand}/s achieved=${f.rate.toFixed(1)} pages/s (${Math.round((100 * f.rate) / demand)}% of the budgets) 429s=${f.rateLimited} wall=${((Date.now() - t0) / 1000).toFixed(1)}s`);
    await tearDown(r);
    if (f.rate < 0.9 * demand * 0.95) {
      console.log(`tenants ceiling: the engine, not the stores' budgets, limits at ~${best.toFixed(0)} pages/s on this machine (2 worker processes, dev server, sandbox on ${(await import('node:os')).cpus().length} cores)`);
      break;
    }
  }
} finally {
  await client.connection.close();
  await server.stop();
}
