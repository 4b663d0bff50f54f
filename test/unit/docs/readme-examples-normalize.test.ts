// What the README example check blanks (scripts/readme-examples.ts): only what differs from run to
// run, so that a real change of output still fails the check.
import { describe, expect, test } from 'vitest';
import { normalize, parseReadme } from '../../../scripts/readme-examples.js';

describe('README examples: normalize', () => {
  test('UTC times and a provider\'s local times with an offset are blanked; other text is kept', () => {
    expect(normalize(['e.g. {"timestamp":"2026-11-04T23:15:01-05:00"} at 2026-12-02T03:22:54.000Z, 2,500 records'])).toEqual([
      'e.g. {"timestamp":"<time>"} at <time>, 2,500 records',
    ]);
  });

  test('progress lines of syncs (checking included) and pipeline runs are dropped', () => {
    expect(normalize(['demo-stripe: checking, 2,500 records, 26 pages, 310/s, slices 2/2', 'orders: delivering · 500 read', 'Done: 2 records'])).toEqual(['Done: 2 records']);
  });

  test('counts are blanked only in a block marked counts-vary', () => {
    const readme = ['<!-- example counts-vary -->', '```', '$ pipeline sync demo-stripe', 'Done: 1 record pulled in 1 page', '```', '<!-- example -->', '```', '$ pipeline sync other', 'Done: 2 records pulled in 2 pages', '```'].join('\n');
    const [varying, exact] = parseReadme(readme).examples;
    expect(varying!.countsVary).toBe(true);
    expect(exact!.countsVary).toBeUndefined();
    expect(normalize(varying!.expected, true)).toEqual(normalize(['Done: 2 records pulled in 2 pages'], true));
    expect(normalize(exact!.expected)).not.toEqual(normalize(['Done: 3 records pulled in 3 pages']));
  });
});

test('a record version (10 hex digits, a letter among them) is blanked; record ids and counts are not', () => {
  expect(normalize(['2026-12-02T15:13:32.407Z  c5d9885129  queued  5510000000842  1638'])).toEqual(['<time>  <version>  queued  5510000000842  1638']);
});
