// Ambiguous failures of deliveries: a connection lost after the request was written, or a gateway's
// 502/504, may mean the provider acted. For a provider without de-duplication the send must not be
// retried blindly (same wording as the timeout case); a refused connection sent nothing and is retried.
// Real sockets on loopback, so that the failures are the ones undici really reports.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { FileConnectionStore } from '../../src/connections/file-store.js';
import { httpRequest } from '../../src/core/http.js';
import { freePort } from '../../src/temporal/dev-server.js';
import { JsonlSink } from '../../src/sinks/jsonl.js';

/** A server that reads a whole request, then closes the socket without answering. */
function startHangUpServer(): Promise<{ server: Server; url: string; requests: () => number }> {
  let requests = 0;
  const server = createServer((socket: Socket) => {
    let seen = '';
    socket.on('data', (d) => {
      seen += d.toString('latin1');
      const end = seen.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/content-length:\s*(\d+)/i.exec(seen)?.[1] ?? 0);
      if (seen.length >= end + 4 + length) {
        requests++;
        socket.destroy();
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, requests: () => requests })));
}

let hangUp: Awaited<ReturnType<typeof startHangUpServer>>;
let gateway: HttpServer;
let gatewayUrl: string;
let gatewayStatus = 502;
let refusedUrl: string;

beforeAll(async () => {
  hangUp = await startHangUpServer();
  gateway = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(gatewayStatus, { 'content-type': 'text/html' }).end('<html>Bad Gateway</html>'));
  });
  await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', () => r()));
  gatewayUrl = `http://127.0.0.1:${(gateway.address() as { port: number }).port}`;
  refusedUrl = `http://127.0.0.1:${await freePort()}`; // nothing listens there
});

afterAll(async () => {
  await new Promise((r) => hangUp.server.close(r));
  await new Promise((r) => gateway.close(r));
});

describe('httpRequest tells a refused connection from one lost after sending', () => {
  test('closed after the request was read: network, retryable, ambiguous', async () => {
    const res = await httpRequest({ provider: 'P', method: 'POST', url: `${hangUp.url}/x`, json: { a: 1 } });
    expect(res.error).toMatchObject({ code: 'network', retryable: true, ambiguous: true });
    expect(res.error!.message).toMatch(/^lost the connection to P after sending the request/);
  });

  test('refused: network, retryable, not ambiguous', async () => {
    const res = await httpRequest({ provider: 'P', method: 'POST', url: `${refusedUrl}/x`, json: { a: 1 } });
    expect(res.error).toMatchObject({ code: 'network', retryable: true });
    expect(res.error!.ambiguous).toBeUndefined();
    expect(res.error!.message).toMatch(/^could not reach P \(ECONNREFUSED/);
  });

  test('502 and 504 are ambiguous, 503 is not', async () => {
    for (const [status, ambiguous] of [[502, true], [504, true], [503, undefined]] as const) {
      gatewayStatus = status;
      const res = await httpRequest({ provider: 'P', method: 'POST', url: `${gatewayUrl}/x`, json: {} });
      expect(res.error).toMatchObject({ code: 'upstream_unavailable', retryable: true });
      expect(res.error!.ambiguous).toBe(ambiguous);
    }
  });
});

describe('the send activity', () => {
  let home: string;
  let store: FileConnectionStore;
  const previousSandbox = process.env.PIPELINE_SANDBOX;
  const env = { HOOK: 'https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX', PD_KEY: 'R0123456789abcdef0123456789abcde' };

  beforeEach(async () => {
    process.env.PIPELINE_SANDBOX = '1';
    home = await mkdtemp(join(tmpdir(), 'pipeline-ambiguous-'));
    store = new FileConnectionStore(join(home, 'connections.json'));
  });
  afterEach(async () => {
    if (previousSandbox === undefined) delete process.env.PIPELINE_SANDBOX;
    else process.env.PIPELINE_SANDBOX = previousSandbox;
    await rm(home, { recursive: true, force: true });
  });

  async function sendVia(connectorId: 'slack' | 'pagerduty', baseUrl: string): Promise<ApplicationFailure> {
    const config = connectorId === 'slack' ? { webhookUrl: 'env:HOOK' } : { routingKey: 'env:PD_KEY' };
    const message = connectorId === 'slack' ? { text: 'hello' } : { summary: 'disk full', source: 'db-1', severity: 'error' };
    await store.add({ id: 'c', connectorId, config, baseUrlOverride: baseUrl });
    const acts = createActivities({ store, sink: new JsonlSink(join(home, 'data')), env });
    const run = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(acts.send, { connectionId: 'c', message, idempotencyKey: 'k-1' });
    const err = await run.then(() => { throw new Error('expected a failure'); }, (e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    return err as ApplicationFailure;
  }

  const WORDING = /the provider may have accepted the message, and it offers no de-duplication, so it is not retried automatically/;

  test('a connection lost after sending: Slack (no de-duplication) is not retried, and says why', async () => {
    const before = hangUp.requests();
    const failure = await sendVia('slack', hangUp.url);
    expect(hangUp.requests()).toBe(before + 1);
    expect(failure.type).toBe('network');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(WORDING);
  });

  test('a 502 from a gateway: Slack is not retried; PagerDuty (dedup_key) is', async () => {
    gatewayStatus = 502;
    const slack = await sendVia('slack', gatewayUrl);
    expect(slack).toMatchObject({ type: 'upstream_unavailable', nonRetryable: true });
    expect(slack.message).toMatch(WORDING);
    await store.remove('c');
    const pd = await sendVia('pagerduty', gatewayUrl);
    expect(pd).toMatchObject({ type: 'upstream_unavailable', nonRetryable: false });
    expect(pd.message).not.toMatch(WORDING);
  });

  test('a refused connection sent nothing: retried as usual', async () => {
    const failure = await sendVia('slack', refusedUrl);
    expect(failure).toMatchObject({ type: 'network', nonRetryable: false });
    expect(failure.message).not.toMatch(WORDING);
  });
});
