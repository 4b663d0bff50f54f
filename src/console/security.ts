// The console's guard: what every request must show before anything else looks at it.
//
// - A random token made at each start is required on every /api request (header x-console-token).
//   The printed URL carries it in the fragment (#token=…), which browsers never send to a server
//   nor put in a Referer; the page keeps it in sessionStorage.
// - A request whose Host is not one of the console's own names is refused (421): a DNS-rebinding
//   page reaches 127.0.0.1 under its own domain name, and that name shows up here.
// - A request that changes something also needs an Origin equal to the console's own origin: a
//   page of another site can neither read the token nor send it, and is named by its Origin.
// - Bodies are JSON, size-limited, and validated with zod before a handler sees them.
// - Every response carries a strict Content-Security-Policy (no inline script or style, nothing
//   from elsewhere, no framing) and nosniff / no-referrer.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';
import type { z } from 'zod';
import { isLoopbackHost } from '../core/url-guard.js';

export const TOKEN_HEADER = 'x-console-token';
/** Request bodies above this are refused with 413: the largest form (a PEM key) is far below it. */
export const MAX_BODY_BYTES = 64 * 1024;

export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Set on every response, whatever its status or type. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** A refusal with its HTTP status, a stable code for the page, and a message for people. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

/** 32 random bytes, URL-safe: new at every start, so a token seen once is worth nothing after a restart. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison (of digests, so that the length of the token leaks nothing either). */
export function tokenMatches(expected: string, given: string | string[] | undefined): boolean {
  if (typeof given !== 'string' || given === '') return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(expected), digest(given));
}

const WILDCARD = new Set(['', '0.0.0.0', '::', '[::]']);

/** Whether an address to listen on means every interface. */
export function isWildcard(host: string): boolean {
  return WILDCARD.has(host);
}

/** How a host appears in a Host header or an origin: IPv6 in brackets, lower case. */
export function hostForm(host: string): string {
  const h = host.toLowerCase();
  return h.includes(':') && !h.startsWith('[') ? `[${h}]` : h;
}

/**
 * The Host header values this console answers to, for the address it listens on: the loopback names
 * when it listens on loopback, the address itself, and, when it listens on every interface, this
 * machine's name and addresses. Any other name reached it through DNS it does not control.
 */
export function allowedHosts(bindHost: string, port: number): Set<string> {
  const names = new Set<string>();
  const wildcard = WILDCARD.has(bindHost);
  if (wildcard || isLoopbackHost(bindHost)) for (const n of ['localhost', '127.0.0.1', '[::1]']) names.add(n);
  if (!wildcard) names.add(hostForm(bindHost));
  else {
    names.add(hostname().toLowerCase());
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.add(hostForm(a.address.split('%')[0]!));
  }
  const out = new Set<string>();
  for (const n of names) {
    out.add(`${n}:${port}`);
    if (port === 80) out.add(n); // browsers leave the default port out
  }
  return out;
}

export function hostAllowed(allowed: ReadonlySet<string>, host: string | undefined): boolean {
  return typeof host === 'string' && allowed.has(host.toLowerCase());
}

/** The console's own origin, as the browser that reached it under `host` names it. */
export function ownOrigin(host: string): string {
  return `http://${host.toLowerCase()}`;
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/**
 * The checks every request goes through before routing; throws the refusal. Static assets need no
 * token (the page must load before it has one; they hold nothing secret), but do need a known Host.
 */
export function checkRequest(req: Pick<IncomingMessage, 'method' | 'headers'>, path: string, opts: { token: string; allowedHosts: ReadonlySet<string> }): void {
  const host = req.headers.host;
  if (!hostAllowed(opts.allowedHosts, host)) {
    throw new RequestError(421, 'unknown_host', 'This console does not answer to that host name (DNS rebinding protection). Open the URL it printed.');
  }
  const method = req.method ?? 'GET';
  if (!path.startsWith('/api/')) {
    if (!SAFE_METHODS.has(method)) throw new RequestError(405, 'method_not_allowed', `${method} is not allowed here`);
    return;
  }
  if (!tokenMatches(opts.token, req.headers[TOKEN_HEADER])) {
    throw new RequestError(401, 'unauthorized', 'Missing or wrong console token: open the URL `pipeline console` printed (it carries the token).');
  }
  if (!SAFE_METHODS.has(method) && req.headers.origin !== ownOrigin(host!)) {
    throw new RequestError(403, 'bad_origin', 'Changes are accepted only from the console\'s own page (Origin check).');
  }
}

/** Reads a JSON body of at most `limit` bytes and validates it; throws 413 / 415 / 400 refusals. */
export async function readJsonBody<T>(req: IncomingMessage, schema: z.ZodType<T>, limit = MAX_BODY_BYTES): Promise<T> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  let value: unknown = {};
  if (text.trim() !== '') {
    const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') throw new RequestError(415, 'unsupported_media_type', 'Send the body as application/json');
    try {
      value = JSON.parse(text);
    } catch {
      throw new RequestError(400, 'invalid_json', 'The body is not valid JSON');
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 20).map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
    throw new RequestError(400, 'invalid_request', `Invalid request: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`, { issues });
  }
  return parsed.data;
}

function tooLarge(limit: number): RequestError {
  return new RequestError(413, 'payload_too_large', `The body is larger than ${limit.toLocaleString('en-US')} bytes`);
}

/** An encrypted secret (enc:v1:…) anywhere in a text: the ciphertext is not for the browser either. */
const CIPHERTEXT = /enc:v1:[A-Za-z0-9_.-]{1,32}:/;

/**
 * Whether a response about to be sent holds a secret: a stored ciphertext, or a secret the request
 * itself carried (an inline value typed into the form). The API builds its answers without them;
 * this is the last check before the bytes leave, so that a mistake there fails closed.
 */
export function leaksSecret(text: string, requestSecrets: readonly string[]): boolean {
  if (CIPHERTEXT.test(text)) return true;
  return requestSecrets.some((s) => s.length >= 4 && text.includes(s));
}
