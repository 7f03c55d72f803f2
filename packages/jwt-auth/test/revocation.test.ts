/**
 * Revocation (src/internal/revocation.ts) through the guard: one token by
 * its jti, or every token of a subject issued until now ("log out
 * everywhere"); in process memory, and in a real Redis shared by several
 * instances (one started after the revocation).
 */
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPalisade, type Palisade } from '@palisade/core';
import { MemoryRevocationList, RedisRevocationList, createJwtAuthentication, type JwtAuthentication, type RevocationList } from '@palisade/jwt-auth';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestRedis, type TestRedis } from '../../../test/helpers/redis-server';
import { bearer, send, type TestOutcome } from './support/drive-engine';
import { createStaticIssuer, type StaticIssuer } from './support/static-issuer';

const ORDERS_API = fileURLToPath(new URL('../../../test/fixtures/orders-api.yaml', import.meta.url));

let es: StaticIssuer;
const engines: Palisade[] = [];

beforeAll(async () => {
  es = await createStaticIssuer('https://es.issuer.example');
});

afterEach(async () => {
  while (engines.length > 0) await engines.pop()!.close();
  vi.useRealTimers();
});

/** One service instance: an engine whose jwt-auth guard uses `revocation`. */
async function startInstance(revocation?: RevocationList): Promise<{ engine: Palisade; auth: JwtAuthentication }> {
  const auth = createJwtAuthentication({ issuers: [{ issuer: es.issuer, audience: es.audience, keys: es.jwks }], ...(revocation === undefined ? {} : { revocation }) });
  const engine = await createPalisade({ document: ORDERS_API, guards: [auth] });
  engines.push(engine);
  return { engine, auth };
}

const verdict = (outcome: TestOutcome) => ({ status: outcome.status, reason: outcome.reason });
const REVOKED = { status: 401, reason: 'token_revoked' };
const PASSED = { status: 200, reason: null };

describe('in memory (the default)', () => {
  it('revokeToken refuses that token (by jti) and no other', async () => {
    const { engine, auth } = await startInstance();
    const revoked = await es.sign({ jti: 'jti-1' });
    const sibling = await es.sign({ jti: 'jti-2' });

    await auth.revokeToken('jti-1', new Date(Date.now() + 600_000));

    expect(verdict(await send(engine, bearer(revoked)))).toEqual(REVOKED);
    expect(verdict(await send(engine, bearer(sibling))), 'same subject, another token').toEqual(PASSED);
  });

  it('revokeSubject refuses every token of the subject issued until then, and accepts those issued after', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const revokedAt = Math.floor(Date.now() / 1000) * 1000 + 500;
    vi.setSystemTime(revokedAt);
    const { engine, auth } = await startInstance();
    const at = (ms: number) => Math.floor(ms / 1000);
    const earlier = await es.sign({ sub: 'user-bob', iat: at(revokedAt) - 120 });
    const sameSecond = await es.sign({ sub: 'user-bob', iat: at(revokedAt) });
    const otherSubject = await es.sign({ sub: 'user-alice', iat: at(revokedAt) - 120 });
    expect(verdict(await send(engine, bearer(earlier)))).toEqual(PASSED);

    await auth.revokeSubject('user-bob');

    expect(verdict(await send(engine, bearer(earlier)))).toEqual(REVOKED);
    // iat has one-second resolution: the second of the revocation counts as before it.
    expect(verdict(await send(engine, bearer(sameSecond)))).toEqual(REVOKED);
    expect(verdict(await send(engine, bearer(otherSubject)))).toEqual(PASSED);

    vi.setSystemTime(revokedAt + 1000);
    const later = await es.sign({ sub: 'user-bob', iat: at(revokedAt) + 1 });
    expect(verdict(await send(engine, bearer(later))), 'logged in again after the revocation').toEqual(PASSED);
  });

  it('one MemoryRevocationList passed to two guards in one process is shared', async () => {
    const list = new MemoryRevocationList();
    const a = await startInstance(list);
    const b = await startInstance(list);
    const token = await es.sign({ jti: 'shared-jti' });
    expect(verdict(await send(b.engine, bearer(token)))).toEqual(PASSED);

    await a.auth.revokeToken('shared-jti', new Date(Date.now() + 600_000));

    expect(verdict(await send(b.engine, bearer(token)))).toEqual(REVOKED);
  });
});

describe('in Redis, shared by instances', () => {
  let redis: TestRedis;
  const clients: Redis[] = [];
  const connect = () => {
    const client = new Redis(redis.url, { lazyConnect: false, maxRetriesPerRequest: 1 });
    clients.push(client);
    return RedisRevocationList.connect(client);
  };

  beforeAll(async () => {
    redis = await startTestRedis();
  });

  afterAll(async () => {
    while (engines.length > 0) await engines.pop()!.close();
    await Promise.all(clients.map((client) => client.quit()));
    await redis?.stop();
  });

  /** Polls (briefly, bounded) until `check` holds: pub/sub delivery is asynchronous. */
  async function eventually(check: () => Promise<boolean>, timeoutMs = 2000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await check()) return true;
      await sleep(10);
    }
    return check();
  }

  it('a revocation on one instance is refused at once by the other; an instance started later loads it', async () => {
    const a = await startInstance(await connect());
    const b = await startInstance(await connect());
    const revokedToken = await es.sign({ jti: 'redis-jti-1', sub: 'user-alice' });
    const bobBefore = await es.sign({ sub: 'user-bob', iat: Math.floor(Date.now() / 1000) - 60 });
    // Both instances have verified (and cached) the tokens.
    for (const instance of [a, b]) {
      expect(verdict(await send(instance.engine, bearer(revokedToken)))).toEqual(PASSED);
      expect(verdict(await send(instance.engine, bearer(bobBefore)))).toEqual(PASSED);
    }

    await a.auth.revokeToken('redis-jti-1', new Date(Date.now() + 600_000));
    expect(verdict(await send(a.engine, bearer(revokedToken))), 'the revoking instance, synchronously').toEqual(REVOKED);
    expect(await eventually(async () => (await send(b.engine, bearer(revokedToken))).reason === 'token_revoked'), 'the other instance').toBe(true);

    await b.auth.revokeSubject('user-bob');
    expect(await eventually(async () => (await send(a.engine, bearer(bobBefore))).reason === 'token_revoked')).toBe(true);

    const c = await startInstance(await connect());
    expect(verdict(await send(c.engine, bearer(revokedToken))), 'token revocation loaded from Redis').toEqual(REVOKED);
    expect(verdict(await send(c.engine, bearer(bobBefore))), 'subject revocation loaded from Redis').toEqual(REVOKED);
    expect(verdict(await send(c.engine, bearer(await es.sign({ sub: 'user-alice', jti: 'redis-jti-2' }))))).toEqual(PASSED);
  });

  it('keeps a token revocation in Redis until the token would have expired, not longer', async () => {
    const client = new Redis(redis.url);
    clients.push(client);
    const { auth } = await startInstance(await connect());

    await auth.revokeToken('redis-jti-ttl', new Date(Date.now() + 120_000));

    const ttl = await client.pttl('palisade:revoked:jti:redis-jti-ttl');
    expect(ttl).toBeGreaterThan(100_000);
    expect(ttl).toBeLessThanOrEqual(120_000);
  });
});
