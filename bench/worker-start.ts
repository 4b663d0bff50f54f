// How fast and how small `pipeline worker` starts with the prebuilt workflow bundle and without it
// (webpack at every start, as before scripts/build-workflow-bundle.ts): from process start to
// "Worker polling", and the resident memory once it idles.
//
//   npm run bench:worker-start -- [--runs 7] [--idle-ms 3000] [--connectors stripe,shopify]
//
// One dev server for every run. The prebuilt bundle is built once into a folder of its own
// (PIPELINE_WORKFLOW_BUNDLE_DIR), and each run without it gets a new empty folder, so that it bundles
// at start (and saves a bundle nobody reads again, as a development start without one does: a few
// ms). Each run's log line "Workflow bundle: …" is checked, so that neither side silently measures
// the other. After one warm-up of each, the runs alternate (with, without, with, …): drift of a
// shared machine weighs on both alike. Median, min and max of each, and the ratio of the medians.
// Besides wall time, the CPU time the worker had used when it printed "Worker polling": on a busy
// shared machine it moves far less than wall time does.
// Linux: /proc/<pid>/stat for CPU time, /proc/<pid>/status for RSS (VmRSS once idle, VmHWM the peak).
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startDevServer } from '../src/temporal/dev-server.js';
import { buildWorkflowBundle, writeWorkflowBundle } from '../src/temporal/workflow-bundle.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    'idle-ms': { type: 'string', default: '3000' },
    // Default: every connector queue, as `pipeline worker` runs in production.
    connectors: { type: 'string' },
  },
});
const RUNS = Number(args.runs);
const IDLE_MS = Number(args['idle-ms']);
const BIN = fileURLToPath(new URL('../bin/pipeline.mjs', import.meta.url));

type Variant = 'prebuilt' | 'bundled';
interface Run {
  variant: Variant;
  startS: number;
  cpuS: number;
  rssIdleMb: number;
  rssPeakMb: number;
}

async function memory(pid: number): Promise<{ now: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { now: Math.round(kb('VmRSS') / 1024), peak: Math.round(kb('VmHWM') / 1024) };
}

/** User + system CPU seconds of a process so far (clock ticks of 1/100 s on Linux). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from the 3rd (state) on
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime: the 14th and 15th
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const server = await startDevServer({ headless: true });
const home = await mkdtemp(join(tmpdir(), 'pipeline-bench-start-'));
const prebuiltDir = join(home, 'prebuilt');
let round = 0;

/** Thrown when a prebuilt run found its bundle stale: the sources changed during the bench. */
class SourcesChanged extends Error {}

/**
 * One run of `variant`. A prebuilt run whose bundle went stale meanwhile (someone edited the
 * workflows) bundled at start and saved a fresh bundle: it is not counted, and the run is made again.
 */
async function measure(variant: Variant): Promise<Run> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(variant);
    } catch (err) {
      if (!(err instanceof SourcesChanged) || attempt >= 3) throw err;
      console.log(`  (the workflow sources changed during the bench: that run bundled at start and saved a fresh bundle; not counted, run again)`);
    }
  }
}

/** One `pipeline worker`: spawn → "Worker polling" on stdout, idle, RSS, SIGTERM. */
async function startOnce(variant: Variant): Promise<Run> {
  round++;
  const bundleDir = variant === 'prebuilt' ? prebuiltDir : await mkdtemp(join(home, 'empty-'));
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, 'worker', ...(args.connectors ? ['--connectors', args.connectors] : [])], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: server.address,
      PIPELINE_HOME: join(home, 'home'),
      PIPELINE_NAME_PREFIX: `bench${round}-`,
      PIPELINE_WORKFLOW_BUNDLE_DIR: bundleDir,
      PIPELINE_SINK: 'jsonl',
      PIPELINE_CONNECTION_STORE: 'file',
      NO_COLOR: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const startS = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('Worker polling')) resolve((performance.now() - started) / 1000);
    });
    void exited.then((code) => reject(new Error(`pipeline worker exited (${code}) before polling:\n${stdout}\n${stderr}`)));
  });
  const cpuS = await cpuSeconds(child.pid!);
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const mem = await memory(child.pid!);
  child.kill('SIGTERM');
  await exited;
  const expected = variant === 'prebuilt' ? /^Workflow bundle: prebuilt /m : /^Workflow bundle: bundled at start /m;
  if (variant === 'prebuilt' && /^Workflow bundle: bundled at start .* is stale: /m.test(stderr)) throw new SourcesChanged(stderr);
  if (!expected.test(stderr)) throw new Error(`The ${variant} run did not say it ran a ${variant} bundle:\n${stderr}`);
  if (variant === 'bundled') await rm(bundleDir, { recursive: true, force: true });
  return { variant, startS, cpuS, rssIdleMb: mem.now, rssPeakMb: mem.peak };
}

const runs: Run[] = [];
try {
  await writeWorkflowBundle(prebuiltDir, await buildWorkflowBundle());
  console.log(`pipeline worker${args.connectors ? ` --connectors ${args.connectors}` : ''} against ${server.address}: one warm-up each, then ${RUNS} runs each, alternating`);
  await measure('prebuilt');
  await measure('bundled');
  for (let i = 0; i < RUNS; i++) {
    for (const variant of ['prebuilt', 'bundled'] as const) {
      const r = await measure(variant);
      runs.push(r);
      console.log(`  ${variant.padEnd(8)} start ${r.startS.toFixed(2)} s  CPU ${r.cpuS.toFixed(2)} s  RSS idle ${r.rssIdleMb} MB  peak ${r.rssPeakMb} MB`);
    }
  }
} finally {
  await server.stop();
  await rm(home, { recursive: true, force: true });
}

const figures = (['prebuilt', 'bundled'] as const).map((variant) => {
  const of = (k: 'startS' | 'cpuS' | 'rssIdleMb' | 'rssPeakMb') => runs.filter((r) => r.variant === variant).map((r) => r[k]);
  const stat = (xs: number[]) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });
  return { variant, startS: stat(of('startS')), cpuS: stat(of('cpuS')), rssIdleMb: stat(of('rssIdleMb')), rssPeakMb: stat(of('rssPeakMb')) };
});
const [pre, bun] = figures as [(typeof figures)[0], (typeof figures)[0]];
const cell = (s: { median: number; min: number; max: number }, digits: number) => `${s.median.toFixed(digits)} [${s.min.toFixed(digits)}–${s.max.toFixed(digits)}]`.padEnd(22);
const ratio = (k: 'startS' | 'cpuS' | 'rssIdleMb' | 'rssPeakMb') => (pre[k].median / bun[k].median).toFixed(2).padEnd(22);
console.log(`\n${`median [min–max], ${RUNS} runs each`.padEnd(37)}start → polling (s)   CPU to polling (s)    RSS idle (MB)         RSS peak (MB)`);
console.log(`prebuilt bundle                      ${cell(pre.startS, 2)}${cell(pre.cpuS, 2)}${cell(pre.rssIdleMb, 0)}${cell(pre.rssPeakMb, 0)}`);
console.log(`bundled at start (before)            ${cell(bun.startS, 2)}${cell(bun.cpuS, 2)}${cell(bun.rssIdleMb, 0)}${cell(bun.rssPeakMb, 0)}`);
console.log(`ratio prebuilt / bundled (medians)   ${ratio('startS')}${ratio('cpuS')}${ratio('rssIdleMb')}${ratio('rssPeakMb')}`);

const outDir = fileURLToPath(new URL('./results/', import.meta.url));
await mkdir(outDir, { recursive: true });
const file = join(outDir, `worker-start-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
await writeFile(file, JSON.stringify({ runs: RUNS, idleMs: IDLE_MS, connectors: args.connectors ?? 'all', figures, each: runs }, null, 2));
console.log(`figures saved to ${file}`);
