// One real Temporal dev server (the `temporal` CLI from scripts/ensure-temporal.mjs) for every
// workflow and end-to-end test of the run. Test files isolate themselves with task-queue prefixes.
import type { TestProject } from 'vitest/node';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server.js';

let server: DevServer | undefined;

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
  }
}

export async function setup(project: TestProject): Promise<void> {
  server = await startDevServer({ headless: true, startTimeoutMs: 90_000 });
  project.provide('temporalAddress', server.address);
  project.provide('temporalNamespace', server.namespace);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
