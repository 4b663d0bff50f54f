// `pipeline sync` tells the truth on the unhappy paths: a failed sync prints the workflow's own
// reason (and --json a failure object), a cancelled one ends CANCELLED with its counters and the
// watermark untouched, a second `sync` of a running stream follows it, and the terminal gets its
// line wrapping back whatever way the command ends. The real binary against the dev server.
import { execFileSync, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { syncWorkflowId } from '../../src/temporal/client.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { BIN, cliEnv, runCli, startCli } from '../helpers/cli.js';
import { startTestWorker, temporalTestContext, type RunningWorker, type TemporalTestContext } from '../helpers/temporal.js';

let ctx: TemporalTestContext;
let sandbox: Sandbox;
let worker: RunningWorker | undefined;
const cli = (args: string[], env: Record<string, string> = {}) => runCli(ctx, args, env);

beforeAll(async () => {
  ctx = await temporalTestContext();
  // Some latency and a budget of 2 requests/s (all these connections share one key): a sync of 600
  // charges in pages of 40 is one sequential run of 15 pages (~8 s), in pages of 10 a sliced run of
  // 60 pages (~30 s): long enough to cancel or attach to.
  sandbox = await startSandbox({ seed: 21, sizes: { orders: 10, charges: 600, members: 10 }, faults: { latencyMs: 120 } });
  process.env.SYNC_CLI_STRIPE_KEY = sandbox.credentials.stripe.secretKey;
  worker = await startTestWorker(ctx, { connectors: ['stripe'], policyOverrides: { '*': { rate: { requestsPerSecond: 2 } } } });
  for (const id of ['slow-stripe', 'slice-stripe', 'attach-stripe', 'term-stripe']) {
    await ctx.store.add({ id, connectorId: 'stripe', config: { secretKey: 'env:SYNC_CLI_STRIPE_KEY' }, baseUrlOverride: sandbox.stripe.url });
  }
  // The worker does not have MY_STRIPE_KEY: every page fails with missing_secret.
  await ctx.store.add({ id: 'mystripe', connectorId: 'stripe', config: { secretKey: 'env:MY_STRIPE_KEY' }, baseUrlOverride: sandbox.stripe.url });
});

afterAll(async () => {
  await worker?.stop();
  await sandbox?.close();
  await ctx?.close();
});

async function pagesOf(workflowId: string): Promise<number> {
  try {
    return (await ctx.client.workflow.getHandle(workflowId).query<{ pages: number }>('progress')).pages;
  } catch {
    return 0;
  }
}

/** The run id of the latest run of this workflow id, if any. */
async function latestRunId(workflowId: string): Promise<string | null> {
  return ctx.client.workflow.getHandle(workflowId).describe().then((d) => d.runId, () => null);
}

/**
 * Waits for `n` pages of a run of `workflowId` other than `previousRunId` (a closed earlier run
 * answers queries too: without this a test could read its pages and act too early).
 */
async function waitForPages(workflowId: string, n: number, previousRunId: string | null = null): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (previousRunId && (await latestRunId(workflowId)) === previousRunId) {
    if (Date.now() > deadline) throw new Error(`${workflowId} did not start a new run`);
    await new Promise((r) => setTimeout(r, 100));
  }
  while ((await pagesOf(workflowId)) < n) {
    if (Date.now() > deadline) throw new Error(`${workflowId} did not reach ${n} pages`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a failed sync says why', () => {
  test('text: the workflow failure message with the provider-free reason, exit 1, no bare "Workflow execution failed"', async () => {
    const r = await cli(['sync', 'mystripe', '--page-size', '10']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Sync failed: missing_secret: Sync of Stripe charges for "mystripe" failed while sizing it: .*secretKey of connection "mystripe" refers to env:MY_STRIPE_KEY, which is not set on this worker/);
    expect(r.stderr).not.toMatch(/error: Workflow execution failed/);
  });

  test('--json: a failure object on stdout', async () => {
    const r = await cli(['sync', 'mystripe', '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ ok: false, outcome: 'failed', code: 'missing_secret', workflowId: syncWorkflowId('mystripe', 'charges', ctx.namePrefix) });
    expect(String(out.message)).toMatch(/env:MY_STRIPE_KEY, which is not set on this worker/);
  });
});

describe('a cancelled sync reads as a cancel', () => {
  test('sync --cancel ends the run CANCELLED with its counters; the follower exits 3; the watermark is not advanced; no workflow task failed', async () => {
    const workflowId = syncWorkflowId('slow-stripe', 'charges', ctx.namePrefix);
    const follower = startCli(ctx, ['sync', 'slow-stripe', '--page-size', '40'], {});
    await waitForPages(workflowId, 3);
    const cancel = await cli(['sync', 'slow-stripe', '--cancel', '--json']);
    expect(cancel.code).toBe(0);
    const out = JSON.parse(cancel.stdout) as { cancelled: boolean; pages: number; records: number; watermarkAdvanced: boolean };
    expect(out.cancelled).toBe(true);
    expect(out.pages).toBeGreaterThanOrEqual(3);
    expect(out.records).toBe(out.pages * 40);
    expect(out.watermarkAdvanced).toBe(false);

    const followed = await follower.stop('SIGTERM').catch(() => undefined);
    void followed;
    const desc = await ctx.client.workflow.getHandle(workflowId).describe();
    expect(desc.status.name).toBe('CANCELLED');
    const history = await ctx.client.workflow.getHandle(workflowId).fetchHistory();
    const failedTasks = (history.events ?? []).filter((e) => e.workflowTaskFailedEventAttributes);
    expect(failedTasks).toEqual([]);
    expect(await ctx.sink.loadState({ connectionId: 'slow-stripe', stream: 'charges' })).toBeNull();
  });

  test('a sliced first sync cancels as a whole: CANCELLED, every slice it started ended, no watermark', async () => {
    const workflowId = syncWorkflowId('slice-stripe', 'charges', ctx.namePrefix);
    const first = await cli(['sync', 'slice-stripe', '--page-size', '10', '--no-wait', '--json']);
    expect(first.code).toBe(0);
    const deadline = Date.now() + 30_000;
    // The parent counts a slice's pages when the slice ends: wait until slices are running.
    for (;;) {
      const p = await ctx.client.workflow.getHandle(workflowId).query<{ slices: { running: number } | null }>('progress').catch(() => null);
      if (p?.slices && p.slices.running > 0) break;
      if (Date.now() > deadline) throw new Error(`${workflowId} did not start its slices`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const cancel = await cli(['sync', 'slice-stripe', '--cancel', '--json']);
    expect(cancel.code).toBe(0);
    const out = JSON.parse(cancel.stdout) as { cancelled: boolean; watermarkAdvanced: boolean; slices: { done: number; total: number } };
    expect(out).toMatchObject({ cancelled: true, watermarkAdvanced: false });
    // Its counts are those of the finished slices, and it says so.
    expect(out.slices.total).toBeGreaterThan(1);
    expect(out.slices.done).toBeLessThan(out.slices.total);
    const handle = ctx.client.workflow.getHandle(workflowId);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.filter((e) => e.workflowTaskFailedEventAttributes)).toEqual([]);
    const started = events.filter((e) => e.childWorkflowExecutionStartedEventAttributes).length;
    const ended = events.filter((e) => e.childWorkflowExecutionCanceledEventAttributes || e.childWorkflowExecutionCompletedEventAttributes).length;
    expect(started).toBeGreaterThan(1);
    expect(ended).toBe(started);
    expect(await ctx.sink.loadState({ connectionId: 'slice-stripe', stream: 'charges' })).toBeNull();
  });

  test('the text of a cancel, and a follower that ends with exit 3', async () => {
    const workflowId = syncWorkflowId('slow-stripe', 'charges', ctx.namePrefix);
    const before = await latestRunId(workflowId);
    const follower = startCli(ctx, ['sync', 'slow-stripe', '--page-size', '40']);
    await waitForPages(workflowId, 2, before);
    const cancel = await cli(['sync', 'slow-stripe', '--cancel']);
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toMatch(/^Cancelled .*pull:slow-stripe:charges after \d+ pages and [\d,]+ records\. The watermark was not advanced: the next sync starts from the beginning, so nothing is skipped\./m);
    await new Promise<void>((resolve) => follower.child.on('close', () => resolve()));
    const ended = await follower.stop();
    expect(ended.code).toBe(3);
    expect(ended.stderr).toMatch(/Cancelled .*pull:slow-stripe:charges after \d+ pages/);
  });
});

describe('one run per stream', () => {
  test('a second `sync` of a running stream follows it to the end instead of refusing', async () => {
    const workflowId = syncWorkflowId('attach-stripe', 'charges', ctx.namePrefix);
    const first = await cli(['sync', 'attach-stripe', '--page-size', '40', '--no-wait', '--json']);
    expect(first.code).toBe(0);
    await waitForPages(workflowId, 1);
    const second = await cli(['sync', 'attach-stripe', '--json']);
    expect(second.code).toBe(0);
    const out = JSON.parse(second.stdout) as { ok: boolean; attached: boolean; records: number; workflowId: string };
    expect(out).toMatchObject({ ok: true, attached: true, records: 600, workflowId });
    const text = await cli(['sync', 'attach-stripe', '--no-wait']);
    expect(text.code).toBe(0);
  });
});

describe('the terminal is given back', () => {
  // `script` gives the command a pseudo-terminal, so the progress bars (and their escape codes) are drawn.
  function underTerminal(args: string[]): { output: () => string; closed: Promise<number> } {
    const command = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ');
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...cliEnv(ctx), CI: '', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString('latin1')));
    child.stderr.on('data', (d: Buffer) => (output += d.toString('latin1')));
    return { output: () => output, closed: new Promise((resolve) => child.on('close', (code) => resolve(code ?? -1))) };
  }
  const WRAP_OFF = '\x1b[?7l';
  const WRAP_ON = '\x1b[?7h';

  test('after a failed sync', async () => {
    const run = underTerminal(['sync', 'mystripe']);
    expect(await run.closed).toBe(1);
    const out = run.output();
    expect(out).toContain(WRAP_OFF);
    expect(out.lastIndexOf(WRAP_ON)).toBeGreaterThan(out.lastIndexOf(WRAP_OFF));
  });

  test('after Ctrl-C', async () => {
    const run = underTerminal(['sync', 'term-stripe', '--page-size', '40', '--full']);
    const deadline = Date.now() + 30_000;
    while (!/\d+ pages?/.test(run.output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    execFileSync('pkill', ['-INT', '-f', 'sync term-stripe']);
    expect(await run.closed).toBe(130);
    const out = run.output();
    expect(out).toContain(WRAP_OFF);
    expect(out.lastIndexOf(WRAP_ON)).toBeGreaterThan(out.lastIndexOf(WRAP_OFF));
    expect(out).toMatch(/Detached\. The sync goes on in Temporal/);
  });
});

describe('runs and connections, without the temporal CLI', () => {
  test('runs list filters the engine\'s runs by connection, kind and status', async () => {
    const r = await cli(['runs', 'list', '--connection', 'attach-stripe', '--kind', 'pull', '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { id: string; kind: string; connection: string; status: string }[];
    expect(rows.length).toBeGreaterThanOrEqual(1);
    for (const row of rows) expect(row).toMatchObject({ kind: 'pull', connection: 'attach-stripe', id: syncWorkflowId('attach-stripe', 'charges', ctx.namePrefix) });
    const failed = await cli(['runs', 'list', '--connector', 'stripe', '--status', 'failed']);
    expect(failed.code).toBe(0);
    expect(failed.stdout).toMatch(/pull:mystripe:charges\s+pull\s+mystripe\s+failed/);
    const bad = await cli(['runs', 'list', '--connector', 'strpe']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Unknown connector "strpe"\. Did you mean "stripe"\?/);
  });

  test('a connection\'s sandbox base URL can be moved (an emulator on a new port) and dropped', async () => {
    const moved = await cli(['connections', 'update', 'term-stripe', '--base-url-override', 'http://127.0.0.1:4999', '--json']);
    expect(moved.code).toBe(0);
    expect((await ctx.store.get('term-stripe'))?.baseUrlOverride).toBe('http://127.0.0.1:4999');
    const outside = await cli(['connections', 'update', 'term-stripe', '--base-url-override', 'https://api.example.com']);
    expect(outside.code).toBe(1);
    expect(outside.stderr).toMatch(/baseUrlOverride must be a loopback URL/);
    const dropped = await cli(['connections', 'update', 'term-stripe', '--unset-base-url-override']);
    expect(dropped.code).toBe(0);
    expect((await ctx.store.get('term-stripe'))?.baseUrlOverride).toBeUndefined();
  });
});
