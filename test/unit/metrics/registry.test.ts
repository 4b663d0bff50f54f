// The engine's counters: each EngineMetrics call lands in its series with the right labels, the
// label sets stay closed (unknown codes, intent states), the ledger wrapper counts appends and
// nothing else, and the breaker reports its states.
import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { PromEngineMetrics, NO_METRICS, SERIES } from '../../../src/metrics/registry.js';
import { meteredLedger } from '../../../src/metrics/ledger.js';
import { CircuitBreakers } from '../../../src/policies/circuit-breaker.js';
import type { DeliveryLedger } from '../../../src/pipelines/ledger.js';
import type { DeliveryEntry } from '../../../src/pipelines/types.js';

/** The value of one series in a registry's text, or undefined when absent. */
async function value(m: PromEngineMetrics, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = await m.registry.getSingleMetric(name)?.get();
  const found = metric?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val) && Object.keys(v.labels).length === Object.keys(labels).length);
  return found?.value;
}

const stripe = { connector: 'stripe', connection: 'shop-stripe' };

describe('PromEngineMetrics', () => {
  test('pages and records per connection and stream; an empty page is a page of 0 records', async () => {
    const m = new PromEngineMetrics();
    m.pageWritten({ ...stripe, stream: 'charges' }, 100);
    m.pageWritten({ ...stripe, stream: 'charges' }, 20);
    m.pageWritten({ connector: 'shopify', connection: 'shop', stream: 'orders' }, 0);
    expect(await value(m, SERIES.records, { ...stripe, stream: 'charges' })).toBe(120);
    expect(await value(m, SERIES.pages, { ...stripe, stream: 'charges' })).toBe(2);
    expect(await value(m, SERIES.records, { connector: 'shopify', connection: 'shop', stream: 'orders' })).toBe(0);
    expect(await value(m, SERIES.pages, { connector: 'shopify', connection: 'shop', stream: 'orders' })).toBe(1);
  });

  test('provider answers by code; rate_limited also counts as a 429; an unknown code is "other"', async () => {
    const m = new PromEngineMetrics();
    // Not a code at all: a fake credential (made here) that must never become a label value.
    const fakeSecret = `FAKE-SECRET-${randomBytes(8).toString('hex')}`;
    for (const code of ['ok', 'ok', 'ok', 'rate_limited', 'rate_limited', 'upstream_unavailable', `Bearer ${fakeSecret}`]) m.providerAnswer(stripe, code);
    expect(await value(m, SERIES.answers, { ...stripe, code: 'ok' })).toBe(3);
    expect(await value(m, SERIES.answers, { ...stripe, code: 'rate_limited' })).toBe(2);
    expect(await value(m, SERIES.answers, { ...stripe, code: 'upstream_unavailable' })).toBe(1);
    expect(await value(m, SERIES.answers, { ...stripe, code: 'other' })).toBe(1);
    expect(await value(m, SERIES.rateLimited, stripe)).toBe(2);
    expect(await m.registry.metrics()).not.toContain(fakeSecret);
  });

  test('circuit transitions by the state entered', async () => {
    const m = new PromEngineMetrics();
    m.circuitChanged(stripe, 'open');
    m.circuitChanged(stripe, 'half_open');
    m.circuitChanged(stripe, 'open');
    expect(await value(m, SERIES.circuit, { ...stripe, state: 'open' })).toBe(2);
    expect(await value(m, SERIES.circuit, { ...stripe, state: 'half_open' })).toBe(1);
  });

  test('deliveries count outcomes only: queued and sending are intents', async () => {
    const m = new PromEngineMetrics();
    m.deliveriesSettled('orders', ['queued', 'queued', 'sending', 'delivered', 'delivered', 'dead', 'failed', 'filtered', 'superseded', 'unknown']);
    expect(await value(m, SERIES.deliveries, { pipeline: 'orders', state: 'delivered' })).toBe(2);
    for (const s of ['dead', 'failed', 'filtered', 'superseded', 'unknown']) expect(await value(m, SERIES.deliveries, { pipeline: 'orders', state: s })).toBe(1);
    expect(await value(m, SERIES.deliveries, { pipeline: 'orders', state: 'queued' })).toBeUndefined();
    expect(await value(m, SERIES.deliveries, { pipeline: 'orders', state: 'sending' })).toBeUndefined();
  });

  test('process metrics only when asked; two registries do not share series', async () => {
    const a = new PromEngineMetrics();
    const b = new PromEngineMetrics({ processMetrics: true });
    a.providerAnswer(stripe, 'ok');
    expect(await a.registry.metrics()).not.toMatch(/^process_cpu/m);
    expect(await b.registry.metrics()).toMatch(/^process_cpu_user_seconds_total /m);
    expect(await value(b, SERIES.answers, { ...stripe, code: 'ok' })).toBeUndefined();
  });
});

/** A ledger class with its own state, as the real ones are (methods on the prototype, fields on the instance). */
class FakeLedger {
  readonly kind = 'jsonl' as const;
  private readonly entries: DeliveryEntry[] = [];
  appendCalls = 0;
  async append(_pipelineId: string, entries: readonly DeliveryEntry[]): Promise<void> {
    this.appendCalls++;
    this.entries.push(...entries);
  }
  async history(_pipelineId: string, recordId: string): Promise<DeliveryEntry[]> {
    return this.entries.filter((e) => e.recordId === recordId);
  }
}

const entry = (recordId: string, state: DeliveryEntry['state']): DeliveryEntry => ({ recordId, version: 'v1', at: '2026-01-01T00:00:00.000Z', updatedAt: null, key: `k-${recordId}`, state });

describe('meteredLedger', () => {
  test('counts what append wrote; every other method is the ledger\'s own, on its own state', async () => {
    const inner = new FakeLedger();
    const m = new PromEngineMetrics();
    const ledger = meteredLedger(inner as unknown as DeliveryLedger, m);
    await ledger.append('p1', [entry('a', 'queued'), entry('b', 'queued')]);
    await ledger.append('p1', [entry('a', 'delivered'), entry('b', 'dead')]);
    expect(inner.appendCalls).toBe(2);
    expect((await ledger.history('p1', 'a')).map((e) => e.state)).toEqual(['queued', 'delivered']);
    expect(ledger.kind).toBe('jsonl');
    expect(await value(m, SERIES.deliveries, { pipeline: 'p1', state: 'delivered' })).toBe(1);
    expect(await value(m, SERIES.deliveries, { pipeline: 'p1', state: 'dead' })).toBe(1);
  });

  test('an append that fails is not counted', async () => {
    const inner = new FakeLedger();
    inner.append = async () => {
      throw new Error('disk full');
    };
    const m = new PromEngineMetrics();
    const ledger = meteredLedger(inner as unknown as DeliveryLedger, m);
    await expect(ledger.append('p1', [entry('a', 'delivered')])).rejects.toThrow('disk full');
    expect(await value(m, SERIES.deliveries, { pipeline: 'p1', state: 'delivered' })).toBeUndefined();
  });

  test('without metrics the ledger is returned as it is', () => {
    const inner = new FakeLedger() as unknown as DeliveryLedger;
    expect(meteredLedger(inner, NO_METRICS)).toBe(inner);
  });
});

describe('CircuitBreakers.state', () => {
  test('closed -> open at the threshold -> half_open when the time is up -> closed on success, or open again on a failure', () => {
    let now = 1_000;
    const b = new CircuitBreakers(() => now);
    const policy = { failureThreshold: 2, openMs: 5_000 };
    expect(b.state('c')).toBe('closed');
    b.record('c', 'retryable_failure', policy);
    expect(b.state('c')).toBe('closed');
    b.record('c', 'retryable_failure', policy);
    expect(b.state('c')).toBe('open');
    now += 5_001;
    expect(b.state('c')).toBe('open'); // no clock read: it moves on the next check
    expect(b.openFor('c')).toBe(0);
    expect(b.state('c')).toBe('half_open');
    b.record('c', 'retryable_failure', policy);
    expect(b.state('c')).toBe('open');
    now += 5_001;
    b.openFor('c');
    b.record('c', 'success', policy);
    expect(b.state('c')).toBe('closed');
  });
});
