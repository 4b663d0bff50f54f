// `pipeline demo` (the README's first command, `npm start`): the main job on the embedded default.
// A Temporal dev server with its Web UI, a worker, and the local sandbox providers come up; full
// syncs of Shopify orders, Stripe charges and Mailchimp list members run through Temporal into the
// default sink with live progress; it ends with the record counts, where they landed and the Web UI
// links of the three runs. Real credentials in the environment replace a sandbox provider.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { startDestinations, type Destinations } from '../../sandbox/destinations/index.js';
import { followPipeline, PipelineRunningError, startPipelineRun } from '../../temporal/pipeline-client.js';
import type { pipelineWorkflow } from '../../../workflows/pipeline.js';
import { createPipelineProgressView } from '../pipeline-progress.js';
import { loadSettings, type Settings } from '../../settings.js';
import { serverAnswers } from '../../temporal/dev-server.js';
import { followSync, startSync, syncWorkflowId, SyncAlreadyRunningError } from '../../temporal/client.js';
import type { NewConnection } from '../../connections/types.js';
import type { pullWorkflow, PullResult } from '../../../workflows/pull.js';
import type { WorkflowHandle } from '@temporalio/client';
import { startLocalStack, workflowListUrl, workflowUrl } from '../local-stack.js';
import { startStackConsole } from './console.js';
import { color, count, displayPath, formatDuration, isInteractive, plural, printJson } from '../output.js';
import { createProgressView } from '../progress.js';

export interface DemoOptions {
  records: number;
  latencyMs: number;
  exit: boolean;
  json: boolean;
  metricsPort?: number;
  /** Start the web console beside the stack (default true), on this port (default 8390, else any free one). */
  console?: boolean;
  consolePort?: number;
}

export interface DemoSource {
  key: 'shopify' | 'stripe' | 'mailchimp';
  label: string;
  stream: string;
  connection: NewConnection;
  sandboxed: boolean;
}

/** Real credentials from the environment when all of a provider's variables are set. */
export function demoSources(sandbox: Sandbox | null): DemoSource[] {
  const env = process.env;
  const sources: DemoSource[] = [];
  if (env.SHOPIFY_SHOP_DOMAIN && env.SHOPIFY_ACCESS_TOKEN) {
    sources.push({ key: 'shopify', label: 'Shopify orders', stream: 'orders', sandboxed: false, connection: { id: 'demo-shopify', connectorId: 'shopify', config: { shopDomain: env.SHOPIFY_SHOP_DOMAIN, accessToken: 'env:SHOPIFY_ACCESS_TOKEN' } } });
  } else if (sandbox) {
    env.PIPELINE_DEMO_SHOPIFY_TOKEN = sandbox.credentials.shopify.accessToken;
    sources.push({ key: 'shopify', label: 'Shopify orders', stream: 'orders', sandboxed: true, connection: { id: 'demo-shopify', connectorId: 'shopify', baseUrlOverride: sandbox.shopify.url, config: { shopDomain: sandbox.credentials.shopify.shopDomain, accessToken: 'env:PIPELINE_DEMO_SHOPIFY_TOKEN' } } });
  }
  if (env.STRIPE_SECRET_KEY) {
    sources.push({ key: 'stripe', label: 'Stripe charges', stream: 'charges', sandboxed: false, connection: { id: 'demo-stripe', connectorId: 'stripe', config: { secretKey: 'env:STRIPE_SECRET_KEY' } } });
  } else if (sandbox) {
    env.PIPELINE_DEMO_STRIPE_KEY = sandbox.credentials.stripe.secretKey;
    sources.push({ key: 'stripe', label: 'Stripe charges', stream: 'charges', sandboxed: true, connection: { id: 'demo-stripe', connectorId: 'stripe', baseUrlOverride: sandbox.stripe.url, config: { secretKey: 'env:PIPELINE_DEMO_STRIPE_KEY' } } });
  }
  if (env.MAILCHIMP_API_KEY && env.MAILCHIMP_LIST_ID) {
    sources.push({ key: 'mailchimp', label: 'Mailchimp members', stream: 'members', sandboxed: false, connection: { id: 'demo-mailchimp', connectorId: 'mailchimp', config: { apiKey: 'env:MAILCHIMP_API_KEY', listId: env.MAILCHIMP_LIST_ID } } });
  } else if (sandbox) {
    env.PIPELINE_DEMO_MAILCHIMP_KEY = sandbox.credentials.mailchimp.apiKey;
    sources.push({ key: 'mailchimp', label: 'Mailchimp members', stream: 'members', sandboxed: true, connection: { id: 'demo-mailchimp', connectorId: 'mailchimp', baseUrlOverride: sandbox.mailchimp.url, config: { apiKey: 'env:PIPELINE_DEMO_MAILCHIMP_KEY', listId: sandbox.credentials.mailchimp.listId } } });
  }
  return sources;
}

/**
 * Connections to the local destination emulators (src/sandbox/destinations): demo-segment,
 * demo-braze, demo-kinesis and demo-slack. Their secrets are fake and still go through env:
 * references (set here, in the process that runs the worker), as real ones must.
 */
export function demoDestinations(d: Destinations): NewConnection[] {
  const env = process.env;
  const ref = (name: string, value: string) => {
    env[name] = value;
    return `env:${name}`;
  };
  const c = d.credentials;
  return [
    { id: 'demo-segment', connectorId: 'segment', baseUrlOverride: d.urls.segment, config: { writeKey: ref('PIPELINE_DEMO_SEGMENT_WRITE_KEY', c.segment.writeKey) } },
    { id: 'demo-braze', connectorId: 'braze', baseUrlOverride: d.urls.braze, config: { restEndpoint: c.braze.restEndpoint, apiKey: ref('PIPELINE_DEMO_BRAZE_KEY', c.braze.apiKey) } },
    {
      id: 'demo-kinesis', connectorId: 'kinesis', baseUrlOverride: d.urls.kinesis,
      config: { region: c.kinesis.region, streamName: c.kinesis.streamName, accessKeyId: c.kinesis.accessKeyId, secretAccessKey: ref('PIPELINE_DEMO_AWS_SECRET', c.kinesis.secretAccessKey) },
    },
    // A Slack webhook URL of Slack's own shape, answered by the local receiver.
    { id: 'demo-slack', connectorId: 'slack', baseUrlOverride: d.urls.slack, config: { webhookUrl: ref('PIPELINE_DEMO_SLACK_WEBHOOK', 'https://hooks.slack.com/services/T00000000/B00000000/sandboxsandboxsandbox00') } },
  ];
}

async function startOrAttach(client: Client, start: () => Promise<WorkflowHandle<typeof pullWorkflow>>, id: string): Promise<{ handle: WorkflowHandle<typeof pullWorkflow>; ours: boolean }> {
  try {
    return { handle: await start(), ours: true };
  } catch (err) {
    // A demo interrupted earlier left its sync running in Temporal: follow that one.
    if (err instanceof SyncAlreadyRunningError) return { handle: client.workflow.getHandle<typeof pullWorkflow>(id), ours: false };
    throw err;
  }
}

/**
 * A Temporal server that someone else runs (`pipeline dev --sandbox`, a cluster at TEMPORAL_ADDRESS)
 * may have workers and `demo-*` connections of its own. The demo then keeps to itself: its own task
 * queues and workflow ids (a name prefix), and its own connections and data under
 * $PIPELINE_HOME/demo-runs/<run>, so it neither re-points the other stack's connections at its own
 * short-lived sandbox nor has its syncs run by workers that cannot reach that sandbox.
 */
async function isolatedIfShared(settings: Settings): Promise<{ settings: Settings; note: string | null }> {
  const shared = Boolean(process.env.TEMPORAL_ADDRESS) || (await serverAnswers('127.0.0.1:7233', settings.namespace, 1_000));
  if (!shared) return { settings, note: null };
  const run = randomUUID().slice(0, 6);
  const dir = join(settings.home, 'demo-runs', run);
  return {
    settings: { ...settings, namePrefix: `${settings.namePrefix}demo-${run}-`, connectionsFile: join(dir, 'connections.json'), dataDir: join(dir, 'data') },
    note: `A Temporal server is already running${process.env.TEMPORAL_ADDRESS ? ` at ${settings.temporalAddress}` : ' at 127.0.0.1:7233 (\`pipeline dev\`?)'}: this demo runs beside what is there, with its own task queues (prefix demo-${run}-) and its own connections and data in ${dir}.`,
  };
}

export async function demoCommand(opts: DemoOptions): Promise<void> {
  const say = (line: string) => {
    if (!opts.json) process.stdout.write(`${line}\n`);
  };
  const needsSandbox = !(process.env.SHOPIFY_ACCESS_TOKEN && process.env.STRIPE_SECRET_KEY && process.env.MAILCHIMP_API_KEY);
  let sandbox: Sandbox | null = null;
  if (needsSandbox) {
    // Sandbox mode lets the executors call the loopback emulators, and nothing else changes.
    process.env.PIPELINE_SANDBOX = '1';
    sandbox = await startSandbox({ sizes: { orders: opts.records, charges: opts.records, members: opts.records }, faults: { latencyMs: opts.latencyMs } });
  }
  // The destination emulators (Segment, Braze, Kinesis, Slack): the demo's pipeline delivers to one.
  process.env.PIPELINE_SANDBOX = '1';
  const destinations = await startDestinations({ segment: { faults: { latencyMs: Math.min(opts.latencyMs, 50) } } });
  const isolation = await isolatedIfShared(loadSettings());
  const settings = isolation.settings;
  if (isolation.note) say(isolation.note);
  const began = Date.now();
  // --metrics-port (else PIPELINE_METRICS_PORT): the stack serves the worker's metrics and says where.
  const stack = await startLocalStack({ settings, withWorker: true, log: say, ...(opts.metricsPort !== undefined ? { metricsPort: opts.metricsPort } : {}) });
  // The web console over the demo's own store and client: open it to watch the syncs as they run.
  const consoleServer = opts.console === false ? null : await startStackConsole(stack, opts.consolePort).catch(async (err: unknown) => {
    await stack.stop();
    throw err;
  });
  if (consoleServer) say(`Pipeline console: ${color.cyan(consoleServer.url)}`);
  const started: WorkflowHandle<typeof pullWorkflow>[] = [];
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    // Each part is stopped whatever the others do: a part that fails to close is said, and the
    // command still ends with its own outcome (130 after Ctrl-C), not with that error.
    const close = async (what: string, fn: () => Promise<unknown> | undefined) => {
      try {
        await fn();
      } catch (err) {
        process.stderr.write(`warning: stopping the ${what}: ${(err as Error).message}\n`);
      }
    };
    await close('console', () => consoleServer?.close());
    await close('worker and Temporal connection', () => stack.stop());
    await close('sandbox providers', () => sandbox?.close());
    await close('sandbox destinations', () => destinations.close());
  };
  // Ctrl-C while syncing: cancel the syncs this demo started (their watermarks stay where they were),
  // then stop the worker and the server in that order, and give the terminal back.
  let view: ReturnType<typeof createProgressView> | null = null;
  const interrupted = new Promise<never>((_, reject) => {
    process.once('SIGINT', () => reject(new DemoInterrupted()));
  });
  interrupted.catch(() => undefined);

  try {
    const sources = demoSources(sandbox);
    for (const s of sources) {
      await stack.store.put(s.connection);
      say(`${s.label}: ${s.sandboxed ? `sandbox provider at ${s.connection.baseUrlOverride}` : 'real provider (credentials from the environment)'}`);
    }
    say('');
    view = opts.json ? null : createProgressView(Object.fromEntries(sources.map((s) => [s.key, s.label])));
    const syncs = Promise.all(
      sources.map(async (s) => {
        const id = syncWorkflowId(s.connection.id, s.stream, settings.namePrefix);
        const { handle, ours } = await startOrAttach(
          stack.client,
          () => startSync(stack.client, stack.store, { connectionId: s.connection.id, stream: s.stream, mode: 'full', namePrefix: settings.namePrefix }),
          id,
        );
        if (ours) started.push(handle);
        const result = await followSync(handle, (p) => view?.update(s.key, p));
        view?.done(s.key, result.records, result.pages);
        const runId = (await handle.describe()).runId;
        return { source: s, result, workflowId: id, runId };
      }),
    );
    syncs.catch(() => undefined);
    let runs;
    try {
      runs = await Promise.race([syncs, interrupted]);
    } catch (err) {
      if (!(err instanceof DemoInterrupted)) throw err;
      view?.stop();
      process.stderr.write(`\nStopping: cancelling the ${started.length} sync${started.length === 1 ? '' : 's'} this demo started (nothing already landed is lost; each keeps its last watermark) ...\n`);
      await Promise.allSettled(started.map(async (h) => {
        await h.cancel();
        await h.result();
      }));
      process.exitCode = 130;
      return;
    }
    view?.stop();

    // One pipeline: the Stripe charges to the Segment emulator, mapped and filtered, through the ledger.
    let pipeline: DemoPipeline | null = null;
    if (sources.some((s) => s.key === 'stripe')) {
      pipeline = await runDemoPipeline(stack, destinations, settings, opts.json, () => interrupted);
      if (pipeline === null) {
        process.exitCode = 130;
        return;
      }
    }

    const summary = runs.map(({ source, result, workflowId, runId }) => ({
      source: source.label,
      provider: source.sandboxed ? 'sandbox' : 'real',
      recordsPulled: result.records,
      recordsStored: result.storedRecords,
      pages: result.pages,
      file: result.location,
      workflowId,
      webUi: stack.uiUrl ? workflowUrl(stack.uiUrl, settings.namespace, workflowId, runId) : null,
    }));
    if (opts.json) {
      printJson({ temporal: stack.address, webUi: stack.uiUrl, console: consoleServer?.url ?? null, elapsedMs: Date.now() - began, syncs: summary, ...(pipeline ? { pipeline } : {}) });
    } else {
      printSummary(summary, runs.map((r) => r.result), stack.uiUrl, consoleServer?.url ?? null, settings.namespace, Date.now() - began);
      if (pipeline) printPipeline(pipeline);
    }

    if (!opts.exit && isInteractive() && stack.devServer) {
      say(`\nThe Temporal Web UI${consoleServer ? ' and the console stay' : ' stays'} up at ${color.cyan(stack.uiUrl ?? '')}${consoleServer ? ` and ${color.cyan(consoleServer.origin)}` : ''} — press Ctrl-C to stop.`);
      await new Promise<void>((resolve) => {
        interrupted.catch(() => resolve());
        process.once('SIGTERM', resolve);
      });
    } else if (stack.devServer) {
      say(`\nThe dev server${consoleServer ? ' and the console stop' : ' stops'} with this command; its history is kept in ${settings.home}/temporal.sqlite.`);
      say(`Run ${color.bold('npm run dev')} to bring the Web UI${consoleServer ? ' and a console' : ''} back with these runs.`);
    }
  } finally {
    view?.stop();
    await stop();
  }
}

class DemoInterrupted extends Error {}

/** The demo's pipeline: what it is, and what its run and its ledger say. */
export interface DemoPipeline {
  id: string;
  from: string;
  to: string;
  workflowId: string;
  records: number;
  delivered: number;
  filtered: number;
  dead: number;
  requests: number;
  ledger: Record<string, number>;
  ledgerLocation: string;
}

export const DEMO_PIPELINE = {
  id: 'demo-charges-to-segment',
  // Each succeeded charge becomes a Segment track event; the customer is the user (anonymous otherwise).
  mapping: `{
  "type": "track",
  "event": "Charge Succeeded",
  "userId": customer ? customer : undefined,
  "anonymousId": customer ? undefined : id,
  "timestamp": $fromMillis(created * 1000),
  "properties": { "charge_id": id, "amount": amount / 100, "currency": $uppercase(currency), "card": payment_method_details.card.brand }
}`,
  // Only the large ones: succeeded charges of 250.00 or more (amounts are in cents).
  filter: 'status = "succeeded" and amount >= 25000',
} as const;

async function runDemoPipeline(
  stack: Awaited<ReturnType<typeof startLocalStack>>,
  destinations: Destinations,
  settings: Settings,
  json: boolean,
  interrupted: () => Promise<never>,
): Promise<DemoPipeline | null> {
  for (const c of demoDestinations(destinations)) await stack.store.put(c);
  await stack.store.pipelines.put({
    id: DEMO_PIPELINE.id,
    source: { connectionId: 'demo-stripe', stream: 'charges', from: 'pull' },
    filter: DEMO_PIPELINE.filter,
    mapping: DEMO_PIPELINE.mapping,
    destination: { connectionId: 'demo-segment' },
    note: 'Made by `npm start`: succeeded Stripe charges of 250.00 or more as Segment track events.',
  });
  if (!json) process.stdout.write(`\nPipeline ${color.bold(DEMO_PIPELINE.id)}: succeeded Stripe charges of 250.00 or more → Segment track events (sandbox Segment at ${destinations.urls.segment})\n`);
  let handle;
  try {
    handle = await startPipelineRun(stack.client, stack.store, { pipelineId: DEMO_PIPELINE.id, namePrefix: settings.namePrefix });
  } catch (err) {
    if (!(err instanceof PipelineRunningError)) throw err;
    handle = stack.client.workflow.getHandle<typeof pipelineWorkflow>(err.workflowId);
  }
  const view = json ? null : createPipelineProgressView(DEMO_PIPELINE.id);
  try {
    const result = await Promise.race([followPipeline(handle, (p) => view?.update(p)), interrupted()]);
    view?.stop();
    return {
      id: DEMO_PIPELINE.id,
      from: 'demo-stripe:charges',
      to: 'demo-segment',
      workflowId: handle.workflowId,
      records: result.records,
      delivered: result.delivered,
      filtered: result.filtered,
      dead: result.dead,
      requests: result.requests,
      ledger: { ...result.ledger },
      ledgerLocation: result.ledgerLocation,
    };
  } catch (err) {
    view?.stop();
    if (!(err instanceof DemoInterrupted)) throw err;
    process.stderr.write(`\nStopping: cancelling the pipeline run (what it delivered is in its ledger) ...\n`);
    await handle.cancel();
    await handle.result().catch(() => undefined);
    return null;
  }
}

function printPipeline(p: DemoPipeline): void {
  const out = process.stdout;
  out.write(`\n${color.bold(`Pipeline ${p.id}`)}: ${p.from} → ${p.to}: ${plural(p.records, 'charge')} read, ${color.bold(`${count(p.delivered)} delivered`)} in ${plural(p.requests, 'batch', 'batches')}, ${count(p.filtered)} filtered out (under 250.00), ${count(p.dead)} dead\n`);
  const l = p.ledger;
  out.write(`  ledger: ${count(l.delivered ?? 0)} delivered, ${count(l.filtered ?? 0)} filtered, ${count(l.dead ?? 0)} dead, ${count(l.unknown ?? 0)} unknown -> ${displayPath(p.ledgerLocation)}\n`);
  out.write(`  again: pipeline pipelines run ${p.id} (delivers only what changed); pipeline pipelines show ${p.id}\n`);
}

function printSummary(
  rows: { source: string; provider: string; recordsPulled: number; recordsStored: number; pages: number; file: string; webUi: string | null }[],
  results: PullResult[],
  uiUrl: string | null,
  consoleUrl: string | null,
  namespace: string,
  elapsedMs: number,
): void {
  // What this run pulled; the files may hold more from earlier runs (each id once), said per row.
  const total = results.reduce((n, r) => n + r.records, 0);
  const out = process.stdout;
  out.write(`\n${color.bold(`${plural(total, 'record')} pulled`)} in ${formatDuration(elapsedMs)}:\n`);
  for (const r of rows) {
    const stored = r.recordsStored === r.recordsPulled ? '' : `, ${plural(r.recordsStored, 'record')} stored in all`;
    out.write(`  ${r.source.padEnd(18)} ${plural(r.recordsPulled, 'record').padStart(14)} (${plural(r.pages, 'page')}, ${r.provider}${stored}) -> ${displayPath(r.file)}\n`);
  }
  if (consoleUrl || uiUrl) out.write('\n');
  if (consoleUrl) out.write(`Pipeline console: ${color.cyan(consoleUrl)}\n`);
  if (uiUrl) {
    out.write(`Temporal Web UI: ${color.cyan(workflowListUrl(uiUrl, namespace, 'WorkflowType="pullWorkflow"'))}\n`);
    for (const r of rows) if (r.webUi) out.write(`  ${r.source.padEnd(18)} ${r.webUi}\n`);
  }
  out.write(`\nFile format: one JSON object per line {id, updatedAt, syncedAt, data}; see README "Sink format".\n`);
}
