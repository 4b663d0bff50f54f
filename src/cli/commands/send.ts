// `pipeline send <connection> --message file.json [--idempotency-key k]`: one delivery per key.
//
// What it says is what happened:
// - sent now (a new send, or a send under this key that was already running with this message);
// - already sent before with this same message: the first send's result, and nothing sent again (exit 0);
// - the key was used by ANOTHER message: this message was NOT sent, the first send's result (exit 4);
// - a new attempt after a send under this key failed (or was cancelled/terminated/timed out): said so,
//   with the earlier failure's reason;
// - failed or cancelled: the workflow's failure with its cause chain (exit 1, or 3 for a cancel).
// With no worker polling the queues it needs, it says so at once: the send waits durably in Temporal,
// and Ctrl-C detaches without cancelling it.
import { readFile } from 'node:fs/promises';
import type { Client } from '@temporalio/client';
import type { SendResult } from '../../../activities/index.js';
import { describeSendRun, MaybeDeliveredError, startSend, type SendRunInfo, type StartedSend } from '../../temporal/send-client.js';
import { activityTaskQueue, workflowTaskQueue } from '../../temporal/task-queues.js';
import { withContext } from '../context.js';
import { failureReport, formatFailure, type FailureReport } from '../failure.js';
import { CliError, EXIT, color, printJson } from '../output.js';
import { noWorkerMessage, queuesWithoutPollers } from '../workers.js';

export interface SendOptions {
  message: string;
  idempotencyKey?: string;
  /** Send again under a key whose last attempt may have been delivered. */
  resendMaybeDelivered?: boolean;
  json?: boolean;
}

/** The `reason` of a send refused because its key belongs to another message. */
export const KEY_USED_BY_ANOTHER_MESSAGE = 'idempotency_key_used_by_another_message';

export async function sendCommand(connectionId: string, opts: SendOptions): Promise<void> {
  let message: unknown;
  try {
    message = JSON.parse(opts.message === '-' ? await readStdin() : await readFile(opts.message, 'utf8'));
  } catch (err) {
    throw new CliError(`Cannot read the message ${opts.message}: ${(err as Error).message}`);
  }
  await withContext(async (ctx) => {
    const client = await ctx.client();
    const send = await startSend(client, ctx.store, {
      connectionId,
      message,
      ...(opts.idempotencyKey ? { idempotencyKey: opts.idempotencyKey } : {}),
      ...(opts.resendMaybeDelivered ? { afterMaybeDelivered: true } : {}),
      namePrefix: ctx.settings.namePrefix,
    }).catch((err: Error) => {
      if (err instanceof MaybeDeliveredError) {
        // Sending again could deliver twice: say so, and do nothing unless asked.
        if (opts.json) printJson({ ok: false, sent: false, reason: 'last_attempt_may_have_been_delivered', workflowId: err.workflowId, runId: err.runId, message: err.reason });
        else {
          process.stderr.write(
            `${err.message}\nThis message was NOT sent again. Check the destination: if it is missing, send again with --resend-maybe-delivered (or a new idempotency key).\n`,
          );
        }
        throw new CliError('', EXIT.notDone);
      }
      throw new CliError(err.message);
    });
    const json = opts.json ?? false;
    const ids = { idempotencyKey: send.idempotencyKey, workflowId: send.workflowId, runId: send.run.runId };

    if (send.sameMessage === false) return anotherMessage(send, json);
    if (send.sameMessage === null) {
      process.stderr.write(color.yellow(`Could not check that the send with idempotency key ${send.idempotencyKey} carries this same message: it recorded no message fingerprint (started by an older version, or under another codec key).\n`));
    }

    if (send.outcome === 'finished') {
      const result = await send.handle.result();
      const unchecked = send.sameMessage === null;
      if (json) printJson({ ok: true, sent: true, alreadySent: true, ...(unchecked ? { messageChecked: false } : {}), ...ids, ...result });
      else {
        process.stdout.write(
          `${color.green('already sent')} with idempotency key ${color.bold(send.idempotencyKey)}${send.run.closeTime ? ` at ${send.run.closeTime.toISOString()}` : ''}: ${formatResult(result)}\n` +
            `Nothing was sent again.\n`,
        );
      }
      return;
    }

    // A send of this message is starting or running: follow it.
    const earlier = send.previous ? await earlierFailure(client, send.workflowId, send.previous) : undefined;
    if (!json) {
      const how = send.outcome === 'joined' ? 'joining the send already in progress with' : 'idempotency key';
      process.stdout.write(`Sending via ${connectionId} (${how} ${color.bold(send.idempotencyKey)}) ...\n`);
      if (earlier) process.stdout.write(`New attempt after a failed one: the last send with this key ${describeFailure(earlier)}\n`);
    }
    let noWorker = false;
    process.once('SIGINT', () => {
      process.stderr.write(
        `\nDetached. The send goes on in Temporal as ${send.workflowId}: it will still happen${noWorker ? ' once a worker polls its queues' : ''}. ` +
          `To see its result, run the same command again with --idempotency-key ${send.idempotencyKey} (it never sends twice).\n`,
      );
      process.exit(130);
    });
    const missing = await queuesWithoutPollers(client, ctx.settings.namespace, [
      { name: workflowTaskQueue(ctx.settings.namePrefix), kind: 'workflow' },
      { name: activityTaskQueue(send.connectorId, ctx.settings.namePrefix), kind: 'activity' },
    ]);
    if (missing.length) {
      noWorker = true;
      process.stderr.write(
        color.yellow(`${noWorkerMessage(missing, send.connectorId)}\n`) +
          `The send is queued durably in Temporal (${send.workflowId}) and runs when a worker starts; waiting for it here (Ctrl-C detaches, the send still happens).\n`,
      );
    }

    let result: SendResult;
    try {
      result = await send.handle.result();
    } catch (err) {
      const report = failureReport(err);
      if (!report) throw err;
      if (json) printJson({ ...ids, ...(earlier ? { newAttemptAfter: earlier } : {}), ...report });
      const retry = report.outcome === 'failed' ? 'fix the cause and run the same command' : 'run the same command';
      throw new CliError(`${formatFailure(report)}\nThe idempotency key ${send.idempotencyKey} may be used again: ${retry} to send this message.`, report.exitCode);
    }
    if (json) {
      printJson({
        ok: true,
        sent: true,
        alreadySent: false,
        ...ids,
        ...(send.outcome === 'joined' ? { joined: true } : {}),
        ...(earlier ? { newAttemptAfter: earlier } : {}),
        ...result,
      });
    } else process.stdout.write(`${color.green('sent')}: ${formatResult(result)}\n`);
  });
}

/** Another message was sent (or is being sent) under this key: this one is not. */
async function anotherMessage(send: StartedSend, json: boolean): Promise<void> {
  const running = send.run.status === 'RUNNING';
  let first: Record<string, unknown> = { runId: send.run.runId, status: send.run.status.toLowerCase(), startTime: send.run.startTime, closeTime: send.run.closeTime };
  let firstText: string;
  if (running) firstText = 'that send is still in progress';
  else {
    try {
      const result = await send.handle.result();
      first = { ...first, result };
      firstText = `its result: ${formatResult(result)}`;
    } catch (err) {
      const report = failureReport(err);
      if (!report) throw err;
      first = { ...first, failure: report };
      firstText = `it ${report.outcome.replace('_', ' ')}: ${report.code ?? ''}${report.code ? ': ' : ''}${report.message}`;
    }
  }
  if (json) {
    printJson({ ok: false, sent: false, reason: KEY_USED_BY_ANOTHER_MESSAGE, idempotencyKey: send.idempotencyKey, workflowId: send.workflowId, first });
  } else {
    process.stdout.write(`The idempotency key ${color.bold(send.idempotencyKey)} was already used by another message${send.run.startTime ? ` (first send started ${send.run.startTime.toISOString()})` : ''}; ${firstText}.\n`);
  }
  throw new CliError(
    `not sent: this message was NOT sent, because idempotency key ${send.idempotencyKey} belongs to a different message.` +
      (running ? ' If that send fails, the key is free again.' : ' Use a new idempotency key to send this message.'),
    EXIT.notDone,
  );
}

export interface EarlierFailure {
  runId: string;
  outcome: FailureReport['outcome'];
  code?: string;
  message: string;
}

/** Why the last run under this key ended without success (its status when the failure cannot be read). */
async function earlierFailure(client: Client, workflowId: string, previous: SendRunInfo): Promise<EarlierFailure> {
  const fallback: EarlierFailure = { runId: previous.runId, outcome: outcomeOf(previous.status), message: `ended ${previous.status.toLowerCase().replace('_', ' ')}` };
  try {
    await client.workflow.getHandle(workflowId, previous.runId, { followRuns: false }).result();
    return fallback;
  } catch (err) {
    const report = failureReport(err);
    if (!report) {
      const again = await describeSendRun(client, workflowId, previous.runId).catch(() => null);
      return again ? { ...fallback, outcome: outcomeOf(again.status) } : fallback;
    }
    return { runId: previous.runId, outcome: report.outcome, ...(report.code ? { code: report.code } : {}), message: report.message };
  }
}

function outcomeOf(status: string): FailureReport['outcome'] {
  return status === 'CANCELLED' ? 'cancelled' : status === 'TERMINATED' ? 'terminated' : status === 'TIMED_OUT' ? 'timed_out' : 'failed';
}

function describeFailure(f: EarlierFailure): string {
  const verb = f.outcome === 'timed_out' ? 'timed out' : f.outcome;
  return `${verb} (${f.code ? `${f.code}: ` : ''}${f.message}).`;
}

function formatResult(result: SendResult): string {
  return `HTTP ${result.status} in ${Math.round(result.latencyMs)} ms ${JSON.stringify(result.response ?? {})}`;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
