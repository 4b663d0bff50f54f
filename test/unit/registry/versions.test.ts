// The API version policy: which versions a connection may pin, and when it is warned.
import { afterEach, describe, expect, test, vi } from 'vitest';
import { CONNECTOR_IDS, getConnector, formSpec, versionStatus, validVersions, type VersionPolicy } from '../../../src/registry/index.js';

const POLICY: VersionPolicy = {
  field: 'apiVersion',
  label: 'API version',
  current: 'v3',
  rule: 'Test rule.',
  source: 'https://example.com/versions',
  versions: [
    { version: 'v3', supportedUntil: '2028-01-01' },
    { version: 'v2', supportedUntil: '2027-01-20' },
    { version: 'v1', retiresOn: '2027-01-15' },
  ],
};
const at = (iso: string) => Date.parse(iso);

afterEach(() => vi.useRealTimers());

describe('versionStatus', () => {
  test('current and plainly supported versions need no warning', () => {
    expect(versionStatus('X', POLICY, 'v3', at('2026-12-02T00:00:00Z')).state).toBe('current');
    expect(versionStatus('X', POLICY, undefined, at('2026-12-02T00:00:00Z')).state).toBe('current');
    const v2 = versionStatus('X', POLICY, 'v2', at('2026-10-01T00:00:00Z'));
    expect(v2).toMatchObject({ state: 'supported', message: '' });
  });

  test('within 60 days of the end of support: expiring, with the date and the days left', () => {
    const s = versionStatus('X', POLICY, 'v2', at('2026-12-02T12:00:00Z'));
    expect(s.state).toBe('expiring');
    expect(s.date).toBe('2027-01-20');
    expect(s.daysLeft).toBe(48);
    expect(s.message).toBe('X API version v2 reaches its end of support on 2027-01-20 (in 48 days). Move the connection to v3 before then.');
  });

  test('a retirement date is announced too, and wins when it comes first', () => {
    const s = versionStatus('X', POLICY, 'v1', at('2026-12-02T00:00:00Z'));
    expect(s).toMatchObject({ state: 'expiring', date: '2027-01-15', daysLeft: 44 });
    expect(s.message).toContain('is retired on 2027-01-15');
  });

  test('past the end of support: expired; from the retirement day: retired, listing the valid versions', () => {
    expect(versionStatus('X', POLICY, 'v2', at('2027-01-20T00:00:00Z'))).toMatchObject({ state: 'expired', date: '2027-01-20' });
    const retired = versionStatus('X', POLICY, 'v1', at('2027-01-15T00:00:00Z'));
    expect(retired.state).toBe('retired');
    expect(retired.message).toBe('X API version v1 was retired on 2027-01-15: the provider no longer serves it. Move the connection to v3; valid API versions: v3 (current), v2');
    expect(versionStatus('X', POLICY, 'v1', at('2027-01-14T23:59:59Z')).state).toBe('expiring');
  });

  test('a version the registry does not know is unknown, with the list of valid ones', () => {
    const s = versionStatus('X', POLICY, 'v9', at('2026-12-02T00:00:00Z'));
    expect(s.state).toBe('unknown');
    expect(s.message).toBe('X API version "v9" is not one the engine supports; valid API versions: v3 (current), v2, v1');
    expect(validVersions(POLICY, at('2027-02-01T00:00:00Z'))).toEqual(['v3', 'v2']);
  });
});

describe('connectors that pin a version', () => {
  const pinned = CONNECTOR_IDS.filter((id) => getConnector(id).apiVersion);

  test.each(pinned)('%s: the default is the current version, every version is an option, the source is a URL', (id) => {
    const c = getConnector(id);
    const policy = c.apiVersion!;
    expect(policy.source).toMatch(/^https:\/\//);
    const field = formSpec(id).authMethods[0]!.fields.find((f) => f.key === policy.field)!;
    expect(field.kind).toBe('select');
    expect(field.default).toBe(policy.current);
    expect(field.options!.map((o) => o.value)).toEqual(policy.versions.map((v) => v.version));
    expect(formSpec(id).apiVersion?.current).toBe(policy.current);
  });

  test('Shopify: 2026-10 is the default; an unknown version is refused with the valid ones; an expired one is accepted with a warning', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(at('2026-12-02T00:00:00Z'));
    const shopify = getConnector('shopify');
    const base = { shopDomain: 'a-shop.myshopify.com', accessToken: 'shpat_0000000000' };
    const ok = shopify.validateConfig(base);
    expect(ok.ok && ok.config.apiVersion).toBe('2026-10');
    const bad = shopify.validateConfig({ ...base, apiVersion: '2019-04' });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.message).toMatch(/must be one of: 2026-10, 2026-07/);
    const old = shopify.validateConfig({ ...base, apiVersion: '2025-07' });
    expect(old.ok).toBe(true);
    expect(shopify.versionStatus({ ...base, apiVersion: '2025-07' })).toMatchObject({ state: 'expired', date: '2026-07-01' });
    expect(shopify.versionStatus({ ...base, apiVersion: '2026-01' })).toMatchObject({ state: 'expiring', date: '2027-01-01', daysLeft: 30 });
  });
});
