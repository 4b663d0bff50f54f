// `npm start` (`pipeline demo`) beside a Temporal server someone else runs (`pipeline dev --sandbox`,
// here the test server through TEMPORAL_ADDRESS): it keeps to its own task queues, connections and
// data, leaves the other stack's `demo-*` connections alone, counts what it pulled (not what the files
// hold from earlier runs), and on Ctrl-C cancels the syncs it started, quickly, giving the terminal back.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { temporalTestContext, type TemporalTestContext } from '../helpers/temporal.js';

let ctx: TemporalTestContext;
let home: string;
// What `pipeline dev --sandbox` left in the shared PIPELINE_HOME: demo-* connections of its own.
const OTHER_STACK = {
  connections: {
    'demo-stripe': { id: 'demo-stripe', connectorId: 'stripe', config: { authMethod: 'secret_key', secretKey: 'env:OTHER_STACK_KEY' }, baseUrlOverride: 'http://127.0.0.1:45999', createdAt: '2026-12-01T00:00:00.000Z', updatedAt: '2026-12-01T00:00:00.000Z' },
  },
};

beforeAll(async () => {
  ctx = await temporalTestContext();
  home = await mkdtemp(join(tmpdir(), 'pipeline-demo-'));
  await writeFile(join(home, 'connections.json'), JSON.stringify({ version: 1, ...OTHER_STACK }, null, 2), { mode: 0o600 });
});

afterAll(async () => {
  await rm(home, { recursive: true, force: true });
  await ctx?.close();
});

const env = () => ({ PIPELINE_HOME: home, PIPELINE_CONNECTIONS_FILE: join(home, 'connections.json'), PIPELINE_DATA_DIR: join(home, 'data'), PIPELINE_NAME_PREFIX: '' });

async function demoRuns(status: string): Promise<number> {
  return (await ctx.client.workflow.count(`WorkflowId STARTS_WITH "demo-" AND ExecutionStatus = "${status}"`)).count;
}

describe('npm start beside another stack', () => {
  test('runs with its own prefix and connections, and reports what this run pulled', async () => {
    const before = await readFile(join(home, 'connections.json'), 'utf8');
    const r = await runCli(ctx, ['demo', '--records', '300', '--latency', '0', '--exit', '--json'], env());
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { syncs: { recordsPulled: number; recordsStored: number; workflowId: string; file: string }[] };
    expect(out.syncs).toHaveLength(3);
    for (const s of out.syncs) {
      expect(s.recordsPulled).toBe(300);
      expect(s.workflowId).toMatch(/^demo-[0-9a-f]{6}-pull:demo-(shopify|stripe|mailchimp):/);
      expect(s.file.startsWith(join(home, 'demo-runs'))).toBe(true);
    }
    // The other stack's demo-stripe still points at its own sandbox.
    expect(await readFile(join(home, 'connections.json'), 'utf8')).toBe(before);
    expect(await demoRuns('Running')).toBe(0);
  }, 180_000);

  test('the text summary counts the records pulled in this run', async () => {
    const r = await runCli(ctx, ['demo', '--records', '200', '--latency', '0', '--exit'], env());
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/A Temporal server is already running at .*: this demo runs beside what is there/);
    expect(r.stdout).toMatch(/^600 records pulled in /m);
    expect(r.stdout).toMatch(/Shopify orders\s+200 records \(\d+ pages?, sandbox\)/);
  }, 180_000);

  test('Ctrl-C while syncing cancels what the demo started and stops within seconds', async () => {
    const run = startCli(ctx, ['demo', '--records', '5000', '--latency', '300'], env());
    await run.waitFor(/Mailchimp members: sandbox provider/, 90_000);
    // Let the syncs get going.
    const deadline = Date.now() + 60_000;
    while ((await demoRuns('Running')) < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const stopAt = Date.now();
    const ended = await run.stop('SIGINT');
    expect(ended.code).toBe(130);
    expect(Date.now() - stopAt).toBeLessThan(20_000);
    expect(ended.stderr).toMatch(/Stopping: cancelling the 3 syncs this demo started/);
    expect(await demoRuns('Running')).toBe(0);
    expect(await demoRuns('Canceled')).toBeGreaterThanOrEqual(3);
  }, 180_000);
});
