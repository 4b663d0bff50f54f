// Codec server for the Temporal Web UI and CLI: they POST encrypted payloads here and show the
// decoded JSON, so history stays readable to people with access to this endpoint while the server
// only ever stores ciphertext. Protocol (shared/docs/temporal-notes.md §7): `POST /encode`,
// `POST /decode` (also `/{namespace}/encode|decode`), body and reply
// `{"payloads":[{"metadata":{"<k>":"<base64>"},"data":"<base64>"}]}` (proto3 JSON).
import { timingSafeEqual, createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { PayloadCodecError } from './codec.js';

export const DEFAULT_UI_ORIGINS: readonly string[] = ['http://localhost:8233', 'http://127.0.0.1:8233'];
/**
 * A UI request carries the payloads of one history event or one page of them; the server caps a gRPC
 * message at 4 MB, i.e. ~5.4 MB as base64 JSON. 8 MiB leaves headroom and still bounds memory.
 */
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** 0 or absent: a free port chosen by the system. */
  port?: number;
  /** Default 127.0.0.1: the UI calls it from the user's browser, which runs on this machine in dev. */
  host?: string;
  /** Exact origins (scheme://host:port) of Web UIs allowed to call from a browser. */
  allowedOrigins?: readonly string[];
  /** When set, every encode/decode call must carry `Authorization: Bearer <token>`. */
  authToken?: string;
  maxBodyBytes?: number;
  /** Unexpected failures (not bad requests); default: silent. */
  onError?: (err: unknown) => void;
}

export interface CodecServer {
  /** Base URL to give the UI (`--ui-codec-endpoint`) or the CLI (`--codec-endpoint`). */
  url: string;
  port: number;
  close(): Promise<void>;
}

interface JsonPayload {
  metadata: Record<string, string>;
  data: string;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const ROUTE = /^\/(?:[^/]+\/)?(encode|decode)\/?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;

function fromBase64(value: unknown, field: string): Uint8Array {
  if (typeof value !== 'string' || !BASE64.test(value)) throw new HttpError(400, `${field} must be a base64 string`);
  return Buffer.from(value, 'base64');
}

function parsePayloads(body: unknown): Payload[] {
  const list = (body as { payloads?: unknown } | null)?.payloads;
  if (!body || typeof body !== 'object' || !Array.isArray(list)) throw new HttpError(400, 'body must be {"payloads": [...]}');
  return list.map((p: unknown, i) => {
    if (!p || typeof p !== 'object') throw new HttpError(400, `payloads[${i}] must be an object`);
    const { metadata, data } = p as { metadata?: unknown; data?: unknown };
    if (metadata != null && (typeof metadata !== 'object' || Array.isArray(metadata))) throw new HttpError(400, `payloads[${i}].metadata must be an object`);
    const meta: Record<string, Uint8Array> = {};
    for (const [k, v] of Object.entries((metadata ?? {}) as Record<string, unknown>)) meta[k] = fromBase64(v, `payloads[${i}].metadata.${k}`);
    return { metadata: meta, data: data == null ? new Uint8Array() : fromBase64(data, `payloads[${i}].data`) };
  });
}

function toJson(p: Payload): JsonPayload {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) if (v) metadata[k] = Buffer.from(v).toString('base64');
  // `data` is always present (even empty) so UIs that base64-decode it never see undefined.
  return { metadata, data: Buffer.from(p.data ?? new Uint8Array()).toString('base64') };
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new HttpError(413, `body exceeds ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `body exceeds ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Constant-time comparison; hashing first makes both sides the same length. */
function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(m[1]!.trim()), digest(token));
}

export async function startCodecServer(opts: CodecServerOptions): Promise<CodecServer> {
  const host = opts.host ?? '127.0.0.1';
  const origins = new Set(opts.allowedOrigins ?? DEFAULT_UI_ORIGINS);
  const limit = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  const cors = (req: IncomingMessage, res: ServerResponse) => {
    const origin = req.headers.origin;
    res.setHeader('Vary', 'Origin');
    // Unknown origins get no CORS headers at all, so the browser withholds the answer from that page.
    if (!origin || !origins.has(origin)) return;
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.setHeader('Access-Control-Allow-Methods', 'POST, GET, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'X-Namespace, Content-Type, Authorization');
    res.setHeader('Access-Control-Max-Age', '600');
    // Chrome's Private Network Access preflight, for a UI served from a non-local address.
    if (req.headers['access-control-request-private-network'] === 'true') res.setHeader('Access-Control-Allow-Private-Network', 'true');
  };
  const reply = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    cors(req, res);
    const path = new URL(req.url ?? '/', 'http://codec').pathname;
    if (req.method === 'OPTIONS') {
      // Preflights carry no Authorization header by design: never challenge them.
      res.writeHead(204);
      res.end();
      return;
    }
    if (req.method === 'GET' && (path === '/' || path === '/health')) return reply(res, 200, { ok: true });
    const route = ROUTE.exec(path);
    if (!route) return reply(res, 404, { error: `no such endpoint ${path}; use POST /encode or POST /decode` });
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST, OPTIONS');
      return reply(res, 405, { error: 'use POST' });
    }
    if (opts.authToken && !tokenMatches(req.headers.authorization, opts.authToken)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      return reply(res, 401, { error: 'missing or wrong Authorization: Bearer token' });
    }
    const text = await readBody(req, limit);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new HttpError(400, 'body is not valid JSON');
    }
    const payloads = parsePayloads(body);
    let out: Payload[];
    try {
      out = route[1] === 'encode' ? await opts.codec.encode(payloads) : await opts.codec.decode(payloads);
    } catch (err) {
      // Unknown key id or altered ciphertext: the caller's data, and the message holds no key material.
      if (err instanceof PayloadCodecError) throw new HttpError(400, err.message);
      throw err;
    }
    reply(res, 200, { payloads: out.map(toJson) });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (err instanceof HttpError) {
        // Stop reading an oversized upload: answer, then close the connection.
        if (err.status === 413) res.setHeader('Connection', 'close');
        return reply(res, err.status, { error: err.message });
      }
      opts.onError?.(err);
      reply(res, 500, { error: 'internal error' });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  // A wildcard bind is reachable on loopback; the URL must name an address a browser can call.
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
