// Starts test/helpers/worker-process.ts (a pipeline worker in its own process, for tests that kill
// it) against a test context: its server, namespace, prefix, connection file and data folder.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TemporalTestContext } from './temporal.js';

const WORKER_SCRIPT = fileURLToPath(new URL('./worker-process.ts', import.meta.url));

/** `env` adds TEST_CONNECTORS (the queues to poll), policy overrides and the other test hooks. */
export function spawnWorkerProcess(ctx: TemporalTestContext, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', WORKER_SCRIPT], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: ctx.address,
      TEMPORAL_NAMESPACE: ctx.namespace,
      PIPELINE_NAME_PREFIX: ctx.namePrefix,
      PIPELINE_HOME: ctx.home,
      PIPELINE_CONNECTIONS_FILE: ctx.store.path,
      PIPELINE_DATA_DIR: ctx.sink.dataDir,
      PIPELINE_SANDBOX: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** SIGKILL, and wait until the process is gone. */
export async function killed(child: ChildProcess): Promise<void> {
  child.kill('SIGKILL');
  if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
}
