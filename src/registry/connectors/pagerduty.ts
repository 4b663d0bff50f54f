// PagerDuty Events API v2 (messaging destination: alerts).
// Facts: https://developer.pagerduty.com/docs/events-api-v2/overview/ ,
// https://developer.pagerduty.com/docs/events-api-v2/trigger-events/ ,
// https://developer.pagerduty.com/docs/events-api-v2/rate-limits/ ,
// https://support.pagerduty.com/docs/safelist-ips (the EU Events API host)
import { definePolicy } from '../../policies/types.js';
import { defineConnector, type ConfigOf } from '../define.js';
import { password, select, text } from '../fields.js';

export const PAGERDUTY_EVENTS_HOSTS = { us: 'https://events.pagerduty.com', eu: 'https://events.eu.pagerduty.com' } as const;

export const pagerduty = defineConnector({
  id: 'pagerduty',
  name: 'PagerDuty',
  category: 'messaging',
  description: 'Triggers, acknowledges and resolves PagerDuty alerts through the Events API v2.',
  docsUrl: 'https://developer.pagerduty.com/docs/events-api-v2/overview/',
  capabilities: { testConnection: 'offline', send: true, pull: [], trigger: false },
  credentialCheck:
    'none: the Events API has no read endpoint, so the routing key is validated offline (32 characters); only a real event proves it works.',
  idempotency: {
    supported: true,
    via: 'dedup_key',
    note: 'Events with the same dedup_key and routing key attach to the open alert instead of opening a new one; the engine derives it from the send\'s idempotency key.',
  },
  authMethods: [
    {
      id: 'routing_key',
      label: 'Integration (routing) key',
      help: 'Add an "Events API V2" integration to a service (Service → Integrations) or use an Event Orchestration / ruleset key.',
      connectionFields: {
        region: select({
          label: 'Service region',
          help: 'The region of your PagerDuty account: EU accounts send to events.eu.pagerduty.com.',
          required: false,
          default: 'us',
          options: [
            { value: 'us', label: 'US (events.pagerduty.com)' },
            { value: 'eu', label: 'EU (events.eu.pagerduty.com)' },
          ],
        }),
        defaultSeverity: select({
          label: 'Default severity',
          help: 'Severity of triggered alerts when a send does not set one.',
          required: false,
          default: 'error',
          options: [
            { value: 'critical', label: 'Critical' },
            { value: 'error', label: 'Error' },
            { value: 'warning', label: 'Warning' },
            { value: 'info', label: 'Info' },
          ],
        }),
        defaultSource: text({
          label: 'Default source',
          help: 'payload.source of triggered alerts when a send does not set one: the affected system (host name, service).',
          required: false,
          default: 'pipeline-worker',
          // PagerDuty documents no limit on source (only 512 KB per event): a generous bound of our own.
          validation: { maxLength: 1_024 },
        }),
      },
      authFields: {
        routingKey: password({
          label: 'Routing key',
          help: 'Service → Integrations → Events API V2 → Integration Key (32 characters; global ruleset keys start with R).',
          required: true,
          validation: { pattern: '[A-Za-z0-9]{32}', patternDescription: 'a 32-character integration key' },
        }),
      },
    },
  ],
  rateScope: { by: 'integration (routing) key', fields: ['routingKey'], source: 'https://developer.pagerduty.com/docs/events-api-v2/rate-limits/' },
  policy: definePolicy({
    source: 'https://developer.pagerduty.com/docs/events-api-v2/rate-limits/',
    // About 120 events per minute per integration key (rolling 60 s), i.e. 2/s.
    rate: { requestsPerSecond: 2 },
    // A 429 drops the event; PagerDuty suggests a few retries about 30 s apart. Safe to repeat: dedup_key.
    retry: { initialIntervalMs: 30_000, backoffCoefficient: 1, maximumIntervalMs: 30_000, maximumAttempts: 5 },
    timeouts: { requestMs: 10_000, startToCloseMs: 30_000, scheduleToCloseMs: 10 * 60_000 },
  }),
  notes: [
    '202 {"status":"success"} means the event was queued for processing, not that anyone was paged.',
    'Without a dedup_key every retry opens a new alert; the engine always sends one.',
    'EU service-region accounts send to events.eu.pagerduty.com: PagerDuty\'s safelist page says "events.pagerduty.com and events.eu.pagerduty.com resolve to multiple IPs" for the Events API (https://support.pagerduty.com/docs/safelist-ips).',
    'images[].src must be https ("This image must be served via HTTPS"); payload.source has no documented length limit (only dedup_key ≤ 255 and summary ≤ 1024 characters are limited).',
  ],
});

export type PagerDutyConfig = ConfigOf<typeof pagerduty>;
