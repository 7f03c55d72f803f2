import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, listen, rawRequest } from '../../../test/helpers/http';
import { startTestProvider, type TestProvider } from '../../../test/helpers/oidc-provider';
import { startTestRedis, type TestRedis } from '../../../test/helpers/redis-server';
import { createOrdersApp, type OrdersApp } from '../src/app';
import { readConfig } from '../src/config';

// Two instances of the service behind one (loopback) proxy, sharing a real Redis.
let issuer: TestProvider;
let redis: TestRedis;
const instances: { orders: OrdersApp; server: Server; base: string; trail: string }[] = [];

beforeAll(async () => {
  issuer = await startTestProvider({ audience: 'orders-api' });
  redis = await startTestRedis();
  for (const name of ['a', 'b']) {
    const trail = join(tmpdir(), `orders-redis-${name}-${process.pid}-${Date.now()}.log`);
    const orders = await createOrdersApp(readConfig({ OIDC_ISSUER: issuer.issuer, REDIS_URL: redis.url, TRUST_PROXY: 'loopback', AUDIT_LOG: trail }));
    const server = createServer(orders.app);
    instances.push({ orders, server, base: await listen(server), trail });
  }
});

afterAll(async () => {
  for (const instance of instances) {
    await close(instance.server);
    await instance.orders.close();
  }
  await redis.stop();
  await issuer.stop();
});

const login = (instance: number, from: string, username = 'nobody') =>
  rawRequest(instances[instance]!.base, 'POST', '/login', { headers: { 'x-forwarded-for': from }, body: JSON.stringify({ username, password: 'wrong' }) });

async function attemptsUntilRefused(from: string, alternate: boolean, max = 30): Promise<number> {
  for (let i = 1; i <= max; i++) {
    const res = await login(alternate ? i % 2 : 0, from, `user${i}`);
    if (res.status === 429) return i;
  }
  return -1;
}

describe('two instances sharing one Redis (reference: REDIS_URL)', () => {
  it('enforce one per-address login limit together', async () => {
    expect(await attemptsUntilRefused('198.51.100.1', true)).toBe(21);
  });

  it('share brute-force counts: a username locked on one instance is locked on the other', async () => {
    for (let i = 0; i < 5; i++) expect((await login(i % 2, `198.51.100.${10 + i}`, 'carol')).status).toBe(401);
    expect((await login(1, '198.51.100.99', 'carol')).status).toBe(429);
    expect((await login(0, '198.51.100.98', 'carol')).status).toBe(429);
  });

  it('keep limits in force through an outage, and share them again once Redis is back', async () => {
    await redis.stop();
    // Each instance falls back to its in-memory insurance limiter: still 20 a minute.
    expect(await attemptsUntilRefused('198.51.100.2', false)).toBe(21);
    await redis.start();
    // Wait (bounded) until the instances talk to Redis again.
    const deadline = Date.now() + 15_000;
    let shared = -1;
    for (let round = 3; Date.now() < deadline && shared !== 21; round++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      shared = await attemptsUntilRefused(`198.51.100.${round * 10 + 3}`, true);
    }
    expect(shared).toBe(21);
    const events = instances.flatMap((instance) => readFileSync(instance.trail, 'utf8').trim().split('\n').map((line) => JSON.parse(line)));
    expect(events.some((line) => line.event === 'security' && line.type === 'store_outage')).toBe(true);
    expect(events.some((line) => line.event === 'security' && line.type === 'store_recovered')).toBe(true);
  });
});
