// `pipeline connections add | list | show | update | test | remove`.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { WorkflowFailedError } from '@temporalio/client';
import { isSecretRef } from '../../core/secret-ref.js';
import { rotateSecrets } from '../../connections/secrets.js';
import { ConnectionError, type ConnectionRecord, type NewConnection } from '../../connections/types.js';
import { formatVersionWarning, versionWarningFor } from '../../connections/version-warnings.js';
import { getConnector } from '../../registry/index.js';
import { workflowTaskQueue } from '../../temporal/task-queues.js';
import type { testConnectionWorkflow } from '../../../workflows/test-connection.js';
import { withContext } from '../context.js';
import { CliError, color, parseAssignments, printJson, printTable } from '../output.js';

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

/** What `show` and `list` print: secret values never, their references (names of env vars, paths) yes. */
export function redactedConfig(record: ConnectionRecord): Record<string, unknown> {
  const secrets = new Set(getConnector(record.connectorId).secretFields(String(record.config.authMethod)));
  return Object.fromEntries(
    Object.entries(record.config).map(([k, v]) => {
      if (!secrets.has(k)) return [k, v];
      if (isSecretRef(v)) return [k, v];
      if (typeof v === 'string' && v.startsWith('enc:')) return [k, '[encrypted]'];
      return [k, '[REDACTED]'];
    }),
  );
}

function warn(line: string): void {
  process.stderr.write(`${color.yellow('warning')}: ${line}\n`);
}

function explain(err: unknown): never {
  if (err instanceof ConnectionError) {
    const lines = err.issues.length ? err.issues.map((i) => `  ${i.field}: ${i.message}`).join('\n') : '';
    throw new CliError(lines ? `${err.message.split(':')[0]}:\n${lines}` : err.message);
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
    const config = { ...(opts.config ? await readJson(opts.config) : {}), ...parseAssignments(opts.set ?? []) };
    input = { id, connectorId: opts.connector, config, ...(opts.baseUrlOverride ? { baseUrlOverride: opts.baseUrlOverride } : {}) };
  }
  await withContext(async (ctx) => {
    const record = await ctx.store.add(input).catch(explain);
    const warning = versionWarningFor(record);
    if (opts.json) printJson({ ...record, config: redactedConfig(record), ...(warning ? { versionWarning: warning.status } : {}) });
    else process.stdout.write(`Added ${color.bold(record.id)} (${record.connectorId}). Test it with \`pipeline connections test ${record.id}\`.\n`);
    if (warning) warn(formatVersionWarning(warning));
  });
}

export async function connectionsUpdate(id: string, opts: { set?: string[]; unset?: string[]; config?: string; json?: boolean }): Promise<void> {
  await withContext(async (ctx) => {
    const existing = await ctx.store.get(id);
    if (!existing) throw new CliError(`No connection "${id}"`);
    const config: Record<string, unknown> = { ...existing.config, ...(opts.config ? await readJson(opts.config) : {}), ...parseAssignments(opts.set ?? []) };
    for (const k of opts.unset ?? []) delete config[k];
    const record = await ctx.store
      .put({ id, connectorId: existing.connectorId, config, ...(existing.baseUrlOverride ? { baseUrlOverride: existing.baseUrlOverride } : {}) })
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
    const record = await ctx.store.get(id);
    if (!record) throw new CliError(`No connection "${id}"`);
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

export async function connectionsRemove(id: string, opts: { json?: boolean }): Promise<void> {
  await withContext(async (ctx) => {
    const removed = await ctx.store.remove(id);
    if (!removed) throw new CliError(`No connection "${id}"`);
    if (opts.json) printJson({ removed: id });
    else process.stdout.write(`Removed ${id}. Its synced data and schedules are left as they are.\n`);
  });
}

/** Runs the credential check as an activity on the connector's queue (a worker with the secrets). */
export async function connectionsTest(id: string, opts: { json?: boolean }): Promise<void> {
  await withContext(async (ctx) => {
    const record = await ctx.store.get(id);
    if (!record) throw new CliError(`No connection "${id}"`);
    const warning = versionWarningFor(record);
    if (warning) warn(formatVersionWarning(warning));
    const client = await ctx.client();
    const handle = await client.workflow.start<typeof testConnectionWorkflow>('testConnectionWorkflow', {
      taskQueue: workflowTaskQueue(ctx.settings.namePrefix),
      workflowId: `${ctx.settings.namePrefix}test:${id}:${randomUUID()}`,
      args: [{ connectionId: id }],
      workflowExecutionTimeout: '2m',
      staticSummary: `Test connection ${id}`,
    });
    try {
      const r = await handle.result();
      if (opts.json) printJson(warning ? { ...r, versionWarning: warning.status } : r);
      else if (r.check === 'offline') process.stdout.write(`${color.green('ok')}: config valid (this provider has no credential-check endpoint; checked offline)\n`);
      else process.stdout.write(`${color.green('ok')}: HTTP ${r.status} in ${Math.round(r.latencyMs)} ms\n`);
    } catch (err) {
      if (err instanceof WorkflowFailedError) {
        const cause = err.cause as Error & { type?: string };
        if (opts.json) printJson({ ok: false, code: cause.type, message: cause.message, ...(warning ? { versionWarning: warning.status } : {}) });
        throw new CliError(`${cause.type ?? 'failed'}: ${cause.message}`);
      }
      throw err;
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
      process.stdout.write(`Re-encrypted the secrets of ${result.rotated.length} of ${result.connections} connection(s) under the active key.\n`);
      for (const f of result.failed) process.stderr.write(`  ${f.id}: ${f.message}\n`);
    }
    if (result.failed.length) process.exitCode = 1;
  });
}
