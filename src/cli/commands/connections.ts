// `pipeline connections add | list | show | update | test | remove`.
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { ScheduleNotFoundError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { redactedConfig } from '../../connections/redacted.js';
import { rotateSecrets } from '../../connections/secrets.js';
import { ConnectionError, type ConnectionRecord, type NewConnection } from '../../connections/types.js';
import { formatVersionWarning, versionWarningFor } from '../../connections/version-warnings.js';
import { getConnector } from '../../registry/index.js';
import { syncWorkflowId } from '../../temporal/client.js';
import { scheduleId } from '../../temporal/schedules.js';
import { reverseEtlWorkflowId } from '../../temporal/send-client.js';
import { testConnectionRun } from '../../temporal/test-connection.js';
import { activityTaskQueue, workflowTaskQueue } from '../../temporal/task-queues.js';
import { withContext } from '../context.js';
import { failureReport, formatFailure } from '../failure.js';
import { requireConnection, requireConnectorId } from '../lookup.js';
import { CliError, color, EXIT, parseAssignments, plural, printJson, printTable } from '../output.js';
import { didYouMean } from '../suggest.js';
import { noWorkerMessage, queuesWithoutPollers } from '../workers.js';

/** A connection file: {"id": "...", "connector": "shopify", "config": {...}}. */
export async function readConnectionFile(path: string): Promise<NewConnection> {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new CliError(`Cannot read connection file ${path}: ${(err as Error).message}`);
  }
  const { id, connector, config, baseUrlOverride } = parsed;
  if (typeof id !== 'string' || typeof connector !== 'string' || !config || typeof config !== 'object') {
    throw new CliError(`${path} must hold {"id": "...", "connector": "<connector id>", "config": {...}}`);
  }
  return { id, connectorId: connector, config: config as Record<string, unknown>, ...(typeof baseUrlOverride === 'string' ? { baseUrlOverride } : {}) };
}

// Shared with the console (src/connections/redacted.ts); re-exported for the commands that print them.
export { redactedConfig, secretState } from '../../connections/redacted.js';

/** The config fields a connector takes (of one auth method when given and known), authMethod first. */
export function connectorFields(connectorId: string, authMethod?: string): string[] {
  const methods = getConnector(connectorId).formSpec().authMethods;
  const chosen = methods.filter((m) => m.id === authMethod);
  return ['authMethod', ...new Set((chosen.length ? chosen : methods).flatMap((m) => m.fields.map((f) => f.key)))];
}

function refuseUnknownFields(connectorId: string, keys: Iterable<string>, authMethod: string | undefined, flag: string): void {
  const fields = connectorFields(connectorId, authMethod);
  for (const key of keys) {
    if (fields.includes(key)) continue;
    const name = getConnector(connectorId).name;
    throw new CliError(`${flag} ${key}: ${name} has no field "${key}".${didYouMean(key, fields)} Its fields: ${fields.join(', ')}.`);
  }
}

function warn(line: string): void {
  process.stderr.write(`${color.yellow('warning')}: ${line}\n`);
}

function explain(err: unknown): never {
  if (err instanceof ConnectionError) {
    // "Invalid X config for "id": a; b" lists its issues: print them one a line. Any other message is
    // printed whole, with the issues it does not already say.
    const head = /^(Invalid .+? config for "[^"]*"): /.exec(err.message)?.[1];
    const issues = head ? err.issues : err.issues.filter((i) => !err.message.includes(i.message));
    const lines = issues.map((i) => `  ${i.field}: ${i.message}`).join('\n');
    throw new CliError(lines ? `${head ?? err.message}${head ? ':' : ''}\n${lines}` : err.message);
  }
  throw err;
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  try {
    const v = JSON.parse(await readFile(path, 'utf8')) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new CliError(`Cannot read ${path}: ${(err as Error).message}`);
  }
}

export interface AddOptions {
  file?: string;
  connector?: string;
  config?: string;
  set?: string[];
  baseUrlOverride?: string;
  json?: boolean;
}

export async function connectionsAdd(id: string | undefined, opts: AddOptions): Promise<void> {
  let input: NewConnection;
  if (opts.file) {
    input = await readConnectionFile(opts.file);
    if (id && id !== input.id) throw new CliError(`${opts.file} describes "${input.id}", not "${id}"`);
  } else {
    if (!id || !opts.connector) throw new CliError('Give <id> and --connector <connector id> (or --file <connection.json>)');
    const connectorId = requireConnectorId(opts.connector);
    const sets = parseAssignments(opts.set ?? []);
    const config = { ...(opts.config ? await readJson(opts.config) : {}), ...sets };
    refuseUnknownFields(connectorId, Object.keys(sets), typeof config.authMethod === 'string' ? config.authMethod : undefined, '--set');
    input = { id, connectorId, config, ...(opts.baseUrlOverride ? { baseUrlOverride: opts.baseUrlOverride } : {}) };
  }
  requireConnectorId(input.connectorId);
  await withContext(async (ctx) => {
    const record = await ctx.store.add(input).catch(explain);
    const warning = versionWarningFor(record);
    if (opts.json) printJson({ ...record, config: redactedConfig(record), ...(warning ? { versionWarning: warning.status } : {}) });
    else process.stdout.write(`Added ${color.bold(record.id)} (${record.connectorId}). Test it with \`pipeline connections test ${record.id}\`.\n`);
    if (warning) warn(formatVersionWarning(warning));
  });
}

export async function connectionsUpdate(id: string, opts: { set?: string[]; unset?: string[]; config?: string; baseUrlOverride?: string; unsetBaseUrlOverride?: boolean; json?: boolean }): Promise<void> {
  await withContext(async (ctx) => {
    const existing = await requireConnection(ctx.store, id);
    const sets = parseAssignments(opts.set ?? []);
    const config: Record<string, unknown> = { ...existing.config, ...(opts.config ? await readJson(opts.config) : {}), ...sets };
    const authMethod = typeof config.authMethod === 'string' ? config.authMethod : undefined;
    refuseUnknownFields(existing.connectorId, Object.keys(sets), authMethod, '--set');
    // An --unset of a field the connector does not have is a typo: refuse it rather than report success.
    refuseUnknownFields(existing.connectorId, opts.unset ?? [], authMethod, '--unset');
    for (const k of opts.unset ?? []) {
      if (!(k in config)) warn(`${k} was not set on ${id}`);
      delete config[k];
    }
    // The sandbox base URL moves with its emulator (a new port each start): it can be changed or dropped.
    const baseUrlOverride = opts.unsetBaseUrlOverride ? undefined : opts.baseUrlOverride ?? existing.baseUrlOverride;
    const record = await ctx.store
      .put({ id, connectorId: existing.connectorId, config, ...(baseUrlOverride ? { baseUrlOverride } : {}) })
      .catch(explain);
    const warning = versionWarningFor(record);
    if (opts.json) printJson({ ...record, config: redactedConfig(record), ...(warning ? { versionWarning: warning.status } : {}) });
    else process.stdout.write(`Updated ${color.bold(id)}.\n`);
    if (warning) warn(formatVersionWarning(warning));
  });
}

export async function connectionsList(opts: { json?: boolean }): Promise<void> {
  await withContext(async (ctx) => {
    const records = await ctx.store.list();
    if (opts.json) {
      printJson(records.map((r) => ({ ...r, config: redactedConfig(r) })));
      return;
    }
    printTable(
      records.map((r) => ({ id: r.id, connector: r.connectorId, auth: r.config.authMethod, updated: r.updatedAt, sandbox: r.baseUrlOverride ?? '' })),
      ['id', 'connector', 'auth', 'updated', 'sandbox'],
    );
  });
}

export async function connectionsShow(id: string, opts: { json?: boolean }): Promise<void> {
  await withContext(async (ctx) => {
    const record = await requireConnection(ctx.store, id);
    const shown = { ...record, config: redactedConfig(record) };
    if (opts.json) printJson(shown);
    else {
      process.stdout.write(`${color.bold(record.id)} — ${getConnector(record.connectorId).name} (${record.connectorId})\n`);
      for (const [k, v] of Object.entries(shown.config)) process.stdout.write(`  ${k.padEnd(22)} ${String(v)}\n`);
      if (record.baseUrlOverride) process.stdout.write(`  ${'baseUrlOverride'.padEnd(22)} ${record.baseUrlOverride} (sandbox mode only)\n`);
      process.stdout.write(color.dim(`  created ${record.createdAt}, updated ${record.updatedAt}\n`));
    }
  });
}

/** The schedules of a connection: the deterministic id of each of its streams, and any listed under its prefix. */
async function connectionSchedules(client: Client, record: ConnectionRecord, prefix: string): Promise<{ id: string; running: string[] }[]> {
  const ids = new Set(getConnector(record.connectorId).capabilities.pull.map((stream) => scheduleId(record.id, stream, prefix)));
  // Listing is eventually consistent (a schedule created a moment ago may be missing): the ids above are not.
  for await (const s of client.schedule.list()) if (s.scheduleId.startsWith(scheduleId(record.id, '', prefix))) ids.add(s.scheduleId);
  const found: { id: string; running: string[] }[] = [];
  for (const id of ids) {
    try {
      const d = await client.schedule.getHandle(id).describe();
      found.push({ id, running: d.info.runningActions.map((a) => a.workflow.workflowId) });
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
  }
  return found.sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * The running workflows of a connection: its syncs and trigger run by their deterministic ids, the
 * runs its schedules started, and whatever visibility finds by its ConnectionId search attribute
 * (sends, scheduled runs) on this deployment's task queue.
 */
async function connectionRuns(client: Client, record: ConnectionRecord, prefix: string, fromSchedules: string[]): Promise<{ ids: string[]; searched: boolean }> {
  const connector = getConnector(record.connectorId);
  const ids = new Set(fromSchedules);
  const known = [
    ...connector.capabilities.pull.map((stream) => syncWorkflowId(record.id, stream, prefix)),
    ...(connector.capabilities.trigger ? [reverseEtlWorkflowId(record.id, prefix)] : []),
  ];
  for (const id of known) {
    try {
      if ((await client.workflow.getHandle(id).describe()).status.name === 'RUNNING') ids.add(id);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  let searched = true;
  try {
    const query = `ConnectionId = '${record.id}' AND ExecutionStatus = 'Running'`; // ids are [a-z0-9_-]: nothing to escape
    for await (const wf of client.workflow.list({ query })) if (wf.taskQueue === workflowTaskQueue(prefix)) ids.add(wf.workflowId);
  } catch {
    searched = false; // the search attribute is not registered on this cluster
  }
  return { ids: [...ids].sort(), searched };
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

/**
 * Removes a connection with what would otherwise fail on its behalf later: its schedules are
 * deleted (each run would fail without it) and its running workflows cancelled. Asks first on a
 * terminal; without one, --yes is required.
 */
export async function connectionsRemove(id: string, opts: { yes?: boolean; json?: boolean }): Promise<void> {
  await withContext(async (ctx) => {
    const record = await requireConnection(ctx.store, id);
    // A pipeline reading from it or delivering to it would fail on its next run: say which, change nothing.
    const users = (await ctx.store.pipelines.list()).filter((p) => p.source.connectionId === id || p.destination.connectionId === id);
    if (users.length) {
      throw new CliError(`Connection "${id}" is used by pipeline${users.length === 1 ? '' : 's'} ${users.map((p) => p.id).join(', ')}: delete ${users.length === 1 ? 'it' : 'them'} first (\`pipeline pipelines delete <id> --yes\`), or point ${users.length === 1 ? 'it' : 'them'} elsewhere (\`pipeline pipelines update <id> --from/--to …\`). Nothing was removed.`);
    }
    const prefix = ctx.settings.namePrefix;
    const client = await ctx.client().catch((err: Error) => {
      throw new CliError(`${err.message} Nothing was removed: a connection goes with its schedules and running workflows.`);
    });
    const schedules = await connectionSchedules(client, record, prefix);
    const runs = await connectionRuns(client, record, prefix, schedules.flatMap((s) => s.running));
    const what = `connection "${id}" (${getConnector(record.connectorId).name}), ${plural(schedules.length, 'schedule')} and ${plural(runs.ids.length, 'running workflow')}`;
    if (!opts.yes) {
      if (!process.stdin.isTTY) throw new CliError(`This removes ${what}. Pass --yes to confirm (there is no terminal to ask on). Nothing was removed.`);
      for (const s of schedules) process.stderr.write(`  schedule ${s.id}\n`);
      for (const w of runs.ids) process.stderr.write(`  running  ${w}\n`);
      if (!(await confirm(`Remove ${what}?`))) throw new CliError('Nothing was removed.', EXIT.failed);
    }
    // Schedules first, so that none starts a new run while the running ones are being cancelled.
    const deleted: string[] = [];
    for (const s of schedules) {
      try {
        await client.schedule.getHandle(s.id).delete();
        deleted.push(s.id);
      } catch (err) {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
      }
    }
    const cancelled: string[] = [];
    for (const w of runs.ids) {
      try {
        await client.workflow.getHandle(w).cancel();
        cancelled.push(w);
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err; // it ended meanwhile
      }
    }
    await ctx.store.remove(id);
    if (opts.json) {
      printJson({ removed: id, schedulesDeleted: deleted, workflowsCancelled: cancelled, ...(runs.searched ? {} : { visibilitySearched: false }) });
      return;
    }
    for (const s of deleted) process.stdout.write(`Deleted schedule ${s}\n`);
    for (const w of cancelled) process.stdout.write(`Requested cancellation of ${w}\n`);
    process.stdout.write(
      `Removed connection ${color.bold(id)} (${plural(deleted.length, 'schedule')} deleted, ${plural(cancelled.length, 'running workflow')} cancelled). Data already synced is left as it is.\n`,
    );
    if (!runs.searched) {
      process.stderr.write(`${color.yellow('warning')}: the ConnectionId search attribute is not available here, so only its syncs and trigger runs were looked for; sends still running were not.\n`);
    }
  });
}

/** Runs the credential check as an activity on the connector's queue (a worker with the secrets). */
export async function connectionsTest(id: string, opts: { json?: boolean }): Promise<void> {
  await withContext(async (ctx) => {
    const record = await requireConnection(ctx.store, id);
    const warning = versionWarningFor(record);
    if (warning) warn(formatVersionWarning(warning));
    const client = await ctx.client();
    const prefix = ctx.settings.namePrefix;
    // A person is waiting for the answer: without a worker there is none to wait for.
    const idle = await queuesWithoutPollers(client, ctx.settings.namespace, [
      { name: workflowTaskQueue(prefix), kind: 'workflow' },
      { name: activityTaskQueue(record.connectorId, prefix), kind: 'activity' },
    ]);
    if (idle.length) {
      const message = noWorkerMessage(idle, record.connectorId);
      if (opts.json) printJson({ ok: false, code: 'no_worker', message, queues: idle });
      throw new CliError(message);
    }
    try {
      const r = await testConnectionRun(client, id, prefix);
      if (opts.json) printJson(warning ? { ...r, versionWarning: warning.status } : r);
      else if (r.check === 'offline') process.stdout.write(`${color.green('ok')}: config valid (this provider has no credential-check endpoint; checked offline)\n`);
      else process.stdout.write(`${color.green('ok')}: HTTP ${r.status} in ${Math.round(r.latencyMs)} ms\n`);
    } catch (err) {
      const report = failureReport(err);
      if (!report) throw err;
      if (opts.json) printJson({ ...report, ...(warning ? { versionWarning: warning.status } : {}) });
      throw new CliError(formatFailure(report), report.exitCode);
    }
  });
}

/** Re-encrypts every inline secret under the active key of PIPELINE_SECRETS_KEYS (key rotation). */
export async function connectionsRotateSecrets(opts: { json?: boolean }): Promise<void> {
  await withContext(async (ctx) => {
    const result = await rotateSecrets(ctx.store).catch((err: Error) => {
      throw new CliError(err.message);
    });
    if (opts.json) printJson(result);
    else {
      process.stdout.write(`Re-encrypted the secrets of ${result.rotated.length} of ${plural(result.connections, 'connection')} under the active key.\n`);
      for (const f of result.failed) process.stderr.write(`  ${f.id}: ${f.message}\n`);
    }
    if (result.failed.length) process.exitCode = 1;
  });
}
