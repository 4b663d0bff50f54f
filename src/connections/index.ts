import type { Settings } from '../settings.js';
import { FileConnectionStore } from './file-store.js';
import { PostgresConnectionStore } from './postgres-store.js';
import type { ConnectionStore } from './types.js';

/** The store this deployment is configured for (PIPELINE_CONNECTION_STORE: file, the default, or postgres). */
export function createConnectionStore(
  settings: Pick<Settings, 'connectionsFile'> & Partial<Pick<Settings, 'connectionStore' | 'databaseUrl' | 'databaseSchema'>>,
): ConnectionStore {
  const kind = settings.connectionStore ?? 'file';
  if (kind === 'file') return new FileConnectionStore(settings.connectionsFile);
  if (kind === 'postgres') {
    if (!settings.databaseUrl) {
      throw new Error('PIPELINE_CONNECTION_STORE=postgres needs PIPELINE_DATABASE_URL (or DATABASE_URL), e.g. postgres://user@host:5432/db');
    }
    return new PostgresConnectionStore({ connectionString: settings.databaseUrl, schema: settings.databaseSchema ?? 'pipeline' });
  }
  throw new Error(`Connection store "${String(kind)}" is not available in this build`);
}

export * from './types.js';
export { FileConnectionStore } from './file-store.js';
export { PostgresConnectionStore, type PostgresConnectionStoreOptions } from './postgres-store.js';
export { resolveSecrets, rotateSecrets, type RotationReport } from './secrets.js';
export { SecretBox, SecretBoxError, secretBoxFromEnv, keyIdOf, type SecretSlot, type SecretBoxFailure } from './secret-box.js';
export { validateNewConnection, type ValidateOptions } from './validate.js';
