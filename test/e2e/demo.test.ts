// `npm start` (`pipeline demo`) beside a Temporal server someone else runs (`pipeline dev --sandbox`,
// here the test server through TEMPORAL_ADDRESS): it keeps to its own task queues, connections and
// data, leaves the other stack's `demo-*` connections alone, counts what it pulled (not what the files
// hold from earlier runs), serves the web console over its own connections and prints its link, and
// on Ctrl-C cancels the syncs it started, quickly, giving the terminal back.
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

const CONSOLE_URL = /^http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{43}$/;

const env = () => ({ PIPELINE_HOME: home, PIPELINE_CONNECTIONS_FILE: join(home, 'connections.json'), PIPELINE_DATA_DIR: join(home, 'data'), PIPELINE_NAME_PREFIX: '' });

async function demoRuns(status: string): Promise<number> {
  return (await ctx.client.workflow.count(`WorkflowId STARTS_WITH "demo-" AND ExecutionStatus = "${status}"`)).count;
}

describe('npm start beside another stack', () => {
  test('runs with its own prefix and connections, and reports what this run pulled', async () => {
    const before = await readFile(join(home, 'connections.json'), 'utf8');
    const r = await runCli(ctx, ['demo', '--records', '300', '--latency', '0', '--exit', '--json'], env());
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { console: string; syncs: { recordsPulled: number; recordsStored: number; workflowId: string; file: string }[] };
    expect(out.syncs).toHaveLength(3);
    expect(out.console).toMatch(CONSOLE_URL);
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
    // The console's link, with its token: as soon as it is up, and in the summary next to the Web UI's.
    const links = [...r.stdout.matchAll(/^Pipeline console: (\S+)$/gm)].map((m) => m[1]);
    expect(links).toHaveLength(2);
    for (const link of links) expect(link).toMatch(CONSOLE_URL);
  }, 180_000);

  test('Ctrl-C while syncing cancels what the demo started and stops within seconds', async () => {
    const run = startCli(ctx, ['demo', '--records', '5000', '--latency', '300'], env());
    await run.waitFor(/Mailchimp members: sandbox provider/, 90_000);
    // Let the syncs get going.
    const deadline = Date.now() + 60_000;
    while ((await demoRuns('Running')) < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const stopAt = Date.now();
    const ended = await run.stop('SIGINT');
    expect(ended.code, ended.stderr).toBe(130);
    expect(Date.now() - stopAt).toBeLessThan(20_000);
    expect(ended.stderr).toMatch(/Stopping: cancelling the 3 syncs this demo started/);
    expect(await demoRuns('Running')).toBe(0);
    expect(await demoRuns('Canceled')).toBeGreaterThanOrEqual(3);
  }, 180_000);

  test('while it runs, its console answers with the demo\'s own connections, not the other stack\'s', async () => {
    const run = startCli(ctx, ['demo', '--records', '3000', '--latency', '100'], env());
    try {
      await run.waitFor(/^Pipeline console: /m, 90_000);
      const link = /^Pipeline console: (\S+)$/m.exec(run.stdout())?.[1] ?? '';
      expect(link).toMatch(CONSOLE_URL);
      const { origin, hash } = new URL(link);
      const token = hash.slice('#token='.length);
      expect((await fetch(`${origin}/api/connections`)).status).toBe(401);
      await run.waitFor(/Mailchimp members: sandbox provider/, 30_000);
      const answer = await fetch(`${origin}/api/connections`, { headers: { 'x-console-token': token } });
      expect(answer.status).toBe(200);
      const { connections } = (await answer.json()) as { connections: { id: string; sandboxUrl: string }[] };
      expect(connections.map((c) => c.id)).toEqual(expect.arrayContaining(['demo-mailchimp', 'demo-shopify', 'demo-stripe']));
      expect(connections.find((c) => c.id === 'demo-stripe')?.sandboxUrl).not.toBe(OTHER_STACK.connections['demo-stripe'].baseUrlOverride);
    } finally {
      expect((await run.stop('SIGINT')).code).toBe(130);
    }
  }, 180_000);
});
