// Staging a page: versions and keys, what the ledger already knows, filter, mapping and the
// destination's schema, and how messages are cut into calls.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { JsonlLedger } from '../../../src/pipelines/jsonl-ledger.js';
import { compileExpression, type CompiledExpression } from '../../../src/pipelines/mapping.js';
import { group, stageRecords, type StageOptions } from '../../../src/pipelines/stage.js';
import { MAX_DELIVERY_ATTEMPTS } from '../../../src/pipelines/types.js';
import { deliveryKey, recordVersion } from '../../../src/pipelines/versions.js';

const compiled = (t: string, f: 'mapping' | 'filter' = 'mapping') => compileExpression(t, f) as CompiledExpression;
const schema = z.strictObject({ userId: z.string({ error: 'give a userId' }), total: z.number() });

let dir: string;
let ledger: JsonlLedger;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stage-'));
  ledger = new JsonlLedger(dir);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const opts = (o: Partial<StageOptions> = {}): StageOptions => ({
  pipelineId: 'p', connectionId: 'shop', stream: 'orders', mapping: compiled('{"userId": email, "total": $number(total)}'),
  messageSchema: schema, itemsPerCall: 2, run: 'run1', stageId: 'run1-p1', ...o,
});
const rec = (id: string, email: string | undefined, total = '10', updatedAt = '2026-11-01T00:00:00Z') => ({ id, updatedAt, data: { id, ...(email ? { email } : {}), total } });

describe('versions and keys', () => {
  test('the same content is the same version however its time is written; any change is a new one', () => {
    expect(recordVersion('2026-11-01T00:00:00-05:00', { a: 1, b: 2 })).toBe(recordVersion('2026-11-01T05:00:00.000Z', { b: 2, a: 1 }));
    expect(recordVersion('2026-11-01T00:00:00Z', { a: 1 })).not.toBe(recordVersion('2026-11-01T00:00:00Z', { a: 2 }));
    expect(recordVersion('2026-11-01T00:00:00Z', { a: 1 })).not.toBe(recordVersion('2026-11-02T00:00:00Z', { a: 1 }));
  });

  test('a key is UUID-shaped and depends only on pipeline, record and version', () => {
    const k = deliveryKey('p', 'r1', 'v1');
    expect(k).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deliveryKey('p', 'r1', 'v1')).toBe(k);
    expect(deliveryKey('q', 'r1', 'v1')).not.toBe(k);
  });
});

describe('stageRecords', () => {
  test('maps, checks, cuts into calls and claims each record; refused ones are dead with the field named', async () => {
    const counts = await stageRecords(ledger, opts(), [rec('1', 'a@x'), rec('2', 'b@x'), rec('3', undefined), rec('4', 'd@x', 'ten'), rec('5', 'e@x')], true);
    expect(counts).toMatchObject({ records: 5, staged: 3, calls: 2, dead: 2 });
    const calls = await ledger.staged('p', 'run1-p1');
    expect(calls?.map((c) => c.items.map((i) => i.recordId))).toEqual([['1', '2'], ['5']]);
    expect(calls?.[0]?.items[0]?.message).toEqual({ userId: 'a@x', total: 10 });
    expect(calls?.[0]?.items[0]?.key).toBe(deliveryKey('p', '1', recordVersion('2026-11-01T00:00:00Z', rec('1', 'a@x').data)));
    const dead = await ledger.current('p', { states: ['dead'] });
    expect(dead.find((d) => d.recordId === '3')?.reason).toMatch(/message\.userId: give a userId/);
    expect(dead.find((d) => d.recordId === '4')?.reason).toMatch(/mapping failed/);
    expect((await ledger.current('p', { states: ['queued'] })).map((q) => `${q.recordId}@${q.call}`).sort()).toEqual(['1@0', '2@0', '5@1']);
  });

  test('the filter skips records, recorded as filtered', async () => {
    const counts = await stageRecords(ledger, opts({ filter: compiled('$number(total) > 50', 'filter') }), [rec('1', 'a@x', '10'), rec('2', 'b@x', '99')], true);
    expect(counts).toMatchObject({ staged: 1, filtered: 1 });
    expect((await ledger.current('p', { states: ['filtered'] })).map((f) => f.recordId)).toEqual(['1']);
  });

  test('a version delivered before is not staged again; a changed record is', async () => {
    await stageRecords(ledger, opts(), [rec('1', 'a@x'), rec('2', 'b@x')], true);
    const v1 = recordVersion('2026-11-01T00:00:00Z', rec('1', 'a@x').data);
    const v2 = recordVersion('2026-11-01T00:00:00Z', rec('2', 'b@x').data);
    await ledger.append('p', [
      { recordId: '1', version: v1, state: 'delivered', at: new Date().toISOString() },
      { recordId: '2', version: v2, state: 'delivered', at: new Date().toISOString() },
    ]);
    const again = await stageRecords(ledger, opts({ run: 'run2', stageId: 'run2-p1' }), [rec('1', 'a@x'), rec('2', 'b@x', '20', '2026-11-02T00:00:00Z')], true);
    expect(again).toMatchObject({ staged: 1, alreadyDelivered: 1 });
    expect((await ledger.staged('p', 'run2-p1'))?.[0]?.items.map((i) => i.recordId)).toEqual(['2']);
  });

  test('the same version twice in one run is staged once; a retried stage of the same page stages it again', async () => {
    await stageRecords(ledger, opts(), [rec('1', 'a@x')], true);
    expect(await stageRecords(ledger, opts({ stageId: 'run1-p2' }), [rec('1', 'a@x')], true)).toMatchObject({ staged: 0, duplicates: 1 });
    expect(await stageRecords(ledger, opts(), [rec('1', 'a@x')], true)).toMatchObject({ staged: 1 });
  });

  test('a claim an earlier run left "sending": resent where the destination de-duplicates, unknown elsewhere', async () => {
    const v = recordVersion('2026-11-01T00:00:00Z', rec('1', 'a@x').data);
    await ledger.append('p', [{ recordId: '1', version: v, state: 'sending', at: new Date().toISOString(), run: 'old', stage: 'old-p1', call: 0 }]);
    expect(await stageRecords(ledger, opts({ run: 'r2', stageId: 'r2-p1' }), [rec('1', 'a@x')], true)).toMatchObject({ staged: 1 });
    await ledger.append('p', [{ recordId: '1', version: v, state: 'sending', at: new Date().toISOString(), run: 'old', stage: 'old-p1', call: 0 }]);
    expect(await stageRecords(ledger, opts({ run: 'r3', stageId: 'r3-p1' }), [rec('1', 'a@x')], false)).toMatchObject({ staged: 0, unknown: 1 });
    expect((await ledger.current('p'))[0]?.state).toBe('unknown');
  });

  test('dead and unknown versions are held outside a replay and staged by one', async () => {
    await stageRecords(ledger, opts(), [rec('3', undefined)], true);
    expect(await stageRecords(ledger, opts({ run: 'r2', stageId: 'r2-p1' }), [rec('3', undefined)], true)).toMatchObject({ staged: 0, held: 1 });
    // The replay after the mapping was fixed:
    const fixed = compiled('{"userId": email ? email : "anonymous", "total": $number(total)}');
    expect(await stageRecords(ledger, opts({ run: 'r3', stageId: 'r3-s1', mapping: fixed, replay: true }), [rec('3', undefined)], true)).toMatchObject({ staged: 1 });
  });

  test('a version that failed too many times is given up as dead, with the last reason', async () => {
    const v = recordVersion('2026-11-01T00:00:00Z', rec('1', 'a@x').data);
    await ledger.append('p', [{ recordId: '1', version: v, state: 'failed', at: new Date().toISOString(), code: 'upstream_error', reason: 'InternalFailure', attempts: MAX_DELIVERY_ATTEMPTS }]);
    expect(await stageRecords(ledger, opts({ run: 'r2', stageId: 'r2-p1' }), [rec('1', 'a@x')], true)).toMatchObject({ staged: 0, dead: 1 });
    expect((await ledger.current('p'))[0]?.reason).toMatch(/not delivered after 25 attempts.*InternalFailure/);
  });
});

describe('group', () => {
  const item = (n: number, size = 10) => ({ recordId: String(n), version: 'v', updatedAt: null, key: 'k', message: { pad: 'x'.repeat(size) } });
  test('by count, and by bytes where the endpoint limits them', () => {
    expect(group([1, 2, 3, 4, 5].map((n) => item(n)), 2).map((c) => c.items.length)).toEqual([2, 2, 1]);
    expect(group([1, 2, 3].map((n) => item(n, 500)), 100, 1000).map((c) => c.items.length)).toEqual([1, 1, 1]);
    expect(group([], 10)).toEqual([]);
  });
});
