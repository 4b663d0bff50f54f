// The `pipeline` command line. Every command has --help; --json prints machine-readable output; a
// failure exits non-zero with the reason on stderr; colour only on a terminal.
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { connectionsAdd, connectionsList, connectionsRemove, connectionsRotateSecrets, connectionsShow, connectionsTest, connectionsUpdate } from './commands/connections.js';
import { codecServerCommand } from './commands/codec-server.js';
import { connectorsList, connectorsShow } from './commands/connectors.js';
import { demoCommand } from './commands/demo.js';
import { devCommand } from './commands/dev.js';
import { DEFAULT_CATCHUP_WINDOW, schedulesBackfill, schedulesCreate, schedulesDescribe, schedulesList, schedulesOp } from './commands/schedules.js';
import { sendCommand } from './commands/send.js';
import { syncCommand } from './commands/sync.js';
import { runsList } from './commands/runs.js';
import { triggerCommand } from './commands/trigger.js';
import { workerCommand } from './commands/worker.js';
import { CliError, color } from './output.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number');
  return n;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

// `pipeline connectors list | head`: a closed pipe is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

// The package's own version, for `pipeline --version` (the sources run as they are: no build step stamps it).
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command()
  .name('pipeline')
  .version(version, '-V, --version', 'print the version of pipeline')
  .description('Durable connector pipelines on Temporal: pull from Shopify, Stripe, Mailchimp; send to 19 destinations and reverse-ETL tools.')
  .showHelpAfterError()
  // A mistyped command or option gets "(Did you mean ...?)"; mistyped ids get the same from the commands.
  .showSuggestionAfterError(true)
  .addHelpText(
    'after',
    `
Environment: TEMPORAL_ADDRESS (default 127.0.0.1:7233), TEMPORAL_NAMESPACE, PIPELINE_HOME (default ./.pipeline),
PIPELINE_SINK (jsonl|postgres), PIPELINE_NAME_PREFIX, PIPELINE_POLICY_OVERRIDES. See README "Configuration".`,
  );

// ---- the embedded default ------------------------------------------------------------------
program
  .command('demo')
  .description('The main job on the embedded default: dev server + worker + sandbox providers, full syncs of the three sources')
  .option('--records <n>', 'records per sandbox source', positiveInt, 2500)
  .option('--latency <ms>', 'added latency per sandbox request', positiveInt, 20)
  .option('--exit', 'exit when done instead of keeping the Web UI up', false)
  .option('--json', 'print the summary as JSON', false)
  .action((o: { records: number; latency: number; exit: boolean; json: boolean }) => demoCommand({ records: o.records, latencyMs: o.latency, exit: o.exit, json: o.json }));

program
  .command('dev')
  .description('Start a Temporal dev server (SQLite file in $PIPELINE_HOME, Web UI on :8233) and a worker, until Ctrl-C')
  .option('--sandbox', 'also start the local sandbox providers (and enable sandbox mode)', false)
  .option('--port <n>', 'start a dev server of its own on this port (0: any free port) rather than use one on 7233', positiveInt)
  .action((o: { sandbox: boolean; port?: number }) => devCommand(o));

program
  .command('worker')
  .description('Run a worker against TEMPORAL_ADDRESS: workflows plus one activity queue per connector')
  .option('--connectors <ids>', 'comma-separated connector ids whose activity queues to poll (default: all)')
  .action((o: { connectors?: string }) => workerCommand(o));

program
  .command('codec-server')
  .description('Serve the payload codec (/encode, /decode) to the Temporal Web UI and CLI, with the keys of PIPELINE_CODEC_KEYS')
  .option('--port <n>', 'port (default PIPELINE_CODEC_SERVER_PORT or 8888)', positiveInt)
  .option('--host <address>', 'listening address (default 127.0.0.1; 0.0.0.0 in a container)')
  .option('--origin <urls>', 'Web UI origin(s) allowed to call it, comma-separated (default http://localhost:8233,http://127.0.0.1:8233)')
  .action((o: { port?: number; host?: string; origin?: string }) => codecServerCommand(o));

// ---- the registry --------------------------------------------------------------------------
const connectors = program.command('connectors').description('The 22 connectors: fields, capabilities, policies');
connectors.command('list').description('List connectors and what they can do').option('--json', 'JSON output').action((o) => connectorsList(o));
connectors
  .command('show <id>')
  .description("Show a connector's form description (fields per auth method) and its policy")
  .option('--json', 'JSON output (the form spec a UI renders, plus the policy)')
  .action((id: string, o) => connectorsShow(id, o));

// ---- connections ---------------------------------------------------------------------------
const connections = program.command('connections').description('Register, inspect, test and remove connection configs');
connections
  .command('add [id]')
  .description('Register a connection (validated against its connector; secrets as env:NAME / file:/path references)')
  .option('--connector <id>', 'connector id, e.g. shopify')
  .option('--config <file>', 'JSON file with the config fields')
  .option('--set <key=value>', 'a config field (repeatable)', collect)
  .option('--file <connection.json>', 'a whole connection file: {"id","connector","config"}')
  .option('--base-url-override <url>', 'loopback URL of a local emulator (honoured only in sandbox mode)')
  .option('--json', 'JSON output')
  .action((id: string | undefined, o) => connectionsAdd(id, o));
connections
  .command('update <id>')
  .description("Change fields of a connection's config (validated; the stored version stays intact on error)")
  .option('--config <file>', 'JSON file of fields to merge')
  .option('--set <key=value>', 'a config field (repeatable)', collect)
  .option('--unset <key>', 'remove an optional field (repeatable)', collect)
  .option('--base-url-override <url>', 'loopback URL of a local emulator (honoured only in sandbox mode)')
  .option('--unset-base-url-override', 'talk to the real provider again')
  .option('--json', 'JSON output')
  .action((id: string, o) => connectionsUpdate(id, o));
connections.command('list').description('List connections').option('--json', 'JSON output').action((o) => connectionsList(o));
connections.command('show <id>').description('Show a connection, secrets redacted').option('--json', 'JSON output').action((id: string, o) => connectionsShow(id, o));
connections
  .command('test <id>')
  .description("Run the connector's credential check as an activity on a worker and print status and latency (fails at once when no worker polls)")
  .option('--json', 'JSON output')
  .action((id: string, o) => connectionsTest(id, o));
connections
  .command('remove <id>')
  .description('Remove a connection, delete its schedules and cancel its running workflows (asks first on a terminal)')
  .option('-y, --yes', 'do not ask for confirmation (needed without a terminal)')
  .option('--json', 'JSON output')
  .action((id: string, o) => connectionsRemove(id, o));
connections
  .command('rotate-secrets')
  .description('Re-encrypt inline secrets under the active key of PIPELINE_SECRETS_KEYS (keep the old key listed until done)')
  .option('--json', 'JSON output')
  .action((o) => connectionsRotateSecrets(o));

// ---- running pipelines ---------------------------------------------------------------------
program
  .command('sync [connection]')
  .description('Start a pull sync of a connection and follow its progress (Ctrl-C detaches; --cancel cancels)')
  .option('--config <file>', 'register (or update) the connection from a JSON file first: {"id","connector","config"}')
  .option('--stream <name>', "stream to pull (default: the connector's first)")
  .option('--full', 'ignore the saved watermark and pull everything', false)
  .option('--page-size <n>', 'records per page (capped by the provider)', positiveInt)
  .option('--cancel', 'cancel the running sync of this connection and stream', false)
  .option('--on-incomplete <fail|warn>', 'when the end-of-run checks find records missing: fail the run (default, watermark kept) or warn and complete it')
  .option('--no-wait', 'start and return without following progress')
  .option('--json', 'machine-readable output', false)
  .action((connection: string | undefined, o) => syncCommand(connection, o));

program
  .command('send <connection>')
  .description('Send one message; the same --idempotency-key never sends twice')
  .requiredOption('--message <file.json>', 'the message as JSON (- for stdin); its shape is the connector\'s')
  .option('--idempotency-key <key>', 'identifies this delivery (default: a new UUID, printed)')
  .option('--resend-maybe-delivered', 'send again under a key whose last attempt may have been delivered (a timeout or lost connection on a provider without de-duplication)')
  .option('--json', 'JSON output')
  .action((connection: string, o) => sendCommand(connection, o));

program
  .command('trigger <connection>')
  .description('Trigger a reverse-ETL run (Fivetran, Hightouch, Census) or a Databricks statement and follow it')
  .option('--options <file.json>', 'provider options, e.g. {"statement": "..."} for Databricks')
  .option('--set <key=value>', 'an option (repeatable), read as its declared type: true/false, a number, JSON for lists and objects', collect)
  .option('--poll-interval <s>', 'first wait between status reads, seconds', positiveInt)
  .option('--deadline <min>', 'give up after this many minutes (default 360)', positiveInt)
  .option('--no-wait', 'start and return, without waiting for the provider to accept the run')
  .option('--json', 'JSON output')
  .action((connection: string, o) => triggerCommand(connection, o));

// ---- runs ------------------------------------------------------------------------------------
const runs = program.command('runs').description("The engine's runs in Temporal (syncs, scheduled runs, sends, reverse-ETL runs)");
runs
  .command('list')
  .description('List runs, newest first, filtered by connector, connection, kind or status')
  .option('--connector <id>', 'e.g. stripe')
  .option('--connection <id>', 'a connection id')
  .option('--kind <kind>', 'pull | scheduled_pull | send | reverse_etl | pipeline')
  .option('--status <status>', 'running | completed | failed | cancelled | terminated | timed_out')
  .option('--limit <n>', 'most runs to list (default 20)', positiveInt)
  .option('--json', 'JSON output')
  .action((o) => runsList(o));

// ---- schedules -----------------------------------------------------------------------------
const schedules = program.command('schedules').description('Recurring pulls as Temporal Schedules (one per connection and stream)');
schedules
  .command('create <connection>')
  .description('Schedule a recurring pull')
  .option('--stream <name>', 'stream (default: the first)')
  .option('--every <interval>', 'interval with a unit, e.g. 90s, 15m, 1h, 1d (a bare number is refused)')
  .option('--cron <expr>', 'cron expression (repeatable; not together with --every)', collect)
  .option('--timezone <tz>', 'time zone for cron, e.g. Europe/Paris')
  .option('--jitter <duration>', 'random delay per run, with a unit, e.g. 30s')
  .option('--overlap <policy>', 'skip (default) | buffer_one | buffer_all | cancel_other | terminate_other | allow_all')
  .option('--catchup-window <duration>', `how late a missed run may still start, e.g. 10m (minimum 10s; default ${DEFAULT_CATCHUP_WINDOW}, Temporal's default)`)
  .option('--full', 'each run ignores the watermark', false)
  .option('--paused', 'create it paused', false)
  .option('--note <text>', 'a note shown with the schedule')
  .option('--json', 'JSON output')
  .action((connection: string, o) => schedulesCreate(connection, o));
schedules.command('list').description('List pull schedules').option('--json', 'JSON output').action((o) => schedulesList(o));
schedules.command('describe <id>').description('Show a schedule: spec, policies, next and recent runs').option('--json', 'JSON output').action((id: string, o) => schedulesDescribe(id, o));
for (const op of ['pause', 'unpause', 'trigger', 'delete'] as const) {
  const desc = { pause: 'Pause a schedule', unpause: 'Resume a paused schedule', trigger: 'Run a schedule now', delete: 'Delete a schedule' }[op];
  const cmd = schedules.command(`${op} <id>`).description(`${desc} (<id> or a connection id)`).option('--json', 'JSON output');
  if (op === 'pause' || op === 'unpause') cmd.option('--note <text>', 'why');
  cmd.action((id: string, o) => schedulesOp(op, id, o));
}
schedules
  .command('backfill <id>')
  .description('Start the runs a schedule would have taken between two times')
  .requiredOption('--start <iso>', 'start time')
  .requiredOption('--end <iso>', 'end time')
  .option('--overlap <policy>', 'overlap policy for the backfilled runs (default buffer_all)')
  .option('--json', 'JSON output')
  .action((id: string, o) => schedulesBackfill(id, o));

program.parseAsync(process.argv).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  // An empty CliError carries only an exit code: the command has already said what happened.
  if (message !== '') process.stderr.write(`${color.red('error')}: ${message}\n`);
  process.exit(err instanceof CliError ? err.exitCode : 1);
});
