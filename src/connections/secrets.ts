// Secret resolution: runs on the worker only, right before a call. The resolved config lives in
// memory for the duration of one activity and is never returned, logged or stored.
// Also key rotation of secrets stored encrypted (rotateSecrets), which needs the same field walk.
import { readFile } from 'node:fs/promises';
import { isEncryptedSecret, parseSecretRef, secretRefProblem } from '../core/secret-ref.js';
import { getConnector } from '../registry/index.js';
import { keyIdOf, SecretBoxError, secretBoxFromEnv, type SecretBox } from './secret-box.js';
import { ConnectionError, type ConnectionRecord, type ConnectionStore } from './types.js';

export async function resolveSecrets(record: ConnectionRecord, env: NodeJS.ProcessEnv = process.env): Promise<Record<string, unknown>> {
  const connector = getConnector(record.connectorId);
  const config: Record<string, unknown> = { ...record.config };
  for (const key of connector.secretFields(String(config.authMethod))) {
    if (isEncryptedSecret(config[key])) {
      config[key] = decryptField(record, key, config[key], env);
      continue;
    }
    // A malformed reference stored before validation refused them: say so, never use it as the secret.
    const problem = secretRefProblem(config[key]);
    if (problem) throw new ConnectionError(`${key} of connection "${record.id}" is not a usable secret reference: ${problem}`, 'invalid_config');
    const ref = parseSecretRef(config[key]);
    if (!ref) continue;
    if (ref.kind === 'env') {
      // Own variables only: env:constructor or env:toString name no variable, whatever the prototype has.
      const value = Object.hasOwn(env, ref.name) ? env[ref.name] : undefined;
      if (typeof value !== 'string' || value === '') {
        throw new ConnectionError(`${key} of connection "${record.id}" refers to env:${ref.name}, which is not set on this worker`, 'missing_secret');
      }
      config[key] = value;
    } else {
      try {
        // Secret files usually end with a newline that is not part of the secret.
        config[key] = (await readFile(ref.path, 'utf8')).replace(/\r?\n$/, '');
      } catch (err) {
        throw new ConnectionError(
          `${key} of connection "${record.id}" refers to file:${ref.path}, which cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
          'missing_secret',
        );
      }
    }
  }
  return config;
}

function decryptField(record: ConnectionRecord, field: string, value: string, env: NodeJS.ProcessEnv): string {
  const where = `${field} of connection "${record.id}" is stored encrypted`;
  let box: SecretBox | null;
  try {
    box = secretBoxFromEnv(env);
  } catch (err) {
    throw new ConnectionError(`${where}, but this worker's keys are unusable: ${(err as Error).message}`, 'missing_secret');
  }
  if (!box) throw new ConnectionError(`${where}, but PIPELINE_SECRETS_KEYS is not set on this worker`, 'missing_secret');
  try {
    return box.decrypt(value, { connectionId: record.id, field });
  } catch (err) {
    if (!(err instanceof SecretBoxError)) throw err;
    const hint = err.reason === 'unknown_key' ? ' (add that key to PIPELINE_SECRETS_KEYS on this worker)' : '';
    throw new ConnectionError(`${where} and cannot be decrypted: ${err.message}${hint}`, 'missing_secret');
  }
}

export interface RotationReport {
  /** Connections looked at. */
  connections: number;
  /** Connections whose encrypted secrets were rewritten under the active key. */
  rotated: string[];
  /** Connections left as they were, with the reason (secret-free). */
  failed: { id: string; message: string }[];
}

/**
 * Rewrites every encrypted secret that is not under the active key, connection by connection
 * (each one a single validated `put`, so a failure leaves that connection as it was). Once it
 * reports no failures, the old keys can be removed from PIPELINE_SECRETS_KEYS.
 * The store has no compare-and-swap: run it while nobody else is editing connections.
 */
export async function rotateSecrets(store: ConnectionStore, box: SecretBox | null = secretBoxFromEnv()): Promise<RotationReport> {
  if (!box) throw new Error('Cannot rotate secrets: PIPELINE_SECRETS_KEYS is not set');
  const report: RotationReport = { connections: 0, rotated: [], failed: [] };
  for (const listed of await store.list()) {
    report.connections++;
    try {
      // Re-read right before rewriting, to keep the window for a concurrent edit small.
      const record = await store.get(listed.id);
      if (!record) continue;
      const config = reencryptConfig(record, box);
      if (!config) continue;
      await store.put({
        id: record.id,
        connectorId: record.connectorId,
        config,
        ...(record.baseUrlOverride !== undefined ? { baseUrlOverride: record.baseUrlOverride } : {}),
      });
      report.rotated.push(record.id);
    } catch (err) {
      const message = err instanceof SecretBoxError ? `a secret cannot be decrypted: ${err.message}` : (err as Error).message;
      report.failed.push({ id: listed.id, message });
    }
  }
  return report;
}

/** The config with its encrypted secrets under the active key, or null when nothing changes. */
function reencryptConfig(record: ConnectionRecord, box: SecretBox): Record<string, unknown> | null {
  const connector = getConnector(record.connectorId);
  const config = { ...record.config };
  let changed = false;
  for (const field of connector.secretFields(String(config.authMethod))) {
    const value = config[field];
    if (!isEncryptedSecret(value) || keyIdOf(value) === box.activeKeyId) continue;
    config[field] = box.reencrypt(value, { connectionId: record.id, field });
    changed = true;
  }
  return changed ? config : null;
}
