// Amazon Kinesis Data Streams over the AWS JSON 1.1 protocol, signed with SigV4: PutRecord (send),
// PutRecords (sendBatch) and DescribeStreamSummary (testConnection).
// Facts (limits and their sources are in src/registry/connectors/kinesis.ts):
//   https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecord.html
//   https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html
//   https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecordsResultEntry.html
//   https://docs.aws.amazon.com/kinesis/latest/APIReference/API_DescribeStreamSummary.html
//   https://docs.aws.amazon.com/kinesis/latest/APIReference/CommonErrors.html
//   https://docs.aws.amazon.com/general/latest/gr/ak.html (endpoints; China: amazonaws.com.cn)
//
// Kinesis has no de-duplication: a retry after an ambiguous timeout can write the same record twice.
// Nothing is added to the caller's data to hide that; consumers should dedupe on an event id that the
// producer puts inside `data` (the idempotency key only feeds the partition key when nothing else does).
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { BatchCallOptions, BatchItemResult, BatchResult, ConnectorExecutor, ConnectorResponse } from '../core/envelope.js';
import { failBeforeSend, withBody, withError } from '../core/envelope.js';
import { connectorError, type ConnectorError, type ErrorCode } from '../core/errors.js';
import type { HttpResponse } from '../core/http.js';
import { redact, redactDeep } from '../core/redact.js';
import type { KinesisConfig } from '../registry/connectors/kinesis.js';
import { KINESIS_PUT_RECORDS_MAX_BYTES, KINESIS_PUT_RECORDS_MAX_ITEMS, KINESIS_RECORD_SIZE_KIB } from '../registry/connectors/kinesis.js';
import { signAwsJsonPost } from './aws-sigv4.js';
import { bindProvider, type BoundProvider, type ProviderBinding } from './bind.js';
import { checkMessage, parseBody } from './support.js';

const PROVIDER = 'Kinesis';
const CONTENT_TYPE = 'application/x-amz-json-1.1';
const TARGET_PREFIX = 'Kinesis_20131202';
/** Decoded Data plus the partition key, per record, on a stream whose maximum was not raised. */
export const MAX_RECORD_BYTES = KINESIS_RECORD_SIZE_KIB.default * 1_024;
const MAX_PARTITION_KEY_CHARS = 256;
// A 128-bit unsigned integer in decimal (the hash key space).
const MAX_HASH_KEY = (1n << 128n) - 1n;

const messageSchema = z.strictObject({
  data: z.union([z.string(), z.record(z.string(), z.unknown())], { error: 'must be a string or a JSON object' }),
  partitionKey: z.string().optional(),
  explicitHashKey: z
    .string()
    .regex(/^(0|[1-9]\d{0,38})$/, { error: 'must be a decimal integer' })
    // zod runs this check even when the pattern failed: BigInt("abc") would throw out of send.
    .refine((v) => !/^\d+$/.test(v) || BigInt(v) <= MAX_HASH_KEY, { error: 'must be below 2^128' })
    .optional(),
});

const putRecordBody = z.looseObject({ ShardId: z.string().min(1), SequenceNumber: z.string().min(1), EncryptionType: z.string().optional() });
const putRecordsEntry = z.looseObject({
  SequenceNumber: z.string().min(1).optional(),
  ShardId: z.string().optional(),
  ErrorCode: z.string().min(1).optional(),
  ErrorMessage: z.string().optional(),
}).refine((e) => e.SequenceNumber !== undefined || e.ErrorCode !== undefined, { error: 'a record result has neither SequenceNumber nor ErrorCode' });
const putRecordsBody = z.looseObject({
  FailedRecordCount: z.number().int().nonnegative().optional(),
  Records: z.array(putRecordsEntry),
  EncryptionType: z.string().optional(),
});
const describeBody = z.looseObject({
  StreamDescriptionSummary: z.looseObject({
    StreamName: z.string(),
    StreamARN: z.string().optional(),
    StreamStatus: z.string(),
    OpenShardCount: z.number().optional(),
    StreamModeDetails: z.looseObject({ StreamMode: z.string().optional() }).optional(),
  }),
});
const awsError = z.looseObject({ __type: z.string().optional(), message: z.string().optional(), Message: z.string().optional() });

// AWS JSON errors by name: Kinesis throttles with HTTP 400, so the status alone would say bad_request.
const CODE_BY_TYPE: Readonly<Record<string, ErrorCode>> = {
  ProvisionedThroughputExceededException: 'rate_limited',
  KMSThrottlingException: 'rate_limited',
  LimitExceededException: 'rate_limited',
  ThrottlingException: 'rate_limited',
  ResourceNotFoundException: 'not_found',
  AccessDeniedException: 'forbidden',
  ExpiredTokenException: 'unauthorized',
  UnrecognizedClientException: 'unauthorized',
  InvalidSignatureException: 'unauthorized',
  IncompleteSignatureException: 'unauthorized',
  MissingAuthenticationTokenException: 'unauthorized',
  InvalidArgumentException: 'bad_request',
  ValidationException: 'bad_request',
  SerializationException: 'bad_request',
};

/**
 * A record PutRecords did not write. The documented codes are ProvisionedThroughputExceededException
 * (rate_limited) and InternalFailure, both worth resending; any other known name keeps its whole-call
 * meaning, and InternalFailure or an unknown name is taken as the service's fault (retryable), since the
 * call itself was accepted.
 */
function recordErrorCode(name: string): ErrorCode {
  return CODE_BY_TYPE[name] ?? 'upstream_error';
}

/** `com.amazonaws.kinesis#ResourceNotFoundException` / `…Exception:http://…` → the bare name. */
export function awsErrorName(raw: string): string {
  const afterHash = raw.includes('#') ? raw.slice(raw.lastIndexOf('#') + 1) : raw;
  return afterHash.split(':')[0]!.trim();
}

/** Kinesis answers `application/x-amz-json-1.1`, which the shared HTTP layer leaves as text. */
function jsonBody(body: unknown): { value: unknown } | { malformed: true } {
  if (typeof body !== 'string') return { value: body };
  try {
    return { value: JSON.parse(body) };
  } catch {
    return { malformed: true };
  }
}

function refineError(res: HttpResponse, secrets: readonly string[]): HttpResponse {
  if (res.ok || !res.error || res.status === 0) return res;
  const parsedJson = jsonBody(res.body);
  const parsed = 'value' in parsedJson ? awsError.safeParse(parsedJson.value) : undefined;
  const rawType = (parsed?.success ? parsed.data.__type : undefined) ?? res.headers['x-amzn-errortype'];
  const name = rawType ? awsErrorName(rawType) : undefined;
  const detail = parsed?.success ? parsed.data.message ?? parsed.data.Message : undefined;
  const mapped = name ? CODE_BY_TYPE[name] : undefined;
  const requestId = res.headers['x-amzn-requestid'];
  const error: ConnectorError = mapped && mapped !== res.error.code
    ? connectorError(mapped, res.error.message, {
      ...(res.error.retryAfterMs !== undefined ? { retryAfterMs: res.error.retryAfterMs } : {}),
      ...(res.error.ambiguous ? { ambiguous: true } : {}),
    })
    : { ...res.error };
  if (name || detail) {
    error.message = redact(
      `${PROVIDER} answered HTTP ${res.status}${name ? ` (${name})` : ''}${detail ? `: ${detail.slice(0, 500)}` : ''}${requestId ? ` [request ${requestId}]` : ''}`,
      secrets,
    );
  }
  return { ...res, error };
}

/** https://kinesis.<region>.amazonaws.com, or .amazonaws.com.cn in the China regions. */
export function kinesisEndpoint(region: string): string {
  return `https://kinesis.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
}

/**
 * Kinesis's request context. Auth is a SigV4 signature over each request's bytes, so it is added per
 * call (signedCall) rather than as a fixed header.
 */
const KINESIS: ProviderBinding<KinesisConfig> = {
  connectorId: 'kinesis',
  provider: PROVIDER,
  baseUrl: (config) => kinesisEndpoint(config.region),
  headers: () => ({}),
  refineError,
};

function streamRef(config: KinesisConfig): { StreamARN: string } | { StreamName: string } {
  // The registry allows exactly one of them; AWS recommends the ARN when both could be used.
  return config.streamArn ? { StreamARN: config.streamArn } : { StreamName: config.streamName! };
}

/** Signs and sends one operation; the answer's JSON body is parsed (a failed answer passes through). */
async function signedCall(bound: BoundProvider<KinesisConfig>, operation: string, payload: Record<string, unknown>): Promise<HttpResponse> {
  const { config } = bound;
  const url = new URL(`${bound.base}/`);
  const body = JSON.stringify(payload);
  const headers = await signAwsJsonPost({
    url,
    region: config.region,
    service: 'kinesis',
    target: `${TARGET_PREFIX}.${operation}`,
    contentType: CONTENT_TYPE,
    body,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey, sessionToken: config.sessionToken },
  });
  let res = await bound.request({ method: 'POST', path: '/', headers, body });
  // The Authorization header is redacted whole by the HTTP layer; the bare signature is this request's
  // credential too (valid for minutes, replayable), so an echo of it alone is hidden as well.
  const signature = /Signature=([0-9a-f]+)/.exec(headers.authorization ?? '')?.[1];
  if (signature && res.error) {
    res = { ...res, body: redactDeep(res.body, [signature]), error: { ...res.error, message: redact(res.error.message, [signature]) } };
  }
  if (!res.ok) return res;
  const parsed = jsonBody(res.body);
  if ('malformed' in parsed) {
    return { ...res, ok: false, body: null, error: connectorError('invalid_response', `${PROVIDER} answered HTTP ${res.status} with a body that is not valid JSON`) };
  }
  return { ...res, body: parsed.value };
}

/** A scalar field of an object, top-level name first, then a dotted path ("user.id"). */
function fieldValue(data: Record<string, unknown>, field: string): string | undefined {
  let value: unknown = data[field];
  if (value === undefined && field.includes('.')) {
    value = field.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[k] : undefined), data);
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return undefined;
}

/** Partition key: the message's, else the configured field of an object `data`, else the idempotency key, else random. */
function partitionKeyFor(config: KinesisConfig, data: string | Record<string, unknown>, explicit: string | undefined, idempotencyKey: string | undefined): string {
  if (explicit !== undefined) return explicit;
  if (config.partitionKeyField && typeof data === 'object') {
    const v = fieldValue(data, config.partitionKeyField);
    if (v !== undefined && v !== '') return v;
  }
  return idempotencyKey || randomUUID();
}

interface KinesisRecord {
  entry: { Data: string; PartitionKey: string; ExplicitHashKey?: string };
  /** Decoded data plus partition key: what the record and request size limits count. */
  bytes: number;
}

/** The stream's maximum record size: the connection's (raised streams), else Kinesis's 1 MiB default. */
function maxRecordBytes(config: KinesisConfig): number {
  return (config.maxRecordSizeKiB ?? KINESIS_RECORD_SIZE_KIB.default) * 1_024;
}

/** One message as a PutRecord(s) entry, or why it cannot be one (nothing is sent for it). */
function buildRecord(config: KinesisConfig, message: unknown, idempotencyKey: string | undefined): { record: KinesisRecord } | { fail: ConnectorResponse<never> } {
  const msg = checkMessage(messageSchema, message, PROVIDER);
  if ('fail' in msg) return msg;
  const { data, explicitHashKey } = msg.message;
  const partitionKey = partitionKeyFor(config, data, msg.message.partitionKey, idempotencyKey);
  const keyChars = [...partitionKey].length;
  if (keyChars < 1 || keyChars > MAX_PARTITION_KEY_CHARS) {
    return { fail: failBeforeSend('bad_request', `${PROVIDER}: invalid message (partitionKey: must be 1 to ${MAX_PARTITION_KEY_CHARS} characters, got ${keyChars})`) };
  }
  const bytes = Buffer.from(typeof data === 'string' ? data : JSON.stringify(data), 'utf8');
  const total = bytes.length + Buffer.byteLength(partitionKey, 'utf8');
  const max = maxRecordBytes(config);
  if (total > max) {
    const raise = max < KINESIS_RECORD_SIZE_KIB.max * 1_024 ? ' (raise the stream\'s maximum with UpdateMaxRecordSize and set maxRecordSizeKiB to match)' : '';
    return { fail: failBeforeSend('payload_too_large', `${PROVIDER}: the record is ${total} bytes (data plus partition key); the stream accepts at most ${max}${raise}`) };
  }
  return {
    record: {
      entry: { Data: bytes.toString('base64'), PartitionKey: partitionKey, ...(explicitHashKey ? { ExplicitHashKey: explicitHashKey } : {}) },
      bytes: total,
    },
  };
}

/** One PutRecords result entry as the message's result. */
function itemResult(entry: z.infer<typeof putRecordsEntry>, index: number, secrets: readonly string[]): BatchItemResult {
  if (entry.ErrorCode === undefined) return { ok: true, id: entry.SequenceNumber! };
  const name = awsErrorName(entry.ErrorCode);
  const detail = entry.ErrorMessage ? `: ${entry.ErrorMessage.slice(0, 500)}` : '';
  return { ok: false, error: connectorError(recordErrorCode(name), redact(`${PROVIDER} did not write record ${index} (${name})${detail}`, secrets)) };
}

export const kinesisExecutor: ConnectorExecutor<KinesisConfig> = {
  messageSchema,

  async testConnection(rawConfig, opts) {
    const bound = bindProvider(KINESIS, rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    const res = await signedCall(bound.provider, 'DescribeStreamSummary', streamRef(bound.provider.config));
    const parsed = parseBody(res, describeBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return parsed;
    const s = parsed.body.StreamDescriptionSummary;
    return withBody(parsed, {
      streamName: s.StreamName,
      streamArn: s.StreamARN ?? null,
      streamStatus: s.StreamStatus,
      openShardCount: s.OpenShardCount ?? null,
      streamMode: s.StreamModeDetails?.StreamMode ?? null,
    });
  },

  async send(rawConfig, message, opts) {
    const bound = bindProvider(KINESIS, rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    const { config } = bound.provider;
    const built = buildRecord(config, message, opts?.idempotencyKey);
    if ('fail' in built) return built.fail;
    const res = await signedCall(bound.provider, 'PutRecord', { ...streamRef(config), ...built.record.entry });
    const parsed = parseBody(res, putRecordBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return parsed;
    const { ShardId, SequenceNumber, EncryptionType } = parsed.body;
    return withBody(parsed, { ShardId, SequenceNumber, ...(EncryptionType ? { EncryptionType } : {}) });
  },

  /**
   * PutRecords. A message that cannot be a record (invalid, or over the stream's record size) gets its
   * own failure and the others are still written; a batch that breaks a per-call limit (500 records,
   * 10 MiB) fails whole before sending, for the caller to split. When the call is answered, every
   * message gets Kinesis's own per-record outcome, mapped back to its position.
   */
  async sendBatch(rawConfig, messages, opts?: BatchCallOptions): Promise<ConnectorResponse<BatchResult>> {
    const bound = bindProvider(KINESIS, rawConfig, opts);
    if ('fail' in bound) return bound.fail;
    const { config, secrets } = bound.provider;
    if (!Array.isArray(messages) || messages.length === 0) return failBeforeSend('bad_request', `${PROVIDER}: a batch needs at least one message`);
    if (messages.length > KINESIS_PUT_RECORDS_MAX_ITEMS) {
      return failBeforeSend('payload_too_large', `${PROVIDER}: ${messages.length} records; PutRecords accepts at most ${KINESIS_PUT_RECORDS_MAX_ITEMS} per call, split the batch`);
    }
    const keys = opts?.idempotencyKeys;
    if (keys && keys.length !== messages.length) {
      return failBeforeSend('bad_request', `${PROVIDER}: ${keys.length} idempotency keys for ${messages.length} messages; give one per message or none`);
    }

    const items: (BatchItemResult | undefined)[] = new Array(messages.length).fill(undefined);
    const sent: { index: number; record: KinesisRecord }[] = [];
    messages.forEach((message, index) => {
      const built = buildRecord(config, message, keys?.[index]);
      if ('fail' in built) items[index] = { ok: false, error: built.fail.error! };
      else sent.push({ index, record: built.record });
    });
    const totalBytes = sent.reduce((n, s) => n + s.record.bytes, 0);
    if (totalBytes > KINESIS_PUT_RECORDS_MAX_BYTES) {
      return failBeforeSend('payload_too_large', `${PROVIDER}: the batch is ${totalBytes} bytes (data plus partition keys); PutRecords accepts at most ${KINESIS_PUT_RECORDS_MAX_BYTES} (10 MiB) per call, split the batch`);
    }
    // Nothing left to write: every message already has its reason, and no request is made.
    if (sent.length === 0) return { ok: true, status: 0, latencyMs: 0, body: { items: items as BatchItemResult[] } };

    const res = await signedCall(bound.provider, 'PutRecords', { ...streamRef(config), Records: sent.map((s) => s.record.entry) });
    const parsed = parseBody(res, putRecordsBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return withError(parsed, parsed.error!);
    const { Records, FailedRecordCount } = parsed.body;
    const failed = Records.filter((r) => r.ErrorCode !== undefined).length;
    if (Records.length !== sent.length || (FailedRecordCount !== undefined && FailedRecordCount !== failed)) {
      // Results correlate with the request by position only: a miscount makes every mapping a guess.
      return withError(parsed, connectorError('invalid_response', `${PROVIDER} answered PutRecords with ${Records.length} results (${FailedRecordCount ?? '?'} failed by its count, ${failed} by its entries) for ${sent.length} records`));
    }
    Records.forEach((entry, i) => {
      const { index } = sent[i]!;
      items[index] = itemResult(entry, index, secrets);
    });
    return withBody(parsed, { items: items as BatchItemResult[] });
  },
};
