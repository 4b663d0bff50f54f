// Reaching Temporal Cloud or a secured cluster: TLS and API key from the environment.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { temporalConnectionOptions } from '../../../src/temporal/connection-options.js';

test('plain by default; an API key implies TLS', () => {
  expect(temporalConnectionOptions('127.0.0.1:7233', {})).toEqual({ address: '127.0.0.1:7233' });
  expect(temporalConnectionOptions('ns.acct.tmprl.cloud:7233', { TEMPORAL_API_KEY: 'k' })).toEqual({ address: 'ns.acct.tmprl.cloud:7233', tls: true, apiKey: 'k' });
});

test('mTLS reads the certificate pair and CA; half a pair or a missing file is a clear error', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tls-'));
  await writeFile(join(dir, 'c.pem'), 'CERT');
  await writeFile(join(dir, 'k.pem'), 'KEY');
  const o = temporalConnectionOptions('x:7233', { TEMPORAL_TLS_CERT_PATH: join(dir, 'c.pem'), TEMPORAL_TLS_KEY_PATH: join(dir, 'k.pem'), TEMPORAL_TLS_SERVER_NAME: 'x' });
  expect(o.tls).toMatchObject({ clientCertPair: { crt: Buffer.from('CERT'), key: Buffer.from('KEY') }, serverNameOverride: 'x' });
  expect(() => temporalConnectionOptions('x:7233', { TEMPORAL_TLS_CERT_PATH: join(dir, 'c.pem') })).toThrow(/go together/);
  expect(() => temporalConnectionOptions('x:7233', { TEMPORAL_TLS_CA_PATH: join(dir, 'nope.pem') })).toThrow(/TEMPORAL_TLS_CA_PATH .* cannot be read/);
});
