// Builds the workflow bundle once, so that workers do not run webpack at every start: `npm ci` and
// `npm install` run it (package.json "prepare"), and so does the Docker build. Writes
// dist/workflow-bundle.js and dist/workflow-bundle.json (what it was built from); workers use it
// only while it matches (src/temporal/workflow-bundle.ts).
//
//   npm run build:workflows              build, unless the bundle there is current
//   npm run build:workflows -- --force   build anyway
//   npm run build:workflows -- --check   build nothing; exit 1 with the reason unless current
//   --out DIR                            another folder (default PIPELINE_WORKFLOW_BUNDLE_DIR, else dist/)
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  buildWorkflowBundle,
  checkPrebuiltBundle,
  defaultBundleDir,
  writeWorkflowBundle,
  TEMPORAL_WORKER_VERSION,
} from '../src/temporal/workflow-bundle.js';

const { values: args } = parseArgs({
  options: {
    out: { type: 'string' },
    force: { type: 'boolean', default: false },
    check: { type: 'boolean', default: false },
  },
});
const dir = args.out ? resolve(args.out) : defaultBundleDir();

const current = await checkPrebuiltBundle({ dir });
if (args.check) {
  if (current.ok) {
    process.stdout.write(`${current.path} is current (sources ${current.manifest.sourcesSha256.slice(0, 12)}, @temporalio/worker ${current.manifest.temporalWorker})\n`);
    process.exit(0);
  }
  process.stderr.write(`Not current: ${current.reason}\n`);
  process.exit(1);
}
if (current.ok && !args.force) {
  process.stdout.write(`Workflow bundle ${current.path} is current (sources ${current.manifest.sourcesSha256.slice(0, 12)}); not rebuilt (--force to rebuild)\n`);
  process.exit(0);
}

const started = performance.now();
const built = await buildWorkflowBundle();
const path = await writeWorkflowBundle(dir, built);
// Read back through the same check a worker makes: a bundle that would not be used is a failed build.
const after = await checkPrebuiltBundle({ dir });
if (!after.ok) {
  process.stderr.write(`Wrote ${path}, but a worker would not use it: ${after.reason}\n`);
  process.exit(1);
}
process.stdout.write(
  `Wrote ${path} (${(Buffer.byteLength(built.code) / 1e6).toFixed(1)} MB, ${Object.keys(built.manifest.sources).length} source files, ` +
    `sources ${built.manifest.sourcesSha256.slice(0, 12)}, @temporalio/worker ${TEMPORAL_WORKER_VERSION}) in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
);
