// Field rules against hostile input: every text field has a length limit and a character rule from
// the field builders (overridable per field), checked before any pattern runs, and the registry's
// patterns take linear time even on values past those limits.
import { performance } from 'node:perf_hooks';
import { describe, expect, test } from 'vitest';
import { CONNECTOR_IDS, DEFAULT_MAX_LENGTH, getConnector, type AnyField, type ConnectorId } from '../../../src/registry/index.js';
import { sampleFor } from '../../helpers/registry-samples.js';

const textKinds = new Set(['text', 'password', 'textarea']);

/** Every text field of every connector and auth method. */
const textFields = CONNECTOR_IDS.flatMap((id) =>
  getConnector(id).authMethods.flatMap((m) =>
    Object.entries({ ...m.connectionFields, ...m.authFields })
      .filter(([, f]) => textKinds.has(f.kind))
      .map(([key, field]) => ({ id, authMethod: m.id, key, field })),
  ),
);

function validate(id: ConnectorId, authMethod: string, key: string, value: string) {
  return getConnector(id).validateConfig({ ...sampleFor(id, authMethod), [key]: value });
}

/** A value of the field the sample holds, or a plain one. */
function baseValue(id: ConnectorId, authMethod: string, key: string): string {
  const v = sampleFor(id, authMethod)[key];
  return typeof v === 'string' && v.length > 2 ? v : 'abcdef';
}

describe('regular-expression denial of service', () => {
  // 'a@' + 64 K dots + '@' made the old email patterns backtrack over every dot: 8-12 s each.
  const hostile = `a@${'.'.repeat(65_536)}@`;

  test.each([
    ['zendesk', 'api_token', 'email'],
    ['sendgrid', 'api_key', 'fromEmail'],
    ['postmark', 'server_token', 'fromEmail'],
  ] as const)('%s %s: a 64 KB hostile email validates in linear time, refused by its length', (id, authMethod, key) => {
    const started = performance.now();
    const result = validate(id, authMethod, key, hostile);
    // Today about a millisecond; the quadratic patterns took seconds. The bound is generous on purpose.
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.message).toMatch(new RegExp(`\\(${key}\\) must be at most 256 characters`));
  }, 60_000);

  test('every registry pattern runs in linear time even on hostile values past the length limit', () => {
    const chars = ['a', '.', '@', ' ', '-', '<', '>', '"', '/', '0', '_'];
    const n = 32_768;
    const patterns = [...new Set(textFields.map(({ field }) => field.validation?.pattern && `${field.validation.pattern}\u0000${field.validation.patternFlags ?? ''}`).filter(Boolean))] as string[];
    expect(patterns.length).toBeGreaterThan(20);
    let slowest = { ms: 0, what: '' };
    for (const p of patterns) {
      const [source, flags] = p.split('\u0000') as [string, string];
      const re = new RegExp(`^(?:${source})$`, flags);
      for (const x of chars) {
        for (const y of chars) {
          for (const value of [`a@${x.repeat(n)}${y}`, `${x.repeat(n)}${y}`, `a@a${x.repeat(n)}${y}`]) {
            const started = performance.now();
            re.test(value);
            const ms = performance.now() - started;
            if (ms > slowest.ms) slowest = { ms, what: `/${source}/ on ${JSON.stringify(value.slice(0, 4))}…` };
          }
        }
      }
    }
    // A linear pattern scans 32 K characters in well under a millisecond; a quadratic one takes seconds.
    expect(slowest.ms, slowest.what).toBeLessThan(500);
  }, 120_000);

  test('the linear email patterns still accept addresses and refuse non-addresses', () => {
    for (const good of ['agent@example.com', 'a.b+c@sub.example.co.uk']) {
      expect(validate('zendesk', 'api_token', 'email', good).ok, good).toBe(true);
      expect(validate('sendgrid', 'api_key', 'fromEmail', good).ok, good).toBe(true);
      expect(validate('postmark', 'server_token', 'fromEmail', good).ok, good).toBe(true);
      expect(validate('postmark', 'server_token', 'fromEmail', `App Name <${good}>`).ok, good).toBe(true);
    }
    for (const bad of ['agent@example', 'agent@@example.com', 'agent@example..com', 'agent@.example.com', 'agent@example.com.', 'a b@example.com']) {
      expect(validate('zendesk', 'api_token', 'email', bad).ok, bad).toBe(false);
      expect(validate('sendgrid', 'api_key', 'fromEmail', bad).ok, bad).toBe(false);
      expect(validate('postmark', 'server_token', 'fromEmail', bad).ok, bad).toBe(false);
    }
  });
});

describe('every text field has a length limit and a character rule by default', () => {
  test('the form spec shows them for every text, password and textarea field', () => {
    for (const { id, key, field } of textFields) {
      const spec = getConnector(id).formSpec().authMethods.flatMap((m) => m.fields).find((f) => f.key === key)!;
      expect(spec.validation?.maxLength, `${id}.${key}`).toBeGreaterThan(0);
      expect(spec.validation?.characters, `${id}.${key}`).toBe(field.kind === 'textarea' ? 'multi_line' : 'single_line');
    }
  });

  test('defaults by kind, URL fields their own, and per-field overrides', () => {
    const hints = (id: ConnectorId, key: string) =>
      getConnector(id).authMethods.flatMap((m) => Object.entries({ ...m.connectionFields, ...m.authFields })).find(([k]) => k === key)![1].validation;
    expect(hints('zendesk', 'email')?.maxLength).toBe(DEFAULT_MAX_LENGTH.text);
    expect(hints('zendesk', 'apiToken')?.maxLength).toBe(DEFAULT_MAX_LENGTH.password);
    expect(hints('slack', 'webhookUrl')?.maxLength).toBe(DEFAULT_MAX_LENGTH.url);
    expect(hints('databricks', 'host')?.maxLength).toBe(DEFAULT_MAX_LENGTH.url);
    expect(hints('sendgrid', 'fromName')?.maxLength).toBe(100);
    expect(hints('snowpipe', 'privateKeyPem')).toMatchObject({ maxLength: 16_384, characters: 'multi_line' });
  });

  const hostile: [string, string, RegExp][] = [
    ['NUL', '\u0000', /U\+0000 \(NUL\)/],
    ['CR LF', '\r\n', /U\+000D \(carriage return\)/],
    ['a line feed', '\n', /U\+000A \(line feed\)/],
    ['DEL', '\u007f', /U\+007F \(DEL\)/],
    ['a zero-width space', '\u200b', /U\+200B \(zero-width space\)/],
    ['a right-to-left override', '\u202e', /U\+202E \(a bidirectional text control\)/],
    ['a byte-order mark', '\ufeff', /U\+FEFF/],
    ['an unpaired surrogate', '\ud800', /U\+D800 \(an unpaired surrogate\)/],
  ];

  describe.each(textFields.map((f) => [`${f.id}.${f.key} (${f.authMethod})`, f] as const))('%s', (_name, { id, authMethod, key, field }) => {
    const base = baseValue(id, authMethod, key);
    const multiLine = (field as AnyField).kind === 'textarea';

    test.each(hostile.filter(([name]) => !(multiLine && (name === 'CR LF' || name === 'a line feed'))))('%s inside the value is refused, naming the field and the character', (_n, ch, named) => {
      const result = validate(id, authMethod, key, `${base.slice(0, 2)}${ch}${base.slice(2)}`);
      expect(result.ok).toBe(false);
      const message = result.ok ? '' : result.message;
      expect(message).toContain(`(${key})`);
      expect(message).toMatch(named);
    });

    test('a 1 MB value is refused by length before any other rule, quickly', () => {
      const started = performance.now();
      const result = validate(id, authMethod, key, base.repeat(Math.ceil(1_048_576 / base.length)));
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(result.ok ? '' : result.message).toMatch(new RegExp(`\\(${key}\\) must be at most [\\d,]+ characters \\(got [\\d,]+\\)`));
    });
  });

  test('a textarea keeps its line breaks (a PEM key) and a stored config still takes secret references', () => {
    const sample = sampleFor('snowpipe', 'key_pair');
    expect(String(sample.privateKeyPem)).toContain('\n');
    expect(getConnector('snowpipe').validateConfig(sample).ok).toBe(true);
    expect(getConnector('zendesk').validateStoredConfig({ ...sampleFor('zendesk', 'api_token'), apiToken: 'env:ZENDESK_TOKEN' }).ok).toBe(true);
    expect(getConnector('zendesk').validateStoredConfig({ ...sampleFor('zendesk', 'api_token'), apiToken: 'env:ZENDESK\nTOKEN' }).ok).toBe(false);
  });

  test('ordinary non-ASCII text is not refused (a sender name in another script)', () => {
    expect(validate('sendgrid', 'api_key', 'fromName', 'Équipe Zürich 東京').ok).toBe(true);
  });

  test('unknown keys of any size are named briefly', () => {
    const result = getConnector('zendesk').validateConfig({ ...sampleFor('zendesk', 'api_token'), ['k'.repeat(100_000)]: 1 });
    expect(result.ok ? '' : result.message.length).toBeLessThan(500);
  });
});
