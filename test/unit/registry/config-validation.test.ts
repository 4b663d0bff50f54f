// Generated for every connector and auth method: valid samples pass, each required field is needed,
// and secret fields take env:/file: references only where a stored config allows them.
import { describe, expect, test } from 'vitest';
import { CONNECTOR_IDS, getConnector, type AnyField, type ConnectorId } from '../../../src/registry/index.js';
import { sampleFor, validSamples } from '../../helpers/registry-samples.js';

function fieldsOf(id: ConnectorId, authMethod: string): [string, AnyField][] {
  const method = getConnector(id).authMethods.find((m) => m.id === authMethod);
  if (!method) throw new Error(`${id} has no auth method ${authMethod}`);
  return Object.entries({ ...method.connectionFields, ...method.authFields });
}

/** A rule on the value's shape, which an unresolved reference cannot satisfy. */
function formatMatters(field: AnyField): boolean {
  return Boolean(field.validation?.pattern || field.validation?.url || field.check);
}

const cases = CONNECTOR_IDS.flatMap((id) => getConnector(id).authMethods.map((m) => [id, m.id] as const));

test('every connector and auth method has a sample', () => {
  for (const id of CONNECTOR_IDS) {
    expect(Object.keys(validSamples[id]).sort(), id).toEqual(getConnector(id).authMethods.map((m) => m.id).sort());
  }
});

describe.each(cases)('%s / %s', (id, authMethod) => {
  const connector = getConnector(id);
  const fields = fieldsOf(id, authMethod);
  const required = fields.filter(([, f]) => f.required).map(([k]) => k);

  test('the valid sample passes validateConfig and validateStoredConfig', () => {
    const full = connector.validateConfig(sampleFor(id, authMethod));
    expect(full.ok ? null : full.message).toBeNull();
    const stored = connector.validateStoredConfig(sampleFor(id, authMethod));
    expect(stored.ok ? null : stored.message).toBeNull();
  });

  test('the required fields alone are enough, apart from cross-field rules on optional fields', () => {
    const sample = sampleFor(id, authMethod);
    const minimal: Record<string, unknown> = { authMethod };
    for (const key of required) minimal[key] = sample[key];
    const result = connector.validateConfig(minimal);
    if (!result.ok) {
      // Only a connector-level rule ("from or messagingServiceSid") may object, and on an optional field.
      expect(connector.refine, result.message).toBeDefined();
      for (const issue of result.issues) expect(required).not.toContain(issue.field);
      const refined = connector.refine!(minimal).map((i) => i.field);
      expect(refined.length).toBeGreaterThan(0);
    }
  });

  test('defaults are filled in for optional fields that declare one', () => {
    const sample = sampleFor(id, authMethod);
    const withDefaults = fields.filter(([k, f]) => !f.required && f.default !== undefined && !(k in sample));
    const result = connector.validateConfig(sample);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    for (const [key, field] of withDefaults) expect((result.config as Record<string, unknown>)[key], key).toEqual(field.default);
  });

  test.each(required)('without %s it fails, naming the field', (key) => {
    for (const missing of [undefined, '']) {
      const config = sampleFor(id, authMethod);
      if (missing === undefined) delete config[key];
      else config[key] = missing;
      for (const result of [connector.validateConfig(config), connector.validateStoredConfig(config)]) {
        expect(result.ok).toBe(false);
        if (result.ok) continue;
        const issue = result.issues.find((i) => i.field === key);
        expect(issue, `${id}.${key} ${JSON.stringify(result.issues)}`).toBeDefined();
        expect(issue!.message).toContain(key);
        expect(result.message).toContain(key);
      }
    }
  });

  const secrets = fields.filter(([, f]) => f.secret);
  if (secrets.length > 0) {
    test.each(secrets.map(([k]) => k))('secret %s: a stored config may reference it; a usable one must hold the value', (key) => {
      const field = fields.find(([k]) => k === key)![1];
      for (const ref of ['env:SOME_NAME', 'file:/run/secrets/some_name']) {
        const config = { ...sampleFor(id, authMethod), [key]: ref };
        const stored = connector.validateStoredConfig(config);
        expect(stored.ok ? null : stored.message).toBeNull();
        if (stored.ok) expect(stored.config[key]).toBe(ref);
        if (formatMatters(field)) {
          const usable = connector.validateConfig(config);
          expect(usable.ok, `${id}.${key} must not accept ${ref} as a value`).toBe(false);
          if (!usable.ok) expect(usable.issues.some((i) => i.field === key)).toBe(true);
        }
      }
      // Only well-formed references count: anything else is a literal value and is checked as such.
      if (formatMatters(field)) {
        const notARef = connector.validateStoredConfig({ ...sampleFor(id, authMethod), [key]: 'env:not a name' });
        expect(notARef.ok).toBe(false);
      }
    });
  }

  test('unknown fields are refused, naming them', () => {
    const result = connector.validateConfig({ ...sampleFor(id, authMethod), notAField: 'x' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain('notAField');
  });

  test('secret values are kept byte for byte; secretFields lists them', () => {
    expect(connector.secretFields(authMethod).sort()).toEqual(secrets.map(([k]) => k).sort());
    const result = connector.validateConfig(sampleFor(id, authMethod));
    if (!result.ok) throw new Error(result.message);
    for (const [key] of secrets) {
      const value = sampleFor(id, authMethod)[key];
      if (value !== undefined) expect((result.config as Record<string, unknown>)[key]).toBe(value);
    }
  });
});

test('a wrong auth method is refused with the list of valid ones', () => {
  const result = getConnector('twilio').validateConfig({ ...sampleFor('twilio', 'auth_token'), authMethod: 'password' });
  expect(result.ok).toBe(false);
  if (!result.ok) expect(result.message).toMatch(/auth_token, api_key/);
});

test('a single-method connector does not need authMethod', () => {
  const { authMethod: _unused, ...rest } = sampleFor('slack', 'webhook_url');
  expect(getConnector('slack').validateConfig(rest).ok).toBe(true);
});
