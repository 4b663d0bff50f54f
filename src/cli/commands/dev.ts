// `pipeline dev`: a Temporal dev server (persisted SQLite file, Web UI) and a worker in one command.
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { startSlackReceiver, type SlackReceiver } from '../../sandbox/destinations/slack.js';
import { demoSources } from './demo.js';
import { loadSettings } from '../../settings.js';
import { startLocalStack } from '../local-stack.js';
import { color } from '../output.js';

export async function devCommand(opts: { sandbox?: boolean; port?: number }): Promise<void> {
  const settings = loadSettings();
  const say = (l: string) => process.stdout.write(`${l}\n`);
  let sandbox: Sandbox | null = null;
  let slack: SlackReceiver | null = null;
  if (opts.sandbox) {
    process.env.PIPELINE_SANDBOX = '1';
    sandbox = await startSandbox({});
    slack = await startSlackReceiver();
    say(`Sandbox providers: shopify ${sandbox.shopify.url}, stripe ${sandbox.stripe.url}, mailchimp ${sandbox.mailchimp.url}, slack ${slack.url}`);
  }
  const stack = await startLocalStack({ settings, withWorker: true, log: say, ...(opts.port !== undefined ? { port: opts.port } : {}) });
  if (sandbox) {
    // The same connections as the demo, so `pipeline sync demo-stripe` works at once; their secrets
    // are env: references this process (which runs the worker) resolves.
    for (const s of demoSources(sandbox)) {
      await stack.store.put(s.connection);
      say(`Connection ${color.bold(s.connection.id)} (${s.connection.connectorId}) -> ${s.sandboxed ? 'sandbox' : 'real provider'}`);
    }
    if (slack) {
      // A destination to send to: a Slack webhook whose URL is Slack's shape, answered by the local receiver.
      process.env.PIPELINE_DEMO_SLACK_WEBHOOK = 'https://hooks.slack.com/services/T00000000/B00000000/sandboxsandboxsandbox00';
      await stack.store.put({ id: 'demo-slack', connectorId: 'slack', baseUrlOverride: slack.url, config: { webhookUrl: 'env:PIPELINE_DEMO_SLACK_WEBHOOK' } });
      say(`Connection ${color.bold('demo-slack')} (slack) -> sandbox`);
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
  await slack?.close();
}
