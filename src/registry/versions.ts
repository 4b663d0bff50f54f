// API version policy: for connectors that pin a provider API version (a path segment, a header), the
// registry declares the current default, every version the engine accepts, and each one's end of
// support where the provider publishes it, with the source URL. From that one declaration come the
// version field (a select whose options are the accepted versions), the refusal of a version that
// no longer exists, and the warnings shown by `connections add/test`, the worker at start and
// `connectors show` when a connection's version expires soon or has expired.

/** How far ahead a coming end of support is announced. */
export const VERSION_WARNING_DAYS = 60;
const DAY_MS = 86_400_000;

export interface ApiVersionSpec {
  version: string;
  /** Release date (YYYY-MM-DD), where published. */
  released?: string;
  /**
   * The last day the provider promises the version works (YYYY-MM-DD), where it publishes one. Past
   * it the provider may answer with another version (Shopify falls forward to the oldest supported
   * one): connections still run, with an "expired" warning.
   */
  supportedUntil?: string;
  /**
   * The day the provider stops serving the version (YYYY-MM-DD). From that day the engine refuses it
   * (validation fails and lists the valid versions): every call would fail anyway.
   */
  retiresOn?: string;
  note?: string;
}

export interface VersionPolicy {
  /** The config field that holds the version. */
  field: string;
  /** What the provider calls it ("Admin API version", "Graph API version", "revision"). */
  label: string;
  /** The version a new connection gets: the provider's current stable one. */
  current: string;
  /** Every accepted version, newest first. */
  versions: readonly ApiVersionSpec[];
  /** The provider's versioning rule in words ("each stable version is supported for at least 12 months"). */
  rule: string;
  /** Where the versions and dates come from. */
  source: string;
}

export type VersionState = 'current' | 'supported' | 'expiring' | 'expired' | 'retired' | 'unknown';

export interface VersionStatus {
  connectorName: string;
  version: string;
  state: VersionState;
  /** The date that matters for the state (end of support or retirement), YYYY-MM-DD. */
  date?: string;
  /** Days until that date (negative once passed). */
  daysLeft?: number;
  /** A sentence for people, naming the version, the date and what to do; empty for current/supported. */
  message: string;
}

const dayStart = (iso: string) => Date.parse(`${iso}T00:00:00Z`);

/** The versions a user may choose today (not retired), newest first. */
export function validVersions(policy: VersionPolicy, nowMs: number = Date.now()): string[] {
  return policy.versions.filter((v) => !v.retiresOn || dayStart(v.retiresOn) > nowMs).map((v) => v.version);
}

export function versionStatus(connectorName: string, policy: VersionPolicy, version: string | undefined, nowMs: number = Date.now()): VersionStatus {
  const v = version ?? policy.current;
  const spec = policy.versions.find((s) => s.version === v);
  const valid = validVersions(policy, nowMs);
  const list = `valid ${policy.label}s: ${valid.map((x) => (x === policy.current ? `${x} (current)` : x)).join(', ')}`;
  if (!spec) {
    return { connectorName, version: v, state: 'unknown', message: `${connectorName} ${policy.label} "${v}" is not one the engine supports; ${list}` };
  }
  const days = (iso: string) => Math.floor((dayStart(iso) - nowMs) / DAY_MS);
  if (spec.retiresOn && dayStart(spec.retiresOn) <= nowMs) {
    return {
      connectorName, version: v, state: 'retired', date: spec.retiresOn, daysLeft: days(spec.retiresOn),
      message: `${connectorName} ${policy.label} ${v} was retired on ${spec.retiresOn}: the provider no longer serves it. Move the connection to ${policy.current}; ${list}`,
    };
  }
  if (spec.supportedUntil && dayStart(spec.supportedUntil) <= nowMs) {
    return {
      connectorName, version: v, state: 'expired', date: spec.supportedUntil, daysLeft: days(spec.supportedUntil),
      message: `${connectorName} ${policy.label} ${v} reached its end of support on ${spec.supportedUntil}${spec.note ? ` (${spec.note})` : ''}. Move the connection to ${policy.current}.`,
    };
  }
  const coming = [spec.retiresOn && { date: spec.retiresOn, what: 'is retired' }, spec.supportedUntil && { date: spec.supportedUntil, what: 'reaches its end of support' }]
    .filter((x): x is { date: string; what: string } => !!x)
    .sort((a, b) => a.date.localeCompare(b.date))[0];
  if (coming && dayStart(coming.date) - nowMs <= VERSION_WARNING_DAYS * DAY_MS) {
    const left = days(coming.date);
    return {
      connectorName, version: v, state: 'expiring', date: coming.date, daysLeft: left,
      message: `${connectorName} ${policy.label} ${v} ${coming.what} on ${coming.date} (in ${left} day${left === 1 ? '' : 's'}). Move the connection to ${policy.current} before then.`,
    };
  }
  const date = coming?.date;
  return { connectorName, version: v, state: v === policy.current ? 'current' : 'supported', ...(date ? { date, daysLeft: days(date) } : {}), message: '' };
}

/** Whether a status deserves a warning (a coming or past end of support, or a version that is gone). */
export function needsWarning(status: VersionStatus): boolean {
  return status.state === 'expiring' || status.state === 'expired' || status.state === 'retired' || status.state === 'unknown';
}

/**
 * The check a version field runs on every validation (the clock is read each time, so a version is
 * refused from its retirement day on, also for connections stored before).
 */
export function versionCheck(connectorName: string, policy: VersionPolicy): (value: string) => string | null {
  return (value) => {
    const status = versionStatus(connectorName, policy, value);
    if (status.state === 'unknown' || status.state === 'retired') return status.message.replace(`${connectorName} ${policy.label} `, '');
    return null;
  };
}
