// HTTP plumbing shared by the three emulators: routing to the provider or the admin endpoints,
// latency and fault injection, steady rate limiting, JSON replies, the request log and stats.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Faults, LeakyBucket, TokenBucket, parseFaultSettings, type FailStatus, type FaultSettings, type LimitDecision, type RateLimiter } from './faults.js';
import type { DataStore, Emulator, EmulatorStats, MutateOptions, MutateResult, RecordSummary, RecordedRequest } from './types.js';

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Default: application/json; charset=utf-8 */
  contentType?: string;
}

export interface RequestContext {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The emulator's own base URL, for links it hands out (Shopify's Link header). */
  baseUrl: string;
}

export type LimitReason = 'steady' | 'storm' | 'concurrency';

/** What each provider module supplies: its routes, auth check and error bodies. */
export interface ProviderApi {
  readonly name: string;
  /** Shopify: leaky bucket (40 deep); others: token bucket. */
  readonly limiter: 'leaky' | 'token';
  /** Simultaneous requests accepted per key (Mailchimp: 10); undefined = unlimited. */
  readonly maxConcurrent?: number;
  /** An error reply when the request lacks the right credentials, else null. */
  authenticate(ctx: RequestContext): Reply | null;
  /** Pull endpoints, the only ones fail5xx, malformed and rateLimitStorm apply to. */
  isDataRequest(ctx: RequestContext): boolean;
  handle(ctx: RequestContext): Reply;
  serverError(status: FailStatus): Reply;
  /** retryAfterSec null: the provider sends no Retry-After for this kind of refusal. */
  rateLimited(reason: LimitReason, retryAfterSec: number | null): Reply;
  /** Adds the headers every answer of this provider carries. */
  decorate?(reply: Reply, info: { callLimitUsed: number; callLimitCapacity: number }): void;
}

const MAX_LOG = 20_000;
const MAX_ADMIN_BODY = 1 << 20;
// Query keys whose values must never be kept, whatever a client puts there.
const SECRET_KEY_RE = /key|token|secret|password|auth|signature/i;

function sleep(ms: number, timers: Set<NodeJS.Timeout>): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      timers.delete(t);
      resolve();
    }, ms);
    timers.add(t);
  });
}

export function queryObject(q: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, raw] of q) {
    const v = SECRET_KEY_RE.test(k) ? '[REDACTED]' : raw;
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else out[k] = Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

function writeReply(res: ServerResponse, reply: Reply, truncate: boolean): void {
  let text = reply.body === undefined || reply.body === null ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  if (truncate) text = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
  const headers: Record<string, string> = {
    'content-type': reply.contentType ?? 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...(reply.headers ?? {}),
  };
  if (res.destroyed) return;
  res.writeHead(reply.status, headers);
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_ADMIN_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function isMutateOptions(v: unknown): v is MutateOptions {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  const ok = (x: unknown) => x === undefined || (typeof x === 'number' && Number.isInteger(x) && x >= 0);
  return ok(o.update) && ok(o.create) && Object.keys(o).every((k) => k === 'update' || k === 'create');
}

/** One listening emulator: a provider API over a data set, with faults and bookkeeping. */
export class EmulatorServer implements Emulator {
  url = '';
  readonly faults: Faults;
  readonly requests: RecordedRequest[] = [];
  private byStatus: Record<number, number> = {};
  private count = 0;
  private readonly server: Server;
  private readonly timers = new Set<NodeJS.Timeout>();
  private limiter: RateLimiter | null = null;
  private limiterVersion = -1;
  private inFlight = 0;

  constructor(
    private readonly api: ProviderApi,
    private readonly store: DataStore,
    faults: Partial<FaultSettings>,
  ) {
    this.faults = new Faults(faults);
    this.server = createServer((req, res) => {
      this.onRequest(req, res).catch((err: unknown) => {
        // A bug in the emulator must not look like a hung provider.
        process.stderr.write(`[sandbox:${this.api.name}] ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
        if (!res.headersSent) writeReply(res, this.api.serverError(500), false);
      });
    });
  }

  async listen(host: string, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const addr = this.server.address() as AddressInfo;
    const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    this.url = `http://${h}:${addr.port}`;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      // Keep-alive sockets of clients would otherwise hold close() open.
      this.server.closeAllConnections();
    });
  }

  stats(): EmulatorStats {
    return { requests: this.count, byStatus: { ...this.byStatus } };
  }

  resetStats(): void {
    // In place: a test may hold a reference to the array.
    this.requests.length = 0;
    this.byStatus = {};
    this.count = 0;
  }

  records(): RecordSummary[] {
    return this.store.records();
  }

  mutate(opts: MutateOptions): MutateResult {
    return this.store.mutate(opts);
  }

  private record(ctx: RequestContext, status: number, arrived: number): void {
    this.count++;
    this.byStatus[status] = (this.byStatus[status] ?? 0) + 1;
    this.requests.push({ method: ctx.method, path: ctx.path, query: queryObject(ctx.query), status, at: new Date(arrived).toISOString() });
    // Long benchmark or demo runs must not grow memory without bound.
    if (this.requests.length > MAX_LOG) this.requests.splice(0, this.requests.length - MAX_LOG);
  }

  private steadyLimit(now: number): LimitDecision | null {
    const rl = this.faults.rateLimit;
    if (!rl) return null;
    if (this.limiterVersion !== this.faults.rateLimitVersion || !this.limiter) {
      this.limiter = this.api.limiter === 'leaky' ? new LeakyBucket(40, rl.requestsPerSecond) : new TokenBucket(rl.requestsPerSecond);
      this.limiterVersion = this.faults.rateLimitVersion;
    }
    return this.limiter.take(now);
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrived = Date.now();
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    const ctx: RequestContext = {
      method: (req.method ?? 'GET').toUpperCase(),
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      baseUrl: this.url,
    };
    if (ctx.path.startsWith('/_sandbox/')) return this.admin(req, res, ctx);
    // Provider requests carry no body worth reading; drain it so the socket can be reused.
    req.resume();

    const delay = this.faults.latencyMs + this.faults.takeSlow();
    const limitInfo = { callLimitUsed: 1, callLimitCapacity: 40 };
    let reply: Reply;
    let truncate = false;
    let holdsSlot = false;

    const denied = this.api.authenticate(ctx);
    if (denied) reply = denied;
    else if (this.api.maxConcurrent !== undefined && this.inFlight >= this.api.maxConcurrent) {
      reply = this.api.rateLimited('concurrency', null);
    } else {
      this.inFlight++;
      holdsSlot = true;
      const limit = this.steadyLimit(arrived);
      if (limit) {
        limitInfo.callLimitUsed = limit.used;
        limitInfo.callLimitCapacity = this.api.limiter === 'leaky' ? limit.capacity : 40;
      }
      const data = this.api.isDataRequest(ctx);
      let failStatus: FailStatus | null = null;
      if (limit && !limit.ok) {
        reply = this.api.rateLimited('steady', Math.max(1, Math.ceil(limit.retryAfterSec)));
      } else if (data && this.faults.takeStorm()) {
        limitInfo.callLimitUsed = limitInfo.callLimitCapacity;
        reply = this.api.rateLimited('storm', 1);
      } else if (data && (failStatus = this.faults.takeFail5xx()) !== null) {
        reply = this.api.serverError(failStatus);
      } else {
        reply = this.api.handle(ctx);
        if (data && reply.status >= 200 && reply.status < 300) truncate = this.faults.takeMalformed();
      }
    }
    this.api.decorate?.(reply, limitInfo);
    this.record(ctx, reply.status, arrived);

    const release = () => {
      if (holdsSlot) {
        holdsSlot = false;
        this.inFlight--;
      }
    };
    res.once('close', release);
    await sleep(delay, this.timers);
    writeReply(res, reply, truncate);
    if (res.writableFinished) release();
  }

  private async admin(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
    const json = (status: number, body: unknown) => writeReply(res, { status, body }, false);
    let body: unknown = {};
    if (ctx.method === 'POST') {
      try {
        const text = await readBody(req);
        body = text.trim() === '' ? {} : (JSON.parse(text) as unknown);
      } catch (err) {
        return json(400, { error: `body must be JSON (${err instanceof Error ? err.message : String(err)})` });
      }
    } else req.resume();

    const route = `${ctx.method} ${ctx.path}`;
    switch (route) {
      case 'GET /_sandbox/faults':
        return json(200, { faults: this.faults.get() });
      case 'POST /_sandbox/faults':
        try {
          return json(200, { faults: this.faults.set(parseFaultSettings(body)) });
        } catch (err) {
          return json(400, { error: err instanceof Error ? err.message : String(err) });
        }
      case 'POST /_sandbox/mutate':
        if (!isMutateOptions(body)) return json(400, { error: 'body must be {"update"?: n, "create"?: n} with non-negative integers' });
        return json(200, this.store.mutate(body));
      case 'GET /_sandbox/stats':
        return json(200, this.stats());
      case 'POST /_sandbox/stats/reset':
        this.resetStats();
        return json(200, this.stats());
      case 'GET /_sandbox/records':
        return json(200, { records: this.store.records() });
      default:
        return json(404, {
          error: `no admin endpoint ${route}`,
          endpoints: ['GET|POST /_sandbox/faults', 'POST /_sandbox/mutate', 'GET /_sandbox/stats', 'POST /_sandbox/stats/reset', 'GET /_sandbox/records'],
        });
    }
  }
}
