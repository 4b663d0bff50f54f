// A connection pinned to a provider API version past its end of support is told so, with the date,
// by `connections add`, `connections test`, `connectors show` and the worker at start; a version the
// provider no longer has is refused with the valid ones. The real `pipeline` binary on the dev server.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { formatVersionWarning, versionWarnings } from '../../src/connections/version-warnings.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { runCli, startCli } from '../helpers/cli.js';
import { startTestWorker, temporalTestContext, type RunningWorker, type TemporalTestContext } from '../helpers/temporal.js';

let ctx: TemporalTestContext;
let sandbox: Sandbox;
let worker: RunningWorker | undefined;
const env = () => ({ VW_SHOP_TOKEN: sandbox.credentials.shopify.accessToken });
const cli = (args: string[]) => runCli(ctx, args, env());

// 2025-07 reached its end of support on 2026-07-01 (shopify.dev versioning: at least 12 months).
const EXPIRED = /connection "old-shop": Shopify Admin API version 2025-07 reached its end of support on 2026-07-01 \(Shopify now answers with the oldest supported version\)\. Move the connection to 2026-10\./;

beforeAll(async () => {
  ctx = await temporalTestContext();
  sandbox = await startSandbox({ seed: 4, sizes: { orders: 20, charges: 10, members: 10 } });
  process.env.VW_SHOP_TOKEN = sandbox.credentials.shopify.accessToken;
  worker = await startTestWorker(ctx, { connectors: ['shopify'] });
});

afterAll(async () => {
  await worker?.stop();
  await sandbox?.close();
  await ctx?.close();
});

describe('an expired API version', () => {
  test('connections add stores it and warns with the date; --json carries the status', async () => {
    const r = await cli(['connections', 'add', 'old-shop', '--connector', 'shopify', '--set', 'shopDomain=vw-shop.myshopify.com',
      '--set', 'accessToken=env:VW_SHOP_TOKEN', '--set', 'apiVersion=2025-07', '--base-url-override', sandbox.shopify.url]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Added old-shop/);
    expect(r.stderr).toMatch(new RegExp(`warning: ${EXPIRED.source}`));

    const fresh = await cli(['connections', 'add', 'new-shop', '--connector', 'shopify', '--set', 'shopDomain=vw-shop.myshopify.com',
      '--set', 'accessToken=env:VW_SHOP_TOKEN', '--base-url-override', sandbox.shopify.url, '--json']);
    expect(fresh.code).toBe(0);
    expect(fresh.stderr).not.toMatch(/warning/);
    const added = JSON.parse(fresh.stdout) as { config: { apiVersion: string }; versionWarning?: unknown };
    expect(added.config.apiVersion).toBe('2026-10');
    expect(added.versionWarning).toBeUndefined();
  });

  test('connections test warns before the check runs', async () => {
    const r = await cli(['connections', 'test', 'old-shop']);
    expect(r.stderr).toMatch(EXPIRED);
    const json = await cli(['connections', 'test', 'old-shop', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ versionWarning: { state: 'expired', date: '2026-07-01', version: '2025-07' } });
  });

  test('connectors show lists the versions with their dates and the connections that need a move', async () => {
    const r = await cli(['connectors', 'show', 'shopify']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/2026-10\s+current\s+supported until 2027-10-01/);
    expect(r.stdout).toMatch(/2025-07\s+expired\s+supported until 2026-07-01/);
    expect(r.stdout).toMatch(EXPIRED);
    expect(r.stdout).not.toMatch(/connection "new-shop"/);
  });

  test('the worker says so at start', async () => {
    const running = startCli(ctx, ['worker', '--connectors', 'shopify'], env());
    try {
      await running.waitFor(EXPIRED, 45_000);
    } finally {
      await running.stop();
    }
    expect(running.stderr()).not.toMatch(/"new-shop"/);
    // The same list as the library gives.
    const warnings = await versionWarnings(ctx.store);
    expect(warnings.map(formatVersionWarning)).toEqual([expect.stringMatching(EXPIRED)]);
  });

  test('a version Shopify never had is refused with the valid ones, and nothing is stored', async () => {
    const r = await cli(['connections', 'add', 'bad-shop', '--connector', 'shopify', '--set', 'shopDomain=vw-shop.myshopify.com',
      '--set', 'accessToken=env:VW_SHOP_TOKEN', '--set', 'apiVersion=2019-04']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/apiVersion: Admin API version \(apiVersion\) must be one of: 2026-10, 2026-07, 2026-04, 2026-01/);
    expect(await ctx.store.get('bad-shop')).toBeNull();
  });
});
