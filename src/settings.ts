// Where the engine keeps its local state, from the environment. One place, so the CLI, the worker and
// the tests agree. Everything defaults to ./.pipeline in the current directory.
import { join, resolve } from 'node:path';
import type { PolicyOverrides } from './policies/activity-options.js';
import type { RateModeSetting } from './temporal/queue-config.js';

export interface Settings {
  /** Root of local state: connections file, JSONL data, dev-server database. */
  home: string;
  dataDir: string;
  connectionsFile: string;
  temporalAddress: string;
  namespace: string;
  sink: 'jsonl' | 'postgres';
  /** Where connection configs live: the connections file (default) or PostgreSQL. */
  connectionStore: 'file' | 'postgres';
  /**
   * PostgreSQL for the postgres sink and store (PIPELINE_DATABASE_URL, else DATABASE_URL). It may
   * hold a password: print it only through describeConnectionString (src/core/postgres.ts).
   */
  databaseUrl: string | undefined;
  /** Schema of the pipeline's tables (PIPELINE_DATABASE_SCHEMA, default "pipeline"). */
  databaseSchema: string;
  namePrefix: string;
  /**
   * Policy overrides of this deployment, by connector id or '*' (PIPELINE_POLICY_OVERRIDES, JSON),
   * e.g. {"shopify":{"rate":{"requestsPerSecond":4}}} for a Shopify Advanced plan.
   */
  policyOverrides: Record<string, PolicyOverrides> | undefined;
  /** PIPELINE_RATE_MODE: per-key (task-queue fairness), per-connector, or auto (default). */
  rateMode: RateModeSetting;
  /** PIPELINE_METRICS_PORT: where a worker serves Prometheus metrics (0: any free port); unset: none (src/metrics). */
  metricsPort: number | undefined;
  /** PIPELINE_METRICS_HOST: the metrics endpoint's listening address (default 127.0.0.1). */
  metricsHost: string;
}

export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const home = resolve(env.PIPELINE_HOME ?? '.pipeline');
  const sink = env.PIPELINE_SINK ?? 'jsonl';
  if (sink !== 'jsonl' && sink !== 'postgres') throw new Error(`PIPELINE_SINK must be jsonl or postgres, not "${sink}"`);
  const connectionStore = env.PIPELINE_CONNECTION_STORE ?? 'file';
  if (connectionStore !== 'file' && connectionStore !== 'postgres') {
    throw new Error(`PIPELINE_CONNECTION_STORE must be file or postgres, not "${connectionStore}"`);
  }
  const databaseSchema = env.PIPELINE_DATABASE_SCHEMA || 'pipeline';
  // Interpolated into SQL as an identifier (src/core/postgres.ts checks again): plain names only.
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(databaseSchema)) {
    throw new Error(`PIPELINE_DATABASE_SCHEMA must be a plain identifier (letters, digits, "_"), not "${databaseSchema}"`);
  }
  return {
    home,
    dataDir: resolve(env.PIPELINE_DATA_DIR ?? join(home, 'data')),
    connectionsFile: resolve(env.PIPELINE_CONNECTIONS_FILE ?? join(home, 'connections.json')),
    temporalAddress: env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    namespace: env.TEMPORAL_NAMESPACE ?? 'default',
    sink,
    connectionStore,
    databaseUrl: env.PIPELINE_DATABASE_URL || env.DATABASE_URL || undefined,
    databaseSchema,
    namePrefix: env.PIPELINE_NAME_PREFIX ?? '',
    policyOverrides: parseOverrides(env.PIPELINE_POLICY_OVERRIDES),
    rateMode: parseRateMode(env.PIPELINE_RATE_MODE),
    metricsPort: parsePort(env.PIPELINE_METRICS_PORT),
    metricsHost: env.PIPELINE_METRICS_HOST || '127.0.0.1',
  };
}

function parsePort(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new Error(`PIPELINE_METRICS_PORT must be a port number (0 for any free port), not "${text}"`);
  return n;
}

function parseOverrides(text: string | undefined): Record<string, PolicyOverrides> | undefined {
  if (!text) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('PIPELINE_POLICY_OVERRIDES is not valid JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error('PIPELINE_POLICY_OVERRIDES must be a JSON object keyed by connector id or "*"');
  }
  return parsed as Record<string, PolicyOverrides>;
}

function parseRateMode(text: string | undefined): RateModeSetting {
  const v = (text ?? 'auto').trim();
  if (v === '' || v === 'auto') return 'auto';
  if (v === 'per-key' || v === 'per-connector') return v;
  throw new Error(`PIPELINE_RATE_MODE must be auto, per-key or per-connector, not "${v}"`);
}
