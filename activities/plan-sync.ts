// planSync: what a pull run needs to know about its connection, decided by the worker from the
// registry and this deployment's policy overrides. Returned as plain data so that workflow code
// stays free of registry imports, and so that the plan a run used is visible in its history.
import { ApplicationFailure } from '@temporalio/common';
import { toActivityOptions, type PlainActivityOptions } from '../src/policies/activity-options.js';
import type { ConnectionRate } from '../src/policies/connection-rate.js';
import type { ActivityDeps } from './deps.js';
import { getRecord, policyFor, rateOf } from './connection.js';
import { getConnector } from '../src/registry/index.js';
import { getExecutor } from '../src/executors/index.js';
import { DEFAULT_SLICE_POLICY, type SlicePolicy } from '../src/core/slices.js';

/** A full sync's lower bound when neither the source nor the connection says where the data starts. */
const DEFAULT_FLOOR = '2000-01-01T00:00:00.000Z';

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
  /** How a large first sync is sliced; null when the source cannot be probed (the sync stays sequential). */
  slices: SlicePolicy | null;
  /** How long the source's change feed keeps changes (Stripe events: 30 days); null when it has none. */
  changeFeedRetentionMs: number | null;
  /** Where a full sync starts when the source does not say where its data starts (the connection's startDate, else 2000). */
  floor: string;
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
    const probes = typeof getExecutor(record.connectorId).probe === 'function';
    // Slices in flight at once: no more than the calls the provider allows the key at once.
    const parallel = Math.max(1, Math.min(pull.slices?.parallel ?? DEFAULT_SLICE_POLICY.parallel, rate.concurrencyPerKey ?? Number.POSITIVE_INFINITY));
    const startDate = typeof record.config.startDate === 'string' && !Number.isNaN(Date.parse(record.config.startDate)) ? new Date(record.config.startDate).toISOString() : null;
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
      slices: probes ? { ...DEFAULT_SLICE_POLICY, ...pull.slices, parallel } : null,
      changeFeedRetentionMs: pull.changeFeedRetentionMs ?? null,
      floor: startDate ?? DEFAULT_FLOOR,
    };
  };
}
