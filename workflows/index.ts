// The workflows the worker bundles. Deterministic code only: no I/O, no registry imports.
export { pullWorkflow, progressQuery } from './pull.js';
export type { PullInput, PullProgress, PullResult, PullState, SyncMode } from './pull.js';
