// Where the engine keeps its local state, from the environment. One place, so the CLI, the worker and
// the tests agree. Everything defaults to ./.pipeline in the current directory.
import { join, resolve } from 'node:path';
import type { PolicyOverrides } from './policies/activity-options.js';

export interface Settings {
  /** Root of local state: connections file, JSONL data, dev-server database. */
  home: string;
  dataDir: string;
  connectionsFile: string;
  temporalAddress: string;
  namespace: string;
  sink: 'jsonl' | 'postgres';
  namePrefix: string;
  /**
   * Policy overrides of this deployment, by connector id or '*' (PIPELINE_POLICY_OVERRIDES, JSON),
   * e.g. {"shopify":{"rate":{"requestsPerSecond":4}}} for a Shopify Advanced plan.
   */
  policyOverrides: Record<string, PolicyOverrides> | undefined;
}

export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const home = resolve(env.PIPELINE_HOME ?? '.pipeline');
  const sink = env.PIPELINE_SINK ?? 'jsonl';
  if (sink !== 'jsonl' && sink !== 'postgres') throw new Error(`PIPELINE_SINK must be jsonl or postgres, not "${sink}"`);
  return {
    home,
    dataDir: resolve(env.PIPELINE_DATA_DIR ?? join(home, 'data')),
    connectionsFile: resolve(env.PIPELINE_CONNECTIONS_FILE ?? join(home, 'connections.json')),
    temporalAddress: env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    namespace: env.TEMPORAL_NAMESPACE ?? 'default',
    sink,
    namePrefix: env.PIPELINE_NAME_PREFIX ?? '',
    policyOverrides: parseOverrides(env.PIPELINE_POLICY_OVERRIDES),
  };
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
