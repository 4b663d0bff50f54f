// A connector described in words, from its registry entry: the README's connector table
// (scripts/connectors-table.ts) and the console's connectors page say the same thing the same way.
import type { Connector, ConnectorCategory } from './define.js';
import type { ApiVersionSpec, VersionPolicy } from './versions.js';

export const CATEGORY_LABELS: Readonly<Record<ConnectorCategory, string>> = {
  messaging: 'Messaging',
  cdp_support: 'CDP / support',
  commerce_source: 'Commerce source',
  reverse_etl: 'Reverse ETL / data movement',
};

/** "test (API)", "send", "pull: orders", "trigger + poll". */
export function capabilityWords(c: Pick<Connector, 'capabilities'>): string[] {
  return [
    c.capabilities.testConnection === 'api' ? 'test (API)' : 'test (offline)',
    c.capabilities.send ? 'send' : null,
    c.capabilities.pull.length ? `pull: ${c.capabilities.pull.join(', ')}` : null,
    c.capabilities.trigger ? 'trigger + poll' : null,
  ].filter((w): w is string => w !== null);
}

/**
 * The default version and its end of support, and how many older ones the registry lists (each with
 * its own date in `pipeline connectors show <id>`). Nothing here depends on today's date, so the
 * words do not go stale when a version retires.
 */
export function apiVersionSummary(policy: VersionPolicy | undefined): string {
  if (!policy) return 'not pinned';
  const date = (v: ApiVersionSpec | undefined) => (v?.retiresOn ? `retires ${v.retiresOn}` : v?.supportedUntil ? `supported until ${v.supportedUntil}` : 'no end of support published');
  const current = policy.versions.find((v) => v.version === policy.current);
  const older = policy.versions.length - 1;
  return `${policy.current} (${date(current)})${older > 0 ? `; ${older === 1 ? '1 other version listed with its date' : `${older} other versions listed with their dates`}` : ''}`;
}
