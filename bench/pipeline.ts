// Pipeline throughput (issue: pipelines): records per second from the Stripe sandbox to the Segment
// batch emulator, through the pipeline workflow (Temporal, the delivery ledger, staging) against a
// plain loop with the same executors and the same mapping (pull a page, map it, send one batch, next
// page: the code a user would write without the engine), in one run, at 0 and 50 ms per request.
//
//   npm run bench:pipeline -- [--records 10000] [--latencies 0,50] [--page-size 100]
//
// The Stripe sandbox runs in a process of its own (rendering pages must not compete with the engine
// for this process's event loop); the Segment emulator runs here, for both contenders alike. Neither
// provider limits the rate: the comparison is of what the engine adds, not of a provider's budget.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { FileConnectionStore } from '../src/connections/file-store.js';
import { getExecutor } from '../src/executors/index.js';
import { compileExpression, evaluate, type CompiledExpression } from '../src/pipelines/mapping.js';
import { deliveryKey, recordVersion } from '../src/pipelines/versions.js';
import { startSegmentEmulator } from '../src/sandbox/destinations/index.js';
import { JsonlSink } from '../src/sinks/jsonl.js';
import { startDevServer } from '../src/temporal/dev-server.js';
import { startPipelineRun } from '../src/temporal/pipeline-client.js';
import { createPipelineWorker } from '../src/temporal/worker.js';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '10000' },
    latencies: { type: 'string', default: '0,50' },
    'page-size': { type: 'string', default: '100' },
  },
});
const RECORDS = Number(args.records);
const PAGE_SIZE = Number(args['page-size']);
const LATENCIES = args.latencies.split(',').map(Number);
const MAPPING = '{"type": "track", "event": "Charge " & status, "userId": customer ? customer : undefined, "anonymousId": customer ? undefined : id, "properties": {"amount": amount, "currency": currency, "refunded": amount_refunded}}';
process.env.PIPELINE_SANDBOX = '1';
Runtime.install({ logger: new DefaultLogger('ERROR') });

const server = await startDevServer({ headless: true });
const client = new Client({ connection: await Connection.connect({ address: server.address }) });
const nativeConnection = await NativeConnection.connect({ address: server.address });

async function startStripe(latency: number): Promise<{ child: ChildProcess; url: string; secretKey: string }> {
  const tenants = { stripe: [{ name: 'acct', charges: RECORDS, mode: 'live', requestsPerSecond: null }] };
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../src/sandbox/main.ts', import.meta.url)), '--seed', '93', '--latency', String(latency), '--tenants', JSON.stringify(tenants), '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`sandbox exited (${code})`)));
  });
  const info = JSON.parse(line) as { stripe: { url: string }; tenants: { stripe: Record<string, { secretKey: string }> } };
  return { child, url: info.stripe.url, secretKey: info.tenants.stripe.acct!.secretKey };
}

/** The plain loop: what a user writes without the engine. Same executors, same mapping, same keys. */
async function plainLoop(stripe: { url: string; secretKey: string }, segmentUrl: string, writeKey: string): Promise<number> {
  const pull = getExecutor('stripe').pull!;
  const sendBatch = getExecutor('segment').sendBatch!;
  const mapping = compileExpression(MAPPING, 'mapping') as CompiledExpression;
  const until = new Date().toISOString();
  let cursor: string | null = null;
  let delivered = 0;
  do {
    const page = await pull({ secretKey: stripe.secretKey }, { stream: 'charges', cursor, since: null, until, pageSize: PAGE_SIZE }, { baseUrlOverride: stripe.url, timeoutMs: 30_000 });
    if (!page.ok || !page.body) throw new Error(`pull failed: ${page.error?.message}`);
    const messages: unknown[] = [];
    const keys: string[] = [];
    for (const r of page.body.records) {
      const m = await evaluate(mapping, r.data, { recordId: r.id, updatedAt: r.updatedAt, connectionId: 'src', stream: 'charges' });
      if (!m.ok) continue;
      messages.push(m.value);
      keys.push(deliveryKey('plain', r.id, recordVersion(r.updatedAt, r.data)));
    }
    if (messages.length) {
      const sent = await sendBatch({ writeKey }, messages, { baseUrlOverride: segmentUrl, timeoutMs: 30_000, idempotencyKeys: keys });
      if (!sent.ok) throw new Error(`send failed: ${sent.error?.message}`);
      delivered += sent.body!.items.filter((i) => i.ok).length;
    }
    cursor = page.body.nextCursor;
  } while (cursor);
  return delivered;
}

/** CPU seconds (user + system) of a process, from /proc (Linux); null elsewhere. */
function cpuSecondsOf(pid: number | null): number | null {
  if (!pid) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (100/s)
  } catch {
    return null;
  }
}

function cpuNow(stripePid: number | undefined) {
  const own = process.cpuUsage();
  return { engine: (own.user + own.system) / 1e6, server: cpuSecondsOf(server.pid), stripe: cpuSecondsOf(stripePid ?? null) };
}

function cpuSince(before: ReturnType<typeof cpuNow>, stripePid: number | undefined): string {
  const now = cpuNow(stripePid);
  const d = (a: number | null, b: number | null) => (a === null || b === null ? '?' : (a - b).toFixed(1));
  return `cpu: this process ${d(now.engine, before.engine)} s, temporal server ${d(now.server, before.server)} s, stripe sandbox ${d(now.stripe, before.stripe)} s`;
}

interface Row {
  latency: number;
  contender: string;
  records: number;
  seconds: number;
}

const rows: Row[] = [];
try {
  for (const latency of LATENCIES) {
    const stripe = await startStripe(latency);
    const segment = await startSegmentEmulator({ faults: { latencyMs: latency } });
    try {
      // The plain loop.
      let started = Date.now();
      let cpu = cpuNow(stripe.child.pid);
      const plain = await plainLoop(stripe, segment.url, segment.writeKey);
      rows.push({ latency, contender: 'plain loop', records: plain, seconds: (Date.now() - started) / 1000 });
      console.log(`pipeline-bench latency=${latency}ms plain-loop records=${plain} seconds=${rows.at(-1)!.seconds.toFixed(2)} records/s=${Math.round(plain / rows.at(-1)!.seconds)} ${cpuSince(cpu, stripe.child.pid)}`);

      // The pipeline workflow.
      const home = await mkdtemp(join(tmpdir(), 'pipeline-bench-'));
      const prefix = `plb-${latency}-`;
      const store = new FileConnectionStore(join(home, 'connections.json'));
      process.env.PLB_STRIPE = stripe.secretKey;
      process.env.PLB_SEGMENT = segment.writeKey;
      await store.add({ id: 'src', connectorId: 'stripe', baseUrlOverride: stripe.url, config: { secretKey: 'env:PLB_STRIPE' } });
      await store.add({ id: 'dst', connectorId: 'segment', baseUrlOverride: segment.url, config: { writeKey: 'env:PLB_SEGMENT' } });
      await store.pipelines.add({ id: 'bench', source: { connectionId: 'src', stream: 'charges', from: 'pull' }, mapping: MAPPING, destination: { connectionId: 'dst' }, batchSize: PAGE_SIZE, pageSize: PAGE_SIZE });
      const worker = await createPipelineWorker({
        connection: nativeConnection,
        namespace: 'default',
        store,
        sink: new JsonlSink(join(home, 'data')),
        namePrefix: prefix,
        connectors: ['stripe', 'segment'],
        // Neither provider's budget is the bottleneck here (see the header).
        policyOverrides: { stripe: { rate: { requestsPerSecond: 1000 } }, segment: { rate: { requestsPerSecond: 1000 } } },
      });
      started = Date.now();
      cpu = cpuNow(stripe.child.pid);
      const result = await worker.runUntil(async () => (await startPipelineRun(client, store, { pipelineId: 'bench', namePrefix: prefix })).result());
      const seconds = (Date.now() - started) / 1000;
      rows.push({ latency, contender: 'pipeline workflow', records: result.delivered, seconds });
      console.log(
        `pipeline-bench latency=${latency}ms pipeline records=${result.delivered} seconds=${seconds.toFixed(2)} records/s=${Math.round(result.delivered / seconds)} ` +
          `requests=${result.requests} dead=${result.dead} ratio=${(result.delivered / seconds / (plain / rows.at(-2)!.seconds)).toFixed(2)} ${cpuSince(cpu, stripe.child.pid)}`,
      );
      await rm(home, { recursive: true, force: true });
    } finally {
      stripe.child.kill('SIGTERM');
      await segment.close();
    }
  }
} finally {
  await nativeConnection.close();
  await client.connection.close();
  await server.stop();
}

console.log('\nlatency  contender           records  seconds  records/s  vs plain loop');
for (const latency of LATENCIES) {
  const plain = rows.find((r) => r.latency === latency && r.contender === 'plain loop');
  for (const r of rows.filter((x) => x.latency === latency)) {
    const rate = r.records / r.seconds;
    const ratio = plain ? rate / (plain.records / plain.seconds) : NaN;
    console.log(`${String(latency).padStart(4)} ms  ${r.contender.padEnd(18)}  ${String(r.records).padStart(7)}  ${r.seconds.toFixed(2).padStart(7)}  ${String(Math.round(rate)).padStart(9)}  ${ratio.toFixed(2)}`);
  }
}
