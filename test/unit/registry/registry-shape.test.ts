// The registry as a whole: the 22 connectors in catalogue order, their categories, capabilities and policies.
import { describe, expect, test } from 'vitest';
import { CONNECTOR_IDS, connectorRegistry, getConnector, isConnectorId } from '../../../src/registry/index.js';

const EXPECTED_IDS = [
  'slack', 'teams', 'whatsapp', 'pagerduty', 'twilio', 'sendgrid', 'postmark',
  'intercom', 'zendesk', 'iterable', 'klaviyo', 'segment', 'braze',
  'shopify', 'stripe', 'mailchimp',
  'snowpipe', 'fivetran', 'hightouch', 'census', 'databricks', 'kinesis',
];

describe('connector registry', () => {
  test('holds exactly the 22 connectors, in catalogue order, each under its own id', () => {
    expect(CONNECTOR_IDS).toEqual(EXPECTED_IDS);
    for (const id of CONNECTOR_IDS) expect(connectorRegistry[id].id).toBe(id);
    expect(isConnectorId('nope')).toBe(false);
    expect(() => getConnector('nope')).toThrow(/Unknown connector "nope"/);
  });

  test('categories: 7 messaging, 6 CDP/support, 3 commerce sources, 6 reverse ETL', () => {
    const counts: Record<string, number> = {};
    for (const id of CONNECTOR_IDS) {
      const category = connectorRegistry[id].category;
      counts[category] = (counts[category] ?? 0) + 1;
    }
    expect(counts).toEqual({ messaging: 7, cdp_support: 6, commerce_source: 3, reverse_etl: 6 });
  });

  test('capabilities match what each provider offers', () => {
    const offline = CONNECTOR_IDS.filter((id) => connectorRegistry[id].capabilities.testConnection === 'offline');
    expect(offline.sort()).toEqual(['pagerduty', 'segment', 'slack', 'teams']);
    const senders = CONNECTOR_IDS.filter((id) => connectorRegistry[id].capabilities.send);
    expect(senders).toEqual([...EXPECTED_IDS.slice(0, 13), 'snowpipe', 'kinesis']);
    const triggers = CONNECTOR_IDS.filter((id) => connectorRegistry[id].capabilities.trigger);
    expect(triggers).toEqual(['fivetran', 'hightouch', 'census', 'databricks']);
    const pullers = CONNECTOR_IDS.filter((id) => connectorRegistry[id].capabilities.pull.length > 0);
    expect(pullers).toEqual(['shopify', 'stripe', 'mailchimp']);
    for (const id of offline) expect(connectorRegistry[id].credentialCheck).toMatch(/^none/);
  });

  test('idempotency: a provider mechanism where one exists, an honest note everywhere', () => {
    const supported = Object.fromEntries(
      CONNECTOR_IDS.filter((id) => connectorRegistry[id].idempotency.supported).map((id) => [id, connectorRegistry[id].idempotency.via]),
    );
    expect(supported).toEqual({
      pagerduty: 'dedup_key',
      zendesk: 'Idempotency-Key header',
      iterable: 'event id',
      klaviyo: 'unique_id',
      segment: 'messageId',
    });
    for (const id of CONNECTOR_IDS) expect(connectorRegistry[id].idempotency.note.length).toBeGreaterThan(20);
  });

  test.each(EXPECTED_IDS)('%s declares its docs, a credential check and a policy with positive figures', (id) => {
    const c = getConnector(id);
    expect(c.docsUrl).toMatch(/^https:\/\//);
    expect(c.description.length).toBeGreaterThan(10);
    expect(c.credentialCheck.length).toBeGreaterThan(5);
    const { policy } = c;
    expect(policy.source).toMatch(/^https:\/\//);
    for (const group of [policy.rate, policy.retry, policy.timeouts, policy.circuit]) {
      for (const [key, value] of Object.entries(group)) {
        expect(value, `${id} policy ${key}`).toBeTypeOf('number');
        expect(value, `${id} policy ${key}`).toBeGreaterThan(0);
      }
    }
    expect(policy.retry.backoffCoefficient).toBeGreaterThanOrEqual(1);
    expect(policy.timeouts.requestMs).toBeLessThanOrEqual(policy.timeouts.startToCloseMs);
    expect(policy.timeouts.startToCloseMs).toBeLessThanOrEqual(policy.timeouts.scheduleToCloseMs);
    if (policy.timeouts.heartbeatMs !== undefined) expect(policy.timeouts.heartbeatMs).toBeGreaterThan(policy.timeouts.requestMs);
  });

  test('no connector heartbeats: trigger and status polls are single calls, spaced by durable timers', () => {
    for (const id of ['fivetran', 'hightouch', 'census', 'databricks', 'slack', 'twilio', 'kinesis', 'snowpipe'] as const) {
      expect(connectorRegistry[id].policy.timeouts.heartbeatMs, id).toBeUndefined();
    }
  });

  test('documented limits are not exceeded by the default rates', () => {
    expect(connectorRegistry.slack.policy.rate.requestsPerSecond).toBeLessThanOrEqual(1);
    expect(connectorRegistry.teams.policy.rate.requestsPerSecond).toBeLessThanOrEqual(4);
    expect(connectorRegistry.pagerduty.policy.rate.requestsPerSecond).toBeLessThanOrEqual(2);
    expect(connectorRegistry.zendesk.policy.rate.requestsPerSecond * 60).toBeLessThanOrEqual(200);
    expect(connectorRegistry.braze.policy.rate.requestsPerSecond * 3).toBeLessThanOrEqual(3_000);
    expect(connectorRegistry.hightouch.policy.rate.requestsPerSecond * 10).toBeLessThanOrEqual(200);
    expect(connectorRegistry.fivetran.policy.rate.requestsPerSecond * 3_600).toBeLessThanOrEqual(20_000);
    expect(connectorRegistry.klaviyo.policy.rate.requestsPerSecond * 60).toBeLessThanOrEqual(3_500);
  });
});
