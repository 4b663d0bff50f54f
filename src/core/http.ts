// The one HTTP function every executor uses (DESIGN.md §4): undici `request` on the global
// dispatcher (tests swap in a MockAgent), a per-call timeout through AbortSignal, measured latency,
// JSON/text parsing, Retry-After, the shared error mapping and redaction of the call's secrets.
import { performance } from 'node:perf_hooks';
import { request, type Dispatcher } from 'undici';
import type { ConnectorResponse } from './envelope.js';
import { mapHttpFailure } from './error-mapping.js';
import { connectorError } from './errors.js';
import { redact, redactDeep } from './redact.js';

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
  /** Every secret this call carries (the Authorization header's credentials are added by itself). They are redacted from errors and error bodies. */
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

export async function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  const secrets = [...(req.secrets ?? []), ...headerSecrets(req.headers)];
  const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const url = new URL(String(req.url));
  appendQuery(url, req.query);

  const headers: Record<string, string> = { ...(req.headers ?? {}) };
  const hasHeader = (name: string) => Object.keys(headers).some((k) => k.toLowerCase() === name);
  let body: string | Uint8Array | undefined = req.body;
  if (req.json !== undefined) {
    body = JSON.stringify(req.json);
    if (!hasHeader('content-type')) headers['content-type'] = 'application/json';
  } else if (req.form !== undefined) {
    body = formEncode(req.form);
    if (!hasHeader('content-type')) headers['content-type'] = 'application/x-www-form-urlencoded';
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
    const detail = redact(`${code ? `${code}: ` : ''}${e.message ?? String(err)}`, secrets);
    return {
      ok: false, status: 0, latencyMs, body: null, headers: {},
      error: connectorError('network', ambiguous ? `lost the connection to ${req.provider} after sending the request (${detail})` : `could not reach ${req.provider} (${detail})`, { ambiguous }),
    };
  }

  const latencyMs = elapsed();
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
    return { ok: true, status, latencyMs, body: parsed, headers: resHeaders };
  }

  const safeBody = redactDeep(parsed, secrets);
  const error = mapHttpFailure({ provider: req.provider, status, body: safeBody, headers: resHeaders });
  error.message = redact(error.message, secrets);
  return { ok: false, status, latencyMs, body: safeBody, headers: resHeaders, error };
}
