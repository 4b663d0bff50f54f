// Plain HTTP against the listening emulators (a private undici Agent, so no test's MockAgent or
// global dispatcher can intercept these calls).
import { Agent, request } from 'undici';
import type { Sandbox } from '../../../src/sandbox/index.js';

export const agent = new Agent({ connections: 64 });

export interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
  // Parsed JSON (tests look into provider bodies freely).
  json: any;
}

export async function call(url: string, init: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: unknown; timeoutMs?: number } = {}): Promise<Answer> {
  const res = await request(url, {
    method: init.method ?? 'GET',
    headers: { ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...(init.headers ?? {}) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    dispatcher: agent,
    ...(init.timeoutMs ? { signal: AbortSignal.timeout(init.timeoutMs) } : {}),
  });
  const text = await res.body.text();
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  let json: unknown = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers, text, json };
}

export const shopifyAuth = (sb: Sandbox) => ({ 'x-shopify-access-token': sb.credentials.shopify.accessToken });
export const stripeAuth = (sb: Sandbox) => ({ authorization: `Bearer ${sb.credentials.stripe.secretKey}` });
export const mailchimpAuth = (sb: Sandbox) => ({ authorization: `Basic ${Buffer.from(`anystring:${sb.credentials.mailchimp.apiKey}`).toString('base64')}` });

/** The URL of a Link header's rel. */
export function linkUrl(link: string | undefined, rel: 'next' | 'previous'): string | null {
  if (!link) return null;
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="([^"]+)"/.exec(part.trim());
    if (m && m[2] === rel) return m[1]!;
  }
  return null;
}

export const isoSec = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** Auth headers for any tenant's credential (the sandbox.credentials.tenants entries). */
export const tokenAuth = (accessToken: string) => ({ 'x-shopify-access-token': accessToken });
export const bearerAuth = (secretKey: string) => ({ authorization: `Bearer ${secretKey}` });
export const basicAuth = (apiKey: string) => ({ authorization: `Basic ${Buffer.from(`anystring:${apiKey}`).toString('base64')}` });

/** Polls `cond` until true; fails after `timeoutMs`. For states the test caused, not for timing. */
export async function waitFor(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Sends `n` requests that the emulator keeps open (they are answered only when aborted): the caller
 * arms the `slow` fault first. Returns a function aborting them all.
 */
export function holdOpen(n: number, url: string, headers: Record<string, string>): () => Promise<void> {
  const controller = new AbortController();
  const pending = Array.from({ length: n }, () =>
    request(url, { headers, dispatcher: agent, signal: controller.signal }).then(
      (res) => res.body.text(),
      () => undefined,
    ),
  );
  return async () => {
    controller.abort();
    await Promise.allSettled(pending);
  };
}

export const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
