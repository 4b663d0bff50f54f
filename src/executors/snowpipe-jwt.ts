// Snowflake key-pair JWTs for the Snowpipe REST API, signed here with `jose` (RS256).
// Facts and sources: src/registry/connectors/snowpipe.ts. Pages this file follows:
// https://docs.snowflake.com/en/developer-guide/sql-api/authenticating ,
// https://docs.snowflake.com/en/user-guide/key-pair-auth ,
// https://docs.snowflake.com/en/user-guide/data-load-snowpipe-rest-apis
//   iss = <ACCOUNT>.<USER>.SHA256:<base64 SHA-256 of the DER SubjectPublicKeyInfo>
//   sub = <ACCOUNT>.<USER>;  iat = now;  exp <= iat + 1 h
// Snowflake's own samples sign for 59 minutes and renew at 54: the same here.
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';

export const JWT_LIFETIME_S = 59 * 60;
/** A cached JWT is replaced this long before it expires, so that no request carries a nearly dead one. */
export const JWT_RENEW_BEFORE_S = 5 * 60;

/**
 * The account part of the JWT claims: upper case, without the region/cloud suffix of a locator
 * (`xy12345.us-east-2.aws` → `XY12345`); `myorg-myaccount` keeps its hyphen; for `.global` hosts
 * everything from the first `-` goes.
 */
export function jwtAccount(accountIdentifier: string): string {
  let account = accountIdentifier.trim();
  const cut = account.includes('.global') ? account.indexOf('-') : account.indexOf('.');
  if (cut > 0) account = account.slice(0, cut);
  return account.toUpperCase();
}

/** `SHA256:<base64>` of the DER SubjectPublicKeyInfo: what DESCRIBE USER shows as RSA_PUBLIC_KEY_FP. */
export function publicKeyFingerprint(privateKey: KeyObject): string {
  const der = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  return `SHA256:${createHash('sha256').update(der).digest('base64')}`;
}

export interface SnowpipeKeyConfig {
  accountIdentifier: string;
  user: string;
  privateKeyPem: string;
  privateKeyPassphrase?: string | undefined;
}

interface CachedJwt {
  token: string;
  renewAtS: number;
}

const cache = new Map<string, CachedJwt>();

/** For tests: forget every cached JWT. */
export function clearSnowpipeJwtCache(): void {
  cache.clear();
}

function cacheKey(c: SnowpipeKeyConfig): string {
  // Key material enters the cache key only as a hash.
  return createHash('sha256')
    .update([c.accountIdentifier, c.user, c.privateKeyPem, c.privateKeyPassphrase ?? ''].join('\u0000'))
    .digest('hex');
}

/**
 * A JWT for the config: the cached one while it has more than 5 minutes to live, else a new one.
 * Returns a user-facing problem (never key material) when the key cannot be read.
 */
export async function snowpipeJwt(c: SnowpipeKeyConfig, nowMs: number = Date.now()): Promise<{ token: string } | { problem: string }> {
  const now = Math.floor(nowMs / 1000);
  const key = cacheKey(c);
  const cached = cache.get(key);
  if (cached && now < cached.renewAtS) return { token: cached.token };

  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: c.privateKeyPem, format: 'pem', ...(c.privateKeyPassphrase ? { passphrase: c.privateKeyPassphrase } : {}) });
  } catch {
    // Node's message can name the cause but not the key; a fixed message says enough and leaks nothing.
    return {
      problem: c.privateKeyPassphrase
        ? 'the private key could not be decrypted with the passphrase (privateKeyPassphrase), or is not a valid PKCS#8 key'
        : 'the private key could not be read (an encrypted key needs privateKeyPassphrase)',
    };
  }
  if (privateKey.asymmetricKeyType !== 'rsa') {
    return { problem: `the private key is ${privateKey.asymmetricKeyType ?? 'not asymmetric'}; Snowflake key-pair authentication needs an RSA key` };
  }

  const subject = `${jwtAccount(c.accountIdentifier)}.${c.user.toUpperCase()}`;
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .setIssuer(`${subject}.${publicKeyFingerprint(privateKey)}`)
    .setSubject(subject)
    .setIssuedAt(now)
    .setExpirationTime(now + JWT_LIFETIME_S)
    .sign(privateKey);
  cache.set(key, { token, renewAtS: now + JWT_LIFETIME_S - JWT_RENEW_BEFORE_S });
  return { token };
}
