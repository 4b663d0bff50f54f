// What sends and triggers share: the circuit breaker, heartbeats during long calls, and the rule
// that an ambiguous failure of a call the provider cannot de-duplicate is not retried blindly.
import { Context } from '@temporalio/activity';
import type { ConnectorResponse } from '../src/core/envelope.js';
import { connectorError, type ConnectorError } from '../src/core/errors.js';
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

/** Heartbeats every third of the heartbeat timeout while `call` runs (long statements, slow APIs). */
export async function withHeartbeats<T>(heartbeatMs: number | undefined, call: () => Promise<T>): Promise<T> {
  let ctx: Context | undefined;
  try {
    ctx = Context.current();
  } catch {
    ctx = undefined;
  }
  if (!ctx || !heartbeatMs) return call();
  const timer = setInterval(() => ctx!.heartbeat(), Math.max(1_000, Math.floor(heartbeatMs / 3)));
  try {
    ctx.heartbeat();
    return await call();
  } finally {
    clearInterval(timer);
  }
}

/**
 * Runs one provider call behind the connection's circuit breaker and returns the successful answer,
 * or throws the Temporal failure. `delivers` names what a non-idempotent call delivers (a message, a
 * sync run) so that an ambiguous timeout is not retried; reads leave it out.
 */
export async function guardedCall<B>(
  breakers: CircuitBreakers,
  conn: LoadedConnection,
  call: () => Promise<ConnectorResponse<B>>,
  delivers?: string,
): Promise<ConnectorResponse<B> & { body: B }> {
  const key = conn.record.id;
  const openMs = breakers.openFor(key);
  if (openMs > 0) {
    throw failureFromConnectorError(
      connectorError('circuit_open', `${conn.connector.name} failed repeatedly for "${key}"; pausing calls for ${Math.ceil(openMs / 1000)} s`, { retryAfterMs: openMs }),
    );
  }
  const res = await withHeartbeats(conn.policy.timeouts.heartbeatMs, call);
  if (!res.ok || res.body === null) {
    const raw = res.error ?? connectorError('invalid_response', `${conn.connector.name} gave no answer`);
    const error = delivers ? ambiguityGuard(raw, conn.connector.idempotency.supported, delivers, res.status) : raw;
    breakers.record(key, error.retryable && error.code !== 'rate_limited' ? 'retryable_failure' : 'other', conn.policy.circuit);
    throw failureFromConnectorError(error, { status: res.status });
  }
  breakers.record(key, 'success', conn.policy.circuit);
  return res as ConnectorResponse<B> & { body: B };
}
