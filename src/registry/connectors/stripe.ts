// Stripe API, charges (pull source).
// Facts: https://docs.stripe.com/api/charges/list ,
// https://docs.stripe.com/api/pagination , https://docs.stripe.com/rate-limits ,
// https://docs.stripe.com/error-handling , https://docs.stripe.com/api-versions
//
// API versions (checked December 2026 for the provider audit, shared/docs/provider-audit-2026-12.md):
// https://docs.stripe.com/api-versions says "Starting with the 2024-09-30.acacia release, Stripe
// follows a new API release process where we release new API versions monthly with no breaking
// changes. Twice a year, we issue a new major release … that starts with an API version containing
// breaking changes", and "The current version of the API is 2026-09-30.endive". Neither that page nor
// the versioning and support policy (https://docs.stripe.com/sdks/versioning) publishes an end of
// support for any API version, so the registry declares no VersionPolicy (no dates to warn about) and
// keeps the version free text: blank leaves the account's default version in charge.
import { definePolicy } from '../../policies/types.js';
import { defineConnector, type ConfigOf } from '../define.js';
import { password, text } from '../fields.js';

// A date, or a date-time with an explicit offset: a bare local time would depend on the worker's zone.
const ISO_INSTANT = '\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2}))?';

export const stripe = defineConnector({
  id: 'stripe',
  name: 'Stripe',
  category: 'commerce_source',
  description: 'Pulls charges from a Stripe account (or a Connect account), incrementally by creation time.',
  docsUrl: 'https://docs.stripe.com/api/charges/list',
  capabilities: { testConnection: 'api', send: false, pull: ['charges'], trigger: false },
  credentialCheck: 'GET /v1/balance',
  idempotency: {
    supported: false,
    note: 'Pull source: re-reading a page is harmless because sinks upsert by charge id. (Stripe\'s Idempotency-Key applies to writes, which this connector does not make.)',
  },
  authMethods: [
    {
      id: 'secret_key',
      label: 'Secret or restricted API key',
      help: 'Prefer a restricted key with read access to Charges and Balance (Developers → API keys).',
      connectionFields: {
        apiVersion: text({
          label: 'API version',
          help: 'Pins the Stripe-Version header, e.g. 2026-09-30.endive (the current version named on https://docs.stripe.com/api-versions when checked in December 2026). Empty means the account\'s default version, set in Workbench. Stripe publishes no end of support for API versions: monthly versions add no breaking changes, and the twice-yearly major releases (acacia, basil, clover, dahlia, endive, …) start with one that does.',
          required: false,
          placeholder: '2026-09-30.endive',
          validation: { pattern: '\\d{4}-\\d{2}-\\d{2}(\\.[a-z]+)?', patternDescription: 'a dated version such as 2026-09-30.endive' },
        }),
        connectAccountId: text({
          label: 'Connect account id',
          help: 'Reads the charges of this connected account (Stripe-Account header). Empty means the key\'s own account.',
          required: false,
          placeholder: 'acct_1A2b3C4d5E6f7G8h',
          validation: { pattern: 'acct_[A-Za-z0-9]+', patternDescription: 'an account id starting with acct_' },
        }),
        startDate: text({
          label: 'Start date',
          help: 'Earliest charge creation time to pull on the first (full) sync, ISO-8601. Empty means all charges.',
          required: false,
          placeholder: '2024-01-01T00:00:00Z',
          validation: { pattern: ISO_INSTANT, patternDescription: 'an ISO-8601 date or date-time with offset, e.g. 2024-01-01T00:00:00Z' },
          check: (v) => (Number.isNaN(Date.parse(v)) ? 'must be a valid ISO-8601 date' : null),
        }),
      },
      authFields: {
        secretKey: password({
          label: 'Secret key',
          help: 'sk_live_…, sk_test_… or a restricted rk_… key. Sent as a Bearer token.',
          required: true,
          validation: { pattern: '(sk|rk)_(live|test)_[A-Za-z0-9]+', patternDescription: 'a key starting with sk_live_, sk_test_, rk_live_ or rk_test_' },
        }),
      },
    },
  ],
  rateScope: { by: 'account (secret key)', fields: ['secretKey'], source: 'https://docs.stripe.com/rate-limits' },
  policy: definePolicy({
    source: 'https://docs.stripe.com/rate-limits',
    // https://docs.stripe.com/rate-limits: a global limit of 100 requests/s in live mode and 25 in a
    // sandbox, and "API endpoints have a default limit of 25 requests per second" each. A pull reads
    // one endpoint at a time (charges, then events), so 25/s per account holds in both modes.
    rate: { requestsPerSecond: 25 },
    retry: { initialIntervalMs: 1_000, maximumIntervalMs: 30_000, maximumAttempts: 10 },
    timeouts: { requestMs: 30_000, startToCloseMs: 120_000, scheduleToCloseMs: 30 * 60_000 },
    // Events are kept 30 days ("retrieve an event… created in the last 30 days",
    // https://docs.stripe.com/api/events): a watermark older than that means a full re-read.
    pull: { defaultPageSize: 100, maxPageSize: 100, overlapMs: 60_000, changeFeedRetentionMs: 30 * 86_400_000 },
  }),
  notes: [
    'Incremental runs read the charges created since the watermark, then the `charge.*` events since it (https://docs.stripe.com/api/events/list): refunds, captures, disputes and metadata edits of older charges land as the charge\'s new version. Stripe keeps events 30 days: after a longer gap the run reads everything again, and says so.',
    'Lists are newest-first; the upper bound (created[lte]) is fixed at run start so charges created mid-run do not shift pages.',
    'Live keys may make 100 requests per second in all, test keys 25; each endpoint (charges, events) 25 on its own (https://docs.stripe.com/rate-limits).',
    'API version: blank uses the account\'s default version. Stripe names versions by date and release (2026-09-30.endive was the current one named on the versioning page when checked in December 2026) and publishes no end of support for them (https://docs.stripe.com/api-versions), so no version warnings apply; pin one when the charge fields this pull stores must not change shape with a dashboard upgrade.',
  ],
});

export type StripeConfig = ConfigOf<typeof stripe>;
