// The activities count at their shared call sites: pullPage (pages, records, answers), a 429 from
// the provider, the circuit breaker opening, failing fast, half-opening and closing, and a
// credential check. Against the in-process Stripe sandbox, outside a worker (no activity context).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import { createActivities } from '../../../activities/index.js';
import { FileConnectionStore } from '../../../src/connections/file-store.js';
import { PromEngineMetrics, SERIES } from '../../../src/metrics/registry.js';
import { CircuitBreakers } from '../../../src/policies/circuit-breaker.js';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { JsonlSink } from '../../../src/sinks/jsonl.js';

let sandbox: Sandbox;
let home: string;
let store: FileConnectionStore;
let sink: JsonlSink;
let metrics: PromEngineMetrics;
let now = 1_000_000;
let breakers: CircuitBreakers;
const labels = { connector: 'stripe', connection: 'm-stripe' };

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 7, sizes: { orders: 1, charges: 30, members: 1 } });
  home = await mkdtemp(join(tmpdir(), 'pipeline-metrics-'));
  store = new FileConnectionStore(join(home, 'connections.json'));
  sink = new JsonlSink(join(home, 'data'));
  await store.add({ id: 'm-stripe', connectorId: 'stripe', baseUrlOverride: sandbox.stripe.url, config: { secretKey: 'env:M_STRIPE_KEY' } });
});

afterAll(async () => {
  await sandbox?.close();
  await rm(home, { recursive: true, force: true });
});

beforeEach(() => {
  sandbox.stripe.faults.set({});
  metrics = new PromEngineMetrics();
  breakers = new CircuitBreakers(() => now);
});

function activities() {
  return createActivities({
    store,
    sink,
    env: { M_STRIPE_KEY: sandbox.credentials.stripe.secretKey },
    metrics,
    breakers,
    policyOverrides: { stripe: { circuit: { failureThreshold: 2, openMs: 10_000 } } },
  });
}

async function value(name: string, l: Record<string, string>): Promise<number | undefined> {
  const metric = await metrics.registry.getSingleMetric(name)?.get();
  return metric?.values.find((v) => Object.entries(l).every(([k, val]) => v.labels[k] === val) && Object.keys(v.labels).length === Object.keys(l).length)?.value;
}

const page = (cursor: string | null) => ({ connectionId: 'm-stripe', stream: 'charges', cursor, since: null, until: null, pageSize: 20 });

async function failureType(p: Promise<unknown>): Promise<string | undefined> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  return (err as ApplicationFailure).type ?? undefined;
}

test('pullPage counts its pages, the records the sink wrote, and one ok answer per page', async () => {
  const acts = activities();
  const first = await acts.pullPage(page(null));
  const second = await acts.pullPage(page(first.nextCursor));
  expect(first.written + second.written).toBe(30);
  expect(await value(SERIES.records, { ...labels, stream: 'charges' })).toBe(30);
  expect(await value(SERIES.pages, { ...labels, stream: 'charges' })).toBe(2);
  expect(await value(SERIES.answers, { ...labels, code: 'ok' })).toBe(2);
  // The secret is in the worker's env and the request, never in a series.
  expect(await metrics.registry.metrics()).not.toContain(sandbox.credentials.stripe.secretKey);
});

test('a 429 is an answer rate_limited and a rate-limited count; no page is counted', async () => {
  sandbox.stripe.faults.set({ rateLimitStorm: 1 });
  expect(await failureType(activities().pullPage(page(null)))).toBe('rate_limited');
  expect(await value(SERIES.answers, { ...labels, code: 'rate_limited' })).toBe(1);
  expect(await value(SERIES.rateLimited, labels)).toBe(1);
  expect(await value(SERIES.pages, { ...labels, stream: 'charges' })).toBeUndefined();
  // A 429 is not a failure of the provider: the circuit stays closed.
  expect(breakers.state('m-stripe')).toBe('closed');
});

test('the circuit: open after 2 outages, calls fail fast without an answer, half-open after the pause, closed by a success', async () => {
  const acts = activities();
  sandbox.stripe.faults.set({ fail5xx: { count: 2, status: 503 } });
  expect(await failureType(acts.pullPage(page(null)))).toBe('upstream_unavailable');
  expect(await failureType(acts.pullPage(page(null)))).toBe('upstream_unavailable');
  expect(await value(SERIES.circuit, { ...labels, state: 'open' })).toBe(1);
  expect(await failureType(acts.pullPage(page(null)))).toBe('circuit_open');
  expect(await value(SERIES.answers, { ...labels, code: 'upstream_unavailable' })).toBe(2);
  expect(await value(SERIES.answers, { ...labels, code: 'circuit_open' })).toBeUndefined(); // the provider was not asked
  now += 10_001;
  await acts.pullPage(page(null));
  expect(await value(SERIES.circuit, { ...labels, state: 'half_open' })).toBe(1);
  expect(await value(SERIES.circuit, { ...labels, state: 'closed' })).toBe(1);
  expect(await value(SERIES.answers, { ...labels, code: 'ok' })).toBe(1);
});

test('a credential check against the API is an answer too', async () => {
  const result = await activities().testConnection({ connectionId: 'm-stripe' });
  expect(result.check).toBe('api');
  expect(await value(SERIES.answers, { ...labels, code: 'ok' })).toBe(1);
});
