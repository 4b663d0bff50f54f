// Snowflake Snowpipe REST API: ask a pipe to load staged files (insertFiles), with key-pair JWT auth.
// Facts and sources: src/registry/connectors/snowpipe.ts. Pages this file follows:
//   https://docs.snowflake.com/en/user-guide/data-load-snowpipe-rest-apis
//   https://docs.snowflake.com/en/user-guide/data-load-snowpipe-rest-overview
//   https://docs.snowflake.com/en/developer-guide/sql-api/authenticating
//   https://docs.snowflake.com/en/user-guide/key-pair-auth
//   https://docs.snowflake.com/en/user-guide/admin-account-identifier (hyphens for underscores in URLs)
// A 200 {"responseCode":"SUCCESS"} means Snowflake recorded the files to load: they are QUEUED, not
// loaded. Load results come later from insertReport / loadHistoryScan. Resubmitting a path is normally
// harmless: the pipe's load history (about 14 days) skips files it already loaded.
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { CallOptions, ConnectorExecutor, ConnectorResponse } from '../core/envelope.js';
import { failBeforeSend, withBody, withError } from '../core/envelope.js';
import { connectorError } from '../core/errors.js';
import { httpRequest, type HttpResponse } from '../core/http.js';
import type { SnowpipeConfig } from '../registry/connectors/snowpipe.js';
import { snowpipe } from '../registry/connectors/snowpipe.js';
import { withCodedMessage } from './reverse-etl.js';
import { snowpipeJwt } from './snowpipe-jwt.js';
import { baseUrl, callOptions, checkConfig, checkMessage, parseBody, secretsOf } from './support.js';

const PROVIDER = 'Snowpipe';
const MAX_FILES = 5_000;
const MAX_PATH_BYTES = 1_024;

const filePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/'), { error: 'must be relative to the pipe\'s stage (no leading /)' })
  .refine((p) => !p.split('/').includes('..'), { error: 'must not contain ".." segments' })
  .refine((p) => !/[\u0000-\u001f\u007f]/.test(p), { error: 'must not contain control characters' });
const messageSchema = z.strictObject({
  files: z
    .array(z.strictObject({ path: filePath, size: z.number().int().nonnegative().optional() }))
    .min(1, { error: 'at least one file is required' })
    .max(MAX_FILES, { error: `at most ${MAX_FILES} files per call` }),
});

const insertBody = z.looseObject({ requestId: z.string().optional(), responseCode: z.string() });
const reportBody = z.looseObject({
  pipe: z.string().optional(),
  completeResult: z.boolean().optional(),
  nextBeginMark: z.string().optional(),
  files: z.array(z.unknown()),
});
// Snowflake errors: {"data":null,"code":"390144","message":"JWT token is invalid.","success":false}.
const errorBody = z.looseObject({ code: z.union([z.string(), z.number()]).optional(), message: z.string().optional() });

/**
 * requestId only traces a call. Derived from the idempotency key when there is one, so that a retry of
 * the same send carries the same id in Snowflake's logs: a UUID (version 8, RFC 9562) of its SHA-256.
 */
export function snowpipeRequestId(idempotencyKey?: string): string {
  if (!idempotencyKey) return randomUUID();
  const h = createHash('sha256').update(`snowpipe:${idempotencyKey}`).digest().subarray(0, 16);
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** `https://<account>.snowflakecomputing.com`; an account name's underscores become hyphens in URLs. */
export function snowflakeHost(accountIdentifier: string): string {
  return `https://${accountIdentifier.replace(/_/g, '-')}.snowflakecomputing.com`;
}

/** The stage path of a file: the configured prefix (a folder) followed by the message's path. */
function stagePath(prefix: string | undefined, path: string): string {
  if (!prefix) return path;
  return prefix.endsWith('/') ? `${prefix}${path}` : `${prefix}/${path}`;
}

async function call(
  config: SnowpipeConfig,
  url: string,
  method: 'GET' | 'POST',
  requestId: string,
  json: unknown,
  opts?: CallOptions,
): Promise<HttpResponse | ConnectorResponse<never>> {
  const jwt = await snowpipeJwt(config);
  if ('problem' in jwt) return failBeforeSend<never>('invalid_config', `${snowpipe.name}: ${jwt.problem}`);
  const secrets = [...secretsOf('snowpipe', config), jwt.token];
  const res = await httpRequest({
    provider: PROVIDER,
    method,
    url,
    query: { requestId },
    headers: {
      authorization: `Bearer ${jwt.token}`,
      // Optional (Snowflake infers it), but saying so avoids its guess on a malformed token.
      'x-snowflake-authorization-token-type': 'KEYPAIR_JWT',
      accept: 'application/json',
    },
    ...(json !== undefined ? { json } : {}),
    secrets,
    ...callOptions(opts, snowpipe.policy.timeouts.requestMs),
  });
  const parsed = errorBody.safeParse(res.body);
  return parsed.success ? withCodedMessage(res, PROVIDER, parsed.data.code === undefined ? undefined : String(parsed.data.code), parsed.data.message, secrets) : res;
}

function isHttp(res: HttpResponse | ConnectorResponse<never>): res is HttpResponse {
  return 'headers' in res;
}

function pipeUrl(config: SnowpipeConfig, base: string, endpoint: 'insertFiles' | 'insertReport'): string {
  // Quoted, case-sensitive parts ("MyDb".PUBLIC.P) must be escaped in the path; dots stay.
  return `${base}/v1/data/pipes/${encodeURIComponent(config.pipeName)}/${endpoint}`;
}

export const snowpipeExecutor: ConnectorExecutor<SnowpipeConfig> = {
  messageSchema,

  async testConnection(rawConfig, opts) {
    const checked = checkConfig<SnowpipeConfig>('snowpipe', rawConfig);
    if ('fail' in checked) return checked.fail;
    const { config } = checked;
    const base = baseUrl(snowflakeHost(config.accountIdentifier), opts);
    if ('fail' in base) return base.fail;
    // insertReport is read-only: it proves the JWT, the key fingerprint and the pipe privileges.
    const res = await call(config, pipeUrl(config, base.base, 'insertReport'), 'GET', randomUUID(), undefined, opts);
    if (!isHttp(res)) return res;
    const parsed = parseBody(res, reportBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return parsed;
    // The report can list 10,000 files: only a summary goes back.
    return withBody(parsed, { pipe: parsed.body.pipe ?? config.pipeName, recentFiles: parsed.body.files.length, completeResult: parsed.body.completeResult ?? null });
  },

  async send(rawConfig, message, opts) {
    const checked = checkConfig<SnowpipeConfig>('snowpipe', rawConfig);
    if ('fail' in checked) return checked.fail;
    const { config } = checked;
    const msg = checkMessage(messageSchema, message, PROVIDER);
    if ('fail' in msg) return msg.fail;
    const files = msg.message.files.map((f) => ({ path: stagePath(config.stagePathPrefix, f.path), ...(f.size !== undefined ? { size: f.size } : {}) }));
    const tooLong = files.findIndex((f) => Buffer.byteLength(f.path, 'utf8') > MAX_PATH_BYTES);
    if (tooLong >= 0) {
      return failBeforeSend('bad_request', `${PROVIDER}: invalid message (files.${tooLong}.path: longer than ${MAX_PATH_BYTES} bytes${config.stagePathPrefix ? ' with the stage path prefix' : ''})`);
    }
    const base = baseUrl(snowflakeHost(config.accountIdentifier), opts);
    if ('fail' in base) return base.fail;

    const requestId = snowpipeRequestId(opts?.idempotencyKey);
    const res = await call(config, pipeUrl(config, base.base, 'insertFiles'), 'POST', requestId, { files }, opts);
    if (!isHttp(res)) return res;
    const parsed = parseBody(res, insertBody, PROVIDER);
    if (!parsed.ok || !parsed.body) return withError(parsed, parsed.error ?? connectorError('invalid_response', 'Snowpipe returned no body'));
    if (parsed.body.responseCode !== 'SUCCESS') {
      return withError(parsed, connectorError('invalid_response', `Snowpipe answered HTTP ${res.status} with responseCode ${parsed.body.responseCode}`));
    }
    return withBody(parsed, {
      requestId: parsed.body.requestId ?? requestId,
      responseCode: parsed.body.responseCode,
      files: files.length,
      // Say it where users look: SUCCESS is "queued for loading", not "loaded".
      status: 'queued',
    });
  },
};
