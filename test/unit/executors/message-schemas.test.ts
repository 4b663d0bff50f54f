// Every executor that sends exposes the zod schema its `send` validates a message with
// (ConnectorExecutor.messageSchema), so that a pipeline can check a mapped message offline, at
// create time, with issues that name the field. For each such connector: a valid sample passes, an
// invalid one fails with an issue at the offending field, and `send` itself refuses that same message
// before any request with bad_request naming the same field (the schema is the one send uses).
import { describe, expect, test } from 'vitest';
import { getExecutor } from '../../../src/executors/index.js';
import { connectorRegistry, type ConnectorId } from '../../../src/registry/index.js';
import { useMockAgent } from '../../helpers/mock-agent.js';
import { sampleFor, validSamples } from '../../helpers/registry-samples.js';

// No interceptor is declared: a request would fail the test (net connect is disabled).
const mock = useMockAgent();

interface Sample {
  valid: unknown;
  invalid: unknown;
  /** The issue path (dot-joined) the invalid sample must produce. */
  field: string;
}

const SAMPLES: Partial<Record<ConnectorId, Sample>> = {
  slack: { valid: { text: 'Deploy finished' }, invalid: { text: 'Deploy finished', mrkdwn: 'yes' }, field: 'mrkdwn' },
  teams: { valid: { text: 'Deploy finished', title: 'CI' }, invalid: { text: 'Deploy finished', themeColor: 'red' }, field: 'themeColor' },
  whatsapp: { valid: { to: '+15551234567', text: 'Your order shipped' }, invalid: { to: '12', text: 'Your order shipped' }, field: 'to' },
  pagerduty: {
    valid: { summary: 'Disk full on db-1', severity: 'critical', source: 'db-1' },
    invalid: { summary: 'Disk full on db-1', severity: 'fatal' },
    field: 'severity',
  },
  twilio: { valid: { to: '+15558675310', body: 'Your code is 123456' }, invalid: { to: '5558675310', body: 'Your code is 123456' }, field: 'to' },
  sendgrid: {
    valid: { to: 'ada@example.org', subject: 'Welcome', text: 'Hello Ada' },
    invalid: { to: 'ada@example.org', subject: 'Welcome', text: 'Hello Ada', templateId: 'welcome' },
    field: 'templateId',
  },
  postmark: {
    valid: { to: 'ada@example.org', subject: 'Welcome', textBody: 'Hello Ada' },
    invalid: { to: 'ada@example.org', subject: 'Welcome', textBody: 'Hello Ada', messageStream: 'not a stream!' },
    field: 'messageStream',
  },
  intercom: {
    valid: { type: 'event', eventName: 'placed-order', userId: '314159', metadata: { order_number: '3434-3434' } },
    invalid: { type: 'event', eventName: 'placed-order', userId: '314159', createdAt: -5 },
    field: 'createdAt',
  },
  zendesk: {
    valid: { subject: 'Printer offline', body: 'Details…', requester: { email: 'ann@example.com' } },
    invalid: { subject: 'Printer offline', body: 'Details…', priority: 'asap' },
    field: 'priority',
  },
  iterable: {
    valid: { eventName: 'orderPlaced', email: 'a@example.com', dataFields: { total: 42 } },
    invalid: { eventName: 'orderPlaced', email: 'a@example.com', createdAt: 1_735_689_600_000 },
    field: 'createdAt',
  },
  klaviyo: {
    valid: { metric: 'Order Placed', profile: { email: 'a@example.com' }, properties: { order_id: 'A1' }, value: 9.99, valueCurrency: 'USD' },
    invalid: { metric: 'Order Placed', profile: { email: 'a@example.com' }, value: 9.99, valueCurrency: 'usd' },
    field: 'valueCurrency',
  },
  segment: {
    valid: { type: 'track', userId: '019mr8mf4r', event: 'Item Purchased', properties: { revenue: 14.99 } },
    invalid: { type: 'track', userId: '019mr8mf4r', event: 'Item Purchased', timestamp: 'yesterday' },
    field: 'timestamp',
  },
  braze: {
    valid: { events: [{ external_id: 'u1', name: 'order_placed', time: '2025-01-01T00:00:00Z' }] },
    invalid: { purchases: [{ external_id: 'u1', product_id: 'sku-1', currency: 'usd', price: 1 }] },
    field: 'purchases.0.currency',
  },
  snowpipe: {
    valid: { files: [{ path: 'events/2025/01/01/part-0.csv.gz', size: 1024 }] },
    invalid: { files: [{ path: '/events/part-0.csv.gz' }] },
    field: 'files.0.path',
  },
  kinesis: {
    valid: { data: { id: 'e1', total: 42 }, partitionKey: 'u-1' },
    invalid: { data: { id: 'e1' }, explicitHashKey: 'abc' },
    field: 'explicitHashKey',
  },
};

const senders = Object.values(connectorRegistry).filter((c) => c.capabilities.send).map((c) => c.id as ConnectorId);
const others = Object.values(connectorRegistry).filter((c) => !c.capabilities.send).map((c) => c.id as ConnectorId);

function configFor(id: ConnectorId): Record<string, unknown> {
  const [authMethod] = Object.keys(validSamples[id]);
  return sampleFor(id, authMethod!);
}

describe('messageSchema: the schema send validates a message with', () => {
  test('the samples cover exactly the connectors that send', () => {
    expect(senders.length).toBeGreaterThan(0);
    expect(Object.keys(SAMPLES).sort()).toEqual([...senders].sort());
  });

  test.each(others)('%s does not send and has no messageSchema', (id) => {
    expect(getExecutor(id).messageSchema).toBeUndefined();
  });

  describe.each(senders)('%s', (id) => {
    const sample = SAMPLES[id]!;

    test('has a messageSchema', () => {
      expect(getExecutor(id).messageSchema).toBeDefined();
      expect(typeof getExecutor(id).messageSchema!.safeParse).toBe('function');
    });

    test('accepts a valid sample message', () => {
      const parsed = getExecutor(id).messageSchema!.safeParse(sample.valid);
      expect(parsed.error?.issues ?? []).toEqual([]);
      expect(parsed.success).toBe(true);
    });

    test(`rejects an invalid one with an issue at ${sample.field}`, () => {
      const parsed = getExecutor(id).messageSchema!.safeParse(sample.invalid);
      expect(parsed.success).toBe(false);
      expect(parsed.error!.issues.map((i) => i.path.join('.'))).toContain(sample.field);
    });

    test('send refuses that message before any request, naming the same field', async () => {
      const res = await getExecutor(id).send!(configFor(id), sample.invalid);
      expect(res).toMatchObject({ ok: false, status: 0, body: null, error: { code: 'bad_request', retryable: false } });
      expect(res.error!.message).toContain(sample.field);
      expect(mock.sent()).toHaveLength(0);
    });
  });
});
