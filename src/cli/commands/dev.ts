// `pipeline dev`: a Temporal dev server (persisted SQLite file, Web UI) and a worker in one command.
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { demoSources } from './demo.js';
import { loadSettings } from '../../settings.js';
import { startLocalStack } from '../local-stack.js';
import { color } from '../output.js';

export async function devCommand(opts: { sandbox?: boolean }): Promise<void> {
  const settings = loadSettings();
  const say = (l: string) => process.stdout.write(`${l}\n`);
  let sandbox: Sandbox | null = null;
  if (opts.sandbox) {
    process.env.PIPELINE_SANDBOX = '1';
    sandbox = await startSandbox({});
    say(`Sandbox providers: shopify ${sandbox.shopify.url}, stripe ${sandbox.stripe.url}, mailchimp ${sandbox.mailchimp.url}`);
  }
  const stack = await startLocalStack({ settings, withWorker: true, log: say });
  if (sandbox) {
    // The same connections as the demo, so `pipeline sync demo-stripe` works at once; their secrets
    // are env: references this process (which runs the worker) resolves.
    for (const s of demoSources(sandbox)) {
      await stack.store.put(s.connection);
      say(`Connection ${color.bold(s.connection.id)} (${s.connection.connectorId}) -> ${s.sandboxed ? 'sandbox' : 'real provider'}`);
    }
  }
  say(`Temporal at ${color.bold(stack.address)} (namespace ${settings.namespace})`);
  if (stack.uiUrl) say(`Web UI: ${color.cyan(stack.uiUrl)}`);
  say('Ctrl-C to stop.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  say('Stopping ...');
  await stack.stop();
  await sandbox?.close();
}
