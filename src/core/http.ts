// The one HTTP function every executor uses (DESIGN.md §4): undici `request` on the global
// dispatcher (tests swap in a MockAgent), a per-call timeout through AbortSignal, measured latency,
// JSON/text parsing, Retry-After, the shared error mapping and redaction of the call's secrets from
// every body (whatever the status), response header and message. A request the HTTP client would
// refuse (a header value with a line break, an invalid URL) is invalid_config before anything is sent.
import { performance } from 'node:perf_hooks';
import { request, type Dispatcher } from 'undici';
import type { ConnectorResponse } from './envelope.js';
import { mapHttpFailure } from './error-mapping.js';
import { connectorError } from './errors.js';
import { boundText, MAX_ERROR_BODY_STRING_CHARS } from './limits.js';
import { redactor } from './redact.js';

export const DEFAULT_TIMEOUT_MS = 10_000;

export type QueryValue = string | number | boolean | null | undefined | readonly (string | number)[];

export interface HttpRequest {
  /** Provider name used in error messages ("Shopify answered HTTP 401: ..."). */
  provider: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string | URL;
  query?: Record<string, QueryValue>;
  headers?: Record<string, string>;
  /** JSON body; sets Content-Type: application/json unless a content type is given. */
  json?: unknown;
  /** application/x-www-form-urlencoded body; arrays become repeated keys. */
  form?: Record<string, QueryValue>;
  /** Raw body; the caller sets Content-Type. */
  body?: string | Uint8Array;
  /** Every secret this call carries (the Authorization header's credentials are added by itself). They are redacted from the answer: bodies of every status, response headers and error messages. */
  secrets?: readonly (string | undefined | null)[];
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Dispatcher override (rarely needed; tests use the global MockAgent). */
  dispatcher?: Dispatcher;
}

export interface HttpResponse extends ConnectorResponse<unknown> {
  /** Response headers with lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
}

function appendQuery(url: URL, query: Record<string, QueryValue> | undefined): void {
  if (!query) return;
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) for (const v of value) url.searchParams.append(key, String(v));
    else url.searchParams.append(key, String(value));
  }
}

export function formEncode(form: Record<string, QueryValue>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) for (const v of value) params.append(key, String(v));
    else params.append(key, String(value));
  }
  return params.toString();
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function looksLikeJson(contentType: string, text: string): boolean {
  if (/[/+]json\b/i.test(contentType)) return true;
  const t = text.trimStart();
  return contentType === '' && (t.startsWith('{') || t.startsWith('['));
}

// undici / Node network error codes worth telling apart.
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/**
 * Failures that happen before a connection exists, so nothing reached the provider: retrying cannot
 * deliver twice. Every other network failure (a reset or a close after the request was written, a
 * timeout waiting for the answer) leaves it unknown whether the provider acted on the request.
 */
const NOTHING_SENT_CODES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT',
  // TLS handshake failures: the request is only written after the handshake.
  'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

/**
 * Errors of a request the HTTP client refuses to send (a header value with a control character or a
 * character outside Latin-1, an invalid URL or method): a configuration problem, not an outage.
 * Nothing was sent, and retrying sends the same refused request.
 */
const REFUSED_REQUEST_CODES = new Set([
  'UND_ERR_INVALID_ARG', 'ERR_INVALID_URL', 'ERR_INVALID_CHAR', 'ERR_INVALID_HTTP_TOKEN', 'ERR_INVALID_ARG_VALUE',
  'ERR_INVALID_ARG_TYPE', 'ERR_UNESCAPED_CHARACTERS',
]);

// RFC 9110 §5.1 token (header names) and §5.5 field-value characters, as undici checks them.
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE_BAD_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

/** Why a header cannot be sent, naming the header (never its value, which may be a credential). */
function headerProblem(name: string, value: unknown): string | null {
  if (!HEADER_NAME.test(name)) return `the header name ${JSON.stringify(boundText(name, 64))} is not a valid HTTP header name`;
  if (typeof value !== 'string') return `the ${name} header has no text value`;
  const bad = HEADER_VALUE_BAD_CHAR.exec(value);
  if (bad) {
    const cp = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    return `the ${name} header contains a character HTTP headers cannot carry (U+${cp} at position ${bad.index + 1}); check the credential or setting it comes from for a pasted line break or an invisible character`;
  }
  return null;
}

/**
 * The credentials a request carries in its Authorization header: the header value, and for
 * `Basic`/`Bearer` its credential part (a provider may echo either). Redacted like declared secrets.
 */
function headerSecrets(headers: Record<string, string> | undefined): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() !== 'authorization' && name.toLowerCase() !== 'proxy-authorization') continue;
    out.push(value);
    const m = /^(?:Basic|Bearer)\s+(.+)$/i.exec(value);
    if (m) out.push(m[1]!);
  }
  return out;
}

// Every JSON string token (linear: no nested quantifiers).
const STRING_TOKEN = /"(?:[^"\\]|\\.)*"/g;

/** Whether a string token with a JSON escape in it decodes to text holding a secret. */
function escapedStringsHold(text: string, found: (s: string) => boolean): boolean {
  if (!text.includes('\\')) return false;
  for (const m of text.matchAll(STRING_TOKEN)) {
    const token = m[0];
    if (!token.includes('\\')) continue;
    try {
      if (found(JSON.parse(token) as string)) return true;
    } catch {
      return true; // cannot tell: walk the body
    }
  }
  return false;
}

export async function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  const secrets = [...(req.secrets ?? []), ...headerSecrets(req.headers)];
  const r = redactor(secrets);
  const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const refused = (code: 'invalid_config' | 'bad_request', message: string): HttpResponse => ({
    ok: false, status: 0, latencyMs: 0, body: null, headers: {},
    error: connectorError(code, boundText(r.text(`${req.provider}: ${message}; nothing was sent`))),
  });

  // Everything the HTTP client would refuse is found here, before sending: a config problem
  // (invalid_config) or a message that cannot be encoded (bad_request), never a retryable outage.
  let url: URL;
  try {
    url = new URL(String(req.url));
    appendQuery(url, req.query);
  } catch {
    return refused('invalid_config', 'the request URL is not a valid URL');
  }

  const headers: Record<string, string> = { ...(req.headers ?? {}) };
  for (const [name, value] of Object.entries(headers)) {
    const problem = headerProblem(name, value);
    if (problem) return refused('invalid_config', problem);
  }
  const hasHeader = (name: string) => Object.keys(headers).some((k) => k.toLowerCase() === name);
  let body: string | Uint8Array | undefined = req.body;
  try {
    if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      if (!hasHeader('content-type')) headers['content-type'] = 'application/json';
    } else if (req.form !== undefined) {
      body = formEncode(req.form);
      if (!hasHeader('content-type')) headers['content-type'] = 'application/x-www-form-urlencoded';
    }
  } catch (err) {
    // A value nested too deep for JSON.stringify (RangeError), or one JSON cannot represent.
    const why = err instanceof RangeError ? 'it is nested too deeply or too large' : 'it holds a value JSON cannot represent';
    return refused('bad_request', `the request body cannot be encoded (${why})`);
  }
  if (!hasHeader('accept')) headers.accept = 'application/json';
  if (!hasHeader('user-agent')) headers['user-agent'] = 'temporal-connector-pipeline/0.1';

  const timeoutSignal = AbortSignal.timeout(timeoutMs);
  const signal = req.signal ? AbortSignal.any([timeoutSignal, req.signal]) : timeoutSignal;
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10;

  let status: number;
  let resHeaders: Record<string, string>;
  let text: string;
  try {
    const res = await request(url, {
      method: req.method,
      headers,
      body,
      signal,
      ...(req.dispatcher ? { dispatcher: req.dispatcher } : {}),
    });
    status = res.statusCode;
    resHeaders = flattenHeaders(res.headers);
    text = await res.body.text();
  } catch (err) {
    const latencyMs = elapsed();
    const e = err as { code?: string; message?: string; cause?: { code?: string } };
    const code = e.code ?? e.cause?.code ?? '';
    const detail = boundText(r.text(`${code ? `${code}: ` : ''}${e.message ?? String(err)}`), 300);
    if (REFUSED_REQUEST_CODES.has(code)) {
      // The client refused the request before writing it: nothing was sent.
      return {
        ok: false, status: 0, latencyMs, body: null, headers: {},
        error: connectorError('invalid_config', `${req.provider}: the request cannot be sent (${detail}); check the connection's settings and credentials for invalid characters; nothing was sent`),
      };
    }
    const ambiguous = !NOTHING_SENT_CODES.has(code);
    if (timeoutSignal.aborted || TIMEOUT_CODES.has(code)) {
      return {
        ok: false, status: 0, latencyMs, body: null, headers: {},
        error: connectorError('timeout', `${req.provider} did not answer within ${timeoutMs} ms`, { ambiguous }),
      };
    }
    if (req.signal?.aborted) {
      return {
        ok: false, status: 0, latencyMs, body: null, headers: {},
        error: connectorError('network', `request to ${req.provider} was cancelled`, { ambiguous: true }),
      };
    }
    return {
      ok: false, status: 0, latencyMs, body: null, headers: {},
      error: connectorError('network', ambiguous ? `lost the connection to ${req.provider} after sending the request (${detail})` : `could not reach ${req.provider} (${detail})`, { ambiguous }),
    };
  }

  const latencyMs = elapsed();
  // Header values are provider data executors copy into messages and results: redacted like bodies.
  if (r.active) for (const [k, v] of Object.entries(resHeaders)) resHeaders[k] = r.text(v);
  const contentType = resHeaders['content-type'] ?? '';
  let parsed: unknown = text;
  let malformed = false;
  if (text === '') parsed = null;
  else if (looksLikeJson(contentType, text)) {
    try {
      parsed = JSON.parse(text);
    } catch {
      malformed = true;
    }
  }

  if (status >= 200 && status < 300) {
    if (malformed) {
      return {
        ok: false, status, latencyMs, body: null, headers: resHeaders,
        error: connectorError('invalid_response', `${req.provider} answered HTTP ${status} with a body that is not valid JSON`),
      };
    }
    // A success body may echo a credential too (a message, a user name, a signed token): redacted
    // before any executor sees it. Without a secret in the raw text, nor in any string token whose
    // JSON escapes could spell one, there is nothing to walk (a page of 100 records is walked only
    // when it needs to be).
    const redacted = r.active && (r.found(text) || escapedStringsHold(text, r.found)) ? r.deep(parsed) : parsed;
    return { ok: true, status, latencyMs, body: redacted, headers: resHeaders };
  }

  // A failed answer's body is kept for executors' refinements: redacted, each string bounded.
  const safeBody = r.deep(parsed, { maxStringChars: MAX_ERROR_BODY_STRING_CHARS });
  const error = mapHttpFailure({ provider: req.provider, status, body: safeBody, headers: resHeaders });
  error.message = boundText(r.text(error.message));
  return { ok: false, status, latencyMs, body: safeBody, headers: resHeaders, error };
}
