// Amazon Kinesis Data Streams, PutRecord over the AWS JSON 1.1 protocol, signed with SigV4.
// Facts (shared/docs/providers.md §22):
//   https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecord.html
//   https://docs.aws.amazon.com/kinesis/latest/APIReference/API_DescribeStreamSummary.html
//   https://docs.aws.amazon.com/kinesis/latest/APIReference/CommonErrors.html
//   https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html
//   https://docs.aws.amazon.com/general/latest/gr/ak.html (endpoints; China: amazonaws.com.cn)
//
// Kinesis has no de-duplication: a retry after an ambiguous timeout can write the same record twice.
// Nothing is added to the caller's data to hide that; consumers should dedupe on an event id that the
// producer puts inside `data` (the idempotency key only feeds the partition key when nothing else does).
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { CallOptions, ConnectorExecutor, ConnectorResponse } from '../core/envelope.js';
import { failBeforeSend, withBody, withError } from '../core/envelope.js';
import { connectorError, type ErrorCode } from '../core/errors.js';
import { httpRequest, type HttpResponse } from '../core/http.js';
import { redact } from '../core/redact.js';
import type { KinesisConfig } from '../registry/connectors/kinesis.js';
import { kinesis } from '../registry/connectors/kinesis.js';
import { signAwsJsonPost } from './aws-sigv4.js';
import { baseUrl, callOptions, checkConfig, checkMessage, parseBody, secretsOf } from './support.js';

const PROVIDER = 'Kinesis';
const CONTENT_TYPE = 'application/x-amz-json-1.1';
const TARGET_PREFIX = 'Kinesis_20131202';
/** Decoded Data plus the partition key, per record. */
export const MAX_RECORD_BYTES = 1_048_576;
const MAX_PARTITION_KEY_CHARS = 256;
// A 128-bit unsigned integer in decimal (the hash key space).
const MAX_HASH_KEY = (1n << 128n) - 1n;

const messageSchema = z.strictObject({
  data: z.union([z.string(), z.record(z.string(), z.unknown())], { error: 'must be a string or a JSON object' }),
  partitionKey: z.string().optional(),
  explicitHashKey: z
    .string()
    .regex(/^(0|[1-9]\d{0,38})$/, { error: 'must be a decimal integer' })
    .refine((v) => BigInt(v) <= MAX_HASH_KEY, { error: 'must be below 2^128' })
    .optional(),
});

const putRecordBody = z.looseObject({ ShardId: z.string().min(1), SequenceNumber: z.string().min(1), EncryptionType: z.string().optional() });
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
  const error = mapped && mapped !== res.error.code ? connectorError(mapped, res.error.message, res.error.retryAfterMs !== undefined ? { retryAfterMs: res.error.retryAfterMs } : {}) : { ...res.error };
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

function streamRef(config: KinesisConfig): { StreamARN: string } | { StreamName: string } {
  // The registry allows exactly one of them; AWS recommends the ARN when both could be used.
  return config.streamArn ? { StreamARN: config.streamArn } : { StreamName: config.streamName! };
}

async function call(config: KinesisConfig, operation: string, payload: Record<string, unknown>, opts?: CallOptions): Promise<HttpResponse | ConnectorResponse<never>> {
  const base = baseUrl(kinesisEndpoint(config.region), opts);
  if ('fail' in base) return base.fail;
  const url = new URL(`${base.base}/`);
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
  const signature = /Signature=([0-9a-f]+)/.exec(headers.authorization ?? '')?.[1];
  const secrets = [...secretsOf('kinesis', config), headers.authorization, signature].filter((s): s is string => !!s);
  const res = await httpRequest({
    provider: PROVIDER,
    method: 'POST',
    url,
    headers,
    body,
    secrets,
    ...callOptions(opts, kinesis.policy.timeouts.requestMs),
  });
  const refined = refineError(res, secrets);
  if (!refined.ok) return refined;
  const parsed = jsonBody(refined.body);
  if ('malformed' in parsed) {
    return withError<never>(refined, connectorError('invalid_response', `${PROVIDER} answered HTTP ${refined.status} with a body that is not valid JSON`));
  }
  return { ...refined, body: parsed.value };
}

function isHttp(res: HttpResponse | ConnectorResponse<never>): res is HttpResponse {
  return 'headers' in res;
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

export const kinesisExecutor: ConnectorExecutor<KinesisConfig> = {
  async testConnection(rawConfig, opts) {
    const checked = checkConfig<KinesisConfig>('kinesis', rawConfig);
    if ('fail' in checked) return checked.fail;
    const res = await call(checked.config, 'DescribeStreamSummary', streamRef(checked.config), opts);
    if (!isHttp(res)) return res;
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
    const checked = checkConfig<KinesisConfig>('kinesis', rawConfig);
    if ('fail' in checked) return checked.fail;
    const { config } = checked;
    const msg = checkMessage(messageSchema, message, PROVIDER);
    if ('fail' in msg) return msg.fail;
    const { data, explicitHashKey } = msg.message;

    const partitionKey = partitionKeyFor(config, data, msg.message.partitionKey, opts?.idempotencyKey);
    const keyChars = [...partitionKey].length;
    if (keyChars < 1 || keyChars > MAX_PARTITION_KEY_CHARS) {
      return failBeforeSend('bad_request', `${PROVIDER}: invalid message (partitionKey: must be 1 to ${MAX_PARTITION_KEY_CHARS} characters, got ${keyChars})`);
    }
    const bytes = Buffer.from(typeof data === 'string' ? data : JSON.stringify(data), 'utf8');
    const total = bytes.length + Buffer.byteLength(partitionKey, 'utf8');
    if (total > MAX_RECORD_BYTES) {
      return failBeforeSend('payload_too_large', `${PROVIDER}: the record is ${total} bytes (data plus partition key); Kinesis accepts at most ${MAX_RECORD_BYTES}`);
    }

    const res = await call(config, 'PutRecord', {
      ...streamRef(config),
      Data: bytes.toString('base64'),
      PartitionKey: partitionKey,
      ...(explicitHashKey ? { ExplicitHashKey: explicitHashKey } : {}),
    }, opts);
    if (!isHttp(res)) return res;
    const parsed = parseBody(res, putRecordBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return parsed;
    const { ShardId, SequenceNumber, EncryptionType } = parsed.body;
    return withBody(parsed, { ShardId, SequenceNumber, ...(EncryptionType ? { EncryptionType } : {}) });
  },
};
