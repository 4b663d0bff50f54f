// Where the worker may send requests. Destination URLs come from users, so a config must never point
// the worker at loopback, link-local or private networks (SSRF), except the local emulators of
// src/sandbox, which are reachable only when sandbox mode is explicitly on.
import { isIP } from 'node:net';
import { connectorError, type ConnectorError } from './errors.js';

/** Sandbox mode: PIPELINE_SANDBOX=1 (set by the demo, the tests and `pipeline dev --sandbox`). */
export function sandboxModeEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.PIPELINE_SANDBOX === '1' || env.PIPELINE_SANDBOX === 'true';
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

export function isLoopbackHost(hostname: string): boolean {
  const host = stripBrackets(hostname.toLowerCase());
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host.startsWith('::ffff:127.');
  return false;
}

/** Loopback, private (RFC 1918, ULA), link-local, CGNAT, unspecified or metadata addresses. */
export function isPrivateOrLocalHost(hostname: string): boolean {
  const host = stripBrackets(hostname.toLowerCase());
  if (isLoopbackHost(host)) return true;
  if (host.endsWith('.internal') || host.endsWith('.local')) return true;
  if (isIP(host) === 4) {
    const [a, b] = host.split('.').map(Number) as [number, number];
    return (
      a === 0 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) ||
      (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127)
    );
  }
  if (isIP(host) === 6) {
    return host === '::' || host.startsWith('fc') || host.startsWith('fd') || host.startsWith('fe80') || host.startsWith('::ffff:');
  }
  return false;
}

/**
 * The base URL an executor should call: the provider's own, or the sandbox override when allowed.
 * Returns an error (invalid_config) when an override is given but not permitted.
 */
export function resolveBaseUrl(providerBase: string, override: string | undefined): { base: string } | { error: ConnectorError } {
  if (override === undefined || override === '') return { base: providerBase };
  let url: URL;
  try {
    url = new URL(override);
  } catch {
    return { error: connectorError('invalid_config', 'baseUrlOverride is not a valid URL') };
  }
  if (!sandboxModeEnabled()) {
    return { error: connectorError('invalid_config', 'baseUrlOverride is only honoured in sandbox mode (PIPELINE_SANDBOX=1)') };
  }
  if (!isLoopbackHost(url.hostname)) {
    return { error: connectorError('invalid_config', `baseUrlOverride must point at a loopback host, not ${url.hostname}`) };
  }
  return { base: url.origin + url.pathname.replace(/\/+$/, '') };
}

export interface HostRule {
  /** Hosts accepted exactly. */
  hosts?: readonly string[];
  /** Accepted host suffixes, each starting with a dot (".logic.azure.com"). */
  hostSuffixes?: readonly string[];
  /** Host regular expressions (anchored by the caller). */
  hostPatterns?: readonly RegExp[];
}

/** Checks an https URL against a connector's allow-list; returns a user-facing problem or null. */
export function checkAllowedUrl(raw: string, rule: HostRule, what = 'URL'): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `${what} is not a valid URL`;
  }
  if (url.protocol !== 'https:') return `${what} must use https`;
  if (url.username || url.password) return `${what} must not contain credentials`;
  if (url.port !== '' && url.port !== '443') return `${what} must not name a port other than 443`;
  const host = url.hostname.toLowerCase();
  if (isIP(stripBrackets(host)) !== 0 || isPrivateOrLocalHost(host)) return `${what} must use a public host name`;
  const allowed =
    (rule.hosts ?? []).includes(host) ||
    (rule.hostSuffixes ?? []).some((s) => host.endsWith(s) && host.length > s.length) ||
    (rule.hostPatterns ?? []).some((p) => p.test(host));
  if (!allowed) {
    const names = [...(rule.hosts ?? []), ...(rule.hostSuffixes ?? []).map((s) => `*${s}`)];
    return `${what} host ${host} is not allowed${names.length ? ` (expected ${names.join(', ')})` : ''}`;
  }
  return null;
}
