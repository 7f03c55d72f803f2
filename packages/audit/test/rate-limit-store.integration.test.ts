/**
 * Anomaly detection with the real store of @palisade/rate-limit: in
 * memory, and in a real redis-server shared by two service instances,
 * each with its own client and store (what several replicas do).
 */
import { join } from 'node:path';
import { createAuditTrail, type AuditAlert, type AuditTrail } from '@palisade/audit';
import type { Palisade } from '@palisade/core';
import { createRateLimitStore, type RateLimitStore } from '@palisade/rate-limit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRedis, type TestRedis } from '../../../test/helpers/redis-server';
import { engine, fakeAuthentication, ownership, principal, send, tempDir } from './support/harness';

interface Instance {
  readonly palisade: Palisade;
  readonly audit: AuditTrail;
  readonly store: RateLimitStore;
  readonly alerts: AuditAlert[];
}

const instances: Instance[] = [];

async function instance(store: RateLimitStore): Promise<Instance> {
  const alerts: AuditAlert[] = [];
  const audit = createAuditTrail({ destination: join(tempDir(), 'audit.log'), store, handleSignals: false, onAlert: (alert) => void alerts.push(alert) });
  const palisade = await engine([fakeAuthentication({ alice: principal('user-alice', 'jti-alice'), bob: principal('user-bob', 'jti-bob') }), ownership, audit]);
  const created = { palisade, audit, store, alerts };
  instances.push(created);
  return created;
}

async function get(on: Instance, token: string, orderId: string, ip = '203.0.113.7'): Promise<number> {
  const { status } = await send(on.palisade, { url: `/orders/${orderId}`, headers: { authorization: `Bearer ${token}` }, ip });
  await on.audit.whenIdle();
  return status;
}

afterAll(async () => {
  for (const { palisade, store } of instances.splice(0)) {
    await palisade.close();
    await store.close();
  }
});

describe('with the real memory store', () => {
  it('detects ID enumeration and token replay, and blocks the enumerating subject', async () => {
    const s = await instance(createRateLimitStore());
    for (let i = 1; i <= 9; i++) await get(s, 'alice', `ord-user-bob-${i}`);
    expect(s.alerts).toEqual([]);
    await get(s, 'alice', 'ord-user-bob-10');
    expect(s.alerts.map((alert) => alert.alert)).toEqual(['bola_enumeration']);
    expect(await get(s, 'alice', 'ord-user-alice-1')).toBe(429);

    for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) await get(s, 'bob', 'ord-user-bob-1', ip);
    expect(s.alerts).toHaveLength(1);
    await get(s, 'bob', 'ord-user-bob-1', '198.51.100.4');
    await get(s, 'bob', 'ord-user-bob-1', '198.51.100.5');
    expect(s.alerts.map((alert) => alert.alert)).toEqual(['bola_enumeration', 'token_replay_suspected']);
  });
});

describe('with a Redis store shared by two instances', () => {
  let redis: TestRedis;
  const clients: Redis[] = [];

  beforeAll(async () => {
    redis = await startTestRedis();
  });

  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await redis?.stop();
  });

  async function redisStore(): Promise<RateLimitStore> {
    const client = new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    client.on('error', () => undefined);
    clients.push(client);
    for (let i = 0; i < 100 && client.status !== 'ready'; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    return createRateLimitStore({ redis: client, prefix: 'audit-test' });
  }

  it('adds up both instances\' requests, alerts once, and blocks on both', async () => {
    const a = await instance(await redisStore());
    const b = await instance(await redisStore());
    for (let i = 1; i <= 10; i++) await get(i % 2 ? a : b, 'alice', `ord-user-bob-${i}`);
    expect([...a.alerts, ...b.alerts].map((alert) => alert.alert)).toEqual(['bola_enumeration']);
    expect(await get(a, 'alice', 'ord-user-alice-1')).toBe(429);
    expect(await get(b, 'alice', 'ord-user-alice-1')).toBe(429);

    // One token from four addresses, spread over the two instances, a pair seen on both.
    for (const [on, ip] of [[a, '198.51.100.1'], [b, '198.51.100.2'], [b, '198.51.100.1'], [a, '198.51.100.3']] as const) await get(on, 'bob', 'ord-user-bob-1', ip);
    expect([...a.alerts, ...b.alerts]).toHaveLength(1);
    await get(b, 'bob', 'ord-user-bob-1', '198.51.100.4');
    expect([...a.alerts, ...b.alerts].map((alert) => alert.alert).sort()).toEqual(['bola_enumeration', 'token_replay_suspected']);
    expect(b.alerts.at(-1)).toMatchObject({ alert: 'token_replay_suspected', jti: 'jti-bob', ip: '198.51.100.4' });
  });
});
