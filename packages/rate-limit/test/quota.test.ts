import { createRateLimiter } from '@palisade/rate-limit';
import { describe, expect, it } from 'vitest';
import { engineWith, ordersDocument, send } from './support/harness';

const checkout = (authorization: string, handlerStatus = 200) => ({ method: 'POST', url: '/orders/ord-0001/checkout', authorization, handlerStatus });

describe('business-flow quotas', () => {
  it('refuses the 4th checkout of one subject in the window (countOn: attempt)', async () => {
    const engine = await engineWith(ordersDocument({ checkout: { 'x-palisade-quota': { by: ['sub'], limit: 3, window: '10m' } } }), [createRateLimiter()]);
    for (let i = 0; i < 3; i++) expect((await send(engine, checkout('Test alice'))).status).toBe(200);
    const refused = await send(engine, checkout('Test alice'));
    expect(refused.status).toBe(429);
    expect(refused.reason).toBe('rate_limited');
    expect(refused.headers['ratelimit-policy']).toBe('"checkout-quota";q=3;w=600');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(590);
    // Another subject has its own quota (near miss).
    expect((await send(engine, checkout('Test bob'))).status).toBe(200);
  });

  it('answers synchronously on the memory store', async () => {
    const engine = await engineWith(ordersDocument({ checkout: { 'x-palisade-quota': { by: ['sub'], limit: 1, window: '10m' } } }), [createRateLimiter()]);
    const check = () => engine.checkRequest(engine.startRequest({ method: 'POST', url: '/orders/ord-0001/checkout', headers: { authorization: 'Test alice' }, remoteAddress: '203.0.113.10', readBody: null, peerCertificate: null }));
    expect(check()).toBeNull();
    const refused = check();
    expect(refused).not.toBeInstanceOf(Promise);
    expect(refused).toMatchObject({ status: 429 });
  });

  it('counts attempts that failed in the handler too (countOn: attempt)', async () => {
    const engine = await engineWith(ordersDocument({ checkout: { 'x-palisade-quota': { limit: 2, window: '10m' } } }), [createRateLimiter()]);
    await send(engine, checkout('Test alice', 409));
    await send(engine, checkout('Test alice', 409));
    expect((await send(engine, checkout('Test alice'))).status).toBe(429);
  });

  it('counts only 2xx answers with countOn: success', async () => {
    const engine = await engineWith(ordersDocument({ checkout: { 'x-palisade-quota': { limit: 2, window: '10m', countOn: 'success' } } }), [createRateLimiter()]);
    for (let i = 0; i < 5; i++) expect((await send(engine, checkout('Test alice', 409))).status).toBe(409);
    expect((await send(engine, checkout('Test alice'))).status).toBe(200);
    expect((await send(engine, checkout('Test alice'))).status).toBe(200);
    expect((await send(engine, checkout('Test alice'))).status).toBe(429);
  });

  it('lets at most `limit` concurrent requests through with countOn: success', async () => {
    const engine = await engineWith(ordersDocument({ checkout: { 'x-palisade-quota': { limit: 3, window: '10m', countOn: 'success' } } }), [createRateLimiter()]);
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => send(engine, checkout('Test alice'))));
    expect(outcomes.filter((outcome) => outcome.handled)).toHaveLength(3);
  });

  it('does not count requests refused before the quota (authorization, validation)', async () => {
    const engine = await engineWith(ordersDocument({ checkout: { 'x-palisade-quota': { limit: 1, window: '10m', countOn: 'success' } } }), [createRateLimiter()]);
    expect((await send(engine, { ...checkout('Bad'), handlerStatus: 200 })).status).toBe(401);
    expect((await send(engine, checkout('Test alice'))).status).toBe(200);
  });

  it('can be given in code', async () => {
    const limiter = createRateLimiter({ operations: { checkout: { quota: { limit: 1, window: '1m' } } } });
    const engine = await engineWith(ordersDocument(), [limiter]);
    expect((await send(engine, checkout('Test alice'))).status).toBe(200);
    expect((await send(engine, checkout('Test alice'))).status).toBe(429);
  });
});
