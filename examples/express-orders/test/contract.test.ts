import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, listen, rawRequest } from '../../../test/helpers/http';
import { startTestProvider, type TestProvider } from '../../../test/helpers/oidc-provider';
import { createOrdersApp, type OrdersApp } from '../src/app';
import { readConfig } from '../src/config';

let server: Server;
let base: string;
let orders: OrdersApp;
let issuer: TestProvider;
let billing: Server;

// The billing upstream, misbehaving in every way the contract names.
function startBilling(): Server {
  return createServer((req, res) => {
    const id = /\/invoices\/(ord-\d{4})$/.exec(req.url ?? '')?.[1] ?? '';
    const invoice = { invoiceId: 'inv-0001', orderId: id, amount: 10, currency: 'EUR', issuedAt: '2026-01-02T00:00:00Z' };
    res.setHeader('content-type', 'application/json');
    switch (id) {
      case 'ord-0001':
        return res.end(JSON.stringify({ ...invoice, internalRef: 'do-not-leak', __debug: { sql: 'select *' } }));
      case 'ord-0002':
        return res.end(JSON.stringify({ ...invoice, amount: 'ten' }));
      case 'ord-0003':
        return res.end(JSON.stringify({ ...invoice, padding: 'x'.repeat(70_000) }));
      case 'ord-0004':
        return res.end('<html>502 Bad Gateway</html>');
      case 'ord-0005':
        return void setTimeout(() => res.end(JSON.stringify(invoice)), 2600);
      default:
        res.statusCode = 404;
        return res.end('{}');
    }
  });
}

beforeAll(async () => {
  issuer = await startTestProvider({ audience: 'orders-api' });
  billing = startBilling();
  const billingUrl = await listen(billing);
  orders = await createOrdersApp(readConfig({ AUDIT_LOG: join(tmpdir(), `orders-audit-${process.pid}-${Date.now()}.log`), OIDC_ISSUER: issuer.issuer, BILLING_URL: billingUrl, CORS_ORIGINS: 'https://shop.example,https://admin.example' }));
  server = createServer(orders.app);
  base = await listen(server);
});

afterAll(async () => {
  await close(server);
  await orders.close();
  await issuer.stop();
  await close(billing);
});

const bearer = async (sub: string, scope: string, extra: { acr?: string; amr?: string[] } = {}) => ({ authorization: `Bearer ${await issuer.issueAccessToken({ sub, scope, ...extra })}` });

// The reference README's "Across all operations" rules, over real HTTP.
const pathTricks: { title: string; method: string; path: string; status: number }[] = [
  { title: 'undeclared route with a handler', method: 'GET', path: '/internal/debug', status: 404 },
  { title: 'undeclared route', method: 'GET', path: '/admin', status: 404 },
  { title: 'case variant', method: 'GET', path: '/ADMIN/users', status: 404 },
  { title: 'case variant of a literal after a param', method: 'GET', path: '/orders/ord-0001/CHECKOUT', status: 404 },
  { title: 'trailing slash', method: 'GET', path: '/admin/users/', status: 404 },
  { title: 'doubled slash', method: 'GET', path: '/admin//users', status: 404 },
  { title: 'leading doubled slash', method: 'GET', path: '//admin/users', status: 404 },
  { title: 'dot segment', method: 'GET', path: '/admin/./users', status: 404 },
  { title: 'dot-dot segment', method: 'GET', path: '/orders/../admin/users', status: 404 },
  { title: 'encoded dot-dot', method: 'GET', path: '/orders/%2e%2e/admin/users', status: 404 },
  { title: 'encoded slash', method: 'GET', path: '/admin%2fusers', status: 404 },
  { title: 'encoded slash in a parameter', method: 'GET', path: '/orders/ord-0001%2Fcheckout', status: 404 },
  { title: 'backslash', method: 'GET', path: '/admin\\users', status: 404 },
  { title: 'encoded backslash', method: 'GET', path: '/admin%5cusers', status: 404 },
  { title: 'encoded NUL', method: 'GET', path: '/orders/ord-0001%00', status: 404 },
  { title: 'percent-encoded literal', method: 'GET', path: '/%61dmin/users', status: 404 },
  { title: 'malformed escape', method: 'GET', path: '/orders/%zz', status: 400 },
  { title: 'truncated escape', method: 'GET', path: '/orders/%4', status: 400 },
  { title: 'invalid UTF-8', method: 'GET', path: '/orders/%C3%28', status: 400 },
  { title: 'overlong UTF-8 slash', method: 'GET', path: '/orders/%C0%AF', status: 400 },
  { title: 'undeclared method on a declared path', method: 'PUT', path: '/orders/ord-0001', status: 405 },
  { title: 'TRACE', method: 'TRACE', path: '/orders', status: 405 },
];

describe('deny by default (reference: across all operations)', () => {
  it.each(pathTricks)('$title: $method $path -> $status', async ({ method, path, status }) => {
    const res = await rawRequest(base, method, path);
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toBe('application/problem+json');
    const problem = res.json<Record<string, unknown>>();
    expect(problem).toMatchObject({ status });
    expect(typeof problem.type).toBe('string');
    expect(typeof problem.title).toBe('string');
  });

  it('reports the leftover debug route as undeclared', () => {
    expect(orders.palisade.report().undeclaredRoutes).toContainEqual({ method: 'GET', path: '/internal/debug' });
  });

  it('answers 405 with Allow', async () => {
    const res = await rawRequest(base, 'PUT', '/orders/ord-0001');
    expect(res.headers.allow).toBe('GET, HEAD, PATCH, DELETE');
  });

  it('requires a token on every operation but /health and /login', async () => {
    for (const [method, path] of [
      ['GET', '/orders'],
      ['POST', '/orders'],
      ['GET', '/orders/ord-0001'],
      ['HEAD', '/orders/ord-0001'],
      ['DELETE', '/orders/ord-0001'],
      ['POST', '/orders/ord-0001/checkout'],
      ['GET', '/admin/users'],
      ['POST', '/webhooks'],
    ] as const) {
      const res = await rawRequest(base, method, path);
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    }
  });

  it('lets method-override and rewrite headers change nothing', async () => {
    for (const headers of [{ 'x-http-method-override': 'GET' }, { 'x-http-method': 'GET' }, { 'x-method-override': 'GET' }] as Record<string, string>[]) {
      expect((await rawRequest(base, 'DELETE', '/orders/ord-0001', { headers })).status).toBe(401);
    }
    const rewritten = await rawRequest(base, 'GET', '/health', { headers: { 'x-original-url': '/internal/debug', 'x-rewrite-url': '/internal/debug' } });
    expect(rewritten.json()).toEqual({ status: 'ok' });
  });

  it('serves the public operations', async () => {
    expect((await rawRequest(base, 'GET', '/health')).json()).toEqual({ status: 'ok' });
    const login = await rawRequest(base, 'POST', '/login', { body: JSON.stringify({ username: 'alice', password: 'alice-pass-123' }) });
    expect(login.status).toBe(200);
    expect(login.json()).toEqual({ ok: true });
    const bad = await rawRequest(base, 'POST', '/login', { body: JSON.stringify({ username: 'alice', password: 'wrong' }) });
    expect(bad.status).toBe(401);
    expect(bad.headers['content-type']).toBe('application/problem+json');
  });

  it('puts the secure headers on every response', async () => {
    for (const [method, path] of [['GET', '/health'], ['GET', '/internal/debug'], ['GET', '/orders']] as const) {
      const res = await rawRequest(base, method, path);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['content-security-policy']).toMatch(/default-src 'none'.*frame-ancestors 'none'/);
      expect(res.headers['strict-transport-security']).toBeDefined();
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-request-id']).toBeDefined();
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('answers CORS for CORS_ORIGINS only', async () => {
    const ok = await rawRequest(base, 'GET', '/health', { headers: { origin: 'https://admin.example' } });
    expect(ok.headers['access-control-allow-origin']).toBe('https://admin.example');
    const evil = await rawRequest(base, 'GET', '/health', { headers: { origin: 'https://evil.example' } });
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('authentication and authorization (reference: behaviour per operation)', () => {
  it('refuses a missing token with a bare Bearer challenge and a bad one with invalid_token', async () => {
    const missing = await rawRequest(base, 'GET', '/orders');
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer');
    const bad = await rawRequest(base, 'GET', '/orders', { headers: { authorization: 'Bearer not.a.token' } });
    expect(bad.status).toBe(401);
    expect(bad.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    const idToken = await rawRequest(base, 'GET', '/orders', { headers: { authorization: `Bearer ${await issuer.issueIdToken({ sub: 'user-alice' })}` } });
    expect(idToken.status).toBe(401);
  });

  it("lists only the caller's own orders", async () => {
    const res = await rawRequest(base, 'GET', '/orders?limit=100', { headers: await bearer('user-alice', 'orders:read') });
    expect(res.status).toBe(200);
    const list = res.json<{ items: { ownerId: string }[] }>();
    expect(list.items).toHaveLength(20);
    expect(list.items.every((order) => order.ownerId === 'user-alice')).toBe(true);
    const stranger = await rawRequest(base, 'GET', '/orders', { headers: await bearer('user-carol', 'orders:read') });
    expect(stranger.json()).toEqual({ items: [], nextCursor: null });
  });

  it("answers another user's order exactly like a missing one", async () => {
    const headers = await bearer('user-alice', 'orders:read');
    const mine = await rawRequest(base, 'GET', '/orders/ord-0001', { headers });
    expect(mine.status).toBe(200);
    const theirs = await rawRequest(base, 'GET', '/orders/ord-0021', { headers });
    const missing = await rawRequest(base, 'GET', '/orders/ord-0999', { headers });
    expect(theirs.status).toBe(404);
    expect(theirs.body).toBe(missing.body);
    const { 'x-request-id': _a, date: _b, ...theirHeaders } = theirs.headers;
    const { 'x-request-id': _c, date: _d, ...missingHeaders } = missing.headers;
    expect(theirHeaders).toEqual(missingHeaders);
    for (const path of ['/orders/ord-0021', '/orders/ord-0021/invoice']) {
      expect((await rawRequest(base, 'GET', path, { headers })).status, path).toBe(404);
    }
    const write = await bearer('user-alice', 'orders:write');
    expect((await rawRequest(base, 'PATCH', '/orders/ord-0021', { headers: write, body: '{"note":"mine now"}' })).status).toBe(404);
  });

  it('lets orders:admin GET any order', async () => {
    const res = await rawRequest(base, 'GET', '/orders/ord-0021', { headers: await bearer('user-admin', 'orders:read orders:admin') });
    expect(res.status).toBe(200);
  });

  it('refuses a missing scope with insufficient_scope naming it', async () => {
    const res = await rawRequest(base, 'POST', '/orders', { headers: await bearer('user-alice', 'orders:read'), body: '{"items":[{"sku":"SKU-001","qty":1}]}' });
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toBe('Bearer error="insufficient_scope", scope="orders:write"');
    const admin = await rawRequest(base, 'GET', '/admin/users', { headers: await bearer('user-alice', 'orders:read orders:write orders:admin') });
    expect(admin.status).toBe(403);
    expect(admin.headers['www-authenticate']).toBe('Bearer error="insufficient_scope", scope="admin:users"');
    const remove = await rawRequest(base, 'DELETE', '/orders/ord-0001', { headers: await bearer('user-alice', 'orders:read orders:write') });
    expect(remove.status).toBe(403);
  });

  it('needs step-up for checkout (RFC 9470)', async () => {
    const plain = await rawRequest(base, 'POST', '/orders/ord-0002/checkout', { headers: await bearer('user-alice', 'orders:write') });
    expect(plain.status).toBe(401);
    expect(plain.headers['www-authenticate']).toBe('Bearer error="insufficient_user_authentication", acr_values="urn:example:acr:mfa"');
    const mfa = await rawRequest(base, 'POST', '/orders/ord-0002/checkout', { headers: await bearer('user-alice', 'orders:write', { amr: ['pwd', 'mfa'] }) });
    expect(mfa.status).toBe(200);
    const acr = await rawRequest(base, 'POST', '/orders/ord-0003/checkout', { headers: await bearer('user-alice', 'orders:write', { acr: 'urn:example:acr:mfa' }) });
    expect(acr.status).toBe(200);
  });
});

describe('field visibility (reference: only declared fields leave)', () => {
  const secrets = ['internalNote', 'costPrice', 'passwordHash', 'mfaSecret', 'margin ok'];

  it('never sends internal fields, in any response', async () => {
    const customer = await bearer('user-alice', 'orders:read orders:write');
    const admin = await bearer('user-admin', 'orders:read orders:write orders:admin admin:users');
    const responses = [
      await rawRequest(base, 'GET', '/orders', { headers: customer }),
      await rawRequest(base, 'GET', '/orders/ord-0001', { headers: customer }),
      await rawRequest(base, 'GET', '/orders/ord-0001', { headers: admin }),
      await rawRequest(base, 'POST', '/orders', { headers: customer, body: '{"items":[{"sku":"SKU-001","qty":2}]}' }),
      await rawRequest(base, 'GET', '/admin/users', { headers: admin }),
    ];
    for (const res of responses) {
      expect(res.status).toBeLessThan(300);
      for (const secret of secrets) expect(res.body).not.toContain(secret);
    }
    expect(responses[4]!.json()).toContainEqual({ id: 'user-alice', username: 'alice', email: 'alice@example.com', role: 'customer' });
  });

  it('shows customerEmail to orders:admin only', async () => {
    const customer = await rawRequest(base, 'GET', '/orders/ord-0001', { headers: await bearer('user-alice', 'orders:read') });
    expect(customer.json()).not.toHaveProperty('customerEmail');
    expect(customer.json()).toMatchObject({ id: 'ord-0001', ownerId: 'user-alice', total: 10, status: 'pending', note: null });
    const admin = await rawRequest(base, 'GET', '/orders/ord-0001', { headers: await bearer('user-admin', 'orders:read orders:admin') });
    expect(admin.json()).toMatchObject({ customerEmail: 'alice@example.com' });
  });
});

describe('request validation (reference: mass assignment, request bodies, parameters)', () => {
  const post = async (body: string, headers: Record<string, string> = {}) =>
    rawRequest(base, 'POST', '/orders', { headers: { ...(await bearer('user-bob', 'orders:write')), ...headers }, body });

  it.each([
    ['status', '{"items":[{"sku":"SKU-001","qty":1}],"status":"paid"}'],
    ['ownerId', '{"items":[{"sku":"SKU-001","qty":1}],"ownerId":"user-alice"}'],
    ['total', '{"items":[{"sku":"SKU-001","qty":1}],"total":0}'],
    ['role', '{"items":[{"sku":"SKU-001","qty":1}],"role":"admin"}'],
    ['isAdmin', '{"items":[{"sku":"SKU-001","qty":1}],"isAdmin":true}'],
    ['__proto__', '{"items":[{"sku":"SKU-001","qty":1}],"__proto__":{"isAdmin":true}}'],
    ['constructor.prototype', '{"items":[{"sku":"SKU-001","qty":1}],"constructor":{"prototype":{"isAdmin":true}}}'],
    ['nested extra field', '{"items":[{"sku":"SKU-001","qty":1,"price":0}]}'],
  ])('refuses a body carrying %s (mass assignment)', async (_field, body) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('accepts a valid order and computes what the server owns', async () => {
    const res = await post('{"items":[{"sku":"SKU-001","qty":3}],"note":"O\'Brien wants <b>select</b> 李雷"}');
    expect(res.status).toBe(201);
    expect(res.json()).toMatchObject({ ownerId: 'user-bob', total: 30, status: 'pending', note: "O'Brien wants <b>select</b> 李雷" });
  });

  it('answers 415 for undeclared content types, 413 above 16 KiB, 400 for malformed JSON and deep nesting', async () => {
    expect((await post('{"items":[]}', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post('{"items":[{"sku":"SKU-001","qty":1}]}', { 'content-type': 'application/json; charset=utf-8' })).status).toBe(201);
    expect((await post('{"items":[{"sku":"SKU-001","qty":1}]}', { 'content-type': 'application/json; charset=latin1' })).status).toBe(415);
    expect((await post(`{"items":[{"sku":"SKU-001","qty":1}],"note":"${'x'.repeat(17_000)}"}`)).status).toBe(413);
    expect((await post('{"items":[{"sku":"SKU-001","qty":1}]')).status).toBe(400);
    expect((await post('{"items":[{"sku":"SKU-001","qty":1}],"items":[]}')).status).toBe(400);
    expect((await post(`${'['.repeat(40)}${']'.repeat(40)}`)).status).toBe(400);
  });

  it('validates parameters: types, ranges, patterns, and repeated single values', async () => {
    const headers = await bearer('user-alice', 'orders:read');
    for (const query of ['limit=0', 'limit=101', 'limit=abc', 'limit=5&limit=6', 'status=lost', 'cursor=%27%20OR%201=1']) {
      expect((await rawRequest(base, 'GET', `/orders?${query}`, { headers })).status, query).toBe(400);
    }
    const page = await rawRequest(base, 'GET', '/orders?limit=100&status=pending', { headers });
    expect(page.status).toBe(200);
    expect((await rawRequest(base, 'GET', '/orders/ORD-0001', { headers })).status).toBe(400);
  });
});

describe('the billing upstream (reference: GET /orders/{orderId}/invoice)', () => {
  it('passes a valid invoice with undeclared fields dropped', async () => {
    const res = await rawRequest(base, 'GET', '/orders/ord-0001/invoice', { headers: await bearer('user-alice', 'orders:read') });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ invoiceId: 'inv-0001', orderId: 'ord-0001', amount: 10, currency: 'EUR', issuedAt: '2026-01-02T00:00:00Z' });
  });

  it('answers 502 for an invalid, oversized or non-JSON answer and 504 for a slow one', async () => {
    const headers = await bearer('user-alice', 'orders:read');
    for (const id of ['ord-0002', 'ord-0003', 'ord-0004']) {
      const res = await rawRequest(base, 'GET', `/orders/${id}/invoice`, { headers });
      expect(res.status, id).toBe(502);
      expect(res.body).not.toMatch(/ten|padding|html/);
    }
    expect((await rawRequest(base, 'GET', '/orders/ord-0005/invoice', { headers })).status).toBe(504);
  });
});

describe('webhook URLs (reference: POST /webhooks, SSRF)', () => {
  const register = async (url: string) =>
    rawRequest(base, 'POST', '/webhooks', { headers: await bearer('user-alice', 'orders:write'), body: JSON.stringify({ url, events: ['order.created'] }) });

  it.each([
    'http://93.184.215.14/hook',
    'https://127.0.0.1/hook',
    'https://2130706433/hook',
    'https://0x7f000001/hook',
    'https://0177.0.0.1/hook',
    'https://127.1/hook',
    'https://169.254.169.254/latest/meta-data/',
    'https://[::1]/hook',
    'https://[::ffff:127.0.0.1]/hook',
    'https://[::ffff:a9fe:a9fe]/hook',
    'https://10.0.0.5/hook',
    'https://192.168.1.1/hook',
    'https://[fd00::1]/hook',
    'https://224.0.0.1/hook',
    'https://0.0.0.0/hook',
    'https://localhost/hook',
    'https://user:secret@93.184.215.14/hook',
    'https://does-not-exist.invalid/hook',
  ])('refuses %s with 400', async (url) => {
    const res = await register(url);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json');
  });

  it('accepts a public IP literal without fetching it', async () => {
    const res = await register('https://93.184.215.14/hook');
    expect(res.status).toBe(201);
    expect(res.json()).toMatchObject({ url: 'https://93.184.215.14/hook', events: ['order.created'] });
  });
});
