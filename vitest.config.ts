import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Workflow and e2e tests share one Temporal dev server started here.
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: run files in a couple of forks; the Temporal tests pace themselves.
    pool: 'forks',
    maxWorkers: 2,
    env: { PIPELINE_SANDBOX: '1' },
  },
});
