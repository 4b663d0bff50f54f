// HTTP plumbing shared by the three emulators: routing to the provider or the admin endpoints,
// tenants (identified by the credential a request presents), latency and fault injection, each
// tenant's rate bucket and concurrency cap, JSON replies, the request log and stats (per tenant too).
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SandboxClock } from './clock.js';
import { Faults, LeakyBucket, TokenBucket, parseFaultSettings, type FailStatus, type FaultSettingsInput, type LimitDecision, type RateLimiter, type RecordFaults } from './faults.js';
import type { DataStore, Emulator, EmulatorStats, KeyStats, MutateOptions, MutateResult, RecordSummary, RecordedRequest } from './types.js';

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
  /** The per-record faults (dropRecords, badTimestamps), applied by the provider while it builds a page. */
  faults: RecordFaults;
  /** The emulator's now (epoch ms): the real clock plus the clock's offset. */
  now(): number;
}

export type LimitReason = 'steady' | 'storm' | 'concurrency';

/** What each provider module supplies for one tenant: its routes, auth check and error bodies. */
export interface ProviderApi {
  readonly name: string;
  /** An error reply when the request lacks this tenant's credentials, else null (also for paths that need none). */
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

/** A tenant's own limits: what the provider enforces per credential (a shop, an account, an API key). */
export interface TenantLimits {
  /**
   * Requests per second for this credential; null: none. Leaky bucket (Shopify): `burst` is the
   * bucket size and `requestsPerSecond` its leak; token bucket: `burst` tokens refilled at that rate.
   */
  rate: { requestsPerSecond: number; burst: number } | null;
  /** Simultaneous requests accepted for this credential (Mailchimp: 10); null: unlimited. */
  maxConcurrent: number | null;
}

/** One tenant of an emulator: its name (the key in stats), the secrets naming it, its limits, its data. */
export interface Tenant {
  readonly name: string;
  /** Credentials (tokens, keys) that identify this tenant; never logged or reported. */
  readonly secrets: readonly string[];
  readonly limits: TenantLimits;
  /** The tenant's data set and API; built once (memoised), startSandbox builds every tenant's at start. */
  load(): { api: ProviderApi; store: DataStore };
}

/** A provider emulator: how requests name their tenant, and its tenants (the first is the default). */
export interface ProviderSpec {
  readonly name: string;
  /** Shopify: leaky bucket; others: token bucket (for tenant limits and the rateLimit fault). */
  readonly limiter: 'leaky' | 'token';
  /** The credential the request presents (a token, a key), or null when it presents none. */
  credentialOf(ctx: RequestContext): string | null;
  readonly tenants: readonly Tenant[];
}

/** Live state of one tenant: its bucket, requests in flight and counters. */
class TenantState {
  limiter: RateLimiter | null = null;
  limiterVersion = -1;
  /** Requests holding one of the tenant's concurrency slots (accepted, not yet answered). */
  slots = 0;
  /** Every request of the tenant being served (accepted or refused, until its answer is sent). */
  active = 0;
  requests = 0;
  byStatus: Record<number, number> = {};
  rateLimited = 0;
  maxInFlight = 0;
  perSecond: number[] = [];

  constructor(readonly def: Tenant) {}

  reset(): void {
    this.requests = 0;
    this.byStatus = {};
    this.rateLimited = 0;
    this.maxInFlight = this.active;
    this.perSecond = [];
  }

  stats(): KeyStats {
    return { requests: this.requests, byStatus: { ...this.byStatus }, rateLimited: this.rateLimited, inFlight: this.active, maxInFlight: this.maxInFlight, perSecond: [...this.perSecond] };
  }
}

const MAX_LOG = 20_000;
// A benchmark running for days must not grow a per-second array without bound (about 3 days).
const MAX_SECONDS = 262_144;
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
  const ids = o.ids === undefined || (Array.isArray(o.ids) && o.ids.every((id) => typeof id === 'string'));
  return ok(o.update) && ok(o.create) && ids && Object.keys(o).every((k) => k === 'update' || k === 'create' || k === 'ids');
}

/** An admin answer a provider-specific emulator adds (see EmulatorServer.adminRoute). */
export interface AdminReply {
  status: number;
  body: unknown;
}

/** One listening emulator: a provider API over its tenants' data sets, with faults and bookkeeping. */
export class EmulatorServer implements Emulator {
  url = '';
  readonly faults: Faults;
  readonly clock: SandboxClock;
  readonly requests: RecordedRequest[] = [];
  readonly tenants: readonly string[];
  private byStatus: Record<number, number> = {};
  private count = 0;
  private epoch = Date.now();
  private readonly server: Server;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly states: TenantState[];
  private readonly byName = new Map<string, TenantState>();
  private readonly bySecret = new Map<string, TenantState>();

  /** `clock`: the emulator's clock, which its tenants' data sets must have been built with. */
  constructor(
    private readonly spec: ProviderSpec,
    faults: FaultSettingsInput,
    clock: SandboxClock = new SandboxClock(),
  ) {
    if (spec.tenants.length === 0) throw new Error(`sandbox: ${spec.name} needs at least one tenant`);
    this.faults = new Faults(faults);
    this.clock = clock;
    this.states = spec.tenants.map((t) => new TenantState(t));
    for (const st of this.states) {
      if (this.byName.has(st.def.name)) throw new Error(`sandbox: two ${spec.name} tenants are named "${st.def.name}"`);
      this.byName.set(st.def.name, st);
      for (const secret of st.def.secrets) {
        const owner = this.bySecret.get(secret);
        if (owner) throw new Error(`sandbox: ${spec.name} tenants "${owner.def.name}" and "${st.def.name}" share a credential`);
        this.bySecret.set(secret, st);
      }
    }
    this.tenants = this.states.map((st) => st.def.name);
    this.server = createServer((req, res) => {
      this.onRequest(req, res).catch((err: unknown) => {
        // A bug in the emulator must not look like a hung provider.
        process.stderr.write(`[sandbox:${this.spec.name}] ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
        if (!res.headersSent) writeReply(res, this.defaultApi().serverError(500), false);
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
    const byKey: Record<string, KeyStats> = {};
    for (const st of this.states) byKey[st.def.name] = st.stats();
    return { requests: this.count, byStatus: { ...this.byStatus }, since: new Date(this.epoch).toISOString(), byKey };
  }

  resetStats(): void {
    // In place: a test may hold a reference to the array.
    this.requests.length = 0;
    this.byStatus = {};
    this.count = 0;
    this.epoch = Date.now();
    for (const st of this.states) st.reset();
  }

  records(tenant?: string): RecordSummary[] {
    return this.tenant(tenant).def.load().store.records();
  }

  mutate(opts: MutateOptions, tenant?: string): MutateResult {
    return this.tenant(tenant).def.load().store.mutate(opts);
  }

  /** A tenant's data set itself (default: the first tenant), for provider-specific operations. */
  protected dataStore(tenant?: string): DataStore {
    return this.tenant(tenant).def.load().store;
  }

  /**
   * Provider-specific admin routes (e.g. `POST /_sandbox/charges/refund`): an answer, or null when
   * `route` is not one of them. Thrown Errors are answered 400 with their message.
   */
  protected adminRoute(_route: string, _body: unknown, _store: DataStore): AdminReply | null {
    return null;
  }

  /** The routes adminRoute answers, listed by the admin 404. */
  protected adminRoutes(): string[] {
    return [];
  }

  private tenant(name: string | undefined): TenantState {
    if (name === undefined) return this.states[0]!;
    const st = this.byName.get(name);
    if (!st) throw new Error(`sandbox: no ${this.spec.name} tenant "${name}" (tenants: ${this.tenants.join(', ')})`);
    return st;
  }

  /** Answers requests that name no tenant (401 on API paths, 404 elsewhere): the first tenant's API. */
  private defaultApi(): ProviderApi {
    return this.states[0]!.def.load().api;
  }

  private record(ctx: RequestContext, status: number, arrived: number, st: TenantState | null): void {
    this.count++;
    this.byStatus[status] = (this.byStatus[status] ?? 0) + 1;
    const entry: RecordedRequest = { method: ctx.method, path: ctx.path, query: queryObject(ctx.query), status, at: new Date(arrived).toISOString() };
    if (st) {
      entry.key = st.def.name;
      st.requests++;
      st.byStatus[status] = (st.byStatus[status] ?? 0) + 1;
      if (status === 429) st.rateLimited++;
      const second = Math.min(MAX_SECONDS - 1, Math.max(0, Math.floor((arrived - this.epoch) / 1000)));
      while (st.perSecond.length <= second) st.perSecond.push(0);
      st.perSecond[second]!++;
    }
    this.requests.push(entry);
    // Long benchmark or demo runs must not grow memory without bound.
    if (this.requests.length > MAX_LOG) this.requests.splice(0, this.requests.length - MAX_LOG);
  }

  /**
   * The tenant's bucket: while the rateLimit fault is set, one at the fault's rate (Shopify: leaking
   * into the tenant's bucket size, 40 by default); otherwise the tenant's own limit, if it has one.
   */
  private steadyLimit(st: TenantState, now: number): LimitDecision | null {
    if (st.limiterVersion !== this.faults.rateLimitVersion) {
      const fault = this.faults.rateLimit;
      const own = st.def.limits.rate;
      const leaky = this.spec.limiter === 'leaky';
      if (fault) st.limiter = leaky ? new LeakyBucket(own?.burst ?? 40, fault.requestsPerSecond) : new TokenBucket(fault.requestsPerSecond);
      else if (own) st.limiter = leaky ? new LeakyBucket(own.burst, own.requestsPerSecond) : new TokenBucket(own.requestsPerSecond, own.burst);
      else st.limiter = null;
      st.limiterVersion = this.faults.rateLimitVersion;
    }
    return st.limiter ? st.limiter.take(now) : null;
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
      faults: this.faults,
      now: () => this.clock.now(),
    };
    if (ctx.path.startsWith('/_sandbox/')) return this.admin(req, res, ctx);
    // Provider requests carry no body worth reading; drain it so the socket can be reused.
    req.resume();

    const delay = this.faults.latencyMs + this.faults.takeSlow();
    let reply: Reply;
    let truncate = false;
    let holdsSlot = false;

    // The credential names the tenant: through the sandbox override every request reaches the same
    // host. One naming no tenant is answered by the first tenant's API, which refuses it (401) on
    // API paths; it is counted in the totals only, under no key.
    const credential = this.spec.credentialOf(ctx);
    const named = credential === null ? undefined : this.bySecret.get(credential);
    const api = (named ?? this.states[0]!).def.load().api;
    const denied = api.authenticate(ctx);
    const st = named && !denied ? named : null;
    if (st) {
      st.active++;
      st.maxInFlight = Math.max(st.maxInFlight, st.active);
    }
    const limitInfo = { callLimitUsed: 1, callLimitCapacity: 40 };

    if (denied) reply = denied;
    else if (st && st.def.limits.maxConcurrent !== null && st.slots >= st.def.limits.maxConcurrent) {
      reply = api.rateLimited('concurrency', null);
    } else {
      if (st) {
        st.slots++;
        holdsSlot = true;
      }
      const limit = st ? this.steadyLimit(st, arrived) : null;
      if (limit) {
        limitInfo.callLimitUsed = limit.used;
        limitInfo.callLimitCapacity = this.spec.limiter === 'leaky' ? limit.capacity : 40;
      }
      const data = api.isDataRequest(ctx);
      let failStatus: FailStatus | null = null;
      if (limit && !limit.ok) {
        reply = api.rateLimited('steady', Math.max(1, Math.ceil(limit.retryAfterSec)));
      } else if (data && this.faults.takeStorm()) {
        limitInfo.callLimitUsed = limitInfo.callLimitCapacity;
        reply = api.rateLimited('storm', 1);
      } else if (data && (failStatus = this.faults.takeFail5xx()) !== null) {
        reply = api.serverError(failStatus);
      } else {
        reply = api.handle(ctx);
        if (data && reply.status >= 200 && reply.status < 300) truncate = this.faults.takeMalformed();
      }
    }
    api.decorate?.(reply, limitInfo);
    // The Date header tells the emulator's time, which runs ahead of the real one once advanced.
    reply.headers = { ...(reply.headers ?? {}), date: new Date(this.clock.now()).toUTCString() };
    this.record(ctx, reply.status, arrived, st);

    let done = false;
    const release = () => {
      if (done) return;
      done = true;
      if (st) st.active--;
      if (holdsSlot && st) st.slots--;
    };
    // 'finish' comes as the answer is handed to the socket, before the client can read it, so a client
    // sending its next request on receipt never finds the slot still taken; 'close' covers aborts.
    res.once('finish', release);
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
    // mutate and records act on one tenant's data set: ?tenant=<name>, the first tenant by default.
    const tenantName = ctx.query.get('tenant') ?? undefined;
    const tenant = tenantName === undefined ? this.states[0]! : this.byName.get(tenantName);
    const noTenant = () => json(404, { error: `no ${this.spec.name} tenant "${tenantName}"`, tenants: this.tenants });
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
        if (!tenant) return noTenant();
        if (!isMutateOptions(body)) return json(400, { error: 'body must be {"update"?: n, "create"?: n, "ids"?: [id, …]} with non-negative integers' });
        try {
          return json(200, tenant.def.load().store.mutate(body));
        } catch (err) {
          return json(400, { error: err instanceof Error ? err.message : String(err) });
        }
      case 'GET /_sandbox/clock':
        return json(200, this.clockState());
      case 'POST /_sandbox/clock': {
        // {"advanceMs": n} moves the clock by n; {"offsetMs": n} sets the offset; {} reads it.
        const o = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : null) as Record<string, unknown> | null;
        const keys = o ? Object.keys(o) : [];
        if (!o || keys.some((k) => k !== 'advanceMs' && k !== 'offsetMs') || keys.length > 1) {
          return json(400, { error: 'body must be {"advanceMs": n} or {"offsetMs": n} (milliseconds)' });
        }
        try {
          if (o.advanceMs !== undefined) this.clock.advance(o.advanceMs as number);
          if (o.offsetMs !== undefined) this.clock.set(o.offsetMs as number);
        } catch (err) {
          return json(400, { error: err instanceof Error ? err.message : String(err) });
        }
        return json(200, this.clockState());
      }
      case 'GET /_sandbox/stats':
        return json(200, this.stats());
      case 'POST /_sandbox/stats/reset':
        this.resetStats();
        return json(200, this.stats());
      case 'GET /_sandbox/records':
        if (!tenant) return noTenant();
        return json(200, { records: tenant.def.load().store.records() });
      case 'GET /_sandbox/tenants':
        // Names, current record counts and limits; never the credentials.
        return json(200, { tenants: this.states.map((st) => ({ name: st.def.name, records: st.def.load().store.size, limits: st.def.limits })) });
      default: {
        let extra: AdminReply | null = null;
        try {
          extra = tenant ? this.adminRoute(route, body, tenant.def.load().store) : null;
        } catch (err) {
          return json(400, { error: err instanceof Error ? err.message : String(err) });
        }
        if (extra) return json(extra.status, extra.body);
        if (!tenant && this.adminRoutes().some((r) => r.startsWith(route))) return noTenant();
        return json(404, {
          error: `no admin endpoint ${route}`,
          endpoints: [
            'GET|POST /_sandbox/faults',
            'POST /_sandbox/mutate[?tenant=name]',
            'GET /_sandbox/stats',
            'POST /_sandbox/stats/reset',
            'GET /_sandbox/records[?tenant=name]',
            'GET /_sandbox/tenants',
            'GET|POST /_sandbox/clock',
            ...this.adminRoutes(),
          ],
        });
      }
    }
  }

  private clockState() {
    return { offsetMs: this.clock.offsetMs, now: new Date(this.clock.now()).toISOString() };
  }
}
