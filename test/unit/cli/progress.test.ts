// What the progress line says once a source reports its total.
import { describe, expect, test } from 'vitest';
import { completion } from '../../../src/cli/progress.js';

describe('completion', () => {
  const start = '2026-12-01T00:00:00.000Z';
  const at = (s: number) => Date.parse(start) + s * 1000;

  test('no total, nothing to say', () => {
    expect(completion({ records: 10, total: null, startedAt: start }, at(5))).toBe('');
  });

  test('a share and an ETA from the rate so far', () => {
    // 250 of 1,000 in 10 s: 750 more at 25/s is 30 s.
    expect(completion({ records: 250, total: 1000, startedAt: start }, at(10))).toBe('25% · ETA 30.0 s');
  });

  test('done or over the total (records changed during the run): 100%, no ETA', () => {
    expect(completion({ records: 1000, total: 1000, startedAt: start }, at(10))).toBe('100%');
    expect(completion({ records: 1040, total: 1000, startedAt: start }, at(10))).toBe('100%');
  });
});
