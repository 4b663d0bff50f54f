// The JSONL sink's promise: upsert by record id as a reader sees it, nothing lost on a torn write.
import { appendFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { JsonlSink } from '../../../src/sinks/jsonl.js';

let dir: string;
let sink: JsonlSink;
const ref = { connectionId: 'c1', stream: 'orders' };
const rec = (id: string, v = 1) => ({ id, updatedAt: `2025-01-0${v}T00:00:00.000Z`, data: { id, v } });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jsonl-'));
  sink = new JsonlSink(dir);
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

const lines = async () => (await readFile(sink.filePath(ref), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l));

test('writing the same page twice leaves one copy of each record for a reader, and after the run in the file', async () => {
  const page = [rec('a'), rec('b'), rec('c')];
  await sink.writePage(ref, page);
  await sink.writePage(ref, page);
  expect([...(await sink.readAll(ref)).keys()]).toEqual(['a', 'b', 'c']);
  expect(await sink.finishRun(ref)).toEqual({ records: 3 });
  expect((await lines()).map((l) => l.id)).toEqual(['a', 'b', 'c']);
});

test('the latest version of a record wins', async () => {
  await sink.writePage(ref, [rec('a', 1), rec('b', 1)]);
  await sink.writePage(ref, [rec('a', 2)]);
  expect((await sink.readAll(ref)).get('a')?.data).toEqual({ id: 'a', v: 2 });
  await sink.finishRun(ref);
  const ls = await lines();
  expect(ls).toHaveLength(2);
  expect(ls.find((l) => l.id === 'a').data.v).toBe(2);
  expect(Object.keys(ls[0]).sort()).toEqual(['data', 'id', 'syncedAt', 'updatedAt']);
});

test('a torn last line from a crash mid-write is cut before the next append; nothing complete is lost', async () => {
  await sink.writePage(ref, [rec('a'), rec('b')]);
  await appendFile(sink.filePath(ref), '{"id":"c","updatedAt":"2025-0');
  await sink.writePage(ref, [rec('c'), rec('d')]);
  expect([...(await sink.readAll(ref)).keys()]).toEqual(['a', 'b', 'c', 'd']);
  expect(await sink.finishRun(ref)).toEqual({ records: 4 });
});

test('concurrent writers of one stream never interleave lines', async () => {
  const pages = Array.from({ length: 20 }, (_, p) => Array.from({ length: 50 }, (_, i) => rec(`${p}-${i}`)));
  await Promise.all(pages.map((page) => sink.writePage(ref, page)));
  const ls = await lines();
  expect(ls).toHaveLength(1000);
  expect(new Set(ls.map((l) => l.id)).size).toBe(1000);
});

test('files are private to the owner and the state round-trips', async () => {
  await sink.writePage(ref, [rec('a')]);
  expect((await stat(sink.filePath(ref))).mode & 0o777).toBe(0o600);
  expect(await sink.loadState(ref)).toBeNull();
  await sink.saveState(ref, { watermark: '2025-01-01T00:00:00.000Z', lastRunAt: 'x', lastRunRecords: 1 });
  expect((await sink.loadState(ref))?.watermark).toBe('2025-01-01T00:00:00.000Z');
});
