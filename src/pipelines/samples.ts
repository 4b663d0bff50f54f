// Sample records a pipeline's mapping is checked against when it is created or changed: the stream's
// records already in the sink, or a file the user gives, or, for a stream nothing was pulled from
// yet, a few records of the provider's shape made by the local sandbox emulator of that provider
// (src/sandbox: the same fields and formats the real API answers with).
import { readFile } from 'node:fs/promises';
import type { SourceRecord } from '../core/envelope.js';
import { getExecutor } from '../executors/index.js';
import { startSandbox } from '../sandbox/index.js';
import type { Sink } from '../sinks/types.js';

export interface Samples {
  records: SourceRecord[];
  /** Where they came from, for the message ("5 stored records", "3 example records of the Stripe sandbox"). */
  origin: 'stored' | 'file' | 'sandbox' | 'none';
}

const SAMPLE_SIZE = 20;

export async function storedSamples(sink: Sink, connectionId: string, stream: string, n = SAMPLE_SIZE): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for (const r of (await sink.readAll({ connectionId, stream })).values()) {
    out.push({ id: r.id, updatedAt: r.updatedAt, data: r.data });
    if (out.length >= n) break;
  }
  return out;
}

/** A JSON file of records: an array of provider records, or of {id, updatedAt, data}. */
export async function fileSamples(path: string): Promise<SourceRecord[]> {
  const parsed = JSON.parse(await readFile(path, 'utf8')) as unknown;
  const list = Array.isArray(parsed) ? parsed : [parsed];
  return list.map((r, i) => {
    const rec = r as Record<string, unknown>;
    if (rec && typeof rec === 'object' && 'data' in rec && typeof rec.data === 'object') {
      return { id: String(rec.id ?? i + 1), updatedAt: typeof rec.updatedAt === 'string' ? rec.updatedAt : '', data: rec.data as Record<string, unknown> };
    }
    return { id: String(rec?.id ?? i + 1), updatedAt: '', data: rec };
  });
}

/** A few records from the provider's sandbox emulator (Shopify orders, Stripe charges, Mailchimp members). */
export async function sandboxSamples(connectorId: string, stream: string, n = 5): Promise<SourceRecord[]> {
  if (!['shopify', 'stripe', 'mailchimp'].includes(connectorId)) return [];
  const sandbox = await startSandbox({ seed: 42, sizes: { orders: n, charges: n, members: n } });
  // Sandbox mode only for these calls (base-URL overrides to the loopback emulator).
  const previous = process.env.PIPELINE_SANDBOX;
  process.env.PIPELINE_SANDBOX = '1';
  try {
    const c = sandbox.credentials;
    const configs: Record<string, { url: string; config: Record<string, unknown> }> = {
      shopify: { url: sandbox.shopify.url, config: { shopDomain: c.shopify.shopDomain, accessToken: c.shopify.accessToken } },
      stripe: { url: sandbox.stripe.url, config: { secretKey: c.stripe.secretKey } },
      mailchimp: { url: sandbox.mailchimp.url, config: { apiKey: c.mailchimp.apiKey, listId: c.mailchimp.listId } },
    };
    const target = configs[connectorId]!;
    const res = await getExecutor(connectorId).pull!(target.config, { stream, cursor: null, since: null, until: new Date().toISOString(), pageSize: n }, { baseUrlOverride: target.url, timeoutMs: 10_000 });
    return res.ok && res.body ? res.body.records.slice(0, n) : [];
  } finally {
    if (previous === undefined) delete process.env.PIPELINE_SANDBOX;
    else process.env.PIPELINE_SANDBOX = previous;
    await sandbox.close();
  }
}
