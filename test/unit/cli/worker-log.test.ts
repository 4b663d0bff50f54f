// The worker's log lines (installQuietRuntime): an error in the meta shows its name and message, not
// `{}`, and task tokens (or anything named like a token) never reach the log.
import { ApplicationFailure } from '@temporalio/common';
import { expect, test } from 'vitest';
import { formatLogEntry } from '../../../src/cli/local-stack.js';

const at = BigInt(Date.parse('2026-12-02T10:00:00.000Z')) * 1_000_000n;

test('an Error in the meta is rendered with its name, message, type and cause', () => {
  const cause = new Error('Stripe answered HTTP 429');
  const error = ApplicationFailure.create({ type: 'rate_limited', message: 'slow down', cause });
  const line = formatLogEntry({ level: 'WARN', message: 'Activity failed', timestampNanos: at, meta: { error, durationMs: 12 } });
  expect(line.startsWith('2026-12-02T10:00:00.000Z [WARN] Activity failed ')).toBe(true);
  const meta = JSON.parse(line.slice(line.indexOf('{'))) as Record<string, unknown>;
  expect(meta).toEqual({
    error: { name: 'ApplicationFailure', message: 'slow down', type: 'rate_limited', cause: { name: 'Error', message: 'Stripe answered HTTP 429' } },
    durationMs: 12,
  });
  expect(line).not.toContain('"error":{}');
});

test('task tokens and token-like keys are dropped, at any depth; bigints and bytes do not break the line', () => {
  const line = formatLogEntry({
    level: 'WARN',
    message: 'Activity failed',
    timestampNanos: at,
    meta: { taskToken: 'CiQ2YzQ1ZTk0Zi1hYmNk', activityId: '1', nested: { apiToken: 'x', accessToken: 'y', keep: 1n }, body: new Uint8Array(3) },
  });
  expect(line).not.toMatch(/token/i);
  expect(line).not.toContain('CiQ2YzQ1ZTk0Zi1hYmNk');
  expect(JSON.parse(line.slice(line.indexOf('{')))).toEqual({ activityId: '1', nested: { keep: '1' }, body: '<3 bytes>' });
});

test('no meta, no braces', () => {
  expect(formatLogEntry({ level: 'ERROR', message: 'Worker stopped', timestampNanos: at })).toBe('2026-12-02T10:00:00.000Z [ERROR] Worker stopped');
});
