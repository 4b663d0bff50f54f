// A delivery ledger that counts what it is told: every pipeline outcome (delivered, dead, failed,
// unknown, filtered at staging, superseded) reaches the ledger through append(), whoever writes it
// (staging, deliverCall, a replay), so the count is taken there and nowhere else.
import type { DeliveryLedger } from '../pipelines/ledger.js';
import { NO_METRICS, type EngineMetrics } from './registry.js';

export function meteredLedger(ledger: DeliveryLedger, metrics: EngineMetrics): DeliveryLedger {
  if (metrics === NO_METRICS) return ledger;
  const append: DeliveryLedger['append'] = async (pipelineId, entries) => {
    await ledger.append(pipelineId, entries);
    // Counted once written: an append that failed is retried by the activity, and counted then.
    metrics.deliveriesSettled(pipelineId, entries.map((e) => e.state));
  };
  // A Proxy rather than a copy: the ledgers are classes whose methods live on their prototypes and
  // use their own state, so everything but append is the ledger's own method, bound to it.
  return new Proxy(ledger, {
    get(target, prop) {
      if (prop === 'append') return append;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
