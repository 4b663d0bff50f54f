// Small shared pieces of executor code: fail-closed config checks, secret collection for redaction,
// and validating a provider's 2xx body against what its documentation promises.
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { CallOptions, ConnectorResponse } from '../core/envelope.js';
import { failBeforeSend, withBody, withError } from '../core/envelope.js';
import { connectorError, type ConnectorError } from '../core/errors.js';
import { boundText } from '../core/limits.js';
import { isSecretRef } from '../core/secret-ref.js';
import { resolveBaseUrl } from '../core/url-guard.js';
import type { HttpResponse } from '../core/http.js';
import { getConnector } from '../registry/index.js';

/**
 * Validates a config against the connector's schema before any request (fail closed).
 * A secret that is absent, empty or still an unresolved reference is `missing_secret`;
 * any other problem is `invalid_config`, with a message naming the field.
 */
export function checkConfig<C>(connectorId: string, config: unknown): { config: C } | { fail: ConnectorResponse<never> } {
  const connector = getConnector(connectorId);
  const raw = (config ?? {}) as Record<string, unknown>;
  const method = typeof raw.authMethod === 'string' ? raw.authMethod : connector.authMethods.length === 1 ? connector.authMethods[0]!.id : undefined;
  const secretKeys = connector.secretFields(method);
  const requiredSecretKeys = connector.authMethods
    .filter((m) => m.id === method)
    .flatMap((m) => Object.entries({ ...m.connectionFields, ...m.authFields }))
    .filter(([, f]) => f.secret && f.required)
    .map(([k]) => k);
  const missing = requiredSecretKeys.filter((k) => raw[k] === undefined || raw[k] === null || raw[k] === '');
  if (missing.length > 0) {
    return { fail: failBeforeSend('missing_secret', `${connector.name}: missing secret ${missing.join(', ')}`) };
  }
  const unresolved = secretKeys.filter((k) => isSecretRef(raw[k]));
  if (unresolved.length > 0) {
    return { fail: failBeforeSend('missing_secret', `${connector.name}: secret ${unresolved.join(', ')} is an unresolved reference`) };
  }
  const result = connector.validateConfig(raw);
  if (!result.ok) return { fail: failBeforeSend('invalid_config', `${connector.name}: ${result.message}`) };
  return { config: result.config as C };
}

/** Every secret value in a config, to hand to httpRequest for redaction. */
export function secretsOf(connectorId: string, config: Record<string, unknown>): string[] {
  const connector = getConnector(connectorId);
  return connector
    .secretFields(typeof config.authMethod === 'string' ? config.authMethod : undefined)
    .map((k) => config[k])
    .filter((v): v is string => typeof v === 'string' && v !== '');
}

/** The provider base URL, or the sandbox override when CallOptions allow it. */
export function baseUrl(providerBase: string, opts: CallOptions | undefined): { base: string } | { fail: ConnectorResponse<never> } {
  const r = resolveBaseUrl(providerBase, opts?.baseUrlOverride);
  if ('error' in r) return { fail: { ok: false, status: 0, latencyMs: 0, body: null, error: r.error } };
  return r;
}

/**
 * Turns a successful HTTP answer into the envelope with a typed body, or `invalid_response` when
 * the 2xx body is not what the provider documents. Failed answers pass through unchanged.
 */
export function parseBody<S extends z.ZodType>(res: HttpResponse, schema: S, provider: string): ConnectorResponse<z.infer<S>> {
  if (!res.ok) return withError(res, res.error!);
  const parsed = schema.safeParse(res.body);
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join('.') || 'body';
    return withError(res, connectorError('invalid_response', `${provider} answered HTTP ${res.status} with an unexpected body (${where}: ${parsed.error.issues[0]?.message ?? 'invalid'})`));
  }
  return withBody(res, parsed.data);
}

/** The envelope for a call whose body the caller does not need (e.g. a 202 with no content). */
export function envelope(res: HttpResponse): ConnectorResponse {
  return { ok: res.ok, status: res.status, latencyMs: res.latencyMs, body: res.body, ...(res.error ? { error: res.error } : {}) };
}

/**
 * Validates a message before sending (fail closed): a message that cannot be what the provider
 * accepts is `bad_request` with status 0 and no request sent, naming the offending field.
 */
export function checkMessage<S extends z.ZodType>(schema: S, message: unknown, provider: string): { message: z.infer<S> } | { fail: ConnectorResponse<never> } {
  const parsed = schema.safeParse(message);
  if (parsed.success) return { message: parsed.data };
  const issues = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'message'}: ${i.message}`);
  return { fail: failBeforeSend('bad_request', `${provider}: invalid message (${issues.join('; ')})`) };
}

/**
 * The value for a provider's own de-duplication field (header or body): an explicit value from the
 * message wins; otherwise the call's idempotency key, replaced by its sha256 hex digest (64 bytes)
 * when it is longer than the provider accepts, so the same key always maps to the same value.
 * Undefined when there is neither. `maxBytes` is the provider's limit in UTF-8 bytes (at least 64).
 */
export function dedupValue(explicit: string | undefined, idempotencyKey: string | undefined, maxBytes: number): string | undefined {
  if (explicit !== undefined && explicit !== '') return explicit;
  if (idempotencyKey === undefined || idempotencyKey === '') return undefined;
  if (Buffer.byteLength(idempotencyKey, 'utf8') <= maxBytes) return idempotencyKey;
  return createHash('sha256').update(idempotencyKey, 'utf8').digest('hex');
}

/**
 * Where a webhook connector (Slack, Teams) posts: the configured webhook URL, or, under a sandbox
 * override, the override's origin with the webhook's path and query kept, so that an emulator sees
 * the same request the provider would. The URL was validated by checkConfig.
 */
export function webhookTarget(webhookUrl: string, opts: CallOptions | undefined): { url: string } | { fail: ConnectorResponse<never> } {
  const webhook = new URL(webhookUrl);
  const base = baseUrl(webhook.origin, opts);
  if ('fail' in base) return base;
  return { url: `${base.base}${webhook.pathname}${webhook.search}` };
}

/** testConnection of a provider with no read endpoint: the config was validated offline, nothing was sent. */
export function offlineCheck(note: string): ConnectorResponse<{ check: 'offline'; note: string }> {
  return { ok: true, status: 0, latencyMs: 0, body: { check: 'offline', note } };
}

/** The per-call timeout (the caller's, else the connector's request timeout) and cancellation signal. */
export function callOptions(opts: CallOptions | undefined, requestMs: number): { timeoutMs: number; signal?: AbortSignal } {
  return { timeoutMs: opts?.timeoutMs ?? requestMs, ...(opts?.signal ? { signal: opts.signal } : {}) };
}

/**
 * The next-page cursor a pull built from the provider's answer, checked with the same rule the
 * executor applies to the cursor it is given back: a cursor it could not read back fails the page
 * that produced it, as `invalid_response` (the provider's answer is unusable), instead of failing
 * the next page as a bad request of ours. Null when the cursor is readable (or there is none).
 */
export function nextCursorError(provider: string, cursor: string | null, readable: (cursor: string) => boolean, what: string): ConnectorError | null {
  if (cursor === null || readable(cursor)) return null;
  return connectorError('invalid_response', `${provider} answered with a ${what} that cannot be used to read the next page (${JSON.stringify(boundText(cursor, 80))})`);
}
