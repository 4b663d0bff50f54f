// The `pipeline` command line. Every command has --help; --json prints machine-readable output; a
// failure exits non-zero with the reason on stderr; colour only on a terminal.
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { CliError, color, formatInterval } from './output.js';

/**
 * Each command's module is loaded when the command runs: `pipeline --help` or `connectors list` does
 * not pay for the Temporal SDK, the sandbox or JSONata.
 */
function lazy<M, K extends keyof M>(load: () => Promise<M>, name: K): M[K] {
  return (async (...args: unknown[]) => ((await load())[name] as (...a: unknown[]) => unknown)(...args)) as M[K];
}
const load_connections = () => import('./commands/connections.js');
const connectionsAdd = lazy(load_connections, 'connectionsAdd');
const connectionsList = lazy(load_connections, 'connectionsList');
const connectionsRemove = lazy(load_connections, 'connectionsRemove');
const connectionsRotateSecrets = lazy(load_connections, 'connectionsRotateSecrets');
const connectionsShow = lazy(load_connections, 'connectionsShow');
const connectionsTest = lazy(load_connections, 'connectionsTest');
const connectionsUpdate = lazy(load_connections, 'connectionsUpdate');
const load_codec_server = () => import('./commands/codec-server.js');
const codecServerCommand = lazy(load_codec_server, 'codecServerCommand');
const load_console = () => import('./commands/console.js');
const consoleCommand = lazy(load_console, 'consoleCommand');
const load_connectors = () => import('./commands/connectors.js');
const connectorsList = lazy(load_connectors, 'connectorsList');
const connectorsShow = lazy(load_connectors, 'connectorsShow');
const load_demo = () => import('./commands/demo.js');
const demoCommand = lazy(load_demo, 'demoCommand');
const load_dev = () => import('./commands/dev.js');
const devCommand = lazy(load_dev, 'devCommand');
const load_pipelines = () => import('./commands/pipelines.js');
const pipelinesCreate = lazy(load_pipelines, 'pipelinesCreate');
const pipelinesDelete = lazy(load_pipelines, 'pipelinesDelete');
const pipelinesList = lazy(load_pipelines, 'pipelinesList');
const pipelinesShow = lazy(load_pipelines, 'pipelinesShow');
const pipelinesUpdate = lazy(load_pipelines, 'pipelinesUpdate');
const load_pipeline_runs = () => import('./commands/pipeline-runs.js');
const pipelinesDead = lazy(load_pipeline_runs, 'pipelinesDead');
const pipelinesDeliveries = lazy(load_pipeline_runs, 'pipelinesDeliveries');
const pipelinesReplay = lazy(load_pipeline_runs, 'pipelinesReplay');
const pipelinesRun = lazy(load_pipeline_runs, 'pipelinesRun');
const pipelinesStatus = lazy(load_pipeline_runs, 'pipelinesStatus');
const load_schedules = () => import('./commands/schedules.js');
const schedulesBackfill = lazy(load_schedules, 'schedulesBackfill');
const schedulesCreate = lazy(load_schedules, 'schedulesCreate');
const schedulesDescribe = lazy(load_schedules, 'schedulesDescribe');
const schedulesList = lazy(load_schedules, 'schedulesList');
const schedulesOp = lazy(load_schedules, 'schedulesOp');
const load_send = () => import('./commands/send.js');
const sendCommand = lazy(load_send, 'sendCommand');
const load_sync = () => import('./commands/sync.js');
const syncCommand = lazy(load_sync, 'syncCommand');
const load_runs = () => import('./commands/runs.js');
const runsList = lazy(load_runs, 'runsList');
const load_trigger = () => import('./commands/trigger.js');
const triggerCommand = lazy(load_trigger, 'triggerCommand');
const load_worker = () => import('./commands/worker.js');
const workerCommand = lazy(load_worker, 'workerCommand');
/** Temporal's default catch-up window (365 days; src/temporal/schedules.ts), as people write it. */
const DEFAULT_CATCHUP_WINDOW = formatInterval(365 * 86_400_000);

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
PIPELINE_SINK (jsonl|postgres), PIPELINE_NAME_PREFIX, PIPELINE_POLICY_OVERRIDES, PIPELINE_METRICS_PORT. See README "Configuration".`,
  );

// ---- the embedded default ------------------------------------------------------------------
program
  .command('demo')
  .description('The main job on the embedded default: dev server + worker + sandbox providers, full syncs of the three sources')
  .option('--records <n>', 'records per sandbox source', positiveInt, 2500)
  .option('--latency <ms>', 'added latency per sandbox request', positiveInt, 20)
  .option('--exit', 'exit when done instead of keeping the Web UI up', false)
  .option('--json', 'print the summary as JSON', false)
  .option('--metrics-port <n>', "serve the worker's Prometheus metrics on this port, 0 for any free one (default PIPELINE_METRICS_PORT; none)", positiveInt)
  .option('--console-port <n>', 'port of the web console (default 8390, or any free one when taken; 0: any free one)', positiveInt)
  .option('--no-console', 'do not start the web console')
  .action((o: { records: number; latency: number; exit: boolean; json: boolean; metricsPort?: number; console: boolean; consolePort?: number }) =>
    demoCommand({
      records: o.records, latencyMs: o.latency, exit: o.exit, json: o.json, ...(o.metricsPort !== undefined ? { metricsPort: o.metricsPort } : {}),
      console: o.console, ...(o.consolePort !== undefined ? { consolePort: o.consolePort } : {}),
    }));

program
  .command('dev')
  .description('Start a Temporal dev server (SQLite file in $PIPELINE_HOME, Web UI on :8233) and a worker, until Ctrl-C')
  .option('--sandbox', 'also start the local sandbox providers (and enable sandbox mode)', false)
  .option('--port <n>', 'start a dev server of its own on this port (0: any free port) rather than use one on 7233', positiveInt)
  .option('--metrics-port <n>', "serve the worker's Prometheus metrics on this port, 0 for any free one (default PIPELINE_METRICS_PORT; none)", positiveInt)
  .option('--console-port <n>', 'port of the web console (default 8390, or any free one when taken; 0: any free one)', positiveInt)
  .option('--no-console', 'do not start the web console')
  .action((o: { sandbox: boolean; port?: number; metricsPort?: number; console: boolean; consolePort?: number }) => devCommand(o));

program
  .command('worker')
  .description('Run a worker against TEMPORAL_ADDRESS: workflows plus one activity queue per connector')
  .option('--connectors <ids>', 'comma-separated connector ids whose activity queues to poll (default: all)')
  .option('--metrics-port <n>', 'serve Prometheus metrics (the SDK\'s and the engine\'s) on this port, 0 for any free one (default PIPELINE_METRICS_PORT; none)', positiveInt)
  .option('--metrics-host <address>', 'the metrics listening address (default PIPELINE_METRICS_HOST or 127.0.0.1; 0.0.0.0 in a container)')
  .action((o: { connectors?: string; metricsPort?: number; metricsHost?: string }) => workerCommand(o));

program
  .command('console')
  .description('Serve the web console (connectors, connections, syncs, schedules, runs, pipelines) on this machine, until Ctrl-C')
  .option('--port <n>', 'port (default 8390; 0: any free port)', positiveInt)
  .option('--host <address>', 'listening address (default 127.0.0.1, this machine only; another address exposes it over plain HTTP)')
  .option('--ui-url <url>', 'Temporal Web UI base URL for the links to runs (default TEMPORAL_UI_URL, or the local dev server\'s on :8233)')
  .addHelpText(
    'after',
    `
It prints a link with a token made at this start (http://127.0.0.1:8390/#token=...): every API call needs
that token, changes need the console's own Origin, and no answer ever carries a secret (only "set" / "not set").
Secrets typed into a form are stored as \`connections add\` stores them: env:NAME / file:/path references,
or encrypted inline values when PIPELINE_SECRETS_KEYS is set. \`pipeline dev\` and \`npm start\` start one too.`,
  )
  .action((o: { port?: number; host?: string; uiUrl?: string }) => consoleCommand(o));

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
schedules.command('list').description('List pull and pipeline schedules').option('--json', 'JSON output').action((o) => schedulesList(o));
schedules.command('describe <id>').description('Show a schedule: spec, policies, next and recent runs').option('--json', 'JSON output').action((id: string, o) => schedulesDescribe(id, o));
for (const op of ['pause', 'unpause', 'trigger', 'delete'] as const) {
  const desc = { pause: 'Pause a schedule', unpause: 'Resume a paused schedule', trigger: 'Run a schedule now', delete: 'Delete a schedule' }[op];
  const cmd = schedules.command(`${op} <id>`).description(`${desc} (<id>, a connection id or a pipeline id)`).option('--json', 'JSON output');
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

// ---- pipelines -----------------------------------------------------------------------------
const pipelines = program
  .command('pipelines')
  .description('Move records from a source stream to a destination: mapped (JSONata), batched, once per record version, with a delivery ledger');
const definitionOptions = (cmd: Command) =>
  cmd
    .option('--from <connection:stream>', 'the source, e.g. demo-shopify:orders')
    .option('--to <connection>', 'the destination connection')
    .option('--map <file>', 'a JSONata expression turning one source record into the destination\'s message')
    .option('--filter <expression>', 'a JSONata condition: records for which it is not true are skipped')
    .option('--filter-file <file>', 'the filter, from a file')
    .option('--batch-size <n>', 'messages per call where the destination has a batch endpoint (default: its limit)', positiveInt)
    .option('--page-size <n>', 'records per source page', positiveInt)
    .option('--stored', 'deliver the stream\'s records already in the sink instead of pulling (a re-delivery)')
    .option('--note <text>', 'a note shown by `pipelines show`')
    .option('--sample <file>', 'check the mapping against these records (JSON array) instead of the stored ones');
definitionOptions(pipelines.command('create <id>').description('Define a pipeline (checked against sample records), optionally with a schedule'))
  .option('--every <interval>', 'also schedule it, e.g. 15m (a bare number is refused)')
  .option('--cron <expr>', 'schedule with a cron expression instead (repeatable)', collect)
  .option('--timezone <tz>', 'time zone for --cron')
  .option('--paused', 'create the schedule paused', false)
  .option('--json', 'JSON output')
  .action((id: string, o) => pipelinesCreate(id, o));
definitionOptions(pipelines.command('update <id>').description('Change a pipeline (a new mapping, filter, destination, batch size); checked like create'))
  .option('--json', 'JSON output')
  .action((id: string, o) => pipelinesUpdate(id, o));
pipelines.command('list').description('Pipelines with their ledger counts').option('--json', 'JSON output').action((o) => pipelinesList(o));
pipelines.command('show <id>').description('A pipeline: definition, guarantee, ledger, schedule, latest run').option('--json', 'JSON output').action((id: string, o) => pipelinesShow(id, o));
pipelines
  .command('run <id>')
  .description('Run a pipeline now and follow it (or follow the run in progress)')
  .option('--full', 'read the whole source again (versions already delivered are still skipped)', false)
  .option('--no-wait', 'start it and return')
  .option('--json', 'JSON output')
  .action((id: string, o) => pipelinesRun(id, o));
pipelines.command('status <id>').description('The run in progress (or the last one) and the ledger counts').option('--json', 'JSON output').action((id: string, o) => pipelinesStatus(id, o));
pipelines
  .command('dead <id>')
  .description('Records not delivered: dead (refused), unknown (may have arrived), failed (retried next run), with reasons')
  .option('--limit <n>', 'rows to show (default 50)', positiveInt)
  .option('--all', 'show them all')
  .option('--json', 'JSON output')
  .action((id: string, o) => pipelinesDead(id, o));
pipelines
  .command('replay <id>')
  .description('Send dead, unknown and failed records again, with their original delivery keys')
  .option('--record <id>', 'only this record (repeatable)', collect)
  .option('--since <iso>', 'only those that went dead (or unknown, failed) at or after this time')
  .option('--no-wait', 'start it and return')
  .option('--json', 'JSON output')
  .action((id: string, o) => pipelinesReplay(id, o));
pipelines
  .command('deliveries <id>')
  .description('The delivery history of one record: every version, attempt and outcome')
  .requiredOption('--record <id>', 'the source record id')
  .option('--json', 'JSON output')
  .action((id: string, o) => pipelinesDeliveries(id, o));
pipelines
  .command('delete <id>')
  .description('Delete a pipeline, its schedule, and cancel its run in progress')
  .option('--yes', 'do it')
  .option('--purge-ledger', 'also remove its delivery ledger (re-creating it under this id would then deliver everything again)')
  .option('--json', 'JSON output')
  .action((id: string, o) => pipelinesDelete(id, o));

program.parseAsync(process.argv).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  // An empty CliError carries only an exit code: the command has already said what happened.
  if (message !== '') process.stderr.write(`${color.red('error')}: ${message}\n`);
  process.exit(err instanceof CliError ? err.exitCode : 1);
});
