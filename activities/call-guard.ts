// What sends and triggers share: the circuit breaker, heartbeats during long calls, and the rule
// that an ambiguous failure of a call the provider cannot de-duplicate is not retried blindly.
import { CancelledFailure, Context } from '@temporalio/activity';
import type { ConnectorResponse } from '../src/core/envelope.js';
import { connectorError, type ConnectorError } from '../src/core/errors.js';
import { jsonDepth } from '../src/core/limits.js';
import { redactor } from '../src/core/redact.js';
import { secretsOf } from '../src/executors/support.js';
import { CircuitBreakers } from '../src/policies/circuit-breaker.js';
import type { LoadedConnection } from './connection.js';
import { failureFromConnectorError } from './failures.js';

/**
 * An ambiguous failure (a timeout or a connection lost after the request was written, a gateway's
 * 502/504; see ConnectorError.ambiguous) means the provider may have acted on the request. Where it
 * offers no de-duplication, retrying could deliver twice (an SMS, a Slack message, a second sync run),
 * so the call fails instead, saying so; a provider with an idempotency key makes the retry safe. A
 * refused connection sent nothing and is retried as usual.
 */
export function ambiguityGuard(error: ConnectorError, providerDedup: boolean, what: string, status = 0): ConnectorError {
  const ambiguous = error.ambiguous === true || status === 502 || status === 504;
  if (providerDedup || !ambiguous || !error.retryable) return error;
  return {
    ...error,
    retryable: false,
    message: `${error.message}; the provider may have accepted the ${what}, and it offers no de-duplication, so it is not retried automatically (check the destination, then send again with a new idempotency key if it is missing)`,
  };
}

function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // outside an activity (plain loops, benchmarks)
  }
}

/**
 * Heartbeats every third of the activity's heartbeat timeout while `work` runs, so that a dead worker
 * is noticed within that timeout and a cancel request reaches the work (through the activity's
 * cancellation signal, which the HTTP call listens to). A cancelled activity ends as cancelled, not
 * as a failure of the provider call it interrupted.
 */
const heartbeating = new WeakSet<Context>();

export async function withHeartbeats<T>(work: () => Promise<T>): Promise<T> {
  const ctx = currentContext();
  const timeoutMs = ctx?.info.heartbeatTimeoutMs;
  if (!ctx || !timeoutMs || heartbeating.has(ctx)) return work();
  heartbeating.add(ctx);
  const timer = setInterval(() => ctx.heartbeat(), Math.max(1_000, Math.floor(timeoutMs / 3)));
  try {
    ctx.heartbeat();
    const result = await work();
    throwIfCancelled(ctx);
    return result;
  } catch (err) {
    throwIfCancelled(ctx);
    throw err;
  } finally {
    clearInterval(timer);
    heartbeating.delete(ctx);
  }
}

function throwIfCancelled(ctx: Context): void {
  if (!ctx.cancellationSignal.aborted) return;
  const reason: unknown = ctx.cancellationSignal.reason;
  throw reason instanceof Error ? reason : new CancelledFailure('activity cancelled');
}

/**
 * Holds one of the rate key's in-flight slots during the call, where the provider caps them across
 * every client of the credential (Mailchimp's simultaneous connections). None free within a few
 * seconds: the call fails as rate_limited, and Temporal retries it after a short delay.
 */
async function withSlot<B>(conn: LoadedConnection, call: () => Promise<ConnectorResponse<B>>): Promise<ConnectorResponse<B>> {
  const limit = conn.rate.concurrencyPerKey;
  if (!limit || !conn.leases) return call();
  const lease = await conn.leases.acquire(conn.rate.rateKey, limit, conn.callOptions.signal ? { signal: conn.callOptions.signal } : {});
  if (!lease) {
    return {
      ok: false, status: 0, latencyMs: 0, body: null,
      error: connectorError('rate_limited', `${conn.connector.name} allows this connection ${limit} call${limit === 1 ? '' : 's'} in flight at once, and all are in use`, { retryAfterMs: 1_000 }),
    };
  }
  try {
    return await call();
  } finally {
    await lease.release();
  }
}

/** Deepest result an activity returns to Temporal (its payload converter recurses). */
export const MAX_RESULT_DEPTH = 512;

export interface GuardOptions {
  /**
   * 'returned' (default): the body is the activity's result, so it must be serializable into
   * history; 'written': the body goes to a sink, which checks its records itself (pullPage).
   */
  body?: 'returned' | 'written';
}

/**
 * A call that threw instead of answering: executors throw only for programmer errors, except that
 * provider data can still make plain JavaScript throw (a body nested too deep for a recursive walk, a
 * date out of range): RangeError. That is the provider's answer being unusable, so invalid_response,
 * not a retryable crash.
 */
async function answerOf<B>(conn: LoadedConnection, call: () => Promise<ConnectorResponse<B>>): Promise<ConnectorResponse<B>> {
  try {
    return await call();
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    return {
      ok: false, status: 0, latencyMs: 0, body: null,
      error: connectorError('invalid_response', `${conn.connector.name}: the provider's answer could not be processed (${err.message})`),
    };
  }
}

/** One executor answer counted (src/metrics): 'ok', or its error code as the executor gave it (before the ambiguity guard). */
export function counted<R extends ConnectorResponse<unknown>>(conn: LoadedConnection, res: R): R {
  const labels = { connector: conn.record.connectorId, connection: conn.record.id };
  conn.metrics.providerAnswer(labels, res.ok ? 'ok' : (res.error?.code ?? 'invalid_response'));
  return res;
}

/**
 * One step of the circuit breaker (a check or an outcome), with the state it moved to counted:
 * the breaker is synchronous, so reading its state around the step sees this step's change alone.
 */
function breakerStep<T>(breakers: CircuitBreakers, conn: LoadedConnection, step: () => T): T {
  const before = breakers.state(conn.record.id);
  const result = step();
  const after = breakers.state(conn.record.id);
  if (after !== before) conn.metrics.circuitChanged({ connector: conn.record.connectorId, connection: conn.record.id }, after);
  return result;
}

/**
 * Runs one provider call behind the connection's circuit breaker and returns the successful answer,
 * or throws the Temporal failure. `delivers` names what a non-idempotent call delivers (a message, a
 * sync run) so that an ambiguous timeout is not retried; reads leave it out.
 *
 * Whatever the executor built, what leaves here is redacted with the connection's secrets (bodies of
 * every status went through httpRequest's redaction already; this covers messages and results an
 * executor assembled), error messages are bounded and retry delays clamped to the retry policy.
 */
export async function guardedCall<B>(
  breakers: CircuitBreakers,
  conn: LoadedConnection,
  call: () => Promise<ConnectorResponse<B>>,
  delivers?: string,
  opts: GuardOptions = {},
): Promise<ConnectorResponse<B> & { body: B }> {
  const key = conn.record.id;
  const maxRetryDelayMs = conn.policy.retry.maximumIntervalMs;
  const openMs = breakerStep(breakers, conn, () => breakers.openFor(key));
  if (openMs > 0) {
    // The breaker's own pause (finite, set by the policy's circuit): not clamped to the retry interval.
    throw failureFromConnectorError(
      connectorError('circuit_open', `${conn.connector.name} failed repeatedly for "${key}"; pausing calls for ${Math.ceil(openMs / 1000)} s`, { retryAfterMs: openMs }),
    );
  }
  // Counted inside the slot: only calls that reached the executor are answers (a call refused for
  // want of a slot is the engine's own rate_limited, not the provider's).
  const res = await withHeartbeats(() => withSlot(conn, async () => counted(conn, await answerOf(conn, call))));
  const r = redactor(secretsOf(conn.record.connectorId, conn.config));
  if (!res.ok || res.body === null) {
    const raw = res.error ?? connectorError('invalid_response', `${conn.connector.name} gave no answer`);
    const guarded = delivers ? ambiguityGuard(raw, conn.connector.idempotency.supported, delivers, res.status) : raw;
    const error = { ...guarded, message: r.text(String(guarded.message ?? '')) };
    breakerStep(breakers, conn, () => breakers.record(key, error.retryable && error.code !== 'rate_limited' ? 'retryable_failure' : 'other', conn.policy.circuit));
    throw failureFromConnectorError(error, { status: res.status }, { maxRetryDelayMs });
  }
  breakerStep(breakers, conn, () => breakers.record(key, 'success', conn.policy.circuit));
  const body = r.deepIfNeeded(res.body);
  if ((opts.body ?? 'returned') === 'returned' && jsonDepth(body, MAX_RESULT_DEPTH) > MAX_RESULT_DEPTH) {
    throw failureFromConnectorError(
      connectorError('invalid_response', `${conn.connector.name} answered with a result nested more than ${MAX_RESULT_DEPTH} levels deep, which cannot be returned`),
      { status: res.status },
    );
  }
  return { ...res, body } as ConnectorResponse<B> & { body: B };
}
