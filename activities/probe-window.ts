// probeWindow: what the source says about a window of change time before (and after) it is read —
// how many records, where its data starts. Plans a sliced first sync and checks, at the end of a run,
// that nothing the source still counts was missed. A provider call like a page: on the connector's
// queue, under the connection's budget.
import { connectorError } from '../src/core/errors.js';
import type { ProbeResult } from '../src/core/slices.js';
import { getExecutor } from '../src/executors/index.js';
import { CircuitBreakers } from '../src/policies/circuit-breaker.js';
import { guardedCall } from './call-guard.js';
import { loadConnection } from './connection.js';
import type { ActivityDeps } from './deps.js';
import { failureFromConnectorError } from './failures.js';

export interface ProbeWindowInput {
  connectionId: string;
  stream: string;
  since: string | null;
  until: string | null;
}

export function probeWindowActivity(deps: ActivityDeps) {
  const breakers = deps.breakers ?? new CircuitBreakers();
  return async function probeWindow(input: ProbeWindowInput): Promise<ProbeResult> {
    const conn = await loadConnection(deps, input.connectionId);
    const executor = getExecutor(conn.record.connectorId);
    if (!executor.probe) throw failureFromConnectorError(connectorError('invalid_config', `${conn.connector.name} cannot be probed`));
    const res = await guardedCall(breakers, conn, () => executor.probe!(conn.config, { stream: input.stream, since: input.since, until: input.until }, conn.callOptions));
    return res.body;
  };
}
