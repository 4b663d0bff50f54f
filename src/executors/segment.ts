// Segment HTTP Tracking API: track, identify and group calls.
// Facts (shared/docs/providers.md §12): https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/ ,
// https://segment.com/docs/connections/spec/common/ , https://segment.com/docs/guides/regional-segment/
// Segment answers 200 to nearly everything (a wrong write key, a missing userId) and 400 only for an
// oversize or malformed body, so the limits are enforced here before sending and the credential check
// is offline.
import { z } from 'zod';
import type { CallOptions, ConnectorExecutor, ConnectorResponse } from '../core/envelope.js';
import { failBeforeSend, withBody, withError } from '../core/envelope.js';
import { httpRequest } from '../core/http.js';
import { basicAuth } from '../core/redact.js';
import type { SegmentConfig } from '../registry/connectors/segment.js';
import { SEGMENT_HOSTS, segment } from '../registry/connectors/segment.js';
import { baseUrl, callOptions, checkConfig, checkMessage, dedupValue, offlineCheck, secretsOf } from './support.js';

const PROVIDER = 'Segment';
/** Segment's limit per call (and per event of a batch). */
export const SEGMENT_MAX_CALL_BYTES = 32 * 1024;
// Not in Segment's docs; Segment support states messageId is limited to 100 characters
// (github.com/segmentio/segment-docs/issues/5924). Longer idempotency keys are hashed.
const MAX_MESSAGE_ID = 100;

const record = z.record(z.string(), z.unknown());
const common = {
  userId: z.string().min(1).optional(),
  anonymousId: z.string().min(1).optional(),
  context: record.optional(),
  timestamp: z.string().refine((v) => !Number.isNaN(Date.parse(v)), { error: 'must be an ISO-8601 date-time' }).optional(),
  /** Segment's de-duplication id. Defaults to the idempotency key. */
  messageId: z.string().min(1).max(MAX_MESSAGE_ID).optional(),
};

export const segmentMessageSchema = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('track'), event: z.string().trim().min(1), properties: record.optional(), ...common }),
    z.strictObject({ type: z.literal('identify'), traits: record.optional(), ...common }),
    z.strictObject({ type: z.literal('group'), groupId: z.string().min(1), traits: record.optional(), ...common }),
  ])
  .refine((m) => m.userId !== undefined || m.anonymousId !== undefined, { error: 'give userId or anonymousId', path: ['userId'] });
export type SegmentMessage = z.infer<typeof segmentMessageSchema>;

function apiBase(config: SegmentConfig, opts?: CallOptions) {
  // The hosts carry the /v1 prefix; a sandbox override replaces only the origin.
  const host = new URL(SEGMENT_HOSTS[config.region ?? 'us']);
  const r = baseUrl(host.origin, opts);
  return 'fail' in r ? r : { base: `${r.base}${host.pathname.replace(/\/+$/, '')}` };
}

/** The body of POST /track|/identify|/group: the message minus its type, with messageId set. */
export function segmentCallBody(m: SegmentMessage, idempotencyKey: string | undefined): Record<string, unknown> {
  const { type: _type, messageId, ...rest } = m;
  const id = dedupValue(messageId, idempotencyKey, MAX_MESSAGE_ID);
  return { ...rest, ...(id !== undefined ? { messageId: id } : {}) };
}

export const segmentExecutor: ConnectorExecutor<SegmentConfig> = {
  async testConnection(rawConfig): Promise<ConnectorResponse> {
    const checked = checkConfig<SegmentConfig>('segment', rawConfig);
    if ('fail' in checked) return checked.fail;
    return offlineCheck('Segment answers 200 even to a wrong write key, so only the config was checked; send a test event and look for it in the source debugger.');
  },

  async send(rawConfig, rawMessage, opts) {
    const checked = checkConfig<SegmentConfig>('segment', rawConfig);
    if ('fail' in checked) return checked.fail;
    const msg = checkMessage(segmentMessageSchema, rawMessage, PROVIDER);
    if ('fail' in msg) return msg.fail;
    const { config } = checked;
    const body = segmentCallBody(msg.message, opts?.idempotencyKey);
    const json = JSON.stringify(body);
    const size = Buffer.byteLength(json, 'utf8');
    if (size > SEGMENT_MAX_CALL_BYTES) {
      return failBeforeSend('payload_too_large', `${PROVIDER}: the ${msg.message.type} call is ${size} bytes; Segment accepts at most ${SEGMENT_MAX_CALL_BYTES} bytes (32 KB) per call`);
    }
    const base = apiBase(config, opts);
    if ('fail' in base) return base.fail;

    // Basic auth with the write key as user name and an empty password: the colon stays.
    const authorization = basicAuth(config.writeKey, '');
    const res = await httpRequest({
      provider: PROVIDER,
      method: 'POST',
      url: `${base.base}/${msg.message.type}`,
      body: json,
      headers: { authorization, 'content-type': 'application/json' },
      secrets: secretsOf('segment', config),
      ...callOptions(opts, segment.policy.timeouts.requestMs),
    });
    if (!res.ok) return withError(res, res.error!);
    // The 200 body ({"success": true}) proves nothing more than receipt; it is not checked.
    return withBody(res, { type: msg.message.type, messageId: (body.messageId as string | undefined) ?? null });
  },
};
