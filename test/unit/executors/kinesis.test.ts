// Kinesis executor against MockAgent: PutRecord / PutRecords / DescribeStreamSummary over AWS JSON 1.1,
// SigV4-signed. The signature is checked by an independent SigV4 implementation written here from the
// AWS specification (node:crypto only), itself pinned to AWS's published example.
import { createHash, createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { BatchCallOptions, CallOptions } from '../../../src/core/envelope.js';
import { awsErrorName, kinesisExecutor } from '../../../src/executors/kinesis.js';
import { KINESIS_PUT_RECORDS_MAX_BYTES, kinesis } from '../../../src/registry/connectors/kinesis.js';
import { JSON_HEADERS, pathIs, useMockAgent, type SentRequest } from '../../helpers/mock-agent.js';
import { FAKE_AWS_ACCESS_KEY_ID, FAKE_AWS_SECRET_ACCESS_KEY } from '../../helpers/registry-samples.js';
import { closed, compileSchema, loadSpec, specsAvailable, warnIfSpecsMissing } from '../../helpers/specs.js';
import { describeHttpContract } from './http-contract.js';

const mock = useMockAgent();

const ORIGIN = 'https://kinesis.us-east-1.amazonaws.com';
const config = { region: 'us-east-1', streamName: 'events', accessKeyId: FAKE_AWS_ACCESS_KEY_ID, secretAccessKey: FAKE_AWS_SECRET_ACCESS_KEY };
const AMZ_JSON = { 'content-type': 'application/x-amz-json-1.1' };
const PUT_OK = { ShardId: 'shardId-000000000000', SequenceNumber: '49590338271490256608559692538361571095921575989136588898' };
const NOW = new Date('2025-01-01T12:00:00.000Z');

type Cfg = Record<string, unknown>;
const send = (cfg: Cfg, message: unknown, opts?: CallOptions) => kinesisExecutor.send!(cfg as never, message, opts);
const sendBatch = (cfg: Cfg, messages: unknown[], opts?: BatchCallOptions) => kinesisExecutor.sendBatch!(cfg as never, messages, opts);
const MiB = 1_048_576;

function reply(statusCode: number, body: unknown, headers: Record<string, string> = AMZ_JSON, origin = ORIGIN) {
  mock.agent.get(origin).intercept({ path: pathIs('/'), method: 'POST' }).reply(statusCode, typeof body === 'string' ? body : JSON.stringify(body), { headers });
}
const sentBody = (i = 0) => JSON.parse(String(mock.sent()[i]!.body)) as Record<string, string>;
const decoded = (i = 0) => Buffer.from(sentBody(i).Data!, 'base64').toString('utf8');

// ---------------------------------------------------------------------------------------------
// An independent SigV4 (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html)

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const hmac = (key: string | Buffer, s: string) => createHmac('sha256', key).update(s).digest();

interface SigInput {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  signedHeaders: string[];
  body: string;
  amzDate: string;
  region: string;
  service: string;
  secret: string;
}

function expectedSignature(i: SigInput): string {
  const canonicalHeaders = i.signedHeaders.map((h) => `${h}:${i.headers[h]!.trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonicalRequest = [i.method, i.path, i.query, canonicalHeaders, i.signedHeaders.join(';'), sha256(i.body)].join('\n');
  const day = i.amzDate.slice(0, 8);
  const scope = `${day}/${i.region}/${i.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', i.amzDate, scope, sha256(canonicalRequest)].join('\n');
  let key = hmac(`AWS4${i.secret}`, day);
  for (const part of [i.region, i.service, 'aws4_request']) key = hmac(key, part);
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([a-z0-9-]+)\/kinesis\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

/** Recomputes the signature of a request the executor sent, from what went over the wire. */
function verify(sent: SentRequest, region: string, secret = FAKE_AWS_SECRET_ACCESS_KEY, body = String(sent.body)) {
  const m = AUTH.exec(sent.headers.authorization ?? '');
  expect(m, sent.headers.authorization).not.toBeNull();
  const [, , , , signedHeaders, signature] = m!;
  const headers = { ...sent.headers, host: sent.headers.host ?? sent.url.host };
  const expected = expectedSignature({
    method: sent.method, path: sent.url.pathname, query: sent.url.search.replace(/^\?/, ''), headers,
    signedHeaders: signedHeaders!.split(';'), body, amzDate: sent.headers['x-amz-date']!, region, service: 'kinesis', secret,
  });
  return { signature, expected };
}

describe('the test\'s own SigV4 implementation', () => {
  test('reproduces AWS\'s published example (IAM ListUsers, 20150830T123600Z)', () => {
    // AWS's documentation example secret, assembled so that the source holds no key-shaped literal.
    const secret = `${['wJalrXUtnFEMI', 'K7MDENG'].join('/')}+bPxRfiCYEXAMPLEKEY`;
    expect(expectedSignature({
      method: 'GET', path: '/', query: 'Action=ListUsers&Version=2010-05-08',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', host: 'iam.amazonaws.com', 'x-amz-date': '20150830T123600Z' },
      signedHeaders: ['content-type', 'host', 'x-amz-date'], body: '', amzDate: '20150830T123600Z', region: 'us-east-1', service: 'iam', secret,
    })).toBe('5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7');
  });
});

// ---------------------------------------------------------------------------------------------

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('kinesis signing', () => {
  test('PutRecord: POST / with the JSON 1.1 headers and a well-formed SigV4 Authorization for <date>/<region>/kinesis/aws4_request', async () => {
    reply(200, PUT_OK);
    const res = await send(config, { data: { id: 'evt-1', userId: 'u-42' }, partitionKey: 'u-42' });
    expect(res).toMatchObject({ ok: true, status: 200, body: PUT_OK });
    const [sent] = mock.sent();
    expect(`${sent!.method} ${sent!.url.href}`).toBe(`POST ${ORIGIN}/`);
    expect(sent!.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(sent!.headers['x-amz-target']).toBe('Kinesis_20131202.PutRecord');
    expect(sent!.headers['x-amz-date']).toBe('20250101T120000Z');
    expect(sent!.headers.host).toBe('kinesis.us-east-1.amazonaws.com');
    expect(sent!.headers).not.toHaveProperty('x-amz-security-token');
    const m = AUTH.exec(sent!.headers.authorization!);
    expect(m).not.toBeNull();
    expect(m![1]).toBe(FAKE_AWS_ACCESS_KEY_ID);
    expect(`${m![2]}/${m![3]}`).toBe('20250101/us-east-1');
    expect(m![4]).toBe('content-type;host;x-amz-date;x-amz-target');
  });

  test('the signature is the one SigV4 prescribes for exactly the bytes and headers sent', async () => {
    reply(200, PUT_OK);
    await send(config, { data: 'hello kinesis', partitionKey: 'k' });
    const [sent] = mock.sent();
    const { signature, expected } = verify(sent!, 'us-east-1');
    expect(signature).toBe(expected);
    // Teeth: another body, secret or date gives another signature.
    expect(verify(sent!, 'us-east-1', FAKE_AWS_SECRET_ACCESS_KEY, String(sent!.body).replace('StreamName', 'StreamNamf')).expected).not.toBe(signature);
    expect(verify(sent!, 'us-east-1', FAKE_AWS_SECRET_ACCESS_KEY.replace('f', 'g')).expected).not.toBe(signature);
    expect(verify(sent!, 'us-west-2').expected).not.toBe(signature);
  });

  test('temporary credentials send and sign X-Amz-Security-Token', async () => {
    reply(200, PUT_OK);
    const tempKey = FAKE_AWS_ACCESS_KEY_ID.replace(/^AKIA/, 'ASIA');
    const sessionToken = 'FwoGZXIvYXdzEFAKEsessiontoken//////////';
    await send({ ...config, accessKeyId: tempKey, sessionToken }, { data: 'x', partitionKey: 'k' });
    const [sent] = mock.sent();
    expect(sent!.headers['x-amz-security-token']).toBe(sessionToken);
    const m = AUTH.exec(sent!.headers.authorization!)!;
    expect(m[1]).toBe(tempKey);
    expect(m[4]).toBe('content-type;host;x-amz-date;x-amz-security-token;x-amz-target');
    const { signature, expected } = verify(sent!, 'us-east-1');
    expect(signature).toBe(expected);
  });

  test('China regions use amazonaws.com.cn, signed for that region', async () => {
    reply(200, PUT_OK, AMZ_JSON, 'https://kinesis.cn-north-1.amazonaws.com.cn');
    await send({ ...config, region: 'cn-north-1' }, { data: 'x', partitionKey: 'k' });
    const [sent] = mock.sent();
    expect(sent!.url.origin).toBe('https://kinesis.cn-north-1.amazonaws.com.cn');
    expect(AUTH.exec(sent!.headers.authorization!)![3]).toBe('cn-north-1');
    const { signature, expected } = verify(sent!, 'cn-north-1');
    expect(signature).toBe(expected);
  });
});

describe('kinesis send', () => {
  test('the body: StreamName, base64 Data (objects JSON-encoded), PartitionKey, ExplicitHashKey when given', async () => {
    reply(200, { ...PUT_OK, EncryptionType: 'KMS' });
    const res = await send(config, { data: { id: 'evt-1', n: 1 }, partitionKey: 'p', explicitHashKey: '340282366920938463463374607431768211455' });
    expect(res.body).toEqual({ ...PUT_OK, EncryptionType: 'KMS' });
    expect(sentBody()).toEqual({ StreamName: 'events', Data: Buffer.from('{"id":"evt-1","n":1}').toString('base64'), PartitionKey: 'p', ExplicitHashKey: '340282366920938463463374607431768211455' });
  });

  test('a string is sent as its UTF-8 bytes, untouched', async () => {
    reply(200, PUT_OK);
    await send(config, { data: 'héllo, 世界', partitionKey: 'p' });
    expect(decoded()).toBe('héllo, 世界');
  });

  test('a stream ARN is sent as StreamARN', async () => {
    reply(200, PUT_OK);
    const arn = 'arn:aws:kinesis:us-east-1:123456789012:stream/events';
    const { streamName: _n, ...byArn } = config;
    await send({ ...byArn, streamArn: arn }, { data: 'x', partitionKey: 'p' });
    expect(sentBody()).toMatchObject({ StreamARN: arn });
    expect(sentBody()).not.toHaveProperty('StreamName');
  });

  test('partition key: the message\'s, else the configured field (top level or dotted), else the idempotency key, else a random UUID', async () => {
    for (let i = 0; i < 6; i++) reply(200, PUT_OK);
    const cfg = { ...config, partitionKeyField: 'userId' };
    await send(cfg, { data: { userId: 'u-1' }, partitionKey: 'explicit' }, { idempotencyKey: 'idem' });
    await send(cfg, { data: { userId: 42 } }, { idempotencyKey: 'idem' });
    await send({ ...config, partitionKeyField: 'user.id' }, { data: { user: { id: 'nested-7' } } });
    await send(cfg, { data: { other: 1 } }, { idempotencyKey: 'idem' });
    await send(cfg, { data: 'a string has no fields' }, { idempotencyKey: 'idem-2' });
    await send(cfg, { data: { other: 1 } });
    const keys = mock.sent().map((_, i) => sentBody(i).PartitionKey);
    expect(keys.slice(0, 5)).toEqual(['explicit', '42', 'nested-7', 'idem', 'idem-2']);
    expect(keys[5]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test('nothing is added to the data (no hidden event id)', async () => {
    reply(200, PUT_OK);
    await send(config, { data: { a: 1 } }, { idempotencyKey: 'idem' });
    expect(JSON.parse(decoded())).toEqual({ a: 1 });
  });

  test.each([
    ['an empty partition key', { data: 'x', partitionKey: '' }, 'partitionKey'],
    ['a 257-character partition key', { data: 'x', partitionKey: 'k'.repeat(257) }, 'partitionKey'],
    ['numeric data', { data: 42 }, 'data'],
    ['array data', { data: [1, 2] }, 'data'],
    ['missing data', { partitionKey: 'k' }, 'data'],
    ['a non-decimal explicitHashKey', { data: 'x', explicitHashKey: '0x10' }, 'explicitHashKey'],
    ['an explicitHashKey of 2^128', { data: 'x', explicitHashKey: '340282366920938463463374607431768211456' }, 'explicitHashKey'],
    ['an unknown field', { data: 'x', StreamName: 'other' }, 'StreamName'],
  ])('%s is bad_request, status 0, nothing sent', async (_n, message, field) => {
    const res = await send(config, message);
    expect(res).toMatchObject({ ok: false, status: 0, body: null, error: { code: 'bad_request', retryable: false } });
    expect(res.error!.message).toContain(field);
    expect(mock.sent()).toHaveLength(0);
  });

  test('256 characters (not bytes) is a valid partition key', async () => {
    reply(200, PUT_OK);
    expect((await send(config, { data: 'x', partitionKey: '世'.repeat(256) })).ok).toBe(true);
  });

  test('data plus partition key over 1 MiB is payload_too_large, nothing sent; exactly 1 MiB is sent', async () => {
    const key = 'pk';
    const over = await send(config, { data: 'a'.repeat(1_048_576 - key.length + 1), partitionKey: key });
    expect(over).toMatchObject({ ok: false, status: 0, error: { code: 'payload_too_large', retryable: false } });
    expect(mock.sent()).toHaveLength(0);
    reply(200, PUT_OK);
    expect((await send(config, { data: 'a'.repeat(1_048_576 - key.length), partitionKey: key })).ok).toBe(true);
    // Multi-byte characters count as bytes.
    expect((await send(config, { data: 'é'.repeat(524_288), partitionKey: key })).error!.code).toBe('payload_too_large');
  });

  test('a 200 body that is not JSON is invalid_response; one without ShardId too', async () => {
    reply(200, '{"ShardId": ');
    reply(200, { SequenceNumber: '1' });
    expect((await send(config, { data: 'x', partitionKey: 'k' })).error).toMatchObject({ code: 'invalid_response', retryable: false });
    expect((await send(config, { data: 'x', partitionKey: 'k' })).error).toMatchObject({ code: 'invalid_response', retryable: false });
  });
});

describe('kinesis maximum record size (large records: 1 MiB by default, up to 10 MiB per stream)', () => {
  test('the connection field: 1024 KiB by default, 1024..10240 whole KiB', () => {
    const ok = kinesis.validateConfig(config);
    expect(ok.ok && ok.config.maxRecordSizeKiB).toBe(1024);
    for (const v of [1024, 2048, '4096', 10240]) expect(kinesis.validateConfig({ ...config, maxRecordSizeKiB: v }).ok).toBe(true);
    for (const v of [1023, 10241, 1536.5, 'big']) {
      const bad = kinesis.validateConfig({ ...config, maxRecordSizeKiB: v });
      expect(bad.ok).toBe(false);
      expect(!bad.ok && bad.message).toContain('maxRecordSizeKiB');
    }
  });

  test('a 2 MiB record is refused on a default stream, naming the fix, and sent when the stream allows 2048 KiB', async () => {
    const message = { data: 'a'.repeat(2 * MiB - 2), partitionKey: 'pk' };
    const refused = await send(config, message);
    expect(refused).toMatchObject({ ok: false, status: 0, error: { code: 'payload_too_large', retryable: false } });
    expect(refused.error!.message).toContain('at most 1048576');
    expect(refused.error!.message).toContain('UpdateMaxRecordSize');
    expect(mock.sent()).toHaveLength(0);
    reply(200, PUT_OK);
    expect((await send({ ...config, maxRecordSizeKiB: 2048 }, message)).ok).toBe(true);
    expect(Buffer.from(sentBody().Data!, 'base64').length).toBe(2 * MiB - 2);
  });

  test('at 10240 KiB: exactly 10 MiB (data plus key) is sent, one byte more is refused', async () => {
    const cfg = { ...config, maxRecordSizeKiB: 10240 };
    const over = await send(cfg, { data: 'a'.repeat(10 * MiB - 1), partitionKey: 'pk' });
    expect(over.error).toMatchObject({ code: 'payload_too_large' });
    expect(over.error!.message).not.toContain('UpdateMaxRecordSize');
    reply(200, PUT_OK);
    expect((await send(cfg, { data: 'a'.repeat(10 * MiB - 2), partitionKey: 'pk' })).ok).toBe(true);
    expect(mock.sent()).toHaveLength(1);
  });
});

describe('kinesis sendBatch: PutRecords', () => {
  const SEQ = (n: number) => `4959033827149025660855969253836157109592157598913658889${n}`;
  const ok = (n: number) => ({ SequenceNumber: SEQ(n), ShardId: 'shardId-000000000000' });
  const putRecordsOk = (n: number) => ({ FailedRecordCount: 0, Records: Array.from({ length: n }, (_, i) => ok(i)) });

  test('the registry declares the batch endpoint with PutRecords\' documented limits, and the executor has it', () => {
    expect(kinesis.capabilities.batch).toEqual({ maxItems: 500, maxBytes: 10 * MiB, endpoint: 'PutRecords' });
    expect(KINESIS_PUT_RECORDS_MAX_BYTES).toBe(10 * MiB);
    expect(typeof kinesisExecutor.sendBatch).toBe('function');
  });

  test('one signed PutRecords call: the stream, and per message Data (base64) and PartitionKey; results carry the SequenceNumber as id', async () => {
    reply(200, { ...putRecordsOk(2), EncryptionType: 'NONE' });
    const res = await sendBatch(config, [{ data: { id: 'e1' }, partitionKey: 'u-1' }, { data: 'two', explicitHashKey: '7' }], { idempotencyKeys: ['k-1', 'k-2'] });
    expect(res).toEqual({ ok: true, status: 200, latencyMs: expect.any(Number), body: { items: [{ ok: true, id: SEQ(0) }, { ok: true, id: SEQ(1) }] } });
    const [sent] = mock.sent();
    expect(`${sent!.method} ${sent!.url.href}`).toBe(`POST ${ORIGIN}/`);
    expect(sent!.headers['x-amz-target']).toBe('Kinesis_20131202.PutRecords');
    expect(sent!.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(JSON.parse(String(sent!.body))).toEqual({
      StreamName: 'events',
      Records: [
        { Data: Buffer.from('{"id":"e1"}').toString('base64'), PartitionKey: 'u-1' },
        // No partition key in the message: the message's idempotency key.
        { Data: Buffer.from('two').toString('base64'), PartitionKey: 'k-2', ExplicitHashKey: '7' },
      ],
    });
    const { signature, expected } = verify(sent!, 'us-east-1');
    expect(signature).toBe(expected);
  });

  test('a partial failure (HTTP 200, FailedRecordCount 2): throttled records are rate_limited, InternalFailure upstream_error, both retryable; the rest succeed', async () => {
    reply(200, {
      FailedRecordCount: 2,
      Records: [
        ok(0),
        { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard shardId-000000000001 in stream events under account 123456789012.' },
        ok(2),
        { ErrorCode: 'InternalFailure', ErrorMessage: 'Internal Service Failure' },
      ],
    });
    const res = await sendBatch(config, [0, 1, 2, 3].map((i) => ({ data: `r${i}`, partitionKey: `p${i}` })));
    expect(res.ok).toBe(true);
    expect(res.status).toBe(200);
    const items = res.body!.items;
    expect(items).toHaveLength(4);
    expect(items[0]).toEqual({ ok: true, id: SEQ(0) });
    expect(items[1]).toMatchObject({ ok: false, error: { code: 'rate_limited', retryable: true } });
    expect(items[1]!.error!.message).toBe('Kinesis did not write record 1 (ProvisionedThroughputExceededException): Rate exceeded for shard shardId-000000000001 in stream events under account 123456789012.');
    expect(items[2]).toEqual({ ok: true, id: SEQ(2) });
    expect(items[3]).toMatchObject({ ok: false, error: { code: 'upstream_error', retryable: true, message: 'Kinesis did not write record 3 (InternalFailure): Internal Service Failure' } });
  });

  test('a message that cannot be a record fails alone: the others are sent, and results map back to each message\'s position', async () => {
    reply(200, { FailedRecordCount: 1, Records: [ok(0), { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded' }] });
    const res = await sendBatch(config, [
      { data: 'first', partitionKey: 'a' },
      { data: 42 },
      { data: 'b'.repeat(MiB), partitionKey: 'xx' },
      { data: 'last', partitionKey: 'd' },
    ]);
    const body = JSON.parse(String(mock.sent()[0]!.body)) as { Records: { PartitionKey: string }[] };
    expect(body.Records.map((r) => r.PartitionKey)).toEqual(['a', 'd']);
    const items = res.body!.items;
    expect(items[0]).toEqual({ ok: true, id: SEQ(0) });
    expect(items[1]).toMatchObject({ ok: false, error: { code: 'bad_request', retryable: false } });
    expect(items[1]!.error!.message).toContain('data');
    expect(items[2]).toMatchObject({ ok: false, error: { code: 'payload_too_large', retryable: false } });
    expect(items[3]).toMatchObject({ ok: false, error: { code: 'rate_limited', retryable: true } });
    expect(items[3]!.error!.message).toContain('record 3');
  });

  test('when no message can be a record, nothing is sent and each has its reason', async () => {
    const res = await sendBatch(config, [{ data: 1 }, { partitionKey: 'k' }]);
    expect(res).toMatchObject({ ok: true, status: 0, body: { items: [{ ok: false, error: { code: 'bad_request' } }, { ok: false, error: { code: 'bad_request' } }] } });
    expect(mock.sent()).toHaveLength(0);
  });

  test('per-call limits fail the whole batch before sending: 501 records, over 10 MiB in total, no messages, a key count that does not match', async () => {
    const many = Array.from({ length: 501 }, (_, i) => ({ data: `r${i}`, partitionKey: 'p' }));
    expect((await sendBatch(config, many)).error).toMatchObject({ code: 'payload_too_large', message: expect.stringContaining('at most 500') });
    const big = Array.from({ length: 11 }, () => ({ data: 'x'.repeat(MiB - 10), partitionKey: 'p' }));
    const tooBig = await sendBatch(config, big);
    expect(tooBig).toMatchObject({ ok: false, status: 0, error: { code: 'payload_too_large', retryable: false } });
    expect(tooBig.error!.message).toContain('10 MiB');
    expect((await sendBatch(config, [])).error?.code).toBe('bad_request');
    expect((await sendBatch(config, [{ data: 'a' }], { idempotencyKeys: ['k1', 'k2'] })).error?.code).toBe('bad_request');
    expect(mock.sent()).toHaveLength(0);
    // 10 records of just under 1 MiB fit in one call.
    reply(200, putRecordsOk(10));
    expect((await sendBatch(config, big.slice(0, 10))).body!.items.every((i) => i.ok)).toBe(true);
  });

  test('500 records in one call succeed', async () => {
    reply(200, putRecordsOk(500));
    const res = await sendBatch(config, Array.from({ length: 500 }, (_, i) => ({ data: `r${i}`, partitionKey: `p${i % 7}` })));
    expect(res.body!.items).toHaveLength(500);
    expect((JSON.parse(String(mock.sent()[0]!.body)) as { Records: unknown[] }).Records).toHaveLength(500);
  });

  test('results that do not correlate with the request (a count, FailedRecordCount) are invalid_response, not guessed', async () => {
    reply(200, putRecordsOk(1));
    reply(200, { FailedRecordCount: 1, Records: [ok(0), ok(1)] });
    reply(200, { FailedRecordCount: 0, Records: [{ ShardId: 'shardId-000000000000' }] });
    const messages = [{ data: 'a', partitionKey: 'p' }, { data: 'b', partitionKey: 'p' }];
    expect((await sendBatch(config, messages)).error).toMatchObject({ code: 'invalid_response', retryable: false });
    expect((await sendBatch(config, messages)).error).toMatchObject({ code: 'invalid_response' });
    expect((await sendBatch(config, [messages[0]!])).error).toMatchObject({ code: 'invalid_response' });
  });

  test('a whole-call failure is ok: false with the mapped error (ResourceNotFoundException, throttling)', async () => {
    reply(400, { __type: 'ResourceNotFoundException', message: 'Stream events under account 123456789012 not found.' });
    reply(400, { __type: 'ProvisionedThroughputExceededException', message: 'Rate exceeded for stream events' });
    expect(await sendBatch(config, [{ data: 'a', partitionKey: 'p' }])).toMatchObject({ ok: false, status: 400, body: null, error: { code: 'not_found', retryable: false } });
    expect((await sendBatch(config, [{ data: 'a', partitionKey: 'p' }])).error).toMatchObject({ code: 'rate_limited', retryable: true });
  });

  test('a per-record error message echoing a secret is redacted', async () => {
    reply(200, { FailedRecordCount: 1, Records: [{ ErrorCode: 'InternalFailure', ErrorMessage: `failure near ${FAKE_AWS_SECRET_ACCESS_KEY}` }] });
    const res = await sendBatch(config, [{ data: 'a', partitionKey: 'p' }]);
    expect(JSON.stringify(res)).not.toContain(FAKE_AWS_SECRET_ACCESS_KEY);
    expect(res.body!.items[0]!.error!.message).toContain('[REDACTED]');
  });

  describe('contract of sendBatch (PutRecords)', () => {
    describeHttpContract(mock, {
      config,
      secretField: 'secretAccessKey',
      malformedSecret: 'short',
      origin: ORIGIN,
      path: '/',
      method: 'POST',
      call: (cfg, opts) => sendBatch(cfg, [{ data: { id: 'evt-1' }, partitionKey: 'k' }], opts),
      okBody: putRecordsOk(1),
      errorBody: (message) => ({ message }),
    });
  });
});

describe('kinesis errors (AWS JSON 1.1 __type)', () => {
  const cases: [string, string, { code: string; retryable: boolean }][] = [
    ['ProvisionedThroughputExceededException', 'Rate exceeded for shard shardId-000000000000 in stream events under account 123456789012.', { code: 'rate_limited', retryable: true }],
    ['KMSThrottlingException', 'KMS throttled the request', { code: 'rate_limited', retryable: true }],
    ['LimitExceededException', 'Rate exceeded for stream events', { code: 'rate_limited', retryable: true }],
    ['ResourceNotFoundException', 'Stream events under account 123456789012 not found.', { code: 'not_found', retryable: false }],
    ['AccessDeniedException', 'User is not authorized to perform: kinesis:PutRecord', { code: 'forbidden', retryable: false }],
    ['ExpiredTokenException', 'The security token included in the request is expired', { code: 'unauthorized', retryable: false }],
    ['UnrecognizedClientException', 'The security token included in the request is invalid.', { code: 'unauthorized', retryable: false }],
    ['InvalidSignatureException', 'The request signature we calculated does not match the signature you provided.', { code: 'unauthorized', retryable: false }],
    ['InvalidArgumentException', 'Partition key too long', { code: 'bad_request', retryable: false }],
    ['ValidationException', '1 validation error detected', { code: 'bad_request', retryable: false }],
  ];

  test.each(cases)('400 %s', async (type, message, expected) => {
    reply(400, { __type: type, message });
    const res = await send(config, { data: 'x', partitionKey: 'k' });
    expect(res).toMatchObject({ ok: false, status: 400, body: null, error: expected });
    expect(res.error!.message).toBe(`Kinesis answered HTTP 400 (${type}): ${message}`);
  });

  test('a namespace prefix is stripped up to #; the request id is kept', async () => {
    reply(400, { __type: 'com.amazonaws.kinesis.v20131202#ResourceNotFoundException', message: 'Stream events not found.' }, { ...AMZ_JSON, 'x-amzn-requestid': 'c7d4d7a2-0000-4000-8000-000000000000' });
    const res = await send(config, { data: 'x', partitionKey: 'k' });
    expect(res.error).toMatchObject({ code: 'not_found', message: 'Kinesis answered HTTP 400 (ResourceNotFoundException): Stream events not found. [request c7d4d7a2-0000-4000-8000-000000000000]' });
    expect(awsErrorName('ResourceNotFoundException:http://internal.amazon.com/coral/com.amazon.coral.service/')).toBe('ResourceNotFoundException');
  });

  test('without __type, the X-Amzn-ErrorType header names the error; a capitalised Message is read', async () => {
    reply(400, { Message: 'Rate exceeded' }, { ...AMZ_JSON, 'x-amzn-errortype': 'ProvisionedThroughputExceededException:http://internal.amazon.com/' });
    const res = await send(config, { data: 'x', partitionKey: 'k' });
    expect(res.error).toMatchObject({ code: 'rate_limited', retryable: true, message: 'Kinesis answered HTTP 400 (ProvisionedThroughputExceededException): Rate exceeded' });
  });

  test('an unknown 400 stays bad_request; a 500 InternalFailure stays retryable', async () => {
    reply(400, { __type: 'KMSDisabledException', message: 'The key is disabled' });
    reply(500, { __type: 'InternalFailure', message: 'Internal service error' });
    expect((await send(config, { data: 'x', partitionKey: 'k' })).error).toMatchObject({ code: 'bad_request', message: 'Kinesis answered HTTP 400 (KMSDisabledException): The key is disabled' });
    expect((await send(config, { data: 'x', partitionKey: 'k' })).error).toMatchObject({ code: 'upstream_error', retryable: true });
  });

  test('the secret key, the session token and the signature never reach an error', async () => {
    const sessionToken = 'FwoGZXIvYXdzEFAKEsessiontoken//////////';
    mock.agent.get(ORIGIN).intercept({ path: '/', method: 'POST' }).reply((opts) => ({
      statusCode: 400,
      data: JSON.stringify({ __type: 'InvalidSignatureException', message: `got ${String((opts.headers as Record<string, string>).authorization)} with ${FAKE_AWS_SECRET_ACCESS_KEY} and ${sessionToken}` }),
      responseOptions: { headers: AMZ_JSON },
    }));
    const res = await send({ ...config, sessionToken }, { data: 'x', partitionKey: 'k' });
    const signature = AUTH.exec(mock.sent()[0]!.headers.authorization!)![5]!;
    const text = JSON.stringify(res);
    for (const s of [FAKE_AWS_SECRET_ACCESS_KEY, sessionToken, signature]) expect(text).not.toContain(s);
    expect(res.error!.message).toContain('[REDACTED]');
  });
});

describe('kinesis testConnection', () => {
  test('DescribeStreamSummary {StreamName}; a summary of the stream', async () => {
    reply(200, {
      StreamDescriptionSummary: {
        StreamName: 'events', StreamARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/events', StreamStatus: 'ACTIVE',
        StreamModeDetails: { StreamMode: 'ON_DEMAND' }, OpenShardCount: 4, RetentionPeriodHours: 24, EnhancedMonitoring: [],
      },
    });
    const res = await kinesisExecutor.testConnection(config as never);
    expect(res.body).toEqual({ streamName: 'events', streamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/events', streamStatus: 'ACTIVE', openShardCount: 4, streamMode: 'ON_DEMAND' });
    const [sent] = mock.sent();
    expect(sent!.headers['x-amz-target']).toBe('Kinesis_20131202.DescribeStreamSummary');
    expect(JSON.parse(String(sent!.body))).toEqual({ StreamName: 'events' });
    const { signature, expected } = verify(sent!, 'us-east-1');
    expect(signature).toBe(expected);
  });
});

describe('kinesis fail-closed', () => {
  test('a missing secret key, a malformed access key id or a stream in another region is refused before sending', async () => {
    const { secretAccessKey: _s, ...noSecret } = config;
    expect((await send(noSecret, { data: 'x' })).error!.code).toBe('missing_secret');
    expect((await send({ ...config, accessKeyId: 'not-a-key' }, { data: 'x' })).error!.code).toBe('invalid_config');
    const { streamName: _n, ...byArn } = config;
    expect((await send({ ...byArn, streamArn: 'arn:aws:kinesis:eu-west-1:123456789012:stream/events' }, { data: 'x' })).error!.code).toBe('invalid_config');
    expect(mock.sent()).toHaveLength(0);
  });
});

test('kinesis: the caller\'s AbortSignal reaches the request (cancelled, status 0, network)', async () => {
  const ac = new AbortController();
  ac.abort();
  const res = await send(config, { data: 'x', partitionKey: 'k' }, { signal: ac.signal });
  expect(res).toMatchObject({ ok: false, status: 0, body: null, error: { code: 'network' } });
  expect(res.error!.message).toContain('cancelled');
});

describeHttpContract(mock, {
  config,
  secretField: 'secretAccessKey',
  malformedSecret: 'short',
  origin: ORIGIN,
  path: '/',
  method: 'POST',
  call: (cfg, opts) => send(cfg, { data: { id: 'evt-1' }, partitionKey: 'k' }, opts),
  others: { testConnection: (cfg, opts) => kinesisExecutor.testConnection(cfg as never, opts) },
  okBody: PUT_OK,
  errorBody: (message) => ({ message }),
});

// AWS's Smithy model (aws/api-models-aws), PutRecordInput, per SOURCES.md.
const putRecordSchema = loadSpec('kinesis.put-record.schema.json');
warnIfSpecsMissing('Kinesis official-schema tests');

describe.skipIf(!specsAvailable || !putRecordSchema)('kinesis PutRecord bodies against the official schema', () => {
  test('every body is a valid PutRecordInput with nothing undeclared, names one stream, and decodes to at most 1 MiB', async () => {
    const check = compileSchema(closed(putRecordSchema!));
    const { streamName: _n, ...byArn } = config;
    const messages: [Cfg, unknown][] = [
      [config, { data: { id: 'evt-1' }, partitionKey: 'k' }],
      [config, { data: 'plain text', explicitHashKey: '0' }],
      [{ ...byArn, streamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/events' }, { data: 'x', partitionKey: 'k' }],
      [config, { data: 'a'.repeat(1_048_576 - 1), partitionKey: 'k' }],
    ];
    for (const _ of messages) reply(200, PUT_OK);
    for (const [cfg, message] of messages) expect((await send(cfg, message, { idempotencyKey: 'idem' })).ok).toBe(true);
    for (const s of mock.sent()) {
      const body = JSON.parse(String(s.body)) as Record<string, string>;
      expect(check(body)).toEqual([]);
      // SOURCES.md: neither stream member is required by the model, but exactly one must be sent.
      expect(['StreamName' in body, 'StreamARN' in body].filter(Boolean)).toHaveLength(1);
      // SOURCES.md: the 1 MiB limit is on decoded Data (plus the key), not on the base64 text.
      expect(Buffer.from(body.Data!, 'base64').length + Buffer.byteLength(body.PartitionKey!)).toBeLessThanOrEqual(1_048_576);
      expect(Buffer.from(body.Data!, 'base64').toString('base64')).toBe(body.Data);
    }
    // The closed schema has teeth.
    expect(check({ StreamName: 'events', Data: 'eA==', PartitionKey: '' })).not.toEqual([]);
    expect(check({ StreamName: 'events', Data: 'eA==', PartitionKey: 'k', Extra: 1 })).not.toEqual([]);
  });
});
