// planPipeline: what a pipeline run needs to know, decided by the worker from the stored definition,
// the registry and this deployment's policies (plain data, recorded in the run's history, so that
// workflow code never imports the registry): the source's and the destination's activity options
// (each on its own connector's queue, with its own rate key), batch sizes and calls in flight.
import { ApplicationFailure } from '@temporalio/common';
import { getExecutor } from '../src/executors/index.js';
import type { PipelineRecord } from '../src/pipelines/types.js';
import { toActivityOptions, type PlainActivityOptions } from '../src/policies/activity-options.js';
import { getConnector } from '../src/registry/index.js';
import { batchTaskQueue } from '../src/temporal/task-queues.js';
import { getRecord, policyFor, rateOf } from './connection.js';
import type { ActivityDeps } from './deps.js';
import { planSyncActivity, type SyncPlan } from './plan-sync.js';

/** Destination calls a run keeps in flight at most (the server's per-key rate limit paces them). */
const MAX_CALLS_IN_FLIGHT = 32;

export interface PipelinePlan {
  pipelineId: string;
  from: 'pull' | 'stored';
  /** The source's pull plan (its queue, page size, overlap); the stream's identity when `from` is stored. */
  source: SyncPlan;
  destination: {
    connectionId: string;
    connectorId: string;
    connectorName: string;
    activity: PlainActivityOptions;
    /** Whether the destination drops a repeated delivery key itself. */
    providerDedup: boolean;
    /** Messages per call (the batch size where there is a batch endpoint, else 1) and bytes per call. */
    itemsPerCall: number;
    maxCallBytes?: number;
    batchEndpoint: string | null;
    callsInFlight: number;
  };
  /** "orders-to-klaviyo: Shopify orders → Klaviyo". */
  label: string;
}

export async function loadPipeline(deps: ActivityDeps, pipelineId: string): Promise<PipelineRecord> {
  const def = await deps.store.pipelines.get(pipelineId);
  if (!def) throw ApplicationFailure.create({ type: 'not_found', nonRetryable: true, message: `Pipeline "${pipelineId}" is not defined` });
  return def;
}

export function planPipelineActivity(deps: ActivityDeps) {
  const planSync = planSyncActivity(deps);
  return async function planPipeline(input: { pipelineId: string }): Promise<PipelinePlan> {
    const def = await loadPipeline(deps, input.pipelineId);
    const source = await planSync({ connectionId: def.source.connectionId, stream: def.source.stream, ...(def.pageSize ? { pageSize: def.pageSize } : {}) });
    const record = await getRecord(deps, def.destination.connectionId);
    const connector = getConnector(record.connectorId);
    const executor = getExecutor(record.connectorId);
    if (!connector.capabilities.send || !executor.send) {
      throw ApplicationFailure.create({ type: 'invalid_config', nonRetryable: true, message: `${connector.name} connections cannot receive records (it is not a destination)` });
    }
    const policy = policyFor(record.connectorId, deps);
    const rate = await rateOf(deps, record);
    const batch = connector.capabilities.batch && executor.sendBatch ? connector.capabilities.batch : null;
    const itemsPerCall = batch ? Math.max(1, Math.min(def.batchSize ?? batch.maxItems, batch.maxItems)) : 1;
    const activity = toActivityOptions(record.connectorId, policy, deps.namePrefix, rate);
    // Batches whose endpoint has a rate of its own (Iterable trackBulk) go to the queue held to it.
    if (batch?.requestsPerSecond) activity.taskQueue = batchTaskQueue(record.connectorId, deps.namePrefix);
    return {
      pipelineId: def.id,
      from: def.source.from,
      source,
      destination: {
        connectionId: record.id,
        connectorId: record.connectorId,
        connectorName: connector.name,
        activity,
        providerDedup: connector.idempotency.supported,
        itemsPerCall,
        ...(batch?.maxBytes ? { maxCallBytes: batch.maxBytes } : {}),
        batchEndpoint: batch?.endpoint ?? null,
        callsInFlight: Math.max(1, Math.min(policy.rate.concurrency, rate.concurrencyPerKey ?? Number.POSITIVE_INFINITY, MAX_CALLS_IN_FLIGHT)),
      },
      label: `${def.id}: ${source.connectorName} ${source.stream} → ${connector.name}`,
    };
  };
}
