// The README's command examples, run for real so they cannot drift from what the CLI does.
//
// A block marked `<!-- example -->` just before its opening fence holds `$ ` command lines, each
// followed by the output it prints (stdout and stderr as a terminal shows them). One block marked
// `<!-- example-setup -->` holds `$ export NAME=value` lines for the whole session. The runner starts
// `pipeline dev --sandbox` in a fresh folder (exactly what the README tells a user to run), runs every
// example command in README order against it, and compares each output with the README's, after
// blanking what differs from run to run (times, durations, ports, ids, rates).
//
//   tsx scripts/readme-examples.ts           check: print the differences, exit 1 if any
//   tsx scripts/readme-examples.ts --write   rewrite the README's example outputs with today's
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const README = join(ROOT, 'README.md');
const BIN = join(ROOT, 'bin/pipeline.mjs');

export interface Example {
  command: string;
  /** The output lines the README shows. */
  expected: string[];
  /** Where the expected lines sit in the README (0-based line numbers, end exclusive). */
  start: number;
  end: number;
  /**
   * `<!-- example counts-vary -->`: counts in this block depend on the clock (an incremental run
   * re-reads the records of its overlap window, one or two of them by when it runs) and are blanked.
   */
  countsVary?: boolean;
}

export interface ExampleResult extends Example {
  actual: string[];
  exitCode: number;
}

/** The examples of a README text, in order, and the setup exports. */
export function parseReadme(text: string): { setup: Record<string, string>; examples: Example[] } {
  const lines = text.split('\n');
  const setup: Record<string, string> = {};
  const examples: Example[] = [];
  for (let i = 0; i < lines.length; i++) {
    const marker = lines[i]!.trim();
    if (marker !== '<!-- example -->' && marker !== '<!-- example counts-vary -->' && marker !== '<!-- example-setup -->') continue;
    const open = i + 1;
    if (!lines[open]?.startsWith('```')) throw new Error(`README line ${open + 1}: ${marker} must be followed by a code fence`);
    let close = open + 1;
    while (close < lines.length && !lines[close]!.startsWith('```')) close++;
    for (let j = open + 1; j < close; j++) {
      const line = lines[j]!;
      if (!line.startsWith('$ ')) continue;
      const command = stripComment(line.slice(2));
      if (marker === '<!-- example-setup -->') {
        const m = /^export ([A-Z_][A-Z0-9_]*)=(.*)$/.exec(command);
        if (m) setup[m[1]!] = m[2]!.replace(/^['"]|['"]$/g, '');
        continue;
      }
      let end = j + 1;
      while (end < close && !lines[end]!.startsWith('$ ')) end++;
      examples.push({ command, expected: lines.slice(j + 1, end), start: j + 1, end, ...(marker === '<!-- example counts-vary -->' ? { countsVary: true } : {}) });
    }
    i = close;
  }
  return { setup, examples };
}

/** A command without its trailing `# comment` (a # inside quotes is kept). */
export function stripComment(command: string): string {
  let quote: string | null = null;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || command[i - 1] === ' ')) return command.slice(0, i).trimEnd();
  }
  return command.trimEnd();
}

/**
 * A progress line in a log, of a sync ("demo-stripe: pulling, 1,200 records, ...") or of a pipeline
 * run ("orders-to-segment: pulling · 500 read · ..."): how many appear depends on timing.
 */
const PROGRESS_LINE = /^[\w -]+: ((planning|pulling|checking|finishing|starting), [\d,]+ records?, |(planning|pulling|mapping|delivering|finishing|retrying|replaying|done) · )/;

/** What differs from run to run, blanked so that two runs of one example compare equal. */
export function normalize(lines: readonly string[], countsVary = false): string[] {
  return lines
    .filter((l) => !PROGRESS_LINE.test(l))
    .map((l) =>
      l
        // UTC, and a provider's local time with its offset (Shopify's "2026-11-04T23:15:01-05:00").
        .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})/g, '<time>')
        .replace(/\b\d+(\.\d+)? ?(ms|s)\b/g, '<duration>')
        .replace(/\b\d+ min \d+ s\b/g, '<duration>')
        .replace(/<duration>( <duration>)+/g, '<duration>')
        .replace(/(127\.0\.0\.1|localhost):\d+/g, '<host>')
        .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, '<uuid>')
        .replace(/\b[0-9a-f]{32,}\b/g, '<hex>')
        // A record version (a hash of the record's change time and content: the sandbox's records change with the clock).
        .replace(/\b(?=[0-9]*[a-f])[0-9a-f]{10}\b/g, '<version>')
        .replace(/\d+\/s\b/g, '<rate>')
        .replace(/\s+$/, ''),
    )
    .map((l) => (countsVary ? l.replace(/\b\d[\d,]*\b/g, '<n>').replace(/<n> (record|page)s?\b/g, '<n> $1s') : l))
    .filter((l) => l !== '');
}

function run(command: string, env: NodeJS.ProcessEnv, cwd: string): Promise<{ output: string; code: number }> {
  return new Promise((resolve) => {
    // `pipeline` is what a user has after `npm link`; here, the project's binary.
    const script = `pipeline() { node ${JSON.stringify(BIN)} "$@"; }\n${command} 2>&1`;
    const child = spawn('bash', ['-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => resolve({ output, code: code ?? -1 }));
  });
}

/** Runs every example against `pipeline dev --sandbox` in a fresh folder. */
export async function runExamples(text: string, log: (line: string) => void = () => undefined): Promise<ExampleResult[]> {
  const { setup, examples } = parseReadme(text);
  const cwd = await mkdtemp(join(tmpdir(), 'pipeline-readme-'));
  // The example mappings the README's pipeline commands name, where a clone has them.
  await cp(join(ROOT, 'examples'), join(cwd, 'examples'), { recursive: true });
  const base: NodeJS.ProcessEnv = { ...process.env, ...setup, NO_COLOR: '1', CI: 'true' };
  delete base.TEMPORAL_ADDRESS;
  delete base.PIPELINE_HOME;
  delete base.PIPELINE_NAME_PREFIX;
  delete base.PIPELINE_SANDBOX;
  // A port of its own, so that a server already on 7233 (someone's `pipeline dev`) is not used.
  const dev = spawn(process.execPath, [BIN, 'dev', '--sandbox', '--port', '0'], { cwd, env: base, stdio: ['ignore', 'pipe', 'pipe'] });
  let devOut = '';
  dev.stdout.on('data', (d: Buffer) => (devOut += d.toString()));
  dev.stderr.on('data', (d: Buffer) => (devOut += d.toString()));
  try {
    const address = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`pipeline dev --sandbox did not come up:\n${devOut}`)), 120_000);
      const check = () => {
        const m = /Temporal at (\S+)/.exec(devOut);
        if (m && /Ctrl-C to stop/.test(devOut)) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      };
      dev.stdout.on('data', check);
      dev.once('exit', (code) => reject(new Error(`pipeline dev --sandbox exited (${code}):\n${devOut}`)));
    });
    const env = { ...base, TEMPORAL_ADDRESS: address };
    const results: ExampleResult[] = [];
    for (const ex of examples) {
      log(`$ ${ex.command}`);
      const { output, code } = await run(ex.command, env, cwd);
      results.push({ ...ex, actual: output.replace(/\n$/, '').split('\n'), exitCode: code });
    }
    return results;
  } finally {
    dev.kill('SIGINT');
    await new Promise((r) => (dev.exitCode === null ? dev.once('exit', r) : r(null)));
    await rm(cwd, { recursive: true, force: true });
  }
}

/** The examples whose output no longer matches the README. */
export function differences(results: readonly ExampleResult[]): ExampleResult[] {
  return results.filter((r) => JSON.stringify(normalize(r.expected, r.countsVary)) !== JSON.stringify(normalize(r.actual, r.countsVary)));
}

/** The README with each example's output replaced by what it printed. */
export function rewrite(text: string, results: readonly ExampleResult[]): string {
  const lines = text.split('\n');
  for (const r of [...results].sort((a, b) => b.start - a.start)) {
    lines.splice(r.start, r.end - r.start, ...r.actual.filter((l, i, all) => !PROGRESS_LINE.test(l) && (l !== '' || i < all.length - 1)));
  }
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = await readFile(README, 'utf8');
  const results = await runExamples(text, (l) => process.stderr.write(`${l}\n`));
  if (process.argv.includes('--write')) {
    await writeFile(README, rewrite(text, results));
    console.log(`README.md: ${results.length} example outputs rewritten`);
  } else {
    const diff = differences(results);
    for (const d of diff) {
      console.log(`\n$ ${d.command}\n--- README\n${d.expected.join('\n')}\n+++ actual (exit ${d.exitCode})\n${d.actual.join('\n')}`);
    }
    console.log(diff.length ? `\n${diff.length} of ${results.length} README examples differ` : `${results.length} README examples match`);
    process.exitCode = diff.length ? 1 : 0;
  }
}
