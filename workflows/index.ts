// The workflows the worker bundles. Deterministic code only: no I/O, no registry imports.
export { pullWorkflow, progressQuery } from './pull.js';
export type { PullInput, PullProgress, PullResult, PullState, SyncMode } from './pull.js';
export { sendWorkflow } from './send.js';
export type { SendWorkflowInput } from './send.js';
export { reverseEtlSyncWorkflow, reverseEtlProgressQuery } from './reverse-etl.js';
export type { ReverseEtlInput, ReverseEtlResult, ReverseEtlState } from './reverse-etl.js';
export { testConnectionWorkflow } from './test-connection.js';
export { scheduledPullWorkflow } from './scheduled-pull.js';
export type { ScheduledPullInput, ScheduledPullResult } from './scheduled-pull.js';
export { pullSliceWorkflow } from './pull-slice.js';
export type { SliceInput, SliceResult } from './pull-slice.js';
export { pipelineWorkflow, pipelineProgressQuery } from './pipeline.js';
export type { PipelineInput, PipelineMode, PipelineProgress, PipelineResult } from './pipeline.js';
export { scheduledPipelineWorkflow } from './scheduled-pipeline.js';
export type { ScheduledPipelineInput, ScheduledPipelineResult } from './scheduled-pipeline.js';
