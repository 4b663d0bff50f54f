// The workflow bundle, built once instead of at every worker start. Bundling workflows/ with webpack
// takes seconds and a few hundred MB at each start; scripts/build-workflow-bundle.ts does it at
// install time (`npm ci` runs it as `prepare`) and in the Docker build, and writes
//
//   dist/workflow-bundle.js    the code, with its source map inline (the SDK reads only inline maps)
//   dist/workflow-bundle.json  what it was built from: the @temporalio/worker version, and the
//                              sha256 of every file webpack put in it (workflows/, the src/ files
//                              they import, the SDK's workflow-side code), as bundled
//
// A worker uses the prebuilt bundle only when it still matches: the same @temporalio/worker (a
// bundle must come from the exact version that runs it), every recorded file unchanged on disk, and
// the code file the one the manifest describes. Otherwise it bundles in process, as before, and in
// development (NODE_ENV is not "production") saves that bundle for the next start. Either way it
// says once which bundle it runs and, when it bundled, why.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger, type BundleOptions, type Logger, type WorkflowBundle } from '@temporalio/worker';

/** The project's root: the folder holding package.json, workflows/ and src/. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The workflows' entry point: every function it exports is a workflow type. */
export const WORKFLOWS_PATH = join(PROJECT_ROOT, 'workflows', 'index.ts');
export const BUNDLE_FILE = 'workflow-bundle.js';
export const MANIFEST_FILE = 'workflow-bundle.json';
/** Bumped when the manifest's meaning changes; a manifest of another format is not trusted. */
export const MANIFEST_FORMAT = 1;

/** The @temporalio/worker this process runs (resolved from here, as the worker's own import is). */
export const TEMPORAL_WORKER_VERSION: string = (createRequire(import.meta.url)('@temporalio/worker/package.json') as { version: string }).version;

/** Where the prebuilt bundle is looked for and written: PIPELINE_WORKFLOW_BUNDLE_DIR, else dist/. */
export function defaultBundleDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.PIPELINE_WORKFLOW_BUNDLE_DIR ? resolve(env.PIPELINE_WORKFLOW_BUNDLE_DIR) : join(PROJECT_ROOT, 'dist');
}

export interface WorkflowBundleManifest {
  format: number;
  /** The @temporalio/worker that bundled it; a worker of any other version does not load it. */
  temporalWorker: string;
  /** The entry point it was bundled from, relative to the project root. */
  workflowsPath: string;
  builtAt: string;
  /** sha256 of workflow-bundle.js. */
  codeSha256: string;
  /** sha256 over `sources`: one figure for everything it was built from. */
  sourcesSha256: string;
  /**
   * Every file in the bundle (path relative to the project root, or absolute outside it) with the
   * sha256 of the content webpack bundled (taken from the source map, so an edit made while webpack
   * ran shows up as a change, not as a bundle that claims to be fresh).
   */
  sources: Record<string, string>;
}

export interface BuiltWorkflowBundle {
  code: string;
  manifest: WorkflowBundleManifest;
}

/** bundleWorkflowCode's shape; tests pass a counting or fake one. */
export type WorkflowBundler = (options: BundleOptions) => Promise<{ code: string }>;

export interface WorkflowBundleLocation {
  /** Where workflow-bundle.js and its manifest are; default defaultBundleDir(). */
  dir?: string;
  /** Paths in the manifest are relative to it; default PROJECT_ROOT. */
  root?: string;
  /** Default WORKFLOWS_PATH. */
  workflowsPath?: string;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** sha256 over the sorted (path, hash) pairs. */
export function sourcesHash(sources: Record<string, string>): string {
  return sha256(Object.keys(sources).sort().map((p) => `${p}\0${sources[p]}\n`).join(''));
}

const toManifestPath = (root: string, file: string) => {
  const rel = relative(root, file);
  return rel.startsWith('..') || isAbsolute(rel) ? file : rel.split(sep).join('/');
};
const fromManifestPath = (root: string, p: string) => (isAbsolute(p) ? p : join(root, ...p.split('/')));

/** The inline source map of a bundle (webpack's `inline-source-map`, which the SDK's bundler uses). */
function inlineSourceMap(code: string): { sources: string[]; sourcesContent?: (string | null)[] } {
  const at = code.lastIndexOf('//# sourceMappingURL=data:');
  const base64 = at < 0 ? -1 : code.indexOf('base64,', at);
  if (base64 < 0) throw new Error('The workflow bundle has no inline source map');
  return JSON.parse(Buffer.from(code.slice(base64 + 'base64,'.length).trim(), 'base64').toString('utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
}

/**
 * The files a bundle was built from, with the hash of the content bundled. webpack's own runtime
 * ("webpack/…"), ignored modules ("ignored|…") and the entry point the SDK generates in memory
 * (<workflows>/index-autogenerated-entrypoint.cjs) are not files and are left out.
 */
export function bundledSources(code: string, root: string = PROJECT_ROOT): Record<string, string> {
  const map = inlineSourceMap(code);
  const sources: Record<string, string> = {};
  map.sources.forEach((source, i) => {
    if (!isAbsolute(source) || /-autogenerated-entrypoint\.cjs$/.test(source)) return;
    const content = map.sourcesContent?.[i];
    if (typeof content !== 'string') throw new Error(`The workflow bundle's source map has no content for ${source}`);
    sources[toManifestPath(root, source)] = sha256(content);
  });
  if (Object.keys(sources).length === 0) throw new Error('The workflow bundle names no source files');
  return sources;
}

/** Bundles the workflows (webpack, a few seconds) and describes what the bundle was built from. */
export async function buildWorkflowBundle(
  opts: Omit<WorkflowBundleLocation, 'dir'> & { bundler?: WorkflowBundler; logger?: Logger } = {},
): Promise<BuiltWorkflowBundle> {
  const root = opts.root ?? PROJECT_ROOT;
  const workflowsPath = opts.workflowsPath ?? WORKFLOWS_PATH;
  const { code } = await (opts.bundler ?? bundleWorkflowCode)({ workflowsPath, logger: opts.logger ?? new DefaultLogger('WARN') });
  const sources = bundledSources(code, root);
  return {
    code,
    manifest: {
      format: MANIFEST_FORMAT,
      temporalWorker: TEMPORAL_WORKER_VERSION,
      workflowsPath: toManifestPath(root, workflowsPath),
      builtAt: new Date().toISOString(),
      codeSha256: sha256(code),
      sourcesSha256: sourcesHash(sources),
      sources,
    },
  };
}

/**
 * Writes the bundle and then its manifest, each to a temporary file renamed into place, so that
 * workers starting meanwhile (or another process writing the same cache) never read half a file.
 * A reader that gets a new code file with the old manifest sees the code hash differ and does not
 * use it. Returns the bundle's path.
 */
export async function writeWorkflowBundle(dir: string, built: BuiltWorkflowBundle): Promise<string> {
  await mkdir(dir, { recursive: true });
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  const put = async (name: string, data: string) => {
    const tmp = join(dir, `.${name}.${tag}`);
    try {
      await writeFile(tmp, data);
      await rename(tmp, join(dir, name));
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  };
  await put(BUNDLE_FILE, built.code);
  await put(MANIFEST_FILE, `${JSON.stringify(built.manifest, null, 2)}\n`);
  return join(dir, BUNDLE_FILE);
}

export type PrebuiltCheck =
  | { ok: true; path: string; code: string; manifest: WorkflowBundleManifest }
  | { ok: false; path: string; reason: string };

const shown = (root: string, p: string) => {
  const rel = relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : toManifestPath(root, p);
};

function listed(paths: string[], max = 3): string {
  return paths.length <= max ? paths.join(', ') : `${paths.slice(0, max).join(', ')} and ${paths.length - max} more`;
}

/** Whether the prebuilt bundle in `dir` may be used, and if not, why (in words for the log). */
export async function checkPrebuiltBundle(loc: WorkflowBundleLocation = {}): Promise<PrebuiltCheck> {
  const root = loc.root ?? PROJECT_ROOT;
  const dir = loc.dir ?? defaultBundleDir();
  const path = join(dir, BUNDLE_FILE);
  const no = (reason: string): PrebuiltCheck => ({ ok: false, path, reason });
  const name = `the prebuilt ${shown(root, path)}`;

  let manifest: WorkflowBundleManifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as WorkflowBundleManifest;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return no(`there is no prebuilt bundle in ${shown(root, dir)}/`);
    return no(`the manifest of ${name}, ${MANIFEST_FILE}, is unreadable (${(err as Error).message})`);
  }
  if (manifest?.format !== MANIFEST_FORMAT || typeof manifest.sources !== 'object' || manifest.sources === null) {
    return no(`the manifest of ${name}, ${MANIFEST_FILE}, is not in the format this version writes`);
  }
  if (manifest.temporalWorker !== TEMPORAL_WORKER_VERSION) {
    return no(`${name} was built with @temporalio/worker ${manifest.temporalWorker} and this worker runs ${TEMPORAL_WORKER_VERSION}`);
  }
  const workflowsPath = toManifestPath(root, loc.workflowsPath ?? WORKFLOWS_PATH);
  if (manifest.workflowsPath !== workflowsPath) return no(`${name} was built from ${manifest.workflowsPath}, not ${workflowsPath}`);

  const entries = Object.entries(manifest.sources);
  if (entries.length === 0) return no(`the manifest of ${name} lists no source files`);
  const states = await Promise.all(
    entries.map(async ([p, hash]) => {
      try {
        return sha256(await readFile(fromManifestPath(root, p))) === hash ? 'same' : 'changed';
      } catch {
        return 'gone';
      }
    }),
  );
  const changed = entries.filter((_, i) => states[i] === 'changed').map(([p]) => p);
  const gone = entries.filter((_, i) => states[i] === 'gone').map(([p]) => p);
  if (changed.length || gone.length) {
    const parts = [
      ...(changed.length ? [`${listed(changed)} changed`] : []),
      ...(gone.length ? [`${listed(gone)} ${gone.length === 1 ? 'is' : 'are'} gone`] : []),
    ];
    return no(`${name} is stale: ${parts.join('; ')} since it was built (${manifest.builtAt})`);
  }

  let code: string;
  try {
    code = await readFile(path, 'utf8');
  } catch (err) {
    return no(`${name} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (sha256(code) !== manifest.codeSha256) return no(`${name} is not the bundle its manifest describes (rewritten while being read?)`);
  return { ok: true, path, code, manifest };
}

export type WorkflowBundleChoice =
  | {
      kind: 'prebuilt';
      path: string;
      manifest: WorkflowBundleManifest;
      /** Checking it against the sources and reading it. */
      ms: number;
    }
  | {
      kind: 'bundled';
      /** Why the prebuilt bundle was not used. */
      reason: string;
      /** Bundling, here. */
      ms: number;
      /** The fresh bundle saved for the next start, or why not. */
      saved: { path: string } | { skipped: string } | { failed: string };
    };

export interface LoadWorkflowBundleOptions extends WorkflowBundleLocation {
  /** Save a bundle made here for the next start; default: unless NODE_ENV is "production". */
  writeCache?: boolean;
  /** Default bundleWorkflowCode. */
  bundler?: WorkflowBundler;
  /** webpack's messages when bundling here. */
  logger?: Logger;
}

/**
 * The bundle a worker should run: the prebuilt one when it matches its sources and this SDK,
 * otherwise one bundled now (and, in development, saved for the next start). The prebuilt code is
 * handed to the worker as the string that was checked, not as a path the SDK would read again.
 */
export async function loadWorkflowBundle(opts: LoadWorkflowBundleOptions = {}): Promise<{ bundle: WorkflowBundle; choice: WorkflowBundleChoice }> {
  const dir = opts.dir ?? defaultBundleDir();
  const started = performance.now();
  const check = await checkPrebuiltBundle({ ...opts, dir });
  if (check.ok) {
    return { bundle: { code: check.code }, choice: { kind: 'prebuilt', path: check.path, manifest: check.manifest, ms: performance.now() - started } };
  }
  const built = await buildWorkflowBundle(opts);
  const ms = performance.now() - started;
  let saved: Extract<WorkflowBundleChoice, { kind: 'bundled' }>['saved'];
  if (!(opts.writeCache ?? process.env.NODE_ENV !== 'production')) {
    saved = { skipped: process.env.NODE_ENV === 'production' ? 'NODE_ENV=production' : 'not asked to' };
  } else {
    try {
      saved = { path: await writeWorkflowBundle(dir, built) };
    } catch (err) {
      saved = { failed: (err as Error).message };
    }
  }
  return { bundle: { code: built.code }, choice: { kind: 'bundled', reason: check.reason, ms, saved } };
}

/** One log line saying which bundle a worker runs. */
export function describeWorkflowBundle(choice: WorkflowBundleChoice, root: string = PROJECT_ROOT): string {
  if (choice.kind === 'prebuilt') {
    const m = choice.manifest;
    return (
      `Workflow bundle: prebuilt ${shown(root, choice.path)} (built ${m.builtAt} with @temporalio/worker ${m.temporalWorker}; ` +
      `its ${Object.keys(m.sources).length} source files unchanged, sources ${m.sourcesSha256.slice(0, 12)}; checked in ${Math.round(choice.ms)} ms)`
    );
  }
  const saved =
    'path' in choice.saved
      ? `saved to ${shown(root, choice.saved.path)} for the next start`
      : 'skipped' in choice.saved
        ? `not saved (${choice.saved.skipped}): build it with \`npm run build:workflows\` (in an image, rebuild the image)`
        : `could not save it (${choice.saved.failed}): build it with \`npm run build:workflows\``;
  return `Workflow bundle: bundled at start in ${(choice.ms / 1000).toFixed(1)} s, because ${choice.reason}; ${saved}`;
}
