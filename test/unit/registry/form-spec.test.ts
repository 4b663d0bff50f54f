// formSpec(id): the plain-JSON form any UI renders, derived from the registry declaration.
import { describe, expect, test } from 'vitest';
import { CONNECTOR_IDS, formSpec, getConnector } from '../../../src/registry/index.js';

function containsFunction(value: unknown): boolean {
  if (typeof value === 'function') return true;
  if (value && typeof value === 'object') return Object.values(value).some(containsFunction);
  return false;
}

describe.each(CONNECTOR_IDS)('formSpec(%s)', (id) => {
  const spec = formSpec(id);
  const connector = getConnector(id);

  test('is plain JSON: round-trips unchanged and holds no functions', () => {
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
    expect(containsFunction(spec)).toBe(false);
  });

  test('describes the connector', () => {
    expect(spec).toMatchObject({
      id,
      name: connector.name,
      category: connector.category,
      docsUrl: connector.docsUrl,
      credentialCheck: connector.credentialCheck,
      capabilities: connector.capabilities,
      idempotency: connector.idempotency,
    });
    expect(spec.notes).toEqual(connector.notes ?? []);
  });

  test('lists every field of every auth method with kind, label, help, required and secret', () => {
    expect(spec.authMethods.map((m) => m.id)).toEqual(connector.authMethods.map((m) => m.id));
    for (const method of connector.authMethods) {
      const form = spec.authMethods.find((m) => m.id === method.id)!;
      expect(form.label).toBe(method.label);
      const declared = [
        ...Object.entries(method.connectionFields).map(([k, f]) => [k, 'connection', f] as const),
        ...Object.entries(method.authFields).map(([k, f]) => [k, 'auth', f] as const),
      ];
      expect(form.fields.map((f) => f.key)).toEqual(declared.map(([k]) => k));
      for (const [key, group, field] of declared) {
        const ff = form.fields.find((f) => f.key === key)!;
        expect(ff).toMatchObject({ key, group, kind: field.kind, label: field.label, help: field.help, required: field.required, secret: field.secret });
        expect(['text', 'password', 'textarea', 'select', 'number']).toContain(ff.kind);
        expect(ff.label.length, `${id}.${key} label`).toBeGreaterThan(1);
        expect(ff.help.length, `${id}.${key} help`).toBeGreaterThan(10);
        if (field.kind === 'select') {
          expect(ff.options?.length, `${id}.${key} options`).toBeGreaterThan(1);
          if (ff.default !== undefined) expect(ff.options!.map((o) => o.value)).toContain(ff.default);
        }
        if (field.kind === 'password') expect(ff.secret).toBe(true);
        if (field.validation && Object.keys(field.validation).length > 0) expect(ff.validation).toEqual(field.validation);
        // A pattern in the form is usable by a browser as is.
        if (ff.validation?.pattern) expect(() => new RegExp(ff.validation!.pattern!, ff.validation!.patternFlags)).not.toThrow();
      }
    }
  });
});
