import { createPalisade, type Palisade } from '@palisade/core';
import { createRateLimiter, type RateLimitWarning } from '@palisade/rate-limit';
import { describe, expect, it } from 'vitest';
import { engineWith, ordersDocument, send, sleep, testAuthentication, type TestRequest } from './support/harness';

const PASSWORDS: Record<string, string> = { alice: 'alice-pass-123', bob: 'bob-pass-123' };

/** POST /login as the example's handler answers it: 200 for the right password, 401 otherwise. */
function login(engine: Palisade, username: string, password: string, extra: TestRequest = {}) {
  const right = PASSWORDS[username.toLowerCase()] === password;
  return send(engine, { method: 'POST', url: '/login', body: { username, password }, handlerStatus: right ? 200 : 401, ...extra });
}

const reference = (overrides: Record<string, unknown> = {}) =>
  ordersDocument({ login: { 'x-palisade-brute-force': { identifier: '/username', maxFailures: 5, window: '15m', block: '15m', perAddress: { limit: 20, window: '1m' }, ...overrides } } });

describe('brute-force protection per identifier', () => {
  it('locks a username out after 5 failures, whatever the password and whichever address', async () => {
    const engine = await engineWith(reference(), [createRateLimiter()]);
    for (let i = 0; i < 5; i++) expect((await login(engine, 'alice', `guess-${i}`, { from: `198.51.100.${i + 1}` })).status).toBe(401);
    const locked = await login(engine, 'alice', 'alice-pass-123', { from: '192.0.2.200' });
    expect(locked.status).toBe(429);
    expect(locked.reason).toBe('subject_blocked');
    expect(locked.handled).toBe(false);
    const retryAfter = Number(locked.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(890);
    expect(retryAfter).toBeLessThanOrEqual(900);
    expect(locked.headers['ratelimit-policy']).toBe('"login-failures";q=5;w=900');
    expect(locked.headers.ratelimit).toBe(`"login-failures";r=0;t=${retryAfter}`);
  });

  it('lets another username in (near miss)', async () => {
    const engine = await engineWith(reference(), [createRateLimiter()]);
    for (let i = 0; i < 5; i++) await login(engine, 'alice', 'wrong');
    expect((await login(engine, 'bob', 'bob-pass-123')).status).toBe(200);
  });

  it('counts case and spacing variants of a username as one', async () => {
    const engine = await engineWith(reference(), [createRateLimiter()]);
    for (const spelling of ['alice', 'Alice', 'ALICE', ' alice', 'ａｌｉｃｅ']) expect((await login(engine, spelling, 'wrong')).status).toBe(401);
    expect((await login(engine, 'alice', 'alice-pass-123')).status).toBe(429);
  });

  it('forgets the failures after a successful login (near miss)', async () => {
    const engine = await engineWith(reference(), [createRateLimiter()]);
    for (let i = 0; i < 4; i++) await login(engine, 'alice', 'wrong');
    expect((await login(engine, 'alice', 'alice-pass-123')).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await login(engine, 'alice', 'wrong')).status).toBe(401);
    expect((await login(engine, 'alice', 'alice-pass-123')).status).toBe(200);
  });

  it('does not count answers that are not failures (400, 500)', async () => {
    const engine = await engineWith(reference(), [createRateLimiter()]);
    for (let i = 0; i < 8; i++) await login(engine, 'alice', 'x', { handlerStatus: 500 });
    expect((await login(engine, 'alice', 'alice-pass-123')).status).toBe(200);
  });

  it('keeps the block for `block`, longer than the window, then lets the user in', async () => {
    const engine = await engineWith(reference({ maxFailures: 2, window: '200ms', block: '600ms', perAddress: undefined }), [createRateLimiter()]);
    await login(engine, 'alice', 'wrong');
    await login(engine, 'alice', 'wrong');
    await sleep(300); // the window is over, the block is not
    expect((await login(engine, 'alice', 'alice-pass-123')).status).toBe(429);
    await sleep(400);
    expect((await login(engine, 'alice', 'alice-pass-123')).status).toBe(200);
  });

  it('lets at most maxFailures guesses reach the handler when they arrive together', async () => {
    const engine = await engineWith(reference(), [createRateLimiter()]);
    const outcomes = await Promise.all(Array.from({ length: 12 }, (_, i) => login(engine, 'alice', `guess-${i}`, { from: `198.51.100.${i + 1}` })));
    expect(outcomes.filter((outcome) => outcome.handled)).toHaveLength(5);
    expect(outcomes.filter((outcome) => outcome.status === 429).every((outcome) => outcome.reason === 'subject_blocked')).toBe(true);
  });
});

describe('brute-force protection per address', () => {
  it('caps attempts from one address, whatever the username (rate_limited)', async () => {
    const engine = await engineWith(reference({ perAddress: { limit: 3, window: '1m' } }), [createRateLimiter()]);
    for (const username of ['u1', 'u2', 'u3']) expect((await login(engine, username, 'x')).status).toBe(401);
    const refused = await login(engine, 'u4', 'x');
    expect(refused.status).toBe(429);
    expect(refused.reason).toBe('rate_limited');
    expect(refused.headers['ratelimit-policy']).toBe('"login-per-address";q=3;w=60');
    expect((await login(engine, 'u4', 'x', { from: '198.51.100.9' })).status).toBe(401);
  });
});

describe('brute-force protection set up in code', () => {
  it('works like the extension', async () => {
    const limiter = createRateLimiter({ operations: { login: { bruteForce: { identifier: '/username', maxFailures: 1, window: '1m' } } } });
    const engine = await engineWith(ordersDocument(), [limiter]);
    await login(engine, 'alice', 'wrong');
    expect((await login(engine, 'alice', 'alice-pass-123')).status).toBe(429);
  });
});

describe('without a parsed body', () => {
  it('fails closed and says why, once, when no validator parses the body', async () => {
    const warnings: RateLimitWarning[] = [];
    const limiter = createRateLimiter({ onWarning: (warning) => warnings.push(warning) });
    const engine = await createPalisade({ document: reference(), guards: [testAuthentication, limiter] });
    expect((await login(engine, 'alice', 'wrong')).status).toBe(500);
    expect((await login(engine, 'alice', 'wrong')).status).toBe(500);
    expect(warnings.map((warning) => warning.code)).toEqual(['body_not_parsed']);
  });

  it('lets a request without the identifier through to the per-address limit', async () => {
    const engine = await engineWith(reference({ perAddress: { limit: 2, window: '1m' } }), [createRateLimiter()]);
    const noName = () => send(engine, { method: 'POST', url: '/login', body: { password: 'x' }, handlerStatus: 401 });
    expect((await noName()).status).toBe(401);
    expect((await noName()).status).toBe(401);
    expect((await noName()).status).toBe(429);
  });
});
