// Task queue names. Pure functions: workflow code may import this module.
//
// An optional prefix (PIPELINE_NAME_PREFIX) on task queues and workflow ids lets several
// deployments, or parallel test files, share one namespace without touching each other's work.

/** Every workflow of the engine runs here (and the sink bookkeeping activities with it). */
export function workflowTaskQueue(prefix = ''): string {
  return `${prefix}pipeline-workflows`;
}

/**
 * Each connector's activities run on its own queue, so that the server can cap that provider's rate
 * across all workers (maxTaskQueueActivitiesPerSecond) and a slow provider never starves another.
 */
export function activityTaskQueue(connectorId: string, prefix = ''): string {
  return `${prefix}pipeline-activities-${connectorId}`;
}

/** The queue of a connector's batch calls, where its batch endpoint has a rate of its own (capabilities.batch.requestsPerSecond). */
export function batchTaskQueue(connectorId: string, prefix = ''): string {
  return `${activityTaskQueue(connectorId, prefix)}-batch`;
}
