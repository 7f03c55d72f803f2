/**
 * The Redis store against a real redis-server: instances share counters,
 * an outage keeps limits in force through the in-memory insurance limiter,
 * and counting returns to Redis when it is back.
 */
import type { Palisade } from '@palisade/core';
import { createRateLimiter, createRateLimitStore, type RateLimitStore, type RateLimitStoreEvent } from '@palisade/rate-limit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRedis, type TestRedis } from '../../../test/helpers/redis-server';
import { engineWith, ordersDocument, send, sleep, statuses } from './support/harness';

let redis: TestRedis;
const clients: Redis[] = [];

// Fail fast while Redis is away: no offline queue (commands are refused at
// once instead of waiting for a reconnection), one retry, a short connect
// timeout, and quick reconnection attempts so the tests see the recovery.
function connect(): Redis {
  const client = new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 500, commandTimeout: 500, retryStrategy: () => 50, lazyConnect: false });
  client.on('error', () => undefined);
  clients.push(client);
  return client;
}

async function ready(client: Redis): Promise<void> {
  for (let i = 0; i < 100 && client.status !== 'ready'; i++) await sleep(20);
  expect(client.status).toBe('ready');
}

/** One service instance: its own client, store and engine, on the shared Redis. */
async function instance(prefix: string, limit: number): Promise<{ engine: Palisade; store: RateLimitStore; client: Redis; events: RateLimitStoreEvent[] }> {
  const client = connect();
  await ready(client);
  const store = createRateLimitStore({ redis: client, prefix, timeout: '300ms' });
  const events: RateLimitStoreEvent[] = [];
  store.onEvent((event) => events.push(event));
  const engine = await engineWith(ordersDocument(), [createRateLimiter({ store, anonymous: { limit, window: '1m' } })]);
  return { engine, store, client, events };
}

beforeAll(async () => {
  redis = await startTestRedis();
});

afterAll(async () => {
  for (const client of clients) client.disconnect();
  await redis?.stop();
});

describe('the Redis store', () => {
  it('is of kind redis', () => {
    expect(createRateLimitStore({ redis: connect() }).kind).toBe('redis');
  });

  it('makes two service instances enforce one limit together', async () => {
    const a = await instance('shared', 4);
    const b = await instance('shared', 4);
    const results = [];
    for (let i = 0; i < 6; i++) results.push((await send(i % 2 === 0 ? a.engine : b.engine)).status);
    expect(results).toEqual([200, 200, 200, 200, 429, 429]);
    const refused = await send(b.engine);
    expect(refused.headers['ratelimit-policy']).toBe('"anonymous";q=4;w=60');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // The counts are in Redis, under the store's prefix.
    expect(Number(await a.client.get('shared:rl:anonymous:203.0.113.10'))).toBeGreaterThanOrEqual(4);
    expect(a.events).toEqual([]);
  });

  it('shares blocks: a username locked out through one instance is locked out on the other', async () => {
    const document = ordersDocument({ login: { 'x-palisade-brute-force': { identifier: '/username', maxFailures: 2, window: '1m' } } });
    const a = await engineWith(document, [createRateLimiter({ store: createRateLimitStore({ redis: connect(), prefix: 'bf' }) })]);
    const b = await engineWith(document, [createRateLimiter({ store: createRateLimitStore({ redis: connect(), prefix: 'bf' }) })]);
    for (const client of clients.slice(-2)) await ready(client);
    const attempt = (engine: Palisade, handlerStatus: number) => send(engine, { method: 'POST', url: '/login', body: { username: 'alice', password: 'x' }, handlerStatus });
    expect((await attempt(a, 401)).status).toBe(401);
    expect((await attempt(b, 401)).status).toBe(401);
    await sleep(50); // the block is written on completion
    const locked = await attempt(b, 200);
    expect(locked.status).toBe(429);
    expect(locked.reason).toBe('subject_blocked');
    expect((await attempt(a, 200)).status).toBe(429);
  });

  it('keeps limits in force through an outage, and counts in Redis again once it is back', async () => {
    const a = await instance('outage', 3);
    const b = await instance('outage', 3);
    expect(await statuses(a.engine, 1)).toEqual([200]);
    expect(await statuses(b.engine, 1)).toEqual([200]);

    await redis.stop();
    const started = Date.now();
    // Redis is gone: each instance counts in memory, so the limit holds
    // (per instance) and nothing hangs.
    expect(await statuses(a.engine, 4, { from: '198.51.100.50' })).toEqual([200, 200, 200, 429]);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(a.events[0]).toMatchObject({ type: 'store_outage', store: 'redis' });
    expect(typeof (a.events[0] as { error: string }).error).toBe('string');
    expect(a.events.filter((event) => event.type === 'store_outage')).toHaveLength(1);

    await redis.start();
    await ready(a.client);
    await ready(b.client);
    // The restarted Redis is empty; counting resumes there, shared again.
    expect(await statuses(a.engine, 2, { from: '198.51.100.60' })).toEqual([200, 200]);
    expect(a.events.at(-1)).toEqual({ type: 'store_recovered', store: 'redis' });
    expect(await statuses(b.engine, 2, { from: '198.51.100.60' })).toEqual([200, 429]);
    expect(Number(await a.client.get('outage:rl:anonymous:198.51.100.60'))).toBe(4);
  });

  it('rounds sub-second windows up to whole seconds (Redis expires keys in seconds)', async () => {
    const store = createRateLimitStore({ redis: connect(), prefix: 'round' });
    await ready(clients.at(-1)!);
    const counter = store.counter({ keyPrefix: 'short', points: 1, durationMs: 200 });
    // Shared counts are Redis's to answer: never counted at once in this process.
    expect(counter.consumeSync).toBeUndefined();
    await counter.consume('k');
    const ttl = await clients.at(-1)!.pttl('round:short:k');
    expect(ttl).toBeGreaterThan(200);
    expect(ttl).toBeLessThanOrEqual(1000);
  });
});
