// Sync state in the sink: the watermark a run starts from, and the end-of-run bookkeeping.
import { withHeartbeats } from './call-guard.js';
import type { ActivityDeps } from './deps.js';

export interface StreamInput {
  connectionId: string;
  stream: string;
}

export interface CompleteSyncInput extends StreamInput {
  /** The new high watermark; null keeps none (nothing was ever pulled). */
  watermark: string | null;
  records: number;
  runId: string;
}

export interface CompleteSyncResult {
  /** Distinct records now stored for this stream. */
  storedRecords: number;
  location: string;
}

function laterOf(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

export function syncStateActivities(deps: ActivityDeps) {
  return {
    async loadSyncState(input: StreamInput): Promise<{ watermark: string | null } | null> {
      const state = await deps.sink.loadState(input);
      return state ? { watermark: state.watermark } : null;
    },

    async completeSync(input: CompleteSyncInput): Promise<CompleteSyncResult> {
      // Compaction of a large file takes a while: heartbeat, so a worker that dies here is noticed in seconds.
      return withHeartbeats(() => complete(input));
    },
  };

  async function complete(input: CompleteSyncInput): Promise<CompleteSyncResult> {
    const ref = { connectionId: input.connectionId, stream: input.stream };
    const { records } = await deps.sink.finishRun(ref);
    // Saved only after every page has landed: a run that dies early leaves the old watermark,
    // so the next run starts from it again and nothing is skipped. Never backwards: a run that
    // started earlier and finishes after a newer one keeps the newer one's watermark.
    const saved = await deps.sink.loadState(ref);
    await deps.sink.saveState(ref, {
      watermark: laterOf(saved?.watermark ?? null, input.watermark),
      lastRunAt: new Date().toISOString(),
      lastRunRecords: input.records,
      lastRunId: input.runId,
    });
    return { storedRecords: records, location: deps.sink.location(ref) };
  }
}
