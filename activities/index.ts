// All activities, built from the worker's dependencies. Thin wrappers: load the connection, call the
// executor, turn `ok: false` into an ApplicationFailure (DESIGN.md §5).
import type { ActivityDeps } from './deps.js';
import { withDefaults } from './deps.js';
import { planSyncActivity } from './plan-sync.js';
import { pullPageActivity } from './pull-page.js';
import { syncStateActivities } from './sync-state.js';
import { testConnectionActivity } from './test-connection.js';

export function createActivities(rawDeps: ActivityDeps) {
  const deps = withDefaults(rawDeps);
  return {
    planSync: planSyncActivity(deps),
    pullPage: pullPageActivity(deps),
    testConnection: testConnectionActivity(deps),
    ...syncStateActivities(deps),
  };
}

export type PipelineActivities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps.js';
export type { PlanSyncInput, SyncPlan } from './plan-sync.js';
export type { PullPageInput, PullPageResult } from './pull-page.js';
export type { CompleteSyncInput, CompleteSyncResult, StreamInput } from './sync-state.js';
export type { TestConnectionResult } from './test-connection.js';
