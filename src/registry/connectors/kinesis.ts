// Amazon Kinesis Data Streams: PutRecord (send) and PutRecords (sendBatch), signed with SigV4
// (reverse-ETL / data-movement destination).
// Facts: https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecord.html ,
// https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html ,
// https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecordsResultEntry.html ,
// https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html ,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html
//
// Record size (https://docs.aws.amazon.com/streams/latest/dev/large-records.html): "Amazon Kinesis Data
// Streams supports records up to 10 mebibytes (MiBs) ... The default maximum record size for existing,
// and newly created streams is set to 1 MiB." A stream's own maximum is raised with UpdateMaxRecordSize
// ("Specify a value between 1024 and 10240 KiB (1 to 10 MiB)",
// https://docs.aws.amazon.com/kinesis/latest/APIReference/API_UpdateMaxRecordSize.html); it is not part
// of the credentials the engine holds, so the connection states it (maxRecordSizeKiB).
//
// PutRecords (the current reference, https://docs.amazonaws.cn/en_us/kinesis/latest/APIReference/API_PutRecords.md):
// "Each PutRecords request can support up to 500 records. Each record in the request can be as large as
// 10 MiB, up to a limit of 10 MiB for the entire request, including partition keys." The 1 MiB / 5 MiB
// figures of older copies of that page predate large records. The answer is HTTP 200 even when some
// records failed: FailedRecordCount, and per record either SequenceNumber + ShardId or ErrorCode +
// ErrorMessage, where "ErrorCodes can be either ProvisionedThroughputExceededException or
// InternalFailure".
import { definePolicy } from '../../policies/types.js';
import { defineConnector, type ConfigOf, type FieldIssue } from '../define.js';
import { number, password, text } from '../fields.js';

/** A stream's maximum record size in KiB: the default, and UpdateMaxRecordSize's range. */
export const KINESIS_RECORD_SIZE_KIB = { default: 1_024, min: 1_024, max: 10_240 } as const;
/** PutRecords: records per call, and bytes per call (data plus partition keys, decoded). */
export const KINESIS_PUT_RECORDS_MAX_ITEMS = 500;
export const KINESIS_PUT_RECORDS_MAX_BYTES = 10 * 1_048_576;

const STREAM_NAME = '[a-zA-Z0-9_.-]{1,128}';
export const KINESIS_STREAM_ARN = new RegExp(`^arn:aws(?:-cn|-us-gov)?:kinesis:([a-z0-9-]+):(\\d{12}):stream/(${STREAM_NAME})$`);

function streamAndCredentialRules(config: Record<string, unknown>): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const { streamName, streamArn, region, accessKeyId, sessionToken } = config;
  if (streamName && streamArn) {
    issues.push({ field: 'streamArn', message: 'Set only one of Stream name (streamName) and Stream ARN (streamArn)' });
  } else if (!streamName && !streamArn) {
    issues.push({ field: 'streamName', message: 'Set Stream name (streamName) or Stream ARN (streamArn): the stream to write to' });
  }
  if (typeof streamArn === 'string' && typeof region === 'string') {
    const arnRegion = KINESIS_STREAM_ARN.exec(streamArn)?.[1];
    if (arnRegion && arnRegion !== region) {
      issues.push({ field: 'streamArn', message: `Stream ARN (streamArn) is in ${arnRegion}, but Region (region) is ${region}` });
    }
  }
  // ASIA keys are temporary (STS) credentials: AWS refuses them without their session token.
  if (typeof accessKeyId === 'string' && accessKeyId.startsWith('ASIA') && !sessionToken) {
    issues.push({ field: 'sessionToken', message: 'Session token (sessionToken) is required with temporary credentials (access key ID starting with ASIA)' });
  }
  return issues;
}

export const kinesis = defineConnector({
  id: 'kinesis',
  name: 'Amazon Kinesis Data Streams',
  category: 'reverse_etl',
  description: 'Writes records to a Kinesis data stream: one per PutRecord call, or up to 500 per PutRecords call with a result per record; signed with SigV4.',
  docsUrl: 'https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecord.html',
  capabilities: {
    testConnection: 'api',
    send: true,
    pull: [],
    trigger: false,
    batch: { maxItems: KINESIS_PUT_RECORDS_MAX_ITEMS, maxBytes: KINESIS_PUT_RECORDS_MAX_BYTES, endpoint: 'PutRecords' },
  },
  credentialCheck: 'DescribeStreamSummary on the stream (needs kinesis:DescribeStreamSummary)',
  idempotency: {
    supported: false,
    note: 'Kinesis has no idempotency key: a retry after an ambiguous timeout can write a record twice. Put an event id inside the data so consumers can dedupe; the engine adds nothing to it.',
  },
  authMethods: [
    {
      id: 'access_key',
      label: 'Access key',
      help: 'An IAM user or role credential allowed kinesis:PutRecord, kinesis:PutRecords and kinesis:DescribeStreamSummary on the stream.',
      connectionFields: {
        region: text({
          label: 'Region',
          help: 'The stream\'s AWS region, e.g. us-east-1 (China: cn-north-1; GovCloud: us-gov-west-1).',
          required: true,
          placeholder: 'us-east-1',
          validation: { pattern: '[a-z]{2}(-gov)?-[a-z]+-\\d', patternDescription: 'an AWS region such as us-east-1' },
        }),
        streamName: text({
          label: 'Stream name',
          help: 'Kinesis console → Data streams → the stream\'s name. Set this or the ARN.',
          required: false,
          validation: { pattern: STREAM_NAME, patternDescription: 'a stream name of up to 128 letters, digits, _ . -' },
        }),
        streamArn: text({
          label: 'Stream ARN',
          help: 'The stream\'s ARN from its summary page (recommended by AWS, required for cross-account streams). Set this or the name.',
          required: false,
          placeholder: 'arn:aws:kinesis:us-east-1:123456789012:stream/events',
          validation: {
            pattern: KINESIS_STREAM_ARN.source.slice(1, -1),
            patternDescription: 'a Kinesis stream ARN, arn:aws:kinesis:<region>:<account>:stream/<name>',
          },
        }),
        maxRecordSizeKiB: number({
          label: 'Maximum record size (KiB)',
          help: 'The stream\'s maximum record size (data plus partition key): 1024 KiB unless it was raised with UpdateMaxRecordSize, up to 10240 KiB (10 MiB). Larger records are refused before sending.',
          required: false,
          default: KINESIS_RECORD_SIZE_KIB.default,
          min: KINESIS_RECORD_SIZE_KIB.min,
          max: KINESIS_RECORD_SIZE_KIB.max,
          integer: true,
        }),
        partitionKeyField: text({
          label: 'Partition key field',
          help: 'Optional. Field of each message whose value becomes the partition key (records with the same key keep their order); without it the idempotency key (or a random one) is used.',
          required: false,
          placeholder: 'userId',
          validation: { pattern: '\\S{1,256}', patternDescription: 'a field name without spaces' },
        }),
      },
      authFields: {
        accessKeyId: text({
          label: 'Access key ID',
          help: 'IAM → Users → Security credentials → Access keys (AKIA…), or temporary credentials (ASIA…) with a session token.',
          required: true,
          validation: { pattern: '(AKIA|ASIA)[A-Z0-9]{16}', patternDescription: 'an access key ID (AKIA or ASIA followed by 16 characters)' },
        }),
        secretAccessKey: password({
          label: 'Secret access key',
          help: 'Shown once when the access key is created.',
          required: true,
          validation: { pattern: '[A-Za-z0-9/+=]{40}', patternDescription: 'a 40-character secret access key' },
        }),
        sessionToken: password({
          label: 'Session token',
          help: 'Only for temporary credentials (access key ID starting with ASIA); they expire, so prefer a long-lived key for a stored connection.',
          required: false,
        }),
      },
    },
  ],
  refine: streamAndCredentialRules,
  rateScope: { by: 'stream', fields: ['region', 'streamName', 'streamArn'], source: 'https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html' },
  policy: definePolicy({
    source: 'https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html',
    // A shard takes 1,000 records/s and 1 MiB/s of writes ("Individual shard throughput limit of 1 MB/s
    // for writes ... remain[s] unchanged with support for larger record sizes", large-records page). The
    // rate below counts calls, and a PutRecords call carries up to 500 records and 10 MiB, so it is no
    // throughput guarantee. No byte budget is declared: the engine's limiter counts activity starts, not
    // bytes; the real budget is shards x 1 MiB/s, and the shard count is not in the connection (it
    // changes with resharding, and on-demand streams scale by themselves); and Kinesis reports an
    // exceeded shard per record (ProvisionedThroughputExceededException), which the engine retries
    // with backoff for the throttled records only.
    rate: { requestsPerSecond: 500 },
    // ProvisionedThroughputExceededException arrives as a 400; it is retried with backoff like a 429.
    retry: { initialIntervalMs: 500, backoffCoefficient: 2, maximumIntervalMs: 30_000, maximumAttempts: 10 },
    timeouts: { requestMs: 10_000, startToCloseMs: 30_000, scheduleToCloseMs: 15 * 60_000 },
  }),
  notes: [
    'A batch (PutRecords) can partly fail with HTTP 200 (FailedRecordCount > 0): each record gets its own result, its SequenceNumber or its error; throttled records (ProvisionedThroughputExceededException) and InternalFailure are retryable, so only those need resending.',
    'Data plus partition key is limited to the stream\'s maximum record size: 1 MiB by default, up to 10 MiB when raised with UpdateMaxRecordSize (set maxRecordSizeKiB to match). PutRecords takes up to 500 records and 10 MiB per call.',
    'Each shard takes 1,000 records/s and 1 MiB/s of writes, large records included; beyond that Kinesis throttles per record and the engine retries with backoff.',
    'Endpoints are kinesis.<region>.amazonaws.com (China: .amazonaws.com.cn).',
  ],
});

export type KinesisConfig = ConfigOf<typeof kinesis>;
