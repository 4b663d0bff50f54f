// The JSONL sink keeps the newest version of a record, whatever order the versions arrive in:
// slices of one sync append in parallel, and Stripe's events come newest first.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { JsonlSink } from '../../../src/sinks/jsonl.js';

let dir: string;
let sink: JsonlSink;
const ref = { connectionId: 'c', stream: 's' };
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jsonl-versions-'));
  sink = new JsonlSink(dir);
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

test('an older version appended after a newer one does not win, in reads and after compaction', async () => {
  await sink.writePage(ref, [{ id: 'a', updatedAt: '2026-11-02T00:00:00.000Z', data: { v: 'refunded' } }, { id: 'b', updatedAt: '2026-11-01T00:00:00.000Z', data: { v: 1 } }]);
  await sink.writePage(ref, [{ id: 'a', updatedAt: '2026-11-01T00:00:00.000Z', data: { v: 'created' } }, { id: 'b', updatedAt: '2026-11-01T00:00:00.000Z', data: { v: 2 } }]);
  const all = await sink.readAll(ref);
  expect(all.get('a')!.data).toEqual({ v: 'refunded' });
  expect(all.get('b')!.data).toEqual({ v: 2 }); // a tie: the later line
  expect(await sink.finishRun(ref)).toEqual({ records: 2 });
  const lines = (await readFile(sink.filePath(ref), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { id: string; data: unknown });
  expect(lines.map((l) => [l.id, l.data])).toEqual([['a', { v: 'refunded' }], ['b', { v: 2 }]]);
});

test('a version whose time is not a date is kept when it comes later (no time to compare)', async () => {
  await sink.writePage(ref, [{ id: 'x', updatedAt: '2026-11-02T00:00:00.000Z', data: { v: 1 } }]);
  await sink.writePage(ref, [{ id: 'x', updatedAt: 'not a date', data: { v: 2 } }]);
  expect((await sink.readAll(ref)).get('x')!.data).toEqual({ v: 2 });
});
