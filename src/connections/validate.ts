// Validation of a connection before it is stored: nothing invalid ever reaches the store.
import { isSecretRef } from '../core/secret-ref.js';
import { isLoopbackHost } from '../core/url-guard.js';
import { getConnector, isConnectorId } from '../registry/index.js';
import { CONNECTION_ID_PATTERN, ConnectionError, type NewConnection } from './types.js';

export function validateNewConnection(input: NewConnection): NewConnection {
  if (typeof input.id !== 'string' || !CONNECTION_ID_PATTERN.test(input.id)) {
    throw new ConnectionError(
      `Connection id "${String(input.id)}" is invalid: use 1-63 lower-case letters, digits, "-" or "_", starting with a letter or digit`,
      'invalid_config',
      [{ field: 'id', message: 'invalid connection id' }],
    );
  }
  if (!isConnectorId(input.connectorId)) {
    throw new ConnectionError(`Unknown connector "${input.connectorId}"`, 'invalid_config', [{ field: 'connectorId', message: 'unknown connector' }]);
  }
  const connector = getConnector(input.connectorId);
  const result = connector.validateStoredConfig(input.config);
  if (!result.ok) {
    throw new ConnectionError(`Invalid ${connector.name} config for "${input.id}": ${result.message}`, 'invalid_config', result.issues);
  }
  const config = result.config;
  const inline = connector.secretFields(String(config.authMethod)).filter((k) => config[k] !== undefined && !isSecretRef(config[k]));
  if (inline.length > 0) {
    throw new ConnectionError(
      `Secret field(s) ${inline.join(', ')} of "${input.id}" must be references such as "env:MY_TOKEN" or "file:/run/secrets/token"; ` +
        'the worker resolves them, so the secret never has to be written into the connection store',
      'invalid_config',
      inline.map((field) => ({ field, message: 'give a secret reference, not the secret' })),
    );
  }
  if (input.baseUrlOverride !== undefined) {
    let host = '';
    try {
      host = new URL(input.baseUrlOverride).hostname;
    } catch {
      // reported below
    }
    if (!host || !isLoopbackHost(host)) {
      throw new ConnectionError('baseUrlOverride must be a loopback URL (a local sandbox)', 'invalid_config', [
        { field: 'baseUrlOverride', message: 'must be a loopback URL' },
      ]);
    }
  }
  return { ...input, config };
}
