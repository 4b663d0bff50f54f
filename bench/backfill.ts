// First syncs of a large account, sequential cursor against sliced, in one run (issue: fast first
// syncs). 100k records per source, 100 ms per request, through Temporal with an in-process worker:
//
//   Stripe    at the documented limit per account and endpoint (25 requests/s,
//             https://docs.stripe.com/rate-limits), and at 100 requests/s (the live-mode global figure)
//   Mailchimp at 10 simultaneous connections per API key
//
// For each: wall time, records/s, the achieved request rate as a share of the limit, 429s, and the
// worker's resident memory.
//
//   npm run bench:backfill -- [--records 100000] [--latency 100] [--page-size 100]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { FileConnectionStore } from '../src/connections/file-store.js';
import { JsonlSink } from '../src/sinks/jsonl.js';
import { startSync } from '../src/temporal/client.js';
import { startDevServer } from '../src/temporal/dev-server.js';
import { createPipelineWorker, RATE_HEADROOM } from '../src/temporal/worker.js';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '100000' },
    latency: { type: 'string', default: '100' },
    'page-size': { type: 'string', default: '100' },
    only: { type: 'string', default: 'stripe25,stripe100,mailchimp' },
  },
});
const RECORDS = Number(args.records);
const LATENCY = Number(args.latency);
const PAGE_SIZE = Number(args['page-size']);
process.env.PIPELINE_SANDBOX = '1';
Runtime.install({ logger: new DefaultLogger('ERROR') });

interface Case {
  name: string;
  connectorId: 'stripe' | 'mailchimp';
  /** The provider's limit, for the share: requests/s, or calls in flight (Mailchimp). */
  limit: { kind: 'rate'; perSecond: number } | { kind: 'concurrency'; calls: number };
  /** The policy's per-key rate (stripe) for this case. */
  rps?: number;
}

const CASES: Case[] = [
  { name: 'stripe25', connectorId: 'stripe', limit: { kind: 'rate', perSecond: 25 }, rps: 25 },
  { name: 'stripe100', connectorId: 'stripe', limit: { kind: 'rate', perSecond: 100 }, rps: 100 },
  { name: 'mailchimp', connectorId: 'mailchimp', limit: { kind: 'concurrency', calls: 10 } },
].filter((c) => args.only.split(',').includes(c.name)) as Case[];

const server = await startDevServer({ headless: true });
const client = new Client({ connection: await Connection.connect({ address: server.address }) });
const nativeConnection = await NativeConnection.connect({ address: server.address });

interface SandboxProcess {
  child: ChildProcess;
  url: string;
  tenants: { stripe: Record<string, { secretKey: string }>; mailchimp: Record<string, { apiKey: string; listId: string }> };
  stats(): Promise<{ requests: number; byStatus: Record<string, number>; byKey: Record<string, { maxInFlight: number }> }>;
}

/**
 * The provider runs in a process of its own, as a real one runs elsewhere: rendering 100k records
 * must not compete with the engine for the worker's event loop.
 */
async function startSandboxProcess(c: Case): Promise<SandboxProcess> {
  const tenants = c.connectorId === 'stripe'
    ? { stripe: [{ name: 'acct', charges: RECORDS, mode: 'live', requestsPerSecond: c.limit.kind === 'rate' ? c.limit.perSecond : null }] }
    : { mailchimp: [{ name: 'key', members: RECORDS, maxConnections: 10 }] };
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../src/sandbox/main.ts', import.meta.url)), '--seed', '91', '--latency', String(LATENCY), '--tenants', JSON.stringify(tenants), '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`sandbox exited (${code})`)));
  });
  const info = JSON.parse(line) as { stripe: { url: string }; mailchimp: { url: string }; tenants: SandboxProcess['tenants'] };
  const url = c.connectorId === 'stripe' ? info.stripe.url : info.mailchimp.url;
  return {
    child,
    url,
    tenants: info.tenants,
    stats: async () => (await (await fetch(`${url}/_sandbox/stats`)).json()) as Awaited<ReturnType<SandboxProcess['stats']>>,
  };
}

async function runCase(c: Case, mode: 'sequential' | 'sliced'): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'pipeline-backfill-'));
  const prefix = `bf-${c.name}-${mode}-`;
  const sandbox = await startSandboxProcess(c);
  const store = new FileConnectionStore(join(home, 'connections.json'));
  if (c.connectorId === 'stripe') {
    process.env.BF_STRIPE_KEY = sandbox.tenants.stripe.acct!.secretKey;
    await store.add({ id: 'src', connectorId: 'stripe', baseUrlOverride: sandbox.url, config: { secretKey: 'env:BF_STRIPE_KEY' } });
  } else {
    const creds = sandbox.tenants.mailchimp.key!;
    process.env.BF_MC_KEY = creds.apiKey;
    await store.add({ id: 'src', connectorId: 'mailchimp', baseUrlOverride: sandbox.url, config: { apiKey: 'env:BF_MC_KEY', listId: creds.listId, maxConnections: 10 } });
  }
  const worker = await createPipelineWorker({
    connection: nativeConnection,
    namespace: 'default',
    store,
    sink: new JsonlSink(join(home, 'data')),
    namePrefix: prefix,
    connectors: [c.connectorId],
    ...(process.env.BENCH_RATE_MODE ? { rateMode: process.env.BENCH_RATE_MODE as 'per-key' | 'per-connector' } : {}),
    ...(c.rps ? { policyOverrides: { stripe: { rate: { requestsPerSecond: c.rps } } } } : {}),
  });
  let rssPeak = 0;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 250);
  const started = Date.now();
  const result = await worker.runUntil(async () =>
    (await startSync(client, store, { connectionId: 'src', mode: 'full', pageSize: PAGE_SIZE, namePrefix: prefix, ...(mode === 'sequential' ? { sequential: true } : {}) })).result(),
  );
  const seconds = (Date.now() - started) / 1000;
  clearInterval(sampler);
  const stats = await sandbox.stats();
  const requests = stats.requests;
  const rate = requests / seconds;
  const share = c.limit.kind === 'rate'
    ? `${Math.round((100 * rate) / (c.limit.perSecond * RATE_HEADROOM))}% of the ${c.limit.perSecond}/s limit (policy ${(c.limit.perSecond * RATE_HEADROOM).toFixed(2)}/s)`
    : `${Math.round((100 * rate) / (c.limit.calls * (1000 / (LATENCY + 10))))}% of what ${c.limit.calls} calls in flight at ${LATENCY} ms allow; most in flight ${stats.byKey.key?.maxInFlight ?? '?'}`;
  console.log(
    `backfill ${c.name} ${mode.padEnd(10)} records=${result.storedRecords} slices=${result.slices} seconds=${seconds.toFixed(1)} ` +
      `records/s=${Math.round(result.storedRecords / seconds)} requests=${requests} rate=${rate.toFixed(1)}/s (${share}) ` +
      `429s=${stats.byStatus[429] ?? 0} rss=${Math.round(rssPeak / 1048576)}MB`,
  );
  sandbox.child.kill('SIGTERM');
  await rm(home, { recursive: true, force: true });
  return void seconds;
}

try {
  for (const c of CASES) {
    for (const mode of (process.env.BENCH_MODES ?? 'sequential,sliced').split(',') as ('sequential' | 'sliced')[]) await runCase(c, mode);
  }
} finally {
  await nativeConnection.close();
  await client.connection.close();
  await server.stop();
}
