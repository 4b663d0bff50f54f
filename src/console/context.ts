// What the console's API works with: the same settings, connection store and Temporal client as the
// CLI (src/cli/context.ts builds them for `pipeline console`; the dev stack passes its own), and the
// shape of a route.
import type { Client } from '@temporalio/client';
import type { z } from 'zod';
import type { ConnectionRecord, ConnectionStore } from '../connections/types.js';
import type { Settings } from '../settings.js';
import { workflowUrl } from '../temporal/web-ui.js';
import { RequestError } from './security.js';

export interface ConsoleDeps {
  settings: Settings;
  store: ConnectionStore;
  /** The Temporal client; rejects when the server cannot be reached (the page then says so). */
  client(): Promise<Client>;
  /** The Temporal Web UI's base URL, for links to runs; null when there is none to link to. */
  uiUrl: string | null;
  /** Sandbox mode (PIPELINE_SANDBOX=1): the form offers the emulator base URL of a connection. */
  sandbox: boolean;
}

export interface RequestContext {
  deps: ConsoleDeps;
  /** The route's captured path segments. */
  params: string[];
  query: URLSearchParams;
  /** The request body, validated (see security.ts readJsonBody). */
  body<T>(schema: z.ZodType<T>): Promise<T>;
  /**
   * Secrets this request carries (inline values typed into the form): never echoed, redacted from
   * error messages, and a response containing one is withheld.
   */
  secrets: string[];
}

export interface Route {
  method: 'GET' | 'POST';
  path: RegExp;
  handle(ctx: RequestContext): Promise<unknown>;
}

/** A JSON answer with a status other than 200. */
export class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

/** The Temporal client, or a 503 the page shows as "Temporal is not reachable". */
export async function temporal(deps: ConsoleDeps): Promise<Client> {
  try {
    return await deps.client();
  } catch (err) {
    throw new RequestError(503, 'temporal_unavailable', (err as Error).message);
  }
}

/**
 * A client connected on first use and kept; a failed attempt is remembered for a few seconds, so a
 * page polling while Temporal is down gets its answer at once instead of a connect timeout each time.
 */
export function lazyClient(connect: () => Promise<Client>, retryAfterMs = 5_000): () => Promise<Client> {
  let client: Promise<Client> | null = null;
  let failedAt = 0;
  return () => {
    if (client && failedAt && Date.now() - failedAt > retryAfterMs) client = null;
    if (!client) {
      failedAt = 0;
      client = connect();
      client.catch(() => (failedAt = Date.now()));
    }
    return client;
  };
}

/** The connection, or a 404. */
export async function requireConnection(deps: ConsoleDeps, id: string): Promise<ConnectionRecord> {
  const record = await deps.store.get(id);
  if (!record) throw new RequestError(404, 'not_found', `No connection "${id}"`);
  return record;
}

/** The Web UI page of a run, when there is a Web UI to link to. */
export function runLink(deps: ConsoleDeps, workflowId: string, runId?: string): string | null {
  return deps.uiUrl ? workflowUrl(deps.uiUrl, deps.settings.namespace, workflowId, runId) : null;
}

/** Path segment patterns: a connection or pipeline id (CONNECTION_ID_PATTERN), a connector id. */
export const CONNECTION_ID = '([a-z0-9][a-z0-9_-]{0,62})';
export const CONNECTOR_ID = '([a-z0-9_-]{1,64})';
