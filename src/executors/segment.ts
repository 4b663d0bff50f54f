// Segment HTTP Tracking API: track, identify and group calls, one at a time or in POST /v1/batch.
// Facts (quoted in src/registry/connectors/segment.ts):
// https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/ ,
// https://segment.com/docs/connections/spec/common/ , https://segment.com/docs/guides/regional-segment/
// Segment answers 200 to nearly everything (a wrong write key, a missing userId, a batch with too many
// events) and 400 only for an oversize or malformed body, so the limits are enforced here before
// sending and the credential check is offline.
import { z } from 'zod';
import type { BatchCallOptions, BatchItemResult, BatchResult, ConnectorExecutor, ConnectorResponse } from '../core/envelope.js';
import { failBeforeSend, withBody, withError } from '../core/envelope.js';
import { basicAuth } from '../core/redact.js';
import type { SegmentConfig } from '../registry/connectors/segment.js';
import { SEGMENT_BATCH_MAX_BYTES, SEGMENT_BATCH_MAX_ITEMS, SEGMENT_HOSTS } from '../registry/connectors/segment.js';
import { bindProvider, type ProviderBinding } from './bind.js';
import { checkConfig, checkMessage, dedupValue, offlineCheck } from './support.js';

const PROVIDER = 'Segment';
/** Segment's limit per call (and per event of a batch). */
export const SEGMENT_MAX_CALL_BYTES = 32 * 1024;
// The HTTP API page: "unique messageId values with fewer than 100 characters". Longer idempotency keys
// are hashed (64 hex characters).
export const SEGMENT_MAX_MESSAGE_ID = 99;

const record = z.record(z.string(), z.unknown());
const common = {
  userId: z.string().min(1).optional(),
  anonymousId: z.string().min(1).optional(),
  context: record.optional(),
  timestamp: z.string().refine((v) => !Number.isNaN(Date.parse(v)), { error: 'must be an ISO-8601 date-time' }).optional(),
  /** Segment's de-duplication id. Defaults to the idempotency key. */
  messageId: z.string().min(1).max(SEGMENT_MAX_MESSAGE_ID).optional(),
};

export const segmentMessageSchema = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('track'), event: z.string().trim().min(1), properties: record.optional(), ...common }),
    z.strictObject({ type: z.literal('identify'), traits: record.optional(), ...common }),
    z.strictObject({ type: z.literal('group'), groupId: z.string().min(1), traits: record.optional(), ...common }),
  ])
  .refine((m) => m.userId !== undefined || m.anonymousId !== undefined, { error: 'give userId or anonymousId', path: ['userId'] });
export type SegmentMessage = z.infer<typeof segmentMessageSchema>;

/**
 * Segment's request context: the region's host (a sandbox override replaces only the origin), /v1,
 * and Basic auth with the write key as user name and an empty password (the colon stays).
 */
const SEGMENT: ProviderBinding<SegmentConfig> = {
  connectorId: 'segment',
  provider: PROVIDER,
  baseUrl: (config) => new URL(SEGMENT_HOSTS[config.region ?? 'us']).origin,
  pathPrefix: (config) => new URL(SEGMENT_HOSTS[config.region ?? 'us']).pathname.replace(/\/+$/, ''),
  headers: (config) => ({ authorization: basicAuth(config.writeKey, ''), 'content-type': 'application/json' }),
};

/** The body of POST /track|/identify|/group: the message minus its type, with messageId set. */
export function segmentCallBody(m: SegmentMessage, idempotencyKey: string | undefined): Record<string, unknown> {
  const { type: _type, messageId, ...rest } = m;
  const id = dedupValue(messageId, idempotencyKey, SEGMENT_MAX_MESSAGE_ID);
  return { ...rest, ...(id !== undefined ? { messageId: id } : {}) };
}

/** One message as an element of a batch: the call body with its `type` (the batch needs it). */
export function segmentBatchItem(m: SegmentMessage, idempotencyKey: string | undefined): Record<string, unknown> {
  return { type: m.type, ...segmentCallBody(m, idempotencyKey) };
}

const tooLarge = (what: string, size: number) =>
  failBeforeSend('payload_too_large', `${PROVIDER}: ${what} is ${size} bytes; Segment accepts at most ${SEGMENT_MAX_CALL_BYTES} bytes (32 KB) per call`);

export const segmentExecutor: ConnectorExecutor<SegmentConfig> = {
  messageSchema: segmentMessageSchema,

  async testConnection(rawConfig): Promise<ConnectorResponse> {
    const checked = checkConfig<SegmentConfig>('segment', rawConfig);
    if ('fail' in checked) return checked.fail;
    return offlineCheck('Segment answers 200 even to a wrong write key, so only the config was checked; send a test event and look for it in the source debugger.');
  },

  async send(rawConfig, rawMessage, opts) {
    const bound = bindProvider(SEGMENT, rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    const msg = checkMessage(segmentMessageSchema, rawMessage, PROVIDER);
    if ('fail' in msg) return msg.fail;
    const body = segmentCallBody(msg.message, opts?.idempotencyKey);
    const json = JSON.stringify(body);
    const size = Buffer.byteLength(json, 'utf8');
    if (size > SEGMENT_MAX_CALL_BYTES) return tooLarge(`the ${msg.message.type} call`, size);

    const res = await bound.provider.request({ method: 'POST', path: `/${msg.message.type}`, body: json });
    if (!res.ok) return withError(res, res.error!);
    // The 200 body ({"success": true}) proves nothing more than receipt; it is not checked.
    return withBody(res, { type: msg.message.type, messageId: (body.messageId as string | undefined) ?? null });
  },

  /**
   * POST /v1/batch. A message that is invalid or over 32 KB gets its own failure and the rest are sent;
   * a batch over 2,500 events or 500 KB fails whole before sending, for the caller to split (Segment
   * would drop the excess events behind a 200). Segment answers the batch as a whole, so once it is
   * accepted every sent message is received, with its messageId as the id.
   */
  async sendBatch(rawConfig, messages, opts?: BatchCallOptions): Promise<ConnectorResponse<BatchResult>> {
    const bound = bindProvider(SEGMENT, rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    if (!Array.isArray(messages) || messages.length === 0) return failBeforeSend('bad_request', `${PROVIDER}: a batch needs at least one message`);
    if (messages.length > SEGMENT_BATCH_MAX_ITEMS) {
      return failBeforeSend('payload_too_large', `${PROVIDER}: ${messages.length} events; a batch accepts at most ${SEGMENT_BATCH_MAX_ITEMS}, split it`);
    }
    const keys = opts?.idempotencyKeys;
    if (keys && keys.length !== messages.length) {
      return failBeforeSend('bad_request', `${PROVIDER}: ${keys.length} idempotency keys for ${messages.length} messages; give one per message or none`);
    }

    const items: (BatchItemResult | undefined)[] = new Array(messages.length).fill(undefined);
    const sent: { index: number; json: string; messageId: string | undefined }[] = [];
    messages.forEach((message, index) => {
      const msg = checkMessage(segmentMessageSchema, message, PROVIDER);
      if ('fail' in msg) {
        items[index] = { ok: false, error: msg.fail.error! };
        return;
      }
      const item = segmentBatchItem(msg.message, keys?.[index]);
      const json = JSON.stringify(item);
      const size = Buffer.byteLength(json, 'utf8');
      if (size > SEGMENT_MAX_CALL_BYTES) items[index] = { ok: false, error: tooLarge(`the ${msg.message.type} event`, size).error! };
      else sent.push({ index, json, messageId: item.messageId as string | undefined });
    });
    if (sent.length === 0) return { ok: true, status: 0, latencyMs: 0, body: { items: items as BatchItemResult[] } };

    // The events are already serialized: joined as they are, the measured bytes are the bytes sent.
    const json = `{"batch":[${sent.map((s) => s.json).join(',')}]}`;
    const size = Buffer.byteLength(json, 'utf8');
    if (size > SEGMENT_BATCH_MAX_BYTES) {
      return failBeforeSend('payload_too_large', `${PROVIDER}: the batch is ${size} bytes; Segment accepts at most ${SEGMENT_BATCH_MAX_BYTES} bytes (500 KB) per batch, split it`);
    }
    const res = await bound.provider.request({ method: 'POST', path: '/batch', body: json });
    if (!res.ok) return withError(res, res.error!);
    for (const s of sent) items[s.index] = { ok: true, ...(s.messageId !== undefined ? { id: s.messageId } : {}) };
    return withBody(res, { items: items as BatchItemResult[] });
  },
};
