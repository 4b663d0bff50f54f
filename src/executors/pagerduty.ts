// PagerDuty Events API v2: trigger, acknowledge and resolve alerts; routing_key in the body.
// Facts and sources: src/registry/connectors/pagerduty.ts. Pages this file follows:
// https://developer.pagerduty.com/docs/events-api-v2/overview/ ,
// https://developer.pagerduty.com/docs/events-api-v2/trigger-events/ ,
// https://developer.pagerduty.com/docs/events-api-v2/acknowledge-events/ ,
// https://developer.pagerduty.com/docs/events-api-v2/resolve-events/
import { z } from 'zod';
import type { ConnectorExecutor, ConnectorResponse } from '../core/envelope.js';
import { failBeforeSend, withBody } from '../core/envelope.js';
import { httpRequest, type HttpResponse } from '../core/http.js';
import { redact } from '../core/redact.js';
import type { PagerDutyConfig } from '../registry/connectors/pagerduty.js';
import { PAGERDUTY_EVENTS_HOSTS, pagerduty } from '../registry/connectors/pagerduty.js';
import { baseUrl, callOptions, checkConfig, checkMessage, dedupValue, offlineCheck, parseBody, secretsOf } from './support.js';

const PROVIDER = 'PagerDuty';
const DEDUP_KEY_MAX = 255;
const SUMMARY_MAX = 1024;
const MAX_EVENT_BYTES = 512 * 1024;

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
// Trigger events, `images`: "The source (URL) of the image being attached to the incident. This image
// must be served via HTTPS." (developer-docs 02-Trigger-Events.md; the same in the Events API v2 OpenAPI).
const httpsUrl = z.url({ protocol: /^https$/, error: 'must be an https URL: PagerDuty only shows images served via HTTPS' });
const isoInstant = z.string().refine((v) => !Number.isNaN(Date.parse(v)), { error: 'must be an ISO-8601 date-time' });

export const pagerdutyMessageSchema = z
  .strictObject({
    action: z.enum(['trigger', 'acknowledge', 'resolve']).default('trigger'),
    summary: z.string().min(1).max(SUMMARY_MAX).optional(),
    // PagerDuty documents no length limit for source (only dedup_key ≤ 255 and summary ≤ 1024); the
    // 512 KB event limit still applies.
    source: z.string().min(1).optional(),
    severity: z.enum(['critical', 'error', 'warning', 'info']).optional(),
    dedupKey: z.string().min(1).max(DEDUP_KEY_MAX).optional(),
    component: z.string().min(1).optional(),
    group: z.string().min(1).optional(),
    class: z.string().min(1).optional(),
    customDetails: z.record(z.string(), z.unknown()).optional(),
    links: z.array(z.strictObject({ href: httpUrl, text: z.string().optional() })).optional(),
    images: z.array(z.strictObject({ src: httpsUrl, href: httpUrl.optional(), alt: z.string().optional() })).optional(),
    timestamp: isoInstant.optional(),
  })
  .superRefine((m, ctx) => {
    if (m.action === 'trigger' && m.summary === undefined) ctx.addIssue({ code: 'custom', path: ['summary'], message: 'is required to trigger an alert' });
    // Acknowledge and resolve act on an existing alert: only its own dedup_key can name it.
    if (m.action !== 'trigger' && m.dedupKey === undefined) {
      ctx.addIssue({ code: 'custom', path: ['dedupKey'], message: `is required to ${m.action} an alert (the dedup_key of the alert, as returned when it was triggered)` });
    }
  });
/** A message as a caller writes it (`action` defaults to trigger). */
export type PagerDutyMessage = z.input<typeof pagerdutyMessageSchema>;

const accepted = z.looseObject({ status: z.literal('success'), dedup_key: z.string().min(1), message: z.string().optional() });
const invalidEvent = z.looseObject({ status: z.string().optional(), message: z.string().optional(), errors: z.array(z.string()).optional() });

/** PagerDuty's `{status, message, errors[]}` as one clear message: the errors name the bad fields. */
export function refinePagerDutyError(res: HttpResponse, secrets: readonly string[]): HttpResponse {
  if (res.ok || !res.error || res.status === 0) return res;
  const parsed = invalidEvent.safeParse(res.body);
  if (!parsed.success || (!parsed.data.message && !parsed.data.errors?.length)) return res;
  const { status, message, errors } = parsed.data;
  const text = [message, errors?.length ? errors.join('; ') : undefined].filter(Boolean).join(': ');
  return { ...res, error: { ...res.error, message: redact(`${PROVIDER} answered HTTP ${res.status}${status ? ` (${status})` : ''}: ${text}`, secrets) } };
}

/** The Events API v2 event for a message. */
export function pagerdutyEvent(config: PagerDutyConfig, m: z.output<typeof pagerdutyMessageSchema>, idempotencyKey: string | undefined): Record<string, unknown> {
  // Without a dedup_key every retry would open a new alert: derive one from the send's idempotency
  // key (deterministic; its sha256 hex when longer than PagerDuty's 255). An explicit key wins.
  const dedupKey = dedupValue(m.dedupKey, idempotencyKey, DEDUP_KEY_MAX);
  const event: Record<string, unknown> = { routing_key: config.routingKey, event_action: m.action, ...(dedupKey ? { dedup_key: dedupKey } : {}) };
  if (m.action !== 'trigger') return event;
  const payload: Record<string, unknown> = {
    summary: m.summary,
    source: m.source ?? config.defaultSource,
    severity: m.severity ?? config.defaultSeverity,
    ...(m.timestamp ? { timestamp: m.timestamp } : {}),
    ...(m.component ? { component: m.component } : {}),
    ...(m.group ? { group: m.group } : {}),
    ...(m.class ? { class: m.class } : {}),
    ...(m.customDetails ? { custom_details: m.customDetails } : {}),
  };
  return { ...event, payload, ...(m.links ? { links: m.links } : {}), ...(m.images ? { images: m.images } : {}) };
}

export const pagerdutyExecutor: ConnectorExecutor<PagerDutyConfig> = {
  messageSchema: pagerdutyMessageSchema,

  async testConnection(rawConfig) {
    const checked = checkConfig<PagerDutyConfig>('pagerduty', rawConfig);
    if ('fail' in checked) return checked.fail;
    return offlineCheck('The Events API has no read endpoint: the routing key was validated offline (32 characters); only a real event proves it works.');
  },

  async send(rawConfig, message, opts): Promise<ConnectorResponse> {
    const checked = checkConfig<PagerDutyConfig>('pagerduty', rawConfig);
    if ('fail' in checked) return checked.fail;
    const { config } = checked;
    const msg = checkMessage(pagerdutyMessageSchema, message, PROVIDER);
    if ('fail' in msg) return msg.fail;
    const event = pagerdutyEvent(config, msg.message, opts?.idempotencyKey);
    const bytes = Buffer.byteLength(JSON.stringify(event), 'utf8');
    if (bytes > MAX_EVENT_BYTES) return failBeforeSend('payload_too_large', `${PROVIDER}: the event is ${bytes} bytes; the Events API accepts at most 512 KB`);
    const base = baseUrl(PAGERDUTY_EVENTS_HOSTS[config.region === 'eu' ? 'eu' : 'us'], opts);
    if ('fail' in base) return base.fail;

    const secrets = secretsOf('pagerduty', config);
    const res = refinePagerDutyError(
      await httpRequest({
        provider: PROVIDER,
        method: 'POST',
        url: `${base.base}/v2/enqueue`,
        json: event,
        secrets,
        ...callOptions(opts, pagerduty.policy.timeouts.requestMs),
      }),
      secrets,
    );
    const parsed = parseBody(res, accepted, PROVIDER);
    if (!parsed.ok || !parsed.body) return parsed;
    return withBody(parsed, { dedupKey: parsed.body.dedup_key });
  },
};
