// Pull throughput: a full sync of each source through Temporal, against a plain loop calling the same
// executor and the same sink without Temporal, in the same run, on the sandbox without rate limit,
// with no added latency and with 100 ms per request (a realistic provider).
//
// Prints per (source, latency): both rates, their ratio, the Temporal overhead per page, the worker's
// peak RSS and the history length per workflow run. Not part of `npm test`.
//
//   npm run bench -- [--records 10000] [--latencies 0,100] [--sources shopify,stripe,mailchimp]
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { FileConnectionStore } from '../src/connections/file-store.js';
import { resolveSecrets } from '../src/connections/secrets.js';
import { getExecutor } from '../src/executors/index.js';
import { getConnector } from '../src/registry/index.js';
import { startSandbox, type Emulator } from '../src/sandbox/index.js';
import { JsonlSink } from '../src/sinks/jsonl.js';
import { startDevServer } from '../src/temporal/dev-server.js';
import { startSync } from '../src/temporal/client.js';
import { workflowTaskQueue } from '../src/temporal/task-queues.js';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '10000' },
    latencies: { type: 'string', default: '0,100' },
    sources: { type: 'string', default: 'shopify,stripe,mailchimp' },
  },
});
const RECORDS = Number(args.records);
const LATENCIES = args.latencies!.split(',').map(Number);
const SOURCES = args.sources!.split(',') as ('shopify' | 'stripe' | 'mailchimp')[];
const STREAM = { shopify: 'orders', stripe: 'charges', mailchimp: 'members' } as const;

process.env.PIPELINE_SANDBOX = '1';

/** Peak (VmHWM) and current (VmRSS) resident memory of a process, in MB (Linux). */
async function rssMb(pid: number): Promise<{ peak: number; now: number }> {
  const s = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(s)?.[1] ?? 0);
  return { peak: Math.round(kb('VmHWM') / 1024), now: Math.round(kb('VmRSS') / 1024) };
}

async function main() {
  const home = await mkdtemp(join(tmpdir(), 'pipeline-bench-'));
  const server = await startDevServer({ headless: true });
  const sandbox = await startSandbox({ seed: 3, sizes: { orders: RECORDS, charges: RECORDS, members: RECORDS } });
  const emulators: Record<string, Emulator> = { shopify: sandbox.shopify, stripe: sandbox.stripe, mailchimp: sandbox.mailchimp };
  const store = new FileConnectionStore(join(home, 'connections.json'));
  process.env.BENCH_SHOP_TOKEN = sandbox.credentials.shopify.accessToken;
  process.env.BENCH_STRIPE_KEY = sandbox.credentials.stripe.secretKey;
  process.env.BENCH_MC_KEY = sandbox.credentials.mailchimp.apiKey;
  // One connection per (source, latency): each phase starts from an empty file on both paths.
  for (const latencyMs of LATENCIES) {
    await store.put({ id: `shopify-${latencyMs}`, connectorId: 'shopify', baseUrlOverride: sandbox.shopify.url, config: { shopDomain: sandbox.credentials.shopify.shopDomain, accessToken: 'env:BENCH_SHOP_TOKEN' } });
    await store.put({ id: `stripe-${latencyMs}`, connectorId: 'stripe', baseUrlOverride: sandbox.stripe.url, config: { secretKey: 'env:BENCH_STRIPE_KEY' } });
    await store.put({ id: `mailchimp-${latencyMs}`, connectorId: 'mailchimp', baseUrlOverride: sandbox.mailchimp.url, config: { apiKey: 'env:BENCH_MC_KEY', listId: sandbox.credentials.mailchimp.listId } });
  }

  // The worker runs as its own process, as in production, so that its memory is measured alone.
  // No rate limit: the benchmark measures the engine, not a provider's quota.
  const overrides = { '*': { rate: { requestsPerSecond: 100_000, concurrency: 50 } } };
  const worker = spawn(process.execPath, [fileURLToPath(new URL('../bin/pipeline.mjs', import.meta.url)), 'worker', '--connectors', SOURCES.join(',')], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: server.address,
      PIPELINE_CONNECTIONS_FILE: store.path,
      PIPELINE_DATA_DIR: join(home, 'temporal-data'),
      PIPELINE_POLICY_OVERRIDES: JSON.stringify(overrides),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  // Wait until the worker polls.
  for (;;) {
    const res = await client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: workflowTaskQueue() }, taskQueueType: 1 });
    if ((res.pollers ?? []).length > 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }

  const rows: Record<string, unknown>[] = [];
  try {
    for (const latencyMs of LATENCIES) {
      for (const source of SOURCES) {
        emulators[source]!.faults.set({ latencyMs });
        const stream = STREAM[source];
        const connectionId = `${source}-${latencyMs}`;
        const pageSize = getConnector(source).policy.pull!.defaultPageSize;

        // Plain loop: the same executor calls and the same sink, no Temporal.
        const plainSink = new JsonlSink(join(home, 'plain-data'));
        const record = (await store.get(connectionId))!;
        const config = await resolveSecrets(record);
        const executor = getExecutor(source);
        const until = new Date().toISOString();
        let cursor: string | null = null;
        let plainRecords = 0;
        let plainPages = 0;
        const t0 = performance.now();
        do {
          const res = await executor.pull!(config, { stream, cursor, since: null, until, pageSize }, { baseUrlOverride: record.baseUrlOverride! });
          if (!res.ok || !res.body) throw new Error(`plain loop failed: ${res.error?.message}`);
          await plainSink.writePage({ connectionId, stream }, res.body.records);
          plainRecords += res.body.records.length;
          plainPages++;
          cursor = res.body.nextCursor;
        } while (cursor);
        await plainSink.finishRun({ connectionId, stream });
        const plainMs = performance.now() - t0;

        // Through Temporal: workflow + one activity per page on the connector's queue.
        const t1 = performance.now();
        const handle = await startSync(client, store, { connectionId, stream, mode: 'full' });
        const result = await handle.result();
        const temporalMs = performance.now() - t1;
        const runs: number[] = [];
        for await (const wf of client.workflow.list({ query: `WorkflowId = '${handle.workflowId}' AND StartTime >= '${new Date(Date.now() - temporalMs - 5_000).toISOString()}'` })) {
          runs.push(wf.historyLength);
        }

        const plainRate = plainRecords / (plainMs / 1000);
        const temporalRate = result.records / (temporalMs / 1000);
        const row = {
          source,
          latencyMs,
          records: result.records,
          pages: result.pages,
          plainRecordsPerSec: Math.round(plainRate),
          temporalRecordsPerSec: Math.round(temporalRate),
          ratio: Number((temporalRate / plainRate).toFixed(3)),
          overheadPerPageMs: Number(((temporalMs - plainMs) / result.pages).toFixed(2)),
          historyEventsPerRun: Math.max(...runs, 0),
          workflowRuns: runs.length,
          workerPeakRssMb: 0,
          workerRssMb: 0,
        };
        const rss = await rssMb(worker.pid!);
        row.workerPeakRssMb = rss.peak;
        row.workerRssMb = rss.now;
        rows.push(row);
        console.log(
          `pull ${source.padEnd(9)} latency=${String(latencyMs).padStart(3)}ms records=${row.records} pages=${row.pages} ` +
            `plain=${row.plainRecordsPerSec}/s temporal=${row.temporalRecordsPerSec}/s ratio=${row.ratio} ` +
            `overhead/page=${row.overheadPerPageMs}ms history/run<=${row.historyEventsPerRun} events (${row.workflowRuns} runs) ` +
            `worker_rss=${row.workerRssMb}MB (peak ${row.workerPeakRssMb}MB)`,
        );
      }
    }
  } finally {
    worker.kill('SIGTERM');
    await connection.close();
    await sandbox.close();
    await server.stop();
    await rm(home, { recursive: true, force: true });
  }
  const outDir = fileURLToPath(new URL('./results/', import.meta.url));
  await mkdir(outDir, { recursive: true });
  const file = join(outDir, `pull-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(file, JSON.stringify({ records: RECORDS, rows }, null, 2));
  console.log(`figures saved to ${file}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
