// A record's version and a delivery's idempotency key.
//
// The version is a hash of the record's change time and content: the same record pulled again (a
// retried page, an overlapping incremental window, a re-read after a crash) has the same version and
// is not delivered again; a record that changed in any way (a refund on a Stripe charge whose
// `created` never moves, a new line on a Shopify order) has a new version and is delivered again.
//
// The key is derived from (pipeline, record id, version) only, so every attempt and every replay of
// the same version carries the same key, and destinations that de-duplicate (Segment messageId,
// Klaviyo unique_id, Iterable event id, PagerDuty dedup_key, Zendesk Idempotency-Key) drop a repeat.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/canonical-json.js';

export function recordVersion(updatedAt: string | null | undefined, data: unknown): string {
  // The same instant however it is written: the PostgreSQL sink gives back UTC, Shopify wrote the
  // shop's offset; a record read from the sink must have the version it had when it was pulled.
  const t = typeof updatedAt === 'string' ? Date.parse(updatedAt) : Number.NaN;
  const time = Number.isNaN(t) ? (updatedAt ?? '') : new Date(t).toISOString();
  return createHash('sha256')
    .update(`${time}\n`)
    .update(canonicalJson(data))
    .digest('hex')
    .slice(0, 20);
}

/**
 * A UUID-shaped key (36 characters): every destination's de-duplication field accepts it (Segment's
 * messageId allows 100 characters, PagerDuty's dedup_key 255, and some want a UUID).
 */
export function deliveryKey(pipelineId: string, recordId: string, version: string): string {
  const h = createHash('sha256').update(`${pipelineId}\n${recordId}\n${version}`).digest('hex');
  // Version nibble 5 and the RFC 4122 variant, as a name-based UUID has.
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
