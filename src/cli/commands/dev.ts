// `pipeline dev`: a Temporal dev server (persisted SQLite file, Web UI) and a worker in one command.
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { startDestinations, type Destinations } from '../../sandbox/destinations/index.js';
import { demoDestinations, demoSources } from './demo.js';
import { loadSettings } from '../../settings.js';
import { startLocalStack } from '../local-stack.js';
import { startStackConsole } from './console.js';
import { color } from '../output.js';

export async function devCommand(opts: { sandbox?: boolean; port?: number; metricsPort?: number; console?: boolean; consolePort?: number }): Promise<void> {
  const settings = loadSettings();
  const say = (l: string) => process.stdout.write(`${l}\n`);
  let sandbox: Sandbox | null = null;
  let destinations: Destinations | null = null;
  if (opts.sandbox) {
    process.env.PIPELINE_SANDBOX = '1';
    sandbox = await startSandbox({});
    destinations = await startDestinations();
    const u = destinations.urls;
    say(`Sandbox providers: shopify ${sandbox.shopify.url}, stripe ${sandbox.stripe.url}, mailchimp ${sandbox.mailchimp.url}`);
    say(`Sandbox destinations: segment ${u.segment}, braze ${u.braze}, kinesis ${u.kinesis}, slack ${u.slack}`);
  }
  // --metrics-port (else PIPELINE_METRICS_PORT): the stack serves the worker's metrics and says where.
  const metrics = opts.metricsPort !== undefined ? { metricsPort: opts.metricsPort } : {};
  const stack = await startLocalStack({ settings, withWorker: true, log: say, ...(opts.port !== undefined ? { port: opts.port } : {}), ...metrics });
  if (sandbox) {
    // The same connections as the demo, so `pipeline sync demo-stripe` works at once; their secrets
    // are env: references this process (which runs the worker) resolves.
    for (const s of demoSources(sandbox)) {
      await stack.store.put(s.connection);
      say(`Connection ${color.bold(s.connection.id)} (${s.connection.connectorId}) -> ${s.sandboxed ? 'sandbox' : 'real provider'}`);
    }
    // Destinations to send to and deliver pipelines to, answered by the local emulators.
    if (destinations) {
      for (const c of demoDestinations(destinations)) {
        await stack.store.put(c);
        say(`Connection ${color.bold(c.id)} (${c.connectorId}) -> sandbox`);
      }
    }
  }
  // The web console over this stack's store and client (--no-console leaves it out).
  const consoleServer = opts.console === false ? null : await startStackConsole(stack, opts.consolePort);
  say(`Temporal at ${color.bold(stack.address)} (namespace ${settings.namespace})`);
  if (stack.uiUrl) say(`Web UI: ${color.cyan(stack.uiUrl)}`);
  if (consoleServer) say(`Console: ${color.cyan(consoleServer.url)}`);
  say('Ctrl-C to stop.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  say('Stopping ...');
  await consoleServer?.close();
  await stack.stop();
  await sandbox?.close();
  await destinations?.close();
}
