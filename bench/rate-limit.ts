// Pulling at a provider's rate limit: the sandbox enforces N requests per second (429 + Retry-After
// past it) and the connector's policy is set to the same N. Through Temporal, the server-side task
// queue limit should keep the sync at >= 95% of N with zero 429s (DESIGN.md §8).
// Also run with the policy at 2N to show what happens when the policy does not match the provider.
//
//   npm run bench:rate -- [--rps 5] [--pages 60]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { FileConnectionStore } from '../src/connections/file-store.js';
import { startSandbox } from '../src/sandbox/index.js';
import { JsonlSink } from '../src/sinks/jsonl.js';
import { startSync } from '../src/temporal/client.js';
import { startDevServer } from '../src/temporal/dev-server.js';
import { createPipelineWorker, RATE_HEADROOM } from '../src/temporal/worker.js';

const { values: args } = parseArgs({ options: { rps: { type: 'string', default: '5' }, pages: { type: 'string', default: '60' } } });
const RPS = Number(args.rps);
const PAGES = Number(args.pages);
const PAGE_SIZE = 100;
process.env.PIPELINE_SANDBOX = '1';
Runtime.install({ logger: new DefaultLogger('ERROR') });

const server = await startDevServer({ headless: true });
const home = await mkdtemp(join(tmpdir(), 'pipeline-rate-'));
// Stripe's emulator: a token bucket at RPS, answering 429 + Retry-After past it.
const sandbox = await startSandbox({ sizes: { orders: 0, charges: PAGES * PAGE_SIZE, members: 0 }, rateLimit: { requestsPerSecond: RPS } });
const store = new FileConnectionStore(join(home, 'connections.json'));
process.env.RATE_STRIPE_KEY = sandbox.credentials.stripe.secretKey;
await store.put({ id: 'pay', connectorId: 'stripe', baseUrlOverride: sandbox.stripe.url, config: { secretKey: 'env:RATE_STRIPE_KEY' } });
const client = new Client({ connection: await Connection.connect({ address: server.address }) });
const nativeConnection = await NativeConnection.connect({ address: server.address });

try {
  for (const policyRps of (process.env.RATE_POLICIES ?? `${RPS},${RPS * 2}`).split(",").map(Number)) {
    const worker = await createPipelineWorker({
      connection: nativeConnection, namespace: 'default', store, sink: new JsonlSink(join(home, `data-${policyRps}`)), connectors: ['stripe'],
      policyOverrides: { stripe: { rate: { requestsPerSecond: policyRps, concurrency: 5 } } },
    });
    sandbox.stripe.resetStats();
    const started = Date.now();
    const result = await worker.runUntil(async () => (await startSync(client, store, { connectionId: 'pay', mode: 'full', pageSize: PAGE_SIZE })).result());
    const seconds = (Date.now() - started) / 1000;
    const stats = sandbox.stripe.stats();
    if (process.env.RATE_DEBUG) console.log(sandbox.stripe.requests.filter((r) => r.path === '/v1/charges').map((r) => `${Date.parse(r.at) - started}:${r.status}`).join(' '));
    // Useful work only: pages that landed per second, against what the provider allows.
    const pagesPerSec = result.pages / seconds;
    const when429 = sandbox.stripe.requests.filter((r) => r.status === 429).map((r) => `${((Date.parse(r.at) - started) / 1000).toFixed(1)}s`);
    console.log(
      `rate stripe provider=${RPS}/s policy=${policyRps}/s (queue limit ${(policyRps * RATE_HEADROOM).toFixed(2)}/s) pages=${result.pages} seconds=${seconds.toFixed(1)} ` +
        `landed=${pagesPerSec.toFixed(2)} pages/s (${Math.round((100 * pagesPerSec) / RPS)}% of the provider limit) 429s=${stats.byStatus[429] ?? 0}${when429.length ? ` at ${when429.slice(0, 6).join(',')}${when429.length > 6 ? ',…' : ''}` : ''} records=${result.storedRecords}`,
    );
  }
} finally {
  await nativeConnection.close();
  await client.connection.close();
  await sandbox.close();
  await server.stop();
  await rm(home, { recursive: true, force: true });
}
