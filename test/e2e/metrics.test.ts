// `pipeline worker --metrics-port 0` as an operator runs it: the real binary, its one Prometheus
// endpoint (printed on stderr) serving the Temporal SDK's runtime metrics and the engine's counters.
// A Stripe sync with a forced 429, then a pipeline to the Segment emulator with some records
// refused: the scrape holds the records and pages the sync reported, the answers, the 429, at least
// one temporal_ series, and the ledger outcomes the pipeline reported. No secret in the scrape.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startDestinations, type Destinations } from '../../src/sandbox/destinations/index.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { runCli, startCli, type RunningCli } from '../helpers/cli.js';
import { temporalTestContext, type TemporalTestContext } from '../helpers/temporal.js';

let ctx: TemporalTestContext;
let sandbox: Sandbox;
let dest: Destinations;
let worker: RunningCli | undefined;
let metricsUrl: string;
const N = 150;
const secrets: Record<string, string> = {};
const cli = (args: string[]) => runCli(ctx, args, { PIPELINE_SANDBOX: '1' });

beforeAll(async () => {
  ctx = await temporalTestContext();
  sandbox = await startSandbox({ seed: 13, sizes: { orders: 1, charges: N, members: 1 } });
  dest = await startDestinations();
  secrets.MET_STRIPE_KEY = sandbox.credentials.stripe.secretKey;
  secrets.MET_SEGMENT_KEY = dest.credentials.segment.writeKey;
  await ctx.store.add({ id: 'met-stripe', connectorId: 'stripe', baseUrlOverride: sandbox.stripe.url, config: { secretKey: 'env:MET_STRIPE_KEY' } });
  await ctx.store.add({ id: 'met-cdp', connectorId: 'segment', baseUrlOverride: dest.urls.segment, config: { writeKey: 'env:MET_SEGMENT_KEY' } });
  worker = startCli(ctx, ['worker', '--connectors', 'stripe,segment', '--metrics-port', '0'], {
    ...secrets,
    PIPELINE_SANDBOX: '1',
    // Retries within a second (the forced 429's Retry-After is clamped to it), no rate to wait on.
    PIPELINE_POLICY_OVERRIDES: JSON.stringify({ '*': { retry: { initialIntervalMs: 50, maximumIntervalMs: 300 }, rate: { requestsPerSecond: 1000 } } }),
  });
  await worker.waitFor(/Worker polling/, 60_000);
  const printed = /Metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(worker.stderr());
  if (!printed) throw new Error(`the worker printed no metrics URL:\n${worker.stderr()}`);
  metricsUrl = printed[1]!;
});

afterAll(async () => {
  await worker?.stop();
  await dest?.close();
  await sandbox?.close();
  await ctx?.close();
});

/** One scrape, as series text → value. */
async function scrape(): Promise<{ text: string; value(series: string): number | undefined }> {
  const res = await fetch(metricsUrl);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\S+\{[^}]*\}|\S+) (\S+)$/.exec(line);
    if (m && !line.startsWith('#')) values.set(m[1]!, Number(m[2]));
  }
  return { text, value: (series) => values.get(series) };
}

test('after a sync with a forced 429: records and pages as the sync reported, ok answers, the 429, the SDK series', async () => {
  sandbox.stripe.faults.set({ rateLimitStorm: 1 });
  const sync = await cli(['sync', 'met-stripe', '--page-size', '20', '--json']);
  expect(sync.code, sync.stderr).toBe(0);
  const result = JSON.parse(sync.stdout) as { records: number; pages: number };
  expect(result.records).toBe(N);

  const s = await scrape();
  const conn = 'connector="stripe",connection="met-stripe"';
  expect(s.value(`pipeline_records_written_total{${conn},stream="charges"}`)).toBe(N);
  expect(s.value(`pipeline_pages_written_total{${conn},stream="charges"}`)).toBe(result.pages);
  expect(s.value(`pipeline_provider_answers_total{${conn},code="ok"}`)).toBeGreaterThanOrEqual(result.pages);
  expect(s.value(`pipeline_provider_answers_total{${conn},code="rate_limited"}`)).toBe(1);
  expect(s.value(`pipeline_provider_rate_limited_total{${conn}}`)).toBe(1);
  // The SDK's own runtime metrics, from its exporter, in the same scrape.
  expect(s.text).toMatch(/^temporal_\w+\{[^}]*\} \S+$/m);
  expect(s.text).toMatch(/^temporal_activity_execution_latency_count\{[^}]*activity_type="pullPage"[^}]*\} \d+/m);
  expect(s.text).not.toMatch(/Temporal SDK metrics unavailable/);
});

test('after a pipeline run: the ledger outcomes, delivered and dead, as the run reported them', async () => {
  const files = await mkdtemp(join(tmpdir(), 'pipeline-metrics-'));
  await writeFile(join(files, 'charges.jsonata'), '{"type": "track", "event": "Charge", "userId": id, "properties": {"amount": amount}}');
  // Segment refuses a batch holding a refused event; the engine splits it down to the refused ones, which go dead.
  dest.segment.faults.set({ rejectItems: (item) => Number((item as { properties?: { amount?: number } }).properties?.amount) % 4 === 0 });
  const created = await cli(['pipelines', 'create', 'met-charges', '--from', 'met-stripe:charges', '--to', 'met-cdp', '--map', join(files, 'charges.jsonata'), '--stored']);
  expect(created.code, created.stderr).toBe(0);
  const run = await cli(['pipelines', 'run', 'met-charges', '--json']);
  expect(run.code, run.stderr).toBe(0);
  const outcome = JSON.parse(run.stdout) as { delivered: number; dead: number };
  expect(outcome.dead).toBeGreaterThan(0);
  expect(outcome.delivered).toBeGreaterThan(0);
  expect(outcome.delivered + outcome.dead).toBe(N);
  const status = JSON.parse((await cli(['pipelines', 'status', 'met-charges', '--json'])).stdout) as { ledger: { delivered: number; dead: number } };
  expect(status.ledger).toMatchObject({ delivered: outcome.delivered, dead: outcome.dead });

  const s = await scrape();
  expect(s.value('pipeline_deliveries_total{pipeline="met-charges",state="delivered"}')).toBe(outcome.delivered);
  expect(s.value('pipeline_deliveries_total{pipeline="met-charges",state="dead"}')).toBe(outcome.dead);
  // The refused batches: answers bad_request from Segment, counted per call.
  expect(s.value('pipeline_provider_answers_total{connector="segment",connection="met-cdp",code="bad_request"}')).toBeGreaterThan(0);
  for (const secret of Object.values(secrets)) expect(s.text).not.toContain(secret);
});
