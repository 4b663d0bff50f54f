// A pipeline run's bookkeeping, local I/O on the workflow's queue (no provider budget spent): its
// watermark before, and after the run, what the ledger holds.
import { ledgerFor } from '../src/pipelines/index.js';
import type { DeliveryLedger } from '../src/pipelines/ledger.js';
import type { DeliveryCounts } from '../src/pipelines/types.js';
import { withHeartbeats } from './call-guard.js';
import type { ActivityDeps } from './deps.js';
import { loadPipeline } from './pipeline-plan.js';

export interface CompletePipelineInput {
  pipelineId: string;
  run: string;
  /** The new watermark (pull runs that read every page); null leaves the saved one. */
  watermark: string | null;
  /** Pages were pulled into the sink: finish the stream's run there (compaction). */
  pulled: boolean;
  records: number;
}

export interface CompletePipelineResult {
  counts: DeliveryCounts;
  ledger: string;
  watermark: string | null;
}

const later = (a: string | null, b: string | null) => (a === null ? b : b === null ? a : Date.parse(a) >= Date.parse(b) ? a : b);

export function pipelineStateActivities(deps: ActivityDeps & { ledger?: DeliveryLedger }) {
  const ledger = deps.ledger ?? ledgerFor(deps.sink);
  return {
    async loadPipelineState(input: { pipelineId: string }): Promise<{ watermark: string | null }> {
      const state = await ledger.loadState(input.pipelineId);
      return { watermark: state?.watermark ?? null };
    },

    async completePipelineRun(input: CompletePipelineInput): Promise<CompletePipelineResult> {
      return withHeartbeats(async () => {
        const def = await loadPipeline(deps, input.pipelineId);
        if (input.pulled) await deps.sink.finishRun({ connectionId: def.source.connectionId, stream: def.source.stream });
        const counts = await ledger.counts(input.pipelineId);
        const saved = await ledger.loadState(input.pipelineId);
        // Never backwards, and saved only now: every page of the run has been staged and every call
        // settled (delivered, dead, unknown, or failed and kept for the next run's retry).
        const watermark = later(saved?.watermark ?? null, input.watermark);
        await ledger.saveState(input.pipelineId, { watermark, lastRunAt: new Date().toISOString(), lastRunId: input.run, lastRun: { ...counts, records: input.records } });
        await ledger.unstage(input.pipelineId, { prefix: input.run });
        return { counts, ledger: ledger.location(input.pipelineId), watermark };
      });
    },

    /** Removes a finished page's staged calls during a long run. */
    async unstagePages(input: { pipelineId: string; stageIds: string[] }): Promise<void> {
      await ledger.unstage(input.pipelineId, { ids: input.stageIds });
    },
  };
}
