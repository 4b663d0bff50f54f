// One Prometheus endpoint for a worker process: the Temporal SDK's own runtime metrics followed by
// the engine's (registry.ts), on the port the operator chose.
//
// The SDK exports its metrics through its Rust core's own HTTP exporter (RuntimeOptions
// telemetryOptions.metrics.prometheus.bindAddress); prom-client cannot be fed into it, nor it into
// prom-client. So the core's exporter listens on a private loopback port, and GET /metrics here
// scrapes it and appends the engine's registry: one target to configure, one scrape. The names do
// not collide (temporal_* from the SDK; pipeline_*, process_* and nodejs_* from prom-client).
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { Registry } from 'prom-client';
import type { EngineMetrics } from './registry.js';
import { PromEngineMetrics } from './registry.js';

export interface MetricsServer {
  /** http://host:port/metrics, with the port actually bound (port 0 asks for any free one). */
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface MetricsServerOptions {
  registry: Registry;
  port: number;
  /** Listening address; default 127.0.0.1 (use 0.0.0.0 in a container). */
  host?: string;
  /** Where the SDK's exporter serves its text (http://127.0.0.1:PORT/metrics); omitted: engine metrics only. */
  sdkUrl?: string;
}

/** How long a scrape waits for the SDK's exporter (in-process, on loopback: normally a few ms). */
const SDK_SCRAPE_TIMEOUT_MS = 2_000;

/**
 * The SDK's scrape text, or a Prometheus comment saying why there is none (the runtime is created
 * with the first connection, so a scrape before it finds no exporter yet): the engine's series are
 * served either way, rather than failing the whole scrape.
 */
export async function scrapeSdk(url: string): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(SDK_SCRAPE_TIMEOUT_MS) });
    if (!res.ok) return `# Temporal SDK metrics unavailable: HTTP ${res.status}\n`;
    const text = await res.text();
    return text.endsWith('\n') || text === '' ? text : `${text}\n`;
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    const reason = cause ?? (err as Error).name;
    return `# Temporal SDK metrics unavailable: ${reason.replace(/[\r\n]/g, ' ')}\n`;
  }
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export async function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const host = opts.host ?? '127.0.0.1';
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: the metrics are at /metrics\n');
      return;
    }
    void (async () => {
      try {
        const [sdk, engine] = await Promise.all([opts.sdkUrl ? scrapeSdk(opts.sdkUrl) : '', opts.registry.metrics()]);
        const body = sdk + engine;
        res.writeHead(200, { 'content-type': opts.registry.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      } catch (err) {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`metrics collection failed: ${(err as Error).name}\n`);
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`Cannot serve metrics on ${host}:${opts.port}: the port is in use (--metrics-port / PIPELINE_METRICS_PORT)`) : err),
    );
    server.listen(opts.port, host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://${hostForUrl(host)}:${port}/metrics`,
    port,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A free loopback port for the SDK's exporter (the core reports no port of its own when given 0). */
async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface MetricsEndpoint extends MetricsServer {
  /** The counters to hand the worker's activities (ActivityDeps.metrics). */
  metrics: EngineMetrics;
}

export interface MetricsPlan {
  /** Give this to the runtime options (src/cli/local-stack.ts installQuietRuntime) before anything creates the runtime. */
  sdkBindAddress: string;
  /** Starts the endpoint on the operator's port. */
  start(): Promise<MetricsEndpoint>;
}

/**
 * Step one of exposing metrics, before Runtime.install: the SDK exporter's private address. Step
 * two, start(): the engine's registry and the public endpoint.
 */
export async function planMetrics(opts: { port: number; host?: string }): Promise<MetricsPlan> {
  const sdkBindAddress = `127.0.0.1:${await freeLoopbackPort()}`;
  return {
    sdkBindAddress,
    async start() {
      const metrics = new PromEngineMetrics({ processMetrics: true });
      const server = await startMetricsServer({ registry: metrics.registry, port: opts.port, ...(opts.host ? { host: opts.host } : {}), sdkUrl: `http://${sdkBindAddress}/metrics` });
      return { ...server, metrics };
    },
  };
}
