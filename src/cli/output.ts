// Terminal output conventions: colour only on a terminal (picocolors honours NO_COLOR/FORCE_COLOR),
// --json for scripts, errors on stderr with a non-zero exit code, secrets never printed.
import pc from 'picocolors';

export const color = pc;

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

export function isInteractive(): boolean {
  return Boolean(process.stdout.isTTY) && process.env.CI !== 'true';
}
