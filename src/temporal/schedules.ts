// Recurring pulls as Temporal Schedules: one schedule per (connection, stream), with a deterministic
// id, an interval or cron spec, an overlap policy (SKIP by default: a slow sync is never run twice at
// once), a catch-up window and jitter. The server runs them; no worker-side cron.
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleHandle,
  type ScheduleOptions,
  type ScheduleSummary,
} from '@temporalio/client';
import type { ConnectionStore } from '../connections/types.js';
import { getConnector } from '../registry/index.js';
import type { SyncMode } from '../../workflows/pull.js';
import { ConnectionIdKey, ConnectorIdKey, PipelineIdKey, PipelineKindKey } from './search-attributes.js';
import { workflowTaskQueue } from './task-queues.js';
import { syncWorkflowId } from './client.js';
import { pipelineWorkflowId } from './pipeline-client.js';

export const OVERLAP_POLICIES = ['skip', 'buffer_one', 'buffer_all', 'cancel_other', 'terminate_other', 'allow_all'] as const;
export type OverlapPolicyName = (typeof OVERLAP_POLICIES)[number];

const OVERLAP: Record<OverlapPolicyName, ScheduleOverlapPolicy> = {
  skip: ScheduleOverlapPolicy.SKIP,
  buffer_one: ScheduleOverlapPolicy.BUFFER_ONE,
  buffer_all: ScheduleOverlapPolicy.BUFFER_ALL,
  cancel_other: ScheduleOverlapPolicy.CANCEL_OTHER,
  terminate_other: ScheduleOverlapPolicy.TERMINATE_OTHER,
  allow_all: ScheduleOverlapPolicy.ALLOW_ALL,
};

/**
 * How late a missed run may still start when the schedule does not say: Temporal's own default
 * (365 days; the server's minimum is 10 s). After an outage every missed run inside it is taken.
 */
export const DEFAULT_CATCHUP_WINDOW_MS = 365 * 86_400_000;

/**
 * Memo keys of a pull schedule. The server keeps a cron expression only in its compiled calendar
 * form, so the expression as written is kept in the memo, for `schedules list / describe`.
 */
export const SCHEDULE_MEMO = { cron: 'cron' } as const;

/** The id prefix of a schedule's runs; the server appends each run's scheduled time. */
export function scheduledRunIdPrefix(connectionId: string, stream: string, namePrefix = ''): string {
  return `${namePrefix}scheduled:pull:${connectionId}:${stream}`;
}

/** `pull:<connection>:<stream>`, like the workflow id of a manual sync of the same stream. */
export function scheduleId(connectionId: string, stream: string, namePrefix = ''): string {
  return `${namePrefix}pull:${connectionId}:${stream}`;
}

export interface CreateScheduleOptions {
  connectionId: string;
  stream?: string;
  /** An interval such as '1h' or '15m' ... */
  every?: string;
  /** ... or cron expressions ('0 * * * *'): exactly one of the two. */
  cron?: string[];
  timezone?: string;
  /** Random delay added to each run ('1m'), so many schedules do not hit a provider at once. */
  jitter?: string;
  overlap?: OverlapPolicyName;
  /** How late a missed run may still start after an outage ('10m'); older ones are skipped. */
  catchupWindow?: string;
  mode?: SyncMode;
  paused?: boolean;
  note?: string;
  namePrefix?: string;
}

export class ScheduleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleError';
  }
}

type ScheduleTiming = Pick<CreateScheduleOptions, 'every' | 'cron' | 'timezone' | 'jitter' | 'overlap' | 'catchupWindow' | 'paused' | 'note'>;

/**
 * What every schedule of the engine shares, checked before anything is created: when it runs (an
 * interval or cron expressions, not both), its overlap policy, catch-up window and state, and the
 * cron expressions as written (kept in the memo: the server keeps only their compiled form).
 */
function scheduleParts(opts: ScheduleTiming, example: { every: string; cron: string }) {
  if (!opts.every && !opts.cron?.length) throw new ScheduleError(`Give an interval (--every ${example.every}) or a cron expression (--cron "${example.cron}")`);
  // Temporal would run at the times of both (the union of the two specs): nearly always a mistake.
  if (opts.every && opts.cron?.length) {
    throw new ScheduleError('Give an interval (--every) or cron expressions (--cron), not both: a schedule with both runs at the times of each');
  }
  const overlap = opts.overlap ?? 'skip';
  if (!OVERLAP[overlap]) throw new ScheduleError(`Overlap policy must be one of ${OVERLAP_POLICIES.join(', ')}`);
  return {
    spec: {
      ...(opts.every ? { intervals: [{ every: opts.every }] } : {}),
      ...(opts.cron?.length ? { cronExpressions: opts.cron } : {}),
      ...(opts.timezone ? { timezone: opts.timezone } : {}),
      ...(opts.jitter ? { jitter: opts.jitter } : {}),
    },
    policies: { overlap: OVERLAP[overlap], ...(opts.catchupWindow ? { catchupWindow: opts.catchupWindow } : {}) },
    state: { paused: opts.paused ?? false, ...(opts.note ? { note: opts.note } : {}) },
    cronMemo: opts.cron?.length ? { [SCHEDULE_MEMO.cron]: opts.cron } : {},
  };
}

/** Creates the schedule; one that exists already is a ScheduleError saying what to do. */
async function createSchedule(client: Client, options: ScheduleOptions): Promise<ScheduleHandle> {
  try {
    return await client.schedule.create(options);
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) throw new ScheduleError(`Schedule ${options.scheduleId} already exists (delete it first, or pause/unpause it)`);
    throw err;
  }
}

export async function createPullSchedule(client: Client, store: ConnectionStore, opts: CreateScheduleOptions): Promise<ScheduleHandle> {
  const record = await store.get(opts.connectionId);
  if (!record) throw new ScheduleError(`Connection "${opts.connectionId}" is not registered`);
  const connector = getConnector(record.connectorId);
  const stream = opts.stream ?? connector.capabilities.pull[0];
  if (!stream || !connector.capabilities.pull.includes(stream)) {
    throw new ScheduleError(`${connector.name} has no pullable stream${opts.stream ? ` "${opts.stream}"` : ''}`);
  }
  const parts = scheduleParts(opts, { every: '1h', cron: '0 * * * *' });
  const mode = opts.mode ?? 'incremental';
  return createSchedule(client, {
    scheduleId: scheduleId(record.id, stream, opts.namePrefix),
    spec: parts.spec,
    action: {
      type: 'startWorkflow',
      // The schedule's run starts the stream's sync under the stream's own workflow id, so that a
      // scheduled run and a manual one never run at once (workflows/scheduled-pull.ts).
      workflowType: 'scheduledPullWorkflow',
      args: [{
        connectionId: record.id, connectorId: record.connectorId, stream, mode,
        syncWorkflowId: syncWorkflowId(record.id, stream, opts.namePrefix),
        summary: `Scheduled ${mode} pull of ${connector.name} ${stream} for ${record.id}`,
      }],
      taskQueue: workflowTaskQueue(opts.namePrefix),
      // The server appends the scheduled time, so each run has its own id under this prefix.
      workflowId: scheduledRunIdPrefix(record.id, stream, opts.namePrefix),
      staticSummary: `Scheduled run: ${mode} pull of ${connector.name} ${stream} for ${record.id}`,
      typedSearchAttributes: [
        { key: ConnectorIdKey, value: record.connectorId },
        { key: ConnectionIdKey, value: record.id },
        { key: PipelineKindKey, value: 'scheduled_pull' },
      ],
    },
    policies: parts.policies,
    state: parts.state,
    memo: { connectionId: record.id, connectorId: record.connectorId, stream, ...parts.cronMemo },
  });
}

/** The schedules of this deployment: pulls (`pull:…`) and pipelines (`pipeline:…`). */
export async function listPullSchedules(client: Client, namePrefix = ''): Promise<ScheduleSummary[]> {
  const out: ScheduleSummary[] = [];
  for await (const s of client.schedule.list()) {
    if (s.scheduleId.startsWith(`${namePrefix}pull:`) || s.scheduleId.startsWith(`${namePrefix}pipeline:`)) out.push(s);
  }
  return out.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
}

/** `pipeline:<id>`, like the workflow id of the pipeline's runs. */
export function pipelineScheduleId(pipelineId: string, namePrefix = ''): string {
  return pipelineWorkflowId(pipelineId, namePrefix);
}

export type PipelineScheduleOptions = Pick<CreateScheduleOptions, 'every' | 'cron' | 'timezone' | 'jitter' | 'overlap' | 'catchupWindow' | 'paused' | 'note' | 'namePrefix'> & {
  pipelineId: string;
};

/**
 * A pipeline's schedule: each tick starts scheduledPipelineWorkflow, which runs the pipeline under its
 * one workflow id (skipped, and saying so, when a run or a replay is in progress).
 */
export async function createPipelineSchedule(client: Client, store: ConnectionStore, opts: PipelineScheduleOptions): Promise<ScheduleHandle> {
  const def = await store.pipelines.get(opts.pipelineId);
  if (!def) throw new ScheduleError(`Pipeline "${opts.pipelineId}" is not defined`);
  const destination = await store.get(def.destination.connectionId);
  const parts = scheduleParts(opts, { every: '15m', cron: '*/15 * * * *' });
  return createSchedule(client, {
    scheduleId: pipelineScheduleId(def.id, opts.namePrefix),
    spec: parts.spec,
    action: {
      type: 'startWorkflow',
      workflowType: 'scheduledPipelineWorkflow',
      args: [{ pipelineId: def.id, pipelineWorkflowId: pipelineWorkflowId(def.id, opts.namePrefix), summary: `Scheduled run of pipeline ${def.id}` }],
      taskQueue: workflowTaskQueue(opts.namePrefix),
      workflowId: `${opts.namePrefix ?? ''}scheduled:pipeline:${def.id}`,
      staticSummary: `Scheduled run of pipeline ${def.id}`,
      typedSearchAttributes: [
        { key: ConnectorIdKey, value: destination?.connectorId ?? '' },
        { key: ConnectionIdKey, value: def.destination.connectionId },
        { key: PipelineKindKey, value: 'scheduled_pipeline' },
        { key: PipelineIdKey, value: def.id },
      ],
    },
    policies: parts.policies,
    state: parts.state,
    memo: { pipelineId: def.id, ...parts.cronMemo },
  });
}

/** A handle that fails with a clear message when the schedule does not exist. */
export async function describeSchedule(client: Client, id: string): Promise<{ handle: ScheduleHandle; description: ScheduleDescription }> {
  const handle = client.schedule.getHandle(id);
  try {
    return { handle, description: await handle.describe() };
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) throw new ScheduleError(`No schedule "${id}"`);
    throw err;
  }
}

export function overlapName(policy: ScheduleOverlapPolicy | string | undefined): string {
  const entry = Object.entries(OVERLAP).find(([, v]) => v === policy);
  return entry ? entry[0] : String(policy ?? 'skip').toLowerCase();
}
