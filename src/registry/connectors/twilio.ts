// Twilio Programmable Messaging, SMS (messaging destination).
// Facts: https://www.twilio.com/docs/messaging/api/message-resource ,
// https://www.twilio.com/docs/usage/twilios-response , https://www.twilio.com/docs/api/errors/20429 ,
// https://www.twilio.com/docs/iam/api-keys , https://www.twilio.com/docs/iam/api-keys/restricted-api-keys ,
// https://www.twilio.com/docs/api/errors/403 , https://www.twilio.com/docs/api/errors/70051 ,
// https://www.twilio.com/docs/api/errors/20003
import { definePolicy } from '../../policies/types.js';
import { defineConnector, type ConfigOf, type FieldIssue } from '../define.js';
import { password, text } from '../fields.js';

// Shared by both auth methods: the account SID stays in the request path even with an API key.
const connectionFields = {
  accountSid: text({
    label: 'Account SID',
    help: 'Twilio Console → Account info. Starts with AC.',
    required: true,
    placeholder: 'AC…',
    validation: { pattern: 'AC[0-9a-f]{32}', patternFlags: 'i', patternDescription: 'AC followed by 32 hex characters' },
  }),
  from: text({
    label: 'From',
    help: 'Sender: a Twilio phone number in E.164 form (+15017122661), a short code, or an alphanumeric sender ID where the destination country allows it. Leave empty when using a messaging service.',
    required: false,
    placeholder: '+15017122661',
    validation: {
      // The alphanumeric form needs a letter, so a phone number typed without its + is not taken for one.
      pattern: '\\+[1-9]\\d{1,14}|\\d{5,6}|(?=[A-Za-z0-9 ]*[A-Za-z])[A-Za-z0-9 ]{1,11}',
      patternDescription: 'an E.164 number (+15017122661), a 5–6 digit short code or an alphanumeric sender ID of at most 11 characters',
    },
  }),
  messagingServiceSid: text({
    label: 'Messaging service SID',
    help: 'Optional alternative to From: Messaging → Services → the service SID (starts with MG). Twilio picks a sender from the service\'s pool.',
    required: false,
    placeholder: 'MG…',
    validation: { pattern: 'MG[0-9a-f]{32}', patternFlags: 'i', patternDescription: 'MG followed by 32 hex characters' },
  }),
};

function requireSender(config: Record<string, unknown>): FieldIssue[] {
  if (config.from || config.messagingServiceSid) return [];
  return [{ field: 'from', message: 'Set either From (from) or Messaging service SID (messagingServiceSid): Twilio needs a sender' }];
}

export const twilio = defineConnector({
  id: 'twilio',
  name: 'Twilio SMS',
  category: 'messaging',
  description: 'Sends SMS through Twilio Programmable Messaging, from a number, short code, sender ID or messaging service.',
  docsUrl: 'https://www.twilio.com/docs/messaging/api/message-resource',
  capabilities: { testConnection: 'api', send: true, pull: [], trigger: false },
  // Standard API keys may not read the Account resource (https://www.twilio.com/docs/iam/api-keys/keys-in-console).
  // A Restricted key allowed only to create Messages is refused the list with 403 / 70051 ("If using a
  // Restricted API Key - the key may be missing a permission to access the resource"): Twilio has
  // authenticated it, so the check passes with a note; a wrong key is 401 / 20003 and fails.
  credentialCheck:
    'auth token: GET /2010-04-01/Accounts/{accountSid}.json (the account must be active); API key: GET /2010-04-01/Accounts/{accountSid}/Messages.json?PageSize=1 (a Restricted key refused the list with 403 / error 70051 passes, with a note that the first send proves it; 401 / 20003 fails)',
  idempotency: {
    supported: false,
    note: 'The Messages API has no idempotency key; a duplicate SMS is prevented by the send workflow\'s id, not by Twilio. I-Twilio-Idempotency-Token only marks Twilio\'s own webhook retries.',
  },
  authMethods: [
    {
      id: 'auth_token',
      label: 'Account SID and auth token',
      help: 'The account\'s primary credentials, from the Twilio Console → Account info.',
      connectionFields,
      authFields: {
        authToken: password({
          label: 'Auth token',
          help: 'Twilio Console → Account info → Auth Token (32 hex characters).',
          required: true,
          validation: { pattern: '[0-9a-f]{32}', patternFlags: 'i', patternDescription: '32 hex characters' },
        }),
      },
    },
    {
      id: 'api_key',
      label: 'API key',
      help: 'A revocable Standard or Restricted API key (Console → Account → API keys & tokens); recommended over the auth token. A Restricted key needs permission to create Messages; without permission to read them the connection check cannot go further than proving the key is genuine.',
      connectionFields,
      authFields: {
        apiKeySid: text({
          label: 'API key SID',
          help: 'The key\'s SID, starting with SK.',
          required: true,
          placeholder: 'SK…',
          validation: { pattern: 'SK[0-9a-f]{32}', patternFlags: 'i', patternDescription: 'SK followed by 32 hex characters' },
        }),
        apiKeySecret: password({
          label: 'API key secret',
          help: 'Shown once when the key is created.',
          required: true,
          validation: { pattern: '[A-Za-z0-9]{32}', patternDescription: '32 letters and digits' },
        }),
      },
    },
  ],
  refine: requireSender,
  rateScope: { by: 'account', fields: ['accountSid'], source: 'https://www.twilio.com/docs/api/errors/20429' },
  policy: definePolicy({
    source: 'https://www.twilio.com/docs/api/errors/20429',
    // Twilio limits concurrent REST requests per account (429 / 20429, never processed, safe to retry);
    // accepted messages then queue at each sender's own throughput (about 1 msg/s for a US long code).
    rate: { requestsPerSecond: 10 },
    retry: { initialIntervalMs: 1_000, backoffCoefficient: 2, maximumIntervalMs: 60_000, maximumAttempts: 6 },
    timeouts: { requestMs: 15_000, startToCloseMs: 45_000, scheduleToCloseMs: 30 * 60_000 },
  }),
  notes: [
    '201 with status queued/accepted means Twilio took the message; delivery is reported later through the status callback.',
    'After an ambiguous timeout, look the message up before sending again: there is no API-side dedup.',
    'When both From and a messaging service are set, From must belong to the service\'s sender pool.',
    'Restricted API keys (generally available since 2025-12-10, US region only) "will only allow access to selected permissions": a key that may create but not read Messages passes the connection check with a note, since Twilio answers its message list with 403 / 70051 rather than 401 / 20003.',
  ],
});

export type TwilioConfig = ConfigOf<typeof twilio>;
