// How metrics are switched on: PIPELINE_METRICS_PORT / _HOST in the settings, and the one set of
// runtime options that carries both the quiet logging and the SDK's Prometheus exporter.
import { describe, expect, test } from 'vitest';
import { quietRuntimeOptions } from '../../../src/cli/local-stack.js';
import { planMetrics } from '../../../src/metrics/server.js';
import { loadSettings } from '../../../src/settings.js';

describe('settings', () => {
  test('no PIPELINE_METRICS_PORT: no metrics; a port (0 included) and a host when set', () => {
    expect(loadSettings({}).metricsPort).toBeUndefined();
    expect(loadSettings({}).metricsHost).toBe('127.0.0.1');
    expect(loadSettings({ PIPELINE_METRICS_PORT: '9464', PIPELINE_METRICS_HOST: '0.0.0.0' })).toMatchObject({ metricsPort: 9464, metricsHost: '0.0.0.0' });
    expect(loadSettings({ PIPELINE_METRICS_PORT: '0' }).metricsPort).toBe(0);
  });

  test('a bad port is refused, naming the variable', () => {
    for (const bad of ['http', '-1', '65536', '9464.5']) {
      expect(() => loadSettings({ PIPELINE_METRICS_PORT: bad })).toThrow(`PIPELINE_METRICS_PORT must be a port number (0 for any free port), not "${bad}"`);
    }
  });
});

describe('runtime options', () => {
  test('logging always; the Prometheus exporter only when an address is given', () => {
    const plain = quietRuntimeOptions();
    expect(plain.telemetryOptions?.logging).toBeDefined();
    expect(plain.telemetryOptions?.metrics).toBeUndefined();
    expect(plain.shutdownSignals).toEqual([]);
    const withMetrics = quietRuntimeOptions({ prometheusBindAddress: '127.0.0.1:45678' });
    expect(withMetrics.telemetryOptions?.logging).toEqual(plain.telemetryOptions?.logging);
    expect(withMetrics.telemetryOptions?.metrics).toEqual({ prometheus: { bindAddress: '127.0.0.1:45678' } });
  });

  test('the SDK exporter gets a private loopback address, apart from the public port', async () => {
    const plan = await planMetrics({ port: 0, host: '127.0.0.1' });
    expect(plan.sdkBindAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(Number(plan.sdkBindAddress.split(':')[1])).toBeGreaterThan(0);
  });
});
