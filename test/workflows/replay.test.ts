// Determinism guard: histories recorded from every workflow the worker runs (test/fixtures/histories,
// made by scripts/record-histories.ts) are replayed against the current workflow code. A change that
// would make a running workflow take a different path on its next task (a new or reordered activity,
// timer or child, a changed activity option) fails here, before it can break syncs in flight.
// When such a change is meant, guard it with `patched()` (see the README, "Replay fixtures").
//
// Loading JSON histories relies on the Temporal packages sharing one protobufjs (package.json pins
// protobufjs 8 at the top level for that; nested copies make historyFromJSON fail with "type must be
// a Type").
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DeterminismViolationError } from '@temporalio/workflow';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { describe, expect, test } from 'vitest';
import { workflowBundle, quietRuntime } from '../helpers/temporal.js';

interface Fixture {
  file: string;
  workflowId: string;
  workflowType: string;
  history: { events: { eventType: string; [k: string]: unknown }[] };
}

const DIR = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));
const fixtures: Fixture[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({ file, ...(JSON.parse(readFileSync(DIR + file, 'utf8')) as Omit<Fixture, 'file'>) }));

const eventTypes = (f: Fixture) => new Set(f.history.events.map((e) => e.eventType));

describe('recorded histories', () => {
  test('cover every workflow the worker registers, continue-as-new, sliced runs and failures', () => {
    const types = new Set(fixtures.map((f) => f.workflowType));
    for (const t of ['pullWorkflow', 'pullSliceWorkflow', 'scheduledPullWorkflow', 'sendWorkflow', 'reverseEtlSyncWorkflow', 'testConnectionWorkflow', 'pipelineWorkflow', 'scheduledPipelineWorkflow']) {
      expect(types, `no fixture of ${t}`).toContain(t);
    }
    expect(fixtures.some((f) => eventTypes(f).has('EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW'))).toBe(true);
    expect(fixtures.some((f) => f.workflowType === 'pullWorkflow' && eventTypes(f).has('EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED'))).toBe(true);
    expect(fixtures.some((f) => eventTypes(f).has('EVENT_TYPE_TIMER_STARTED'))).toBe(true);
    expect(fixtures.some((f) => eventTypes(f).has('EVENT_TYPE_WORKFLOW_EXECUTION_FAILED'))).toBe(true);
  });

  test('replay against the current workflow code without a determinism error', async () => {
    quietRuntime();
    const results = Worker.runReplayHistories(
      { workflowBundle: await workflowBundle(), replayName: 'fixtures' },
      fixtures.map((f) => ({ workflowId: f.workflowId, history: f.history })),
    );
    const failures: string[] = [];
    let replayed = 0;
    for await (const r of results) {
      replayed += 1;
      if (r.error) failures.push(`${r.workflowId} (${r.runId}): ${r.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(fixtures.length);
  }, 60_000);

  test('an incompatible change to a workflow is caught', async () => {
    quietRuntime();
    const send = fixtures.find((f) => f.file === 'send-delivered.json');
    expect(send, 'send-delivered.json fixture').toBeDefined();
    const altered = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('../fixtures/replay/altered-workflows.ts', import.meta.url)),
      logger: new DefaultLogger('ERROR'),
    });
    const err = await Worker.runReplayHistory({ workflowBundle: altered, replayName: 'altered' }, send!.history, send!.workflowId).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeterminismViolationError);
  }, 60_000);
});
