// `pipeline send <connection> --message file.json [--idempotency-key k]`: one delivery, at most once
// per key; re-running with the same key prints the first delivery's result instead of sending again.
import { readFile } from 'node:fs/promises';
import { WorkflowFailedError } from '@temporalio/client';
import { startSend } from '../../temporal/send-client.js';
import { withContext } from '../context.js';
import { CliError, color, printJson } from '../output.js';

export async function sendCommand(connectionId: string, opts: { message: string; idempotencyKey?: string; json?: boolean }): Promise<void> {
  let message: unknown;
  try {
    message = JSON.parse(opts.message === '-' ? await readStdin() : await readFile(opts.message, 'utf8'));
  } catch (err) {
    throw new CliError(`Cannot read the message ${opts.message}: ${(err as Error).message}`);
  }
  await withContext(async (ctx) => {
    const client = await ctx.client();
    const { handle, idempotencyKey } = await startSend(client, ctx.store, {
      connectionId,
      message,
      ...(opts.idempotencyKey ? { idempotencyKey: opts.idempotencyKey } : {}),
      namePrefix: ctx.settings.namePrefix,
    }).catch((err: Error) => {
      throw new CliError(err.message);
    });
    if (!opts.json) process.stdout.write(`Sending via ${connectionId} (idempotency key ${color.bold(idempotencyKey)}) ...\n`);
    try {
      const result = await handle.result();
      if (opts.json) printJson({ idempotencyKey, workflowId: handle.workflowId, ...result });
      else process.stdout.write(`${color.green('sent')}: HTTP ${result.status} in ${Math.round(result.latencyMs)} ms ${JSON.stringify(result.response ?? {})}\n`);
    } catch (err) {
      if (err instanceof WorkflowFailedError) {
        const cause = err.cause as Error & { type?: string };
        if (opts.json) printJson({ idempotencyKey, workflowId: handle.workflowId, ok: false, code: cause.type, message: cause.message });
        throw new CliError(`${cause.type ?? 'failed'}: ${cause.message}`);
      }
      throw err;
    }
  });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
