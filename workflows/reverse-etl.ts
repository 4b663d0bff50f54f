// reverseEtlSyncWorkflow: trigger a provider-side sync (Fivetran, Hightouch, Census) or a Databricks
// statement, then follow it to the end with durable timers, and report the outcome.
//
// Guarantee: the sync is triggered once per workflow run, and its outcome is known even if workers
// restart while it runs for hours: the wait between status reads is a Temporal timer, not a loop
// inside an activity, so nothing holds a worker slot while the provider works. A failed or cancelled
// run fails the workflow with the provider's reason; a run still going at the deadline fails it with
// `deadline_exceeded`.
import { ApplicationFailure, continueAsNew, defineQuery, proxyActivities, proxyLocalActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { CallPlan, PipelineActivities } from '../activities/index.js';
import type { SyncRunStatus } from '../src/core/envelope.js';
import { pipelineFailure } from './failure.js';
import { PLAN_OPTIONS } from './plan-options.js';

export interface ReverseEtlInput {
  connectionId: string;
  /** Provider options: { fullResync } for Hightouch, { statement, parameters } for Databricks, ... */
  options?: Record<string, unknown>;
  /** First wait between status reads (default 15 s); grows by half each read up to maxPollIntervalMs. */
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
  /** Give up after this long (default 6 h). */
  deadlineMs?: number;
  /** Carried across continue-as-new. */
  state?: ReverseEtlState;
}

export interface ReverseEtlState {
  plan: CallPlan;
  run: SyncRunStatus;
  polls: number;
  intervalMs: number;
  startedAt: string;
  deadlineAt: string;
}

export interface ReverseEtlResult {
  connectionId: string;
  connectorId: string;
  runId: string;
  state: SyncRunStatus['state'];
  message?: string;
  details?: Record<string, unknown>;
  polls: number;
  startedAt: string;
  finishedAt: string;
}

export const reverseEtlProgressQuery = defineQuery<{ connectorId: string | null; runId: string | null; state: string; polls: number; startedAt: string | null; details?: Record<string, unknown> }>('progress');

const { planCall } = proxyLocalActivities<PipelineActivities>(PLAN_OPTIONS);

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
const POLLS_PER_RUN = 500;

export async function reverseEtlSyncWorkflow(input: ReverseEtlInput): Promise<ReverseEtlResult> {
  let state = input.state;
  setHandler(reverseEtlProgressQuery, () => ({
    connectorId: state?.plan.connectorId ?? null,
    runId: state?.run.runId ?? null,
    state: state?.run.state ?? 'triggering',
    polls: state?.polls ?? 0,
    startedAt: state?.startedAt ?? null,
    ...(state?.run.details ? { details: state.run.details } : {}),
  }));

  if (!state) {
    const plan = await planCall({ connectionId: input.connectionId, capability: 'trigger' });
    const { triggerSync } = proxyActivities<PipelineActivities>(plan.activity);
    let run: SyncRunStatus;
    try {
      run = await triggerSync.executeWithOptions({ ...plan.activity, summary: `trigger ${plan.connectorName} via ${input.connectionId}` }, [
        { connectionId: input.connectionId, ...(input.options ? { options: input.options } : {}), idempotencyKey: workflowInfo().workflowId },
      ]);
    } catch (err) {
      throw pipelineFailure(`Triggering ${plan.connectorName} via "${input.connectionId}" failed`, err);
    }
    const now = Date.now();
    state = {
      plan,
      run,
      polls: 0,
      intervalMs: input.pollIntervalMs ?? 15_000,
      startedAt: new Date(now).toISOString(),
      deadlineAt: new Date(now + (input.deadlineMs ?? 6 * 3_600_000)).toISOString(),
    };
  }

  const { syncStatus } = proxyActivities<PipelineActivities>(state.plan.activity);
  const maxInterval = input.maxPollIntervalMs ?? 5 * 60_000;
  let pollsThisRun = 0;
  while (!TERMINAL.has(state.run.state)) {
    const remaining = Date.parse(state.deadlineAt) - Date.now();
    if (remaining <= 0) {
      throw ApplicationFailure.create({
        type: 'deadline_exceeded',
        nonRetryable: true,
        message: `${state.plan.connectorName} run ${state.run.runId} for "${input.connectionId}" was still ${state.run.state} at the deadline (${state.deadlineAt})`,
      });
    }
    await sleep(Math.min(state.intervalMs, remaining), { summary: `wait before status read ${state.polls + 1}` });
    try {
      state.run = await syncStatus.executeWithOptions({ ...state.plan.activity, summary: `status of ${state.plan.connectorName} run ${state.run.runId}` }, [
        { connectionId: input.connectionId, runId: state.run.runId },
      ]);
    } catch (err) {
      throw pipelineFailure(`Reading the ${state.plan.connectorName} run ${state.run.runId} for "${input.connectionId}" failed`, err);
    }
    state.polls++;
    pollsThisRun++;
    state.intervalMs = Math.min(Math.round(state.intervalMs * 1.5), maxInterval);
    if (!TERMINAL.has(state.run.state) && (pollsThisRun >= POLLS_PER_RUN || workflowInfo().continueAsNewSuggested)) {
      await continueAsNew<typeof reverseEtlSyncWorkflow>({ ...input, state });
    }
  }

  if (state.run.state !== 'succeeded') {
    throw ApplicationFailure.create({
      type: state.run.state === 'failed' ? 'sync_failed' : 'sync_cancelled',
      nonRetryable: true,
      message: `${state.plan.connectorName} run ${state.run.runId} for "${input.connectionId}" ${state.run.state}: ${state.run.message ?? 'no reason given by the provider'}`,
      details: state.run.details ? [state.run.details] : [],
    });
  }
  return {
    connectionId: input.connectionId,
    connectorId: state.plan.connectorId,
    runId: state.run.runId,
    state: state.run.state,
    ...(state.run.message ? { message: state.run.message } : {}),
    ...(state.run.details ? { details: state.run.details } : {}),
    polls: state.polls,
    startedAt: state.startedAt,
    finishedAt: new Date().toISOString(),
  };
}
