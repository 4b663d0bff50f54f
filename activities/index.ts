// All activities, built from the worker's dependencies. Thin wrappers: load the connection, call the
// executor, turn `ok: false` into an ApplicationFailure (DESIGN.md §5).
import type { ActivityDeps } from './deps.js';
import { withDefaults } from './deps.js';
import { planCallActivity } from './plan-call.js';
import { planSyncActivity } from './plan-sync.js';
import { pipelineDeliverActivity } from './pipeline-deliver.js';
import { planPipelineActivity } from './pipeline-plan.js';
import { pipelineStageActivities } from './pipeline-stage.js';
import { pipelineStateActivities } from './pipeline-state.js';
import { probeWindowActivity } from './probe-window.js';
import { pullPageActivity } from './pull-page.js';
import { sendActivity } from './send.js';
import { syncStateActivities } from './sync-state.js';
import { testConnectionActivity } from './test-connection.js';
import { triggerActivities } from './trigger-sync.js';

export function createActivities(rawDeps: ActivityDeps) {
  const deps = withDefaults(rawDeps);
  return {
    planSync: planSyncActivity(deps),
    planCall: planCallActivity(deps),
    pullPage: pullPageActivity(deps),
    probeWindow: probeWindowActivity(deps),
    send: sendActivity(deps),
    testConnection: testConnectionActivity(deps),
    ...triggerActivities(deps),
    ...syncStateActivities(deps),
    planPipeline: planPipelineActivity(deps),
    ...pipelineStageActivities(deps),
    deliverCall: pipelineDeliverActivity(deps),
    ...pipelineStateActivities(deps),
  };
}

export type PipelineActivities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps.js';
export type { PlanSyncInput, SyncPlan } from './plan-sync.js';
export type { CallPlan, PlanCallInput } from './plan-call.js';
export type { SendInput, SendResult } from './send.js';
export type { TriggerSyncInput } from './trigger-sync.js';
export type { PullPageInput, PullPageResult, TimeAnomalies } from './pull-page.js';
export type { ProbeWindowInput } from './probe-window.js';
export type { CompleteSyncInput, CompleteSyncResult, StreamInput } from './sync-state.js';
export type { TestConnectionResult } from './test-connection.js';
export type { PipelinePlan } from './pipeline-plan.js';
export type { StagePageInput, StageStoredInput, StageStoredResult, StagedPage, StageTarget } from './pipeline-stage.js';
export type { DeliverCallInput, DeliverCallResult } from './pipeline-deliver.js';
export type { CompletePipelineInput, CompletePipelineResult } from './pipeline-state.js';
