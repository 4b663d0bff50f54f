// `pipeline worker`: a long-running worker against the configured Temporal server.
import { NativeConnection } from '@temporalio/worker';
import { createConnectionStore } from '../../connections/index.js';
import { reportVersionWarnings } from '../../connections/version-warnings.js';
import { getConnector } from '../../registry/index.js';
import { createSink } from '../../sinks/index.js';
import { createLeases } from '../../policies/leases.js';
import { temporalConnectionOptions } from '../../temporal/connection-options.js';
import { loadSettings } from '../../settings.js';
import { createPipelineWorker } from '../../temporal/worker.js';
import { dataConverterFromEnv } from '../../temporal/codec.js';
import { planMetrics } from '../../metrics/server.js';
import { installQuietRuntime } from '../local-stack.js';
import { CliError } from '../output.js';
import { describeRateMode } from '../rate-mode.js';

export async function workerCommand(opts: { connectors?: string; metricsPort?: number; metricsHost?: string }): Promise<void> {
  const settings = loadSettings();
  const metricsPort = opts.metricsPort ?? settings.metricsPort;
  if (opts.metricsHost !== undefined && metricsPort === undefined) throw new CliError('--metrics-host needs --metrics-port (or PIPELINE_METRICS_PORT): no metrics are served without a port');
  // The SDK's exporter is part of the runtime's options, so its address is chosen before the install.
  const metricsPlan = metricsPort !== undefined ? await planMetrics({ port: metricsPort, host: opts.metricsHost ?? settings.metricsHost }) : null;
  installQuietRuntime(metricsPlan ? { prometheusBindAddress: metricsPlan.sdkBindAddress } : {});
  const connectors = opts.connectors?.split(',').map((s) => s.trim()).filter(Boolean);
  for (const id of connectors ?? []) getConnector(id); // fails with the list of known ids
  let connection: NativeConnection;
  try {
    connection = await NativeConnection.connect(temporalConnectionOptions(settings.temporalAddress));
  } catch (err) {
    throw new CliError(`Cannot reach Temporal at ${settings.temporalAddress}: ${(err as Error).message}. Start one with \`pipeline dev\` or set TEMPORAL_ADDRESS.`);
  }
  const metrics = (await metricsPlan?.start()) ?? null;
  // On stderr, like the other start-up notes, so that stdout stays the worker's own line.
  if (metrics) process.stderr.write(`Metrics: ${metrics.url}\n`);
  const sink = createSink(settings);
  const store = createConnectionStore(settings);
  const leases = await createLeases(settings);
  const worker = await createPipelineWorker({
    connection,
    namespace: settings.namespace,
    store,
    sink,
    namePrefix: settings.namePrefix,
    dataConverter: dataConverterFromEnv(),
    ...(settings.policyOverrides ? { policyOverrides: settings.policyOverrides } : {}),
    ...(connectors ? { connectors } : {}),
    rateMode: settings.rateMode,
    leases,
    ...(metrics ? { metrics: metrics.metrics } : {}),
    onRateMode: (d) => process.stderr.write(`${describeRateMode(d)}\n`),
  });
  const stop = () => worker.shutdown();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.stdout.write(`Worker polling ${settings.temporalAddress} (namespace ${settings.namespace}); Ctrl-C to stop.\n`);
  await reportVersionWarnings(store, connectors, (line) => process.stderr.write(`${line}\n`));
  await worker.run();
  await sink.close();
  await store.close?.();
  await leases.close?.();
  await connection.close();
  await metrics?.close();
}
