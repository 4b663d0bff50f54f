// Helpers for tests that run real workers against the shared dev server (see global-setup.ts).
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Runtime, DefaultLogger, makeTelemetryFilterString, type WorkflowBundle } from '@temporalio/worker';
import { inject } from 'vitest';
import { FileConnectionStore } from '../../src/connections/file-store.js';
import { JsonlSink } from '../../src/sinks/jsonl.js';
import { createPipelineWorker, WORKFLOWS_PATH, type PipelineWorkerOptions } from '../../src/temporal/worker.js';

let runtimeInstalled = false;
/** Quiet worker logs: tests assert behaviour, not log lines. */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } },
    });
  } catch {
    // already installed by another helper in this process
  }
}

let bundle: Promise<WorkflowBundle> | undefined;
/** The workflow bundle, built once per test file (about a second). */
export function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('ERROR') });
  return bundle;
}

export interface TemporalTestContext {
  address: string;
  namespace: string;
  client: Client;
  nativeConnection: NativeConnection;
  /** Unique per test file, so parallel files never take each other's tasks. */
  namePrefix: string;
  home: string;
  store: FileConnectionStore;
  sink: JsonlSink;
  close(): Promise<void>;
}

export async function temporalTestContext(): Promise<TemporalTestContext> {
  quietRuntime();
  const address = inject('temporalAddress');
  const namespace = inject('temporalNamespace');
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  const nativeConnection = await NativeConnection.connect({ address });
  const home = await mkdtemp(join(tmpdir(), 'pipeline-test-'));
  const store = new FileConnectionStore(join(home, 'connections.json'));
  const sink = new JsonlSink(join(home, 'data'));
  return {
    address,
    namespace,
    client,
    nativeConnection,
    namePrefix: `t-${randomUUID().slice(0, 8)}-`,
    home,
    store,
    sink,
    async close() {
      await nativeConnection.close();
      await connection.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}

export interface RunningWorker {
  stop(): Promise<void>;
}

/**
 * Starts a pipeline worker for this test file (its task-queue prefix, the shared bundle) on the
 * given connectors; `stop()` shuts it down and waits for it.
 */
export async function startTestWorker(
  ctx: TemporalTestContext,
  opts: Omit<PipelineWorkerOptions, 'connection' | 'namespace' | 'store' | 'sink' | 'namePrefix' | 'workflowBundle'> &
    Partial<Pick<PipelineWorkerOptions, 'store' | 'sink'>>,
): Promise<RunningWorker> {
  const worker = await createPipelineWorker({
    connection: ctx.nativeConnection,
    namespace: ctx.namespace,
    store: ctx.store,
    sink: ctx.sink,
    namePrefix: ctx.namePrefix,
    workflowBundle: await workflowBundle(),
    ...opts,
  });
  const running = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await running;
    },
  };
}
