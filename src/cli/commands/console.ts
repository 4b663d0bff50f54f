// `pipeline console`: the web console (src/console) on this machine, over the same connection store
// and Temporal client as every other command, until Ctrl-C. `pipeline dev` and `npm start` start
// one too (see startStackConsole).
import { isLoopbackHost, sandboxModeEnabled } from '../../core/url-guard.js';
import { lazyClient, type ConsoleDeps } from '../../console/context.js';
import { DEFAULT_CONSOLE_PORT, startConsole, type ConsoleServer } from '../../console/server.js';
import { webUiAnswers } from '../../temporal/web-ui.js';
import { cliContext } from '../context.js';
import type { LocalStack } from '../local-stack.js';
import { CliError, color } from '../output.js';

export interface ConsoleOptions {
  host?: string;
  port?: number;
  uiUrl?: string;
}

/** Starts the console, turning a busy port into a message that says what to do. */
async function start(deps: ConsoleDeps, host: string, port: number): Promise<ConsoleServer> {
  try {
    return await startConsole({ deps, host, port });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new CliError(`Port ${port} on ${host} is in use: give another with --port <n> (--port 0 takes any free port).`);
    if (code === 'EADDRNOTAVAIL') throw new CliError(`${host} is not an address of this machine (--host).`);
    throw err;
  }
}

export async function consoleCommand(opts: ConsoleOptions): Promise<void> {
  const ctx = cliContext();
  const host = opts.host ?? '127.0.0.1';
  const say = (line: string) => process.stdout.write(`${line}\n`);
  // The local dev server's Web UI when there is one; a cluster's UI only when named.
  const uiUrl = opts.uiUrl ?? process.env.TEMPORAL_UI_URL ?? (!process.env.TEMPORAL_ADDRESS && (await webUiAnswers('http://localhost:8233')) ? 'http://localhost:8233' : null);
  const deps: ConsoleDeps = { settings: ctx.settings, store: ctx.store, client: lazyClient(() => ctx.client()), uiUrl, sandbox: sandboxModeEnabled() };
  let server: ConsoleServer;
  try {
    server = await start(deps, host, opts.port ?? DEFAULT_CONSOLE_PORT);
  } catch (err) {
    await ctx.close();
    throw err;
  }
  say(`Pipeline console: ${color.cyan(server.url)}`);
  say(color.dim('  (the token in the link is new at every start; keep the link to yourself)'));
  if (!isLoopbackHost(host)) {
    process.stderr.write(`${color.yellow('warning')}: listening on ${host}: the console is reachable from other machines, over plain HTTP. Anyone with the link can add connections and start syncs.\n`);
  }
  const reachable = await deps.client().then(() => true, (err: Error) => {
    process.stderr.write(`${color.yellow('warning')}: ${err.message} The console starts anyway; its pages say what needs Temporal.\n`);
    return false;
  });
  if (reachable) say(`Temporal at ${ctx.settings.temporalAddress} (namespace ${ctx.settings.namespace})${uiUrl ? `; Web UI: ${color.cyan(uiUrl)}` : ''}`);
  say('Ctrl-C to stop.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  await ctx.close();
}

/**
 * The console beside a local stack (`pipeline dev`, `npm start`): the stack's own client, store and
 * Web UI. Port `port`, or any free one when that one is taken (a second stack, a console already
 * open): the URL printed says which.
 */
export async function startStackConsole(stack: LocalStack, port: number = DEFAULT_CONSOLE_PORT): Promise<ConsoleServer> {
  const deps: ConsoleDeps = { settings: stack.settings, store: stack.store, client: async () => stack.client, uiUrl: stack.uiUrl, sandbox: sandboxModeEnabled() };
  try {
    return await startConsole({ deps, port });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port === 0) throw err;
    return startConsole({ deps, port: 0 });
  }
}
