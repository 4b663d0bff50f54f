// triggerSync / syncStatus: start a provider-side sync (Fivetran, Hightouch, Census) or a Databricks
// statement, and read its state. The workflow polls between them with durable timers.
import type { SyncRunStatus } from '../src/core/envelope.js';
import { connectorError } from '../src/core/errors.js';
import { getExecutor } from '../src/executors/index.js';
import { CircuitBreakers } from '../src/policies/circuit-breaker.js';
import { guardedCall } from './call-guard.js';
import { loadConnection } from './connection.js';
import type { ActivityDeps } from './deps.js';
import { failureFromConnectorError } from './failures.js';

export interface TriggerSyncInput {
  connectionId: string;
  options?: Record<string, unknown>;
  idempotencyKey?: string;
}

export function triggerActivities(deps: ActivityDeps) {
  const breakers = deps.breakers ?? new CircuitBreakers();
  return {
    async triggerSync(input: TriggerSyncInput): Promise<SyncRunStatus> {
      const conn = await loadConnection(deps, input.connectionId);
      const executor = getExecutor(conn.record.connectorId);
      if (!executor.trigger) throw failureFromConnectorError(connectorError('invalid_config', `${conn.connector.name} cannot trigger syncs`));
      const res = await guardedCall(
        breakers,
        conn,
        () =>
          executor.trigger!(conn.config, { ...(input.options ? { options: input.options } : {}) }, {
            ...conn.callOptions,
            ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
          }),
        'sync run',
      );
      return res.body;
    },

    async syncStatus(input: { connectionId: string; runId: string }): Promise<SyncRunStatus> {
      const conn = await loadConnection(deps, input.connectionId);
      const executor = getExecutor(conn.record.connectorId);
      if (!executor.syncStatus) throw failureFromConnectorError(connectorError('invalid_config', `${conn.connector.name} has no sync status`));
      const res = await guardedCall(breakers, conn, () => executor.syncStatus!(conn.config, input.runId, conn.callOptions));
      return res.body;
    },
  };
}
