// `pipeline codec-server`: serves the payload codec to the Temporal Web UI and CLI, so people can read
// encrypted histories. Keys come from the same environment as the worker (PIPELINE_CODEC_KEYS).
import { loadCodecFromEnv } from '../../temporal/codec.js';
import { DEFAULT_UI_ORIGINS, startCodecServer } from '../../temporal/codec-server.js';
import { CliError, color } from '../output.js';

export interface CodecServerCommandOptions {
  /** Default PIPELINE_CODEC_SERVER_PORT, else 8888 (the port of Temporal's samples). */
  port?: number;
  /** Web UI origin(s) allowed to call, comma-separated; default http://localhost:8233 and http://127.0.0.1:8233. */
  origin?: string | string[];
  /** Listening address; default 127.0.0.1. */
  host?: string;
}

export async function codecServerCommand(opts: CodecServerCommandOptions = {}): Promise<void> {
  let codec;
  try {
    codec = loadCodecFromEnv();
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  if (!codec) {
    throw new CliError(
      'No payload encryption keys: set PIPELINE_CODEC_KEYS=<key id>:<base64 of 32 bytes> (e.g. `k1:$(openssl rand -base64 32)`), the same value the workers use',
    );
  }
  const origins = [opts.origin ?? []].flat().flatMap((o) => o.split(',')).map((o) => o.trim().replace(/\/+$/, '')).filter(Boolean);
  const envPort = process.env.PIPELINE_CODEC_SERVER_PORT ? Number(process.env.PIPELINE_CODEC_SERVER_PORT) : undefined;
  const port = opts.port ?? envPort ?? 8888;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`Invalid codec server port "${port}"`);
  const authToken = process.env.PIPELINE_CODEC_SERVER_TOKEN || undefined;

  const server = await startCodecServer({
    codec,
    port,
    ...(opts.host ? { host: opts.host } : {}),
    ...(origins.length ? { allowedOrigins: origins } : {}),
    ...(authToken ? { authToken } : {}),
    onError: (err) => process.stderr.write(`codec server: ${(err as Error).message}\n`),
  });
  const say = (l: string) => process.stdout.write(`${l}\n`);
  say(`Codec server on ${color.bold(server.url)} (active key "${codec.activeKeyId}", decodes keys ${codec.keyIds().join(', ')})`);
  say(`Allowed Web UI origins: ${(origins.length ? origins : DEFAULT_UI_ORIGINS).join(', ')}${authToken ? '; requires Authorization: Bearer $PIPELINE_CODEC_SERVER_TOKEN' : ''}`);
  say('Point the Web UI at it:');
  say(`  dev server:  temporal server start-dev --ui-codec-endpoint ${server.url}`);
  say(`  Web UI:      Settings (Data Encoder) → Remote Codec Endpoint = ${server.url}; turn on "include cross-origin credentials" only if your setup needs cookies`);
  say(`  UI container: TEMPORAL_CODEC_ENDPOINT=${server.url}`);
  say(`  CLI:         temporal workflow show --codec-endpoint ${server.url} ...${authToken ? ' --codec-auth "Bearer <token>"' : ''}`);
  say('Ctrl-C to stop.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
}
