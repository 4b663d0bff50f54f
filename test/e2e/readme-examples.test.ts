// The README's command examples, run for real against `pipeline dev --sandbox` in a fresh folder
// (scripts/readme-examples.ts): each must still print what the README shows, so the README cannot
// drift from the CLI again. `npx tsx scripts/readme-examples.ts --write` regenerates the outputs.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { differences, normalize, parseReadme, runExamples, stripComment } from '../../scripts/readme-examples.js';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));

describe('the README examples runner', () => {
  test('finds the examples, their expected output and the setup exports', async () => {
    const { setup, examples } = parseReadme(await readFile(README, 'utf8'));
    expect(setup.SLACK_WEBHOOK_URL).toMatch(/^https:\/\/hooks\.slack\.com\/services\//);
    expect(examples.length).toBeGreaterThanOrEqual(15);
    expect(examples.map((e) => e.command)).toContain('pipeline sync demo-stripe');
  });

  test('blanks only what changes from run to run', () => {
    expect(stripComment('pipeline sync x   # a comment')).toBe('pipeline sync x');
    expect(stripComment(`pipeline schedules pause x --note "a # b"`)).toBe(`pipeline schedules pause x --note "a # b"`);
    expect(normalize(['ok: HTTP 200 in 25 ms', 'at 2026-12-02T02:31:55.890Z on 127.0.0.1:46417'])).toEqual(['ok: HTTP 200 in <duration>', 'at <time> on <host>']);
    expect(normalize(['2,500 records'])).toEqual(['2,500 records']);
  });
});

test('every README example prints what the README shows', async () => {
  const results = await runExamples(await readFile(README, 'utf8'));
  const diff = differences(results).map((d) => ({ command: d.command, readme: normalize(d.expected), actual: normalize(d.actual) }));
  expect(diff).toEqual([]);
}, 300_000);
