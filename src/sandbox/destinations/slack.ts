// A local stand-in for Slack incoming webhooks (https://api.slack.com/messaging/webhooks): POST JSON
// to the webhook's path, 200 with the plain-text body "ok"; 400 "invalid_payload" for a body that is
// not JSON or has neither text nor blocks, as Slack answers. It keeps what it received, so the demo,
// the README examples and tests can see each message arrive (and arrive once).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedMessage {
  path: string;
  body: unknown;
  at: string;
}

export interface SlackReceiver {
  url: string;
  received: ReceivedMessage[];
  close(): Promise<void>;
}

export async function startSlackReceiver(host = '127.0.0.1', port = 0): Promise<SlackReceiver> {
  const received: ReceivedMessage[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, text: string) => res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
      if (req.method !== 'POST' || !req.url?.startsWith('/services/')) return reply(404, 'no_service');
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return reply(400, 'invalid_payload');
      }
      const b = body as { text?: unknown; blocks?: unknown };
      if (typeof b?.text !== 'string' && !Array.isArray(b?.blocks)) return reply(400, 'no_text');
      received.push({ path: req.url, body, at: new Date().toISOString() });
      return reply(200, 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, host, () => resolve()));
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
