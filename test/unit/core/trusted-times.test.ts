// Which change times may become the watermark (activities/pull-page.ts trustedTimes).
import { expect, test } from 'vitest';
import { trustedTimes } from '../../../activities/pull-page.js';

const rec = (id: string, updatedAt: string) => ({ id, updatedAt, data: {} });
const until = '2026-12-01T00:00:00.000Z';

test('dates up to the run\'s bound are trusted; not-a-date and after-the-bound are counted, never the watermark', () => {
  const t = trustedTimes([rec('1', '2026-11-01T00:00:00.000Z'), rec('2', 'not a date'), rec('3', '9999-12-31T23:59:59.000Z'), rec('4', '2026-11-20T00:00:00.000Z')], until);
  expect(t.watermark).toBe('2026-11-20T00:00:00.000Z');
  expect(t.anomalies).toEqual({ unparseable: 1, afterWindow: 1, examples: ['2', '3'] });
  expect(t.earliest).toBe('2026-11-01T00:00:00.000Z');
});

test('a page of nothing but bad times gives no watermark at all', () => {
  expect(trustedTimes([rec('1', 'garbage'), rec('2', '+010000-01-01T00:00:00.000Z')], until).watermark).toBeNull();
});

test('no bound (an unbounded run): any date is trusted', () => {
  expect(trustedTimes([rec('1', '9999-12-31T23:59:59.000Z')], null)).toMatchObject({ watermark: '9999-12-31T23:59:59.000Z', anomalies: undefined });
});
