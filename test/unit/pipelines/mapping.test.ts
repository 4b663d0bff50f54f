// JSONata mappings and filters: what a pipeline's user writes, evaluated per record with bounds, and
// the errors they see when it is wrong (naming the line and column, or the field).
import { describe, expect, test } from 'vitest';
import { compileExpression, evaluate, hasPath, passes, pathsRead, type CompiledExpression } from '../../../src/pipelines/mapping.js';

const ctx = { recordId: 'r1', updatedAt: '2026-11-01T00:00:00Z', connectionId: 'shop', stream: 'orders' };

function compiled(text: string, field: 'mapping' | 'filter' = 'mapping'): CompiledExpression {
  const c = compileExpression(text, field);
  if ('problem' in c) throw new Error(c.problem.message);
  return c;
}

describe('compile', () => {
  test('a syntax error names the field, the line and the column', () => {
    const c = compileExpression('{\n  "userId": email,\n  "total": $number(total_price\n}', 'mapping');
    expect('problem' in c && c.problem.field).toBe('mapping');
    expect('problem' in c && c.problem.message).toMatch(/near line 4, column 1/);
  });

  test('an empty or oversized expression is refused', () => {
    expect(compileExpression('  ', 'filter')).toEqual({ problem: { field: 'filter', message: 'the filter is empty' } });
    expect('problem' in compileExpression('a'.repeat(20_001), 'mapping')).toBe(true);
  });
});

describe('evaluate', () => {
  test('maps a record to plain JSON, with the record context as variables', async () => {
    const m = compiled('{"userId": customer.email, "total": $number(total_price), "id": $recordId, "stream": $stream, "skus": line_items.sku}');
    const r = await evaluate(m, { customer: { email: 'a@example.com' }, total_price: '12.50', line_items: [{ sku: 'A' }, { sku: 'B' }] }, ctx);
    expect(r).toEqual({ ok: true, value: { userId: 'a@example.com', total: 12.5, id: 'r1', stream: 'orders', skus: ['A', 'B'] } });
  });

  test('fields that match nothing are left out, as a destination would receive it', async () => {
    const r = await evaluate(compiled('{"a": missing, "b": 1}'), {}, ctx);
    expect(r).toEqual({ ok: true, value: { b: 1 } });
  });

  test('a runtime error fails the record with the reason instead of throwing', async () => {
    const r = await evaluate(compiled('{"n": $number(total)}'), { total: 'twelve' }, ctx);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/^mapping failed: .*twelve/);
  });

  test('an expression that never ends is stopped by the time bound, not left to hang the worker', async () => {
    const started = Date.now();
    const r = await evaluate(compiled('($f := function($n) { $f($n + 1) }; $f(0))'), {}, ctx);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/D1011|D1012|stack|too long/i);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  test('filters use JSONata truthiness', async () => {
    const f = compiled('financial_status = "paid"', 'filter');
    expect(passes((await evaluate(f, { financial_status: 'paid' }, ctx) as { value: unknown }).value)).toBe(true);
    expect(passes((await evaluate(f, { financial_status: 'refunded' }, ctx) as { value: unknown }).value)).toBe(false);
    expect(passes(undefined)).toBe(false);
    expect(passes([])).toBe(false);
    expect(passes([0, 'x'])).toBe(true);
  });
});

describe('paths read (for "no sample has this field" warnings)', () => {
  test('leading field names of each path, filters relative to their step, variables and undefined left out', () => {
    const m = compiled('{"u": customer.emial, "t": $number(total_price), "x": line_items[price > 5].sku, "r": $recordId, "h": region != "TX" ? region : undefined}');
    expect(pathsRead(m).sort()).toEqual(['customer.emial', 'line_items.price', 'line_items.sku', 'region', 'total_price'].sort());
  });

  test('hasPath looks through arrays as JSONata does', () => {
    expect(hasPath({ line_items: [{ price: 1 }, { sku: 'A' }] }, 'line_items.sku')).toBe(true);
    expect(hasPath({ customer: { email: 'x' } }, 'customer.emial')).toBe(false);
    expect(hasPath({ a: null }, 'a.b')).toBe(false);
  });
});
