// Executor tests run against undici's MockAgent installed as the global dispatcher: every request
// the executors make goes through core/http.ts's undici `request`, so nothing reaches the network.
import { MockAgent, getGlobalDispatcher, setGlobalDispatcher, type Dispatcher } from 'undici';
import { afterEach, beforeEach } from 'vitest';

export const JSON_HEADERS = { 'content-type': 'application/json' } as const;

/** One request as the executor sent it (matched by an interceptor or not). */
export interface SentRequest {
  method: string;
  url: URL;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** The request body as sent (null/undefined when there was none). */
  body: string | null | undefined;
}

export interface MockAgentHandle {
  /** This test's agent (a fresh one per test, network disabled). */
  readonly agent: MockAgent;
  /** Every request dispatched in this test, in order, including ones no interceptor matched. */
  sent(): SentRequest[];
  /** For a test that leaves interceptors unused on purpose. */
  allowPendingInterceptors(): void;
}

function normalizeHeaders(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(raw)) {
    for (let i = 0; i + 1 < raw.length; i += 2) out[String(raw[i]).toLowerCase()] = String(raw[i + 1]);
  } else if (raw && typeof raw === 'object') {
    for (const [k, v] of Object.entries(raw)) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

/**
 * Registers beforeEach/afterEach: a fresh MockAgent with net connect disabled and call history on,
 * installed globally; afterwards the previous dispatcher is restored and, unless the test opted
 * out, every interceptor it declared must have been used.
 */
export function useMockAgent(): MockAgentHandle {
  let agent: MockAgent | undefined;
  let previous: Dispatcher | undefined;
  let checkPending = true;

  beforeEach(() => {
    previous = getGlobalDispatcher();
    agent = new MockAgent({ enableCallHistory: true });
    agent.disableNetConnect();
    setGlobalDispatcher(agent);
    checkPending = true;
  });

  afterEach(async () => {
    const current = agent;
    agent = undefined;
    try {
      if (current && checkPending) current.assertNoPendingInterceptors();
    } finally {
      if (previous) setGlobalDispatcher(previous);
      await current?.close();
    }
  });

  return {
    get agent() {
      if (!agent) throw new Error('useMockAgent: the agent exists only inside a test');
      return agent;
    },
    sent() {
      const calls = agent?.getCallHistory()?.calls() ?? [];
      return calls.map((c) => ({ method: c.method, url: new URL(c.fullUrl), headers: normalizeHeaders(c.headers), body: c.body }));
    },
    allowPendingInterceptors() {
      checkPending = false;
    },
  };
}

/** An interceptor path matcher on the path alone, whatever the query string. */
export function pathIs(pathname: string): (path: string) => boolean {
  return (path) => path.split('?')[0] === pathname;
}

/** The query of a sent request as [key, value] pairs, in order, repeated keys kept. */
export function queryPairs(url: URL): [string, string][] {
  return [...url.searchParams.entries()];
}
