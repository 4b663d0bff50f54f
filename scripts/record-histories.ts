// Records the replay fixtures in test/fixtures/histories/: real histories of every workflow the
// worker runs (pulls sequential with continue-as-new, sliced with their slice children, incremental
// through Stripe events, failing on a bad credential; a scheduled pull; sends that succeed and fail;
// a reverse-ETL run followed with timers; a connection test; pipeline runs — a sliced first run, an
// incremental one, one with dead letters, a replay, a scheduled one), made on a dev server of its own against
// the sandbox and local receivers. test/workflows/replay.test.ts replays them against the current
// workflow code, so a change that would break running workflows fails CI.
//
// Run it on purpose only (README, "Replay fixtures"): after a change that is *meant* to change what
// workflows do, and only once no workflow started by the old code can still be running anywhere
// (otherwise guard the change with `patched()` and keep the old fixtures).
//
//   npm run histories:record                       # all fixtures
//   npm run histories:record -- send pull-sliced   # only those whose name starts with one of these
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { FileConnectionStore } from '../src/connections/file-store.js';
import { startSandbox } from '../src/sandbox/index.js';
import { JsonlSink } from '../src/sinks/jsonl.js';
import { startSync, syncWorkflowId } from '../src/temporal/client.js';
import { startDevServer } from '../src/temporal/dev-server.js';
import { startReverseEtl, startSend } from '../src/temporal/send-client.js';
import { startPipelineWorkflow } from '../src/temporal/start.js';
import { workflowTaskQueue } from '../src/temporal/task-queues.js';
import { createPipelineWorker } from '../src/temporal/worker.js';
import { json, startReceiver } from '../test/helpers/receiver.js';
import { startDestinations } from '../src/sandbox/destinations/index.js';
import { startPipelineRun } from '../src/temporal/pipeline-client.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURES_DIR = join(ROOT, 'test', 'fixtures', 'histories');
const PREFIX = 'replay-';

const only = process.argv.slice(2);
const wanted = (name: string) => only.length === 0 || only.some((o) => name.startsWith(o));

// The sandbox's base-URL overrides are honoured only in sandbox mode (as in the tests).
process.env.PIPELINE_SANDBOX = '1';
Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } } });

const server = await startDevServer({ headless: true });
const home = await mkdtemp(join(tmpdir(), 'record-histories-'));
const sandbox = await startSandbox({ seed: 11, sizes: { orders: 300, charges: 400, members: 150 } });
const receiver = await startReceiver((req, res): void => {
  if (req.path.startsWith('/services/T000REPLAY/B000REPLAY/ok')) {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
    return;
  }
  if (req.path.startsWith('/services/')) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('no_service');
    return;
  }
  if (/^\/api\/v2\/syncs\/42\/trigger/.test(req.path)) return json(res, 200, { status: 'success', data: { sync_run_id: 7001 } });
  if (req.path === '/api/v2/sync_runs/7001') {
    polls += 1;
    return json(res, 200, { status: 'success', data: polls < 3 ? { id: 7001, status: 'working' } : { id: 7001, status: 'completed', records_processed: 10, records_updated: 10, records_failed: 0 } });
  }
  return json(res, 404, { status: 'not_found', message: req.path });
});
let polls = 0;
const destinations = await startDestinations();

// Fake secrets, resolved on the worker from the environment; none of them reaches a history.
process.env.REPLAY_SHOP = sandbox.credentials.shopify.accessToken;
process.env.REPLAY_STRIPE = sandbox.credentials.stripe.secretKey;
process.env.REPLAY_MC = sandbox.credentials.mailchimp.apiKey;
process.env.REPLAY_BAD = 'shpat_replay_wrong_token_0000';
process.env.REPLAY_SLACK_OK = 'https://hooks.slack.com/services/T000REPLAY/B000REPLAY/ok';
process.env.REPLAY_SLACK_GONE = 'https://hooks.slack.com/services/T000REPLAY/B000REPLAY/gone';
process.env.REPLAY_CENSUS = 'secret-token:replay-census-token';
process.env.REPLAY_SEGMENT = destinations.credentials.segment.writeKey;
process.env.REPLAY_BRAZE = destinations.credentials.braze.apiKey;

const store = new FileConnectionStore(join(home, 'connections.json'));
const sink = new JsonlSink(join(home, 'data'));
const shopDomain = sandbox.credentials.shopify.shopDomain;
await store.add({ id: 'shop', connectorId: 'shopify', baseUrlOverride: sandbox.shopify.url, config: { shopDomain, accessToken: 'env:REPLAY_SHOP' } });
await store.add({ id: 'shop-bad', connectorId: 'shopify', baseUrlOverride: sandbox.shopify.url, config: { shopDomain, accessToken: 'env:REPLAY_BAD' } });
await store.add({ id: 'pay', connectorId: 'stripe', baseUrlOverride: sandbox.stripe.url, config: { secretKey: 'env:REPLAY_STRIPE' } });
await store.add({ id: 'crm', connectorId: 'mailchimp', baseUrlOverride: sandbox.mailchimp.url, config: { apiKey: 'env:REPLAY_MC', listId: sandbox.credentials.mailchimp.listId } });
await store.add({ id: 'alerts', connectorId: 'slack', baseUrlOverride: receiver.url, config: { webhookUrl: 'env:REPLAY_SLACK_OK' } });
await store.add({ id: 'alerts-gone', connectorId: 'slack', baseUrlOverride: receiver.url, config: { webhookUrl: 'env:REPLAY_SLACK_GONE' } });
await store.add({ id: 'cdp', connectorId: 'segment', baseUrlOverride: destinations.urls.segment, config: { writeKey: 'env:REPLAY_SEGMENT' } });
await store.add({ id: 'engage', connectorId: 'braze', baseUrlOverride: destinations.urls.braze, config: { restEndpoint: destinations.credentials.braze.restEndpoint, apiKey: 'env:REPLAY_BRAZE' } });
// A first run read in windows side by side (40 pages), then an incremental one.
await store.pipelines.add({ id: 'charges-to-segment', source: { connectionId: 'pay', stream: 'charges', from: 'pull' }, mapping: '{"type": "track", "event": "Charge", "anonymousId": id}', destination: { connectionId: 'cdp' }, pageSize: 10, batchSize: 25 });
// Braze refuses members without a home city (an emulator fault): dead letters, then a replay.
await store.pipelines.add({ id: 'members-to-braze', source: { connectionId: 'crm', stream: 'members', from: 'pull' }, mapping: '{"attributes": [{"external_id": id, "home_city": location.region = "TX" ? undefined : location.region}]}', destination: { connectionId: 'engage' } });
await store.add({ id: 'census', connectorId: 'census', baseUrlOverride: receiver.url, config: { apiToken: 'env:REPLAY_CENSUS', groupId: 'replay_group', syncId: '42' } });

const connection = await Connection.connect({ address: server.address });
const client = new Client({ connection, namespace: server.namespace });
const nativeConnection = await NativeConnection.connect({ address: server.address });
const worker = await createPipelineWorker({
  connection: nativeConnection,
  namespace: server.namespace,
  store,
  sink,
  namePrefix: PREFIX,
  connectors: ['shopify', 'stripe', 'mailchimp', 'slack', 'census', 'segment', 'braze'],
  policyOverrides: { '*': { retry: { initialIntervalMs: 50, maximumIntervalMs: 200, maximumAttempts: 3 }, rate: { requestsPerSecond: 500 } } },
});
const running = worker.run();

const secrets = [process.env.REPLAY_SEGMENT, process.env.REPLAY_BRAZE, process.env.REPLAY_SHOP, process.env.REPLAY_STRIPE, process.env.REPLAY_MC, process.env.REPLAY_BAD, 'T000REPLAY', 'replay-census-token'];
const written: string[] = [];

/** Saves every run that started with `firstRunId` (a continued-as-new chain gives one fixture per run). */
async function save(name: string, workflowId: string, firstRunId?: string): Promise<void> {
  let runId = firstRunId ?? (await client.workflow.getHandle(workflowId).describe()).runId;
  const runs: { runId: string; history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>> }[] = [];
  for (;;) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    runs.push({ runId, history });
    const next = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
    if (!next) break;
    runId = next;
  }
  for (const [i, run] of runs.entries()) {
    const text = historyToJSON(run.history);
    for (const s of secrets) if (s && text.includes(s)) throw new Error(`a secret reached the history of ${workflowId}: refusing to save it`);
    const workflowType = run.history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? 'unknown';
    const failed = run.history.events?.at(-1)?.workflowExecutionFailedEventAttributes ? ', failed' : '';
    const file = `${name}${runs.length > 1 ? `.run${i + 1}` : ''}.json`;
    const fixture = { workflowId, workflowType, recordedAt: new Date().toISOString(), history: JSON.parse(text) as unknown };
    await writeFile(join(FIXTURES_DIR, file), `${JSON.stringify(fixture)}\n`);
    written.push(`${file} (${workflowType}, ${run.history.events?.length ?? 0} events${failed})`);
  }
}

async function settle(handle: WorkflowHandle): Promise<void> {
  await handle.result().catch(() => undefined); // failures are part of what is recorded
}

await mkdir(FIXTURES_DIR, { recursive: true });
try {
  if (wanted('pull-sequential')) {
    // 300 orders, 50 a page, 2 pages a run: three runs joined by continue-as-new.
    const h = await startSync(client, store, { connectionId: 'shop', mode: 'full', pageSize: 50, pagesPerRun: 2, sequential: true, namePrefix: PREFIX });
    await settle(h);
    await save('pull-sequential-continue-as-new', h.workflowId, h.firstExecutionRunId);
  }
  if (wanted('pull-sliced')) {
    // 400 charges, 10 a page: 40 pages, enough to be sliced; each slice is a child workflow.
    const h = await startSync(client, store, { connectionId: 'pay', mode: 'full', pageSize: 10, namePrefix: PREFIX });
    await settle(h);
    await save('pull-sliced', h.workflowId, h.firstExecutionRunId);
    const children: string[] = [];
    for await (const w of client.workflow.list({ query: `WorkflowId STARTS_WITH "${h.workflowId}:slice-"` })) children.push(w.workflowId);
    children.sort();
    if (children[0]) await save('pull-sliced-child', children[0]);
  }
  if (wanted('pull-incremental')) {
    // After the full sync above: an incremental Stripe run following charge events.
    sandbox.stripe.mutate({ update: 5 });
    const h = await startSync(client, store, { connectionId: 'pay', mode: 'incremental', pageSize: 10, namePrefix: PREFIX });
    await settle(h);
    await save('pull-incremental-stripe-events', h.workflowId, h.firstExecutionRunId);
  }
  if (wanted('pull-mailchimp')) {
    const h = await startSync(client, store, { connectionId: 'crm', mode: 'full', pageSize: 50, namePrefix: PREFIX });
    await settle(h);
    await save('pull-mailchimp', h.workflowId, h.firstExecutionRunId);
  }
  if (wanted('pull-unauthorized')) {
    const h = await startSync(client, store, { connectionId: 'shop-bad', mode: 'full', namePrefix: PREFIX });
    await settle(h);
    await save('pull-unauthorized', h.workflowId, h.firstExecutionRunId);
  }
  if (wanted('scheduled-pull')) {
    // What a schedule starts: a run that syncs the stream as a child under the stream's one id.
    const workflowId = `${PREFIX}scheduled-pull-crm`;
    const h = await startPipelineWorkflow(
      client,
      'scheduledPullWorkflow',
      { taskQueue: workflowTaskQueue(PREFIX), workflowId, args: [{ connectionId: 'crm', stream: 'members', mode: 'incremental', syncWorkflowId: syncWorkflowId('crm', 'members', PREFIX), connectorId: 'mailchimp' }] },
      { connectorId: 'mailchimp', connectionId: 'crm', kind: 'scheduled_pull' },
    );
    await settle(h);
    await save('scheduled-pull', workflowId);
  }
  if (wanted('send')) {
    const ok = await startSend(client, store, { connectionId: 'alerts', message: { text: 'Replay fixture: deploy finished' }, idempotencyKey: 'replay-ok', namePrefix: PREFIX });
    await settle(ok.handle);
    await save('send-delivered', ok.handle.workflowId);
    const gone = await startSend(client, store, { connectionId: 'alerts-gone', message: { text: 'Replay fixture: to a removed webhook' }, idempotencyKey: 'replay-gone', namePrefix: PREFIX });
    await settle(gone.handle);
    await save('send-failed', gone.handle.workflowId);
  }
  if (wanted('reverse-etl')) {
    const h = await startReverseEtl(client, store, { connectionId: 'census', pollIntervalMs: 100, namePrefix: PREFIX });
    await settle(h);
    await save('reverse-etl-census', h.workflowId);
  }
  if (wanted('pipeline')) {
    const first = await startPipelineRun(client, store, { pipelineId: 'charges-to-segment', namePrefix: PREFIX });
    await settle(first);
    await save('pipeline-sliced-first-run', first.workflowId, first.firstExecutionRunId);
    const next = await startPipelineRun(client, store, { pipelineId: 'charges-to-segment', namePrefix: PREFIX });
    await settle(next);
    await save('pipeline-incremental-run', next.workflowId, next.firstExecutionRunId);
    destinations.braze.faults.set({ rejectItems: { field: 'home_city', missing: true } });
    const dead = await startPipelineRun(client, store, { pipelineId: 'members-to-braze', namePrefix: PREFIX });
    await settle(dead);
    await save('pipeline-dead-letters', dead.workflowId, dead.firstExecutionRunId);
    destinations.braze.faults.set({});
    const replay = await startPipelineRun(client, store, { pipelineId: 'members-to-braze', mode: 'replay', namePrefix: PREFIX });
    await settle(replay);
    await save('pipeline-replay', replay.workflowId, replay.firstExecutionRunId);
    const workflowId = `${PREFIX}scheduled:pipeline:charges-to-segment`;
    const scheduled = await startPipelineWorkflow(
      client,
      'scheduledPipelineWorkflow',
      { taskQueue: workflowTaskQueue(PREFIX), workflowId, args: [{ pipelineId: 'charges-to-segment', pipelineWorkflowId: `${PREFIX}pipeline:charges-to-segment` }] },
      { connectorId: 'segment', connectionId: 'cdp', kind: 'scheduled_pipeline', pipelineId: 'charges-to-segment' },
    );
    await settle(scheduled);
    await save('scheduled-pipeline', workflowId);
  }
  if (wanted('test-connection')) {
    const workflowId = `${PREFIX}test-connection-shop`;
    const h = await client.workflow.start('testConnectionWorkflow', { taskQueue: workflowTaskQueue(PREFIX), workflowId, args: [{ connectionId: 'shop' }] });
    await settle(h);
    await save('test-connection', workflowId);
  }
} finally {
  worker.shutdown();
  await running;
  await nativeConnection.close();
  await connection.close();
  await receiver.close();
  await destinations.close();
  await sandbox.close();
  await server.stop();
  await rm(home, { recursive: true, force: true });
}

console.log(`Recorded ${written.length} histories in ${FIXTURES_DIR}:`);
for (const w of written) console.log(`  ${w}`);
