/**
 * The attack table (vectors/token-attacks.ts) against one engine: the real
 * provider (discovered issuer) and two static-key issuers side by side.
 * Each vector is checked in threes: the attack is refused, its near miss
 * passes, and the audit line names the reason while the client sees only
 * `invalid_token`.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createPalisade, type Palisade } from '@palisade/core';
import { createJwtAuthentication } from '@palisade/jwt-auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startTestProvider } from '../../../test/helpers/oidc-provider';
import { bearer, send, type TestRequest } from './support/drive-engine';
import { createDpopKey, createStaticIssuer, dpopProof } from './support/static-issuer';
import { TOKEN_ATTACK_VECTORS, type AttackKit } from './vectors/token-attacks';

const ORDERS_API = fileURLToPath(new URL('../../../test/fixtures/orders-api.yaml', import.meta.url));

let kit: AttackKit;
let engine: Palisade;

beforeAll(async () => {
  const [op, es, rsa, attacker, dpop, otherDpop] = await Promise.all([
    startTestProvider(),
    createStaticIssuer('https://es.issuer.example'),
    createStaticIssuer('https://rsa.issuer.example', { alg: 'RS256' }),
    createStaticIssuer('https://attacker.example'),
    createDpopKey(),
    createDpopKey(),
  ]);
  kit = { op, es, rsa, attacker, dpop, otherDpop, certificate: randomBytes(512), otherCertificate: randomBytes(512) };
  const auth = createJwtAuthentication({
    issuers: [
      // A short cooldown so the rotation near miss refetches at once.
      { issuer: op.issuer, audience: op.audience, jwksCooldown: '1ms' },
      { issuer: es.issuer, audience: es.audience, keys: es.jwks },
      { issuer: rsa.issuer, audience: rsa.audience, keys: rsa.jwks },
    ],
  });
  engine = await createPalisade({ document: ORDERS_API, guards: [auth] });
});

afterAll(async () => {
  await engine?.close();
  await kit?.op.stop();
});

describe('token attack vectors', () => {
  it('has at least 40 attacks, every title unique', () => {
    const attacks = TOKEN_ATTACK_VECTORS.filter((vector) => vector.kind === 'attack');
    expect(attacks.length).toBeGreaterThanOrEqual(40);
    expect(new Set(TOKEN_ATTACK_VECTORS.map((vector) => vector.title)).size).toBe(TOKEN_ATTACK_VECTORS.length);
  });

  it.each(TOKEN_ATTACK_VECTORS.map((vector) => [vector.title, vector] as const))('%s', async (_title, vector) => {
    const request = await vector.build(kit);
    if (request.primer !== undefined) {
      const primed = await send(engine, request.primer);
      expect(primed.reason, 'the legitimate first use passes').toBeNull();
    }
    const outcome = await send(engine, request);

    expect({ status: outcome.status, reason: outcome.reason }).toEqual({ status: vector.expectedStatus, reason: vector.expectedReason });
    if (vector.kind === 'near-miss') {
      expect(outcome.principal?.subject).toBe('user-alice');
      return;
    }
    // The audit line says why; the client learns only that the token is unusable.
    expect(outcome.principal).toBeNull();
    expect(outcome.privateDetail, 'the audit line carries a private detail').toEqual(expect.any(String));
    const problem = JSON.parse(outcome.body!) as { type: string; detail?: string };
    if (vector.expectedReason === 'token_missing') {
      expect(outcome.wwwAuthenticate).toBe('Bearer');
      expect(problem.type).toBe('urn:palisade:problem:unauthorized');
    } else {
      expect(outcome.wwwAuthenticate).toBe('Bearer error="invalid_token"');
      expect(problem.type).toBe('urn:palisade:problem:invalid-token');
    }
    expect(outcome.body).not.toContain(outcome.privateDetail!);
    expect(outcome.body).not.toContain(vector.expectedReason!);
  });
});

describe('tokens in the query (acceptTokenInQuery: true, RFC 6750 §2.3)', () => {
  let queryEngine: Palisade;

  beforeAll(async () => {
    queryEngine = await createPalisade({ document: ORDERS_API, guards: [createJwtAuthentication({ issuers: [{ issuer: kit.es.issuer, audience: kit.es.audience, keys: kit.es.jwks }], acceptTokenInQuery: true })] });
  });

  afterAll(async () => {
    await queryEngine?.close();
  });

  it('near miss: a token in the query alone passes', async () => {
    expect((await send(queryEngine, { url: `/orders?access_token=${await kit.es.sign()}` })).principal?.subject).toBe('user-alice');
  });

  it('attack: a token in both the header and the query is refused (RFC 6750 §2: one method only)', async () => {
    const outcome = await send(queryEngine, { ...bearer(await kit.es.sign()), url: `/orders?access_token=${await kit.es.sign({ sub: 'user-admin' })}` });
    expect({ status: outcome.status, reason: outcome.reason, detail: outcome.privateDetail }).toEqual({ status: 401, reason: 'token_malformed', detail: 'token in both the Authorization header and the query' });
  });

  it('attack: a percent-encoded access_token name in the query beside a header token is refused', async () => {
    const outcome = await send(queryEngine, { ...bearer(await kit.es.sign()), url: `/orders?access%5Ftoken=${await kit.es.sign({ sub: 'user-admin' })}` });
    expect({ status: outcome.status, reason: outcome.reason }).toEqual({ status: 401, reason: 'token_malformed' });
  });

  it('attack: two access_token parameters are refused', async () => {
    const outcome = await send(queryEngine, { url: `/orders?access_token=${await kit.es.sign()}&access_token=${await kit.es.sign({ sub: 'user-admin' })}` });
    expect({ status: outcome.status, reason: outcome.reason }).toEqual({ status: 401, reason: 'token_malformed' });
  });
});

describe('tokens in a form body (acceptTokenInBody: true, RFC 6750 §2.2)', () => {
  let bodyEngine: Palisade;
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const post = (body: string, extra: Partial<TestRequest> = {}): TestRequest => ({ method: 'POST', url: '/orders', body, ...extra, headers: { ...form, 'content-length': String(Buffer.byteLength(body)), ...extra.headers } });

  beforeAll(async () => {
    const document = parse(readFileSync(ORDERS_API, 'utf8')) as { paths: Record<string, Record<string, { 'x-palisade-limits'?: unknown }>> };
    // A small body limit on createOrder, to see that the read is bounded by the operation's.
    document.paths['/orders']!.post!['x-palisade-limits'] = { maxBodyBytes: 4096 };
    bodyEngine = await createPalisade({ document, guards: [createJwtAuthentication({ issuers: [{ issuer: kit.es.issuer, audience: kit.es.audience, keys: kit.es.jwks }], acceptTokenInBody: true })] });
  });

  afterAll(async () => {
    await bodyEngine?.close();
  });

  it('near miss: a token in a form-encoded POST body passes, and the body is read once', async () => {
    let reads = 0;
    const outcome = await send(bodyEngine, post(`note=hello&access_token=${await kit.es.sign()}`, { onBodyRead: () => reads++ }));
    expect({ status: outcome.status, subject: outcome.principal?.subject, reads }).toEqual({ status: 200, subject: 'user-alice', reads: 1 });
  });

  it('near miss: a form body without access_token leaves the header token to authenticate', async () => {
    const outcome = await send(bodyEngine, post('note=hello', bearer(await kit.es.sign())));
    expect(outcome.principal?.subject).toBe('user-alice');
  });

  it('is off by default: a form-body token alone is a missing token', async () => {
    const outcome = await send(engine, post(`access_token=${await kit.es.sign()}`));
    expect({ status: outcome.status, reason: outcome.reason }).toEqual({ status: 401, reason: 'token_missing' });
  });

  it('attack: a token in both the header and the body is refused (one method only)', async () => {
    const outcome = await send(bodyEngine, post(`access_token=${await kit.es.sign({ sub: 'user-admin' })}`, bearer(await kit.es.sign())));
    expect({ status: outcome.status, reason: outcome.reason }).toEqual({ status: 401, reason: 'token_malformed' });
  });

  it('attack: a percent-encoded access_token name beside a header token is refused like the plain name', async () => {
    const outcome = await send(bodyEngine, post(`access%5Ftoken=${await kit.es.sign({ sub: 'user-admin' })}`, bearer(await kit.es.sign())));
    expect({ status: outcome.status, reason: outcome.reason }).toEqual({ status: 401, reason: 'token_malformed' });
  });

  it('near miss: a percent-encoded access_token name alone is the token, as the application would read it', async () => {
    const outcome = await send(bodyEngine, post(`access%5Ftoken=${await kit.es.sign()}`));
    expect(outcome.principal?.subject).toBe('user-alice');
  });

  it('attack: two access_token fields are refused', async () => {
    const outcome = await send(bodyEngine, post(`access_token=${await kit.es.sign()}&access_token=${await kit.es.sign({ sub: 'user-admin' })}`));
    expect({ status: outcome.status, reason: outcome.reason }).toEqual({ status: 401, reason: 'token_malformed' });
  });

  it('attack: a body that is not all ASCII is refused', async () => {
    const outcome = await send(bodyEngine, post(`note=caf\u00e9&access_token=${await kit.es.sign()}`));
    expect({ status: outcome.status, reason: outcome.reason }).toEqual({ status: 401, reason: 'token_malformed' });
  });

  it.each([
    ['GET (RFC 6750: never with GET)', { method: 'GET' }],
    ['a JSON body', { headers: { 'content-type': 'application/json' } }],
    ['a multipart body', { headers: { 'content-type': 'multipart/form-data; boundary=x' } }],
  ] as const)('attack: a token in %s is not looked for', async (_name, change) => {
    let reads = 0;
    const outcome = await send(bodyEngine, post(`access_token=${await kit.es.sign()}`, { ...change, onBodyRead: () => reads++ }));
    expect({ status: outcome.status, reason: outcome.reason, reads }).toEqual({ status: 401, reason: 'token_missing', reads: 0 });
  });

  it("attack: a form body over the operation's limit is refused before any token is looked for", async () => {
    const outcome = await send(bodyEngine, post(`padding=${'x'.repeat(5000)}&access_token=${await kit.es.sign()}`));
    expect({ status: outcome.status, reason: outcome.reason }).toEqual({ status: 413, reason: 'payload_too_large' });
  });

  it('attack: a forged token in the body is refused like one in the header', async () => {
    const outcome = await send(bodyEngine, post(`access_token=${await kit.attacker.sign()}`));
    expect({ status: outcome.status, reason: outcome.reason }).toEqual({ status: 401, reason: 'token_issuer_invalid' });
  });
});

describe('DPoP behind a proxy (dpop.origin)', () => {
  let proxiedEngine: Palisade;

  beforeAll(async () => {
    proxiedEngine = await createPalisade({
      document: ORDERS_API,
      guards: [createJwtAuthentication({ issuers: [{ issuer: kit.es.issuer, audience: kit.es.audience, keys: kit.es.jwks }], dpop: { origin: 'https://api.example' } })],
    });
  });

  afterAll(async () => {
    await proxiedEngine?.close();
  });

  const request = async (htu: string) => {
    const token = await kit.es.sign({ cnf: { jkt: kit.dpop.jkt } });
    // The proxy forwards to an internal host name; the client signed the public URL.
    return send(proxiedEngine, { authorization: `DPoP ${token}`, headers: { host: 'orders.internal:8080', dpop: await dpopProof(kit.dpop, { htm: 'GET', htu, accessToken: token }) } });
  };

  it('near miss: htu with the public origin passes whatever the Host header says, and ignores the query', async () => {
    expect((await request('https://api.example/orders?page=2')).status).toBe(200);
  });

  it.each(['http://api.example/orders', 'https://api.example:8443/orders', 'https://orders.internal:8080/orders'])('attack: htu %s is refused', async (htu) => {
    expect((await request(htu)).reason).toBe('token_binding_invalid');
  });
});
