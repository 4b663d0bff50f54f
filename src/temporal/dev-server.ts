// Starting a Temporal dev server (`temporal server start-dev`) as a child process: the embedded
// default of the demo, `pipeline dev` and the tests. SQLite file when persistence is wanted, the Web
// UI unless headless, and the engine's search attributes registered at start.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Connection, type ConnectionOptions } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { findTemporalBinary } from './binary.js';
import { SEARCH_ATTRIBUTE_KEYS } from './search-attributes.js';

/**
 * Server settings for a pipeline workload (measured; see README "Performance"):
 * - The history service reads newly created tasks (the next workflow task after an activity
 *   completes, the next activity) at most `*ProcessorMaxPollRPS` times a second, 20 by default:
 *   ~30 ms of idle wait before every dispatch, i.e. per page of a pull (bench/pull.ts).
 * - A task queue's rate limit (maxTaskQueueActivitiesPerSecond, each connector's provider rate) is
 *   split across its partitions, 4 by default, and one activity poller does not drain them all:
 *   Shopify at 2 req/s ran at ~1 page/s. One partition gives the configured rate (bench/rate-limit.ts).
 */
export const PIPELINE_DYNAMIC_CONFIG: Readonly<Record<string, number | boolean>> = {
  'history.transferProcessorMaxPollRPS': 1000,
  'history.timerProcessorMaxPollRPS': 1000,
  'history.visibilityProcessorMaxPollRPS': 1000,
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
  // Task-queue fairness: each connection's rate key is its activities' fairness key, and each key
  // gets its own per-key rate limit (src/temporal/queue-config.ts).
  'matching.useNewMatcher': true,
  'matching.enableFairness': true,
};

export interface DevServerOptions {
  /** gRPC port; 0 picks a free one. */
  port?: number;
  /** Web UI port; defaults to port + 1000. Ignored when headless. */
  uiPort?: number;
  headless?: boolean;
  /** SQLite file to persist history across restarts; in-memory when omitted. */
  dbFile?: string;
  namespace?: string;
  /** Extra `--dynamic-config-value k=v` settings. */
  dynamicConfig?: Record<string, string | number | boolean>;
  /** Codec endpoint the Web UI should call to decode payloads. */
  uiCodecEndpoint?: string;
  /** How long to wait for the server to answer, default 60 s. */
  startTimeoutMs?: number;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

export interface DevServer {
  address: string;
  namespace: string;
  uiUrl: string | null;
  /** The process id of the server (for tests that need to know it is ours). */
  pid: number | null;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** True when a Temporal frontend answers at `address`. */
export async function serverAnswers(address: string, namespace = 'default', timeoutMs = 2_000, options: Omit<ConnectionOptions, 'address'> = {}): Promise<boolean> {
  let conn: Connection | undefined;
  try {
    conn = await Connection.connect({ ...options, address, connectTimeout: timeoutMs });
    await conn.workflowService.describeNamespace({ namespace });
    return true;
  } catch {
    return false;
  } finally {
    await conn?.close().catch(() => undefined);
  }
}

export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const namespace = opts.namespace ?? 'default';
  const port = opts.port || (await freePort());
  const uiPort = opts.headless ? null : opts.uiPort ?? port + 1000;
  const binary = findTemporalBinary();
  if (!binary) return startWithSdkDownload({ ...opts, port, namespace });

  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', namespace];
  args.push('--log-level', opts.logLevel ?? 'error');
  if (uiPort === null) args.push('--headless');
  else args.push('--ui-port', String(uiPort));
  if (opts.dbFile) args.push('--db-filename', opts.dbFile);
  if (opts.uiCodecEndpoint) args.push('--ui-codec-endpoint', opts.uiCodecEndpoint);
  for (const key of SEARCH_ATTRIBUTE_KEYS) args.push('--search-attribute', `${key.name}=Keyword`);
  for (const [k, v] of Object.entries({ ...PIPELINE_DYNAMIC_CONFIG, ...opts.dynamicConfig })) {
    args.push('--dynamic-config-value', `${k}=${typeof v === 'string' ? JSON.stringify(v) : String(v)}`);
  }

  // Its own process group: a Ctrl-C on the terminal reaches only our process, which then stops the
  // syncs, the worker and this server in order (a server killed first fails every client call).
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  // ... and it never outlives us, however we end.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let exited: number | string | null = null;
  child.on('exit', (code, signal) => {
    exited = code ?? signal ?? 'exit';
  });

  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  while (!(await serverAnswers(address, namespace, 1_000))) {
    if (exited !== null) throw new Error(`temporal server start-dev exited (${exited}) before answering:\n${stderr.trim()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`temporal server start-dev did not answer on ${address} within ${opts.startTimeoutMs ?? 60_000} ms:\n${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }

  return {
    address,
    namespace,
    uiUrl: uiPort === null ? null : `http://localhost:${uiPort}`,
    pid: child.pid ?? null,
    async stop() {
      if (exited !== null) return;
      const done = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await done;
      clearTimeout(timer);
    },
  };
}

/** Last fallback for machines with internet but neither a binary nor Python: the SDK's download. */
async function startWithSdkDownload(opts: DevServerOptions & { port: number; namespace: string }): Promise<DevServer> {
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'cached-download' },
      port: opts.port,
      namespace: opts.namespace,
      ...(opts.headless ? {} : { uiPort: opts.uiPort ?? opts.port + 1000 }),
      ...(opts.dbFile ? { dbFilename: opts.dbFile } : {}),
      searchAttributes: [...SEARCH_ATTRIBUTE_KEYS],
      extraArgs: Object.entries({ ...PIPELINE_DYNAMIC_CONFIG, ...opts.dynamicConfig }).flatMap(([k, v]) => ['--dynamic-config-value', `${k}=${typeof v === 'string' ? JSON.stringify(v) : String(v)}`]),
    },
  });
  return {
    address: env.address,
    namespace: opts.namespace,
    uiUrl: opts.headless ? null : `http://localhost:${opts.uiPort ?? opts.port + 1000}`,
    pid: null,
    stop: () => env.teardown(),
  };
}
