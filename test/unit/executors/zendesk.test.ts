// Zendesk executor against MockAgent: GET /api/v2/users/me.json and POST /api/v2/tickets.json with an
// Idempotency-Key (facts: src/registry/connectors/zendesk.ts). Zendesk publishes no schema we may use
// (see shared/specs/SOURCES.md), so the ticket body is checked field by field against the documented
// example.
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import type { CallOptions } from '../../../src/core/envelope.js';
import { basicAuth } from '../../../src/core/redact.js';
import { zendeskExecutor, zendeskMessageSchema } from '../../../src/executors/zendesk.js';
import { JSON_HEADERS, pathIs, useMockAgent } from '../../helpers/mock-agent.js';
import { describeHttpContract } from './http-contract.js';

const mock = useMockAgent();

const TOKEN = 'Zx9kT4pLmN2qR7sV1wY3aB5cD8eF0gH';
const OAUTH = 'oauth-3f5a9c1e7b2d4f6a8c0e';
const ORIGIN = 'https://acme.zendesk.com';
const config = { authMethod: 'api_token', subdomain: 'acme', email: 'agent@example.com', apiToken: TOKEN };
const oauthConfig = { authMethod: 'oauth', subdomain: 'acme', accessToken: OAUTH };
const MESSAGE = { subject: 'Printer offline', body: 'Details…', requester: { name: 'Ann', email: 'ann@example.com' }, externalId: 'evt-123', tags: ['pipeline'] };
const ME = { user: { id: 35436, name: 'Agent Smith', email: 'agent@example.com', role: 'admin' } };
const TICKET = { ticket: { id: 4711, subject: 'Printer offline', status: 'new' }, audit: { id: 1 } };

const send = (cfg: Record<string, unknown>, message: unknown, opts?: CallOptions) => zendeskExecutor.send!(cfg as never, message, opts);
const test_ = (cfg: Record<string, unknown>, opts?: CallOptions) => zendeskExecutor.testConnection(cfg as never, opts);
const sentJson = (i = 0) => JSON.parse(String(mock.sent()[i]!.body)) as Record<string, unknown>;

function reply(path: string, method: 'GET' | 'POST', status: number, body: unknown, headers: Record<string, string> = {}) {
  mock.agent.get(ORIGIN).intercept({ path: pathIs(path), method })
    .reply(status, JSON.stringify(body), { headers: { ...JSON_HEADERS, ...headers } });
}
const replyTicket = (headers: Record<string, string> = {}, status = 201, body: unknown = TICKET) => reply('/api/v2/tickets.json', 'POST', status, body, headers);

describe('zendesk testConnection', () => {
  test('GET /api/v2/users/me.json with Basic {email}/token:{token}; summary of the user', async () => {
    reply('/api/v2/users/me.json', 'GET', 200, ME);
    const res = await test_(config);
    expect(res).toMatchObject({ ok: true, status: 200, body: { userId: 35436, name: 'Agent Smith', role: 'admin' } });
    const [sent] = mock.sent();
    expect(sent!.method).toBe('GET');
    expect(sent!.url.href).toBe(`${ORIGIN}/api/v2/users/me.json`);
    expect(sent!.headers.authorization).toBe(basicAuth('agent@example.com/token', TOKEN));
    expect(Buffer.from(sent!.headers.authorization!.slice(6), 'base64').toString()).toBe(`agent@example.com/token:${TOKEN}`);
  });

  test('the oauth method sends a Bearer token', async () => {
    reply('/api/v2/users/me.json', 'GET', 200, ME);
    await test_(oauthConfig);
    expect(mock.sent()[0]!.headers.authorization).toBe(`Bearer ${OAUTH}`);
  });

  test('a full Zendesk URL as subdomain is reduced to the subdomain', async () => {
    reply('/api/v2/users/me.json', 'GET', 200, ME);
    await test_({ ...config, subdomain: 'https://acme.zendesk.com/agent/tickets/1' });
    expect(mock.sent()[0]!.url.origin).toBe(ORIGIN);
  });

  test('200 with the anonymous user (id null) is unauthorized, not retryable', async () => {
    reply('/api/v2/users/me.json', 'GET', 200, { user: { id: null, name: 'Anonymous user', email: 'invalid@example.com', role: 'end-user' } });
    const res = await test_(config);
    expect(res).toMatchObject({ ok: false, status: 200, body: null, error: { code: 'unauthorized', retryable: false } });
    expect(res.error!.message).toContain('anonymous user');
  });

  test('a bad subdomain or a missing authMethod is invalid_config, nothing sent', async () => {
    for (const bad of [{ ...config, subdomain: 'acme.example.com' }, { subdomain: 'acme', email: 'a@example.com', apiToken: TOKEN }]) {
      expect((await test_(bad)).error?.code).toBe('invalid_config');
    }
    expect(mock.sent()).toHaveLength(0);
  });

  test('oauth without its token is missing_secret, nothing sent', async () => {
    expect((await test_({ authMethod: 'oauth', subdomain: 'acme' })).error?.code).toBe('missing_secret');
    expect(mock.sent()).toHaveLength(0);
  });

  describeHttpContract(mock, {
    config,
    secretField: 'apiToken',
    malformedSecret: 'short',
    origin: ORIGIN,
    path: '/api/v2/users/me.json',
    call: test_,
    others: { send: (cfg, opts) => send(cfg, MESSAGE, opts) },
    okBody: ME,
    errorBody: (message) => ({ error: 'RecordNotFound', description: message }),
  });
});

describe('zendesk send: create ticket', () => {
  test('POST /api/v2/tickets.json {ticket:{…}} → 201 → {ticketId, replayed}', async () => {
    replyTicket({ 'x-idempotency-lookup': 'miss' });
    const res = await send(config, MESSAGE, { idempotencyKey: 'send:conn-1:evt-123' });
    expect(res).toEqual({ ok: true, status: 201, latencyMs: expect.any(Number), body: { ticketId: 4711, replayed: false } });
    const [sent] = mock.sent();
    expect(sent!.method).toBe('POST');
    expect(sent!.url.href).toBe(`${ORIGIN}/api/v2/tickets.json`);
    expect(sent!.headers['content-type']).toBe('application/json');
    expect(sent!.headers.authorization).toBe(basicAuth('agent@example.com/token', TOKEN));
    expect(sentJson()).toEqual({
      ticket: {
        subject: 'Printer offline',
        comment: { body: 'Details…' },
        requester: { name: 'Ann', email: 'ann@example.com' },
        external_id: 'evt-123',
        tags: ['pipeline'],
      },
    });
  });

  test('HTML comment, priority, type and custom fields map to Zendesk\'s names', async () => {
    replyTicket();
    await send(config, { subject: 'S', comment: { html_body: '<p>Hi</p>' }, priority: 'high', type: 'incident', customFields: [{ id: 360001, value: 'gold' }, { id: 360002, value: ['a', 'b'] }] });
    expect(sentJson()).toEqual({
      ticket: { subject: 'S', comment: { html_body: '<p>Hi</p>' }, priority: 'high', type: 'incident', custom_fields: [{ id: 360001, value: 'gold' }, { id: 360002, value: ['a', 'b'] }] },
    });
  });

  describe('Idempotency-Key', () => {
    test('set from the call\'s idempotency key', async () => {
      replyTicket({ 'x-idempotency-lookup': 'miss' });
      await send(config, MESSAGE, { idempotencyKey: 'send:conn-1:evt-123' });
      expect(mock.sent()[0]!.headers['idempotency-key']).toBe('send:conn-1:evt-123');
    });

    test('an explicit idempotencyKey in the message wins and is not sent in the ticket', async () => {
      replyTicket();
      await send(config, { ...MESSAGE, idempotencyKey: 'ticket-evt-123' }, { idempotencyKey: 'send:conn-1:evt-123' });
      expect(mock.sent()[0]!.headers['idempotency-key']).toBe('ticket-evt-123');
      expect(JSON.stringify(sentJson())).not.toContain('ticket-evt-123');
    });

    test('a key over 255 characters is sent as its sha256 hex, the same every time', async () => {
      replyTicket();
      replyTicket();
      const long = `send:${'x'.repeat(300)}`;
      await send(config, MESSAGE, { idempotencyKey: long });
      await send(config, MESSAGE, { idempotencyKey: long });
      const expected = createHash('sha256').update(long).digest('hex');
      expect(mock.sent().map((s) => s.headers['idempotency-key'])).toEqual([expected, expected]);
    });

    test('a key of exactly 255 characters is sent as is', async () => {
      replyTicket();
      const key = 'k'.repeat(255);
      await send(config, MESSAGE, { idempotencyKey: key });
      expect(mock.sent()[0]!.headers['idempotency-key']).toBe(key);
    });

    test('no key, no header', async () => {
      replyTicket();
      const res = await send(config, MESSAGE);
      expect(mock.sent()[0]!.headers).not.toHaveProperty('idempotency-key');
      expect(res.body).toEqual({ ticketId: 4711, replayed: false });
    });

    test('x-idempotency-lookup: hit is reported as replayed: true (the first request\'s ticket)', async () => {
      replyTicket({ 'x-idempotency-lookup': 'hit' }, 201);
      const res = await send(config, MESSAGE, { idempotencyKey: 'send:conn-1:evt-123' });
      expect(res).toMatchObject({ ok: true, body: { ticketId: 4711, replayed: true } });
    });
  });

  test('invalid messages are bad_request naming the field, status 0, nothing sent', async () => {
    const bad: [unknown, string][] = [
      [{ body: 'no subject' }, 'subject'],
      [{ subject: 'S' }, 'body or comment'],
      [{ subject: 'S', body: 'b', comment: { body: 'c' } }, 'body or comment'],
      [{ subject: 'S', comment: { body: 'a', html_body: '<p>b</p>' } }, 'body or html_body'],
      [{ subject: 'S', body: 'b', requester: { name: 'No Email' } }, 'requester.email'],
      [{ subject: 'S', body: 'b', priority: 'p1' }, 'priority'],
      [{ subject: 'S', body: 'b', type: 'bug' }, 'type'],
      [{ subject: 'S', body: 'b', customFields: [{ id: 'x', value: 1 }] }, 'customFields.0.id'],
      [{ subject: 'S', body: 'b', idempotencyKey: 'k'.repeat(256) }, 'idempotencyKey'],
      [{ subject: 'S', body: 'b', assignee: 5 }, 'assignee'],
    ];
    for (const [message, mentions] of bad) {
      const res = await send(config, message);
      expect(res).toMatchObject({ ok: false, status: 0, latencyMs: 0, body: null, error: { code: 'bad_request', retryable: false } });
      expect(res.error!.message).toContain(mentions);
    }
    expect(mock.sent()).toHaveLength(0);
    expect(zendeskMessageSchema.safeParse(MESSAGE).success).toBe(true);
  });

  describe('Zendesk error bodies', () => {
    test('422 RecordInvalid carries the description and each field\'s detail', async () => {
      replyTicket({}, 422, {
        error: 'RecordInvalid',
        description: 'Record validation errors',
        details: { requester: [{ description: 'Requester: Email is invalid', error: 'InvalidValue' }], base: [{ description: 'Subject: cannot be blank' }] },
      });
      const res = await send(config, MESSAGE);
      expect(res).toMatchObject({ ok: false, status: 422, error: { code: 'bad_request', retryable: false } });
      expect(res.error!.message).toBe('Zendesk answered HTTP 422: RecordInvalid: Record validation errors (requester: Requester: Email is invalid; base: Subject: cannot be blank)');
    });

    test('401 "Couldn\'t authenticate you" and an object-shaped 403 error keep Zendesk\'s words', async () => {
      replyTicket({}, 401, { error: "Couldn't authenticate you" });
      replyTicket({}, 403, { error: { title: 'Forbidden', message: 'You do not have access to this page.' } });
      const unauthorized = await send(config, MESSAGE);
      const forbidden = await send(config, MESSAGE);
      expect(unauthorized.error).toMatchObject({ code: 'unauthorized', message: "Zendesk answered HTTP 401: Couldn't authenticate you" });
      expect(forbidden.error).toMatchObject({ code: 'forbidden', message: 'Zendesk answered HTTP 403: Forbidden: You do not have access to this page.' });
    });

    test('the API token and its Basic credentials are redacted from an echoed error', async () => {
      const header = basicAuth('agent@example.com/token', TOKEN);
      replyTicket({}, 400, { error: 'InvalidValue', description: `bad header ${header} / ${TOKEN}` });
      const res = await send(config, MESSAGE);
      expect(res.error!.message).not.toContain(TOKEN);
      expect(res.error!.message).not.toContain(header.slice(6));
    });

    test('a 201 without ticket.id is invalid_response', async () => {
      replyTicket({}, 201, { ticket: { subject: 'x' } });
      expect((await send(config, MESSAGE)).error).toMatchObject({ code: 'invalid_response', retryable: false });
    });
  });

  describe('contract of send (POST /api/v2/tickets.json)', () => {
    describeHttpContract(mock, {
      config,
      secretField: 'apiToken',
      malformedSecret: 'short',
      origin: ORIGIN,
      path: '/api/v2/tickets.json',
      method: 'POST',
      call: (cfg, opts) => send(cfg, MESSAGE, opts),
      okBody: TICKET,
      errorBody: (message) => ({ error: 'RecordNotFound', description: message }),
    });
  });
});
