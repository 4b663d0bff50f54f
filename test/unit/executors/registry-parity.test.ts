// Every registry entry has an executor whose methods match the capabilities it declares.
import { expect, test } from 'vitest';
import { getExecutor } from '../../../src/executors/index.js';
import { connectorRegistry } from '../../../src/registry/index.js';

test.each(Object.values(connectorRegistry).map((c) => [c.id, c] as const))('%s: executor methods match declared capabilities', (id, c) => {
  const exec = getExecutor(id);
  expect(typeof exec.testConnection).toBe('function');
  expect(typeof exec.send === 'function').toBe(c.capabilities.send);
  expect(typeof exec.pull === 'function').toBe(c.capabilities.pull.length > 0);
  expect(typeof exec.trigger === 'function').toBe(c.capabilities.trigger);
  expect(typeof exec.syncStatus === 'function').toBe(c.capabilities.trigger);
});
