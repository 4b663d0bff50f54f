// A pipeline worker in its own process, for tests that kill it (SIGKILL) at a chosen moment. Like
// `pipeline worker`, configured from the environment, plus test hooks:
//   TEST_FINISH_DELAY_MS   the sink's end-of-run compaction waits this long first (a slow compaction)
//   TEST_MARKER_DIR        a file "finishing" is written there when the compaction starts
//   TEST_CONNECTORS        comma-separated connector queues to poll
// Run it with: node --import tsx test/helpers/worker-process.ts
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import lockfile from 'proper-lockfile';
import { FileConnectionStore } from '../../src/connections/file-store.js';
import { FileLeases } from '../../src/policies/leases.js';
import { JsonlSink } from '../../src/sinks/jsonl.js';
import type { StreamRef } from '../../src/sinks/types.js';
import { loadSettings } from '../../src/settings.js';
import { createPipelineWorker } from '../../src/temporal/worker.js';
import { installQuietRuntime } from '../../src/cli/local-stack.js';
import { describeRateMode } from '../../src/cli/rate-mode.js';

class SlowFinishSink extends JsonlSink {
  constructor(dataDir: string, private readonly delayMs: number, private readonly markerDir: string | undefined) {
    super(dataDir);
  }

  // Holds the file's lock while it dawdles, as a compaction of a huge file would: a kill now leaves
  // the lock behind, which the next attempt must get past.
  override async finishRun(ref: StreamRef): Promise<{ records: number }> {
    const release = await lockfile.lock(this.filePath(ref), { realpath: false, stale: 10_000 });
    if (this.markerDir) await writeFile(join(this.markerDir, 'finishing'), new Date().toISOString());
    await new Promise((r) => setTimeout(r, this.delayMs));
    await release();
    return super.finishRun(ref);
  }
}

const settings = loadSettings();
installQuietRuntime();
const connection = await NativeConnection.connect({ address: settings.temporalAddress });
const delay = Number(process.env.TEST_FINISH_DELAY_MS ?? 0);
const sink = delay > 0 ? new SlowFinishSink(settings.dataDir, delay, process.env.TEST_MARKER_DIR) : new JsonlSink(settings.dataDir);
const worker = await createPipelineWorker({
  connection,
  namespace: settings.namespace,
  store: new FileConnectionStore(settings.connectionsFile),
  sink,
  namePrefix: settings.namePrefix,
  leases: new FileLeases(join(settings.home, 'leases')),
  rateMode: settings.rateMode,
  onRateMode: (d) => process.stderr.write(`${describeRateMode(d)}\n`),
  ...(settings.policyOverrides ? { policyOverrides: settings.policyOverrides } : {}),
  ...(process.env.TEST_CONNECTORS ? { connectors: process.env.TEST_CONNECTORS.split(',') } : {}),
});
process.once('SIGTERM', () => worker.shutdown());
process.stdout.write('worker ready\n');
await worker.run();
await connection.close();
