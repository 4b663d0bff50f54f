// The PostgreSQL sink against a real PostgreSQL: upsert by (connection, stream, record id), newer
// versions never overwritten by a replayed older page, state round trip, and no password anywhere.
import { afterEach, beforeAll, beforeEach, expect, test } from 'vitest';
import { createSink } from '../../../src/sinks/index.js';
import { PostgresSink } from '../../../src/sinks/postgres.js';
import { postgresUrl, testSchema, type TestSchema } from '../../helpers/postgres.js';

let db: TestSchema;
let sink: PostgresSink;
const ref = { connectionId: 'c1', stream: 'orders' };
const rec = (id: string, v = 1) => ({ id, updatedAt: `2025-01-0${v}T00:00:00.000Z`, data: { id, v } });

beforeAll(async () => {
  await postgresUrl(); // fails the file with instructions when PostgreSQL is not running
});
beforeEach(async () => {
  db = await testSchema();
  sink = new PostgresSink({ connectionString: db.url, schema: db.schema });
});
afterEach(async () => {
  await sink?.close();
  await db?.drop();
});

const rows = () =>
  db.query<{ record_id: string; updated_at: Date; data: { v: number } }>(
    `SELECT record_id, updated_at, data FROM "${db.schema}".records WHERE connection_id = $1 AND stream = $2 ORDER BY record_id`,
    [ref.connectionId, ref.stream],
  );

test('writing the same page twice leaves one row per record', async () => {
  const page = [rec('a'), rec('b'), rec('c')];
  expect(await sink.writePage(ref, page)).toEqual({ written: 3 });
  await sink.writePage(ref, page);
  expect((await rows()).map((r) => r.record_id)).toEqual(['a', 'b', 'c']);
  expect(await sink.finishRun(ref)).toEqual({ records: 3 });
  const all = await sink.readAll(ref);
  expect([...all.keys()].sort()).toEqual(['a', 'b', 'c']);
  expect(all.get('a')).toMatchObject({ id: 'a', updatedAt: '2025-01-01T00:00:00.000Z', data: { id: 'a', v: 1 } });
  expect(Date.parse(all.get('a')!.syncedAt)).toBeGreaterThan(Date.now() - 60_000);
});

test('a newer version replaces an older one; an older page replayed afterwards does not overwrite it', async () => {
  await sink.writePage(ref, [rec('a', 1), rec('b', 1)]);
  await sink.writePage(ref, [rec('a', 3)]);
  // The replay of the first page (a retried attempt finishing late).
  await sink.writePage(ref, [rec('a', 1), rec('b', 2)]);
  const all = await sink.readAll(ref);
  expect(all.get('a')?.data).toEqual({ id: 'a', v: 3 });
  expect(all.get('a')?.updatedAt).toBe('2025-01-03T00:00:00.000Z');
  expect(all.get('b')?.data).toEqual({ id: 'b', v: 2 });
  expect(await rows()).toHaveLength(2);
});

test('an id twice in one page keeps its latest version (one statement cannot update a row twice)', async () => {
  await sink.writePage(ref, [rec('a', 2), rec('b', 1), rec('a', 1), rec('b', 2)]);
  const all = await sink.readAll(ref);
  expect(all.get('a')?.data).toEqual({ id: 'a', v: 2 });
  expect(all.get('b')?.data).toEqual({ id: 'b', v: 2 });
});

test('streams and connections are kept apart; awkward ids and data round-trip', async () => {
  const other = { connectionId: 'c2', stream: 'orders' };
  const data = { quote: `it's "quoted" \\ back`, emoji: '🧾', nested: { list: [1, null, 'x'] }, comma: 'a,b{c}' };
  await sink.writePage(ref, [{ id: `o'1,{x}"`, updatedAt: '2025-02-01T10:00:00.123Z', data }]);
  await sink.writePage(other, [rec('z')]);
  await sink.writePage({ connectionId: 'c1', stream: 'charges' }, [rec('y')]);
  const all = await sink.readAll(ref);
  expect([...all.keys()]).toEqual([`o'1,{x}"`]);
  expect(all.get(`o'1,{x}"`)).toMatchObject({ updatedAt: '2025-02-01T10:00:00.123Z', data });
  expect(await sink.finishRun(other)).toEqual({ records: 1 });
  expect(await sink.finishRun({ connectionId: 'nobody', stream: 'orders' })).toEqual({ records: 0 });
});

test('a large page is one statement and lands whole', async () => {
  const page = Array.from({ length: 2000 }, (_, i) => rec(`r${i}`, 1 + (i % 9)));
  await sink.writePage(ref, page);
  expect(await sink.finishRun(ref)).toEqual({ records: 2000 });
});

test('sync state round-trips, watermark as ISO-8601 (or null); a saved watermark never moves backwards', async () => {
  expect(await sink.loadState(ref)).toBeNull();
  await sink.saveState({ ...ref, stream: 'fresh' }, { watermark: null, lastRunAt: '2025-01-01T00:00:00.000Z', lastRunRecords: 0 });
  expect((await sink.loadState({ ...ref, stream: 'fresh' }))?.watermark).toBeNull();
  await sink.saveState(ref, { watermark: '2025-01-01T00:00:00.000Z', lastRunAt: '2025-01-02T03:04:05.678Z', lastRunRecords: 42, lastRunId: 'run-1' });
  expect(await sink.loadState(ref)).toEqual({ watermark: '2025-01-01T00:00:00.000Z', lastRunAt: '2025-01-02T03:04:05.678Z', lastRunRecords: 42, lastRunId: 'run-1' });
  // A run that finished later with an older (or no) watermark keeps the newer one.
  await sink.saveState(ref, { watermark: null, lastRunAt: '2025-01-03T00:00:00.000Z', lastRunRecords: 0 });
  expect(await sink.loadState(ref)).toEqual({ watermark: '2025-01-01T00:00:00.000Z', lastRunAt: '2025-01-03T00:00:00.000Z', lastRunRecords: 0 });
  await sink.saveState(ref, { watermark: '2024-06-01T00:00:00.000Z', lastRunAt: '2025-01-04T00:00:00.000Z', lastRunRecords: 1 });
  expect((await sink.loadState(ref))?.watermark).toBe('2025-01-01T00:00:00.000Z');
  const raw = await db.query(`SELECT * FROM "${db.schema}".sync_state`);
  expect(raw).toHaveLength(2);
});

test('several sinks starting at once on a fresh schema create it once, without errors', async () => {
  const sinks = Array.from({ length: 6 }, () => new PostgresSink({ connectionString: db.url, schema: db.schema }));
  try {
    await Promise.all(sinks.map((s, i) => s.writePage(ref, [rec(`p${i}`)])));
    expect(await sink.finishRun(ref)).toEqual({ records: 6 });
  } finally {
    await Promise.all(sinks.map((s) => s.close()));
  }
});

test('location names the table and stream, never the password', () => {
  const withPassword = new PostgresSink({ connectionString: 'postgres://pipeline:Sup3r-s3cret-pw@db.internal:5432/warehouse', schema: 'pipeline' });
  expect(withPassword.location(ref)).toBe(`postgres pipeline.records (connection_id='c1', stream='orders')`);
  expect(withPassword.target).toBe('postgres://pipeline:***@db.internal:5432/warehouse');
  return withPassword.close();
});

test('an unreachable database fails with a clear message that does not contain the password', async () => {
  const down = new PostgresSink({ connectionString: 'postgres://pipeline:Sup3r-s3cret-pw@127.0.0.1:1/warehouse', schema: 'pipeline' });
  try {
    const err = (await down.writePage(ref, [rec('a')]).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/PostgreSQL at postgres:\/\/pipeline:\*\*\*@127\.0\.0\.1:1\/warehouse is not reachable/);
    expect(`${err.message}\n${err.stack}`).not.toContain('Sup3r-s3cret-pw');
  } finally {
    await down.close();
  }
});

test('createSink builds it for PIPELINE_SINK=postgres and asks for a URL when there is none', async () => {
  const made = createSink({ sink: 'postgres', dataDir: '/unused', databaseUrl: db.url, databaseSchema: db.schema });
  expect(made.kind).toBe('postgres');
  await made.writePage(ref, [rec('a')]);
  expect((await sink.readAll(ref)).size).toBe(1);
  await made.close();
  expect(() => createSink({ sink: 'postgres', dataDir: '/unused', databaseUrl: undefined, databaseSchema: 'pipeline' })).toThrow(/PIPELINE_DATABASE_URL/);
});
