// WhatsApp Business Platform, Meta Cloud API (messaging destination).
// Facts: https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages ,
// https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes ,
// https://developers.facebook.com/docs/whatsapp/throughput ,
// https://developers.facebook.com/docs/graph-api/changelog/versions/ ,
// https://developers.facebook.com/docs/graph-api/guides/versioning
import { definePolicy } from '../../policies/types.js';
import { defineConnector, type ConfigOf } from '../define.js';
import { apiVersionField, password, text } from '../fields.js';
import type { VersionPolicy } from '../versions.js';

/**
 * Graph API versions, from Meta's changelog table (https://developers.facebook.com/docs/graph-api/changelog/versions/,
 * "Version · Date Introduced · Available Until"; v26.0, introduced July 29, 2026, is the latest and
 * its end is "TBD"). The versioning guide: "A version will no longer be usable two years after the
 * date that the subsequent version is released", so the "available until" date is the first day a
 * version no longer works and is `retiresOn` here: from that day the engine refuses it. Versions
 * already past it (v20.0 on 2026-09-24, v19.0 on 2026-05-21, ...) are not listed at all.
 */
export const WHATSAPP_VERSIONS: VersionPolicy = {
  field: 'apiVersion',
  label: 'Graph API version',
  current: 'v26.0',
  rule: 'Meta keeps each Graph API version usable until two years after the next version is released (the "available until" date in its changelog); from that date the version is refused.',
  source: 'https://developers.facebook.com/docs/graph-api/changelog/versions/',
  versions: [
    { version: 'v26.0', released: '2026-07-29' },
    { version: 'v25.0', released: '2026-02-18', retiresOn: '2028-07-29' },
    { version: 'v24.0', released: '2025-10-08', retiresOn: '2028-02-18' },
    { version: 'v23.0', released: '2025-05-29', retiresOn: '2027-10-08' },
    { version: 'v22.0', released: '2025-01-21', retiresOn: '2027-05-20' },
    { version: 'v21.0', released: '2024-10-02', retiresOn: '2027-01-21' },
  ],
};

export const whatsapp = defineConnector({
  id: 'whatsapp',
  name: 'WhatsApp Business',
  category: 'messaging',
  description: 'Sends WhatsApp text and template messages from a business phone number through the Meta Cloud API.',
  docsUrl: 'https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages',
  capabilities: { testConnection: 'api', send: true, pull: [], trigger: false },
  credentialCheck: 'GET /{apiVersion}/{phoneNumberId}?fields=display_phone_number,verified_name,quality_rating',
  idempotency: {
    supported: false,
    note: 'The Cloud API has no idempotency key; a duplicate message is prevented by the send workflow\'s id, not by Meta. biz_opaque_callback_data only correlates status webhooks.',
  },
  authMethods: [
    {
      id: 'system_user_token',
      label: 'System user access token',
      help: 'A permanent token of a system user in Meta Business Settings with the whatsapp_business_messaging permission on the WhatsApp Business Account.',
      connectionFields: {
        phoneNumberId: text({
          label: 'Phone number ID',
          help: 'WhatsApp Manager → Phone numbers, or the app dashboard → WhatsApp → API Setup. This is Meta\'s numeric id of the number, not the phone number itself.',
          required: true,
          placeholder: '106540352242922',
          validation: { pattern: '\\d{6,20}', patternDescription: 'the numeric phone number ID (digits only)' },
        }),
        apiVersion: apiVersionField('WhatsApp', WHATSAPP_VERSIONS, {
          help: 'Graph API version in the URL path; pin one and upgrade deliberately.',
        }),
        wabaId: text({
          label: 'WhatsApp Business Account ID',
          help: 'Optional. WhatsApp Manager → Account tools → the WABA id; used to look up templates.',
          required: false,
          validation: { pattern: '\\d{6,20}', patternDescription: 'a numeric account ID (digits only)' },
        }),
        defaultTemplateName: text({
          label: 'Default template name',
          help: 'Optional. An approved message template (WhatsApp Manager → Message templates) used when a send names none; outside the 24-hour customer-service window only templates are delivered.',
          required: false,
          placeholder: 'order_update',
          validation: { pattern: '[a-z0-9_]{1,512}', maxLength: 512, patternDescription: 'a template name of lowercase letters, digits and underscores' },
        }),
        defaultTemplateLanguage: text({
          label: 'Default template language',
          help: 'Optional. Language code of the template translation, e.g. en_US or pt_BR.',
          required: false,
          placeholder: 'en_US',
          validation: { pattern: '[a-z]{2,3}(_[A-Za-z]{2,4})?', patternDescription: 'a language code such as en or en_US' },
        }),
      },
      authFields: {
        accessToken: password({
          label: 'Access token',
          help: 'Business Settings → Users → System users → Generate new token (choose "never expires"). Sent as a Bearer token.',
          required: true,
          validation: { minLength: 20 },
        }),
      },
    },
  ],
  apiVersion: WHATSAPP_VERSIONS,
  rateScope: { by: 'business phone number', fields: ['phoneNumberId'], source: 'https://developers.facebook.com/docs/whatsapp/throughput' },
  policy: definePolicy({
    source: 'https://developers.facebook.com/docs/whatsapp/throughput',
    // 80 msg/s per number by default (1,000 after an automatic upgrade), but coexistence numbers are fixed
    // at 20 msg/s: the lowest documented figure is the safe default for a shared task queue.
    rate: { requestsPerSecond: 20 },
    // Pair rate limit (131056) is about one message per 6 s to the same user: back off at least that long.
    retry: { initialIntervalMs: 6_000, backoffCoefficient: 2, maximumIntervalMs: 120_000, maximumAttempts: 6 },
    timeouts: { requestMs: 15_000, startToCloseMs: 45_000, scheduleToCloseMs: 30 * 60_000 },
  }),
  notes: [
    'A 200 with a wamid means accepted; delivery, read and failure arrive later through webhooks.',
    'Throttling is signalled by error.code (130429 throughput, 131056 pair rate, 4 / 80007 app limits), not reliably by the HTTP status.',
    'Free-form text is delivered only inside the 24-hour customer-service window; otherwise send an approved template.',
    'Each Graph API version stops working on the "available until" date of Meta\'s changelog (v20.0 on 2026-09-24, v21.0 on 2027-01-21, v23.0 on 2027-10-08); the engine refuses a version from that date and warns 60 days before.',
  ],
});

export type WhatsAppConfig = ConfigOf<typeof whatsapp>;
