// The `pipeline` command line.
import { Command, InvalidArgumentError } from 'commander';
import { demoCommand } from './commands/demo.js';
import { devCommand } from './commands/dev.js';
import { syncCommand } from './commands/sync.js';
import { workerCommand } from './commands/worker.js';
import { CliError, color } from './output.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number');
  return n;
}

const program = new Command()
  .name('pipeline')
  .description('Durable connector pipelines on Temporal: pull from Shopify, Stripe, Mailchimp; send to 19 destinations.')
  .showHelpAfterError();

program
  .command('demo')
  .description('Run the main job on the embedded default: dev server + worker + sandbox providers, full syncs of the three sources')
  .option('--records <n>', 'records per sandbox source', positiveInt, 2500)
  .option('--latency <ms>', 'added latency per sandbox request', positiveInt, 20)
  .option('--exit', 'exit when done instead of keeping the Web UI up', false)
  .option('--json', 'print the summary as JSON', false)
  .action((o: { records: number; latency: number; exit: boolean; json: boolean }) =>
    demoCommand({ records: o.records, latencyMs: o.latency, exit: o.exit, json: o.json }),
  );

program
  .command('dev')
  .description('Start a Temporal dev server (SQLite file, Web UI) and a worker, until Ctrl-C')
  .option('--sandbox', 'also start the local sandbox providers (and enable sandbox mode)', false)
  .action((o: { sandbox: boolean }) => devCommand(o));

program
  .command('worker')
  .description('Run a worker against TEMPORAL_ADDRESS (default 127.0.0.1:7233)')
  .option('--connectors <ids>', 'comma-separated connector ids whose activity queues to poll (default: all)')
  .action((o: { connectors?: string }) => workerCommand(o));

program
  .command('sync [connection]')
  .description('Start a pull sync of a connection and follow its progress')
  .option('--config <file>', 'register (or update) the connection from a JSON file first: {"id","connector","config"}')
  .option('--stream <name>', 'stream to pull (default: the connector\'s first)')
  .option('--full', 'ignore the saved watermark and pull everything', false)
  .option('--page-size <n>', 'records per page (capped by the provider)', positiveInt)
  .option('--no-wait', 'start and return without following progress')
  .option('--json', 'machine-readable output', false)
  .action((connection: string | undefined, o) => syncCommand(connection, o));

program.parseAsync(process.argv).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`${color.red('error')}: ${message}\n`);
  process.exit(err instanceof CliError ? err.exitCode : 1);
});
