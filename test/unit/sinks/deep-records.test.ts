// A record nested 100 000 levels deep (hostile or broken provider data) is a clear, typed failure of
// both sinks (invalid_response, naming the record), with nothing of its page written and what was
// written before intact; records up to MAX_RECORD_DEPTH levels are written and read back whole.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { SourceRecord } from '../../../src/core/envelope.js';
import { jsonDepth } from '../../../src/core/limits.js';
import { JsonlSink } from '../../../src/sinks/jsonl.js';
import { MAX_RECORD_DEPTH, SinkRecordError } from '../../../src/sinks/limits.js';
import { PostgresSink } from '../../../src/sinks/postgres.js';
import type { Sink } from '../../../src/sinks/types.js';
import { postgresUrl, testSchema, type TestSchema } from '../../helpers/postgres.js';

const ref = { connectionId: 'c1', stream: 'orders' };

/** `data` nested `depth` levels deep (the record's data object counts as level 1). */
function nested(id: string, depth: number): SourceRecord {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth - 1; i++) v = { a: v };
  return { id, updatedAt: '2025-01-02T00:00:00.000Z', data: { a: v } };
}
const plain = (id: string): SourceRecord => ({ id, updatedAt: '2025-01-01T00:00:00.000Z', data: { id } });

function sinkContract(name: string, make: () => Promise<{ sink: Sink; done(): Promise<void> }>) {
  describe(name, () => {
    let sink: Sink;
    let done: () => Promise<void>;
    beforeEach(async () => {
      ({ sink, done } = await make());
    });
    afterEach(async () => done());

    test('a record nested 100 000 levels deep refuses its page as invalid_response, naming the record; nothing of the page is written', async () => {
      await sink.writePage(ref, [plain('before')]);
      const err = await sink.writePage(ref, [plain('ok-1'), nested('deep-1', 100_000), plain('ok-2')]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SinkRecordError);
      expect((err as SinkRecordError).code).toBe('invalid_response');
      expect((err as SinkRecordError).recordId).toBe('deep-1');
      expect((err as Error).message).toMatch(/record "deep-1" of stream "orders".*nested more than 512 levels/);
      expect([...(await sink.readAll(ref)).keys()]).toEqual(['before']);
    });

    test(`a record ${MAX_RECORD_DEPTH} levels deep is written and read back whole`, async () => {
      await sink.writePage(ref, [nested('deep-ok', MAX_RECORD_DEPTH)]);
      const back = (await sink.readAll(ref)).get('deep-ok');
      expect(jsonDepth(back?.data)).toBe(MAX_RECORD_DEPTH);
    });
  });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'deep-records-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

let n = 0;
sinkContract('JSONL sink', async () => {
  const sink = new JsonlSink(join(dir, String(n++)));
  return { sink, done: () => sink.close() };
});

sinkContract('PostgreSQL sink', async () => {
  await postgresUrl();
  const db: TestSchema = await testSchema();
  const sink = new PostgresSink({ connectionString: db.url, schema: db.schema });
  return {
    sink,
    done: async () => {
      await sink.close();
      await db.drop();
    },
  };
});

test('the JSONL file holds no partial line of a refused page', async () => {
  const sink = new JsonlSink(join(dir, 'partial'));
  await sink.writePage(ref, [plain('a')]);
  await sink.writePage(ref, [plain('b'), nested('deep', 100_000)]).catch(() => undefined);
  expect((await readFile(sink.filePath(ref), 'utf8')).trim().split('\n')).toHaveLength(1);
});
