import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PalisadeConfigError, createPalisade, isDenial, type Palisade } from '@palisade/core';
import { UpstreamError, createUpstreamClient, type UpstreamClient } from '@palisade/schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFERENCE_DOCUMENT } from './helpers/harness';

const INVOICE = { invoiceId: 'inv-0001', orderId: 'ord-0001', amount: 10, currency: 'EUR', issuedAt: '2026-01-01T00:00:00Z' };

function json(res: ServerResponse, body: unknown, status = 200) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

/** Plays the billing service of the reference README, badly when asked. */
const ROUTES: Record<string, (res: ServerResponse) => void> = {
  '/invoices/ord-0001': (res) => json(res, { ...INVOICE, internalNote: 'margin ok', costPrice: 4.2 }),
  '/invoices/charset': (res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
    res.end(JSON.stringify(INVOICE));
  },
  '/invoices/invalid': (res) => json(res, { ...INVOICE, amount: -1, currency: 'GBP' }),
  '/invoices/missing-field': (res) => json(res, { invoiceId: 'inv-0001' }),
  '/invoices/oversized': (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write(`{"padding":"`);
    for (let i = 0; i < 70; i++) res.write('x'.repeat(1024));
    res.end('"}');
  },
  '/invoices/oversized-declared': (res) => {
    const body = JSON.stringify({ ...INVOICE, padding: 'x'.repeat(70 * 1024) });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  },
  '/invoices/html': (res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html>billing</html>');
  },
  '/invoices/latin1': (res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=iso-8859-1' });
    res.end(JSON.stringify(INVOICE));
  },
  '/invoices/not-json': (res) => json(res, '<html>oops</html>'),
  '/invoices/duplicate': (res) => json(res, '{"invoiceId":"inv-0001","amount":10,"amount":-5}'),
  '/invoices/proto': (res) => json(res, `{"__proto__":{"isAdmin":true},${JSON.stringify(INVOICE).slice(1)}`),
  '/invoices/empty': (res) => {
    res.writeHead(204);
    res.end();
  },
  '/invoices/redirect': (res) => {
    res.writeHead(302, { location: '/invoices/ord-0001' });
    res.end();
  },
  '/invoices/missing': (res) => json(res, { type: 'about:blank', status: 404 }, 404),
  '/invoices/error': (res) => json(res, { error: 'boom' }, 500),
  '/invoices/busy': (res) => json(res, {}, 429),
  // Never answers: the client must give up on its own.
  '/invoices/slow': () => {},
  '/invoices/slow-body': (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"invoiceId":');
  },
  '/orders/ord-0001': (res) => json(res, { id: 'ord-0001', ownerId: 'user-alice', items: [{ sku: 'SKU-001', qty: 1, costPrice: 4.2 }], total: 10, status: 'pending', note: null, createdAt: '2026-01-01T00:00:00Z', internalNote: 'x' }),
};

let billing: Server;
let base: string;
let palisade: Palisade;
let client: UpstreamClient;

beforeAll(async () => {
  billing = createServer((req, res) => (ROUTES[req.url ?? ''] ?? ((r: ServerResponse) => json(r, {}, 404)))(res));
  await new Promise<void>((resolve) => billing.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(billing.address() as AddressInfo).port}`;
  palisade = await createPalisade({ document: REFERENCE_DOCUMENT });
  client = createUpstreamClient(palisade, { schemas: ['#/components/schemas/Invoice'], timeoutMs: 2000 });
});

afterAll(async () => {
  billing.closeAllConnections();
  await new Promise((resolve) => billing.close(resolve));
});

async function failure(path: string, options: { timeoutMs?: number; maxBytes?: number; schema?: string } = {}): Promise<UpstreamError> {
  const error = await client.fetchValidated({ url: `${base}${path}`, schema: options.schema ?? '#/components/schemas/Invoice', timeoutMs: options.timeoutMs, maxBytes: options.maxBytes }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(UpstreamError);
  return error as UpstreamError;
}

describe('createUpstreamClient().fetchValidated', () => {
  it('returns a valid invoice with undeclared fields dropped', async () => {
    const invoice = await client.fetchValidated({ url: `${base}/invoices/ord-0001`, schema: '#/components/schemas/Invoice' });
    expect(invoice).toEqual(INVOICE);
    expect(await client.fetchValidated({ url: new URL(`${base}/invoices/charset`), schema: '#/components/schemas/Invoice' })).toEqual(INVOICE);
  });

  it('drops undeclared fields at every depth', async () => {
    const order = await client.fetchValidated<Record<string, unknown>>({ url: `${base}/orders/ord-0001`, schema: '#/components/schemas/Order' });
    expect(order).toEqual({ id: 'ord-0001', ownerId: 'user-alice', items: [{ sku: 'SKU-001', qty: 1 }], total: 10, status: 'pending', note: null, createdAt: '2026-01-01T00:00:00Z' });
  });

  it.each([
    ['/invoices/invalid', /does not match #\/components\/schemas\/Invoice: \/amount must be >= 0; \/currency must be one of "EUR", "USD"/],
    ['/invoices/missing-field', /\/orderId is required/],
    ['/invoices/oversized', /larger than 65536 bytes/],
    ['/invoices/oversized-declared', /larger than 65536 bytes \(Content-Length/],
    ['/invoices/html', /not JSON \(Content-Type text\/html\)/],
    ['/invoices/latin1', /not JSON/],
    ['/invoices/not-json', /not acceptable JSON \(syntax\)/],
    ['/invoices/duplicate', /not acceptable JSON \(duplicate_key\)/],
    ['/invoices/proto', /not acceptable JSON \(forbidden_key\)/],
    ['/invoices/empty', /not JSON/],
    ['/invoices/redirect', /answered 302 \(redirects are not followed\)/],
    ['/invoices/missing', /answered 404/],
  ])('%s is upstream_invalid (502)', async (path, message) => {
    const error = await failure(path);
    expect(error.code).toBe('ERR_PALISADE_UPSTREAM_INVALID');
    expect(error.message).toMatch(message);
    expect(error.denial.reason).toBe('upstream_invalid');
    expect(error.denial.status).toBe(502);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('keeps validation errors for the logs, not for the client', async () => {
    const error = await failure('/invoices/invalid');
    expect(error.upstreamStatus).toBe(200);
    expect(error.validationErrors).toContainEqual({ pointer: '/amount', message: 'must be >= 0' });
    const reply = palisade.replyForError(palisade.startRequest({ method: 'GET', url: '/orders/ord-0001/invoice', headers: {}, remoteAddress: null, readBody: null, peerCertificate: null }), error.denial);
    expect(reply.status).toBe(502);
    expect(JSON.parse(reply.body!)).toEqual({ type: 'urn:palisade:problem:upstream-invalid', title: 'Bad Gateway', status: 502 });
  });

  it.each(['/invoices/error', '/invoices/busy'])('%s is upstream_unavailable (503)', async (path) => {
    const error = await failure(path);
    expect(error.code).toBe('ERR_PALISADE_UPSTREAM_UNAVAILABLE');
    expect(error.denial.status).toBe(503);
  });

  it('gives up after timeoutMs with upstream_timeout (504), waiting for headers or for the body', async () => {
    for (const path of ['/invoices/slow', '/invoices/slow-body']) {
      const error = await failure(path, { timeoutMs: 100 });
      expect(error.code).toBe('ERR_PALISADE_UPSTREAM_TIMEOUT');
      expect(error.denial.reason).toBe('upstream_timeout');
      expect(error.denial.status).toBe(504);
      expect(isDenial(error.denial)).toBe(true);
    }
  });

  it('reports a refused connection as upstream_unavailable (503)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await client.fetchValidated({ url: `http://127.0.0.1:${port}/invoices/ord-0001`, schema: '#/components/schemas/Invoice' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_PALISADE_UPSTREAM_UNAVAILABLE', message: expect.stringMatching(/ECONNREFUSED/) });
    expect((error as UpstreamError).denial.status).toBe(503);
  });

  it('honours a per-call maxBytes and the caller’s abort signal', async () => {
    expect((await failure('/invoices/ord-0001', { maxBytes: 50 })).message).toMatch(/larger than 50 bytes/);
    const controller = new AbortController();
    const pending = client.fetchValidated({ url: `${base}/invoices/slow`, schema: '#/components/schemas/Invoice', signal: controller.signal });
    controller.abort(new Error('shutting down'));
    await expect(pending).rejects.toThrow('shutting down');
  });
});

describe('createUpstreamClient misuse', () => {
  it('refuses a source that is not an engine, with the call to make', () => {
    expect(() => createUpstreamClient({} as never)).toThrow(/source must be the Palisade engine/);
  });

  it('refuses unknown options and schemas that do not exist, at start-up', () => {
    expect(() => createUpstreamClient(palisade, { timeout: 5 } as never)).toThrow(/unknown option "timeout". Did you mean "timeoutMs"\?/);
    expect(() => createUpstreamClient(palisade, { schemas: ['#/components/schemas/Invoic'] })).toThrow(PalisadeConfigError);
    expect(() => createUpstreamClient(palisade.compiled, { schemas: ['#/components/schemas/Invoice'] })).not.toThrow();
  });

  it('refuses requests for unknown schemas and non-http URLs', async () => {
    await expect(client.fetchValidated({ url: `${base}/invoices/ord-0001`, schema: '#/components/schemas/Nope' })).rejects.toThrow(/does not exist/);
    await expect(client.fetchValidated({ url: 'file:///etc/passwd', schema: '#/components/schemas/Invoice' })).rejects.toThrow(/only http and https/);
    await expect(client.fetchValidated({ url: `${base}/x`, schema: 'Invoice' })).rejects.toThrow(PalisadeConfigError);
  });
});
