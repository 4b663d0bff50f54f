// The pipeline worker: one Worker for workflows (plus local and sink activities) on the workflow
// queue, and one Worker per connector on that connector's activity queue, with the connector's rate
// and concurrency policy. All of them share one connection and run in one process.
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../activities/index.js';
import { policyFor } from '../../activities/connection.js';
import { CONNECTOR_IDS, getConnector } from '../registry/index.js';
import { hasExecutor } from '../executors/index.js';
import { activityTaskQueue, batchTaskQueue, workflowTaskQueue } from './task-queues.js';
import { applyQueueRates, type RateModeDecision, type RateModeSetting } from './queue-config.js';
import { describeWorkflowBundle, loadWorkflowBundle, type WorkflowBundleChoice } from './workflow-bundle.js';

export { WORKFLOWS_PATH } from './workflow-bundle.js';

/**
 * The task-queue limit is kept 5% under the provider's documented rate. The server releases its
 * tokens in bursts; against a provider bucket of exactly the same rate, every sixth request or so
 * came back 429, and each 429's retry delay let the next burst grow (measured: 90% of the limit with
 * steady 429s at 100%, 98% with none after start-up at 95%; bench/rate-limit.ts).
 */
export const RATE_HEADROOM = 0.95;

export interface PipelineWorkerOptions extends ActivityDeps {
  connection: NativeConnection;
  namespace: string;
  /** Connector activity queues to poll; default: every connector with an executor. */
  connectors?: readonly string[];
  /**
   * A bundle made by the caller (tests build one per file). Without it, the prebuilt bundle
   * (dist/workflow-bundle.js, scripts/build-workflow-bundle.ts) when it matches the workflow sources
   * and this SDK, else one bundled at start: see src/temporal/workflow-bundle.ts.
   */
  workflowBundle?: WorkflowBundle;
  /** Where the prebuilt bundle is: default PIPELINE_WORKFLOW_BUNDLE_DIR, else the project's dist/. */
  workflowBundleDir?: string;
  /**
   * Told once at start which workflow bundle runs (prebuilt, or bundled here and why); not called
   * when `workflowBundle` is given. Default: one line on stderr.
   */
  onWorkflowBundle?: (choice: WorkflowBundleChoice) => void;
  identity?: string;
  /** Payload codecs (encryption) shared with the clients; see src/temporal/codec.ts. */
  dataConverter?: DataConverter;
  /**
   * How provider budgets are enforced (PIPELINE_RATE_MODE): per rate key through task-queue fairness,
   * per connector, or `auto` (per key when the server accepts it). See src/temporal/queue-config.ts.
   */
  rateMode?: RateModeSetting;
  /** Told once at start how budgets are enforced (and why per-connector, when it is). */
  onRateMode?: (decision: RateModeDecision) => void;
}

export interface PipelineWorker {
  /** How this worker's connector queues hold provider budgets. */
  rateMode: RateModeDecision;
  run(): Promise<void>;
  shutdown(): void;
  /** Runs the workers until `fn` settles, then shuts them down. */
  runUntil<T>(fn: Promise<T> | (() => Promise<T>)): Promise<T>;
}

export async function createPipelineWorker(opts: PipelineWorkerOptions): Promise<PipelineWorker> {
  let workflowBundle = opts.workflowBundle;
  if (!workflowBundle) {
    const loaded = await loadWorkflowBundle({
      ...(opts.workflowBundleDir ? { dir: opts.workflowBundleDir } : {}),
      logger: Runtime.instance().logger,
    });
    workflowBundle = loaded.bundle;
    (opts.onWorkflowBundle ?? ((c) => process.stderr.write(`${describeWorkflowBundle(c)}\n`)))(loaded.choice);
  }
  const activities = createActivities(opts);
  const common = {
    connection: opts.connection,
    namespace: opts.namespace,
    ...(opts.identity ? { identity: opts.identity } : {}),
    ...(opts.dataConverter ? { dataConverter: opts.dataConverter } : {}),
  };
  const workers: Worker[] = [];
  workers.push(
    await Worker.create({
      ...common,
      taskQueue: workflowTaskQueue(opts.namePrefix),
      workflowBundle,
      activities,
    }),
  );
  const connectorIds = opts.connectors ?? CONNECTOR_IDS.filter(hasExecutor);
  const queues = connectorIds.flatMap((connectorId) => {
    const batchRps = getConnector(connectorId).capabilities.batch?.requestsPerSecond;
    return [
      { connectorId, taskQueue: activityTaskQueue(connectorId, opts.namePrefix), perKeyRps: policyFor(connectorId, opts).rate.requestsPerSecond * RATE_HEADROOM },
      // A batch endpoint with a rate of its own (Iterable trackBulk) gets a queue held to that rate.
      ...(batchRps ? [{ connectorId, taskQueue: batchTaskQueue(connectorId, opts.namePrefix), perKeyRps: batchRps * RATE_HEADROOM }] : []),
    ];
  });
  const rateMode = await applyQueueRates(opts.connection.workflowService, opts.namespace, opts.identity ?? 'pipeline-worker', queues, opts.rateMode ?? 'auto');
  opts.onRateMode?.(rateMode);
  for (const q of queues) {
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: q.taskQueue,
        activities,
        // Per-key mode: the server holds each rate key to its budget (queue-config.ts), so the worker
        // sets no queue-wide limit of its own. Per-connector mode: the provider's rate for the whole
        // connector, enforced by the server across every worker of this queue.
        ...(rateMode.mode === 'per-connector' ? { maxTaskQueueActivitiesPerSecond: q.perKeyRps } : {}),
        maxConcurrentActivityTaskExecutions: policyFor(q.connectorId, opts).rate.concurrency,
      }),
    );
  }

  const shutdown = () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  };
  const run = async () => {
    const results = await Promise.allSettled(workers.map((w) => w.run()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  };
  return {
    rateMode,
    run,
    shutdown,
    async runUntil<T>(fn: Promise<T> | (() => Promise<T>)): Promise<T> {
      const running = run();
      try {
        return await (typeof fn === 'function' ? fn() : fn);
      } finally {
        shutdown();
        await running;
      }
    },
  };
}
