import { PalisadeConfigError, createPalisade } from '@palisade/core';
import { createRateLimiter, createRateLimitStore } from '@palisade/rate-limit';
import { describe, expect, it, vi } from 'vitest';
import { engineWith, ordersDocument, send, settle, sleep, statuses } from './support/harness';

const anonymousOnly = () => createRateLimiter({ anonymous: { limit: 3, window: '1m' } });

describe('the anonymous limit', () => {
  it('refuses the request over the limit with 429, Retry-After and the RateLimit headers', async () => {
    const engine = await engineWith(ordersDocument(), [anonymousOnly()]);
    expect(await statuses(engine, 3)).toEqual([200, 200, 200]);
    const refused = await send(engine);
    expect(refused.status).toBe(429);
    expect(refused.reason).toBe('rate_limited');
    const retryAfter = Number(refused.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers['ratelimit-policy']).toBe('"anonymous";q=3;w=60');
    expect(refused.headers.ratelimit).toBe(`"anonymous";r=0;t=${retryAfter}`);
    expect(refused.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(refused.body!)).toMatchObject({ status: 429, title: 'Too Many Requests', type: 'urn:palisade:problem:rate-limited' });
  });

  it('counts per client address: another address has its own budget (near miss)', async () => {
    const engine = await engineWith(ordersDocument(), [anonymousOnly()]);
    await statuses(engine, 4, { from: '203.0.113.10' });
    expect((await send(engine, { from: '203.0.113.11' })).status).toBe(200);
  });

  it('counts requests to no operation, so path spellings cannot escape it', async () => {
    const engine = await engineWith(ordersDocument(), [anonymousOnly()]);
    // Case, slash and dot variants are 404 by core's matching, and counted.
    const first = await Promise.all(['/HEALTH', '/health/', '//health'].map((url) => send(engine, { url })));
    expect(first.map((outcome) => outcome.status)).toEqual([404, 404, 404]);
    expect((await send(engine, { url: '/health' })).status).toBe(429);
    const variant = await send(engine, { url: '/Health' });
    expect(variant.status).toBe(429);
    expect(variant.reason).toBe('rate_limited');
  });

  it('counts and refuses requests without a token to protected operations before authentication', async () => {
    const engine = await engineWith(ordersDocument(), [anonymousOnly()]);
    expect(await statuses(engine, 4, { url: '/orders' })).toEqual([401, 401, 401, 429]);
  });

  it('counts requests whose credentials authentication refused (a flood of bad tokens)', async () => {
    const engine = await engineWith(ordersDocument(), [anonymousOnly()]);
    // Answered by authentication (401), and counted on completion.
    expect(await statuses(engine, 3, { url: '/orders', authorization: 'Bearer forged' })).toEqual([401, 401, 401]);
    await settle();
    expect((await send(engine, { url: '/health' })).status).toBe(429);
  });

  it('never refuses an authenticated caller for its address’s anonymous traffic (near miss)', async () => {
    const engine = await engineWith(ordersDocument(), [anonymousOnly()]);
    await statuses(engine, 5);
    expect((await send(engine, { url: '/health' })).status).toBe(429);
    expect(await statuses(engine, 5, { url: '/orders', authorization: 'Test alice' })).toEqual([200, 200, 200, 200, 200]);
  });

  it('counts a public operation with credentials as anonymous (no caller is established there)', async () => {
    const engine = await engineWith(ordersDocument(), [anonymousOnly()]);
    expect(await statuses(engine, 4, { url: '/health', authorization: 'Test alice' })).toEqual([200, 200, 200, 429]);
  });

  it('reads other credential headers when told to', async () => {
    const limiter = createRateLimiter({ anonymous: { limit: 1, window: '1m', credentialHeaders: ['X-Api-Key', 'authorization'] } });
    const engine = await engineWith(ordersDocument(), [limiter]);
    await send(engine);
    // With an X-Api-Key the decision waits for authentication, and the
    // public operation establishes no caller: anonymous, over the limit.
    const outcome = await send(engine, { headers: { 'x-api-key': 'k' } });
    expect(outcome.status).toBe(429);
  });
});

describe('the authenticated limit', () => {
  const limiter = () => createRateLimiter({ anonymous: { limit: 2, window: '1m' }, authenticated: { limit: 3, window: '1m' } });

  it('counts per subject, whatever the address', async () => {
    const engine = await engineWith(ordersDocument(), [limiter()]);
    const results = [];
    for (const from of ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4']) results.push((await send(engine, { url: '/orders', authorization: 'Test alice', from })).status);
    expect(results).toEqual([200, 200, 200, 429]);
    const refused = await send(engine, { url: '/orders', authorization: 'Test alice' });
    expect(refused.headers['ratelimit-policy']).toBe('"authenticated";q=3;w=60');
  });

  it('gives another subject its own budget (near miss)', async () => {
    const engine = await engineWith(ordersDocument(), [limiter()]);
    await statuses(engine, 4, { url: '/orders', authorization: 'Test alice' });
    expect((await send(engine, { url: '/orders', authorization: 'Test bob' })).status).toBe(200);
  });

  it('takes `cost` points per request of an operation from the global limits', async () => {
    const costly = createRateLimiter({ authenticated: { limit: 4, window: '1m' }, operations: { listOrders: { cost: 2 } } });
    const engine = await engineWith(ordersDocument(), [costly]);
    expect(await statuses(engine, 3, { url: '/orders', authorization: 'Test alice' })).toEqual([200, 200, 429]);
  });
});

describe('the client address', () => {
  const spoofs: Record<string, string>[] = [
    { 'x-forwarded-for': '192.0.2.1' },
    { 'x-forwarded-for': '192.0.2.2, 192.0.2.3' },
    { 'x-real-ip': '192.0.2.4' },
    { forwarded: 'for=192.0.2.5' },
  ];

  it('ignores X-Forwarded-For, X-Real-IP and Forwarded when no proxy is trusted', async () => {
    const engine = await engineWith(ordersDocument(), [createRateLimiter({ anonymous: { limit: spoofs.length, window: '1m' } })]);
    for (const headers of spoofs) {
      const outcome = await send(engine, { headers });
      expect(outcome.status).toBe(200);
      expect(outcome.ctx.clientAddress).toBe('203.0.113.10');
    }
    // Same counter as without the headers: spent.
    expect((await send(engine, { headers: { 'x-forwarded-for': '192.0.2.99' } })).status).toBe(429);
    expect((await send(engine)).status).toBe(429);
  });

  it('believes a trusted proxy’s X-Forwarded-For (near miss)', async () => {
    const engine = await engineWith(ordersDocument(), [createRateLimiter({ trustProxy: 'loopback', anonymous: { limit: 1, window: '1m' } })]);
    const first = await send(engine, { from: '127.0.0.1', headers: { 'x-forwarded-for': '192.0.2.1' } });
    expect(first.ctx.clientAddress).toBe('192.0.2.1');
    expect((await send(engine, { from: '127.0.0.1', headers: { 'x-forwarded-for': '192.0.2.2' } })).status).toBe(200);
    expect((await send(engine, { from: '::1', headers: { 'x-forwarded-for': '192.0.2.1' } })).status).toBe(429);
    // X-Real-IP is never read, even behind a trusted proxy: the proxy's own address counts.
    expect((await send(engine, { from: '127.0.0.1', headers: { 'x-real-ip': '192.0.2.3' } })).ctx.clientAddress).toBe('127.0.0.1');
  });

  it('walks X-Forwarded-For only through trusted hops: what a client prepends is not believed', async () => {
    const engine = await engineWith(ordersDocument(), [createRateLimiter({ trustProxy: ['10.0.0.0/8'], anonymous: { limit: 1, window: '1m' } })]);
    // The proxy (10.0.0.2) appended the client's address last; the client
    // sent "192.0.2.50" itself.
    const outcome = await send(engine, { from: '10.0.0.2', headers: { 'x-forwarded-for': '192.0.2.50, 198.51.100.7' } });
    expect(outcome.ctx.clientAddress).toBe('198.51.100.7');
    expect((await send(engine, { from: '10.0.0.2', headers: { 'x-forwarded-for': '192.0.2.51, 198.51.100.7' } })).status).toBe(429);
    // Not from the proxy: the header is the client's word, not believed.
    expect((await send(engine, { from: '203.0.113.9', headers: { 'x-forwarded-for': '198.51.100.8' } })).ctx.clientAddress).toBe('203.0.113.9');
  });

  it('falls back to the socket when a trusted hop forwards something that is not an address', async () => {
    const engine = await engineWith(ordersDocument(), [createRateLimiter({ trustProxy: 'loopback', anonymous: { limit: 1, window: '1m' } })]);
    const outcome = await send(engine, { from: '127.0.0.1', headers: { 'x-forwarded-for': 'not-an-ip-1' } });
    expect(outcome.ctx.clientAddress).toBe('127.0.0.1');
    expect((await send(engine, { from: '127.0.0.1', headers: { 'x-forwarded-for': 'not-an-ip-2' } })).status).toBe(429);
  });

  it('counts every address of one IPv6 /64 as one client', async () => {
    const engine = await engineWith(ordersDocument(), [createRateLimiter({ anonymous: { limit: 3, window: '1m' } })]);
    const rotated = ['2001:db8:1:2::1', '2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:db8:1:2:abcd::9', '2001:0db8:0001:0002::7'];
    const results = [];
    for (const from of rotated) results.push((await send(engine, { from })).status);
    expect(results).toEqual([200, 200, 200, 429]);
    expect((await send(engine, { from: '2001:db8:1:2::1' })).ctx.clientAddress).toBe('2001:db8:1:2::1');
  });

  it('counts different /64s as different clients (near miss)', async () => {
    const engine = await engineWith(ordersDocument(), [createRateLimiter({ anonymous: { limit: 1, window: '1m' } })]);
    expect((await send(engine, { from: '2001:db8:1:2::1' })).status).toBe(200);
    expect((await send(engine, { from: '2001:db8:1:3::1' })).status).toBe(200);
  });

  it('counts per ipv6Prefix when configured', async () => {
    const engine = await engineWith(ordersDocument(), [createRateLimiter({ ipv6Prefix: 48, anonymous: { limit: 1, window: '1m' } })]);
    expect((await send(engine, { from: '2001:db8:1:2::1' })).status).toBe(200);
    expect((await send(engine, { from: '2001:db8:1:3::1' })).status).toBe(429);
  });

  it('counts an IPv4-mapped IPv6 address as the IPv4 address', async () => {
    const engine = await engineWith(ordersDocument(), [createRateLimiter({ anonymous: { limit: 2, window: '1m' } })]);
    const mapped = await send(engine, { from: '::ffff:192.0.2.7' });
    expect(mapped.ctx.clientAddress).toBe('192.0.2.7');
    expect((await send(engine, { from: '192.0.2.7' })).status).toBe(200);
    expect((await send(engine, { from: '::FFFF:c000:207' })).status).toBe(429);
  });

  it('shares one counter among requests with no address at all', async () => {
    const engine = await engineWith(ordersDocument(), [createRateLimiter({ anonymous: { limit: 1, window: '1m' } })]);
    expect((await send(engine, { from: null })).status).toBe(200);
    expect((await send(engine, { from: null })).status).toBe(429);
  });
});

describe('rules from the document', () => {
  it('applies root rules keyed by address at admission, before any token is verified', async () => {
    const document = ordersDocument({ root: { 'x-palisade-rate-limit': { name: 'per-address', by: ['ip'], limit: 2, window: '1m' } } });
    const engine = await engineWith(document, [createRateLimiter()]);
    expect(await statuses(engine, 3, { url: '/orders', authorization: 'Bearer forged' })).toEqual([401, 401, 429]);
    const refused = await send(engine, { url: '/orders', authorization: 'Test alice' });
    expect(refused.status).toBe(429);
    expect(refused.headers['ratelimit-policy']).toBe('"per-address";q=2;w=60');
    expect(refused.ctx.principal).toBeNull();
  });

  it('applies root rules keyed by subject after authentication, falling back to the address for anonymous callers', async () => {
    const document = ordersDocument({ root: { 'x-palisade-rate-limit': [{ name: 'per-subject', by: ['sub'], limit: 2, window: '1m' }] } });
    const engine = await engineWith(document, [createRateLimiter()]);
    expect(await statuses(engine, 3, { url: '/orders', authorization: 'Test alice' })).toEqual([200, 200, 429]);
    expect(await statuses(engine, 3, { url: '/health' })).toEqual([200, 200, 429]);
    expect((await send(engine, { url: '/orders', authorization: 'Test bob' })).status).toBe(200);
  });

  it('keeps one counter per operation for `by: [ip, operation]`', async () => {
    const document = ordersDocument({ root: { 'x-palisade-rate-limit': { by: ['ip', 'operation'], limit: 1, window: '1m' } } });
    const engine = await engineWith(document, [createRateLimiter()]);
    expect((await send(engine, { url: '/health' })).status).toBe(200);
    expect((await send(engine, { url: '/health' })).status).toBe(429);
    expect((await send(engine, { url: '/orders', authorization: 'Test alice' })).status).toBe(200);
    // Unmatched requests share one "operation" of their own.
    expect((await send(engine, { url: '/nope' })).status).toBe(404);
    expect((await send(engine, { url: '/nope2' })).status).toBe(429);
  });

  it('applies operation rules with their cost, and blocks for `block` with subject_blocked', async () => {
    const document = ordersDocument({ orders: { 'x-palisade-rate-limit': { by: ['sub'], limit: 4, window: '1s', cost: 2, block: '2s' } } });
    const engine = await engineWith(document, [createRateLimiter()]);
    expect(await statuses(engine, 2, { url: '/orders', authorization: 'Test alice' })).toEqual([200, 200]);
    const blocked = await send(engine, { url: '/orders', authorization: 'Test alice' });
    expect(blocked.status).toBe(429);
    expect(blocked.reason).toBe('subject_blocked');
    expect(blocked.headers['retry-after']).toBe('2');
    expect(blocked.headers['ratelimit-policy']).toBe('"listOrders";q=4;w=1');
    // Other operations are not limited by it.
    expect((await send(engine, { url: '/orders/o1/checkout', method: 'POST', authorization: 'Test alice' })).status).toBe(200);
  });

  it('adds code rules to the document’s', async () => {
    const limiter = createRateLimiter({ rules: [{ name: 'code', limit: 2, window: '1m' }], operations: { getHealth: { rateLimit: [{ limit: 1, window: '1m', by: ['operation'] }] } } });
    const engine = await engineWith(ordersDocument(), [limiter]);
    // getHealth's own rule (1 per window) refuses the second...
    expect(await statuses(engine, 2, { url: '/health' })).toEqual([200, 429]);
    // ...and both counted in the global rule (2 per address), now spent everywhere.
    expect((await send(engine, { url: '/orders', authorization: 'Test a' })).status).toBe(429);
    expect((await send(engine, { url: '/orders', authorization: 'Test a', from: '198.51.100.1' })).status).toBe(200);
  });
});

describe('operations without an operationId', () => {
  it('count under the id core gives them ("POST /path")', async () => {
    const document = ordersDocument();
    delete (document.paths['/orders/{orderId}/checkout'].post as { operationId?: string }).operationId;
    (document.paths['/orders/{orderId}/checkout'].post as Record<string, unknown>)['x-palisade-quota'] = { limit: 1, window: '1m' };
    const engine = await engineWith(document, [createRateLimiter()]);
    expect((await send(engine, { method: 'POST', url: '/orders/o1/checkout', authorization: 'Test alice' })).status).toBe(200);
    const refused = await send(engine, { method: 'POST', url: '/orders/o1/checkout', authorization: 'Test alice' });
    expect(refused.status).toBe(429);
    expect(refused.headers['ratelimit-policy']).toBe('"POST /orders/{orderId}/checkout-quota";q=1;w=60');
  });
});

describe('start-up errors', () => {
  it('names an unknown option and suggests the right one', () => {
    expect(() => createRateLimiter({ anonymus: { limit: 1, window: '1m' } } as never)).toThrow(/anonymus.*Did you mean "anonymous"/s);
  });

  it('refuses bad durations, limits and keys with their paths', () => {
    expect(() => createRateLimiter({ anonymous: { limit: 1, window: '5 minutes' } })).toThrow(/anonymous\.window must be a positive duration/);
    expect(() => createRateLimiter({ authenticated: { limit: 0, window: '1m' } })).toThrow(PalisadeConfigError);
    expect(() => createRateLimiter({ rules: [{ limit: 1, window: '1m', by: ['address' as never] }] })).toThrow(/rules\[0\]\.by\[0\]/);
  });

  it('refuses a trustProxy entry that is not an address, with its index', () => {
    expect(() => createRateLimiter({ trustProxy: ['10.0.0.0/8', 'proxy.internal'] })).toThrow(/trustProxy\[1\]/);
    expect(() => createRateLimiter({ trustProxy: ['none'] })).toThrow(/trustProxy\[0\]/);
    expect(() => createRateLimiter({ trustProxy: 'all' as never })).toThrow(PalisadeConfigError);
  });

  it('says how to call the store factory when it is passed uncalled', () => {
    expect(() => createRateLimiter({ store: createRateLimitStore as never })).toThrow(/Call it: store: createRateLimitStore/);
    expect(() => createRateLimiter({ store: {} as never })).toThrow(/must be a RateLimitStore/);
  });

  it('refuses operations that the document does not declare', async () => {
    const limiter = createRateLimiter({ operations: { logn: { cost: 2 } } });
    await expect(engineWith(ordersDocument(), [limiter])).rejects.toThrow(/operations\.logn names no operation/);
  });

  it('refuses a quota or brute-force protection declared in the document and in code', async () => {
    const document = ordersDocument({ checkout: { 'x-palisade-quota': { limit: 3, window: '10m' } } });
    const limiter = createRateLimiter({ operations: { checkout: { quota: { limit: 1, window: '1m' } } } });
    await expect(engineWith(document, [limiter])).rejects.toThrow(/both configure operation checkout; remove one/);
  });

  it('refuses two rules of one scope with the same name', async () => {
    const document = ordersDocument({ root: { 'x-palisade-rate-limit': { name: 'same', limit: 1, window: '1m' } } });
    await expect(engineWith(document, [createRateLimiter({ rules: [{ name: 'same', limit: 2, window: '1m' }] })])).rejects.toThrow(/named "same"/);
  });
});

describe('the guard', () => {
  it('sets ctx.clientAddress for the audit trail even with no limit configured', async () => {
    const engine = await engineWith(ordersDocument(), [createRateLimiter()]);
    expect((await send(engine, { from: '::ffff:198.51.100.4' })).ctx.clientAddress).toBe('198.51.100.4');
  });

  it.each([
    ['rejects (a server store)', { consumeSync: undefined, consume: () => Promise.reject(new Error('store down')) }],
    ['throws while counting in memory', { consumeSync: () => { throw new Error('store down'); } }],
  ])('fails closed (500) when the store %s', async (_case, failure) => {
    const store = createRateLimitStore();
    const broken = {
      kind: 'memory' as const,
      counter: (options: Parameters<typeof store.counter>[0]) => ({ ...store.counter(options), options, ...failure }),
      onEvent: () => undefined,
      close: async () => undefined,
    };
    const engine = await engineWith(ordersDocument(), [createRateLimiter({ store: broken, anonymous: { limit: 5, window: '1m' } })]);
    const outcome = await send(engine);
    expect(outcome.status).toBe(500);
    expect(outcome.reason).toBe('internal_error');
  });

  it('answers synchronously on the memory store, so later checks need no turn of the event loop', async () => {
    const engine = await engineWith(ordersDocument(), [createRateLimiter({ anonymous: { limit: 1, window: '1m' } })]);
    const first = engine.startRequest({ method: 'GET', url: '/health', headers: {}, remoteAddress: '198.51.100.7', readBody: null, peerCertificate: null });
    expect(engine.checkRequest(first)).toBeNull();
    const second = engine.startRequest({ method: 'GET', url: '/health', headers: {}, remoteAddress: '198.51.100.7', readBody: null, peerCertificate: null });
    const refused = engine.checkRequest(second);
    expect(refused).not.toBeInstanceOf(Promise);
    expect((refused as { status: number }).status).toBe(429);
  });

  it('lets a window pass: counting starts again', async () => {
    const engine = await engineWith(ordersDocument(), [createRateLimiter({ anonymous: { limit: 1, window: '200ms' } })]);
    expect(await statuses(engine, 2)).toEqual([200, 429]);
    await sleep(260);
    expect((await send(engine)).status).toBe(200);
  });

  it('closes the store it created when the engine closes, not one it was given', async () => {
    const given = createRateLimitStore();
    const close = vi.spyOn(given, 'close');
    const engine = await createPalisade({ document: ordersDocument(), guards: [createRateLimiter({ store: given })] });
    await engine.close();
    expect(close).not.toHaveBeenCalled();
  });

  it('lists itself once per operation in the start-up report', async () => {
    const engine = await engineWith(ordersDocument(), [createRateLimiter({ anonymous: { limit: 1, window: '1m' } })]);
    const report = engine.report();
    expect(report.operations.find((operation) => operation.operationId === 'getHealth')?.guards).toContain('rate-limit');
  });
});
