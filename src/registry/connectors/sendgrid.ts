// Twilio SendGrid Mail Send v3 (messaging destination: email).
// Facts: https://www.twilio.com/docs/sendgrid/api-reference/mail-send/mail-send ,
// https://www.twilio.com/docs/sendgrid/api-reference/how-to-use-the-sendgrid-v3-api/rate-limits ,
// https://www.twilio.com/docs/sendgrid/api-reference/mail-send/errors ,
// https://www.twilio.com/docs/sendgrid/for-developers/sending-email/scheduling-parameters
import { definePolicy } from '../../policies/types.js';
import { defineConnector, type ConfigOf } from '../define.js';
import { password, select, text } from '../fields.js';

export const SENDGRID_HOSTS = { global: 'https://api.sendgrid.com', eu: 'https://api.eu.sendgrid.com' } as const;

export const sendgrid = defineConnector({
  id: 'sendgrid',
  name: 'SendGrid',
  category: 'messaging',
  description: 'Sends transactional email through the SendGrid Mail Send v3 API, plain or with a dynamic template.',
  docsUrl: 'https://www.twilio.com/docs/sendgrid/api-reference/mail-send/mail-send',
  capabilities: { testConnection: 'api', send: true, pull: [], trigger: false },
  credentialCheck: 'GET /v3/scopes (the key must hold mail.send)',
  idempotency: {
    supported: false,
    note: 'Mail Send has no idempotency key; a duplicate email is prevented by the send workflow\'s id, not by SendGrid. The event id travels in custom_args for correlation.',
  },
  authMethods: [
    {
      id: 'api_key',
      label: 'API key',
      help: 'Settings → API Keys → Create API Key, with at least the Mail Send permission.',
      connectionFields: {
        region: select({
          label: 'Data residency',
          help: 'EU data-residency subusers must use the EU host (api.eu.sendgrid.com); everyone else uses global.',
          required: false,
          default: 'global',
          options: [
            { value: 'global', label: 'Global (api.sendgrid.com)' },
            { value: 'eu', label: 'EU (api.eu.sendgrid.com)' },
          ],
        }),
        fromEmail: text({
          label: 'From email',
          help: 'A verified single sender or an address on an authenticated domain (Settings → Sender Authentication).',
          required: true,
          placeholder: 'noreply@example.com',
          // Domain labels cannot hold the dot that separates them: one way to match, linear time.
          validation: { pattern: '[^\\s@]+@[^\\s@.]+(?:\\.[^\\s@.]+)+', patternDescription: 'an email address' },
        }),
        fromName: text({
          label: 'From name',
          help: 'Optional display name shown to recipients.',
          required: false,
          validation: { maxLength: 100 },
        }),
        templateId: text({
          label: 'Dynamic template ID',
          help: 'Optional. Email API → Dynamic Templates → the template ID (starts with d-); sends then fill dynamic_template_data.',
          required: false,
          placeholder: 'd-…',
          validation: { pattern: 'd-[0-9a-zA-Z]+', patternDescription: 'a dynamic template ID starting with d-' },
        }),
      },
      authFields: {
        apiKey: password({
          label: 'API key',
          help: 'Shown once at creation; starts with SG.',
          required: true,
          validation: { pattern: 'SG\\.\\S+', patternDescription: 'a SendGrid API key starting with SG.' },
        }),
      },
    },
  ],
  rateScope: { by: 'account (API key)', fields: ['apiKey'], source: 'https://www.twilio.com/docs/sendgrid/api-reference/how-to-use-the-sendgrid-v3-api/rate-limits' },
  policy: definePolicy({
    source: 'https://www.twilio.com/docs/sendgrid/api-reference/how-to-use-the-sendgrid-v3-api/rate-limits',
    // SendGrid publishes no per-endpoint table; it reports limits in X-RateLimit-* headers. 10/s is a
    // conservative start, each request carrying up to 1,000 recipients.
    rate: { requestsPerSecond: 10 },
    retry: { initialIntervalMs: 1_000, backoffCoefficient: 2, maximumIntervalMs: 60_000, maximumAttempts: 6 },
    timeouts: { requestMs: 15_000, startToCloseMs: 45_000, scheduleToCloseMs: 30 * 60_000 },
  }),
  notes: [
    '202 with an empty body means queued, not delivered; the message id is in the X-Message-Id header.',
    '403 covers a missing scope, an unverified sender and a temporary block after many bad requests.',
    'EU data-residency subusers must use the EU region; 451 means the data-residency rules refused the request.',
    'sendAt may be at most 72 hours ahead ("Emails can be scheduled up to 72 hours in advance"); a later one is refused before sending.',
  ],
});

export type SendGridConfig = ConfigOf<typeof sendgrid>;
