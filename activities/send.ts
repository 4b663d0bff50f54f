// send: one delivery to a destination. The result is a small summary (status, latency, the
// provider's message id) — never the message, never a secret.
import { connectorError } from '../src/core/errors.js';
import { getExecutor } from '../src/executors/index.js';
import { CircuitBreakers } from '../src/policies/circuit-breaker.js';
import { guardedCall } from './call-guard.js';
import { loadConnection } from './connection.js';
import type { ActivityDeps } from './deps.js';
import { failureFromConnectorError } from './failures.js';

export interface SendInput {
  connectionId: string;
  message: unknown;
  idempotencyKey: string;
  /** The first send's time under this key (see SendWorkflowInput); default: this activity's first attempt. */
  firstAttemptAtMs?: number;
}

export interface SendResult {
  connectionId: string;
  connectorId: string;
  status: number;
  latencyMs: number;
  /** The provider's answer, summarized by the executor (ids, states). */
  response: unknown;
}

export function sendActivity(deps: ActivityDeps) {
  const breakers = deps.breakers ?? new CircuitBreakers();
  return async function send(input: SendInput): Promise<SendResult> {
    const conn = await loadConnection(deps, input.connectionId);
    const executor = getExecutor(conn.record.connectorId);
    if (!executor.send) throw failureFromConnectorError(connectorError('invalid_config', `${conn.connector.name} cannot send messages`));
    const res = await guardedCall(
      breakers,
      conn,
      () =>
        executor.send!(conn.config, input.message, {
          ...conn.callOptions,
          idempotencyKey: input.idempotencyKey,
          ...(input.firstAttemptAtMs !== undefined ? { firstAttemptAtMs: input.firstAttemptAtMs } : {}),
        }),
      'message',
    );
    return { connectionId: conn.record.id, connectorId: conn.record.connectorId, status: res.status, latencyMs: res.latencyMs, response: res.body };
  };
}
