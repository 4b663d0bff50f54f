// What most commands need: settings, the connection store, and (lazily) a Temporal client.
import type { Client } from '@temporalio/client';
import { createConnectionStore } from '../connections/index.js';
import type { ConnectionStore } from '../connections/types.js';
import { loadSettings, type Settings } from '../settings.js';
import { connectClient } from '../temporal/client.js';
import { dataConverterFromEnv } from '../temporal/codec.js';
import { CliError } from './output.js';

export interface CliContext {
  settings: Settings;
  store: ConnectionStore;
  client(): Promise<Client>;
  close(): Promise<void>;
}

export function cliContext(): CliContext {
  const settings = loadSettings();
  const store = createConnectionStore(settings);
  let client: Client | undefined;
  return {
    settings,
    store,
    async client() {
      if (client) return client;
      const dataConverter = dataConverterFromEnv(); // a bad key setting is its own error, not "cannot reach"
      try {
        client = await connectClient(settings, dataConverter);
      } catch (err) {
        throw new CliError(`Cannot reach Temporal at ${settings.temporalAddress}: ${(err as Error).message}. Start one with \`pipeline dev\` or set TEMPORAL_ADDRESS.`);
      }
      return client;
    },
    async close() {
      await client?.connection.close();
      await store.close?.();
    },
  };
}

/** Runs a command body with a context, closing its connections whatever happens. */
export async function withContext<T>(fn: (ctx: CliContext) => Promise<T>): Promise<T> {
  const ctx = cliContext();
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}
