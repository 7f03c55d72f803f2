/**
 * DPoP proofs are one-time (RFC 9449 section 11.1). With several instances
 * behind a load balancer, a proof captured at one must also be refused at
 * the others: `dpop.store` remembers proofs where every instance counts,
 * the rate-limit store (Redis in production).
 */
import { createPalisade, PalisadeConfigError, type Palisade } from '@palisade/core';
import { createJwtAuthentication } from '@palisade/jwt-auth';
import { createRateLimitStore, type RateLimitStore } from '@palisade/rate-limit';
import { Redis } from 'ioredis';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRedis, type TestRedis } from '../../../test/helpers/redis-server';
import { send } from './support/drive-engine';
import { createDpopKey, createStaticIssuer, dpopProof, type DpopKey, type StaticIssuer } from './support/static-issuer';

const ORDERS_API = fileURLToPath(new URL('../../../test/fixtures/orders-api.yaml', import.meta.url));
const ORDERS_URL = 'http://api.example/orders';

let issuer: StaticIssuer;
let key: DpopKey;
let redis: TestRedis;
const clients: Redis[] = [];
const engines: Palisade[] = [];

beforeAll(async () => {
  [issuer, key, redis] = await Promise.all([createStaticIssuer('https://es.issuer.example'), createDpopKey(), startTestRedis()]);
});

afterAll(async () => {
  await Promise.all(engines.map((engine) => engine.close()));
  for (const client of clients) client.disconnect();
  await redis?.stop();
});

/** One service instance: its own engine and its own connection to the shared store. */
async function instance(store: RateLimitStore | undefined): Promise<Palisade> {
  const engine = await createPalisade({
    document: ORDERS_API,
    guards: [createJwtAuthentication({ issuers: [{ issuer: issuer.issuer, audience: issuer.audience, keys: issuer.jwks }], ...(store === undefined ? {} : { dpop: { store } }) })],
  });
  engines.push(engine);
  return engine;
}

// Connected before use: until then the store counts in its in-memory
// insurance (per instance, by design), which is not what is tested here.
async function redisStore(): Promise<RateLimitStore> {
  const client = new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  clients.push(client);
  if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
  // A generous time-out: a slow answer under a loaded test run would also go to the insurance.
  return createRateLimitStore({ redis: client, prefix: 'dpop-test', timeout: '5s' });
}

async function boundRequest() {
  const token = await issuer.sign({ cnf: { jkt: key.jkt } });
  return { authorization: `DPoP ${token}`, headers: { dpop: await dpopProof(key, { htm: 'GET', htu: ORDERS_URL, accessToken: token }) } };
}

describe('DPoP proofs shared between instances (dpop.store)', () => {
  it.each([
    ['a memory store both instances share', async () => { const store = createRateLimitStore(); return [store, store] as const; }],
    ['Redis, one connection per instance', async () => [await redisStore(), await redisStore()] as const],
  ])('refuses at instance B a proof already used at instance A (%s)', async (_label, stores) => {
    const [storeA, storeB] = await stores();
    const [a, b] = await Promise.all([instance(storeA), instance(storeB)]);
    const request = await boundRequest();
    expect((await send(a, request)).status).toBe(200);
    const replayed = await send(b, request);
    expect(replayed.status).toBe(401);
    expect(replayed.reason).toBe('token_binding_invalid');
    expect(replayed.privateDetail).toMatch(/another instance/);
    // Near miss: a fresh proof of the same client passes at B.
    expect((await send(b, await boundRequest())).status).toBe(200);
  });

  it('without a shared store, each instance remembers only its own proofs (the documented default)', async () => {
    const [a, b] = await Promise.all([instance(undefined), instance(undefined)]);
    const request = await boundRequest();
    expect((await send(a, request)).status).toBe(200);
    expect((await send(a, request)).reason).toBe('token_binding_invalid');
    expect((await send(b, request)).status).toBe(200);
  });

  it('fails closed (500) when the store fails', async () => {
    const failing = { counter: () => ({ consume: () => Promise.reject(new Error('store down')) }) };
    const engine = await createPalisade({ document: ORDERS_API, guards: [createJwtAuthentication({ issuers: [{ issuer: issuer.issuer, audience: issuer.audience, keys: issuer.jwks }], dpop: { store: failing } })] });
    engines.push(engine);
    const outcome = await send(engine, await boundRequest());
    expect(outcome.status).toBe(500);
    expect(outcome.reason).toBe('internal_error');
  });

  it('refuses a dpop.store that is not a store, naming the option', () => {
    expect(() => createJwtAuthentication({ issuers: [{ issuer: issuer.issuer, audience: issuer.audience, keys: issuer.jwks }], dpop: { store: {} as never } })).toThrow(PalisadeConfigError);
    expect(() => createJwtAuthentication({ issuers: [{ issuer: issuer.issuer, audience: issuer.audience, keys: issuer.jwks }], dpop: { store: {} as never } })).toThrow(/dpop\.store/);
  });
});
