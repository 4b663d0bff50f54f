import { MockAgent, setGlobalDispatcher, getGlobalDispatcher } from 'undici';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { shopifyExecutor } from '../../../src/executors/shopify.js';

let agent: MockAgent;
const prev = getGlobalDispatcher();
beforeEach(() => { agent = new MockAgent(); agent.disableNetConnect(); setGlobalDispatcher(agent); });
afterEach(async () => { setGlobalDispatcher(prev); await agent.close(); });
const cfg = { shopDomain: 'demo.myshopify.com', accessToken: 'shpat_secret_token_1234' };

test('smoke page', async () => {
  agent.get('https://demo.myshopify.com').intercept({ path: (p) => p.startsWith('/admin/api/2025-07/orders.json'), method: 'GET' })
    .reply(200, { orders: [{ id: 1, updated_at: '2025-01-01T00:00:00-05:00' }] }, { headers: { 'content-type': 'application/json', link: '<https://demo.myshopify.com/admin/api/2025-07/orders.json?limit=250&page_info=abc>; rel="next"' } });
  const r = await shopifyExecutor.pull!(cfg as never, { stream: 'orders' });
  expect(r.ok).toBe(true);
  expect(r.body?.nextCursor).toBe('abc');
  expect(r.body?.records[0]?.updatedAt).toBe('2025-01-01T05:00:00.000Z');
});
test('timeout', async () => {
  agent.get('https://demo.myshopify.com').intercept({ path: () => true }).reply(200, {}).delay(500);
  const r = await shopifyExecutor.pull!(cfg as never, { stream: 'orders' }, { timeoutMs: 100 });
  expect(r.error?.code).toBe('timeout');
});
test('401 redacts', async () => {
  agent.get('https://demo.myshopify.com').intercept({ path: () => true }).reply(401, { errors: 'bad token shpat_secret_token_1234' }, { headers: { 'content-type': 'application/json' } });
  const r = await shopifyExecutor.pull!(cfg as never, { stream: 'orders' });
  expect(r.error?.code).toBe('unauthorized');
  expect(r.error?.message).not.toContain('shpat_secret');
  console.log(r.error?.message);
});
