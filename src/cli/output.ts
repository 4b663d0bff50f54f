// Terminal output conventions: colour only on a terminal (picocolors honours NO_COLOR/FORCE_COLOR),
// --json for scripts, errors on stderr with a non-zero exit code, secrets never printed.
import pc from 'picocolors';

export const color = pc;

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/**
 * Exit codes, the same for every command: scripts can tell a failure from a cancel, and a send that
 * did not happen from one that failed.
 */
export const EXIT = {
  ok: 0,
  /** The command, the workflow or the provider call failed. */
  failed: 1,
  /** The workflow was cancelled (or terminated) before it finished. */
  cancelled: 3,
  /** Nothing was done because it had been done before with something else (an idempotency key already used by another message). */
  notDone: 4,
} as const;

export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.failed) {
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

/** A plain aligned table (no borders), header dimmed on a terminal. */
export function printTable(rows: Record<string, unknown>[], columns: string[]): void {
  if (rows.length === 0) {
    process.stdout.write(color.dim('(none)') + '\n');
    return;
  }
  const text = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => text(r[c]).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  process.stdout.write(color.dim(line(columns.map((c) => c.toUpperCase()))) + '\n');
  for (const r of rows) process.stdout.write(line(columns.map((c) => text(r[c]))) + '\n');
}

/** `key=value` pairs from repeated --set options; values that parse as JSON numbers/booleans stay strings (zod coerces where the field is a number). */
export function parseAssignments(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const i = pair.indexOf('=');
    if (i <= 0) throw new CliError(`--set expects key=value, got "${pair}"`);
    out[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return out;
}

/** 3600000 -> "1h", 90000 -> "1m30s": how people write intervals. */
export function formatInterval(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return String(ms);
  const units: [string, number][] = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]];
  let rest = Math.round(ms);
  let out = '';
  for (const [u, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${u}`;
    rest -= n * size;
  }
  return out || `${ms}ms`;
}

/** "1,234": counts as people read them. */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** "1 record", "2 records", "1,234 records". */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? singular : pluralForm}`;
}

/**
 * A path as a person reads it: relative to the current directory when it lies inside it
 * (`.pipeline/data/demo-stripe/charges.jsonl`), else as given. JSON output keeps absolute paths.
 */
export function displayPath(path: string, cwd: string = process.cwd()): string {
  if (!path.startsWith('/')) return path;
  const prefix = cwd.endsWith('/') ? cwd : `${cwd}/`;
  return path.startsWith(prefix) ? path.slice(prefix.length) : path;
}
