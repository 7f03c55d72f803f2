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

beforeAll(async () => {
  issuer = await startTestProvider({ audience: 'orders-api' });
  // The tests play several clients through a trusted loopback proxy.
  orders = await createOrdersApp(readConfig({ AUDIT_LOG: join(tmpdir(), `orders-audit-${process.pid}-${Date.now()}.log`), OIDC_ISSUER: issuer.issuer, TRUST_PROXY: 'loopback' }));
  server = createServer(orders.app);
  base = await listen(server);
});

afterAll(async () => {
  await close(server);
  await orders.close();
  await issuer.stop();
});

const login = (username: string, password: string, from: string) =>
  rawRequest(base, 'POST', '/login', { headers: { 'x-forwarded-for': from }, body: JSON.stringify({ username, password }) });

describe('brute force on POST /login (reference)', () => {
  it('locks a username for 15 minutes after 5 failures, whatever the password and the address', async () => {
    for (let i = 0; i < 5; i++) expect((await login('bob', `wrong-${i}`, `198.51.100.${i + 1}`)).status).toBe(401);
    const locked = await login('bob', 'bob-pass-123', '198.51.100.77');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(800);
    expect(locked.headers['content-type']).toBe('application/problem+json');
    // Near miss: another user is not affected.
    expect((await login('alice', 'alice-pass-123', '198.51.100.77')).status).toBe(200);
  });

  it('resets a username after a success (near miss)', async () => {
    for (let i = 0; i < 4; i++) expect((await login('admin', 'nope', '198.51.100.20')).status).toBe(401);
    expect((await login('admin', 'admin-pass-123', '198.51.100.20')).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await login('admin', 'nope', '198.51.100.20')).status).toBe(401);
    expect((await login('admin', 'admin-pass-123', '198.51.100.20')).status).toBe(200);
  });

  it('gives one client address at most 20 login attempts a minute', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await login(`user${i}`, 'x', '203.0.113.9')).status);
    expect(statuses.slice(0, 20).every((status) => status === 401)).toBe(true);
    expect(statuses[20]).toBe(429);
  });
});

describe('rate limits (reference)', () => {
  it('limits unauthenticated requests to 120 a minute per address, with the RateLimit headers', async () => {
    let last = await rawRequest(base, 'GET', '/health', { headers: { 'x-forwarded-for': '192.0.2.50' } });
    for (let i = 1; i < 120; i++) last = await rawRequest(base, 'GET', '/health', { headers: { 'x-forwarded-for': '192.0.2.50' } });
    expect(last.status).toBe(200);
    const over = await rawRequest(base, 'GET', '/health', { headers: { 'x-forwarded-for': '192.0.2.50' } });
    expect(over.status).toBe(429);
    expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(over.headers['ratelimit-policy']).toMatch(/q=120;w=60/);
    expect(over.headers.ratelimit).toMatch(/r=0;t=\d+/);
    // Undeclared paths and spellings count too, and do not escape the limit.
    expect((await rawRequest(base, 'GET', '/HEALTH', { headers: { 'x-forwarded-for': '192.0.2.50' } })).status).toBe(429);
    // Near miss: another address is a different client.
    expect((await rawRequest(base, 'GET', '/health', { headers: { 'x-forwarded-for': '192.0.2.51' } })).status).toBe(200);
  });

  it('counts IPv6 clients per /64', async () => {
    for (let i = 0; i < 120; i++) await rawRequest(base, 'GET', '/health', { headers: { 'x-forwarded-for': `2001:db8:1:2::${(i + 1).toString(16)}` } });
    expect((await rawRequest(base, 'GET', '/health', { headers: { 'x-forwarded-for': '2001:db8:1:2:ffff::1' } })).status).toBe(429);
    expect((await rawRequest(base, 'GET', '/health', { headers: { 'x-forwarded-for': '2001:db8:1:3::1' } })).status).toBe(200);
  });

  it('lets a subject check out at most 3 times in 10 minutes', async () => {
    const headers = { authorization: `Bearer ${await issuer.issueAccessToken({ sub: 'user-bob', scope: 'orders:write', amr: ['mfa'] })}`, 'x-forwarded-for': '192.0.2.80' };
    const statuses: number[] = [];
    for (const id of ['ord-0021', 'ord-0022', 'ord-0023', 'ord-0024']) statuses.push((await rawRequest(base, 'POST', `/orders/${id}/checkout`, { headers })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});

describe('client address without a trusted proxy', () => {
  it('ignores spoofed X-Forwarded-For and X-Real-IP', async () => {
    const direct = await createOrdersApp(readConfig({ AUDIT_LOG: join(tmpdir(), `orders-audit-${process.pid}-${Date.now()}-direct.log`), OIDC_ISSUER: issuer.issuer }));
    const directServer = createServer(direct.app);
    const directBase = await listen(directServer);
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 121; i++) {
        const spoof = { 'x-forwarded-for': `198.51.100.${i % 250}`, 'x-real-ip': `203.0.113.${i % 250}` };
        statuses.push((await rawRequest(directBase, 'GET', i % 2 ? '/health' : '/nowhere', { headers: spoof })).status);
      }
      expect(statuses[120]).toBe(429);
    } finally {
      await close(directServer);
      await direct.close();
    }
  });
});
