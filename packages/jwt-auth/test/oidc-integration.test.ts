/**
 * jwt-auth against a real OpenID Provider on loopback: discovery, key
 * rotation while the service runs, an issuer that goes away (and one that
 * is away when the service starts), the refetch cooldown under bursts of
 * unknown kids, and RFC 7662 introspection of opaque tokens. No mocks: the
 * tokens, keys, JWKS and introspection answers are the provider's own.
 *
 * Tests run in order: some rotate the provider's keys or stop it.
 */
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { PalisadeConfigError, createPalisade, type Palisade } from '@palisade/core';
import { createJwtAuthentication, type JwtAuthenticationOptions } from '@palisade/jwt-auth';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestProvider, type TestProvider } from '../../../test/helpers/oidc-provider';
import { forgeToken } from '../../../test/helpers/token-forge';
import { startCountingProxy, type CountingProxy } from './support/counting-proxy';
import { bearer, send } from './support/drive-engine';
import { createStaticIssuer, nowSeconds, type StaticIssuer } from './support/static-issuer';

const ORDERS_API = fileURLToPath(new URL('../../../test/fixtures/orders-api.yaml', import.meta.url));

type AuthEvent = Parameters<NonNullable<JwtAuthenticationOptions['onEvent']>>[0];

let op: TestProvider;
let attacker: StaticIssuer;
let proxy: CountingProxy;
const engines: Palisade[] = [];

beforeAll(async () => {
  [op, attacker] = await Promise.all([startTestProvider(), createStaticIssuer('https://attacker.example')]);
  proxy = await startCountingProxy(op.issuer);
});

afterEach(async () => {
  while (engines.length > 0) await engines.pop()!.close();
  vi.useRealTimers();
  await op.start();
});

afterAll(async () => {
  await proxy?.stop();
  await op?.stop();
});

/** An engine whose only guard is jwt-auth with `options`; events are collected. */
async function startEngine(options: Omit<JwtAuthenticationOptions, 'onEvent'>): Promise<{ engine: Palisade; events: AuthEvent[] }> {
  const events: AuthEvent[] = [];
  const engine = await createPalisade({ document: ORDERS_API, guards: [createJwtAuthentication({ ...options, onEvent: (event) => events.push(event) })] });
  engines.push(engine);
  return { engine, events };
}

/** A correctly shaped token for the provider's issuer, signed with a key it never published, under `kid`. */
function unknownKidToken(kid: string): Promise<string> {
  const now = nowSeconds();
  return forgeToken({ header: { alg: 'ES256', kid }, payload: { iss: op.issuer, aud: op.audience, sub: 'user-mallory', iat: now, exp: now + 600, jti: kid }, key: attacker.privateKey });
}

/** Rejects when `promise` takes longer than `ms`: the service must answer, not hang. */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  return Promise.race([promise, sleep(ms, undefined, { ref: false }).then(() => Promise.reject(new Error(`no answer within ${ms} ms`)))]);
}

describe('discovery', () => {
  it('finds the keys through /.well-known/openid-configuration and verifies real tokens', async () => {
    const { engine, events } = await startEngine({ issuers: [{ issuer: op.issuer, audience: op.audience }] });
    const token = await op.issueAccessToken({ sub: 'user-alice', scope: 'orders:read orders:write', acr: 'urn:example:acr:mfa', amr: ['pwd', 'mfa'] });

    const outcome = await send(engine, bearer(token));

    expect(outcome.status).toBe(200);
    expect(outcome.principal).toMatchObject({ subject: 'user-alice', clientId: 'palisade-test-client', issuer: op.issuer, method: 'jwt', acr: 'urn:example:acr:mfa', amr: ['pwd', 'mfa'] });
    expect([...outcome.principal!.scopes]).toEqual(['orders:read', 'orders:write']);
    expect(outcome.principal!.tokenId).toEqual(expect.any(String));
    expect(events).toContainEqual({ type: 'keys_refreshed', issuer: op.issuer, keyIds: [op.currentKid] });
  });

  it('refuses plain http to an issuer that is not on loopback, at construction', () => {
    for (const issuer of ['http://issuer.example', 'http://10.0.0.7', 'http://127.0.0.1.nip.io', 'http://localhost.evil.example']) {
      expect(() => createJwtAuthentication({ issuers: [{ issuer, audience: 'orders-api' }] }), issuer).toThrow(expect.objectContaining({ code: 'ERR_PALISADE_INVALID_OPTIONS', path: 'issuers[0].issuer' }));
    }
    expect(() => createJwtAuthentication({ issuers: [{ issuer: 'https://issuer.example', audience: 'orders-api', jwksUri: 'http://keys.example/jwks' }] })).toThrow(PalisadeConfigError);
  });
});

describe('refetch cooldown (unknown kid)', () => {
  it('fetches the JWKS at most once per cooldown under a burst of 50 unknown kids', async () => {
    // The key set measures its cooldown with performance.now(): a frozen clock makes "within the cooldown" exact.
    vi.useFakeTimers({ toFake: ['performance'] });
    const forged = await Promise.all(Array.from({ length: 50 }, (_, index) => unknownKidToken(`made-up-${index}`)));
    proxy.reset();
    const { engine } = await startEngine({ issuers: [{ issuer: op.issuer, audience: op.audience, jwksUri: `${proxy.origin}/jwks`, jwksCooldown: '30s' }] });
    expect(proxy.count('/jwks'), 'the fetch at start-up').toBe(1);

    // Within the cooldown of the start-up fetch: no fetch at all.
    const early = await Promise.all(forged.map((token) => send(engine, bearer(token))));
    expect(proxy.count('/jwks')).toBe(1);

    vi.advanceTimersByTime(30_000);
    const late = await Promise.all(forged.map((token) => send(engine, bearer(token))));
    expect(proxy.count('/jwks'), 'one refetch for the whole burst').toBe(2);

    for (const outcome of [...early, ...late]) expect({ status: outcome.status, reason: outcome.reason }).toEqual({ status: 401, reason: 'token_signature_invalid' });
  });

  it('after a rotation, 50 concurrent requests with the new kid share one in-flight fetch and all pass', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    proxy.reset();
    const { engine } = await startEngine({ issuers: [{ issuer: op.issuer, audience: op.audience, jwksUri: `${proxy.origin}/jwks`, jwksCooldown: '30s' }] });
    await op.rotateKeys();
    const token = await op.issueAccessToken({ sub: 'user-alice' });
    vi.advanceTimersByTime(30_000);

    const outcomes = await Promise.all(Array.from({ length: 50 }, () => send(engine, bearer(token))));

    expect(outcomes.map((outcome) => outcome.reason ?? 'pass')).toEqual(Array(50).fill('pass'));
    expect(proxy.count('/jwks')).toBe(2);
  });
});

describe('key rotation at the provider', () => {
  it('a token with the new kid verifies after one refetch; old-kid tokens keep verifying while the old key is published', async () => {
    const { engine, events } = await startEngine({ issuers: [{ issuer: op.issuer, audience: op.audience, jwksCooldown: '1ms' }] });
    const oldKid = op.currentKid;
    const before = await op.issueAccessToken({ sub: 'user-alice' });
    await op.rotateKeys();
    const after = await op.issueAccessToken({ sub: 'user-alice' });
    expect(op.currentKid).not.toBe(oldKid);

    expect((await send(engine, bearer(after))).status).toBe(200);
    expect((await send(engine, bearer(before))).status).toBe(200);
    const lastRefresh = events.filter((event) => event.type === 'keys_refreshed').at(-1) as { keyIds: readonly string[] };
    expect(lastRefresh.keyIds[0]).toBe(op.currentKid);
    expect(lastRefresh.keyIds).toContain(oldKid);
  });

  it('with the old key withdrawn (dropOld), old-kid tokens verify from the key cache until the background refresh, then are refused', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let refreshed: () => void = () => {};
    const events: AuthEvent[] = [];
    const auth = createJwtAuthentication({
      issuers: [{ issuer: op.issuer, audience: op.audience, jwksMaxAge: '10m', jwksCooldown: '1h' }],
      onEvent: (event) => {
        events.push(event);
        if (event.type === 'keys_refreshed') refreshed();
      },
    });
    const engine = await createPalisade({ document: ORDERS_API, guards: [auth] });
    engines.push(engine);

    const oldKid = op.currentKid;
    const seenBefore = await op.issueAccessToken({ sub: 'user-alice' });
    expect((await send(engine, bearer(seenBefore))).status).toBe(200);
    const unseenOldKid = await op.issueAccessToken({ sub: 'user-alice' });
    const neverSent = await op.issueAccessToken({ sub: 'user-alice' });
    await op.rotateKeys({ dropOld: true });
    const newKid = await op.issueAccessToken({ sub: 'user-alice' });

    // The provider no longer publishes the old key, but we do not know yet.
    expect((await send(engine, bearer(unseenOldKid))).status).toBe(200);
    // A new kid within the cooldown (1 h) is not fetched for.
    expect((await send(engine, bearer(newKid))).reason).toBe('token_signature_invalid');

    const background = new Promise<void>((resolve) => (refreshed = resolve));
    vi.advanceTimersByTime(10 * 60_000);
    await background;
    expect(events.at(-1)).toEqual({ type: 'keys_refreshed', issuer: op.issuer, keyIds: [op.currentKid] });

    expect((await send(engine, bearer(neverSent))).reason, 'an old-kid token first seen after the refresh').toBe('token_signature_invalid');
    expect((await send(engine, bearer(await unknownKidToken(oldKid)))).reason, 'whatever a holder of the withdrawn key signs').toBe('token_signature_invalid');
    // Verified (and cached) before the withdrawal: the refresh drops them from the verified-token cache too.
    expect((await send(engine, bearer(unseenOldKid))).reason).toBe('token_signature_invalid');
    expect((await send(engine, bearer(seenBefore))).reason).toBe('token_signature_invalid');
    expect((await send(engine, bearer(newKid))).status).toBe(200);
  });
});

describe('the issuer goes away', () => {
  it('keeps verifying with the cached keys; an unknown kid is refused with a reason, promptly, without crashing', async () => {
    const { engine, events } = await startEngine({ issuers: [{ issuer: op.issuer, audience: op.audience, jwksCooldown: '1ms' }] });
    const issuedBeforeStop = await op.issueAccessToken({ sub: 'user-alice' });
    await op.stop();

    const known = await within(3000, send(engine, bearer(issuedBeforeStop)));
    expect(known.status).toBe(200);

    const unknown = await within(3000, Promise.all(Array.from({ length: 20 }, (_, index) => unknownKidToken(`while-down-${index}`)).map(async (token) => send(engine, bearer(await token)))));
    for (const outcome of unknown) expect({ status: outcome.status, reason: outcome.reason }).toEqual({ status: 401, reason: 'token_signature_invalid' });
    expect(events.some((event) => event.type === 'keys_refresh_failed')).toBe(true);

    // Still serving the known key afterwards.
    await op.start();
    expect((await send(engine, bearer(await op.issueAccessToken({ sub: 'user-bob' })))).status).toBe(200);
  });

  it('starts while the issuer is down, refuses tokens meanwhile, and verifies them once the issuer is back and the cooldown passed', async () => {
    const token = await op.issueAccessToken({ sub: 'user-alice' });
    await op.stop();

    const { engine, events } = await within(8000, startEngine({ issuers: [{ issuer: op.issuer, audience: op.audience, jwksCooldown: '150ms' }] }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'issuer_unavailable', issuer: op.issuer }));

    const whileDown = await within(3000, send(engine, bearer(token)));
    expect({ status: whileDown.status, reason: whileDown.reason }).toEqual({ status: 401, reason: 'token_invalid' });
    expect(whileDown.privateDetail).toContain('not available');

    await op.start();
    await sleep(160);
    // Concurrent requests share the one discovery that brings the keys; none is refused meanwhile.
    const back = await Promise.all(Array.from({ length: 10 }, () => send(engine, bearer(token))));
    expect(back.map((outcome) => outcome.reason ?? 'pass')).toEqual(Array(10).fill('pass'));
    expect(events.filter((event) => event.type === 'keys_refreshed')).toHaveLength(1);
  });
});

describe('introspection of opaque tokens (RFC 7662)', () => {
  const introspectionOptions = (cacheMaxAge?: string) => ({
    issuers: [{ issuer: op.issuer, audience: op.audience }],
    introspection: { issuer: op.issuer, clientId: op.introspectionClient.clientId, clientSecret: op.introspectionClient.clientSecret, ...(cacheMaxAge === undefined ? {} : { cacheMaxAge }) },
  });

  it('an active token becomes the principal', async () => {
    const { engine } = await startEngine(introspectionOptions());
    const token = await op.issueAccessToken({ sub: 'user-alice', scope: 'orders:read', format: 'opaque' });
    expect(token).not.toContain('.');

    const outcome = await send(engine, bearer(token));

    expect(outcome.status).toBe(200);
    expect(outcome.principal).toMatchObject({ subject: 'user-alice', clientId: 'palisade-test-client', method: 'introspection' });
    expect([...outcome.principal!.scopes]).toEqual(['orders:read']);
  });

  it('a token revoked at the provider is refused once the introspection cache entry expires', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { engine } = await startEngine(introspectionOptions('30s'));
    const token = await op.issueAccessToken({ sub: 'user-alice', format: 'opaque' });
    expect((await send(engine, bearer(token))).status).toBe(200);

    await op.revokeToken(token);
    // The revocation is not seen while the cached answer lasts (at most cacheMaxAge).
    vi.setSystemTime(Date.now() + 29_000);
    expect((await send(engine, bearer(token))).status).toBe(200);

    vi.setSystemTime(Date.now() + 2_000);
    const outcome = await send(engine, bearer(token));
    expect({ status: outcome.status, reason: outcome.reason }).toEqual({ status: 401, reason: 'token_revoked' });
  });

  it('never uses a cached answer past the token exp', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { engine } = await startEngine(introspectionOptions('1h'));
    const token = await op.issueAccessToken({ sub: 'user-alice', format: 'opaque', expiresIn: 20 });
    expect((await send(engine, bearer(token))).status).toBe(200);

    vi.setSystemTime(Date.now() + 21_000);
    const outcome = await send(engine, bearer(token));
    expect(outcome.status).toBe(401);
    expect(['token_revoked', 'token_expired']).toContain(outcome.reason);
  });

  it('refuses an opaque token the provider does not know, and one for another audience', async () => {
    const { engine } = await startEngine(introspectionOptions());
    const unknown = await send(engine, bearer('NotATokenTheProviderIssued0123456789abcdefg'));
    expect({ status: unknown.status, reason: unknown.reason }).toEqual({ status: 401, reason: 'token_revoked' });

    const other = await send(engine, bearer(await op.issueAccessToken({ sub: 'user-alice', format: 'opaque', audience: 'billing-api' })));
    expect({ status: other.status, reason: other.reason }).toEqual({ status: 401, reason: 'token_audience_invalid' });
  });

  it('asks an authorization server that is down once, then refuses opaque tokens at once until the retry time', async () => {
    const { createServer } = await import('node:http');
    let discoveries = 0;
    // Down: every discovery answers 503.
    const down = createServer((_req, res) => {
      discoveries++;
      res.writeHead(503);
      res.end();
    });
    await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
    try {
      const issuer = `http://127.0.0.1:${(down.address() as { port: number }).port}`;
      const { engine, events } = await startEngine({ issuers: [{ issuer: op.issuer, audience: op.audience }], introspection: { issuer, clientId: 'c', clientSecret: 's' } });
      // A burst shares one discovery.
      const burst = await Promise.all(Array.from({ length: 5 }, () => send(engine, bearer('OpaqueTokenOfSomeLength0123456789'))));
      expect(burst.map((outcome) => outcome.reason)).toEqual(Array(5).fill('token_invalid'));
      expect(discoveries).toBe(1);
      expect(events).toContainEqual({ type: 'issuer_unavailable', issuer, error: expect.any(String) });
      // Within the retry time: refused without asking.
      const soon = await send(engine, bearer('OpaqueTokenOfSomeLength0123456789'));
      expect(soon.reason).toBe('token_invalid');
      expect(soon.privateDetail).toMatch(/not retried yet/);
      expect(discoveries).toBe(1);
      // After it: asked again.
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + 11_000);
      await send(engine, bearer('OpaqueTokenOfSomeLength0123456789'));
      expect(discoveries).toBe(2);
    } finally {
      vi.useRealTimers();
      await new Promise((resolve) => down.close(resolve));
    }
  });

  it('an opaque token without introspection configured is malformed, not introspected', async () => {
    const { engine } = await startEngine({ issuers: [{ issuer: op.issuer, audience: op.audience }] });
    const outcome = await send(engine, bearer(await op.issueAccessToken({ sub: 'user-alice', format: 'opaque' })));
    expect({ status: outcome.status, reason: outcome.reason }).toEqual({ status: 401, reason: 'token_malformed' });
  });
});
