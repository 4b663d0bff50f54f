// All activities, built from the worker's dependencies. Thin wrappers: load the connection, call the
// executor, turn `ok: false` into an ApplicationFailure (DESIGN.md §5).
import type { ActivityDeps } from './deps.js';
import { withDefaults } from './deps.js';
import { planCallActivity } from './plan-call.js';
import { planSyncActivity } from './plan-sync.js';
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
