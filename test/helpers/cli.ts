// Runs the real `pipeline` binary as a user would, against a test file's Temporal context: its
// stdout, stderr and exit code, with colour off. `startCli` keeps a long-running command (a worker)
// up until the test stops it.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TemporalTestContext } from './temporal.js';

export const BIN = fileURLToPath(new URL('../../bin/pipeline.mjs', import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function cliEnv(ctx: TemporalTestContext, env: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TEMPORAL_ADDRESS: ctx.address,
    PIPELINE_HOME: ctx.home,
    PIPELINE_CONNECTIONS_FILE: ctx.store.path,
    PIPELINE_DATA_DIR: ctx.sink.dataDir,
    PIPELINE_NAME_PREFIX: ctx.namePrefix,
    NO_COLOR: '1',
    ...env,
  };
}

export function runCli(ctx: TemporalTestContext, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: cliEnv(ctx, env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export interface RunningCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout or stderr matches, or rejects after timeoutMs. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<CliRun>;
}

export function startCli(ctx: TemporalTestContext, args: string[], env: Record<string, string> = {}): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], { env: cliEnv(ctx, env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const closed = new Promise<number>((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : -1))));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    async waitFor(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(stdout) && !pattern.test(stderr)) {
        if (child.exitCode !== null) throw new Error(`pipeline ${args.join(' ')} exited (${child.exitCode}) before printing ${pattern}:\n${stdout}\n${stderr}`);
        if (Date.now() > deadline) throw new Error(`pipeline ${args.join(' ')} did not print ${pattern} within ${timeoutMs} ms:\n${stdout}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      const code = await closed;
      return { code, stdout, stderr };
    },
  };
}
