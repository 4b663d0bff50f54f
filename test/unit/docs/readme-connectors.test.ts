// The README's connector table is generated from the registry; this fails when it is stale.
import { readFile } from 'node:fs/promises';
import { expect, test } from 'vitest';
import { connectorsTable, END, guaranteesTable, GUARANTEES_END, GUARANTEES_START, replaceSection, START } from '../../../scripts/connectors-table.js';

test('the README connector table matches the registry (run `npm run docs:connectors`)', async () => {
  const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
  expect(readme).toContain(START);
  expect(readme).toContain(END);
  expect(replaceSection(readme, connectorsTable())).toBe(readme);
  expect(connectorsTable().split('\n')).toHaveLength(2 + 22);
});

test('the README table of pipeline guarantees matches the registry (run `npm run docs:connectors`)', async () => {
  const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
  expect(replaceSection(readme, guaranteesTable(), GUARANTEES_START, GUARANTEES_END)).toBe(readme);
  // One row per destination, each saying exactly once or at most once.
  const rows = guaranteesTable().split('\n').slice(2);
  expect(rows.length).toBeGreaterThanOrEqual(15);
  for (const r of rows) expect(r).toMatch(/\*\*(exactly|at most) once\*\*/);
});
