// Pipelines, read-only: each definition with its delivery ledger's counts and last run, and the
// records it could not deliver (dead, unknown, failed) with the destination's reason.
import { withLedger as withSettingsLedger } from '../../pipelines/index.js';
import type { DeliveryLedger } from '../../pipelines/ledger.js';
import { REPLAYABLE_STATES } from '../../pipelines/types.js';
import { CONNECTION_ID, type ConsoleDeps, type Route } from '../context.js';
import { RequestError } from '../security.js';

const MAX_DEAD = 200;

function withLedger<T>(deps: ConsoleDeps, fn: (ledger: DeliveryLedger) => Promise<T>): Promise<T> {
  return withSettingsLedger(deps.settings, fn);
}

export const pipelineRoutes: Route[] = [
  {
    method: 'GET',
    path: /^\/api\/pipelines$/,
    async handle({ deps }) {
      const defs = await deps.store.pipelines.list();
      if (defs.length === 0) return { pipelines: [] };
      const pipelines = await withLedger(deps, async (ledger) =>
        Promise.all(
          defs.map(async (def) => {
            const [counts, state] = await Promise.all([ledger.counts(def.id), ledger.loadState(def.id)]);
            return {
              id: def.id,
              source: def.source,
              destination: def.destination,
              filter: def.filter ?? null,
              note: def.note ?? null,
              ledger: counts,
              lastRunAt: state?.lastRunAt ?? null,
              watermark: state?.watermark ?? null,
            };
          }),
        ),
      );
      return { pipelines };
    },
  },
  {
    method: 'GET',
    path: new RegExp(`^/api/pipelines/${CONNECTION_ID}/dead$`),
    async handle({ deps, params }) {
      const id = params[0]!;
      if (!(await deps.store.pipelines.get(id))) throw new RequestError(404, 'not_found', `No pipeline "${id}"`);
      const entries = await withLedger(deps, (ledger) => ledger.current(id, { states: REPLAYABLE_STATES }));
      entries.sort((a, b) => a.at.localeCompare(b.at));
      return {
        total: entries.length,
        entries: entries.slice(0, MAX_DEAD).map((e) => ({ recordId: e.recordId, state: e.state, code: e.code ?? null, reason: e.reason ?? null, status: e.status ?? null, at: e.at })),
      };
    },
  },
];
