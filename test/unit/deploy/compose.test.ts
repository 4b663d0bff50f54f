// The production stack (temporal-docker-compose.yml, Dockerfile, deploy/**) cannot be started on a
// machine without a Docker engine, so these tests read the files and check that they agree with
// each other and with the code: search attributes, the server's dynamic config, the worker's
// environment, what the image copies and runs.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { PIPELINE_DYNAMIC_CONFIG } from '../../../src/temporal/dev-server.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../../../src/temporal/search-attributes.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const COMPOSE_FILE = join(root, 'temporal-docker-compose.yml');
const read = (rel: string) => readFileSync(join(root, rel), 'utf8');

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  env_file?: unknown;
  depends_on?: string[] | Record<string, { condition?: string }>;
  ports?: (string | number | { target: number; published?: string | number })[];
  volumes?: (string | { type: string; source?: string; target: string })[];
  profiles?: string[];
  container_name?: string;
  restart?: string;
  healthcheck?: { test: string | string[] };
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const compose = parse(read('temporal-docker-compose.yml')) as Compose;
const services = compose.services;
const pkg = JSON.parse(read('package.json')) as {
  version: string;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  allowScripts?: Record<string, boolean>;
};

/** What compose makes of `${NAME:-default}`, `${NAME-default}` and `${NAME}` with none of them set. */
function withDefaults(value: string): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g, (_m, _name: string, def?: string) => def ?? '');
}

function env(name: string): Record<string, string> {
  const raw = services[name]?.environment ?? {};
  const entries = Array.isArray(raw)
    ? raw.map((line) => {
        const i = line.indexOf('=');
        return i < 0 ? [line, ''] : [line.slice(0, i), line.slice(i + 1)];
      })
    : Object.entries(raw).map(([k, v]) => [k, v == null ? '' : String(v)]);
  return Object.fromEntries(entries.map(([k, v]) => [k, withDefaults(String(v))]));
}

function dependsOn(name: string): Record<string, string> {
  const raw = services[name]?.depends_on ?? {};
  if (Array.isArray(raw)) return Object.fromEntries(raw.map((s) => [s, 'service_started']));
  return Object.fromEntries(Object.entries(raw).map(([s, d]) => [s, d?.condition ?? 'service_started']));
}

interface Port { hostIp?: string; published?: string; target: string }
function ports(name: string): Port[] {
  return (services[name]?.ports ?? []).map((p) => {
    if (typeof p === 'object') return { target: String(p.target), ...(p.published === undefined ? {} : { published: String(p.published) }) };
    const parts = String(p).split(':');
    if (parts.length === 1) return { target: parts[0]! };
    if (parts.length === 2) return { published: parts[0]!, target: parts[1]! };
    return { hostIp: parts[0]!, published: parts[1]!, target: parts[2]! };
  });
}

interface Mount { source: string; target: string; bind: boolean }
function mounts(name: string): Mount[] {
  return (services[name]?.volumes ?? []).map((v) => {
    if (typeof v === 'object') return { source: v.source ?? '', target: v.target, bind: v.type === 'bind' };
    const [source = '', target = ''] = v.split(':');
    return { source, target, bind: source.startsWith('.') || source.startsWith('/') };
  });
}

function argv(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : value.split(/\s+/).filter(Boolean);
}

/** The host file a container path comes from, through the service's bind mounts. */
function hostPathOf(name: string, containerPath: string): string | undefined {
  for (const m of mounts(name).filter((x) => x.bind)) {
    if (containerPath === m.target) return join(root, m.source);
    if (containerPath.startsWith(`${m.target}/`)) return join(root, m.source, containerPath.slice(m.target.length + 1));
  }
  return undefined;
}

const EXPECTED_SERVICES = [
  'postgresql',
  'temporal',
  'temporal-admin-tools',
  'temporal-create-search-attributes',
  'temporal-ui',
  'pipeline-worker',
  'pipeline-codec-server',
];

describe('temporal-docker-compose.yml', () => {
  test('has the services of the stack', () => {
    expect(Object.keys(services).sort()).toEqual([...EXPECTED_SERVICES].sort());
  });

  test('every image is pinned to a version, never latest', () => {
    for (const [name, svc] of Object.entries(services)) {
      expect(svc.image, `${name} has an image`).toBeTruthy();
      const image = withDefaults(svc.image!);
      const tag = image.includes('@') ? image.split('@')[1] : image.slice(image.lastIndexOf('/') + 1).split(':')[1];
      expect(tag, `${name}: ${image} has a tag`).toBeTruthy();
      expect(tag, `${name}: ${image}`).not.toBe('latest');
    }
    // The engine's image is built here and tagged with the package version.
    for (const name of ['pipeline-worker', 'pipeline-codec-server']) {
      expect(services[name]!.build, `${name} is built from the Dockerfile`).toBeTruthy();
      expect(services[name]!.image).toBe(`temporal-connector-pipeline:${pkg.version}`);
    }
    expect(services.temporal!.image).toMatch(/^temporalio\/(server|auto-setup):\d+\.\d+\.\d+$/);
    expect(services['temporal-ui']!.image).toMatch(/^temporalio\/ui:\d+\.\d+\.\d+$/);
    expect(services['temporal-admin-tools']!.image).toMatch(/^temporalio\/admin-tools:/);
    expect(services.postgresql!.image).toMatch(/^postgres:\d+/);
  });

  test('publishes the frontend on 7233, the Web UI on 8080 and the codec server on 8888 (codec profile only)', () => {
    expect(ports('temporal')).toContainEqual(expect.objectContaining({ published: '7233', target: '7233' }));
    expect(ports('temporal-ui')).toContainEqual(expect.objectContaining({ published: '8080', target: '8080' }));
    expect(ports('pipeline-codec-server')).toContainEqual(expect.objectContaining({ published: '8888', target: '8888' }));
    expect(services['pipeline-codec-server']!.profiles).toEqual(['codec']);
    // Everything else starts with a plain `up`.
    for (const name of EXPECTED_SERVICES.filter((n) => n !== 'pipeline-codec-server')) expect(services[name]!.profiles, name).toBeUndefined();
  });

  test('starts in order: PostgreSQL healthy, schema done, server healthy, search attributes done, workers', () => {
    expect(services.postgresql!.healthcheck?.test.toString()).toContain('pg_isready');
    expect(services.temporal!.healthcheck).toBeTruthy();
    expect(dependsOn('temporal-admin-tools')).toMatchObject({ postgresql: 'service_healthy' });
    expect(dependsOn('temporal')).toMatchObject({ postgresql: 'service_healthy', 'temporal-admin-tools': 'service_completed_successfully' });
    expect(dependsOn('temporal-create-search-attributes')).toMatchObject({ temporal: 'service_healthy' });
    expect(dependsOn('pipeline-worker')).toMatchObject({
      postgresql: 'service_healthy',
      temporal: 'service_started',
      'temporal-create-search-attributes': 'service_completed_successfully',
    });
    // Every dependency names a service of this file.
    for (const name of Object.keys(services)) for (const dep of Object.keys(dependsOn(name))) expect(services, `${name} -> ${dep}`).toHaveProperty([dep]);
  });

  test('the worker talks to the temporal service and writes to the pipeline database on the postgresql service', () => {
    const e = env('pipeline-worker');
    expect(e.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(e.TEMPORAL_NAMESPACE).toBe('default');
    expect(e.PIPELINE_SINK).toBe('postgres');
    expect(e.PIPELINE_CONNECTION_STORE).toBe('postgres');
    const url = new URL(e.PIPELINE_DATABASE_URL!);
    expect(url.protocol).toMatch(/^postgres(ql)?:$/);
    expect(url.hostname).toBe('postgresql');
    expect(services).toHaveProperty([url.hostname]);
    expect(url.pathname).toBe('/pipeline');
    expect(services['pipeline-worker']!.command).toEqual(['worker']);
    // Optional keys pass through from the host environment and are empty (off) when unset there.
    const raw = services['pipeline-worker']!.environment as Record<string, string>;
    for (const key of ['PIPELINE_CODEC_KEYS', 'PIPELINE_SECRETS_KEYS']) expect(raw[key], key).toBe(`\${${key}:-}`);
    expect(services['pipeline-worker']!.restart).toBe('unless-stopped');
  });

  test('the init script creates the database and role of the worker URL', () => {
    const url = new URL(env('pipeline-worker').PIPELINE_DATABASE_URL!);
    const initDir = mounts('postgresql').find((m) => m.target === '/docker-entrypoint-initdb.d');
    expect(initDir, 'deploy/postgres is mounted as the init folder').toBeTruthy();
    expect(initDir!.source).toMatch(/^\.\/deploy\/postgres\/?$/);
    const scripts = readdirSync(join(root, initDir!.source)).filter((f) => /\.(sh|sql)$/.test(f));
    const text = scripts.map((f) => readFileSync(join(root, initDir!.source, f), 'utf8')).join('\n');
    expect(text).toMatch(new RegExp(`CREATE ROLE ${url.username}\\b`));
    expect(text).toMatch(new RegExp(`CREATE DATABASE ${url.pathname.slice(1)} OWNER ${url.username}\\b`));
    // The password the role gets is the one in the URL.
    expect(env('postgresql').PIPELINE_DB_PASSWORD).toBe(decodeURIComponent(url.password));
  });

  test('the worker scales: no container_name, no published port', () => {
    expect(services['pipeline-worker']!.container_name).toBeUndefined();
    expect(services['pipeline-worker']!.ports).toBeUndefined();
  });

  test('the search attribute job creates exactly the attributes the code defines', () => {
    const declared = env('temporal-create-search-attributes')
      .SEARCH_ATTRIBUTES!.split(/\s+/)
      .filter(Boolean)
      .map((pair) => pair.split('='));
    const fromCode = SEARCH_ATTRIBUTE_KEYS.map((k) => [k.name, k.type]);
    expect(declared.map(([name]) => name).sort()).toEqual(fromCode.map(([name]) => name).sort());
    // The code's KEYWORD is the CLI's Keyword.
    for (const [name, type] of declared) {
      expect(type?.toUpperCase(), name).toBe(fromCode.find(([n]) => n === name)?.[1]);
    }

    const job = services['temporal-create-search-attributes']!;
    expect(job.image).toMatch(/^temporalio\/admin-tools:/);
    expect(env('temporal-create-search-attributes').TEMPORAL_ADDRESS).toBe('temporal:7233');
    const script = argv(job.command).find((a) => a.endsWith('.sh'));
    const hostScript = script && hostPathOf('temporal-create-search-attributes', script);
    expect(hostScript && existsSync(hostScript), `${script} comes from a file in deploy/`).toBe(true);
    const text = readFileSync(hostScript!, 'utf8');
    expect(text).toContain('temporal operator search-attribute create');
    expect(text).toMatch(/--name "\$name" --type "\$type"/);
    expect(text).toContain('$SEARCH_ATTRIBUTES');
    expect(text, 'an attribute that exists already is not a failure').toMatch(/already exists/);
  });

  test('the server reads a dynamic config with the same task-reader settings as the dev server', () => {
    const path = env('temporal').DYNAMIC_CONFIG_FILE_PATH!;
    expect(path).toBeTruthy();
    // Relative paths are relative to the image's /etc/temporal.
    const inContainer = path.startsWith('/') ? path : posix.join('/etc/temporal', path);
    const host = hostPathOf('temporal', inContainer);
    expect(host, `${inContainer} is mounted from the project`).toBe(join(root, 'deploy/temporal/dynamicconfig.yaml'));
    expect(existsSync(host!)).toBe(true);

    const config = parse(readFileSync(host!, 'utf8')) as Record<string, { value: unknown; constraints?: unknown }[]>;
    const keys = ['history.transferProcessorMaxPollRPS', 'history.timerProcessorMaxPollRPS', 'history.visibilityProcessorMaxPollRPS', 'matching.numTaskqueueReadPartitions', 'matching.numTaskqueueWritePartitions', 'matching.useNewMatcher', 'matching.enableFairness'];
    expect(Object.keys(PIPELINE_DYNAMIC_CONFIG).sort()).toEqual([...keys].sort());
    for (const [key, value] of Object.entries(PIPELINE_DYNAMIC_CONFIG)) {
      expect(config[key], key).toEqual([{ value, constraints: {} }]);
    }
    // Every entry has the file format's shape: a list of { value, constraints }.
    for (const [key, entries] of Object.entries(config)) {
      expect(Array.isArray(entries), key).toBe(true);
      for (const entry of entries) expect(entry, key).toHaveProperty('value');
    }
  });

  test('the Web UI points at the server and, when asked, at the codec server', () => {
    const e = env('temporal-ui');
    expect(e.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(e.TEMPORAL_CORS_ORIGINS?.split(',')).toContain('http://localhost:8080');
    expect(e).toHaveProperty('TEMPORAL_CODEC_ENDPOINT');
    // The codec server lets in the origin the UI is published on.
    const cmd = argv(services['pipeline-codec-server']!.command);
    expect(cmd.slice(0, 1)).toEqual(['codec-server']);
    expect(cmd[cmd.indexOf('--origin') + 1]).toBe(`http://localhost:${ports('temporal-ui')[0]!.published}`);
    expect(cmd[cmd.indexOf('--port') + 1]).toBe(ports('pipeline-codec-server')[0]!.target);
    // Listening on the container's loopback only, the published port would reach nothing.
    expect(cmd[cmd.indexOf('--host') + 1]).toBe('0.0.0.0');
    // ...so the host side is what keeps this decryption endpoint off the network.
    expect(ports('pipeline-codec-server')[0]!.hostIp).toBe('127.0.0.1');
    expect((services['pipeline-codec-server']!.environment as Record<string, string>).PIPELINE_CODEC_KEYS).toBe('${PIPELINE_CODEC_KEYS:-}');
  });

  test('every named volume is declared and every bind-mounted file exists', () => {
    const declared = Object.keys(compose.volumes ?? {});
    expect(declared).toContain('postgresql-data');
    expect(mounts('postgresql')).toContainEqual({ source: 'postgresql-data', target: '/var/lib/postgresql/data', bind: false });
    for (const name of Object.keys(services)) {
      for (const m of mounts(name)) {
        if (m.bind) expect(existsSync(join(root, m.source)), `${name}: ${m.source}`).toBe(true);
        else expect(declared, `${name}: volume ${m.source}`).toContain(m.source);
      }
      // Scripts a job runs come from its mounts.
      for (const a of argv(services[name]!.command).filter((x) => x.startsWith('/scripts/'))) {
        const host = hostPathOf(name, a);
        expect(host && existsSync(host), `${name}: ${a}`).toBe(true);
      }
    }
  });

  test('the shell scripts parse', () => {
    const scripts = ['deploy/temporal', 'deploy/postgres'].flatMap((d) =>
      readdirSync(join(root, d)).filter((f) => f.endsWith('.sh')).map((f) => join(root, d, f)),
    );
    expect(scripts.length).toBeGreaterThanOrEqual(3);
    for (const s of scripts) {
      const r = spawnSync('sh', ['-n', s], { encoding: 'utf8' });
      expect(r.status, `${s}: ${r.stderr}`).toBe(0);
      expect(readFileSync(s, 'utf8').startsWith('#!/bin/sh'), s).toBe(true);
    }
  });

  test('docker compose accepts the file (`docker compose config -q`)', (ctx) => {
    const version = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
    if (version.error || version.status !== 0) {
      const why = version.error ? version.error.message : (version.stderr || version.stdout).trim().split('\n')[0];
      ctx.skip(`docker compose plugin not available here (${why}); the file is checked by parsing only`);
    }
    const r = spawnSync('docker', ['compose', '-f', COMPOSE_FILE, 'config', '-q'], { encoding: 'utf8', cwd: root });
    expect(r.status, r.stderr).toBe(0);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  // Instructions with their continuation lines joined, comments dropped.
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const args = (keyword: string) => instructions.filter((l) => l.toUpperCase().startsWith(`${keyword} `)).map((l) => l.slice(keyword.length + 1).trim());

  test('runs the pipeline bin, `worker` by default', () => {
    // Exec form (JSON), so that signals reach node and the worker shuts down cleanly.
    expect(args('ENTRYPOINT').map((a) => JSON.parse(a) as unknown)).toEqual([['node', pkg.bin.pipeline]]);
    expect(pkg.bin.pipeline).toBe('bin/pipeline.mjs');
    expect(args('CMD').map((a) => JSON.parse(a) as unknown)).toEqual([['worker']]);
  });

  test('builds on a pinned Debian Node 20 image and runs as a non-root user', () => {
    const bases = args('FROM').map((a) => a.split(/\s+/)[0]);
    expect(bases.length).toBeGreaterThan(0);
    for (const b of bases) expect(b).toBe('node:20-bookworm-slim');
    const users = args('USER');
    expect(users.at(-1)).toBeTruthy();
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
  });

  test('copies files that exist', () => {
    const copies = args('COPY').filter((a) => !a.startsWith('--from'));
    expect(copies.length).toBeGreaterThan(0);
    const sources = copies.flatMap((a) => a.split(/\s+/).slice(0, -1));
    for (const s of sources) {
      if (s.includes('*')) {
        const re = new RegExp(`^${s.replace(/\./g, '\\.').replace(/\*/g, '.*')}$`);
        expect(readdirSync(root).some((f) => re.test(f)), s).toBe(true);
      } else {
        expect(existsSync(join(root, s)), s).toBe(true);
      }
    }
    // What the worker needs at run time.
    for (const needed of ['src/', 'workflows/', 'activities/', 'bin/', 'tsconfig.json']) expect(sources, needed).toContain(needed);
    expect(sources.some((s) => s === 'package*.json' || s === 'package.json')).toBe(true);
    // Nothing copied is excluded by .dockerignore.
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const s of sources) expect(ignored, s).not.toContain(s.replace(/\/$/, ''));
  });

  test('installs production dependencies with the install-script decisions of package.json', () => {
    const install = args('RUN').find((r) => r.includes('npm ci'));
    expect(install).toBeTruthy();
    expect(install).toContain('--omit=dev');
    // --ignore-scripts is the same as allowScripts only while allowScripts denies every package of
    // the lockfile that has an install script.
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { hasInstallScript?: boolean; dev?: boolean }> };
    const withScripts = Object.entries(lock.packages)
      .filter(([path, p]) => path && p.hasInstallScript)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    if (install!.includes('--ignore-scripts')) {
      for (const name of withScripts) expect(pkg.allowScripts?.[name], `allowScripts.${name}`).toBe(false);
    } else {
      for (const name of withScripts) expect(pkg.allowScripts, `allowScripts decides ${name}`).toHaveProperty([name]);
    }
  });

  test('tsx and every package the runtime code imports are in a production install', () => {
    expect(pkg.dependencies).toHaveProperty(['tsx']);
    expect(pkg.devDependencies ?? {}).not.toHaveProperty(['tsx']);
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { dev?: boolean }> };
    const builtins = new Set(builtinModules);
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const f of readdirSync(dir)) {
        const p = join(dir, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.(ts|mts|mjs|js)$/.test(f)) files.push(p);
      }
    };
    for (const d of ['src', 'workflows', 'activities', 'bin']) walk(join(root, d));
    const imported = new Set<string>();
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      const specs = [
        ...text.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]/gm), // import … from 'x', export … from 'x'
        ...text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm), // import 'x'
        ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g), // await import('x')
      ].map((m) => m[1]!);
      for (const spec of specs) {
        if (spec.startsWith('.') || spec.startsWith('node:') || builtins.has(spec.split('/')[0]!)) continue;
        imported.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
      }
    }
    expect(imported.size).toBeGreaterThan(5);
    for (const name of imported) {
      const entry = lock.packages[`node_modules/${name}`];
      expect(entry, `${name} is installed`).toBeTruthy();
      expect(entry?.dev, `${name} is not dev-only (npm ci --omit=dev would leave it out)`).not.toBe(true);
    }
  });

  test('.dockerignore keeps local state and dependencies out of the build context', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim().replace(/\/$/, ''));
    for (const entry of ['node_modules', '.tools', '.pipeline', '.git', 'bench/results', 'coverage']) expect(ignored, entry).toContain(entry);
  });
});
