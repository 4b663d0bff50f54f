// The web console's HTTP server (node:http): the page's static files and a small JSON API over the
// same store and Temporal client as the CLI. Every request passes security.ts first; every response
// carries its headers; no answer ever holds a secret (see security.ts leaksSecret).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ScheduleError } from '../temporal/schedules.js';
import { ConnectionError } from '../connections/types.js';
import { redact } from '../core/redact.js';
import { routes } from './api/index.js';
import { loadAssets, readAsset, type Asset } from './assets.js';
import { Reply, type ConsoleDeps } from './context.js';
import { allowedHosts, checkRequest, hostForm, isWildcard, leaksSecret, newToken, readJsonBody, RequestError, SECURITY_HEADERS } from './security.js';

export const DEFAULT_CONSOLE_PORT = 8390;

export interface ConsoleOptions {
  deps: ConsoleDeps;
  /** Listening address; loopback unless someone asks otherwise. */
  host?: string;
  /** Default 8390; 0 = any free port. */
  port?: number;
  /** Where unexpected failures are reported (never with a request body). Default: stderr. */
  onError?: (message: string) => void;
}

export interface ConsoleServer {
  /** The page's URL with the token in its fragment: printed once, at start. */
  url: string;
  /** http://host:port, the origin the page runs under. */
  origin: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

export async function startConsole(opts: ConsoleOptions): Promise<ConsoleServer> {
  const host = opts.host ?? '127.0.0.1';
  const onError = opts.onError ?? ((m: string) => process.stderr.write(`console: ${m}\n`));
  const assets = await loadAssets();
  const token = newToken();
  // Known once the port is: until then (a moment), every request is refused as misdirected.
  let allowed = new Set<string>();

  const server = createServer((req, res) => {
    void handle(req, res);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    const secrets: string[] = [];
    try {
      const url = new URL(req.url ?? '/', 'http://console.invalid');
      checkRequest(req, url.pathname, { token, allowedHosts: allowed });
      if (url.pathname.startsWith('/api/')) await api(req, res, url, secrets);
      else await serveAsset(req, res, assets.get(url.pathname));
    } catch (err) {
      const { status, body } = errorReply(err, secrets);
      if (status === 500) onError((err as Error).stack ?? String(err));
      // An oversize body is not read to its end: close the connection rather than drain it.
      if (res.headersSent) {
        res.destroy(); // failed half-way through an answer: cut it
        return;
      }
      if (status === 413) res.setHeader('connection', 'close');
      sendJson(res, status, body, secrets, onError);
    }
  }

  async function api(req: IncomingMessage, res: ServerResponse, url: URL, secrets: string[]): Promise<void> {
    res.setHeader('cache-control', 'no-store');
    let pathMatched = false;
    for (const route of routes) {
      const m = route.path.exec(url.pathname);
      if (!m) continue;
      pathMatched = true;
      if (route.method !== req.method) continue;
      const result = await route.handle({ deps: opts.deps, params: m.slice(1), query: url.searchParams, body: (schema) => readJsonBody(req, schema), secrets });
      const reply = result instanceof Reply ? result : new Reply(200, result);
      sendJson(res, reply.status, reply.body, secrets, onError);
      return;
    }
    throw pathMatched ? new RequestError(405, 'method_not_allowed', `${req.method} is not allowed on ${url.pathname}`) : new RequestError(404, 'not_found', 'No such API endpoint');
  }

  await listen(server, opts.port ?? DEFAULT_CONSOLE_PORT, host);
  const port = (server.address() as AddressInfo).port;
  allowed = allowedHosts(host, port);
  // The link names the address it listens on (loopback for every interface: this machine's browser).
  const origin = `http://${isWildcard(host) ? '127.0.0.1' : hostForm(host)}:${port}`;
  return {
    url: `${origin}/#token=${token}`,
    origin,
    token,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function serveAsset(req: IncomingMessage, res: ServerResponse, asset: Asset | undefined): Promise<void> {
  if (!asset) throw new RequestError(404, 'not_found', 'Not found');
  const bytes = await readAsset(asset);
  res.writeHead(200, { 'content-type': asset.contentType, 'content-length': bytes.length, 'cache-control': 'no-cache' });
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

function sendJson(res: ServerResponse, status: number, body: unknown, secrets: readonly string[], onError: (m: string) => void): void {
  let text = JSON.stringify(body ?? null);
  if (leaksSecret(text, secrets)) {
    onError('an answer that would have contained a secret was withheld');
    status = 500;
    text = JSON.stringify({ error: 'internal', message: 'The answer was withheld: it would have contained a secret.' });
  }
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** An error as the page reads it: a status, a stable code, a message and, for forms, errors by field. */
export function errorReply(err: unknown, secrets: readonly string[]): { status: number; body: Record<string, unknown> } {
  const clean = (m: string) => redact(m, secrets);
  if (err instanceof RequestError) return { status: err.status, body: { error: err.code, message: clean(err.message), ...err.details } };
  if (err instanceof ConnectionError) {
    const status = err.code === 'not_found' ? 404 : err.code === 'conflict' ? 409 : 400;
    const fieldErrors: Record<string, string[]> = {};
    for (const i of err.issues) (fieldErrors[i.field] ??= []).push(clean(i.message));
    // A duplicate id is the id field's problem.
    if (err.code === 'conflict' && err.issues.length === 0) fieldErrors.id = [clean(err.message)];
    return { status, body: { error: err.code, message: clean(err.message), fieldErrors } };
  }
  if (err instanceof ScheduleError) {
    const status = /already exists/.test(err.message) ? 409 : /^No schedule/.test(err.message) ? 404 : 400;
    return { status, body: { error: status === 404 ? 'not_found' : status === 409 ? 'conflict' : 'invalid_request', message: clean(err.message) } };
  }
  return { status: 500, body: { error: 'internal', message: clean(err instanceof Error ? err.message : String(err)) } };
}
