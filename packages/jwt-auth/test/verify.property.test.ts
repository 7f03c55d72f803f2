/**
 * Properties of token verification through the whole guard: whatever
 * arrives as a token (random text, random bytes, JWT-shaped junk, a real
 * token with one character changed, random DPoP proofs and client
 * certificates), `checkRequest` resolves (never throws, never a 500) and
 * never authenticates anyone it should not.
 */
import { fileURLToPath } from 'node:url';
import { createPalisade, type Palisade } from '@palisade/core';
import { createJwtAuthentication } from '@palisade/jwt-auth';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { b64url, signRaw } from '../../../test/helpers/token-forge';
import { send, type TestOutcome, type TestRequest } from './support/drive-engine';
import { certificateThumbprint, createDpopKey, createStaticIssuer, nowSeconds, type DpopKey, type StaticIssuer } from './support/static-issuer';

const ORDERS_API = fileURLToPath(new URL('../../../test/fixtures/orders-api.yaml', import.meta.url));
const RUNS = { numRuns: 250 };
/** Any UTF-16 text, lone surrogates and control characters included (cheaper to build than fast-check's 'binary' unit). */
const anyUtf16 = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 200 }).map((units) => String.fromCharCode(...units));

let es: StaticIssuer;
let rsa: StaticIssuer;
let attacker: StaticIssuer;
let dpop: DpopKey;
let engine: Palisade;
/** The same guard settings, with `?access_token=` accepted. */
let queryEngine: Palisade;

beforeAll(async () => {
  [es, rsa, attacker, dpop] = await Promise.all([
    createStaticIssuer('https://es.issuer.example'),
    createStaticIssuer('https://rsa.issuer.example', { alg: 'RS256' }),
    createStaticIssuer('https://attacker.example'),
    createDpopKey(),
  ]);
  const issuers = [
    { issuer: es.issuer, audience: es.audience, keys: es.jwks },
    { issuer: rsa.issuer, audience: rsa.audience, keys: rsa.jwks },
  ];
  engine = await createPalisade({ document: ORDERS_API, guards: [createJwtAuthentication({ issuers })] });
  queryEngine = await createPalisade({ document: ORDERS_API, guards: [createJwtAuthentication({ issuers, acceptTokenInQuery: true })] });
});

afterAll(async () => {
  await engine?.close();
  await queryEngine?.close();
});

/** Refused as unauthenticated: 401 with a token_* (or step-up) reason, no principal. */
function expectRefused(outcome: TestOutcome, input: unknown): void {
  expect({ status: outcome.status, principal: outcome.principal }, JSON.stringify(input)).toEqual({ status: 401, principal: null });
  expect(outcome.reason, JSON.stringify(input)).toMatch(/^token_/);
}

const latin1 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');
/** Every UTF-8 byte percent-encoded (encodeURIComponent throws on lone surrogates). */
const percentEncode = (text: string): string => Array.from(Buffer.from(text, 'utf8'), (byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');

/** How a candidate token is presented. */
const placements: readonly ((token: string) => { engine: () => Palisade; request: TestRequest })[] = [
  (token) => ({ engine: () => engine, request: { authorization: `Bearer ${token}` } }),
  (token) => ({ engine: () => engine, request: { authorization: `bearer ${token}` } }),
  (token) => ({ engine: () => engine, request: { authorization: `DPoP ${token}`, headers: { dpop: token } } }),
  (token) => ({ engine: () => engine, request: { authorization: token } }),
  (token) => ({ engine: () => queryEngine, request: { url: `/orders?access_token=${percentEncode(token)}` } }),
];
const placement = fc.constantFrom(...placements);

describe('arbitrary input as a token', () => {
  it('random strings never throw out of the guard and never authenticate', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 200 }), anyUtf16, fc.base64String({ maxLength: 300 })), placement, async (token, place) => {
        const { engine: which, request } = place(token);
        expectRefused(await send(which(), request), token);
      }),
      RUNS,
    );
  });

  it('random bytes (as latin1 text) never throw out of the guard and never authenticate', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), placement, async (bytes, place) => {
        const { engine: which, request } = place(latin1(bytes));
        expectRefused(await send(which(), request), [...bytes]);
      }),
      RUNS,
    );
  });

  it('long random tokens around the size limit never authenticate', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 8000, max: 9000 }), fc.constantFrom('A', '.', 'a.b.', '-_'), async (length, unit) => {
        const token = unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
        expectRefused(await send(engine, { authorization: `Bearer ${token}` }), length);
      }),
      { numRuns: 40 },
    );
  });
});

// JWT-shaped junk: real base64url JSON segments with hostile header and claim values.
const jsonValue = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }));
const headerArbitrary = fc.record(
  {
    alg: fc.oneof(fc.constantFrom('none', 'NONE', 'HS256', 'HS512', 'ES256', 'ES384', 'RS256', 'PS256', 'EdDSA', ''), jsonValue),
    typ: fc.oneof(fc.constantFrom('at+jwt', 'application/at+jwt', 'JWT', 'dpop+jwt'), jsonValue),
    kid: fc.oneof(fc.constantFrom('../../etc/passwd', "' OR 1=1 --"), fc.string({ maxLength: 16 }), jsonValue),
    jku: fc.constant('https://attacker.example/jwks'),
    crit: fc.array(fc.string({ maxLength: 8 }), { maxLength: 2 }),
    b64: fc.boolean(),
  },
  { requiredKeys: [] },
);

describe('JWT-shaped junk', () => {
  it('random headers and claims, signed with nothing, random bytes or an untrusted key, never authenticate', async () => {
    await fc.assert(
      fc.asyncProperty(
        headerArbitrary,
        fc.record(
          {
            iss: fc.oneof(fc.constantFrom('https://es.issuer.example', 'https://rsa.issuer.example', 'https://attacker.example'), jsonValue),
            aud: fc.oneof(fc.constantFrom('orders-api', ['orders-api', 'x']), jsonValue),
            sub: fc.oneof(fc.constant('user-alice'), jsonValue),
            exp: fc.oneof(fc.constant(nowSeconds() + 600), jsonValue),
            iat: fc.oneof(fc.constant(nowSeconds()), jsonValue),
            nbf: jsonValue,
            cnf: fc.oneof(fc.record({ jkt: fc.string({ maxLength: 43 }) }), jsonValue),
          },
          { requiredKeys: [] },
        ),
        fc.oneof(fc.constant('empty' as const), fc.constant('attacker' as const), fc.uint8Array({ maxLength: 300 })),
        async (header, payload, signature) => {
          const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
          let token: string;
          if (signature === 'empty') token = `${input}.`;
          else if (signature === 'attacker') token = `${input}.${b64url(signRaw('ES256', attacker.privateKey, input))}`;
          else token = `${input}.${b64url(signature)}`;
          expectRefused(await send(engine, { authorization: `Bearer ${token}` }), { header, payload });
        },
      ),
      RUNS,
    );
  });

  it('a real token with one character changed is refused, or still authenticates the same subject (base64url slack), never another', async () => {
    const tokens = [await es.sign({ sub: 'user-alice' }), await rsa.sign({ sub: 'user-alice' })];
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ';
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...tokens), fc.nat(), fc.constantFrom(...alphabet), async (token, at, replacement) => {
        const index = at % token.length;
        if (token[index] === replacement) return;
        const mutated = `${token.slice(0, index)}${replacement}${token.slice(index + 1)}`;
        const outcome = await send(engine, { authorization: `Bearer ${mutated}` });
        expect(outcome.status, mutated).not.toBe(500);
        if (outcome.status === 200) expect(outcome.principal?.subject).toBe('user-alice');
        else expectRefused(outcome, mutated);
      }),
      RUNS,
    );
  });
});

describe('sender-constrained tokens', () => {
  it('a DPoP-bound token with any random DPoP header is refused as token_binding_invalid', async () => {
    const token = await es.sign({ cnf: { jkt: dpop.jkt } });
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 300 }), fc.base64String({ maxLength: 300 }).map((text) => `${b64url('{"typ":"dpop+jwt","alg":"ES256"}')}.${text}.${text}`)), async (proof) => {
        const outcome = await send(engine, { authorization: `DPoP ${token}`, headers: { dpop: proof } });
        expectRefused(outcome, proof);
        expect(outcome.reason).toBe('token_binding_invalid');
      }),
      { numRuns: 100 },
    );
  });

  it('a certificate-bound token with any other certificate bytes is refused', async () => {
    const certificate = Buffer.from('the bound certificate');
    const token = await es.sign({ cnf: { 'x5t#S256': certificateThumbprint(certificate) } });
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
        fc.pre(!certificate.equals(Buffer.from(bytes)));
        const outcome = await send(engine, { authorization: `Bearer ${token}`, peerCertificate: Buffer.from(bytes) });
        expectRefused(outcome, [...bytes]);
      }),
      { numRuns: 100 },
    );
  });
});
