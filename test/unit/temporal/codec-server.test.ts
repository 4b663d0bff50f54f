// The codec server as the Web UI and the CLI use it: real HTTP on a free port, proto3-JSON payloads,
// CORS only for the UI's own origin, a bearer token when one is configured.
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AesGcmCodec } from '../../../src/temporal/codec.js';
import { startCodecServer, type CodecServer } from '../../../src/temporal/codec-server.js';

const UI = 'http://localhost:8233';
const codec = new AesGcmCodec({ keys: new Map([['k1', randomBytes(32)]]), activeKeyId: 'k1' });
let open: CodecServer;
let guarded: CodecServer;

beforeAll(async () => {
  open = await startCodecServer({ codec });
  guarded = await startCodecServer({ codec, authToken: 'let-me-in', maxBodyBytes: 1024 });
});
afterAll(async () => {
  await open?.close();
  await guarded?.close();
});

const b64 = (s: string) => Buffer.from(s).toString('base64');
const plainJson = (v: unknown) => {
  const p = defaultPayloadConverter.toPayload(v);
  return { metadata: { encoding: b64('json/plain') }, data: Buffer.from(p.data!).toString('base64') };
};
const post = (server: CodecServer, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

interface Reply {
  payloads: { metadata: Record<string, string>; data: string }[];
}

test('encode then decode over HTTP gives back the same payloads, in proto3 JSON', async () => {
  const original = [plainJson({ email: 'secret-launch-codes-4242@example.com' }), plainJson([1, 2, 3])];
  const encRes = await post(open, '/encode', { payloads: original });
  expect(encRes.status).toBe(200);
  expect(encRes.headers.get('content-type')).toMatch(/application\/json/);
  const encoded = (await encRes.json()) as Reply;
  expect(encoded.payloads).toHaveLength(2);
  for (const p of encoded.payloads) {
    expect(Buffer.from(p.metadata.encoding!, 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(p.metadata['encryption-key-id']!, 'base64').toString()).toBe('k1');
    expect(Buffer.from(p.data, 'base64').toString()).not.toContain('secret-launch-codes');
  }
  // The namespace-templated path the CLI may use works the same way.
  const decRes = await post(open, '/default/decode', encoded);
  expect(decRes.status).toBe(200);
  expect(((await decRes.json()) as Reply).payloads).toEqual(original);
});

test('a payload the codec cannot decrypt is a 400 with a clear message', async () => {
  const other = new AesGcmCodec({ keys: new Map([['elsewhere', randomBytes(32)]]), activeKeyId: 'elsewhere' });
  const [p] = await other.encode([defaultPayloadConverter.toPayload('x')]);
  const res = await post(open, '/decode', {
    payloads: [{ metadata: Object.fromEntries(Object.entries(p!.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(p!.data!).toString('base64') }],
  });
  expect(res.status).toBe(400);
  expect(((await res.json()) as { error: string }).error).toMatch(/key "elsewhere" is not configured/);
});

describe('CORS', () => {
  test('a preflight from the Web UI origin is answered with that exact origin and credentials', async () => {
    for (const origin of [UI, 'http://127.0.0.1:8233']) {
      const res = await fetch(`${open.url}/decode`, {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-namespace,authorization' },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      expect(res.headers.get('access-control-allow-credentials')).toBe('true');
      expect(res.headers.get('access-control-allow-methods')).toBe('POST, GET, OPTIONS');
      expect(res.headers.get('access-control-allow-headers')).toBe('X-Namespace, Content-Type, Authorization');
    }
    // The actual request carries the headers too, or the browser would hide the answer.
    const res = await post(open, '/decode', { payloads: [] }, { Origin: UI });
    expect(res.headers.get('access-control-allow-origin')).toBe(UI);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
  });

  test('another origin gets no CORS headers', async () => {
    const pre = await fetch(`${open.url}/decode`, { method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' } });
    const res = await post(open, '/decode', { payloads: [] }, { Origin: 'http://localhost:9999' });
    for (const r of [pre, res]) {
      expect(r.headers.get('access-control-allow-origin')).toBeNull();
      expect(r.headers.get('access-control-allow-credentials')).toBeNull();
    }
  });
});

describe('with a token', () => {
  test('requests without the right bearer token get 401; the preflight is not challenged', async () => {
    expect((await post(guarded, '/decode', { payloads: [] })).status).toBe(401);
    expect((await post(guarded, '/decode', { payloads: [] }, { Authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await post(guarded, '/decode', { payloads: [] }, { Authorization: 'let-me-in' })).status).toBe(401);
    const denied = await post(guarded, '/decode', { payloads: [] }, { Origin: UI });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('access-control-allow-origin')).toBe(UI); // so the UI can show why
    const pre = await fetch(`${guarded.url}/decode`, { method: 'OPTIONS', headers: { Origin: UI, 'Access-Control-Request-Method': 'POST' } });
    expect(pre.status).toBe(204);
    const ok = await post(guarded, '/decode', { payloads: [plainJson('hi')] }, { Authorization: 'Bearer let-me-in' });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as Reply).payloads).toEqual([plainJson('hi')]);
  });

  test('bodies over the size limit get 413', async () => {
    const res = await post(guarded, '/encode', { payloads: [plainJson('x'.repeat(2000))] }, { Authorization: 'Bearer let-me-in' });
    expect(res.status).toBe(413);
  });
});

describe('bad requests', () => {
  test('malformed JSON is a 400', async () => {
    const res = await post(open, '/decode', '{"payloads": [');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/not valid JSON/);
  });

  test('a wrong shape or a non-base64 field is a 400 naming the field', async () => {
    expect((await post(open, '/decode', { nope: [] })).status).toBe(400);
    const res = await post(open, '/decode', { payloads: [{ metadata: { encoding: 'not base64!' }, data: '' }] });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/payloads\[0\]\.metadata\.encoding must be a base64 string/);
  });

  test('unknown paths are 404 and other methods 405', async () => {
    expect((await post(open, '/a/b/decode', { payloads: [] })).status).toBe(404);
    expect((await fetch(`${open.url}/decode`)).status).toBe(405);
    expect((await fetch(`${open.url}/health`)).status).toBe(200);
  });
});
