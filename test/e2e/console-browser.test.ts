// The web console in headless Chromium (Debian's `chromium`, driven by playwright-core with its
// executable path: no browser download), against the shared Temporal test server, a real worker and
// the Shopify sandbox, as a new user would go: the connectors page; a Shopify connection registered
// through the form rendered from formSpec, with one refused submit whose error shows next to its
// field; its test; a sync followed to the end; its schedule created, paused and resumed; the run in
// Temporal's visibility. Screenshots land in test-output/console/.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startConsole, type ConsoleServer } from '../../src/console/server.js';
import { connectorRegistry, formSpec } from '../../src/registry/index.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { loadSettings } from '../../src/settings.js';
import { syncWorkflowId } from '../../src/temporal/client.js';
import { scheduleId } from '../../src/temporal/schedules.js';
import { startTestWorker, temporalTestContext, type RunningWorker, type TemporalTestContext } from '../helpers/temporal.js';

// PIPELINE_CHROMIUM, else Debian's chromium (what .ci/run installs) wherever PATH has it.
const onPath = (process.env.PATH ?? '').split(delimiter).filter(Boolean).flatMap((dir) => [join(dir, 'chromium'), join(dir, 'chromium-browser')]);
const CANDIDATES = [process.env.PIPELINE_CHROMIUM, '/usr/bin/chromium', ...onPath].filter((p): p is string => Boolean(p));
const CHROMIUM = CANDIDATES.find((p) => existsSync(p));
if (!CHROMIUM) {
  process.stderr.write(`console-browser.test.ts: SKIPPED: no Chromium found (looked at $PIPELINE_CHROMIUM, /usr/bin/chromium, and chromium or chromium-browser on PATH). Install Debian's chromium package (.ci/run does as root) or set PIPELINE_CHROMIUM.\n`);
}

const OUT = fileURLToPath(new URL('../../test-output/console/', import.meta.url));
const UI = 'http://localhost:8233';
const CONNECTION = 'console-shop';
const ORDERS = 600;

describe.skipIf(!CHROMIUM)('the console in headless Chromium', () => {
  let ctx: TemporalTestContext;
  let sandbox: Sandbox;
  let worker: RunningWorker;
  let server: ConsoleServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const savedKeys = process.env.PIPELINE_SECRETS_KEYS;
  const card = () => page.locator(`connection-card[data-connection="${CONNECTION}"]`);

  beforeAll(async () => {
    // The access token is typed inline: stored encrypted by the console, decrypted by the worker.
    process.env.PIPELINE_SECRETS_KEYS = `k1:${randomBytes(32).toString('base64')}`;
    ctx = await temporalTestContext();
    sandbox = await startSandbox({ seed: 31, sizes: { orders: ORDERS, charges: 1, members: 1 } });
    worker = await startTestWorker(ctx, { connectors: ['shopify'], policyOverrides: { '*': { rate: { requestsPerSecond: 200 } } } });
    const settings = { ...loadSettings({ PIPELINE_HOME: ctx.home }), namespace: ctx.namespace, namePrefix: ctx.namePrefix, dataDir: ctx.sink.dataDir, connectionsFile: ctx.store.path, temporalAddress: ctx.address };
    server = await startConsole({ deps: { settings, store: ctx.store, client: async () => ctx.client, uiUrl: UI, sandbox: true }, port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM!, headless: true });
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    // A CSP violation (an inline style or script slipping in) shows up as a console error.
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) pageErrors.push(m.text());
    });
    await mkdir(OUT, { recursive: true });
  });

  afterAll(async () => {
    await ctx?.client.schedule.getHandle(scheduleId(CONNECTION, 'orders', ctx.namePrefix)).delete().catch(() => undefined);
    await browser?.close();
    await server?.close();
    await worker?.stop();
    await sandbox?.close();
    await ctx?.close();
    if (savedKeys === undefined) delete process.env.PIPELINE_SECRETS_KEYS;
    else process.env.PIPELINE_SECRETS_KEYS = savedKeys;
  });

  test('the connectors page lists the registry by category, with rate scope and API version', async () => {
    await page.goto(server.url);
    await page.locator('article.connector').first().waitFor();
    expect(await page.locator('article.connector').count()).toBe(22);
    expect(await page.locator('section.category h2').allTextContents()).toEqual(['Messaging', 'CDP / support', 'Commerce source', 'Reverse ETL / data movement']);
    const shopify = page.locator('[data-connector="shopify"]');
    await expect.poll(() => shopify.textContent()).toMatch(/pull: orders/);
    expect(await shopify.textContent()).toMatch(/2\/s per store/);
    expect(await shopify.textContent()).toMatch(/API version\d{4}-\d{2} \(supported until/);
    // The token left the address bar for sessionStorage.
    expect(page.url()).not.toContain('token=');
  });

  test('every connector\'s form, every auth method, renders each declared field as its kind (no per-connector code)', async () => {
    const TAG: Record<string, string> = { text: 'input[type=text]', password: 'input[type=password]', number: 'input[type=number]', select: 'select', textarea: 'textarea' };
    let fields = 0;
    for (const c of Object.values(connectorRegistry)) {
      const spec = formSpec(c.id);
      await page.evaluate(`location.hash = '#/connectors/${c.id}/new'`);
      await page.locator(`connection-form[data-connector="${c.id}"] form`).waitFor();
      for (const method of spec.authMethods) {
        if (spec.authMethods.length > 1) await page.locator(`input[name=authMethod][value="${method.id}"]`).check();
        const form = page.locator('connection-form form');
        for (const f of method.fields) {
          const row = form.locator(`[data-field="${f.key}"]`);
          expect(await row.locator(`${TAG[f.kind]}[name="${f.key}"]`).count(), `${c.id}/${method.id}/${f.key}`).toBe(1);
          expect(await row.locator('label').textContent()).toBe(`${f.label}${f.required ? ' *' : ' (optional)'}`);
          fields++;
        }
        // Only this method's fields are shown (plus the id and the sandbox URL).
        expect(await form.locator('.fields [data-field]').count()).toBe(method.fields.length);
      }
    }
    expect(fields).toBeGreaterThan(90);
    await page.evaluate(`location.hash = '#/connectors'`);
  });

  test('a Shopify connection is registered through the rendered form; a bad shop domain is shown next to its field', async () => {
    await page.locator('[data-connector="shopify"] a', { hasText: 'Add connection' }).click();
    await page.getByLabel('Shop domain').waitFor();
    await page.getByLabel('Connection id').fill(CONNECTION);
    await page.getByLabel('Shop domain').fill('console-shop.example.com');
    await page.getByLabel('Admin API access token').fill(sandbox.credentials.shopify.accessToken);
    await page.getByLabel('Shopify plan').selectOption('plus');
    await page.getByLabel('Sandbox emulator URL').fill(sandbox.shopify.url);
    await page.getByRole('button', { name: 'Save connection' }).click();

    const error = page.locator('[data-field="shopDomain"] .field-error');
    await error.waitFor({ state: 'visible' });
    expect(await error.textContent()).toMatch(/Shop domain must be a <name>\.myshopify\.com domain/);
    expect(await page.getByLabel('Shop domain').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('[data-field="accessToken"] .field-error').isHidden()).toBe(true);
    expect(await page.locator('connection-form').textContent()).not.toMatch(/\bnull\b|\bundefined\b/);
    expect(await ctx.store.get(CONNECTION)).toBeNull();
    await page.screenshot({ path: `${OUT}connection-form.png`, fullPage: true });

    await page.getByLabel('Shop domain').fill(sandbox.credentials.shopify.shopDomain);
    await page.getByRole('button', { name: 'Save connection' }).click();
    await card().waitFor();
    expect(await card().locator('[data-secret="accessToken"]').textContent()).toBe('set (stored encrypted)');
    expect(await page.content()).not.toContain(sandbox.credentials.shopify.accessToken);
    const stored = await ctx.store.get(CONNECTION);
    expect(stored).toMatchObject({ connectorId: 'shopify', baseUrlOverride: sandbox.shopify.url, config: { shopDomain: sandbox.credentials.shopify.shopDomain, plan: 'plus' } });
    expect(String(stored?.config.accessToken)).toMatch(/^enc:v1:/);
  });

  test('Test runs the credential check on the worker and shows status and latency', async () => {
    await card().getByRole('button', { name: 'Test' }).click();
    const result = card().locator('.test-result.ok');
    await result.waitFor({ timeout: 30_000 });
    expect(await result.textContent()).toMatch(/^ok: HTTP 200 in \d+ ms$/);
  });

  test('Sync shows the run to its end', async () => {
    await card().getByRole('button', { name: 'Sync orders' }).click();
    const done = card().locator('.sync-status p.ok');
    await done.waitFor({ timeout: 45_000 });
    expect(await done.textContent()).toMatch(new RegExp(`Last sync completed: ${ORDERS} records in \\d+ pages?`));
  });

  test('a schedule is created (a duration without a unit is refused at its field), paused, resumed and triggered', async () => {
    const id = scheduleId(CONNECTION, 'orders', ctx.namePrefix);
    const every = card().getByLabel('Run every');
    await every.fill('90');
    await card().getByRole('button', { name: 'Create schedule' }).click();
    const error = card().locator('.schedule .field-error');
    await error.waitFor({ state: 'visible' });
    expect(await error.textContent()).toMatch(/Every 90 has no unit\. Did you mean 90s\?/);

    await every.fill('1h');
    await card().getByRole('button', { name: 'Create schedule' }).click();
    await card().locator('.schedule-state[data-state="active"]').waitFor();
    expect(await card().locator('.schedule-state').textContent()).toMatch(/Active · every 1h/);
    expect((await ctx.client.schedule.getHandle(id).describe()).state.paused).toBe(false);

    await card().getByRole('button', { name: 'Pause' }).click();
    await card().locator('.schedule-state[data-state="paused"]').waitFor();
    expect((await ctx.client.schedule.getHandle(id).describe()).state.paused).toBe(true);

    await card().getByRole('button', { name: 'Resume' }).click();
    await card().locator('.schedule-state[data-state="active"]').waitFor();
    expect((await ctx.client.schedule.getHandle(id).describe()).state.paused).toBe(false);

    // Trigger: the scheduled run syncs the stream under its own id; the card follows the new run to its end.
    const status = card().locator('.sync-status');
    const before = await status.getAttribute('data-run-id');
    await card().getByRole('button', { name: 'Trigger now' }).click();
    await expect.poll(() => status.getAttribute('data-run-id'), { timeout: 20_000 }).not.toBe(before);
    await card().locator('.sync-status[data-status="completed"] p.ok').waitFor({ timeout: 20_000 });
    expect((await ctx.client.schedule.getHandle(id).describe()).info.numActionsTaken).toBe(1);
  });

  test('the run is listed with its outcome and a Web UI link, and Temporal\'s visibility has it', async () => {
    const workflowId = syncWorkflowId(CONNECTION, 'orders', ctx.namePrefix);
    const description = await ctx.client.workflow.getHandle(workflowId).describe();
    expect(description.status.name).toBe('COMPLETED');
    const row = card().locator(`tr[data-run-id="${description.runId}"][data-status="completed"]`);
    const scheduled = card().locator('tr[data-kind="scheduled_pull"][data-status="completed"]');
    // Visibility is eventually consistent: reload until the completed run is listed.
    for (let i = 0; i < 20 && !((await row.count()) && (await scheduled.count())); i++) {
      await page.waitForTimeout(500);
      await page.reload();
      await card().locator('.runs').waitFor();
      await page.waitForLoadState('networkidle');
    }
    await row.waitFor();
    await scheduled.waitFor();
    expect(await card().locator(`tr[data-workflow-id="${workflowId}"][data-status="completed"]`).count()).toBe(2); // by hand, and by the schedule
    expect(await row.getByRole('link', { name: 'Web UI' }).getAttribute('href')).toBe(`${UI}/namespaces/${ctx.namespace}/workflows/${encodeURIComponent(workflowId)}/${description.runId}/history`);

    const listed = [];
    for await (const w of ctx.client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) listed.push(w);
    expect(listed.map((w) => [w.runId, w.status.name])).toContainEqual([description.runId, 'COMPLETED']);
    expect(listed[0]?.typedSearchAttributes.get({ name: 'ConnectionId', type: 'KEYWORD' } as never)).toBe(CONNECTION);

    await page.screenshot({ path: `${OUT}connections.png`, fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
