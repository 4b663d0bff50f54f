// Kill-point soak (issue: hardening). Syncs 10,000 records of each sandbox source (Shopify orders,
// Stripe charges, Mailchimp members) through a real `pipeline worker` process that is SIGKILLed at
// 20 or more random moments per source and started again, while the data changes between and during
// the runs (a full sync, then incremental runs), on a Temporal dev server of its own with the shipped
// policies. Then compares the sink with the sandbox and prints, per source: records lost, duplicated
// and stale, the watermark check, kills, wall time and how long each kill stalled the sync (from the
// histories). Exits 1 when anything is lost, duplicated or stale, a watermark is wrong or a run failed.
// How the moments are chosen and what is checked: test/helpers/soak.ts.
//
//   npm run soak -- [--seed N] [--records 10000] [--kills 20] [--full-sync-kills 10] [--latency 40]
//                   [--page-size 100] [--sources shopify,stripe,mailchimp] [--per-kill] [--keep]
//                   [--same-second-changes] [--timeout-min 60]
//
// --per-kill prints, for every kill, what was in flight in each sync it hit (from history) and how
// long that sync stalled. --same-second-changes changes records twice within one second, which a
// reader of whole-second change times cannot order (Stripe's event feed then keeps the older one).
//
// --seed reproduces a run's choices (which source each kill aims at, after how many requests and
// milliseconds, which records change); the moments they land on depend on the machine's timing.
import { randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { startDevServer } from '../src/temporal/dev-server.js';
import { formatSoakReport, runSoak, SOAK_SOURCES, type SoakSource } from '../test/helpers/soak.js';

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string' },
    records: { type: 'string', default: '10000' },
    kills: { type: 'string', default: '20' },
    'full-sync-kills': { type: 'string' },
    latency: { type: 'string', default: '40' },
    'page-size': { type: 'string', default: '100' },
    sources: { type: 'string', default: SOAK_SOURCES.join(',') },
    'timeout-min': { type: 'string', default: '60' },
    'per-kill': { type: 'boolean', default: false },
    'same-second-changes': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});

function int(name: string, value: string | undefined, min = 0): number {
  const v = Number(value);
  if (!Number.isInteger(v) || v < min) {
    process.stderr.write(`soak: --${name} must be a whole number ≥ ${min}, not "${value}"\n`);
    process.exit(2);
  }
  return v;
}

const seed = args.seed !== undefined ? int('seed', args.seed) : randomInt(1, 2 ** 31 - 1);
const sources = args.sources.split(',').map((s) => s.trim()).filter(Boolean) as SoakSource[];
for (const s of sources) {
  if (!SOAK_SOURCES.includes(s)) {
    process.stderr.write(`soak: unknown source "${s}" (sources: ${SOAK_SOURCES.join(', ')})\n`);
    process.exit(2);
  }
}
process.stdout.write(`soak: seed ${seed} (reproduce the choices with --seed ${seed})\n`);

const home = await mkdtemp(join(tmpdir(), 'pipeline-soak-'));
const server = await startDevServer({ headless: true, dbFile: join(home, 'temporal.sqlite') });
const connection = await Connection.connect({ address: server.address });
const client = new Client({ connection, namespace: server.namespace });
let exitCode = 1;
try {
  const report = await runSoak({
    address: server.address,
    namespace: server.namespace,
    client,
    namePrefix: 'soak-',
    home: join(home, 'pipeline'),
    seed,
    records: int('records', args.records, 1),
    kills: int('kills', args.kills),
    ...(args['full-sync-kills'] !== undefined ? { fullSyncKills: int('full-sync-kills', args['full-sync-kills']) } : {}),
    latencyMs: int('latency', args.latency),
    pageSize: int('page-size', args['page-size'], 1),
    sources,
    timeoutMs: int('timeout-min', args['timeout-min'], 1) * 60_000,
    sameSecondChanges: args['same-second-changes'],
    log: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(`${formatSoakReport(report, { perKill: args['per-kill'] })}\n`);
  if (!report.ok) process.stdout.write(`(worker log: ${join(home, 'pipeline', 'worker.log')}; seed ${seed})\n`);
  exitCode = report.ok ? 0 : 1;
} finally {
  await connection.close();
  await server.stop();
  if (!args.keep && exitCode === 0) await rm(home, { recursive: true, force: true });
  else process.stdout.write(`soak: files kept in ${home}\n`);
}
process.exit(exitCode);
