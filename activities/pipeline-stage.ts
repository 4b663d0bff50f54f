// The staging activities of a pipeline run:
//   stagePage    (on the source's queue, with its rate key) fetches one page, writes it to the sink
//                as a pull does, and stages its mapped records for the destination;
//   stageStored  (local I/O, on the workflow queue) stages records already in the sink: the failed
//                ones a run retries, the dead ones a replay re-sends, or a whole stream for a
//                pipeline whose source is the stored records.
// Only counts and stage ids go back to the workflow (and into history); records and messages stay in
// the staging area beside the sink.
import { ApplicationFailure } from '@temporalio/common';
import type { ZodType } from 'zod';
import type { SourceRecord } from '../src/core/envelope.js';
import { getExecutor } from '../src/executors/index.js';
import { ledgerFor } from '../src/pipelines/index.js';
import type { DeliveryLedger } from '../src/pipelines/ledger.js';
import { compileExpression, type CompiledExpression } from '../src/pipelines/mapping.js';
import { stageRecords } from '../src/pipelines/stage.js';
import { addStageCounts, emptyStageCounts, type StageCounts } from '../src/pipelines/stage-counts.js';
import { REPLAYABLE_STATES, type PipelineRecord } from '../src/pipelines/types.js';
import { CircuitBreakers } from '../src/policies/circuit-breaker.js';
import { withHeartbeats } from './call-guard.js';
import type { ActivityDeps } from './deps.js';
import { loadPipeline } from './pipeline-plan.js';
import { fetchAndWritePage, type PullPageInput, type PullPageResult } from './pull-page.js';

/** How the staged calls are cut, from the run's plan. */
export interface StageTarget {
  pipelineId: string;
  /** The run's key (its first run id): claims in the ledger are per run. */
  run: string;
  destinationConnectorId: string;
  providerDedup: boolean;
  itemsPerCall: number;
  maxCallBytes?: number;
}

export interface StagePageInput extends StageTarget {
  page: PullPageInput;
  stageId: string;
}


export interface StageStoredInput extends StageTarget {
  /** failed: what a run retries; replay: dead, unknown and failed (optionally some ids, or since a time); all: the whole stream. */
  select: 'failed' | 'replay' | 'all';
  recordIds?: string[];
  since?: string;
  /** Stage ids are `<prefix>-<n>`. */
  stagePrefix: string;
  pageSize: number;
}

export interface StagedPage {
  stageId: string;
  calls: number;
}

export interface StageStoredResult {
  pages: StagedPage[];
  staged: StageCounts;
  /** Records selected from the ledger that the sink no longer holds. */
  missing: number;
}

/** A pipeline's compiled expressions, kept per definition version (its updatedAt). */
function expressionCache() {
  const cache = new Map<string, { updatedAt: string; mapping: CompiledExpression; filter?: CompiledExpression }>();
  return (def: PipelineRecord) => {
    const hit = cache.get(def.id);
    if (hit && hit.updatedAt === def.updatedAt) return hit;
    const mapping = compileExpression(def.mapping, 'mapping');
    const filter = def.filter !== undefined ? compileExpression(def.filter, 'filter') : undefined;
    const bad = [mapping, filter].find((c): c is { problem: { field: string; message: string } } => c !== undefined && 'problem' in c);
    if (bad) throw ApplicationFailure.create({ type: 'invalid_config', nonRetryable: true, message: `Pipeline "${def.id}": ${bad.problem.field}: ${bad.problem.message}` });
    const entry = { updatedAt: def.updatedAt, mapping: mapping as CompiledExpression, ...(filter ? { filter: filter as CompiledExpression } : {}) };
    cache.set(def.id, entry);
    return entry;
  };
}

export function pipelineStageActivities(deps: ActivityDeps & { ledger?: DeliveryLedger }) {
  const breakers = deps.breakers ?? new CircuitBreakers();
  const ledger = deps.ledger ?? ledgerFor(deps.sink);
  const compiled = expressionCache();

  async function stage(target: StageTarget, def: PipelineRecord, stageId: string, records: readonly SourceRecord[], replay: boolean): Promise<StageCounts> {
    const { mapping, filter } = compiled(def);
    const messageSchema = (getExecutor(target.destinationConnectorId) as { messageSchema?: ZodType }).messageSchema;
    return stageRecords(
      ledger,
      {
        pipelineId: target.pipelineId,
        connectionId: def.source.connectionId,
        stream: def.source.stream,
        mapping,
        ...(filter ? { filter } : {}),
        ...(messageSchema ? { messageSchema } : {}),
        itemsPerCall: target.itemsPerCall,
        ...(target.maxCallBytes ? { maxCallBytes: target.maxCallBytes } : {}),
        run: target.run,
        stageId,
        replay,
      },
      records,
      target.providerDedup,
    );
  }

  return {
    /** On the source's queue: one page fetched, written to the sink, and kept as it came for mapPage. */
    async pullToStage(input: StagePageInput): Promise<PullPageResult & { stageId: string }> {
      return withHeartbeats(async () => {
        const fetched = await fetchAndWritePage(deps, breakers, input.page);
        await ledger.stageRaw(input.pipelineId, input.stageId, fetched.records);
        return { ...fetched.result, stageId: input.stageId };
      });
    },

    /**
     * Local work on the workflow's queue: a pulled page mapped and cut into calls. The workflow runs
     * these one at a time, in page order (each page's claims are in the ledger before the next page
     * is looked at), while the next page is being pulled.
     */
    async mapPage(input: StageTarget & { stageId: string }): Promise<StageCounts> {
      return withHeartbeats(async () => {
        const def = await loadPipeline(deps, input.pipelineId);
        const records = await ledger.rawStaged(input.pipelineId, input.stageId);
        if (records === null) {
          // Mapped already, by an attempt that died after removing the raw page: its calls and claims stand.
          const calls = (await ledger.staged(input.pipelineId, input.stageId)) ?? [];
          return { ...emptyStageCounts(), calls: calls.length, staged: calls.reduce((n, c) => n + c.items.length, 0) };
        }
        const staged = await stage(input, def, input.stageId, records, false);
        await ledger.dropRaw(input.pipelineId, input.stageId);
        return staged;
      });
    },

    async stageStored(input: StageStoredInput): Promise<StageStoredResult> {
      return withHeartbeats(async () => {
        const def = await loadPipeline(deps, input.pipelineId);
        const stored = await deps.sink.readAll({ connectionId: def.source.connectionId, stream: def.source.stream });
        let ids: string[];
        let missing = 0;
        if (input.select === 'all') ids = [...stored.keys()];
        else {
          const entries = await ledger.current(input.pipelineId, {
            states: input.select === 'failed' ? ['failed'] : REPLAYABLE_STATES,
            ...(input.recordIds ? { recordIds: input.recordIds } : {}),
            ...(input.since ? { since: input.since } : {}),
          });
          ids = entries.map((e) => e.recordId).filter((id) => stored.has(id));
          missing = entries.length - ids.length;
        }
        const pages: StagedPage[] = [];
        const total = emptyStageCounts();
        for (let i = 0; i * input.pageSize < ids.length; i++) {
          const chunk = ids.slice(i * input.pageSize, (i + 1) * input.pageSize).map((id) => {
            const r = stored.get(id)!;
            return { id: r.id, updatedAt: r.updatedAt, data: r.data };
          });
          const stageId = `${input.stagePrefix}-${i + 1}`;
          const counts = await stage(input, def, stageId, chunk, input.select === 'replay');
          addStageCounts(total, counts);
          if (counts.calls > 0) pages.push({ stageId, calls: counts.calls });
        }
        return { pages, staged: total, missing };
      });
    },
  };
}
