// How clients and workers reach Temporal: a local dev server by default; Temporal Cloud or a
// secured cluster with TLS (mTLS client certificates) or an API key, from the environment:
//   TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE
//   TEMPORAL_API_KEY                                  (Temporal Cloud API key; implies TLS)
//   TEMPORAL_TLS_CERT_PATH, TEMPORAL_TLS_KEY_PATH     (mTLS client certificate and key)
//   TEMPORAL_TLS_CA_PATH, TEMPORAL_TLS_SERVER_NAME    (private CA, SNI override)
//   TEMPORAL_TLS=1                                    (TLS with the system CAs, no client cert)
import { readFileSync } from 'node:fs';

export interface TemporalConnectionOptions {
  address: string;
  tls?: { clientCertPair?: { crt: Buffer; key: Buffer }; serverRootCACertificate?: Buffer; serverNameOverride?: string } | true;
  apiKey?: string;
}

function read(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`${what} (${path}) cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

export function temporalConnectionOptions(address: string, env: NodeJS.ProcessEnv = process.env): TemporalConnectionOptions {
  const options: TemporalConnectionOptions = { address };
  const cert = env.TEMPORAL_TLS_CERT_PATH;
  const key = env.TEMPORAL_TLS_KEY_PATH;
  if (Boolean(cert) !== Boolean(key)) throw new Error('TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH go together');
  if (cert || key || env.TEMPORAL_TLS_CA_PATH || env.TEMPORAL_TLS_SERVER_NAME) {
    options.tls = {
      ...(cert && key ? { clientCertPair: { crt: read(cert, 'TEMPORAL_TLS_CERT_PATH'), key: read(key, 'TEMPORAL_TLS_KEY_PATH') } } : {}),
      ...(env.TEMPORAL_TLS_CA_PATH ? { serverRootCACertificate: read(env.TEMPORAL_TLS_CA_PATH, 'TEMPORAL_TLS_CA_PATH') } : {}),
      ...(env.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: env.TEMPORAL_TLS_SERVER_NAME } : {}),
    };
  } else if (env.TEMPORAL_TLS === '1' || env.TEMPORAL_TLS === 'true' || env.TEMPORAL_API_KEY) {
    options.tls = true;
  }
  if (env.TEMPORAL_API_KEY) options.apiKey = env.TEMPORAL_API_KEY;
  return options;
}
