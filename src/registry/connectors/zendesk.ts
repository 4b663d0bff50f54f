// Zendesk Support Ticketing API (CDP / support destination: tickets).
// Facts: https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/ ,
// https://developer.zendesk.com/api-reference/ticketing/introduction/ ,
// https://developer.zendesk.com/api-reference/introduction/rate-limits/ ,
// https://developer.zendesk.com/api-reference/introduction/security-and-auth/
import { definePolicy } from '../../policies/types.js';
import { defineConnector, type ConfigOf } from '../define.js';
import { password, text } from '../fields.js';

/** Accepts `acme`, `acme.zendesk.com` or any https://acme.zendesk.com/… URL and keeps `acme`. */
export function normalizeZendeskSubdomain(value: string): string {
  const v = value.trim().toLowerCase().replace(/^https?:\/\//, '').replace(/[/?#].*$/, '');
  const m = /^([a-z0-9][a-z0-9-]*)\.zendesk\.com$/.exec(v);
  return m ? m[1]! : v;
}

const subdomain = text({
  label: 'Subdomain',
  help: 'The name in https://<subdomain>.zendesk.com; pasting the whole URL works. Host-mapped custom domains are not API hosts.',
  required: true,
  placeholder: 'acme',
  normalize: normalizeZendeskSubdomain,
  validation: {
    pattern: '[a-z0-9][a-z0-9-]*',
    patternDescription: 'a Zendesk subdomain (the <name> of <name>.zendesk.com: lowercase letters, digits, hyphens)',
  },
});

export const zendesk = defineConnector({
  id: 'zendesk',
  name: 'Zendesk',
  category: 'cdp_support',
  description: 'Creates Zendesk Support tickets, with an idempotency key so that a retry never opens a second ticket.',
  docsUrl: 'https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/',
  capabilities: { testConnection: 'api', send: true, pull: [], trigger: false },
  credentialCheck: 'GET /api/v2/users/me.json (the user must not be anonymous)',
  idempotency: {
    supported: true,
    via: 'Idempotency-Key header',
    note: 'Ticket creation honours an Idempotency-Key header: a replay answers with the first ticket (x-idempotency-lookup: hit). The key lifetime is not documented (commonly cited as about 2 hours).',
  },
  authMethods: [
    {
      id: 'api_token',
      label: 'Email and API token',
      help: 'Admin Center → Apps and integrations → Zendesk API → enable token access and add an API token.',
      connectionFields: { subdomain },
      authFields: {
        email: text({
          label: 'Agent email',
          help: 'Email of the agent or admin the tickets are created as; sent as <email>/token in Basic auth.',
          required: true,
          placeholder: 'agent@example.com',
          // Domain labels cannot hold the dot that separates them: one way to match, linear time.
          validation: { pattern: '[^\\s@/]+@[^\\s@/.]+(?:\\.[^\\s@/.]+)+', patternDescription: 'an email address' },
        }),
        apiToken: password({
          label: 'API token',
          help: 'Shown once when created in Admin Center → Zendesk API.',
          required: true,
          validation: { minLength: 10 },
        }),
      },
    },
    {
      id: 'oauth',
      label: 'OAuth access token',
      help: 'An OAuth access token of an OAuth client (Admin Center → Apps and integrations → Zendesk API → OAuth Clients) with write scope.',
      connectionFields: { subdomain },
      authFields: {
        accessToken: password({
          label: 'OAuth access token',
          help: 'Sent as a Bearer token.',
          required: true,
          validation: { minLength: 10 },
        }),
      },
    },
  ],
  rateScope: { by: 'account (subdomain)', fields: ['subdomain'], source: 'https://developer.zendesk.com/api-reference/introduction/rate-limits/' },
  policy: definePolicy({
    source: 'https://developer.zendesk.com/api-reference/introduction/rate-limits/',
    // Limits are per account per minute and depend on the plan (Team 200 … Enterprise Plus 2,500), shared
    // with every other integration. 3/s (180/min) stays under the smallest plan.
    rate: { requestsPerSecond: 3 },
    retry: { initialIntervalMs: 2_000, backoffCoefficient: 2, maximumIntervalMs: 60_000, maximumAttempts: 8 },
    timeouts: { requestMs: 15_000, startToCloseMs: 45_000, scheduleToCloseMs: 30 * 60_000 },
  }),
  notes: [
    'Raise the rate in the policy if the account is on a larger plan (Growth/Professional 400/min, Enterprise 700/min).',
    'A failed login can come back as an anonymous user instead of a 401; the credential check looks at user.id.',
  ],
});

export type ZendeskConfig = ConfigOf<typeof zendesk>;
