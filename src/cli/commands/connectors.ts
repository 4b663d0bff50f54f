// `pipeline connectors list | show <id>`: the registry, for people and scripts.
import { createConnectionStore } from '../../connections/index.js';
import { formatVersionWarning, versionWarnings, type VersionWarning } from '../../connections/version-warnings.js';
import { connectorRegistry, formSpec, getConnector, versionStatus } from '../../registry/index.js';
import { loadSettings } from '../../settings.js';
import { requireConnectorId } from '../lookup.js';
import { color, printJson, printTable } from '../output.js';

/** The registered connections of a connector whose pinned version needs a warning; none when no store is reachable. */
async function storedWarnings(connectorId: string): Promise<VersionWarning[]> {
  let store;
  try {
    store = createConnectionStore(loadSettings());
    return await versionWarnings(store, [connectorId]);
  } catch {
    return []; // `connectors show` describes the registry; a missing or unreachable store is not its failure
  } finally {
    await store?.close?.().catch(() => undefined);
  }
}

export function connectorsList(opts: { json?: boolean }): void {
  const rows = Object.values(connectorRegistry).map((c) => ({
    id: c.id,
    name: c.name,
    category: c.category,
    test: c.capabilities.testConnection,
    send: c.capabilities.send ? 'yes' : '',
    pull: c.capabilities.pull.join(','),
    trigger: c.capabilities.trigger ? 'yes' : '',
    dedup: c.idempotency.supported ? c.idempotency.via : '',
  }));
  if (opts.json) printJson(rows);
  else printTable(rows, ['id', 'name', 'category', 'test', 'send', 'pull', 'trigger', 'dedup']);
}

export async function connectorsShow(id: string, opts: { json?: boolean }): Promise<void> {
  requireConnectorId(id);
  const spec = formSpec(id);
  const connector = getConnector(id);
  const policy = connector.policy;
  const warnings = await storedWarnings(id);
  if (opts.json) {
    printJson({ ...spec, policy, ...(connector.apiVersion ? { versionWarnings: warnings.map((w) => ({ connectionId: w.connectionId, ...w.status })) } : {}) });
    return;
  }
  const out = process.stdout;
  out.write(`${color.bold(spec.name)} (${spec.id}) — ${spec.description}\n${color.dim(spec.docsUrl)}\n\n`);
  out.write(`Credential check: ${spec.credentialCheck}\n`);
  out.write(`De-duplication: ${spec.idempotency.supported ? `yes, via ${spec.idempotency.via}` : 'none'} — ${spec.idempotency.note}\n`);
  for (const m of spec.authMethods) {
    out.write(`\n${color.bold(`Auth method "${m.id}"`)}: ${m.label}${m.help ? `\n  ${color.dim(m.help)}` : ''}\n`);
    for (const f of m.fields) {
      const flags = [f.required ? 'required' : 'optional', f.secret ? 'secret' : null, f.default !== undefined ? `default ${JSON.stringify(f.default)}` : null]
        .filter(Boolean)
        .join(', ');
      const options = f.options ? ` one of: ${f.options.map((o) => o.value).join(' | ')}` : '';
      out.write(`  ${f.key.padEnd(24)} ${f.kind.padEnd(9)} ${flags}${options}\n  ${' '.repeat(24)} ${color.dim(f.help)}\n`);
    }
  }
  out.write(`\n${color.bold('Policy')} (${policy.source})\n`);
  out.write(`  rate        ${policy.rate.requestsPerSecond}/s across all workers, ${policy.rate.concurrency} at once per worker\n`);
  out.write(`  retry       from ${policy.retry.initialIntervalMs} ms x${policy.retry.backoffCoefficient} up to ${policy.retry.maximumIntervalMs} ms, ${policy.retry.maximumAttempts} attempts\n`);
  out.write(`  timeouts    request ${policy.timeouts.requestMs} ms, attempt ${policy.timeouts.startToCloseMs} ms, overall ${policy.timeouts.scheduleToCloseMs} ms${policy.timeouts.heartbeatMs ? `, heartbeat ${policy.timeouts.heartbeatMs} ms` : ''}\n`);
  out.write(`  circuit     opens after ${policy.circuit.failureThreshold} failures for ${policy.circuit.openMs} ms\n`);
  if (policy.pull) out.write(`  pull        pages of ${policy.pull.defaultPageSize} (max ${policy.pull.maxPageSize}), ${policy.pull.overlapMs} ms overlap\n`);
  if (connector.apiVersion) {
    const v = connector.apiVersion;
    out.write(`\n${color.bold(v.label.charAt(0).toUpperCase() + v.label.slice(1))}s (field ${v.field}; ${v.source})\n  ${color.dim(v.rule)}\n`);
    for (const spec of v.versions) {
      const status = versionStatus(connector.name, v, spec.version);
      const dates = [spec.supportedUntil && `supported until ${spec.supportedUntil}`, spec.retiresOn && `retires ${spec.retiresOn}`].filter(Boolean).join(', ');
      const label = status.state.padEnd(10);
      const tag = status.state === 'current' ? color.green(label) : status.state === 'supported' ? label : color.yellow(label);
      out.write(`  ${spec.version.padEnd(12)} ${tag} ${dates}\n`);
    }
    for (const w of warnings) out.write(`${color.yellow('warning')}: ${formatVersionWarning(w)}\n`);
  }
  for (const note of spec.notes) out.write(`\nNote: ${note}\n`);
}
