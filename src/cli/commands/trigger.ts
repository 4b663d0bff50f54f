// `pipeline trigger <connection>`: start a reverse-ETL run (Fivetran, Hightouch, Census) or a
// Databricks statement and follow it to the end.
//
// Nothing is claimed before it happened: the options are typed and checked against the executor's
// schema before anything starts; "Triggered <provider> run <id>" is printed only once the trigger
// activity has completed (the provider accepted the run and gave its id); a refused trigger prints
// the failure and exits 1.
import { readFile } from 'node:fs/promises';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { getConnector } from '../../registry/index.js';
import { startReverseEtl } from '../../temporal/send-client.js';
import { activityTaskQueue, workflowTaskQueue } from '../../temporal/task-queues.js';
import type { reverseEtlSyncWorkflow, ReverseEtlResult } from '../../../workflows/reverse-etl.js';
import { withContext } from '../context.js';
import { failureReport, formatFailure } from '../failure.js';
import { requireConnection } from '../lookup.js';
import { CliError, color, plural, printJson } from '../output.js';
import { buildTriggerOptions } from '../trigger-options.js';
import { noWorkerMessage, queuesWithoutPollers } from '../workers.js';

export interface TriggerOptions {
  options?: string;
  set?: string[];
  pollInterval?: number;
  deadline?: number;
  json?: boolean;
  wait?: boolean;
}

interface Progress {
  connectorId: string | null;
  runId: string | null;
  state: string;
  polls: number;
}

type Handle = WorkflowHandle<typeof reverseEtlSyncWorkflow>;
type Outcome = { ok: true; result: ReverseEtlResult } | { ok: false; error: unknown };

async function readOptionsFile(path: string): Promise<Record<string, unknown>> {
  try {
    const v = JSON.parse(await readFile(path, 'utf8')) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new CliError(`Cannot read ${path}: ${(err as Error).message}`);
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function progressOf(client: Client, handle: Handle): Promise<Progress | null> {
  try {
    // A query needs a worker to answer it: never let one hang the command.
    return await client.withDeadline(Date.now() + 5_000, () => handle.query<Progress>('progress'));
  } catch {
    return null; // not answered yet, between runs, or just finished
  }
}

/** The last failed attempt of the pending trigger, when it is being retried ("attempt 2 failed: ..."). */
async function retryingTrigger(client: Client, handle: Handle): Promise<{ attempt: number; message: string } | null> {
  try {
    const d = await client.withDeadline(Date.now() + 5_000, () => handle.describe());
    const pending = (d.raw.pendingActivities ?? []).find((a) => a.activityType?.name === 'triggerSync');
    const failed = pending?.lastFailure?.message;
    return pending && failed && (pending.attempt ?? 1) > 1 ? { attempt: (pending.attempt ?? 2) - 1, message: failed } : null;
  } catch {
    return null;
  }
}

/**
 * Waits until the trigger activity has completed: the progress query shows the provider's run id,
 * or the workflow has ended (a refused trigger fails it, and that failure is thrown). While the
 * trigger is retried (the provider down, rate limited), each failed attempt is said on stderr.
 */
async function waitForTrigger(client: Client, handle: Handle, provider: string, outcome: () => Outcome | undefined, ended: Promise<unknown>, json: boolean | undefined): Promise<string> {
  let reported = 0;
  for (let round = 1; ; round++) {
    const o = outcome();
    if (o?.ok) return o.result.runId;
    if (o) fail(o.error, json, handle.workflowId);
    const p = await progressOf(client, handle);
    if (p?.runId) return p.runId;
    if (round % 10 === 0) {
      const retry = await retryingTrigger(client, handle);
      if (retry && retry.attempt > reported) {
        reported = retry.attempt;
        process.stderr.write(`${color.yellow('retrying')}: ${provider} has not accepted the trigger yet (attempt ${retry.attempt} failed: ${retry.message})\n`);
      }
    }
    await Promise.race([ended, pause(300)]);
  }
}

function fail(err: unknown, json: boolean | undefined, workflowId: string): never {
  const report = failureReport(err);
  if (!report) throw err;
  if (json) printJson({ workflowId, ...report });
  throw new CliError(formatFailure(report), report.exitCode);
}

export async function triggerCommand(connectionId: string, opts: TriggerOptions): Promise<void> {
  const fromFile = opts.options ? await readOptionsFile(opts.options) : {};
  await withContext(async (ctx) => {
    const record = await requireConnection(ctx.store, connectionId);
    const connector = getConnector(record.connectorId);
    if (!connector.capabilities.trigger) {
      throw new CliError(`${connector.name} connections cannot be triggered: \`pipeline trigger\` runs Fivetran, Hightouch and Census syncs and Databricks statements.`);
    }
    const options = await buildTriggerOptions(record.connectorId, connector.name, fromFile, opts.set ?? []);
    const client = await ctx.client();
    const prefix = ctx.settings.namePrefix;
    const idle = await queuesWithoutPollers(client, ctx.settings.namespace, [
      { name: workflowTaskQueue(prefix), kind: 'workflow' },
      { name: activityTaskQueue(record.connectorId, prefix), kind: 'activity' },
    ]);
    // Someone waiting for the answer is told at once; a --no-wait start is durable and runs once a worker comes.
    if (idle.length && opts.wait !== false) throw new CliError(`${noWorkerMessage(idle, record.connectorId)} Nothing was triggered.`);

    const handle = await startReverseEtl(client, ctx.store, {
      connectionId,
      ...(Object.keys(options).length ? { options } : {}),
      ...(opts.pollInterval ? { pollIntervalMs: opts.pollInterval * 1000 } : {}),
      ...(opts.deadline ? { deadlineMs: opts.deadline * 60_000 } : {}),
      namePrefix: prefix,
    }).catch((err: Error) => {
      throw new CliError(err.message);
    });
    if (opts.wait === false) {
      if (opts.json) printJson({ workflowId: handle.workflowId, triggered: false });
      else process.stdout.write(`Started ${handle.workflowId}; the trigger itself is not confirmed yet (follow it in the Web UI or with \`temporal workflow show\`).\n`);
      if (idle.length) process.stderr.write(`${color.yellow('warning')}: ${noWorkerMessage(idle, record.connectorId)} The run starts once one does.\n`);
      return;
    }

    process.once('SIGINT', () => {
      process.stderr.write(`\nDetached. The run goes on in Temporal as ${handle.workflowId}.\n`);
      process.exit(130);
    });
    let outcome: Outcome | undefined;
    const ended = handle.result().then(
      (result) => (outcome = { ok: true, result }),
      (error: unknown) => (outcome = { ok: false, error }),
    );

    const runId = await waitForTrigger(client, handle, connector.name, () => outcome, ended, opts.json);
    if (!opts.json) process.stdout.write(`Triggered ${connector.name} run ${runId}; following it as ${handle.workflowId} (Ctrl-C detaches) ...\n`);

    let last = '';
    const timer = setInterval(async () => {
      const p = await progressOf(client, handle);
      if (!p || opts.json || outcome) return;
      const line = `${p.state} (run ${p.runId ?? '-'}, ${plural(p.polls, 'status read')})`;
      if (line !== last) process.stdout.write(`  ${line}\n`);
      last = line;
    }, 2_000);
    try {
      await ended;
    } finally {
      clearInterval(timer);
    }
    const o = outcome as Outcome;
    if (!o.ok) fail(o.error, opts.json, handle.workflowId);
    const result = o.result;
    if (opts.json) printJson({ workflowId: handle.workflowId, ...result });
    else {
      const details = result.details ? ` ${JSON.stringify(result.details)}` : '';
      process.stdout.write(`${color.green(result.state)}: ${connector.name} run ${result.runId} after ${plural(result.polls, 'status read')}${details}\n`);
    }
  });
}
