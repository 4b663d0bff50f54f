// The kill-point soak, short (`npm run soak` is the long one): 2,000 records of each source, a sliced
// full sync and incremental runs with changes made between and during them, through a real
// `pipeline worker` process SIGKILLed at random (seeded) moments — at least 3 times per source, at
// least once in an incremental run — and restarted. Nothing may be lost, duplicated or stale after any run, and every
// saved watermark must be the highest trusted change time that landed, not after the run's bound.
// How kill moments are chosen so that short syncs still get killed: test/helpers/soak.ts.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { formatSoakReport, runSoak, type SoakReport } from '../helpers/soak.js';
import { temporalTestContext, type TemporalTestContext } from '../helpers/temporal.js';

const SEED = 20_251;
const KILLS = 3;

let ctx: TemporalTestContext;

beforeAll(async () => {
  ctx = await temporalTestContext();
});

afterAll(async () => {
  await ctx?.close();
});

test('a worker SIGKILLed at random moments of full and incremental syncs: nothing lost, duplicated or stale, watermarks exact', async () => {
  let report: SoakReport | undefined;
  const lines: string[] = [];
  try {
    report = await runSoak({
      address: ctx.address,
      namespace: ctx.namespace,
      client: ctx.client,
      namePrefix: ctx.namePrefix,
      home: ctx.home,
      seed: SEED,
      records: 2_000,
      kills: KILLS,
      fullSyncKills: 2,
      minIncrementalRuns: 2,
      latencyMs: 30,
      pageSize: 100,
      // About 70 s on this two-core machine alone; the margin is for a busy one (the suite's other files).
      timeoutMs: 200_000,
      log: (line) => lines.push(line),
    });
  } finally {
    // The runs and kills as they happened only when something went wrong; the summary always.
    if (!report?.ok) process.stdout.write(`${lines.join('\n')}\n`);
    if (report) process.stdout.write(`${formatSoakReport(report, { perKill: !report.ok })}\n`);
  }
  expect(report.problems).toEqual([]);
  for (const s of report.sources) {
    expect(s.lost, `${s.source}: lost`).toEqual([]);
    expect(s.duplicated, `${s.source}: duplicated`).toEqual([]);
    expect(s.stale, `${s.source}: stale`).toEqual([]);
    expect(s.watermarkOk, `${s.source}: watermark check`).toBe(true);
    expect(s.failedRuns, `${s.source}: failed runs`).toBe(0);
    expect(s.kills, `${s.source}: kills`).toBeGreaterThanOrEqual(KILLS);
    expect(s.killsInIncremental, `${s.source}: kills in incremental runs`).toBeGreaterThanOrEqual(1);
    // The last run covered every record of the sandbox, created ones included.
    expect(s.stored, `${s.source}: stored`).toBe(s.sandboxRecords);
    expect(s.created, `${s.source}: records created during the soak`).toBeGreaterThan(0);
    // A lost attempt is noticed by its heartbeat, never by waiting out its start-to-close timeout.
    expect(s.retries.START_TO_CLOSE ?? 0, `${s.source}: retries after START_TO_CLOSE`).toBe(0);
  }
}, 240_000);
