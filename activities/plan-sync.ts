// planSync: what a pull run needs to know about its connection, decided by the worker from the
// registry and this deployment's policy overrides. Returned as plain data so that workflow code
// stays free of registry imports, and so that the plan a run used is visible in its history.
import { ApplicationFailure } from '@temporalio/common';
import { toActivityOptions, type PlainActivityOptions } from '../src/policies/activity-options.js';
import type { ConnectionRate } from '../src/policies/connection-rate.js';
import type { ActivityDeps } from './deps.js';
import { getRecord, policyFor, rateOf } from './connection.js';
import { getConnector } from '../src/registry/index.js';

export interface PlanSyncInput {
  connectionId: string;
  stream: string;
  pageSize?: number;
}

export interface SyncPlan {
  connectionId: string;
  connectorId: string;
  connectorName: string;
  stream: string;
  pageSize: number;
  overlapMs: number;
  /** Options for the connector's activities (its own task queue, retry, timeouts). */
  activity: PlainActivityOptions;
  /** The connection's provider budget: its rate key (the fairness key of its activities), rate and weight. */
  rate: ConnectionRate;
  /** Where the records land, for the run's result. */
  location: string;
}

export function planSyncActivity(deps: ActivityDeps) {
  return async function planSync(input: PlanSyncInput): Promise<SyncPlan> {
    const record = await getRecord(deps, input.connectionId);
    const connector = getConnector(record.connectorId);
    if (!connector.capabilities.pull.includes(input.stream)) {
      const streams = connector.capabilities.pull;
      throw ApplicationFailure.create({
        type: 'invalid_config',
        nonRetryable: true,
        message: streams.length
          ? `${connector.name} has no stream "${input.stream}" (streams: ${streams.join(', ')})`
          : `${connector.name} is not a source: it cannot be pulled`,
      });
    }
    const policy = policyFor(record.connectorId, deps);
    const rate = await rateOf(deps, record);
    const pull = policy.pull ?? { defaultPageSize: 100, maxPageSize: 100, overlapMs: 60_000 };
    const pageSize = Math.min(Math.max(1, input.pageSize ?? pull.defaultPageSize), pull.maxPageSize);
    return {
      connectionId: record.id,
      connectorId: record.connectorId,
      connectorName: connector.name,
      stream: input.stream,
      pageSize,
      overlapMs: pull.overlapMs,
      activity: toActivityOptions(record.connectorId, policy, deps.namePrefix, rate),
      rate,
      location: deps.sink.location({ connectionId: record.id, stream: input.stream }),
    };
  };
}
