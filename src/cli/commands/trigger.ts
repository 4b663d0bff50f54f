// `pipeline trigger <connection>`: start a reverse-ETL run (Fivetran, Hightouch, Census) or a
// Databricks statement and follow it to the end.
import { readFile } from 'node:fs/promises';
import { WorkflowFailedError } from '@temporalio/client';
import { startReverseEtl } from '../../temporal/send-client.js';
import { withContext } from '../context.js';
import { CliError, color, parseAssignments, printJson } from '../output.js';

export interface TriggerOptions {
  options?: string;
  set?: string[];
  pollInterval?: number;
  deadline?: number;
  json?: boolean;
  wait?: boolean;
}

export async function triggerCommand(connectionId: string, opts: TriggerOptions): Promise<void> {
  let options: Record<string, unknown> = {};
  if (opts.options) {
    try {
      options = JSON.parse(await readFile(opts.options, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new CliError(`Cannot read ${opts.options}: ${(err as Error).message}`);
    }
  }
  options = { ...options, ...parseAssignments(opts.set ?? []) };
  await withContext(async (ctx) => {
    const client = await ctx.client();
    const handle = await startReverseEtl(client, ctx.store, {
      connectionId,
      ...(Object.keys(options).length ? { options } : {}),
      ...(opts.pollInterval ? { pollIntervalMs: opts.pollInterval * 1000 } : {}),
      ...(opts.deadline ? { deadlineMs: opts.deadline * 60_000 } : {}),
      namePrefix: ctx.settings.namePrefix,
    }).catch((err: Error) => {
      throw new CliError(err.message);
    });
    if (opts.wait === false) {
      if (opts.json) printJson({ workflowId: handle.workflowId });
      else process.stdout.write(`Started ${handle.workflowId}\n`);
      return;
    }
    if (!opts.json) process.stdout.write(`Triggered via ${connectionId}; following ${handle.workflowId} (Ctrl-C detaches) ...\n`);
    process.once('SIGINT', () => {
      process.stderr.write(`\nDetached. The run goes on in Temporal as ${handle.workflowId}.\n`);
      process.exit(130);
    });
    let last = '';
    const timer = setInterval(async () => {
      try {
        const p = await handle.query<{ state: string; polls: number; runId: string | null }>('progress');
        const line = `${p.state} (run ${p.runId ?? '-'}, ${p.polls} status reads)`;
        if (!opts.json && line !== last) process.stdout.write(`  ${line}\n`);
        last = line;
      } catch {
        // finished or between runs
      }
    }, 2_000);
    try {
      const result = await handle.result();
      if (opts.json) printJson(result);
      else process.stdout.write(`${color.green(result.state)}: run ${result.runId} after ${result.polls} status reads ${result.details ? JSON.stringify(result.details) : ''}\n`);
    } catch (err) {
      if (err instanceof WorkflowFailedError) {
        const cause = err.cause as Error & { type?: string };
        throw new CliError(`${cause.type ?? 'failed'}: ${cause.message}`);
      }
      throw err;
    } finally {
      clearInterval(timer);
    }
  });
}
