// A local stand-in for Amazon Kinesis Data Streams over the AWS JSON 1.1 protocol: POST / with
// X-Amz-Target: Kinesis_20131202.<Operation>, Content-Type: application/x-amz-json-1.1 and a SigV4
// Authorization header. Operations: PutRecords (the executor's sendBatch), PutRecord (send) and
// DescribeStreamSummary (testConnection).
//
// Facts:
// - https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html : "Each PutRecords
//   request can support up to 500 records. Each record in the request can be as large as 10 MiB, up to a
//   limit of 10 MiB for the entire request, including partition keys. Each shard can support writes up
//   to 1,000 records per second, up to a maximum data write total of 1 MB per second." Records map to
//   shards by "An MD5 hash function ... to map partition keys to 128-bit integer values" (ExplicitHashKey
//   overrides it). The answer is HTTP 200 with FailedRecordCount and one result per request record, in
//   order: {SequenceNumber, ShardId} or {ErrorCode, ErrorMessage}, where "ErrorCode ... can be one of the
//   following values: ProvisionedThroughputExceededException or InternalFailure", e.g. "Rate exceeded for
//   shard shardId-000000000001 in stream exampleStreamName under account 111111111111." and "Internal
//   service failure." (the page's sample answer). Whole-call errors: InvalidArgumentException,
//   ProvisionedThroughputExceededException, ResourceNotFoundException, AccessDeniedException (400),
//   InternalFailureException (500).
// - https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecordsRequestEntry.html : PartitionKey
//   1 to 256 characters; ExplicitHashKey matching 0|([1-9]\d{0,38}).
// - https://docs.aws.amazon.com/kinesis/latest/APIReference/CommonErrors.html : ValidationException 400,
//   MissingAuthenticationToken 403, IncompleteSignature 400, InternalFailure 500, ServiceUnavailable 503.
//   Errors are {"__type": "<Name>", "message": "..."} with Content-Type application/x-amz-json-1.1 and
//   x-amzn-RequestId (AWS JSON 1.1). A constraint broken by the request (501 records, an empty partition
//   key) is AWS's generic "1 validation error detected: Value '…' at 'records' failed to satisfy
//   constraint: Member must have length less than or equal to 500" (ValidationException, 400; member
//   indices are 1-based).
// - An unknown access key id: HTTP 400 UnrecognizedClientException "The security token included in the
//   request is invalid." (what AWS JSON-protocol services answer; not 401/403). A signature that does not
//   verify: 400 InvalidSignatureException. A request without Authorization: 403
//   MissingAuthenticationTokenException "Missing Authentication Token".
// - https://docs.aws.amazon.com/kinesis/latest/APIReference/API_DescribeStreamSummary.html
//
// The signature is verified here with a hand-written SigV4 (node:crypto), independently of the
// @smithy/signature-v4 signer the executor uses, so that each checks the other (verifySignature: false
// turns it off). Kinesis does not de-duplicate: a resent record is written again (duplicates(keyFn)).
//
// The rejectItems fault: Kinesis has no permanent per-record error, so a rejected record answers
// ErrorCode InternalFailure ("Internal service failure."), which the executor treats as retryable: a
// rule that keeps matching makes every retry fail the same way, as a record the service keeps failing.
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Answer, DestinationFaultController, DestinationFaultInput, DestinationStats, DuplicateGroup, IncomingCall, Received, RecordedCall } from './faults.js';
import { Bucket, DestinationFaults, KeyedBuckets, listen, Recorder } from './faults.js';
import { kinesisStreamArn, SANDBOX_AWS_ACCOUNT_ID, SANDBOX_KINESIS } from './credentials.js';

const CONTENT_TYPE = 'application/x-amz-json-1.1';
const TARGET_PREFIX = 'Kinesis_20131202.';
const MAX_RECORDS = 500;
const MAX_REQUEST_BYTES = 10 * 1_048_576;
const MAX_DATA_BYTES = 10 * 1_048_576;
const MAX_PARTITION_KEY_CHARS = 256;
const HASH_SPACE_BITS = 128n;
const MAX_HASH_KEY = (1n << HASH_SPACE_BITS) - 1n;
/** Signature expiry, as AWS applies it (the request time may differ from the server's by 15 minutes). */
const MAX_CLOCK_SKEW_MS = 15 * 60_000;

/** A record written to a stream. */
export interface KinesisRecord {
  stream: string;
  shardId: string;
  sequenceNumber: string;
  partitionKey: string;
  explicitHashKey?: string;
  /** The decoded Data, as UTF-8 text. */
  data: string;
}

export interface KinesisStreamOptions {
  name: string;
  /** Open shards (default 4). */
  shards?: number;
  /** The stream's maximum record size, data plus partition key (1,024 KiB unless raised; at most 10,240). */
  maxRecordSizeKiB?: number;
}

export interface KinesisEmulatorOptions {
  host?: string;
  port?: number;
  region?: string;
  accountId?: string;
  /** Streams (default: SANDBOX_KINESIS.streamName with 4 shards). */
  streams?: readonly KinesisStreamOptions[];
  /** Accepted access keys (default: SANDBOX_KINESIS's pair). */
  credentials?: readonly { accessKeyId: string; secretAccessKey: string }[];
  /** Verify the SigV4 signature (default true); false only checks that the header names a known key. */
  verifySignature?: boolean;
  /** The per-shard write limits (1,000 records/s and 1 MiB/s) on (default) or off. */
  limits?: boolean;
  keepReceived?: boolean;
  faults?: DestinationFaultInput;
}

export interface KinesisEmulator {
  url: string;
  region: string;
  accountId: string;
  /** The default (first) stream's name and ARN. */
  streamName: string;
  streamArn: string;
  faults: DestinationFaultController;
  /** Every written record, in order (credential: the access key id). */
  received: Received<KinesisRecord>[];
  requests: RecordedCall[];
  /** Keys seen more than once; the default key is partition key plus data. */
  duplicates(keyFn?: (r: KinesisRecord) => string | null | undefined): DuplicateGroup[];
  stats(): DestinationStats;
  reset(): void;
  close(): Promise<void>;
}

export const KINESIS_EMULATOR_LIMITS = {
  recordsPerSecondPerShard: 1_000,
  bytesPerSecondPerShard: 1_048_576,
  defaultShards: 4,
  maxRecordSizeKiB: 1_024,
} as const;

interface StreamState {
  name: string;
  arn: string;
  shards: number;
  shardsBig: bigint;
  maxRecordBytes: number;
  createdAt: number;
  nextSeq: number[];
}

const shardIdOf = (i: number) => `shardId-${String(i).padStart(12, '0')}`;

function awsError(status: number, type: string, message: string): Answer {
  return {
    status,
    body: { __type: type, message },
    contentType: CONTENT_TYPE,
    headers: { 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.coral.service/` },
  };
}

const validation = (value: string, at: string, constraint: string) =>
  awsError(400, 'ValidationException', `1 validation error detected: Value '${value}' at '${at}' failed to satisfy constraint: ${constraint}`);

const sha256hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 3986 encoding as SigV4 wants it (unreserved characters kept). */
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

interface ParsedAuth {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

function parseAuthorization(header: string): ParsedAuth | null {
  const m = /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+)\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-f]{64})\s*$/.exec(header.trim());
  if (!m) return null;
  const parts = m[1]!.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request') return null;
  return { accessKeyId: parts[0]!, date: parts[1]!, region: parts[2]!, service: parts[3]!, signedHeaders: m[2]!.split(';'), signature: m[3]! };
}

/** SigV4 over the request as received: canonical request, string to sign, derived key, HMAC. */
function expectedSignature(call: IncomingCall, auth: ParsedAuth, secret: string, amzDate: string): string {
  const headerValue = (name: string) => {
    const v = call.headers[name];
    return (Array.isArray(v) ? v.join(',') : v ?? '').trim().replace(/\s+/g, ' ');
  };
  const canonicalUri = call.path.split('/').map((seg) => uriEncode(decodeURIComponent(seg))).join('/') || '/';
  const canonicalQuery = [...call.query.entries()]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalHeaders = auth.signedHeaders.map((h) => `${h}:${headerValue(h)}\n`).join('');
  const canonicalRequest = [call.method, canonicalUri, canonicalQuery, canonicalHeaders, auth.signedHeaders.join(';'), sha256hex(call.body)].join('\n');
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256hex(canonicalRequest)].join('\n');
  const kDate = hmac(`AWS4${secret}`, auth.date);
  const kRegion = hmac(kDate, auth.region);
  const kService = hmac(kRegion, auth.service);
  const kSigning = hmac(kService, 'aws4_request');
  return createHmac('sha256', kSigning).update(stringToSign, 'utf8').digest('hex');
}

function amzDateMs(v: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(v);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : NaN;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export async function startKinesisEmulator(options: KinesisEmulatorOptions = {}): Promise<KinesisEmulator> {
  const region = options.region ?? SANDBOX_KINESIS.region;
  const accountId = options.accountId ?? SANDBOX_AWS_ACCOUNT_ID;
  const secrets = new Map((options.credentials ?? [SANDBOX_KINESIS]).map((c) => [c.accessKeyId, c.secretAccessKey] as const));
  const verify = options.verifySignature ?? true;
  const streams = new Map<string, StreamState>();
  for (const s of options.streams ?? [{ name: SANDBOX_KINESIS.streamName }]) {
    const shards = s.shards ?? KINESIS_EMULATOR_LIMITS.defaultShards;
    if (!Number.isInteger(shards) || shards < 1) throw new Error(`stream ${s.name}: shards must be a positive integer`);
    streams.set(s.name, {
      name: s.name,
      arn: kinesisStreamArn(region, accountId, s.name),
      shards,
      shardsBig: BigInt(shards),
      maxRecordBytes: (s.maxRecordSizeKiB ?? KINESIS_EMULATOR_LIMITS.maxRecordSizeKiB) * 1_024,
      createdAt: Date.now(),
      nextSeq: new Array<number>(shards).fill(0),
    });
  }
  const firstStream = streams.values().next().value as StreamState;
  const faults = new DestinationFaults(() => DestinationFaults.defaults(options.limits ?? true), options.faults);
  const recordBuckets = new KeyedBuckets(faults, { perSecond: KINESIS_EMULATOR_LIMITS.recordsPerSecondPerShard });
  // Bytes: only under the documented limits (a rateLimit override counts records alone).
  const byteBuckets = new Map<string, Bucket>();
  let byteVersion = -1;
  const byteBucket = (key: string): Bucket | null => {
    if (byteVersion !== faults.limitsVersion) {
      byteBuckets.clear();
      byteVersion = faults.limitsVersion;
    }
    if (!faults.providerLimits || faults.rateLimit) return null;
    let b = byteBuckets.get(key);
    if (!b) byteBuckets.set(key, (b = new Bucket(KINESIS_EMULATOR_LIMITS.bytesPerSecondPerShard)));
    return b;
  };
  const recorder = new Recorder<KinesisRecord>(options.keepReceived ?? true);
  let seqCounter = 0;

  const sequenceNumber = (shard: number) => `49${String(shard).padStart(6, '0')}${String(++seqCounter).padStart(48, '0')}`;

  function shardFor(st: StreamState, partitionKey: string, explicitHashKey: string | undefined): number {
    const hash = explicitHashKey !== undefined ? BigInt(explicitHashKey) : BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
    return Number((hash * st.shardsBig) >> HASH_SPACE_BITS);
  }

  function findStream(body: Record<string, unknown>): StreamState | Answer {
    const name = typeof body.StreamName === 'string' ? body.StreamName : undefined;
    const arn = typeof body.StreamARN === 'string' ? body.StreamARN : undefined;
    if (name === undefined && arn === undefined) return awsError(400, 'InvalidArgumentException', 'Either StreamName or StreamARN should be provided.');
    const st = arn !== undefined ? [...streams.values()].find((s) => s.arn === arn) : streams.get(name!);
    if (!st || (name !== undefined && arn !== undefined && st.name !== name)) {
      return awsError(400, 'ResourceNotFoundException', `Stream ${name ?? arn} under account ${accountId} not found.`);
    }
    return st;
  }

  /** Checks Authorization; an error answer, or the access key id. */
  function authenticate(call: IncomingCall): Answer | string {
    const header = call.headers.authorization;
    if (!header) return awsError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    const auth = parseAuthorization(header);
    if (!auth) return awsError(400, 'IncompleteSignatureException', 'Authorization header requires \'Credential\', \'Signature\' and \'SignedHeaders\' parameters (AWS4-HMAC-SHA256).');
    const secret = secrets.get(auth.accessKeyId);
    if (secret === undefined) return awsError(400, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    if (auth.service !== 'kinesis') return awsError(400, 'InvalidSignatureException', `Credential should be scoped to correct service: 'kinesis'.`);
    if (auth.region !== region) return awsError(400, 'InvalidSignatureException', `Credential should be scoped to a valid region, not '${auth.region}'.`);
    const amzDate = typeof call.headers['x-amz-date'] === 'string' ? call.headers['x-amz-date'] : '';
    const at = amzDateMs(amzDate);
    if (Number.isNaN(at) || !auth.signedHeaders.includes('host')) {
      return awsError(400, 'IncompleteSignatureException', 'The request must carry X-Amz-Date (YYYYMMDDTHHMMSSZ) and sign the host header.');
    }
    if (!amzDate.startsWith(auth.date)) return awsError(400, 'InvalidSignatureException', 'Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP.');
    if (Math.abs(call.arrived - at) > MAX_CLOCK_SKEW_MS) {
      return awsError(400, 'InvalidSignatureException', `Signature expired: ${amzDate} is now earlier than the 15-minute window around the server time.`);
    }
    if (verify) {
      const expected = Buffer.from(expectedSignature(call, auth, secret, amzDate), 'hex');
      const given = Buffer.from(auth.signature, 'hex');
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
        return awsError(400, 'InvalidSignatureException', 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.');
      }
    }
    return auth.accessKeyId;
  }

  interface Entry {
    data: Buffer;
    partitionKey: string;
    explicitHashKey?: string;
  }

  /** Validates one request entry (PutRecords member n, 1-based, or PutRecord when n is 0). */
  function entry(raw: unknown, n: number, st: StreamState): Entry | Answer {
    const at = (field: string) => (n === 0 ? field : `records.${n}.member.${field}`);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return awsError(400, 'SerializationException', `${n === 0 ? 'The request' : `Record ${n}`} must be an object`);
    const r = raw as Record<string, unknown>;
    if (typeof r.Data !== 'string') return validation('null', at('data'), 'Member must not be null');
    if (r.Data.length % 4 !== 0 || !BASE64.test(r.Data)) return awsError(400, 'SerializationException', `${at('Data')} is not valid base64`);
    if (typeof r.PartitionKey !== 'string') return validation('null', at('partitionKey'), 'Member must not be null');
    const keyChars = [...r.PartitionKey].length;
    if (keyChars < 1) return validation('', at('partitionKey'), 'Member must have length greater than or equal to 1');
    if (keyChars > MAX_PARTITION_KEY_CHARS) return validation(r.PartitionKey, at('partitionKey'), `Member must have length less than or equal to ${MAX_PARTITION_KEY_CHARS}`);
    let explicitHashKey: string | undefined;
    if (r.ExplicitHashKey !== undefined && r.ExplicitHashKey !== null) {
      if (typeof r.ExplicitHashKey !== 'string' || !/^(0|[1-9]\d{0,38})$/.test(r.ExplicitHashKey)) {
        return validation(String(r.ExplicitHashKey), at('explicitHashKey'), 'Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})');
      }
      if (BigInt(r.ExplicitHashKey) > MAX_HASH_KEY) return awsError(400, 'InvalidArgumentException', `ExplicitHashKey ${r.ExplicitHashKey} is outside the hash key range 0 to 2^128-1.`);
      explicitHashKey = r.ExplicitHashKey;
    }
    const data = Buffer.from(r.Data, 'base64');
    if (data.length > MAX_DATA_BYTES) return validation(`java.nio.HeapByteBuffer[pos=0 lim=${data.length} cap=${data.length}]`, at('data'), `Member must have length less than or equal to ${MAX_DATA_BYTES}`);
    const size = data.length + Buffer.byteLength(r.PartitionKey, 'utf8');
    if (size > st.maxRecordBytes) {
      return awsError(400, 'InvalidArgumentException', `${n === 0 ? 'The record' : `Record ${n}`} is ${size} bytes (data plus partition key); stream ${st.name} accepts records of at most ${st.maxRecordBytes} bytes.`);
    }
    return { data, partitionKey: r.PartitionKey, ...(explicitHashKey !== undefined ? { explicitHashKey } : {}) };
  }

  type Outcome = { ok: true; record: KinesisRecord } | { ok: false; code: 'ProvisionedThroughputExceededException' | 'InternalFailure'; message: string };

  /** Places one valid entry: rejection rule, throttle faults, shard limits, then the write. */
  function place(e: Entry, st: StreamState, now: number): Outcome {
    const shard = shardFor(st, e.partitionKey, e.explicitHashKey);
    const shardId = shardIdOf(shard);
    if (faults.rejecting) {
      const text = e.data.toString('utf8');
      let data: unknown = text;
      try {
        data = JSON.parse(text);
      } catch {
        // not JSON: the rule sees the text
      }
      if (faults.rejects({ data, partitionKey: e.partitionKey, ...(e.explicitHashKey !== undefined ? { explicitHashKey: e.explicitHashKey } : {}) }, () => 'Internal service failure.') !== null) {
        return { ok: false, code: 'InternalFailure', message: 'Internal service failure.' };
      }
    }
    const throttle = (): Outcome => ({ ok: false, code: 'ProvisionedThroughputExceededException', message: `Rate exceeded for shard ${shardId} in stream ${st.name} under account ${accountId}.` });
    if (faults.takeThrottleRecord()) return throttle();
    const key = `${st.name}/${shard}`;
    const records = recordBuckets.get(key);
    const bytes = byteBucket(key);
    const size = e.data.length + Buffer.byteLength(e.partitionKey, 'utf8');
    if (records && records.remaining(now) < 1) return throttle();
    if (bytes && bytes.remaining(now) < size) return throttle();
    records?.take(now, 1);
    bytes?.take(now, size);
    return {
      ok: true,
      record: {
        stream: st.name,
        shardId,
        sequenceNumber: sequenceNumber(shard),
        partitionKey: e.partitionKey,
        ...(e.explicitHashKey !== undefined ? { explicitHashKey: e.explicitHashKey } : {}),
        data: e.data.toString('utf8'),
      },
    };
  }

  function ok(body: unknown): Answer {
    return { status: 200, body, contentType: CONTENT_TYPE };
  }

  function serverError(status: 500 | 502 | 503): Answer {
    return status === 503
      ? awsError(503, 'ServiceUnavailableException', 'Service Unavailable')
      : awsError(status, 'InternalFailureException', 'Internal service failure.');
  }

  function handle(call: IncomingCall): Answer {
    const req = recorder.begin();
    let items = 0;
    let accepted = 0;
    let credential: string | null = null;
    const done = (a: Answer, throttledCall = false): Answer => {
      recorder.end({ method: call.method, path: call.path, status: a.status, items, accepted, at: call.arrived, ...(credential ? { credential } : {}) }, throttledCall);
      return { ...a, headers: { 'x-amzn-requestid': randomUUID(), ...(a.headers ?? {}) } };
    };

    if (call.method !== 'POST' || call.path !== '/') return done(awsError(404, 'UnknownOperationException', `${call.method} ${call.path}: Kinesis takes POST / with X-Amz-Target`));
    const target = typeof call.headers['x-amz-target'] === 'string' ? call.headers['x-amz-target'] : '';
    const op = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    if (op !== 'PutRecords' && op !== 'PutRecord' && op !== 'DescribeStreamSummary') {
      return done(awsError(400, 'UnknownOperationException', target ? `Operation ${target} is not supported by this emulator` : 'X-Amz-Target is missing'));
    }
    const contentType = String(call.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (contentType !== CONTENT_TYPE && contentType !== 'application/x-amz-json-1.0') {
      return done(awsError(400, 'SerializationException', `Content-Type must be ${CONTENT_TYPE}, not ${contentType || 'absent'}`));
    }

    const who = authenticate(call);
    if (typeof who !== 'string') return done(who);
    credential = who;

    let body: unknown;
    try {
      body = JSON.parse(call.body.toString('utf8'));
    } catch {
      return done(awsError(400, 'SerializationException', 'The request body is not valid JSON.'));
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return done(awsError(400, 'SerializationException', 'The request body must be a JSON object.'));
    const o = body as Record<string, unknown>;
    const st = findStream(o);
    if (!('name' in st && 'shards' in st)) return done(st as Answer);

    if (op === 'DescribeStreamSummary') {
      return done(ok({
        StreamDescriptionSummary: {
          StreamName: st.name,
          StreamARN: st.arn,
          StreamStatus: 'ACTIVE',
          StreamModeDetails: { StreamMode: 'PROVISIONED' },
          RetentionPeriodHours: 24,
          StreamCreationTimestamp: st.createdAt / 1000,
          EnhancedMonitoring: [{ ShardLevelMetrics: [] }],
          EncryptionType: 'NONE',
          OpenShardCount: st.shards,
          ConsumerCount: 0,
        },
      }));
    }

    // Validation of the request as a whole comes before any throughput decision.
    let entries: Entry[];
    if (op === 'PutRecords') {
      if (!Array.isArray(o.Records)) return done(validation('null', 'records', 'Member must not be null'));
      items = o.Records.length;
      if (items < 1) return done(validation('[]', 'records', 'Member must have length greater than or equal to 1'));
      if (items > MAX_RECORDS) {
        recorder.reject(items);
        return done(validation(`[${items} PutRecordsRequestEntry]`, 'records', `Member must have length less than or equal to ${MAX_RECORDS}`));
      }
      entries = [];
      let total = 0;
      for (let i = 0; i < o.Records.length; i++) {
        const e = entry(o.Records[i], i + 1, st);
        if (!('data' in e && 'partitionKey' in e)) {
          recorder.reject(items);
          return done(e as Answer);
        }
        total += e.data.length + Buffer.byteLength(e.partitionKey, 'utf8');
        entries.push(e);
      }
      if (total > MAX_REQUEST_BYTES) {
        recorder.reject(items);
        return done(awsError(400, 'InvalidArgumentException', `Records size of ${total} bytes (data plus partition keys) exceeds the limit of ${MAX_REQUEST_BYTES} bytes per PutRecords request.`));
      }
    } else {
      items = 1;
      const e = entry(o, 0, st);
      if (!('data' in e && 'partitionKey' in e)) {
        recorder.reject(1);
        return done(e as Answer);
      }
      entries = [e];
    }

    if (faults.takeStorm()) {
      recorder.reject(items);
      return done(awsError(400, 'ProvisionedThroughputExceededException', `Rate exceeded for stream ${st.name} under account ${accountId}.`), true);
    }
    const failure = faults.takeFail5xx();
    if (failure && !failure.afterAccept) {
      recorder.reject(items);
      return done(serverError(failure.status));
    }

    const outcomes = entries.map((e) => place(e, st, call.arrived));
    for (const out of outcomes) {
      if (out.ok) {
        recorder.accept(out.record, call.arrived, credential, req);
        accepted++;
      } else if (out.code === 'ProvisionedThroughputExceededException') recorder.throttled();
      else recorder.reject();
    }
    if (failure) return done(serverError(failure.status));

    if (op === 'PutRecord') {
      const out = outcomes[0]!;
      if (out.ok) return done(ok({ ShardId: out.record.shardId, SequenceNumber: out.record.sequenceNumber, EncryptionType: 'NONE' }));
      return out.code === 'ProvisionedThroughputExceededException'
        ? done(awsError(400, 'ProvisionedThroughputExceededException', out.message), true)
        : done(awsError(500, 'InternalFailureException', out.message));
    }
    const failed = outcomes.length - accepted;
    return done(ok({
      FailedRecordCount: failed,
      Records: outcomes.map((out) => (out.ok ? { SequenceNumber: out.record.sequenceNumber, ShardId: out.record.shardId } : { ErrorCode: out.code, ErrorMessage: out.message })),
      EncryptionType: 'NONE',
    }));
  }

  const hooks = {
    name: 'Kinesis',
    faults,
    stats: () => recorder.stats(),
    reset: () => {
      recorder.reset();
      recordBuckets.clear();
      byteBuckets.clear();
    },
    received: (limit: number) => recorder.received.slice(-limit),
  };
  const server = await listen(options.host ?? '127.0.0.1', options.port ?? 0, hooks, handle);

  return {
    url: server.url,
    region,
    accountId,
    streamName: firstStream.name,
    streamArn: firstStream.arn,
    faults,
    received: recorder.received,
    requests: recorder.requests,
    duplicates: (keyFn) => recorder.duplicates(keyFn ?? ((r) => `${r.partitionKey}\u0000${r.data}`)),
    stats: () => recorder.stats(),
    reset: hooks.reset,
    close: server.close,
  };
}
