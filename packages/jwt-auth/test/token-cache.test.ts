/**
 * The verified-token cache (src/internal/token-cache.ts) seen through the
 * guard: a repeated token is verified once, an entry never outlives the
 * token (exp, maxTokenAge), and revocation drops it. Verifications are
 * counted with a spy around jose's `jwtVerify` (a unit test: static keys,
 * no provider).
 */
import { fileURLToPath } from 'node:url';
import { createPalisade, type Palisade } from '@palisade/core';
import { createJwtAuthentication, type JwtAuthentication, type JwtAuthenticationOptions } from '@palisade/jwt-auth';
import { jwtVerify } from 'jose';
import type * as Jose from 'jose';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { tamperPayload } from '../../../test/helpers/token-forge';
import { bearer, send } from './support/drive-engine';
import { createStaticIssuer, nowSeconds, type StaticIssuer } from './support/static-issuer';

vi.mock('jose', async (importOriginal) => {
  const actual = await importOriginal<typeof Jose>();
  return { ...actual, jwtVerify: vi.fn(actual.jwtVerify) };
});

const ORDERS_API = fileURLToPath(new URL('../../../test/fixtures/orders-api.yaml', import.meta.url));
const verifications = vi.mocked(jwtVerify);

let es: StaticIssuer;
const engines: Palisade[] = [];

beforeAll(async () => {
  es = await createStaticIssuer('https://es.issuer.example');
});

afterEach(async () => {
  while (engines.length > 0) await engines.pop()!.close();
  vi.useRealTimers();
});

async function startEngine(options: Partial<JwtAuthenticationOptions> = {}, issuer: Partial<JwtAuthenticationOptions['issuers'][number]> = {}): Promise<{ engine: Palisade; auth: JwtAuthentication }> {
  const auth = createJwtAuthentication({ issuers: [{ issuer: es.issuer, audience: es.audience, keys: es.jwks, ...issuer }], ...options });
  const engine = await createPalisade({ document: ORDERS_API, guards: [auth] });
  engines.push(engine);
  verifications.mockClear();
  return { engine, auth };
}

describe('verified-token cache', () => {
  it('verifies a repeated token once', async () => {
    const { engine } = await startEngine();
    const token = await es.sign();

    for (let i = 0; i < 5; i++) expect((await send(engine, bearer(token))).principal?.subject).toBe('user-alice');

    expect(verifications).toHaveBeenCalledTimes(1);
  });

  it('keys entries by the whole token: a tampered copy of a cached token is verified, and refused', async () => {
    const { engine } = await startEngine();
    const token = await es.sign();
    await send(engine, bearer(token));

    const tampered = await send(engine, bearer(tamperPayload(token, { sub: 'user-admin' })));

    expect(tampered.reason).toBe('token_signature_invalid');
    expect(verifications).toHaveBeenCalledTimes(2);
  });

  it('never serves a token past its exp (plus the clock tolerance)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { engine } = await startEngine();
    const exp = nowSeconds() + 60;
    const token = await es.sign({ exp });
    expect((await send(engine, bearer(token))).status).toBe(200);

    vi.setSystemTime((exp + 29) * 1000);
    expect((await send(engine, bearer(token))).status, 'within the tolerance').toBe(200);
    expect(verifications).toHaveBeenCalledTimes(1);

    vi.setSystemTime((exp + 31) * 1000);
    const outcome = await send(engine, bearer(token));
    expect({ status: outcome.status, reason: outcome.reason }).toEqual({ status: 401, reason: 'token_expired' });
    expect(verifications).toHaveBeenCalledTimes(2);
  });

  it('never serves a token past maxTokenAge, even when its exp is later', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { engine } = await startEngine({}, { maxTokenAge: '5m', clockTolerance: 0 });
    const iat = nowSeconds();
    const token = await es.sign({ iat, exp: iat + 3600 });
    expect((await send(engine, bearer(token))).status).toBe(200);

    vi.setSystemTime((iat + 299) * 1000);
    expect((await send(engine, bearer(token))).status).toBe(200);

    vi.setSystemTime((iat + 301) * 1000);
    const outcome = await send(engine, bearer(token));
    expect({ status: outcome.status, reason: outcome.reason }).toEqual({ status: 401, reason: 'token_expired' });
  });

  it('is bounded: the oldest entry goes first', async () => {
    const { engine } = await startEngine({ cacheEntries: 2 });
    const [first, second, third] = await Promise.all([es.sign(), es.sign(), es.sign()]);
    for (const token of [first!, second!, third!]) await send(engine, bearer(token));
    expect(verifications).toHaveBeenCalledTimes(3);

    await send(engine, bearer(third!));
    await send(engine, bearer(second!));
    expect(verifications).toHaveBeenCalledTimes(3);
    await send(engine, bearer(first!));
    expect(verifications).toHaveBeenCalledTimes(4);
  });

  it('is off with cacheEntries: 0', async () => {
    const { engine } = await startEngine({ cacheEntries: 0 });
    const token = await es.sign();
    for (let i = 0; i < 3; i++) await send(engine, bearer(token));
    expect(verifications).toHaveBeenCalledTimes(3);
  });

  it('drops a cached token when its jti is revoked', async () => {
    const { engine, auth } = await startEngine();
    const token = await es.sign({ jti: 'jti-cached' });
    expect((await send(engine, bearer(token))).status).toBe(200);

    await auth.revokeToken('jti-cached', new Date(Date.now() + 600_000));

    const outcome = await send(engine, bearer(token));
    expect({ status: outcome.status, reason: outcome.reason }).toEqual({ status: 401, reason: 'token_revoked' });
    expect(verifications, 'the entry was dropped: verified again, then refused').toHaveBeenCalledTimes(2);
  });

  it('drops cached tokens of a subject revoked everywhere', async () => {
    const { engine, auth } = await startEngine();
    const token = await es.sign({ sub: 'user-bob' });
    expect((await send(engine, bearer(token))).status).toBe(200);

    await auth.revokeSubject('user-bob');

    expect((await send(engine, bearer(token))).reason).toBe('token_revoked');
    expect(verifications).toHaveBeenCalledTimes(2);
    expect((await send(engine, bearer(await es.sign({ sub: 'user-alice' })))).status, 'another subject').toBe(200);
  });
});
