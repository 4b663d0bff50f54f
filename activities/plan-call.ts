// planCall: the activity options of one connection's send or trigger, decided by the worker from the
// registry and this deployment's policy overrides (plain data: workflow code never imports the registry).
import { ApplicationFailure } from '@temporalio/common';
import { toActivityOptions, type PlainActivityOptions } from '../src/policies/activity-options.js';
import type { ConnectionRate } from '../src/policies/connection-rate.js';
import { getConnector } from '../src/registry/index.js';
import { getRecord, policyFor, rateOf } from './connection.js';
import type { ActivityDeps } from './deps.js';

export interface PlanCallInput {
  connectionId: string;
  /** 'test' is allowed for every connector. */
  capability: 'send' | 'trigger' | 'test';
}

export interface CallPlan {
  connectionId: string;
  connectorId: string;
  connectorName: string;
  /** Whether the provider de-duplicates on the idempotency key itself. */
  providerDedup: boolean;
  activity: PlainActivityOptions;
  /** The connection's provider budget: its rate key (the fairness key of its activities), rate and weight. */
  rate: ConnectionRate;
}

export function planCallActivity(deps: ActivityDeps) {
  return async function planCall(input: PlanCallInput): Promise<CallPlan> {
    const record = await getRecord(deps, input.connectionId);
    const connector = getConnector(record.connectorId);
    if (input.capability !== 'test' && !connector.capabilities[input.capability]) {
      throw ApplicationFailure.create({
        type: 'invalid_config',
        nonRetryable: true,
        message: `${connector.name} connections cannot ${input.capability === 'send' ? 'send messages' : 'trigger syncs'}`,
      });
    }
    const rate = await rateOf(deps, record);
    return {
      connectionId: record.id,
      connectorId: record.connectorId,
      connectorName: connector.name,
      providerDedup: connector.idempotency.supported,
      activity: toActivityOptions(record.connectorId, policyFor(record.connectorId, deps), deps.namePrefix, rate),
      rate,
    };
  };
}
