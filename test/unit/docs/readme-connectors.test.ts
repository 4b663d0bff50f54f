// The README's connector table is generated from the registry; this fails when it is stale.
import { readFile } from 'node:fs/promises';
import { expect, test } from 'vitest';
import { connectorsTable, END, replaceSection, START } from '../../../scripts/connectors-table.js';

test('the README connector table matches the registry (run `npm run docs:connectors`)', async () => {
  const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
  expect(readme).toContain(START);
  expect(readme).toContain(END);
  expect(replaceSection(readme, connectorsTable())).toBe(readme);
  expect(connectorsTable().split('\n')).toHaveLength(2 + 22);
});
