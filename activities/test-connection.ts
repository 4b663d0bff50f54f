// testConnection as an activity: the connector's cheapest safe call that proves the credentials
// (or, for providers without one, an offline validation of the config).
import { connectorError } from '../src/core/errors.js';
import { getExecutor } from '../src/executors/index.js';
import type { ActivityDeps } from './deps.js';
import { loadConnection } from './connection.js';
import { failureFromConnectorError } from './failures.js';
import { counted } from './call-guard.js';

export interface TestConnectionResult {
  connectionId: string;
  connectorId: string;
  ok: true;
  status: number;
  latencyMs: number;
  check: 'api' | 'offline';
}

export function testConnectionActivity(deps: ActivityDeps) {
  return async function testConnection(input: { connectionId: string }): Promise<TestConnectionResult> {
    const conn = await loadConnection(deps, input.connectionId);
    const res = await getExecutor(conn.record.connectorId).testConnection(conn.config, conn.callOptions);
    // This call does not go through guardedCall, so its answer is counted here (src/metrics), when
    // the provider was asked: an offline check is no answer of the provider's.
    if (conn.connector.capabilities.testConnection === 'api') counted(conn, res);
    if (!res.ok) throw failureFromConnectorError(res.error ?? connectorError('invalid_response', 'no answer'), { status: res.status });
    return {
      connectionId: input.connectionId,
      connectorId: conn.record.connectorId,
      ok: true,
      status: res.status,
      latencyMs: res.latencyMs,
      check: conn.connector.capabilities.testConnection,
    };
  };
}
