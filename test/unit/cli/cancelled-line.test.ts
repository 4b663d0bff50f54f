// What `pipeline sync --cancel` says a cancelled run did: only what its memo shows.
import { expect, test } from 'vitest';
import { cancelledLine } from '../../../src/cli/commands/sync.js';

const ID = 'pull:shop:orders';

test('a sequential run: its pages and records, and where the next sync starts', () => {
  expect(cancelledLine(ID, { outcome: 'cancelled', pages: 3, records: 1200, watermarkAdvanced: false, previousWatermark: '2026-11-30T00:00:00.000Z' })).toBe(
    'Cancelled pull:shop:orders after 3 pages and 1,200 records. The watermark was not advanced: the next sync starts from 2026-11-30T00:00:00.000Z, so nothing is skipped.',
  );
});

test('a sliced run: the finished slices, and that what the others wrote is not counted', () => {
  expect(cancelledLine(ID, { outcome: 'cancelled', pages: 15, records: 1500, watermarkAdvanced: false, previousWatermark: null, slices: { done: 1, total: 4 } })).toMatch(
    /^Cancelled pull:shop:orders after 1 of 4 slices \(15 pages and 1,500 records in those; what the slices cut off had written stays in the sink\)\. .* starts from the beginning/,
  );
});

test('no memo (cancelled while planning): no counts, and no claim about where the next sync starts', () => {
  const line = cancelledLine(ID, undefined);
  expect(line).toBe('Cancelled pull:shop:orders before it read any page. The watermark was not advanced: the next sync starts where the last completed one ended, so nothing is skipped.');
  expect(line).not.toMatch(/from the beginning/);
});
