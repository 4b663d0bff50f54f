// Validation of a connection before it is stored: nothing invalid ever reaches the store.
// It is also the one place where inline secrets are encrypted (when a key is configured), so that
// every store holds only references or ciphertext, never a secret in plaintext.
import { isEncryptedSecret, isSecretRef, secretRefProblem } from '../core/secret-ref.js';
import { isLoopbackHost } from '../core/url-guard.js';
import { getConnector, isConnectorId } from '../registry/index.js';
import { SecretBoxError, secretBoxFromEnv, type SecretBox } from './secret-box.js';
import { CONNECTION_ID_PATTERN, ConnectionError, type NewConnection } from './types.js';

export interface ValidateOptions {
  /**
   * Encrypts inline secrets. Default: the key(s) of PIPELINE_SECRETS_KEYS in this process's
   * environment; null refuses inline secrets whatever the environment says.
   */
  secretBox?: SecretBox | null;
}

export function validateNewConnection(input: NewConnection, opts: ValidateOptions = {}): NewConnection {
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
  // `env:` without a name or a relative `file:` path is a reference gone wrong, not an inline secret
  // (nor a value to check against the secret's format): say what is wrong with the reference.
  const raw = input.config && typeof input.config === 'object' ? input.config : {};
  const method = typeof raw.authMethod === 'string' ? raw.authMethod : undefined;
  const malformed = connector
    .secretFields(method)
    .map((field) => ({ field, problem: secretRefProblem(raw[field]) }))
    .filter((x): x is { field: string; problem: string } => x.problem !== null);
  if (malformed.length > 0) {
    throw new ConnectionError(
      `Secret reference(s) of "${input.id}" cannot be resolved: ${malformed.map((m) => `${m.field}: ${m.problem}`).join('; ')}`,
      'invalid_config',
      malformed.map((m) => ({ field: m.field, message: m.problem })),
    );
  }
  const result = connector.validateStoredConfig(input.config);
  if (!result.ok) {
    throw new ConnectionError(`Invalid ${connector.name} config for "${input.id}": ${result.message}`, 'invalid_config', result.issues);
  }
  const config = result.config;
  const box = opts.secretBox === undefined ? configuredSecretBox() : opts.secretBox;
  const secretKeys = connector.secretFields(String(config.authMethod)).filter((k) => config[k] !== undefined);
  const inline = secretKeys.filter((k) => !isSecretRef(config[k]));
  if (inline.length > 0 && !box) {
    throw new ConnectionError(
      `Secret field(s) ${inline.join(', ')} of "${input.id}" must be references such as "env:MY_TOKEN" or "file:/run/secrets/token" ` +
        '(the worker resolves them, so the secret never has to be written into the connection store), ' +
        'or set PIPELINE_SECRETS_KEYS so that inline secrets are stored encrypted',
      'invalid_config',
      inline.map((field) => ({ field, message: 'give a secret reference, not the secret (no encryption key is configured)' })),
    );
  }
  if (box) {
    // A ciphertext pasted from another connection or field, or under a key this deployment does not
    // have, would only fail later on the worker: refuse it now, while the user is there to fix it.
    const undecryptable = secretKeys
      .filter((k) => isEncryptedSecret(config[k]))
      .map((field) => ({ field, problem: decryptProblem(box, config[field] as string, { connectionId: input.id, field }) }))
      .filter((x): x is { field: string; problem: string } => x.problem !== null);
    if (undecryptable.length > 0) {
      throw new ConnectionError(
        `Encrypted secret field(s) of "${input.id}" cannot be used: ${undecryptable.map((u) => `${u.field}: ${u.problem}`).join('; ')}`,
        'invalid_config',
        undecryptable.map((u) => ({ field: u.field, message: u.problem })),
      );
    }
    for (const field of inline) config[field] = box.encrypt(String(config[field]), { connectionId: input.id, field });
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

function decryptProblem(box: SecretBox, value: string, slot: { connectionId: string; field: string }): string | null {
  try {
    box.decrypt(value, slot);
    return null;
  } catch (err) {
    if (err instanceof SecretBoxError) return err.message;
    throw err;
  }
}

function configuredSecretBox(): SecretBox | null {
  try {
    return secretBoxFromEnv();
  } catch (err) {
    throw new ConnectionError(`Cannot encrypt secrets: ${(err as Error).message}`, 'invalid_config');
  }
}
