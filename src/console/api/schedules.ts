// A source connection's schedule (one Temporal Schedule per connection and stream, as
// `pipeline schedules` makes them): its state, and create / pause / resume / trigger / delete.
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import { z } from 'zod';
import type { ConnectionRecord } from '../../connections/types.js';
import { getConnector } from '../../registry/index.js';
import { createPullSchedule, describeSchedule, scheduleId } from '../../temporal/schedules.js';
import { CliError } from '../../cli/output.js';
import { parseDurationOption, scheduleWhen } from '../../cli/commands/schedules.js';
import { CONNECTION_ID, Reply, requireConnection, temporal, type ConsoleDeps, type Route } from '../context.js';
import { RequestError } from '../security.js';

export interface ScheduleView {
  id: string;
  stream: string;
  state: 'active' | 'paused';
  note: string | null;
  /** "every 1h", "cron 0 6 * * 1-5 (Europe/Paris)". */
  when: string[];
  nextRun: string | null;
  lastRun: string | null;
  running: number;
  runsTaken: number;
}

function streamOf(record: ConnectionRecord, stream: string | undefined): string {
  const streams = getConnector(record.connectorId).capabilities.pull;
  const s = stream ?? streams[0];
  if (!s) throw new RequestError(400, 'not_a_source', `${getConnector(record.connectorId).name} connections have no stream to pull, so nothing to schedule`);
  if (!streams.includes(s)) throw new RequestError(400, 'invalid_request', `No stream "${s}" (streams: ${streams.join(', ')})`);
  return s;
}

/** The schedule of a connection's stream (its first by default), or null when it has none. */
export async function scheduleView(deps: ConsoleDeps, client: Client, record: ConnectionRecord, stream?: string): Promise<ScheduleView | null> {
  const s = streamOf(record, stream);
  const id = scheduleId(record.id, s, deps.settings.namePrefix);
  try {
    const d = await client.schedule.getHandle(id).describe();
    return {
      id,
      stream: s,
      state: d.state.paused ? 'paused' : 'active',
      note: d.state.note ?? null,
      when: scheduleWhen(d.spec, d.memo),
      nextRun: d.info.nextActionTimes[0]?.toISOString() ?? null,
      lastRun: d.info.recentActions.at(-1)?.takenAt.toISOString() ?? null,
      running: d.info.runningActions.length,
      runsTaken: d.info.numActionsTaken,
    };
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return null;
    throw err;
  }
}

const createSchema = z.strictObject({
  every: z.string().min(1).max(32),
  stream: z.string().max(64).optional(),
  full: z.boolean().optional(),
  paused: z.boolean().optional(),
});

const opSchema = z.strictObject({ stream: z.string().max(64).optional() });

const OPS = ['pause', 'resume', 'trigger', 'delete'] as const;

export const scheduleRoutes: Route[] = [
  {
    method: 'POST',
    path: new RegExp(`^/api/connections/${CONNECTION_ID}/schedule$`),
    async handle({ deps, params, body }) {
      const input = await body(createSchema);
      const record = await requireConnection(deps, params[0]!);
      const stream = streamOf(record, input.stream);
      let everyMs: number;
      try {
        // The CLI's reading of a duration: a unit is required ("90" would be 90 ms to Temporal).
        everyMs = parseDurationOption('Every', input.every, 1_000);
      } catch (err) {
        if (!(err instanceof CliError)) throw err;
        throw new RequestError(400, 'invalid_request', err.message, { fieldErrors: { every: [err.message] } });
      }
      const client = await temporal(deps);
      await createPullSchedule(client, deps.store, {
        connectionId: record.id,
        stream,
        every: `${everyMs}ms`,
        mode: input.full ? 'full' : 'incremental',
        paused: input.paused ?? false,
        note: 'created from the pipeline console',
        namePrefix: deps.settings.namePrefix,
      });
      return new Reply(201, { schedule: await scheduleView(deps, client, record, stream) });
    },
  },
  {
    method: 'POST',
    path: new RegExp(`^/api/connections/${CONNECTION_ID}/schedule/(${OPS.join('|')})$`),
    async handle({ deps, params, body }) {
      const input = await body(opSchema);
      const record = await requireConnection(deps, params[0]!);
      const op = params[1] as (typeof OPS)[number];
      const stream = streamOf(record, input.stream);
      const client = await temporal(deps);
      const { handle } = await describeSchedule(client, scheduleId(record.id, stream, deps.settings.namePrefix));
      if (op === 'pause') await handle.pause('paused from the pipeline console');
      else if (op === 'resume') await handle.unpause('resumed from the pipeline console');
      else if (op === 'trigger') await handle.trigger();
      else await handle.delete();
      return { schedule: op === 'delete' ? null : await scheduleView(deps, client, record, stream) };
    },
  },
];
