// Postmark Email API (messaging destination: email).
// Facts: https://postmarkapp.com/developer/api/overview ,
// https://postmarkapp.com/developer/api/email-api ,
// https://postmarkapp.com/support/article/troubleshooting-422-unprocessable-entity-errors ,
// https://postmarkapp.com/support/article/1125-custom-metadata-faq
import { definePolicy } from '../../policies/types.js';
import { defineConnector, type ConfigOf } from '../define.js';
import { password, text } from '../fields.js';

// Domain labels cannot hold the dot that separates them: one way to match, so validation takes
// linear time (`[^@]+\\.[^@]+` backtracks over every dot: a 64 KB value took seconds).
const ADDRESS = '[^\\s@<>]+@[^\\s@<>.]+(?:\\.[^\\s@<>.]+)+';

export const postmark = defineConnector({
  id: 'postmark',
  name: 'Postmark',
  category: 'messaging',
  description: 'Sends transactional or broadcast email through the Postmark Email API.',
  docsUrl: 'https://postmarkapp.com/developer/api/email-api',
  capabilities: { testConnection: 'api', send: true, pull: [], trigger: false },
  credentialCheck: 'GET /server with the server token',
  idempotency: {
    supported: false,
    note: 'Postmark has no idempotency key; a duplicate email is prevented by the send workflow\'s id, not by Postmark. The event id travels in Metadata for correlation.',
  },
  authMethods: [
    {
      id: 'server_token',
      label: 'Server API token',
      help: 'Servers → your server → API Tokens. Server tokens are scoped to one server and its message streams.',
      connectionFields: {
        fromEmail: text({
          label: 'From email',
          help: 'An address with a confirmed sender signature or on a verified domain (Sender Signatures). "Name <address>" is accepted.',
          required: true,
          placeholder: 'app@example.com',
          validation: { pattern: `${ADDRESS}|[^<>]*<${ADDRESS}>`, patternDescription: 'an email address, optionally as Name <address>' },
        }),
        messageStream: text({
          label: 'Message stream',
          help: 'Stream ID from the server\'s Message Streams page: outbound is the default transactional stream; broadcast streams need their own ID.',
          required: false,
          default: 'outbound',
          validation: { pattern: '[a-z0-9_-]{1,100}', patternFlags: 'i', patternDescription: 'a stream ID such as outbound' },
        }),
      },
      authFields: {
        serverToken: password({
          label: 'Server token',
          help: 'Sent as X-Postmark-Server-Token. POSTMARK_API_TEST is Postmark\'s test token: requests are validated but no email is sent.',
          required: true,
          validation: {
            pattern: '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|POSTMARK_API_TEST',
            patternFlags: 'i',
            patternDescription: 'a server token (UUID-shaped) or POSTMARK_API_TEST',
          },
        }),
      },
    },
  ],
  rateScope: { by: 'server (server token)', fields: ['serverToken'], source: 'https://postmarkapp.com/developer/api/overview' },
  policy: definePolicy({
    source: 'https://postmarkapp.com/developer/api/overview',
    // Postmark publishes no numeric limit and answers 429 when pushed; 10/s is a conservative start
    // (the batch endpoint carries up to 500 messages per request).
    rate: { requestsPerSecond: 10 },
    retry: { initialIntervalMs: 1_000, backoffCoefficient: 2, maximumIntervalMs: 60_000, maximumAttempts: 6 },
    timeouts: { requestMs: 15_000, startToCloseMs: 45_000, scheduleToCloseMs: 30 * 60_000 },
  }),
  notes: [
    '200 with ErrorCode 0 means accepted; bounces and deliveries are reported later by webhooks.',
    'ErrorCode 406 (inactive recipient) means the address is suppressed: do not retry.',
    'To + Cc + Bcc are limited to 50 recipients per message.',
    'Metadata keys must be unique ignoring case ("When sending with the API, duplicate keys, including the same key with case differences, are not allowed"); idempotency_key is the engine\'s, so a message whose metadata has it in any case is refused before sending.',
  ],
});

export type PostmarkConfig = ConfigOf<typeof postmark>;
