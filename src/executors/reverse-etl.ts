// Small pieces shared by the reverse-ETL / data-movement executors (Snowpipe, Fivetran, Hightouch,
// Census, Databricks, Kinesis): trigger-option validation, run-id checks and the "(CODE): message"
// refinement of provider error bodies. Kept apart from support.ts so these six files own it.
import type { z } from 'zod';
import type { ConnectorResponse, SyncRunState, SyncRunStatus } from '../core/envelope.js';
import { failBeforeSend, withBody } from '../core/envelope.js';
import type { HttpResponse } from '../core/http.js';
import { redact } from '../core/redact.js';

/**
 * Validates `TriggerRequest.options` before sending (fail closed): `bad_request`, status 0, nothing
 * sent, naming the offending option. Absent options are an empty object.
 */
export function checkTriggerOptions<S extends z.ZodType>(
  schema: S,
  options: unknown,
  provider: string,
): { options: z.infer<S> } | { fail: ConnectorResponse<never> } {
  const parsed = schema.safeParse(options ?? {});
  if (parsed.success) return { options: parsed.data };
  const issues = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'options'}: ${i.message}`);
  return { fail: failBeforeSend('bad_request', `${provider}: invalid trigger options (${issues.join('; ')})`) };
}

/** A run id that cannot be the provider's is refused before it reaches a URL path. */
export function checkRunId(runId: unknown, pattern: RegExp, provider: string, what: string): { runId: string } | { fail: ConnectorResponse<never> } {
  if (typeof runId === 'string' && pattern.test(runId)) return { runId };
  return { fail: failBeforeSend('bad_request', `${provider}: "${String(runId).slice(0, 80)}" is not a ${what}`) };
}

/** Registry `select` fields carry "true" / "false" strings. */
export function flag(value: string | undefined): boolean {
  return value === 'true';
}

/**
 * Rewrites a failed answer's message as `<Provider> answered HTTP <status> (<code>): <message>` when
 * the provider's body names an error code, keeping the shared mapping's code, retryability and
 * Retry-After. The body has already been redacted by httpRequest; the message is redacted again.
 */
export function withCodedMessage(res: HttpResponse, provider: string, code: string | undefined, message: string | undefined, secrets: readonly string[]): HttpResponse {
  if (res.ok || !res.error || res.status === 0 || (!code && !message)) return res;
  const text = `${provider} answered HTTP ${res.status}${code ? ` (${code})` : ''}${message ? `: ${message.slice(0, 500)}` : ''}`;
  return { ...res, error: { ...res.error, message: redact(text, secrets) } };
}

/** The envelope of a successful trigger / status call. */
export function runStatus(res: ConnectorResponse<unknown>, status: SyncRunStatus): ConnectorResponse<SyncRunStatus> {
  return withBody(res, status);
}

/** Builds a SyncRunStatus without undefined members (they would show up as `null`s in JSON payloads). */
export function syncRun(runId: string, state: SyncRunState, message?: string, details?: Record<string, unknown>): SyncRunStatus {
  const out: SyncRunStatus = { runId, state };
  if (message) out.message = message;
  if (details) {
    const clean = Object.fromEntries(Object.entries(details).filter(([, v]) => v !== undefined && v !== null));
    if (Object.keys(clean).length > 0) out.details = clean;
  }
  return out;
}
