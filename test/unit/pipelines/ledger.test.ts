// The delivery ledger, the same contract for its two homes (files beside the JSONL sink, tables
// beside the PostgreSQL sink): the latest entry per record version, a record's current version by
// change time, counts, history, state and staged pages; and, for the files, several writers at once
// and a line cut short by a crash.
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { JsonlLedger } from '../../../src/pipelines/jsonl-ledger.js';
import { currentVersion, newerDelivered, type DeliveryLedger } from '../../../src/pipelines/ledger.js';
import { PostgresLedger } from '../../../src/pipelines/postgres-ledger.js';
import type { DeliveryEntry } from '../../../src/pipelines/types.js';
import { testSchema, type TestSchema } from '../../helpers/postgres.js';

const e = (recordId: string, version: string, state: DeliveryEntry['state'], extra: Partial<DeliveryEntry> = {}): DeliveryEntry => ({
  recordId, version, state, at: new Date().toISOString(), updatedAt: '2026-11-01T00:00:00.000Z', key: `k-${recordId}-${version}`, ...extra,
});

function contract(name: string, make: () => Promise<{ ledger: DeliveryLedger; done: () => Promise<void> }>) {
  describe(name, () => {
    let ledger: DeliveryLedger;
    let done: () => Promise<void>;
    beforeAll(async () => ({ ledger, done } = await make()));
    afterAll(async () => done());

    test('the latest entry of each version wins, and a record\'s current version is its newest change', async () => {
      await ledger.append('p1', [e('a', 'v1', 'queued'), e('a', 'v1', 'sending'), e('b', 'v1', 'queued')]);
      await ledger.append('p1', [e('a', 'v1', 'delivered', { status: 200 }), e('b', 'v1', 'dead', { code: 'bad_request', reason: 'no email' })]);
      await ledger.append('p1', [e('a', 'v2', 'queued', { updatedAt: '2026-11-02T00:00:00.000Z' })]);
      const known = await ledger.lookup('p1', ['a', 'b', 'zzz']);
      expect(known.get('a')?.get('v1')?.latest.state).toBe('delivered');
      expect(known.get('a')?.get('v2')?.latest.state).toBe('queued');
      expect(known.has('zzz')).toBe(false);
      expect(currentVersion(known.get('a')!)?.version).toBe('v2');
      const current = await ledger.current('p1');
      expect(current.map((c) => `${c.recordId}:${c.version}:${c.state}`).sort()).toEqual(['a:v2:queued', 'b:v1:dead']);
      expect((await ledger.current('p1', { states: ['dead'] })).map((c) => c.recordId)).toEqual(['b']);
      expect((await ledger.current('p1', { recordIds: ['a'] })).map((c) => c.version)).toEqual(['v2']);
      const counts = await ledger.counts('p1');
      expect(counts).toMatchObject({ queued: 1, dead: 1, delivered: 0 });
      // Pipelines do not see each other's entries.
      expect(await ledger.current('other')).toEqual([]);
    });

    test('a record\'s history is every entry, oldest first', async () => {
      const h = await ledger.history('p1', 'a');
      expect(h.map((x) => `${x.version}:${x.state}`)).toEqual(['v1:queued', 'v1:sending', 'v1:delivered', 'v2:queued']);
      expect(await ledger.history('p1', 'nothing')).toEqual([]);
    });

    test('state and staged pages round-trip; unstage by id or by prefix', async () => {
      expect(await ledger.loadState('p2')).toBeNull();
      await ledger.saveState('p2', { watermark: '2026-11-05T00:00:00.000Z', lastRunId: 'r1' });
      expect(await ledger.loadState('p2')).toMatchObject({ watermark: '2026-11-05T00:00:00.000Z', lastRunId: 'r1' });
      const calls = [{ items: [{ recordId: 'a', version: 'v1', updatedAt: null, key: 'k', message: { text: 'hi' } }] }];
      await ledger.stage('p2', 'run1-p1', calls);
      await ledger.stage('p2', 'run1-p2', calls);
      await ledger.stage('p2', 'run2-p1', calls);
      expect(await ledger.staged('p2', 'run1-p1')).toEqual(calls);
      await ledger.unstage('p2', { ids: ['run1-p1'] });
      expect(await ledger.staged('p2', 'run1-p1')).toBeNull();
      await ledger.unstage('p2', { prefix: 'run1' });
      expect(await ledger.staged('p2', 'run1-p2')).toBeNull();
      expect(await ledger.staged('p2', 'run2-p1')).toEqual(calls);
    });

    test('drop forgets a pipeline entirely', async () => {
      await ledger.append('p3', [e('x', 'v1', 'delivered')]);
      await ledger.saveState('p3', { watermark: null });
      await ledger.drop('p3');
      expect(await ledger.current('p3')).toEqual([]);
      expect(await ledger.loadState('p3')).toBeNull();
      await ledger.append('p3', [e('y', 'v1', 'queued')]);
      expect((await ledger.current('p3')).map((c) => c.recordId)).toEqual(['y']);
    });
  });
}

contract('JSONL ledger', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ledger-'));
  return { ledger: new JsonlLedger(dir), done: () => rm(dir, { recursive: true, force: true }) };
});

let schema: TestSchema;
contract('PostgreSQL ledger', async () => {
  schema = await testSchema();
  const ledger = new PostgresLedger({ connectionString: schema.url, schema: schema.schema });
  return { ledger, done: async () => { await ledger.close(); await schema.drop(); } };
});

describe('JSONL ledger across processes', () => {
  test('two writers appending at once lose no entry and interleave no line; another reader sees both', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ledger-'));
    const [w1, w2, reader] = [new JsonlLedger(dir), new JsonlLedger(dir), new JsonlLedger(dir)];
    const batch = (w: string) => Array.from({ length: 200 }, (_, i) => e(`${w}-${i}`, 'v1', 'delivered', { reason: 'x'.repeat(300) }));
    await Promise.all(Array.from({ length: 10 }, (_, k) => (k % 2 ? w1 : w2).append('p', batch(`w${k}`))));
    expect((await reader.counts('p')).delivered).toBe(2000);
    await rm(dir, { recursive: true, force: true });
  });

  test('a line cut short by a crash is skipped; what follows it is read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ledger-'));
    const ledger = new JsonlLedger(dir);
    await ledger.append('p', [e('a', 'v1', 'sending')]);
    await appendFile(join(dir, '_pipelines', 'p', 'ledger.jsonl'), '{"recordId":"a","version":"v1","sta\n');
    await ledger.append('p', [e('b', 'v1', 'delivered')]);
    const fresh = new JsonlLedger(dir);
    const current = await fresh.current('p');
    expect(current.map((c) => `${c.recordId}:${c.state}`).sort()).toEqual(['a:sending', 'b:delivered']);
    // The first ledger's index follows what was appended after its last look.
    await fresh.append('p', [e('a', 'v1', 'delivered')]);
    expect((await ledger.lookup('p', ['a'])).get('a')?.get('v1')?.latest.state).toBe('delivered');
    await rm(dir, { recursive: true, force: true });
  });
});

describe('versions', () => {
  test('newerDelivered: a newer delivered version supersedes an older one, not the reverse', () => {
    const versions = new Map([
      ['old', { latest: e('a', 'old', 'queued', { updatedAt: '2026-11-01T00:00:00Z' }), firstSeen: 1 }],
      ['new', { latest: e('a', 'new', 'delivered', { updatedAt: '2026-11-03T00:00:00Z' }), firstSeen: 2 }],
    ]);
    expect(newerDelivered(versions, 'old', '2026-11-01T00:00:00Z')).toBe(true);
    expect(newerDelivered(versions, 'new', '2026-11-03T00:00:00Z')).toBe(false);
    expect(newerDelivered(versions, 'old', 'not a date')).toBe(false);
  });
});
