// The metrics endpoint: Prometheus text on GET /metrics, the SDK exporter's scrape first and the
// engine's registry after it (one valid exposition, no family twice), the engine's series still
// served when the SDK exporter does not answer, and nothing but /metrics.
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, test } from 'vitest';
import { PromEngineMetrics } from '../../../src/metrics/registry.js';
import { startMetricsServer, type MetricsServer } from '../../../src/metrics/server.js';

// What the SDK core's exporter serves (trimmed from a real worker's scrape).
const SDK_TEXT = `# HELP temporal_request Count of client request successes by rpc name
# TYPE temporal_request counter
temporal_request{namespace="default",operation="PollActivityTaskQueue",service_name="temporal-core-sdk",task_queue="pipeline-activities-stripe"} 4
# HELP temporal_worker_task_slots_available Current number of worker slots available
# TYPE temporal_worker_task_slots_available gauge
temporal_worker_task_slots_available{namespace="default",service_name="temporal-core-sdk",task_queue="pipeline-workflows",worker_type="WorkflowWorker"} 100
`;

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

async function fakeSdkExporter(body: string, status = 200): Promise<string> {
  const srv: Server = createServer((_req, res) => res.writeHead(status, { 'content-type': 'text/plain; version=0.0.4' }).end(body));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  open.push({ close: () => new Promise<void>((r) => srv.close(() => r())) });
  return `http://127.0.0.1:${(srv.address() as { port: number }).port}/metrics`;
}

async function serve(opts: { sdkUrl?: string; port?: number } = {}): Promise<{ server: MetricsServer; metrics: PromEngineMetrics }> {
  const metrics = new PromEngineMetrics();
  metrics.pageWritten({ connector: 'stripe', connection: 's1', stream: 'charges' }, 120);
  const server = await startMetricsServer({ registry: metrics.registry, port: opts.port ?? 0, ...(opts.sdkUrl ? { sdkUrl: opts.sdkUrl } : {}) });
  open.push(server);
  return { server, metrics };
}

/** Checks the text format line by line (exposition format 0.0.4) and that no family is declared twice. */
function expectValidExposition(text: string): void {
  const families = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      expect(families.has(type[1]!), `family ${type[1]} declared twice`).toBe(false);
      families.add(type[1]!);
      continue;
    }
    if (line.startsWith('#')) continue; // HELP or a comment
    expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? -?([0-9.e+-]+|NaN|\+Inf|-Inf)( -?\d+)?$/);
  }
}

describe('GET /metrics', () => {
  test('the SDK scrape, then the engine registry, as text/plain Prometheus format', async () => {
    const { server } = await serve({ sdkUrl: await fakeSdkExporter(SDK_TEXT) });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`);
    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    expect(text.startsWith(SDK_TEXT)).toBe(true);
    expect(text).toContain('pipeline_records_written_total{connector="stripe",connection="s1",stream="charges"} 120');
    expect(text).toContain('pipeline_pages_written_total{connector="stripe",connection="s1",stream="charges"} 1');
    expectValidExposition(text);
  });

  test('an SDK scrape without a final newline still ends its line before the engine text', async () => {
    const { server } = await serve({ sdkUrl: await fakeSdkExporter(SDK_TEXT.trimEnd()) });
    const text = await (await fetch(server.url)).text();
    expect(text).toMatch(/task_queue="pipeline-workflows",worker_type="WorkflowWorker"\} 100\n# HELP pipeline_/);
    expectValidExposition(text);
  });

  test('the SDK exporter down or failing: the engine series are served, with a comment saying why', async () => {
    const down = await fakeSdkExporter('');
    await open.pop()!.close();
    const { server } = await serve({ sdkUrl: down });
    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^# Temporal SDK metrics unavailable: ECONNREFUSED\n/);
    expect(text).toContain('pipeline_records_written_total{');
    expectValidExposition(text);

    const failing = await serve({ sdkUrl: await fakeSdkExporter('boom', 500) });
    expect(await (await fetch(failing.server.url)).text()).toMatch(/^# Temporal SDK metrics unavailable: HTTP 500\n/);
  });

  test('counters read at scrape time', async () => {
    const { server, metrics } = await serve();
    metrics.providerAnswer({ connector: 'stripe', connection: 's1' }, 'rate_limited');
    const text = await (await fetch(server.url)).text();
    expect(text).toContain('pipeline_provider_rate_limited_total{connector="stripe",connection="s1"} 1');
    expect(text).toContain('pipeline_provider_answers_total{connector="stripe",connection="s1",code="rate_limited"} 1');
  });
});

describe('everything else', () => {
  test('other paths 404, other methods 405, HEAD has no body', async () => {
    const { server } = await serve();
    const base = server.url.replace(/\/metrics$/, '');
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/metrics/x`)).status).toBe(404);
    const post = await fetch(server.url, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const head = await fetch(server.url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await fetch(`${server.url}?name[]=x`)).status).toBe(200);
  });

  test('a port in use is refused with the option named', async () => {
    const { server } = await serve();
    await expect(serve({ port: server.port })).rejects.toThrow(`Cannot serve metrics on 127.0.0.1:${server.port}: the port is in use (--metrics-port / PIPELINE_METRICS_PORT)`);
  });
});
