// Public library API.
export * from './core/index.js';
export { connectorRegistry, formSpec, getConnector, isConnectorId, CONNECTOR_IDS } from './registry/index.js';
export type { ConnectorId, Connector, ConnectorDefinition, ConfigOf, FormSpec, FormField, Capabilities, ValidationResult } from './registry/index.js';
export { getExecutor, hasExecutor } from './executors/index.js';
export type { ConnectorPolicy } from './policies/types.js';
export { toActivityOptions } from './policies/activity-options.js';
export type { PolicyOverrides, PlainActivityOptions } from './policies/activity-options.js';
export * from './connections/index.js';
export * from './sinks/index.js';
export { connectClient, startSync, followSync, syncWorkflowId, SyncAlreadyRunningError } from './temporal/client.js';
export type { StartSyncOptions } from './temporal/client.js';
export { createPipelineWorker } from './temporal/worker.js';
export type { PipelineWorker, PipelineWorkerOptions } from './temporal/worker.js';
export { startDevServer } from './temporal/dev-server.js';
export { workflowTaskQueue, activityTaskQueue } from './temporal/task-queues.js';
export { loadSettings } from './settings.js';
export type { PullInput, PullProgress, PullResult, SyncMode } from '../workflows/pull.js';
