/**
 * Step-up authentication (RFC 9470) on operations with
 * `x-palisade-step-up`: the example service's `checkoutOrder` (acr
 * `urn:example:acr:mfa`, or amr containing `mfa`), and a `maxAge` rule.
 */
import { fileURLToPath } from 'node:url';
import { createPalisade, type Palisade, type Principal } from '@palisade/core';
import { checkStepUp, createJwtAuthentication } from '@palisade/jwt-auth';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { bearer, send, type TestRequest } from './support/drive-engine';
import { createStaticIssuer, nowSeconds, type StaticIssuer } from './support/static-issuer';

const EXAMPLE_API = fileURLToPath(new URL('../../../examples/express-orders/openapi.yaml', import.meta.url));
const MFA = 'urn:example:acr:mfa';

let es: StaticIssuer;
let engine: Palisade;
let maxAgeEngine: Palisade;

const checkout = (token: string): TestRequest => ({ ...bearer(token), method: 'POST', url: '/orders/ord-0001/checkout' });

beforeAll(async () => {
  es = await createStaticIssuer('https://es.issuer.example');
  const issuers = [{ issuer: es.issuer, audience: es.audience, keys: es.jwks }];
  engine = await createPalisade({ document: EXAMPLE_API, guards: [createJwtAuthentication({ issuers })] });
  maxAgeEngine = await createPalisade({
    document: {
      openapi: '3.1.0',
      info: { title: 'step-up with maxAge', version: '1' },
      security: [{ bearer: [] }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      paths: {
        '/orders/{orderId}/checkout': {
          post: {
            operationId: 'checkoutOrder',
            parameters: [{ name: 'orderId', in: 'path', required: true, schema: { type: 'string' } }],
            'x-palisade-step-up': { acr: [MFA], maxAge: '5m' },
            responses: { '200': { description: 'paid' } },
          },
        },
      },
    },
    guards: [createJwtAuthentication({ issuers })],
  });
});

afterEach(() => {
  vi.useRealTimers();
});

afterAll(async () => {
  await engine?.close();
  await maxAgeEngine?.close();
});

describe('step-up on checkoutOrder (acr urn:example:acr:mfa or amr mfa)', () => {
  it('refuses a password-only token with an RFC 9470 challenge', async () => {
    const outcome = await send(engine, checkout(await es.sign({ scope: 'orders:write', acr: 'urn:example:acr:pwd', amr: ['pwd'] })));

    expect(outcome.status).toBe(401);
    expect(outcome.reason).toBe('step_up_required');
    expect(outcome.wwwAuthenticate).toBe(`Bearer error="insufficient_user_authentication", acr_values="${MFA}"`);
    expect(outcome.principal, 'no principal for a refused request').toBeNull();
    expect(outcome.privateDetail).toContain('acr=urn:example:acr:pwd');
  });

  it('refuses a token with neither acr nor amr', async () => {
    expect((await send(engine, checkout(await es.sign({ scope: 'orders:write' })))).reason).toBe('step_up_required');
  });

  it('passes a token whose acr is the required one', async () => {
    const outcome = await send(engine, checkout(await es.sign({ scope: 'orders:write', acr: MFA })));
    expect(outcome.status).toBe(200);
    expect(outcome.principal?.acr).toBe(MFA);
  });

  it("passes a token whose amr contains 'mfa'", async () => {
    expect((await send(engine, checkout(await es.sign({ scope: 'orders:write', amr: ['pwd', 'mfa'] })))).status).toBe(200);
  });

  it('near miss: amr "MFA" or "mfa " is not "mfa"; acr must match exactly', async () => {
    for (const claims of [{ amr: ['MFA'] }, { amr: ['mfa '] }, { amr: 'mfa' }, { acr: `${MFA}:weak` }, { acr: [MFA] }]) {
      expect((await send(engine, checkout(await es.sign({ scope: 'orders:write', ...claims })))).reason, JSON.stringify(claims)).toBe('step_up_required');
    }
  });

  it('leaves operations without x-palisade-step-up alone', async () => {
    expect((await send(engine, { ...bearer(await es.sign({ amr: ['pwd'] })), url: '/orders' })).status).toBe(200);
  });
});

describe('step-up with maxAge', () => {
  it('refuses an authentication older than maxAge, with max_age in the challenge', async () => {
    const outcome = await send(maxAgeEngine, checkout(await es.sign({ acr: MFA, auth_time: nowSeconds() - 600 })));

    expect(outcome.reason).toBe('step_up_required');
    expect(outcome.wwwAuthenticate).toBe(`Bearer error="insufficient_user_authentication", acr_values="${MFA}", max_age="300"`);
  });

  it('refuses a token without auth_time', async () => {
    expect((await send(maxAgeEngine, checkout(await es.sign({ acr: MFA })))).reason).toBe('step_up_required');
  });

  it('passes a recent authentication, and refuses the same (cached) token once it grew too old', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const token = await es.sign({ acr: MFA, auth_time: nowSeconds() - 240, exp: nowSeconds() + 3600 });
    expect((await send(maxAgeEngine, checkout(token))).status).toBe(200);

    vi.setSystemTime(Date.now() + 120_000);
    expect((await send(maxAgeEngine, checkout(token))).reason).toBe('step_up_required');
  });
});

describe('checkStepUp', () => {
  const principal = (claims: Partial<Principal>): Principal => ({
    subject: 'user-alice',
    clientId: null,
    scopes: new Set(),
    claims: {},
    method: 'jwt',
    issuer: es.issuer,
    tokenId: null,
    acr: null,
    amr: [],
    authTime: null,
    expiresAt: null,
    ...claims,
  });
  const now = Date.UTC(2026, 0, 1);

  it('accepts acr or amr, and checks auth_time against maxAge', () => {
    const rule = { acr: [MFA], amr: ['mfa', 'hwk'], maxAgeMs: 60_000 };
    expect(checkStepUp(principal({ acr: MFA, authTime: now / 1000 - 60 }), rule, now)).toBeNull();
    expect(checkStepUp(principal({ amr: ['hwk'], authTime: now / 1000 - 10 }), rule, now)).toBeNull();
    expect(checkStepUp(principal({ acr: MFA, authTime: now / 1000 - 61 }), rule, now)?.challengeParams).toEqual({ acr_values: MFA, max_age: '60' });
    expect(checkStepUp(principal({ amr: ['pwd'], authTime: now / 1000 }), rule, now)?.reason).toBe('step_up_required');
  });

  it('with only maxAge, needs a recent auth_time and no particular method', () => {
    const rule = { acr: [], amr: [], maxAgeMs: 60_000 };
    expect(checkStepUp(principal({ authTime: now / 1000 - 30 }), rule, now)).toBeNull();
    expect(checkStepUp(principal({}), rule, now)?.challengeParams).toEqual({ max_age: '60' });
  });
});

describe('step-up on a public operation', () => {
  it('stops start-up: there is no caller whose authentication could be stepped up', async () => {
    const { createPalisade } = await import('@palisade/core');
    const { createJwtAuthentication } = await import('@palisade/jwt-auth');
    const document = {
      openapi: '3.1.0',
      info: { title: 't', version: '1' },
      paths: { '/pay': { post: { operationId: 'pay', security: [], 'x-palisade-step-up': { acr: ['mfa'] }, responses: { '200': { description: 'ok' } } } } },
    };
    const guard = createJwtAuthentication({ issuers: [{ issuer: 'https://id.example', audience: 'api', keys: { keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' }] } }] });
    await expect(createPalisade({ document, guards: [guard] })).rejects.toMatchObject({ code: 'ERR_PALISADE_INVALID_EXTENSION' });
  });
});
