// Runs the three emulators standalone until Ctrl-C:
//   tsx src/sandbox/main.ts --orders 5000 --charges 5000 --members 5000 --latency 100 --rate-limit 2
//   tsx src/sandbox/main.ts --tenants '{"shopify":[{"name":"shop-01"},{"name":"shop-02","plan":"plus"}]}'
// Prints the base URLs and the (fake) credentials to configure sandbox connections with.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_SANDBOX_SIZE, startSandbox, type Sandbox, type SandboxOptions, type SandboxTenants } from './index.js';

const USAGE = `usage: tsx src/sandbox/main.ts [options]
  --orders N --charges N --members N   records per data set (default 2500 each)
  --seed N                             data seed (default 1)
  --host ADDR                          listening address (default 127.0.0.1)
  --shopify-port P --stripe-port P --mailchimp-port P   fixed ports (default: free ports)
  --latency MS                         added to every provider request
  --rate-limit RPS                     steady limit per tenant (Shopify: leaky bucket of 40)
  --tenants JSON|@FILE                 several tenants per emulator, e.g.
                                       '{"stripe":[{"name":"acct-a","mode":"live"},{"name":"acct-b"}]}'
  --json                               print one JSON line instead of text`;

function int(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number`);
  return n;
}

function tenantsArg(value: string): SandboxTenants {
  const text = value.startsWith('@') ? readFileSync(value.slice(1), 'utf8') : value;
  try {
    return JSON.parse(text) as SandboxTenants;
  } catch (err) {
    throw new Error(`--tenants must be JSON or @file (${err instanceof Error ? err.message : String(err)})`);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      orders: { type: 'string' },
      charges: { type: 'string' },
      members: { type: 'string' },
      seed: { type: 'string' },
      host: { type: 'string' },
      'shopify-port': { type: 'string' },
      'stripe-port': { type: 'string' },
      'mailchimp-port': { type: 'string' },
      latency: { type: 'string' },
      'rate-limit': { type: 'string' },
      tenants: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const rps = int(values['rate-limit'], 'rate-limit');
  const latency = int(values.latency, 'latency');
  const options: SandboxOptions = {
    seed: int(values.seed, 'seed') ?? 1,
    sizes: { orders: int(values.orders, 'orders'), charges: int(values.charges, 'charges'), members: int(values.members, 'members') },
    host: values.host ?? '127.0.0.1',
    ports: { shopify: int(values['shopify-port'], 'shopify-port'), stripe: int(values['stripe-port'], 'stripe-port'), mailchimp: int(values['mailchimp-port'], 'mailchimp-port') },
    faults: latency !== undefined ? { latencyMs: latency } : {},
    rateLimit: rps ? { requestsPerSecond: rps } : null,
    ...(values.tenants !== undefined ? { tenants: tenantsArg(values.tenants) } : {}),
  };
  const started = Date.now();
  const sb = await startSandbox(options);
  const c = sb.credentials;
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ shopify: { url: sb.shopify.url, ...c.shopify }, stripe: { url: sb.stripe.url, ...c.stripe }, mailchimp: { url: sb.mailchimp.url, ...c.mailchimp }, tenants: c.tenants })}\n`,
    );
  } else {
    process.stdout.write(
      [
        `sandbox ready in ${Date.now() - started} ms (seed ${options.seed}; these credentials are fake and only work here)`,
        `  shopify    ${sb.shopify.url}   shopDomain=${c.shopify.shopDomain} accessToken=${c.shopify.accessToken}   (${firstSize(options.tenants?.shopify?.[0]?.orders, options.sizes?.orders)} orders)`,
        `  stripe     ${sb.stripe.url}   secretKey=${c.stripe.secretKey}   (${firstSize(options.tenants?.stripe?.[0]?.charges, options.sizes?.charges)} charges)`,
        `  mailchimp  ${sb.mailchimp.url}   apiKey=${c.mailchimp.apiKey} listId=${c.mailchimp.listId}   (${firstSize(options.tenants?.mailchimp?.[0]?.members, options.sizes?.members)} members)`,
        ...(options.tenants ? tenantLines(sb.credentials.tenants) : []),
        'admin (each emulator): POST /_sandbox/faults {..}, POST /_sandbox/mutate[?tenant=name] {"update":n,"create":m,"ids":[..]}, GET /_sandbox/stats, GET /_sandbox/tenants, GET|POST /_sandbox/clock {"advanceMs":n}',
        'admin (stripe): POST /_sandbox/charges/{refund,capture,dispute,metadata,create} {"charge":id,..}, GET /_sandbox/events',
        'Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
  }
  const stop = () => {
    void sb.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** The first tenant's records: its own size, else the sandbox's. */
const firstSize = (own: number | undefined, shared: number | undefined) => own ?? shared ?? DEFAULT_SANDBOX_SIZE;

function tenantLines(t: Sandbox['credentials']['tenants']): string[] {
  return [
    'tenants:',
    ...Object.entries(t.shopify).map(([name, c]) => `  shopify    ${name}: shopDomain=${c.shopDomain} accessToken=${c.accessToken}`),
    ...Object.entries(t.stripe).map(([name, c]) => `  stripe     ${name}: secretKey=${c.secretKey}`),
    ...Object.entries(t.mailchimp).map(([name, c]) => `  mailchimp  ${name}: apiKey=${c.apiKey} listId=${c.listId}`),
  ];
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
  process.exit(1);
});
