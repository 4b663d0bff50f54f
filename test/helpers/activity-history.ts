// Reading activity attempts off a workflow history: which activity ran how many attempts, why each
// retry happened (a heartbeat timeout, a start-to-close timeout, a failure), and the timeouts it was
// scheduled with. Recovery tests bound delays with these, not with wall-clock time.
import type { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;

export interface ActivityRun {
  activityType: string;
  scheduledEventId: number;
  summary?: string;
  heartbeatTimeoutMs: number | null;
  startToCloseTimeoutMs: number | null;
  /** The attempt that ended the activity (1 when it never retried). */
  attempts: number;
  /** Why the attempt before the last one failed: 'HEARTBEAT', 'START_TO_CLOSE', a failure type, or null. */
  lastFailure: string | null;
  outcome: 'completed' | 'failed' | 'timed_out' | 'cancelled' | 'open';
  /** Event times (server clock, epoch ms): scheduled, and closed (null while open). */
  scheduledAtMs: number;
  closedAtMs: number | null;
}

const ms = (d: { seconds?: unknown; nanos?: number | null } | null | undefined): number | null =>
  d ? Number(d.seconds ?? 0) * 1000 + Math.round((d.nanos ?? 0) / 1e6) : null;

// temporal.api.enums.v1.TimeoutType
const TIMEOUT_TYPES: Record<number, string> = { 1: 'START_TO_CLOSE', 2: 'SCHEDULE_TO_START', 3: 'SCHEDULE_TO_CLOSE', 4: 'HEARTBEAT' };

function failureReason(f: temporal.api.failure.v1.IFailure | null | undefined): string | null {
  if (!f) return null;
  if (f.timeoutFailureInfo) return TIMEOUT_TYPES[Number(f.timeoutFailureInfo.timeoutType)] ?? 'TIMEOUT';
  if (f.applicationFailureInfo) return f.applicationFailureInfo.type ?? 'ApplicationFailure';
  if (f.canceledFailureInfo) return 'CANCELLED';
  return f.message ?? 'failure';
}

export function activityRuns(history: History): ActivityRun[] {
  const runs = new Map<number, ActivityRun>();
  for (const e of history.events ?? []) {
    const id = Number(e.eventId);
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) {
      runs.set(id, {
        activityType: scheduled.activityType?.name ?? '?',
        scheduledEventId: id,
        heartbeatTimeoutMs: ms(scheduled.heartbeatTimeout),
        startToCloseTimeoutMs: ms(scheduled.startToCloseTimeout),
        attempts: 0,
        lastFailure: null,
        outcome: 'open',
        scheduledAtMs: ms(e.eventTime) ?? 0,
        closedAtMs: null,
      });
      continue;
    }
    const started = e.activityTaskStartedEventAttributes;
    if (started) {
      const run = runs.get(Number(started.scheduledEventId));
      if (run) {
        run.attempts = started.attempt ?? 1;
        run.lastFailure = failureReason(started.lastFailure);
      }
      continue;
    }
    const end =
      (e.activityTaskCompletedEventAttributes && { id: e.activityTaskCompletedEventAttributes.scheduledEventId, outcome: 'completed' as const }) ||
      (e.activityTaskFailedEventAttributes && { id: e.activityTaskFailedEventAttributes.scheduledEventId, outcome: 'failed' as const }) ||
      (e.activityTaskTimedOutEventAttributes && { id: e.activityTaskTimedOutEventAttributes.scheduledEventId, outcome: 'timed_out' as const }) ||
      (e.activityTaskCanceledEventAttributes && { id: e.activityTaskCanceledEventAttributes.scheduledEventId, outcome: 'cancelled' as const });
    if (end) {
      const run = runs.get(Number(end.id));
      if (run) {
        run.outcome = end.outcome;
        run.closedAtMs = ms(e.eventTime);
      }
    }
  }
  return [...runs.values()];
}
