// Kill-point soak: syncs of the three sandbox sources through a real `pipeline worker` process that is
// SIGKILLed at random moments and started again, while the data keeps changing; then the sink is
// compared with the sandbox. Used by `npm run soak` (scripts/soak.ts, 10k records and 20 kills per
// source on a dev server of its own) and by test/e2e/soak.test.ts (a short version on the shared
// test server). No vitest import here: the script runs it too.
//
// The run, per source (the three run at the same time, against one worker process):
//   1. a full sync (large enough to be sliced), then incremental syncs, each preceded by changes
//      (sandbox `mutate`: updates of existing records and new ones), with more changes made WHILE
//      each run pages (they fall after its upper bound, so the next run must pick them up);
//   2. when the source has had its kills, a last incremental run with no change during it, and the
//      comparison.
//
// Kills. One killer for the worker process, which serves all three sources: a kill counts for every
// source whose sync was running at that moment. A "random moment" is random but bounded, so that a
// short sync still gets killed and a kill always follows some progress of the sync:
//   - after the worker is back, the killer picks (seeded PRNG) a source whose sync is running and
//     which is still owed kills (at most `fullSyncKills` of them during its full sync);
//   - it waits for that source's provider to receive r more requests (r uniform in 1..6 in a full
//     sync, 1..2 in an incremental one: the sync has moved since the last kill), then d more ms
//     (d uniform in 0..latency+300: inside the request in flight, or just after it while the page is
//     written, reported and the next one scheduled);
//   - one kill in five instead waits a uniform 0..2,000 ms from the worker's readiness, whatever is
//     happening then (a retry waiting out its heartbeat timeout, planning, compaction).
//   A sync that ends before its moment is not killed this time; the next run is. The PRNG makes the
//   choices reproducible from the seed; the moments they land on depend on the machine's timing.
//
// Checks, after every run (a record's version is its change time: Shopify updated_at, Mailchimp
// last_changed, Stripe the time of the charge's last charge.* event, else its creation):
//   lost        a sandbox record whose version is at least 1 s before the run's upper bound (so it
//               changed before the run started) and is not in the sink;
//   stale       such a record stored at an older version;
//   duplicated  an id on more than one line of the compacted sink file;
//   watermark   the saved watermark equals the highest change time stored that is not after the
//               run's upper bound (the highest trusted change time of what landed), is not after
//               that bound, and is what the run returned.
// After the last run nothing changes any more (it starts more than a second after the last
// change), so its check covers every record of the sandbox. A record is never changed twice within
// ~2 s unless `sameSecondChanges` asks for it: providers stamp changes in whole seconds, and two
// versions with one change time cannot be ordered by it (Stripe's event feed then stores the older
// one: a finding of this soak, reproduced by `npm run soak -- --same-second-changes --sources stripe`).
//
// Stalls, from the histories (test/helpers/activity-history.ts): for each kill and each source it
// hit, the activities that were in flight (their attempts, why the lost attempt was retried —
// HEARTBEAT, START_TO_CLOSE —, their heartbeat timeout) and the stall: from the kill to the next
// activity of that source to complete (a page landing, a compaction), the worker's restart included.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { FileConnectionStore } from '../../src/connections/file-store.js';
import { startSandbox, type Emulator, type Sandbox } from '../../src/sandbox/index.js';
import { mulberry32, randInt, type Rng } from '../../src/sandbox/prng.js';
import { JsonlSink } from '../../src/sinks/jsonl.js';
import { startSync } from '../../src/temporal/client.js';
import { workflowTaskQueue } from '../../src/temporal/task-queues.js';
import type { PullResult, SyncMode } from '../../workflows/pull.js';
import { activityRuns, type ActivityRun } from './activity-history.js';

export type SoakSource = 'shopify' | 'stripe' | 'mailchimp';
export const SOAK_SOURCES: readonly SoakSource[] = ['shopify', 'stripe', 'mailchimp'];
const STREAM: Record<SoakSource, string> = { shopify: 'orders', stripe: 'charges', mailchimp: 'members' };
const LABEL: Record<SoakSource, string> = { shopify: 'Shopify orders', stripe: 'Stripe charges', mailchimp: 'Mailchimp members' };
const BIN = fileURLToPath(new URL('../../bin/pipeline.mjs', import.meta.url));

export interface SoakOptions {
  /** Temporal frontend and namespace the worker and the client use. */
  address: string;
  namespace: string;
  client: Client;
  /** Task-queue and workflow-id prefix (PIPELINE_NAME_PREFIX): isolates this soak on a shared server. */
  namePrefix: string;
  /** A fresh folder: connections file, sink data, leases, the worker's log. */
  home: string;
  seed: number;
  /** Records per source at the start (the soak creates more). */
  records: number;
  /** At least this many kills per source (kills while its sync was running). */
  kills: number;
  /**
   * Of them, at most this many aimed at its full sync (default half). Kills aimed at another source
   * can hit it too; whatever the full sync got, at least `kills - fullSyncKills` (and at least one)
   * must hit its incremental runs.
   */
  fullSyncKills?: number;
  /** At least this many incremental runs per source before the last one (default 3). */
  minIncrementalRuns?: number;
  /** Give up owing kills after this many incremental runs (default 6 × kills + 10). */
  maxIncrementalRuns?: number;
  /** Added latency per sandbox request, ms (default 40): pages are in flight long enough to be killed in. */
  latencyMs?: number;
  /** Records per page (default 100; the full syncs of `records` ≥ 2,000 are sliced). */
  pageSize?: number;
  sources?: readonly SoakSource[];
  /** Changes before each incremental run: updates of existing records and new records (default 1.5% and 0.2% of `records`). */
  changes?: { update: number; create: number };
  /**
   * Change a record twice within one second (default false: a record is never changed again within
   * ~2 s). Providers stamp changes in whole seconds; with Stripe's event feed two such versions of a
   * charge arrive in one run, newest first, with one change time, and the older one wins in the sink
   * (found by this soak; see the report). True reproduces that.
   */
  sameSecondChanges?: boolean;
  /** PIPELINE_POLICY_OVERRIDES for the worker (default: none, the shipped policies). */
  policyOverrides?: Record<string, unknown>;
  /** Progress lines. */
  log?: (line: string) => void;
  /** Abort when the whole soak takes longer (default 30 min). */
  timeoutMs?: number;
}

export interface RunCheck {
  run: number;
  mode: SyncMode;
  /** Outcome of the run: its result, or why it failed. */
  ok: boolean;
  error?: string;
  records?: number;
  pages?: number;
  slices?: number;
  until?: string;
  watermark?: string | null;
  savedWatermark?: string | null;
  /** Highest stored change time that is not after the run's upper bound. */
  expectedWatermark?: string | null;
  watermarkOk: boolean;
  lost: string[];
  stale: { id: string; stored: string; current: string }[];
  duplicated: string[];
  killsDuring: number;
  wallMs: number;
}

export interface KillHit {
  source: SoakSource;
  run: number;
  mode: SyncMode;
  /** Activities of the source open at the kill (from history). */
  inFlight: { activityType: string; summary?: string; attempts: number; lastFailure: string | null; heartbeatTimeoutMs: number | null; outcome: ActivityRun['outcome'] }[];
  /** Workflow tasks of the source open at the kill that then timed out: why, and after how long (ms). */
  workflowTasks: { timeout: string; afterMs: number }[];
  /** Kill → the next activity of this source completed (ms); null when none did (the run ended). */
  stallMs: number | null;
}

export interface KillRecord {
  n: number;
  /** Epoch ms. */
  at: number;
  /** Since the soak started, ms. */
  atOffsetMs: number;
  target: SoakSource;
  how: string;
  /** Kill → the new worker polling, ms. */
  restartMs: number;
  hits: KillHit[];
}

export interface SourceReport {
  source: SoakSource;
  label: string;
  connectionId: string;
  /** Records in the sandbox at the end, and how many the soak created / changed. */
  sandboxRecords: number;
  created: number;
  changed: number;
  stored: number;
  runs: RunCheck[];
  lost: string[];
  duplicated: string[];
  stale: { id: string; stored: string; current: string }[];
  /** Every run's watermark check passed. */
  watermarkOk: boolean;
  failedRuns: number;
  kills: number;
  killsInFullSync: number;
  killsInIncremental: number;
  wallMs: number;
  stallsMs: number[];
  /** Retried activity attempts by why the lost attempt ended (HEARTBEAT, START_TO_CLOSE, an error type). */
  retries: Record<string, number>;
  /** Timeouts of the retried activities as scheduled (ms), e.g. heartbeat 10000. */
  retriedHeartbeatTimeoutsMs: number[];
  workflowTaskTimeouts: number;
  /** Of them, by timeout type (SCHEDULE_TO_START: the task waited on a dead worker's sticky queue). */
  workflowTaskTimeoutsByType: Record<string, number>;
  workflowTaskFailures: number;
  executions: number;
}

export interface SoakReport {
  seed: number;
  wallMs: number;
  kills: KillRecord[];
  sources: SourceReport[];
  restartMs: number[];
  ok: boolean;
  problems: string[];
  workerLog: string;
}

// ---- the worker process --------------------------------------------------------------------------

class WorkerProcess {
  private child: ChildProcess | null = null;
  starts = 0;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly connectors: readonly string[],
    private readonly logFile: string,
  ) {}

  async start(): Promise<number> {
    const t0 = Date.now();
    this.starts++;
    const child = spawn(process.execPath, [BIN, 'worker', '--connectors', this.connectors.join(',')], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const tag = `[worker ${this.starts} pid ${child.pid}]`;
    let out = '';
    const log = (d: Buffer) => {
      out += d.toString();
      void appendFile(this.logFile, d.toString().split('\n').filter(Boolean).map((l) => `${tag} ${l}\n`).join(''));
    };
    child.stdout!.on('data', log);
    child.stderr!.on('data', log);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${tag} not polling after 120 s:\n${out}`)), 120_000);
      const onData = () => {
        if (out.includes('Worker polling')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${tag} exited (${code ?? signal}) before polling:\n${out}`));
      });
    });
    return Date.now() - t0;
  }

  /** SIGKILL: a crash, nothing flushed, nothing released. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

// ---- per-source state ----------------------------------------------------------------------------

interface SourceState {
  source: SoakSource;
  connectionId: string;
  emulator: Emulator;
  kills: number;
  killsInFullSync: number;
  killsInIncremental: number;
  /** The run in progress (null between runs). */
  running: { run: number; mode: SyncMode; startedAt: number } | null;
  /** Whether the mutator changes this source's data while its run pages. */
  changeDuring: boolean;
  lastChangeAt: number;
  touched: Map<string, number>;
  created: number;
  changed: number;
  runs: RunCheck[];
  done: boolean;
  startedAt: number;
  endedAt: number;
  /** Workflow ids of its pulls (parent); slices are `<id>:slice-<n>`. */
  workflowId: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether two ids touched within this long could share a one-second change time. */
const SAME_SECOND_GUARD_MS = 2_100;

function changeRecords(s: SourceState, rng: Rng, update: number, create: number, sameSecond: boolean): void {
  const records = s.emulator.records();
  const now = Date.now();
  const ids: string[] = [];
  // Never the same record twice within ~2 s: two versions with one change time (providers stamp in
  // whole seconds) cannot be ordered by a reader of the change time alone (see sameSecondChanges).
  for (let tries = 0; ids.length < update && tries < update * 20 && records.length > 0; tries++) {
    const id = records[Math.floor(rng() * records.length)]!.id;
    if (ids.includes(id) || (!sameSecond && now - (s.touched.get(id) ?? 0) < SAME_SECOND_GUARD_MS)) continue;
    ids.push(id);
  }
  // Asked for: each of them changed a second time right away, in the same second as a rule.
  if (sameSecond && ids.length > 0) s.changed += s.emulator.mutate({ ids }).updated.length;
  const result = s.emulator.mutate({ ids, create });
  const at = Date.now();
  for (const id of [...result.updated, ...result.created]) s.touched.set(id, at);
  s.changed += result.updated.length;
  s.created += result.created.length;
  s.lastChangeAt = at;
}

/** Each record's current version (epoch ms): its change time, for Stripe its last charge event. */
function versions(s: SourceState, sandbox: Sandbox): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of s.emulator.records()) out.set(r.id, Date.parse(r.updatedAt));
  if (s.source === 'stripe') {
    for (const e of sandbox.stripe.events()) {
      const t = e.created * 1000;
      if ((out.get(e.charge) ?? Number.NEGATIVE_INFINITY) < t) out.set(e.charge, t);
    }
  }
  return out;
}

async function duplicatedIds(path: string): Promise<string[]> {
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return [];
  }
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    const id = (JSON.parse(line) as { id: string }).id;
    if (seen.has(id)) twice.add(id);
    seen.add(id);
  }
  return [...twice];
}

async function checkRun(
  s: SourceState,
  sandbox: Sandbox,
  sink: JsonlSink,
  run: number,
  mode: SyncMode,
  result: PullResult,
  filterByUntil: boolean,
): Promise<Omit<RunCheck, 'killsDuring' | 'wallMs'>> {
  const ref = { connectionId: s.connectionId, stream: STREAM[s.source] };
  const until = Date.parse(result.until);
  const stored = await sink.readAll(ref);
  const state = await sink.loadState(ref);
  const lost: string[] = [];
  const stale: RunCheck['stale'] = [];
  for (const [id, version] of versions(s, sandbox)) {
    // Records that changed after the run started belong to the next run.
    if (filterByUntil && version > until - 1000) continue;
    const rec = stored.get(id);
    if (!rec) lost.push(id);
    else if (!(Date.parse(rec.updatedAt) >= version)) stale.push({ id, stored: rec.updatedAt, current: new Date(version).toISOString() });
  }
  let highest = Number.NEGATIVE_INFINITY;
  for (const rec of stored.values()) {
    const t = Date.parse(rec.updatedAt);
    if (!Number.isNaN(t) && t <= until && t > highest) highest = t;
  }
  const expected = Number.isFinite(highest) ? new Date(highest).toISOString() : null;
  const saved = state?.watermark ?? null;
  const savedMs = saved === null ? Number.NaN : Date.parse(saved);
  const watermarkOk =
    saved !== null && expected !== null && savedMs === highest && savedMs <= until && result.watermark !== null && Date.parse(result.watermark) === savedMs;
  return {
    run,
    mode,
    ok: true,
    records: result.records,
    pages: result.pages,
    slices: result.slices,
    until: result.until,
    watermark: result.watermark,
    savedWatermark: saved,
    expectedWatermark: expected,
    watermarkOk,
    lost,
    stale,
    duplicated: await duplicatedIds(sink.filePath(ref)),
  };
}

// ---- histories -----------------------------------------------------------------------------------

interface WorkflowTaskSpan {
  scheduledAtMs: number;
  closedAtMs: number | null;
  /** SCHEDULE_TO_START (a sticky queue whose worker died) or START_TO_CLOSE, when it timed out. */
  timeout: string | null;
}

interface SourceHistory {
  runs: (ActivityRun & { summaryText?: string })[];
  workflowTasks: WorkflowTaskSpan[];
  /** Times (epoch ms) at which an activity of the source completed, sorted. */
  progress: number[];
  workflowTaskTimeouts: number;
  workflowTaskFailures: number;
  executions: number;
}

const eventMs = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
  t ? Number(t.seconds ?? 0) * 1000 + Math.round((t.nanos ?? 0) / 1e6) : 0;

async function readHistories(client: Client, namePrefix: string, states: SourceState[]): Promise<Map<SoakSource, SourceHistory>> {
  const out = new Map<SoakSource, SourceHistory>(states.map((s) => [s.source, { runs: [], workflowTasks: [], progress: [], workflowTaskTimeouts: 0, workflowTaskFailures: 0, executions: 0 }]));
  const executions: { workflowId: string; runId: string }[] = [];
  for await (const w of client.workflow.list({ query: `TaskQueue = "${workflowTaskQueue(namePrefix)}"` })) executions.push({ workflowId: w.workflowId, runId: w.runId });
  for (const e of executions) {
    const s = states.find((st) => e.workflowId === st.workflowId || e.workflowId.startsWith(`${st.workflowId}:`));
    if (!s) continue;
    const h = out.get(s.source)!;
    const history = (await client.workflow.getHandle(e.workflowId, e.runId).fetchHistory()) as temporal.api.history.v1.IHistory;
    h.executions++;
    // The activity's summary ("page 12 of Shopify orders") is user metadata of its scheduled event.
    const summaries = new Map<number, string>();
    let wft: WorkflowTaskSpan | null = null;
    for (const ev of history.events ?? []) {
      const at = eventMs(ev.eventTime);
      const data = ev.userMetadata?.summary?.data;
      if (ev.activityTaskScheduledEventAttributes && data) {
        try {
          summaries.set(Number(ev.eventId), String(JSON.parse(Buffer.from(data).toString('utf8'))));
        } catch {
          // not JSON: leave it out
        }
      }
      if (ev.activityTaskCompletedEventAttributes) h.progress.push(at);
      if (ev.workflowTaskScheduledEventAttributes) {
        wft = { scheduledAtMs: at, closedAtMs: null, timeout: null };
        h.workflowTasks.push(wft);
      }
      const timedOut = ev.workflowTaskTimedOutEventAttributes;
      if (timedOut) {
        h.workflowTaskTimeouts++;
        if (wft) wft.timeout = Number(timedOut.timeoutType) === 2 ? 'SCHEDULE_TO_START' : 'START_TO_CLOSE';
      }
      if (ev.workflowTaskFailedEventAttributes) h.workflowTaskFailures++;
      if ((ev.workflowTaskCompletedEventAttributes || timedOut || ev.workflowTaskFailedEventAttributes) && wft) {
        wft.closedAtMs = at;
        wft = null;
      }
    }
    h.runs.push(...activityRuns(history).map((r) => ({ ...r, ...(summaries.has(r.scheduledEventId) ? { summaryText: summaries.get(r.scheduledEventId)! } : {}) })));
  }
  for (const h of out.values()) h.progress.sort((a, b) => a - b);
  return out;
}

// ---- the soak ------------------------------------------------------------------------------------

export async function runSoak(opts: SoakOptions): Promise<SoakReport> {
  const sources = opts.sources ?? SOAK_SOURCES;
  const log = opts.log ?? (() => undefined);
  const latencyMs = opts.latencyMs ?? 40;
  const pageSize = opts.pageSize ?? 100;
  const minIncremental = opts.minIncrementalRuns ?? 3;
  const maxIncremental = opts.maxIncrementalRuns ?? 6 * opts.kills + 10;
  const fullSyncKills = Math.min(opts.kills, opts.fullSyncKills ?? Math.ceil(opts.kills / 2));
  const incrementalKills = opts.kills === 0 ? 0 : Math.max(1, opts.kills - fullSyncKills);
  const owesKills = (s: SourceState) => s.kills < opts.kills || s.killsInIncremental < incrementalKills;
  const changes = opts.changes ?? { update: Math.max(5, Math.round(opts.records * 0.015)), create: Math.max(1, Math.round(opts.records * 0.002)) };
  const deadline = Date.now() + (opts.timeoutMs ?? 30 * 60_000);
  // Independent streams of the one seed: what the killer picks, what the changes touch.
  const killRng = mulberry32(opts.seed ^ 0x6b696c6c);
  const changeRng = mulberry32(opts.seed ^ 0x6d757461);

  await mkdir(opts.home, { recursive: true });
  const logFile = join(opts.home, 'worker.log');
  const sandbox = await startSandbox({
    seed: opts.seed,
    sizes: {
      orders: sources.includes('shopify') ? opts.records : 0,
      charges: sources.includes('stripe') ? opts.records : 0,
      members: sources.includes('mailchimp') ? opts.records : 0,
    },
    faults: { latencyMs },
  });
  const store = new FileConnectionStore(join(opts.home, 'connections.json'));
  const sink = new JsonlSink(join(opts.home, 'data'));
  const secrets = {
    SOAK_SHOPIFY_TOKEN: sandbox.credentials.shopify.accessToken,
    SOAK_STRIPE_KEY: sandbox.credentials.stripe.secretKey,
    SOAK_MAILCHIMP_KEY: sandbox.credentials.mailchimp.apiKey,
  };
  const configs: Record<SoakSource, Record<string, unknown>> = {
    shopify: { shopDomain: sandbox.credentials.shopify.shopDomain, accessToken: 'env:SOAK_SHOPIFY_TOKEN' },
    stripe: { secretKey: 'env:SOAK_STRIPE_KEY' },
    mailchimp: { apiKey: 'env:SOAK_MAILCHIMP_KEY', listId: sandbox.credentials.mailchimp.listId },
  };
  const emulators: Record<SoakSource, Emulator> = { shopify: sandbox.shopify, stripe: sandbox.stripe, mailchimp: sandbox.mailchimp };
  const states: SourceState[] = [];
  for (const source of sources) {
    const connectionId = `soak-${source}`;
    await store.put({ id: connectionId, connectorId: source, baseUrlOverride: emulators[source].url, config: configs[source] });
    states.push({
      source, connectionId, emulator: emulators[source], kills: 0, killsInFullSync: 0, killsInIncremental: 0, running: null, changeDuring: true, lastChangeAt: 0,
      touched: new Map(), created: 0, changed: 0, runs: [], done: false, startedAt: 0, endedAt: 0,
      workflowId: `${opts.namePrefix}pull:${connectionId}:${STREAM[source]}`,
    });
  }

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...secrets,
    TEMPORAL_ADDRESS: opts.address,
    TEMPORAL_NAMESPACE: opts.namespace,
    PIPELINE_HOME: opts.home,
    PIPELINE_CONNECTIONS_FILE: store.path,
    PIPELINE_DATA_DIR: sink.dataDir,
    PIPELINE_NAME_PREFIX: opts.namePrefix,
    PIPELINE_SANDBOX: '1',
    PIPELINE_SINK: 'jsonl',
    PIPELINE_CONNECTION_STORE: 'file',
    NO_COLOR: '1',
  };
  // The client here decodes plain payloads: no codec on the worker either.
  delete env.PIPELINE_CODEC_KEYS;
  delete env.PIPELINE_CODEC_KEY_ID;
  if (opts.policyOverrides) env.PIPELINE_POLICY_OVERRIDES = JSON.stringify(opts.policyOverrides);
  else delete env.PIPELINE_POLICY_OVERRIDES;
  const worker = new WorkerProcess(env, sources, logFile);

  const t0 = Date.now();
  const kills: KillRecord[] = [];
  const restartMs: number[] = [];
  const problems: string[] = [];
  let stopping = false;
  let failure: unknown = null;
  // Whatever goes wrong (the worker does not come back, the deadline passes) ends every loop, rather
  // than leaving a run waiting for a worker that will never poll again.
  let abort!: (err: unknown) => void;
  const aborted = new Promise<never>((_, reject) => {
    abort = (err) => {
      if (!stopping) {
        stopping = true;
        failure = err;
      }
      reject(err);
    };
  });
  aborted.catch(() => undefined);
  const deadlineTimer = setTimeout(() => abort(new Error(`soak: still running after ${Math.round((opts.timeoutMs ?? 30 * 60_000) / 1000)} s`)), Math.max(0, deadline - Date.now()));
  const guarded = (p: Promise<void>) => p.catch((err: unknown) => abort(err));

  // ---- one source: a full sync, incremental runs until it has had its kills, a last quiet run ----
  const runOne = async (s: SourceState, run: number, mode: SyncMode, quiet: boolean): Promise<void> => {
    s.changeDuring = !quiet;
    const killsBefore = s.kills;
    const started = Date.now();
    s.running = { run, mode, startedAt: started };
    let check: Omit<RunCheck, 'killsDuring' | 'wallMs'>;
    try {
      const handle = await startSync(opts.client, store, { connectionId: s.connectionId, mode, pageSize, namePrefix: opts.namePrefix });
      const result = await Promise.race([handle.result(), aborted]);
      s.running = null;
      check = await checkRun(s, sandbox, sink, run, mode, result, !quiet);
    } catch (err) {
      s.running = null;
      const message = err instanceof Error ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ''}` : String(err);
      check = { run, mode, ok: false, error: message, watermarkOk: true, lost: [], stale: [], duplicated: [] };
    }
    const rc: RunCheck = { ...check, killsDuring: s.kills - killsBefore, wallMs: Date.now() - started };
    s.runs.push(rc);
    const bad = [
      !rc.ok ? `FAILED: ${rc.error}` : '',
      rc.lost.length ? `${rc.lost.length} lost` : '',
      rc.stale.length ? `${rc.stale.length} stale` : '',
      rc.duplicated.length ? `${rc.duplicated.length} duplicated` : '',
      rc.ok && !rc.watermarkOk ? `watermark ${rc.savedWatermark} != ${rc.expectedWatermark} (until ${rc.until})` : '',
    ].filter(Boolean);
    log(
      `${s.source.padEnd(9)} run ${String(run).padStart(2)} ${mode.padEnd(11)} ${rc.ok ? `${String(rc.records).padStart(6)} records, ${String(rc.pages).padStart(3)} pages${rc.slices ? `, ${rc.slices} slices` : ''}` : ''}` +
        ` ${(rc.wallMs / 1000).toFixed(1)} s, ${rc.killsDuring} kill(s)${bad.length ? ` — ${bad.join('; ')}` : ', checks ok'}`,
    );
  };

  const sourceLoop = async (s: SourceState): Promise<void> => {
    s.startedAt = Date.now();
    await runOne(s, 0, 'full', false);
    let run = 1;
    while (!stopping && (owesKills(s) || run <= minIncremental) && run <= maxIncremental) {
      changeRecords(s, changeRng, changes.update, changes.create, opts.sameSecondChanges ?? false);
      await runOne(s, run, 'incremental', false);
      run++;
    }
    if (stopping) return;
    if (owesKills(s)) problems.push(`${s.source}: ${s.kills} kills (${s.killsInIncremental} in incremental runs) after ${run - 1} incremental runs, fewer than the ${opts.kills} (${incrementalKills}) asked for`);
    // The last run: nothing changes during it, and it starts more than a second after the last
    // change, so that every record's version is before its upper bound.
    s.changeDuring = false;
    await sleep(Math.max(0, s.lastChangeAt + 1_100 - Date.now()));
    await runOne(s, run, 'incremental', true);
    s.endedAt = Date.now();
    s.done = true;
  };

  // ---- changes while runs page ---------------------------------------------------------------------
  const mutator = async (): Promise<void> => {
    while (!stopping && states.some((s) => !s.done)) {
      await sleep(randInt(changeRng, 200, 1_200));
      for (const s of states) {
        if (!s.running || !s.changeDuring) continue;
        changeRecords(s, changeRng, randInt(changeRng, 1, 4), changeRng() < 0.3 ? 1 : 0, opts.sameSecondChanges ?? false);
      }
    }
  };

  // ---- the killer -------------------------------------------------------------------------------------
  const owed = (s: SourceState) =>
    s.running !== null && owesKills(s) && (s.running.mode === 'full' ? s.killsInFullSync < fullSyncKills && s.kills < opts.kills : true);
  const killer = async (): Promise<void> => {
    while (!stopping && states.some((s) => !s.done)) {
      const targets = states.filter(owed);
      if (targets.length === 0) {
        await sleep(25);
        continue;
      }
      const target = targets[Math.floor(killRng() * targets.length)]!;
      const run = target.running!;
      let how: string;
      if (killRng() < 0.2) {
        const d = randInt(killRng, 0, 2_000);
        how = `${d} ms after the worker was ready`;
        await sleep(d);
      } else {
        const r = randInt(killRng, 1, run.mode === 'full' ? 6 : 2);
        const d = randInt(killRng, 0, latencyMs + 300);
        how = `${d} ms after ${target.source}'s ${r}${r === 1 ? 'st' : r === 2 ? 'nd' : r === 3 ? 'rd' : 'th'} request from then`;
        const base = target.emulator.stats().requests;
        while (!stopping && target.running === run && target.emulator.stats().requests < base + r) await sleep(15);
        if (target.running !== run) continue; // the sync ended first: not this time
        await sleep(d);
      }
      if (stopping || target.running !== run) continue;
      const at = Date.now();
      await worker.kill();
      const hit = states.filter((s) => s.running !== null);
      for (const s of hit) {
        s.kills++;
        if (s.running!.mode === 'full') s.killsInFullSync++;
        else s.killsInIncremental++;
      }
      const record: KillRecord = {
        n: kills.length + 1, at, atOffsetMs: at - t0, target: target.source, how, restartMs: 0,
        hits: hit.map((s) => ({ source: s.source, run: s.running!.run, mode: s.running!.mode, inFlight: [], workflowTasks: [], stallMs: null })),
      };
      kills.push(record);
      record.restartMs = Date.now() - at + (await Promise.race([worker.start(), aborted]));
      restartMs.push(record.restartMs);
      log(
        `kill ${String(record.n).padStart(2)} at ${(record.atOffsetMs / 1000).toFixed(1)} s (${how}): hit ${record.hits.map((h) => `${h.source} run ${h.run}`).join(', ') || 'nothing'}; worker back in ${(record.restartMs / 1000).toFixed(1)} s`,
      );
    }
  };

  log(`soak seed ${opts.seed}: ${opts.records.toLocaleString('en-US')} records per source (${sources.join(', ')}), ≥ ${opts.kills} kills each, page size ${pageSize}, ${latencyMs} ms per request`);
  try {
    restartMs.push(await worker.start());
    await Promise.all([...states.map((s) => guarded(sourceLoop(s))), guarded(mutator()), guarded(killer())]);
  } catch (err) {
    abort(err);
  } finally {
    clearTimeout(deadlineTimer);
    // After an abort nothing is waited for any more: the worker is killed, not drained.
    if (failure) await worker.kill();
    else await worker.stop();
    stopping = true;
  }
  const wallMs = Date.now() - t0;

  // ---- histories: what each kill interrupted, and for how long ----------------------------------------
  let histories = new Map<SoakSource, SourceHistory>();
  try {
    // An aborted soak says so at once rather than read histories of runs that never ended.
    if (!failure) histories = await readHistories(opts.client, opts.namePrefix, states);
  } catch (err) {
    problems.push(`could not read the histories: ${(err as Error).message}`);
  }
  for (const k of kills) {
    for (const hit of k.hits) {
      const h = histories.get(hit.source);
      if (!h) continue;
      hit.inFlight = h.runs
        .filter((r) => r.scheduledAtMs <= k.at && (r.closedAtMs === null || r.closedAtMs > k.at))
        .map((r) => ({ activityType: r.activityType, ...(r.summaryText ? { summary: r.summaryText } : {}), attempts: r.attempts, lastFailure: r.lastFailure, heartbeatTimeoutMs: r.heartbeatTimeoutMs, outcome: r.outcome }));
      hit.workflowTasks = h.workflowTasks
        .filter((w) => w.timeout !== null && w.scheduledAtMs <= k.at && w.closedAtMs !== null && w.closedAtMs > k.at)
        .map((w) => ({ timeout: w.timeout!, afterMs: w.closedAtMs! - w.scheduledAtMs }));
      const next = h.progress.find((t) => t > k.at);
      hit.stallMs = next === undefined ? null : next - k.at;
    }
  }

  const reports: SourceReport[] = [];
  for (const s of states) {
    const last = s.runs[s.runs.length - 1];
    const h = histories.get(s.source);
    const retried = h?.runs.filter((r) => r.attempts > 1) ?? [];
    const retries: Record<string, number> = {};
    for (const r of retried) retries[r.lastFailure ?? 'unknown'] = (retries[r.lastFailure ?? 'unknown'] ?? 0) + 1;
    const stored = await sink.readAll({ connectionId: s.connectionId, stream: STREAM[s.source] });
    const report: SourceReport = {
      source: s.source,
      label: LABEL[s.source],
      connectionId: s.connectionId,
      sandboxRecords: s.emulator.records().length,
      created: s.created,
      changed: s.changed,
      stored: stored.size,
      runs: s.runs,
      // The last run covers every record; earlier runs' findings are kept too (a record lost and
      // found again later is still a finding).
      lost: [...new Set(s.runs.flatMap((r) => r.lost))],
      duplicated: [...new Set(s.runs.flatMap((r) => r.duplicated))],
      stale: s.runs.flatMap((r) => r.stale).filter((x, i, all) => all.findIndex((y) => y.id === x.id) === i),
      watermarkOk: s.runs.every((r) => !r.ok || r.watermarkOk),
      failedRuns: s.runs.filter((r) => !r.ok).length,
      kills: s.kills,
      killsInFullSync: s.killsInFullSync,
      killsInIncremental: s.killsInIncremental,
      wallMs: (s.endedAt || Date.now()) - s.startedAt,
      stallsMs: kills.flatMap((k) => k.hits.filter((x) => x.source === s.source && x.stallMs !== null).map((x) => x.stallMs!)),
      retries,
      retriedHeartbeatTimeoutsMs: [...new Set(retried.map((r) => r.heartbeatTimeoutMs ?? 0))],
      workflowTaskTimeouts: h?.workflowTaskTimeouts ?? 0,
      workflowTaskTimeoutsByType: (h?.workflowTasks ?? []).reduce<Record<string, number>>((acc, w) => {
        if (w.timeout) acc[w.timeout] = (acc[w.timeout] ?? 0) + 1;
        return acc;
      }, {}),
      workflowTaskFailures: h?.workflowTaskFailures ?? 0,
      executions: h?.executions ?? 0,
    };
    if (!last || !last.ok) problems.push(`${s.source}: the last run did not complete`);
    reports.push(report);
  }
  if (failure) problems.push(`soak aborted: ${failure instanceof Error ? failure.message : String(failure)}`);
  for (const r of reports) {
    if (r.lost.length) problems.push(`${r.source}: ${r.lost.length} lost (e.g. ${r.lost.slice(0, 3).join(', ')})`);
    if (r.duplicated.length) problems.push(`${r.source}: ${r.duplicated.length} duplicated (e.g. ${r.duplicated.slice(0, 3).join(', ')})`);
    if (r.stale.length) problems.push(`${r.source}: ${r.stale.length} stale (e.g. ${r.stale.slice(0, 3).map((x) => `${x.id} stored ${x.stored}, current ${x.current}`).join('; ')})`);
    if (!r.watermarkOk) problems.push(`${r.source}: watermark check failed in run(s) ${r.runs.filter((x) => x.ok && !x.watermarkOk).map((x) => `${x.run} (saved ${x.savedWatermark}, expected ${x.expectedWatermark}, until ${x.until})`).join(', ')}`);
    if (r.failedRuns) problems.push(`${r.source}: ${r.failedRuns} run(s) failed: ${r.runs.filter((x) => !x.ok).map((x) => `run ${x.run}: ${x.error}`).join('; ')}`);
  }
  await sandbox.close();
  await sink.close();
  const workerLog = await readFile(logFile, 'utf8').catch(() => '');
  return { seed: opts.seed, wallMs, kills, sources: reports, restartMs, ok: problems.length === 0, problems, workerLog };
}

// ---- printing ----------------------------------------------------------------------------------------

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const n = (x: number) => x.toLocaleString('en-US');

function pct(xs: readonly number[], p: number): number {
  if (xs.length === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function formatSoakReport(r: SoakReport, opts: { perKill?: boolean } = {}): string {
  const lines: string[] = [];
  if (opts.perKill) {
    lines.push('', 'kills (what was in flight, from history; stall = kill → next activity of that source completed):');
    for (const k of r.kills) {
      lines.push(`  kill ${k.n} at ${secs(k.atOffsetMs)} (${k.how}), worker back in ${secs(k.restartMs)}`);
      for (const h of k.hits) {
        const flight = [
          ...h.inFlight.map((a) => `${a.activityType}${a.summary ? ` (${a.summary})` : ''} [attempt ${a.attempts}${a.attempts > 1 ? ` after ${a.lastFailure}` : ''}, heartbeat timeout ${a.heartbeatTimeoutMs === null ? '-' : secs(a.heartbeatTimeoutMs)}]`),
          ...h.workflowTasks.map((w) => `a workflow task, timed out ${w.timeout} after ${secs(w.afterMs)}`),
        ].join(', ') || 'nothing of it in flight';
        lines.push(`    ${h.source} run ${h.run} (${h.mode}): stalled ${h.stallMs === null ? '-' : secs(h.stallMs)}; ${flight}`);
      }
    }
  }
  lines.push('', `Soak seed ${r.seed}: ${r.kills.length} kills of the worker process (SIGKILL) in ${secs(r.wallMs)}; worker restart p50 ${secs(pct(r.restartMs, 50))}, max ${secs(Math.max(0, ...r.restartMs))}`);
  for (const s of r.sources) {
    const incremental = s.runs.filter((x) => x.mode === 'incremental').length;
    const wmRuns = s.runs.filter((x) => x.ok);
    lines.push(
      `  ${s.label.padEnd(18)} ${n(s.sandboxRecords)} records in the sandbox (${n(s.created)} created, ${n(s.changed)} changes during the soak), ${n(s.stored)} stored`,
      `    lost ${s.lost.length}, duplicated ${s.duplicated.length}, stale ${s.stale.length}; watermark check ${wmRuns.filter((x) => x.watermarkOk).length}/${wmRuns.length} runs ok (saved = highest trusted change time landed, ≤ the run's upper bound)`,
      `    runs: 1 full + ${incremental} incremental, ${s.failedRuns} failed; kills ${s.kills} (${s.killsInFullSync} during the full sync, ${s.killsInIncremental} during incremental runs); wall time ${secs(s.wallMs)}`,
      `    stall per kill (kill → next activity completed, restart included): p50 ${secs(pct(s.stallsMs, 50))}, p95 ${secs(pct(s.stallsMs, 95))}, max ${secs(Math.max(0, ...s.stallsMs))}`,
      `    retried activities by cause: ${Object.entries(s.retries).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'} (heartbeat timeout ${s.retriedHeartbeatTimeoutsMs.map(secs).join('/') || '-'}); workflow tasks timed out ${s.workflowTaskTimeouts}${s.workflowTaskTimeouts ? ` (${Object.entries(s.workflowTaskTimeoutsByType).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}, failed ${s.workflowTaskFailures}; ${s.executions} workflow executions`,
    );
  }
  lines.push(r.ok ? 'OK: nothing lost, duplicated or stale; every watermark checked' : `FAILED:\n  ${r.problems.join('\n  ')}`);
  return lines.join('\n');
}
