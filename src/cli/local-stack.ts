// The embedded default: a Temporal server (the one at TEMPORAL_ADDRESS, one already on
// 127.0.0.1:7233, or a dev server started here with a persisted SQLite file and the Web UI) and an
// in-process worker. `pipeline dev` and the main job (`pipeline demo`) build on it.
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, makeTelemetryFilterString, NativeConnection, Runtime, type LogEntry } from '@temporalio/worker';
import { createConnectionStore } from '../connections/index.js';
import { reportVersionWarnings } from '../connections/version-warnings.js';
import type { ConnectionStore } from '../connections/types.js';
import { createSink } from '../sinks/index.js';
import { createLeases } from '../policies/leases.js';
import type { Sink } from '../sinks/types.js';
import type { Settings } from '../settings.js';
import { serverAnswers, startDevServer, freePort, type DevServer } from '../temporal/dev-server.js';
import { createPipelineWorker, type PipelineWorker } from '../temporal/worker.js';
import { temporalConnectionOptions, type TemporalConnectionOptions } from '../temporal/connection-options.js';
import { loadCodecFromEnv } from '../temporal/codec.js';
import { startCodecServer, type CodecServer } from '../temporal/codec-server.js';
import { webUiAnswers } from '../temporal/web-ui.js';
import type { PolicyOverrides } from '../policies/activity-options.js';
import { planMetrics, type MetricsEndpoint } from '../metrics/server.js';
import type { RuntimeOptions } from '@temporalio/worker';
import { CliError } from './output.js';
import { describeRateMode } from './rate-mode.js';

// The links into the Web UI live beside the other Temporal helpers; re-exported for the commands.
export { workflowListUrl, workflowUrl } from '../temporal/web-ui.js';

export interface LocalStack {
  settings: Settings;
  /** The dev server started here, or null when an existing server is used. */
  devServer: DevServer | null;
  address: string;
  uiUrl: string | null;
  client: Client;
  store: ConnectionStore;
  sink: Sink;
  worker: PipelineWorker | null;
  /** The worker's Prometheus endpoint (--metrics-port / PIPELINE_METRICS_PORT), or null. */
  metricsUrl: string | null;
  stop(): Promise<void>;
}

export interface LocalStackOptions {
  settings: Settings;
  withWorker: boolean;
  policyOverrides?: Record<string, PolicyOverrides>;
  /** Serve the worker's metrics on this port (0: any free one); default settings.metricsPort (src/metrics). */
  metricsPort?: number;
  /** Log a line as each piece comes up. */
  log?: (line: string) => void;
  /** Start a dev server of our own on this port (0: any free one) instead of looking for one on 7233. */
  port?: number;
}

async function portFree(port: number): Promise<boolean> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

// Activity-only workers (one per connector queue) each warn that they register no workflows: by design.
const EXPECTED_WARNINGS = [/^No workflows registered, not polling for workflow tasks/];

/** Meta keys never logged: task tokens (a token completes someone else's activity) and anything else named like a token. */
const DROPPED_KEY = /token/i;

/** An error as a log shows it: its name, message, failure type (the engine's error code) and cause. */
function errorForLog(err: Error, depth: number): Record<string, unknown> {
  const type = (err as Error & { type?: unknown }).type;
  const cause = (err as Error & { cause?: unknown }).cause;
  return {
    name: err.name,
    message: err.message,
    ...(typeof type === 'string' && type ? { type } : {}),
    ...(cause !== undefined && cause !== null && depth < 4 ? { cause: cleanForLog(cause, depth + 1) } : {}),
  };
}

function cleanForLog(value: unknown, depth = 0): unknown {
  if (value instanceof Error) return errorForLog(value, depth);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`;
  if (value === null || typeof value !== 'object' || depth > 6) return value;
  if (Array.isArray(value)) return value.map((v) => cleanForLog(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([k]) => !DROPPED_KEY.test(k))
      .map(([k, v]) => [k, cleanForLog(v, depth + 1)]),
  );
}

/**
 * One worker log line: `<ISO time> [LEVEL] message {meta}`. Errors in the meta show their name and
 * message (JSON.stringify would print `{}`), and task tokens are left out.
 */
export function formatLogEntry(entry: Pick<LogEntry, 'level' | 'message' | 'timestampNanos' | 'meta'>): string {
  const meta = entry.meta ? (cleanForLog(entry.meta) as Record<string, unknown>) : undefined;
  const tail = meta && Object.keys(meta).length ? ` ${JSON.stringify(meta)}` : '';
  return `${new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString()} [${entry.level}] ${entry.message}${tail}`;
}

/**
 * The one set of runtime options of a CLI process: quiet logging and, when metrics are exposed, the
 * SDK's Prometheus exporter on the private address src/metrics/server.ts scrapes. One function for
 * both because Runtime.install may run only once, before anything creates the runtime.
 */
export function quietRuntimeOptions(opts: { prometheusBindAddress?: string } = {}): RuntimeOptions {
  return {
    logger: new DefaultLogger('WARN', (entry) => {
      if (EXPECTED_WARNINGS.some((re) => re.test(entry.message))) return;
      process.stderr.write(`${formatLogEntry(entry)}\n`);
    }),
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) },
      // The SDK's defaults otherwise (names as Temporal's dashboards expect them, durations in ms).
      ...(opts.prometheusBindAddress ? { metrics: { prometheus: { bindAddress: opts.prometheusBindAddress } } } : {}),
    },
    // The commands handle Ctrl-C themselves (cancel what they started, then stop the worker, then
    // the server), instead of the SDK shutting the workers down on its own.
    shutdownSignals: [],
  };
}

export function installQuietRuntime(opts: { prometheusBindAddress?: string } = {}): void {
  try {
    Runtime.install(quietRuntimeOptions(opts));
  } catch (err) {
    // Already installed: fine for logging, but the SDK's metrics exist only if asked for at install.
    if (opts.prometheusBindAddress) throw new CliError(`Cannot expose the Temporal SDK's metrics: ${(err as Error).message}`);
  }
}

export async function startLocalStack(opts: LocalStackOptions): Promise<LocalStack> {
  const { settings } = opts;
  const log = opts.log ?? (() => undefined);
  const metricsPort = opts.metricsPort ?? settings.metricsPort;
  const metricsPlan = opts.withWorker && metricsPort !== undefined ? await planMetrics({ port: metricsPort, host: settings.metricsHost }) : null;
  installQuietRuntime(metricsPlan ? { prometheusBindAddress: metricsPlan.sdkBindAddress } : {});
  let metricsEndpoint: MetricsEndpoint | null = null;
  let devServer: DevServer | null = null;
  let address = settings.temporalAddress;
  let uiUrl: string | null = null;
  const codec = loadCodecFromEnv();
  const dataConverter = codec ? { payloadCodecs: [codec] } : undefined;
  let codecServer: CodecServer | null = null;

  // TLS / API key only for a server we did not start (Temporal Cloud, a secured cluster).
  let connectionOptions: TemporalConnectionOptions = { address };
  if (process.env.TEMPORAL_ADDRESS) {
    connectionOptions = temporalConnectionOptions(address);
    const { address: _a, ...secure } = connectionOptions;
    if (!(await serverAnswers(address, settings.namespace, 5_000, secure))) {
      throw new CliError(`No Temporal server answers at TEMPORAL_ADDRESS=${address} (namespace ${settings.namespace})`);
    }
    log(`Using the Temporal server at ${address}`);
    uiUrl = process.env.TEMPORAL_UI_URL ?? null;
  } else if (opts.port === undefined && (await serverAnswers('127.0.0.1:7233', settings.namespace, 1_000))) {
    address = '127.0.0.1:7233';
    uiUrl = (await webUiAnswers('http://localhost:8233')) ? 'http://localhost:8233' : null;
    log(`Using the Temporal server already running at ${address}`);
  } else {
    await mkdir(settings.home, { recursive: true });
    const port = opts.port !== undefined ? opts.port || (await freePort()) : (await portFree(7233)) ? 7233 : await freePort();
    const uiPort = opts.port === undefined && (await portFree(8233)) ? 8233 : port === 7233 ? 8233 : await freePort();
    log(`Starting a Temporal dev server on 127.0.0.1:${port} (history in ${join(settings.home, 'temporal.sqlite')}) ...`);
    // With encryption on, the Web UI gets a codec endpoint from the start, so it shows decoded payloads.
    if (codec) codecServer = await startCodecServer({ codec, port: Number(process.env.PIPELINE_CODEC_SERVER_PORT) || 0, allowedOrigins: [`http://localhost:${uiPort}`, `http://127.0.0.1:${uiPort}`] });
    if (codecServer) log(`Codec server for the Web UI on ${codecServer.url}`);
    devServer = await startDevServer({ port, uiPort, dbFile: join(settings.home, 'temporal.sqlite'), ...(codecServer ? { uiCodecEndpoint: codecServer.url } : {}) }).catch(async (err: unknown) => {
      await codecServer?.close();
      throw err;
    });
    address = devServer.address;
    uiUrl = devServer.uiUrl;
  }

  if (!process.env.TEMPORAL_ADDRESS) connectionOptions = { address };
  const connection = await Connection.connect(connectionOptions);
  const client = new Client({ connection, namespace: settings.namespace, dataConverter });
  const store = createConnectionStore(settings);
  const sink = createSink(settings);

  let worker: PipelineWorker | null = null;
  let workerRun: Promise<void> | null = null;
  let nativeConnection: NativeConnection | null = null;
  if (opts.withWorker) {
    metricsEndpoint = (await metricsPlan?.start()) ?? null;
    if (metricsEndpoint) log(`Metrics: ${metricsEndpoint.url}`);
    nativeConnection = await NativeConnection.connect(connectionOptions);
    worker = await createPipelineWorker({
      connection: nativeConnection,
      namespace: settings.namespace,
      store,
      sink,
      namePrefix: settings.namePrefix,
      dataConverter,
      ...((opts.policyOverrides ?? settings.policyOverrides) ? { policyOverrides: opts.policyOverrides ?? settings.policyOverrides } : {}),
      rateMode: settings.rateMode,
      leases: await createLeases(settings),
      ...(metricsEndpoint ? { metrics: metricsEndpoint.metrics } : {}),
      onRateMode: (d) => {
        if (d.mode === 'per-connector') process.stderr.write(`${describeRateMode(d)}\n`);
      },
    });
    workerRun = worker.run();
    await reportVersionWarnings(store, undefined, (line) => process.stderr.write(`${line}\n`));
    workerRun.catch((err) => {
      process.stderr.write(`Worker stopped: ${(err as Error).message}\n`);
    });
    log('Worker started (workflows + one activity queue per connector)');
  }

  return {
    settings,
    devServer,
    address,
    uiUrl,
    client,
    store,
    sink,
    worker,
    metricsUrl: metricsEndpoint?.url ?? null,
    async stop() {
      worker?.shutdown();
      await workerRun?.catch(() => undefined);
      await nativeConnection?.close().catch(() => undefined);
      await connection.close().catch(() => undefined);
      await sink.close();
      await store.close?.();
      await devServer?.stop();
      await codecServer?.close();
      await metricsEndpoint?.close();
    },
  };
}

