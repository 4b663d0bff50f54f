// Secret-leak scanning: canary secrets, every form in which one could show up in text, an HTTP server
// that answers with failures echoing what it received, and a search that says where a canary was
// found. Used by test/e2e/leak-scan.test.ts.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** The text every alphanumeric canary starts with: also a detector of canaries cut short. */
export const CANARY_MARKER = 'LEAKCANARY';

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Random characters from an alphabet (crypto randomness: canaries must not repeat across runs). */
export function randomChars(length: number, alphabet = ALNUM): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

export interface Canary {
  /** Where it was planted: "<connection>.<field>". */
  label: string;
  value: string;
  /** Distinctive parts to look for besides the whole value (a secret cut short, a PEM line). */
  fragments: string[];
}

/**
 * Standard and URL-safe base64 of `secret` wherever it sits in a longer byte string (the three
 * alignments), trimmed to the characters that depend on the secret's bytes only.
 */
export function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const forms: string[] = [];
  for (let pad = 0; pad < 3; pad++) {
    const enc = Buffer.concat([Buffer.alloc(pad, 0), bytes]).toString('base64');
    const start = Math.ceil((pad * 8) / 6);
    const end = Math.floor(((pad + bytes.length) * 8) / 6);
    const stable = enc.slice(start, end);
    if (stable.length >= 12) forms.push(stable, stable.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return forms;
}

/** Every form in which a canary (or a distinctive part of one) could appear in text. */
export function canaryForms(c: Canary): string[] {
  const forms = new Set<string>();
  for (const s of [c.value, ...c.fragments]) {
    forms.add(s);
    forms.add(encodeURIComponent(s));
    forms.add(new URLSearchParams({ x: s }).toString().slice(2));
    forms.add(JSON.stringify(s).slice(1, -1));
  }
  for (const f of base64Forms(c.value)) forms.add(f);
  return [...forms].filter((f) => f.length >= 8);
}

export interface Hit {
  /** Where: "workflow <id> run <runId> event 12 ActivityTaskFailed", "worker stderr", "CLI `pipeline …` stdout", … */
  where: string;
  canary: string;
  form: string;
  /** The text around the hit. */
  excerpt: string;
}

/** A search over texts for every form of every canary, plus the marker (a canary cut short). */
export class CanaryScanner {
  private readonly forms: { form: string; canary: string }[];
  readonly hits: Hit[] = [];
  /**
   * How much text was searched, per kind of place, and how many of those texts hold the engine's
   * "[REDACTED]": the echoes did reach them, and redaction is what kept the canaries out.
   */
  readonly searched = new Map<string, { texts: number; chars: number; redacted: number }>();

  constructor(canaries: readonly Canary[]) {
    const forms = canaries.flatMap((c) => canaryForms(c).map((form) => ({ form, canary: c.label })));
    forms.push({ form: CANARY_MARKER, canary: `(marker ${CANARY_MARKER}: any canary, or part of one)` });
    // Longest first: report the whole canary rather than a fragment of it.
    this.forms = forms.sort((a, b) => b.form.length - a.form.length);
  }

  /** Forms of the canaries found in `text` (the same text may hold several). */
  find(text: string): { form: string; canary: string; index: number }[] {
    const found: { form: string; canary: string; index: number }[] = [];
    for (const f of this.forms) {
      const index = text.indexOf(f.form);
      if (index >= 0 && !found.some((x) => x.index <= index && index < x.index + x.form.length)) found.push({ ...f, index });
    }
    return found;
  }

  scan(kind: string, where: string, text: string): void {
    const s = this.searched.get(kind) ?? { texts: 0, chars: 0, redacted: 0 };
    s.texts++;
    s.chars += text.length;
    if (text.includes('[REDACTED]')) s.redacted++;
    this.searched.set(kind, s);
    for (const f of this.find(text)) {
      const from = Math.max(0, f.index - 120);
      this.hits.push({ where, canary: f.canary, form: f.form, excerpt: text.slice(from, f.index + f.form.length + 120).replace(/\s+/g, ' ') });
    }
  }

  report(): string {
    return this.hits.map((h) => `- ${h.where}: ${h.canary} (as "${h.form.length > 40 ? `${h.form.slice(0, 40)}…` : h.form}")\n    …${h.excerpt}…`).join('\n');
  }
}

// ---- the echo server ---------------------------------------------------------------------------------

/** How the server answers a connection's requests. */
export type EchoMode = 'unauthorized' | 'server_error' | 'echo_ok' | 'timeout';
export const ECHO_MODES: readonly EchoMode[] = ['unauthorized', 'server_error', 'echo_ok', 'timeout'];

export interface EchoRequest {
  mode: EchoMode | null;
  connectionId: string | null;
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface EchoServer {
  /** The base URL override of a connection: its mode and id ride in the path, which executors keep. */
  baseUrl(mode: EchoMode, connectionId: string): string;
  requests: EchoRequest[];
  close(): Promise<void>;
}

/** Every header value, Basic credentials decoded too: what a careless provider might echo. */
function credentialText(headers: Record<string, string | string[] | undefined>): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (name === 'content-length' || name === 'host' || name === 'connection') continue;
    const v = Array.isArray(value) ? value.join(', ') : value ?? '';
    parts.push(`${name}=${v}`);
    const basic = /^Basic\s+(.+)$/i.exec(v);
    if (basic) parts.push(`decoded=${Buffer.from(basic[1]!, 'base64').toString('utf8')}`);
  }
  return parts.join(' ');
}

/** A header value that Node accepts (printable ASCII), however long. */
const headerSafe = (s: string) => s.replace(/[^\x20-\x7e]/g, '?').slice(0, 4000);

/**
 * Answers every request by the mode in its path (/m/<mode>/<connection>/…):
 *   unauthorized  401 JSON whose error messages repeat the URL, every request header (Authorization
 *                 included, Basic credentials decoded) and the body; WWW-Authenticate and
 *                 X-Request-Id headers repeat the credentials too
 *   server_error  500 text/plain repeating the same
 *   echo_ok       200 JSON echoing the request (method, URL, headers, body), with the credentials in
 *                 `message`, `id` and X-Message-Id / Request-Id headers
 *   timeout       never answers (the client's request timeout ends it)
 */
export async function startEchoServer(): Promise<EchoServer> {
  const requests: EchoRequest[] = [];
  const held = new Set<ServerResponse>();
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = req.url ?? '/';
    const m = /^\/m\/([a-z_]+)\/([^/?]+)/.exec(url);
    const mode = m && (ECHO_MODES as readonly string[]).includes(m[1]!) ? (m[1] as EchoMode) : null;
    const rec: EchoRequest = { mode, connectionId: m ? decodeURIComponent(m[2]!) : null, method: req.method ?? 'GET', url, headers: req.headers, body };
    requests.push(rec);
    const creds = credentialText(req.headers);
    const said = `${rec.method} ${url} ${creds} body=${body}`;
    const echo = { method: rec.method, url, headers: req.headers, body };
    switch (mode ?? 'unauthorized') {
      case 'unauthorized':
        res.writeHead(401, {
          'content-type': 'application/json',
          'www-authenticate': headerSafe(`Bearer realm="echo", error="invalid_token", error_description="${creds.replace(/"/g, "'")}"`),
          'x-request-id': headerSafe(creds),
        });
        res.end(JSON.stringify({
          error: { type: 'invalid_request_error', code: 'unauthorized', message: `Invalid credentials: ${said}` },
          errors: [{ code: 'unauthorized', message: `Invalid API key in ${said}`, detail: creds }],
          message: `Unauthorized: ${said}`,
          detail: creds,
          received: echo,
        }));
        return;
      case 'server_error':
        res.writeHead(500, { 'content-type': 'text/plain', 'x-request-id': headerSafe(creds) });
        res.end(`Internal server error while handling ${said}\n${JSON.stringify(echo)}`);
        return;
      case 'echo_ok':
        res.writeHead(200, { 'content-type': 'application/json', 'x-message-id': headerSafe(creds), 'request-id': headerSafe(creds), 'x-request-id': headerSafe(creds) });
        res.end(JSON.stringify({ ok: true, status: 'success', id: creds, message: said, data: [echo], received: echo }));
        return;
      case 'timeout':
        // Hold it: the client gives up after its request timeout.
        held.add(res);
        res.once('close', () => held.delete(res));
        return;
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    baseUrl: (mode, connectionId) => `http://127.0.0.1:${port}/m/${mode}/${encodeURIComponent(connectionId)}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
