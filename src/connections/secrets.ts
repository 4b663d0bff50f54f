// Secret resolution: runs on the worker only, right before a call. The resolved config lives in
// memory for the duration of one activity and is never returned, logged or stored.
import { readFile } from 'node:fs/promises';
import { parseSecretRef } from '../core/secret-ref.js';
import { getConnector } from '../registry/index.js';
import { ConnectionError, type ConnectionRecord } from './types.js';

export async function resolveSecrets(record: ConnectionRecord, env: NodeJS.ProcessEnv = process.env): Promise<Record<string, unknown>> {
  const connector = getConnector(record.connectorId);
  const config: Record<string, unknown> = { ...record.config };
  for (const key of connector.secretFields(String(config.authMethod))) {
    const ref = parseSecretRef(config[key]);
    if (!ref) continue;
    if (ref.kind === 'env') {
      const value = env[ref.name];
      if (value === undefined || value === '') {
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
