// A value that starts like a secret reference but is not a usable one (`env:` with no name, a
// relative `file:` path) gets its own message, and is never taken for the secret itself: not stored,
// not encrypted as an inline secret, not resolved as the secret on the worker.
import { describe, expect, test } from 'vitest';
import { resolveSecrets } from '../../../src/connections/secrets.js';
import { SecretBox } from '../../../src/connections/secret-box.js';
import { ConnectionError, type ConnectionRecord } from '../../../src/connections/types.js';
import { validateNewConnection } from '../../../src/connections/validate.js';
import { secretRefProblem } from '../../../src/core/secret-ref.js';

describe('secretRefProblem', () => {
  test('env: with no name, or with a name that is not one', () => {
    expect(secretRefProblem('env:')).toBe('"env:" names no environment variable: write env:NAME, e.g. env:SHOPIFY_TOKEN');
    expect(secretRefProblem('env:MY-TOKEN')).toMatch(/"env:MY-TOKEN" is not an environment variable name/);
  });
  test('file: with a relative path, or none', () => {
    expect(secretRefProblem('file:secrets/token')).toMatch(/^"file:secrets\/token" is a relative path: give an absolute one such as file:\/run\/secrets\/token/);
    expect(secretRefProblem('file:')).toMatch(/names no file/);
  });
  test('valid references, encrypted values and ordinary values have no problem', () => {
    for (const v of ['env:MY_TOKEN', 'file:/run/secrets/t', 'shpat_abc', 42, undefined]) expect(secretRefProblem(v)).toBeNull();
  });
});

describe('validation', () => {
  const box = new SecretBox({ k1: Buffer.alloc(32, 7) }, 'k1');
  test.each([
    ['env:', /secretKey: "env:" names no environment variable/],
    ['file:keys/stripe', /secretKey: "file:keys\/stripe" is a relative path/],
  ])('%s is refused with its own message, even when inline secrets could be encrypted', (value, message) => {
    for (const secretBox of [null, box]) {
      let err: unknown;
      try {
        validateNewConnection({ id: 'pay', connectorId: 'stripe', config: { secretKey: value } }, { secretBox });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConnectionError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toMatch(/must be references/);
    }
  });
});

test('the worker refuses a malformed reference stored earlier instead of sending it as the secret', async () => {
  const record: ConnectionRecord = { id: 'pay', connectorId: 'stripe', config: { authMethod: 'secret_key', secretKey: 'env:' }, createdAt: '', updatedAt: '' };
  await expect(resolveSecrets(record, {})).rejects.toThrow('secretKey of connection "pay" is not a usable secret reference: "env:" names no environment variable');
});
