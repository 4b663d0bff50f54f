// Staging: turning one page of source records into the destination calls that will carry them.
//
// For each record: its version and delivery key; what the ledger already knows (a version delivered,
// dead or already queued is not staged again); the filter; the mapping; the destination's message
// schema. What passes is grouped into calls (the destination's batch size, or one record per call),
// written as a staged page, and claimed in the ledger as `queued` by this run, page and call. Records
// the mapping or the schema refuses are `dead` at once, with the reason naming the field.
import type { ZodType } from 'zod';
import type { SourceRecord } from '../core/envelope.js';
import type { DeliveryLedger, RecordVersions, StagedCall, StagedItem } from './ledger.js';
import { newerDelivered } from './ledger.js';
import { evaluate, MAX_MESSAGE_BYTES, passes, type CompiledExpression } from './mapping.js';
import { MAX_DELIVERY_ATTEMPTS, type DeliveryEntry } from './types.js';
import { emptyStageCounts, type StageCounts } from './stage-counts.js';
import { deliveryKey, recordVersion } from './versions.js';

export { emptyStageCounts, type StageCounts };

export interface StageOptions {
  pipelineId: string;
  connectionId: string;
  stream: string;
  mapping: CompiledExpression;
  filter?: CompiledExpression;
  /** The destination's message schema (the one its `send` checks), when it has one. */
  messageSchema?: ZodType;
  /** Items per call: the batch size where the destination has a batch endpoint, else 1. */
  itemsPerCall: number;
  /** Bytes of messages per call (the batch endpoint's limit), when it has one. */
  maxCallBytes?: number;
  /** The run's key (its first run id) and this page's stage id. */
  run: string;
  stageId: string;
  /** A replay: versions that are dead, unknown or failed are staged again (and nothing else is). */
  replay?: boolean;
}

function issuesOf(schema: ZodType, message: unknown): string | null {
  const parsed = schema.safeParse(message);
  if (parsed.success) return null;
  return parsed.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? `message.${i.path.join('.')}` : 'message'}: ${i.message}`)
    .join('; ');
}

/** The newest version of each id on the page (a source may list a record twice while it changes). */
function uniqueRecords(records: readonly SourceRecord[]): SourceRecord[] {
  const byId = new Map<string, SourceRecord>();
  for (const r of records) {
    const prev = byId.get(r.id);
    if (!prev || (Date.parse(r.updatedAt ?? '') || 0) >= (Date.parse(prev.updatedAt ?? '') || 0)) byId.set(r.id, r);
  }
  return [...byId.values()];
}

/**
 * Whether this version should be staged now, given what the ledger knows of it. `providerDedup`:
 * the destination drops a repeated key, so a claim left `sending` by an earlier run can be resent.
 */
function decide(versions: RecordVersions | undefined, version: string, opts: StageOptions, providerDedup: boolean): 'stage' | 'delivered' | 'held' | 'duplicate' | 'unknown' | 'gave_up' {
  const e = versions?.get(version)?.latest;
  if (!e) return 'stage';
  switch (e.state) {
    case 'delivered':
    case 'superseded':
      return 'delivered';
    case 'dead':
    case 'unknown':
    case 'filtered':
      return opts.replay ? 'stage' : 'held';
    case 'failed':
      return opts.replay || (e.attempts ?? 0) < MAX_DELIVERY_ATTEMPTS ? 'stage' : 'gave_up';
    case 'queued':
    case 'sending':
      if (e.run === opts.run) return e.stage === opts.stageId ? 'stage' : 'duplicate';
      // Claimed by an earlier run that ended without finishing it (cancelled, terminated): queued
      // means never sent; sending may have reached the destination.
      if (e.state === 'sending' && !providerDedup) return 'unknown';
      return 'stage';
  }
}

export async function stageRecords(ledger: DeliveryLedger, opts: StageOptions, records: readonly SourceRecord[], providerDedup: boolean): Promise<StageCounts> {
  const counts = emptyStageCounts();
  const page = uniqueRecords(records);
  counts.records = page.length;
  const known = await ledger.lookup(opts.pipelineId, page.map((r) => r.id));
  const now = new Date().toISOString();
  const entries: DeliveryEntry[] = [];
  const ready: StagedItem[] = [];

  const attemptsOf = new Map<string, number>();
  for (const r of page) {
    const version = recordVersion(r.updatedAt, r.data);
    const previous = known.get(r.id)?.get(version)?.latest.attempts;
    if (previous) attemptsOf.set(r.id, previous);
    const key = deliveryKey(opts.pipelineId, r.id, version);
    const versions = known.get(r.id);
    const base = { recordId: r.id, version, at: now, updatedAt: r.updatedAt ?? null, key, run: opts.run, stage: opts.stageId };
    const decision = decide(versions, version, opts, providerDedup);
    if (decision === 'delivered') counts.alreadyDelivered++;
    else if (decision === 'held') counts.held++;
    else if (decision === 'duplicate') counts.duplicates++;
    else if (decision === 'gave_up') {
      const last = versions?.get(version)?.latest;
      dead(counts, entries, { ...base, ...(last?.attempts ? { attempts: last.attempts } : {}) }, last?.code ?? 'upstream_error', `not delivered after ${last?.attempts ?? MAX_DELIVERY_ATTEMPTS} attempts; the last answer: ${last?.reason ?? 'none'}`);
    } else if (decision === 'unknown') {
      counts.unknown++;
      entries.push({ ...base, state: 'unknown', reason: 'an earlier run was stopped while sending it; the destination cannot de-duplicate, so it is not sent again on its own (pipelines replay sends it)' });
    }
    if (decision !== 'stage') continue;

    if (newerDelivered(versions, version, r.updatedAt ?? null)) {
      counts.alreadyDelivered++;
      entries.push({ ...base, state: 'superseded', reason: 'a newer version of this record was delivered already' });
      continue;
    }
    const ctx = { recordId: r.id, updatedAt: r.updatedAt ?? null, connectionId: opts.connectionId, stream: opts.stream };
    if (opts.filter) {
      const f = await evaluate(opts.filter, r.data, ctx);
      if (!f.ok) {
        dead(counts, entries, base, 'mapping_failed', f.reason);
        continue;
      }
      if (!passes(f.value)) {
        counts.filtered++;
        entries.push({ ...base, state: 'filtered' });
        continue;
      }
    }
    const m = await evaluate(opts.mapping, r.data, ctx);
    if (!m.ok) {
      dead(counts, entries, base, 'mapping_failed', m.reason);
      continue;
    }
    if (m.value === undefined || m.value === null) {
      dead(counts, entries, base, 'mapping_failed', 'the mapping gave no message for this record');
      continue;
    }
    const problem = opts.messageSchema ? issuesOf(opts.messageSchema, m.value) : null;
    if (problem) {
      dead(counts, entries, base, 'bad_request', `the mapped message is not valid for the destination: ${problem}`);
      continue;
    }
    const bytes = Buffer.byteLength(JSON.stringify(m.value), 'utf8');
    if (bytes > MAX_MESSAGE_BYTES) {
      dead(counts, entries, base, 'payload_too_large', `the mapped message is ${bytes} bytes (at most ${MAX_MESSAGE_BYTES})`);
      continue;
    }
    ready.push({ recordId: r.id, version, updatedAt: r.updatedAt ?? null, key, message: m.value });
  }

  const calls = group(ready, opts.itemsPerCall, opts.maxCallBytes);
  calls.forEach((call, index) => {
    for (const item of call.items) {
      const attempts = attemptsOf.get(item.recordId);
      entries.push({ recordId: item.recordId, version: item.version, at: now, updatedAt: item.updatedAt, key: item.key, run: opts.run, stage: opts.stageId, call: index, state: 'queued', ...(opts.replay ? { replay: true } : {}), ...(attempts ? { attempts } : {}) });
    }
  });
  counts.staged = ready.length;
  counts.calls = calls.length;
  // The page first, then the claims: a crash in between stages the page again on the retry.
  if (calls.length) await ledger.stage(opts.pipelineId, opts.stageId, calls);
  await ledger.append(opts.pipelineId, entries);
  return counts;
}

function dead(counts: StageCounts, entries: DeliveryEntry[], base: Omit<DeliveryEntry, 'state'>, code: string, reason: string): void {
  counts.dead++;
  if (counts.deadExamples.length < 3) counts.deadExamples.push(`${base.recordId}: ${reason}`);
  entries.push({ ...base, state: 'dead', code, reason });
}

/** Items into calls of at most `perCall` items and `maxBytes` bytes of messages. */
export function group(items: readonly StagedItem[], perCall: number, maxBytes?: number): StagedCall[] {
  const calls: StagedCall[] = [];
  let current: StagedItem[] = [];
  let bytes = 0;
  // Room for the envelope of a batch ({"batch":[...]}, commas): a small allowance per item.
  const limit = maxBytes !== undefined ? Math.floor(maxBytes * 0.95) : Number.POSITIVE_INFINITY;
  for (const item of items) {
    const size = maxBytes !== undefined ? Buffer.byteLength(JSON.stringify(item.message), 'utf8') + 64 : 0;
    if (current.length > 0 && (current.length >= perCall || bytes + size > limit)) {
      calls.push({ items: current });
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length) calls.push({ items: current });
  return calls;
}
