// deliverCall: one destination call of a pipeline run, on the destination's queue (its rate key, its
// retry policy). It carries one staged call: a batch where the destination has a batch endpoint, one
// record elsewhere.
//
// Exactly once per record version, as far as the ledger and the destination allow:
//   1. the ledger is read for the call's items; only versions this call claimed (queued, or failed /
//      sending from an earlier attempt of this same call) are sent; delivered ones never again;
//   2. `sending` is appended before the call, the outcome after it;
//   3. a `sending` left by an attempt that died is sent again only where the destination de-duplicates
//      on the delivery key; elsewhere it becomes `unknown` (listed by `pipelines dead`, sent again only
//      by `pipelines replay`).
// Outcomes per item: delivered; dead (the destination refused it for good, with its reason); failed
// (a 429, a 5xx, an outage: the activity fails retryably after recording it, and Temporal's retry
// sends only those items again); unknown (an ambiguous failure on a destination without de-duplication).
// A whole batch refused as a bad request is split in halves until the refused records are found, so
// one bad record does not take its batch down with it.
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import type { BatchItemResult } from '../src/core/envelope.js';
import { getExecutor } from '../src/executors/index.js';
import { ledgerFor } from '../src/pipelines/index.js';
import { newerDelivered, type DeliveryLedger, type StagedItem } from '../src/pipelines/ledger.js';
import type { DeliveryEntry } from '../src/pipelines/types.js';
import { CircuitBreakers } from '../src/policies/circuit-breaker.js';
import { guardedCall, withHeartbeats } from './call-guard.js';
import { loadConnection, type LoadedConnection } from './connection.js';
import type { ActivityDeps } from './deps.js';

export interface DeliverCallInput {
  pipelineId: string;
  destinationConnectionId: string;
  run: string;
  stageId: string;
  call: number;
}

export interface DeliverCallResult {
  delivered: number;
  dead: number;
  unknown: number;
  failed: number;
  /** Items this call no longer had to send (delivered or settled by another attempt or run). */
  skipped: number;
  /** Provider calls made (more than one when a refused batch was split). */
  requests: number;
  deadExamples: string[];
}

type Failure = { state: 'dead' | 'failed' | 'unknown'; code: string; reason: string; status?: number; retryAfterMs?: number };
type Outcome = { state: 'delivered'; providerId?: string; status: number } | Failure;

/** Whole-call failures that no retry can fix and that concern every record: the run stops. */
const FATAL_CODES = new Set(['unauthorized', 'forbidden', 'invalid_config', 'missing_secret', 'not_found']);
/** Whole-call refusals of what was sent: a smaller call may pass, a single record is dead. */
const SPLIT_CODES = new Set(['bad_request', 'payload_too_large']);
/** Split a refused batch at most this deep (2^9 = 512 > any batch limit). */
const MAX_SPLIT_DEPTH = 9;

function attemptOf(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

export function pipelineDeliverActivity(deps: ActivityDeps & { ledger?: DeliveryLedger }) {
  const breakers = deps.breakers ?? new CircuitBreakers();
  const ledger = deps.ledger ?? ledgerFor(deps.sink);

  return async function deliverCall(input: DeliverCallInput): Promise<DeliverCallResult> {
    return withHeartbeats(async () => {
      const result: DeliverCallResult = { delivered: 0, dead: 0, unknown: 0, failed: 0, skipped: 0, requests: 0, deadExamples: [] };
      const calls = await ledger.staged(input.pipelineId, input.stageId);
      const items = calls?.[input.call]?.items ?? [];
      if (items.length === 0) return result;
      const conn = await loadConnection(deps, input.destinationConnectionId);
      const dedup = conn.connector.idempotency.supported;
      const now = () => new Date().toISOString();
      const entry = (item: StagedItem, rest: Pick<DeliveryEntry, 'state'> & Partial<DeliveryEntry>): DeliveryEntry => ({
        recordId: item.recordId, version: item.version, at: now(), updatedAt: item.updatedAt, key: item.key, run: input.run, stage: input.stageId, call: input.call, ...rest,
      });

      // 1. What this call still has to send.
      const known = await ledger.lookup(input.pipelineId, items.map((i) => i.recordId));
      const toSend: StagedItem[] = [];
      const settled: DeliveryEntry[] = [];
      const attempts = new Map<string, number>();
      for (const item of items) {
        const versions = known.get(item.recordId);
        const e = versions?.get(item.version)?.latest;
        const mine = e !== undefined && e.run === input.run && e.stage === input.stageId && e.call === input.call;
        if (!e || !mine || !['queued', 'failed', 'sending'].includes(e.state)) {
          result.skipped++;
          continue;
        }
        if (newerDelivered(versions, item.version, item.updatedAt)) {
          settled.push(entry(item, { state: 'superseded', reason: 'a newer version of this record was delivered first' }));
          result.skipped++;
          continue;
        }
        if (e.state === 'sending' && !dedup) {
          settled.push(entry(item, { state: 'unknown', code: 'interrupted', reason: `an earlier attempt was interrupted while sending it to ${conn.connector.name}, which cannot de-duplicate: it may have arrived; not sent again on its own (pipelines replay sends it)` }));
          result.unknown++;
          continue;
        }
        if (e.attempts) attempts.set(item.recordId, e.attempts);
        toSend.push(item);
      }
      await ledger.append(input.pipelineId, settled);
      if (toSend.length === 0) {
        await settle(input, items, result);
        return result;
      }

      // 2. The intent, then the call(s), then the outcomes.
      const attempt = attemptOf();
      const carried = (item: StagedItem) => (attempts.get(item.recordId) ? { attempts: attempts.get(item.recordId)! } : {});
      await ledger.append(input.pipelineId, toSend.map((item) => entry(item, { state: 'sending', ...carried(item), ...(attempt > 1 ? { reason: `attempt ${attempt}` } : {}) })));
      let fatal: Outcome | undefined;
      const outcomes = await sendItems(conn, toSend, dedup, 0, result);
      const entries = toSend.map((item, i) => {
        const o = outcomes[i]!;
        if (o.state === 'delivered') {
          result.delivered++;
          return entry(item, { state: 'delivered', status: o.status, ...(o.providerId ? { providerId: o.providerId } : {}) });
        }
        if (o.state === 'failed' && FATAL_CODES.has(o.code)) fatal ??= o;
        result[o.state]++;
        if (o.state === 'dead' && result.deadExamples.length < 3) result.deadExamples.push(`${item.recordId}: ${o.reason}`);
        const failedSoFar = o.state === 'failed' ? { attempts: (attempts.get(item.recordId) ?? 0) + 1 } : carried(item);
        return entry(item, { state: o.state, code: o.code, reason: o.reason, ...(o.status ? { status: o.status } : {}), ...failedSoFar });
      });
      await ledger.append(input.pipelineId, entries);
      await settle(input, items, result);

      // 3. Retry what may pass (Temporal's retry of this activity sends only the failed items).
      const failed = outcomes.filter((o): o is Failure => o.state === 'failed');
      if (failed.length > 0) {
        const first: Failure = (fatal as Failure | undefined) ?? failed[0]!;
        const delay = Math.max(0, ...failed.map((f) => f.retryAfterMs ?? 0));
        throw ApplicationFailure.create({
          type: first.code,
          nonRetryable: fatal !== undefined,
          message: `${failed.length} of ${toSend.length} record(s) not delivered to ${conn.connector.name}: ${first.reason}`,
          ...(delay > 0 && !fatal ? { nextRetryDelay: delay } : {}),
          details: [{ ...result, deadExamples: result.deadExamples }],
        });
      }
      return result;
    });
  };

  /**
   * The call's outcome as the ledger now holds it, item by item: an earlier attempt of this call may
   * have delivered some of them before it failed, and only the last attempt's answer reaches the
   * workflow, so the counts come from the ledger, not from this attempt alone.
   */
  async function settle(input: DeliverCallInput, items: readonly StagedItem[], result: DeliverCallResult): Promise<void> {
    const known = await ledger.lookup(input.pipelineId, items.map((i) => i.recordId));
    result.delivered = result.dead = result.unknown = result.failed = result.skipped = 0;
    for (const item of items) {
      const e = known.get(item.recordId)?.get(item.version)?.latest;
      const mine = e !== undefined && e.run === input.run && e.stage === input.stageId && e.call === input.call;
      if (mine && (e.state === 'delivered' || e.state === 'dead' || e.state === 'unknown' || e.state === 'failed')) result[e.state]++;
      else result.skipped++;
    }
  }

  /** Sends `items` in one call (batch or single), splitting a batch refused as a whole. */
  async function sendItems(conn: LoadedConnection, items: StagedItem[], dedup: boolean, depth: number, result: DeliverCallResult): Promise<Outcome[]> {
    const executor = getExecutor(conn.record.connectorId);
    result.requests++;
    try {
      if (conn.connector.capabilities.batch && executor.sendBatch) {
        const res = await guardedCall(
          breakers,
          conn,
          () => executor.sendBatch!(conn.config, items.map((i) => i.message), { ...conn.callOptions, idempotencyKeys: items.map((i) => i.key) }),
          'records',
        );
        return items.map((_, i) => itemOutcome(res.body.items[i], res.status));
      }
      // One record version is one event: dated by its change time where it has one (Intercom's
      // created_at), the same in every run and replay of it, so the provider's de-duplication holds.
      const changedAt = items[0]!.updatedAt ? Date.parse(items[0]!.updatedAt) : Number.NaN;
      const res = await guardedCall(
        breakers,
        conn,
        () => executor.send!(conn.config, items[0]!.message, { ...conn.callOptions, idempotencyKey: items[0]!.key, ...(Number.isFinite(changedAt) ? { firstAttemptAtMs: changedAt } : {}) }),
        'record',
      );
      const body = res.body as { id?: unknown; messageId?: unknown; sid?: unknown } | null;
      const providerId = [body?.id, body?.messageId, body?.sid].find((v): v is string => typeof v === 'string');
      return [{ state: 'delivered', status: res.status, ...(providerId ? { providerId } : {}) }];
    } catch (err) {
      if (!(err instanceof ApplicationFailure)) throw err;
      const code = err.type ?? 'upstream_error';
      const details = (err.details?.[0] ?? {}) as { status?: number; ambiguous?: boolean };
      const reason = err.message;
      const status = details.status;
      if (details.ambiguous && !dedup) return items.map(() => ({ state: 'unknown', code, reason, ...(status ? { status } : {}) }));
      if (SPLIT_CODES.has(code) && items.length > 1 && depth < MAX_SPLIT_DEPTH) {
        const half = Math.ceil(items.length / 2);
        return [...(await sendItems(conn, items.slice(0, half), dedup, depth + 1, result)), ...(await sendItems(conn, items.slice(half), dedup, depth + 1, result))];
      }
      if (!err.nonRetryable || FATAL_CODES.has(code) || code === 'invalid_response') {
        const retryAfterMs = typeof err.nextRetryDelay === 'number' ? err.nextRetryDelay : undefined;
        return items.map(() => ({ state: 'failed', code, reason, ...(status ? { status } : {}), ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) }));
      }
      return items.map(() => ({ state: 'dead', code, reason, ...(status ? { status } : {}) }));
    }
  }
}

function itemOutcome(item: BatchItemResult | undefined, status: number): Outcome {
  if (!item) return { state: 'failed', code: 'invalid_response', reason: 'the destination gave no result for this item', status };
  if (item.ok) return { state: 'delivered', status, ...(item.id ? { providerId: item.id } : {}) };
  const e = item.error;
  if (!e) return { state: 'failed', code: 'invalid_response', reason: 'the destination refused this item without a reason', status };
  return e.retryable
    ? { state: 'failed', code: e.code, reason: e.message, status, ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}) }
    : { state: 'dead', code: e.code, reason: e.message, status };
}
