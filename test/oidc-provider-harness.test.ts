/**
 * Proves the loopback OpenID Provider harness (test/helpers/oidc-provider.ts)
 * and the token-forge helpers do what the jwt-auth suites rely on. One real
 * provider for the whole file; the tests that rotate keys or stop the
 * issuer run last, in order.
 */
import { generateKeyPair, exportJWK, createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type CryptoKey, type JWK, type JWTVerifyGetKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT_ID, INTROSPECTION_CLIENT_ID, TEST_GRANT_TYPE, startTestProvider, type TestProvider } from './helpers/oidc-provider.js';
import {
  NONE_ALG_SPELLINGS,
  decodeToken,
  fetchJwks,
  forgeToken,
  hs256WithPublicKey,
  nonBase64url,
  oversized,
  tamperPayload,
  truncate,
  withDuplicateClaim,
  zeroSignature,
} from './helpers/token-forge.js';

interface Discovery {
  issuer: string;
  jwks_uri: string;
  token_endpoint: string;
  introspection_endpoint: string;
  revocation_endpoint: string;
  grant_types_supported: string[];
  id_token_signing_alg_values_supported: string[];
}

let op: TestProvider;
let discovery: Discovery;

async function getDiscovery(issuer: string): Promise<Response> {
  return fetch(`${issuer}/.well-known/openid-configuration`);
}

async function introspect(
  token: string,
  client = op.introspectionClient,
  auth: 'client_secret_basic' | 'client_secret_post' = 'client_secret_basic',
): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new URLSearchParams({ token, token_type_hint: 'access_token' });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (auth === 'client_secret_basic') {
    headers['authorization'] = `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;
  } else {
    form.set('client_id', client.clientId);
    form.set('client_secret', client.clientSecret);
  }
  const response = await fetch(discovery.introspection_endpoint, { method: 'POST', headers, body: form });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function verifyAccessToken(token: string, jwks: JWTVerifyGetKey = createRemoteJWKSet(new URL(discovery.jwks_uri))) {
  return jwtVerify(token, jwks, { issuer: op.issuer, audience: op.audience, typ: 'at+jwt', algorithms: [op.signingAlgorithm] });
}

beforeAll(async () => {
  op = await startTestProvider();
  const response = await getDiscovery(op.issuer);
  expect(response.status).toBe(200);
  discovery = (await response.json()) as Discovery;
});

afterAll(async () => {
  await op?.stop();
});

describe('startTestProvider', () => {
  it('serves discovery for a loopback http issuer with jwks, token, introspection and revocation endpoints', () => {
    expect(op.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(op.issuer).toBe(`http://127.0.0.1:${op.port}`);
    expect(op.audience).toBe('orders-api');
    expect(op.signingAlgorithm).toBe('ES256');
    expect(op.introspectionClient.clientId).toBe(INTROSPECTION_CLIENT_ID);
    expect(discovery.issuer).toBe(op.issuer);
    expect(discovery.jwks_uri).toBe(`${op.issuer}/jwks`);
    expect(discovery.token_endpoint).toBe(`${op.issuer}/token`);
    expect(discovery.introspection_endpoint).toBe(`${op.issuer}/token/introspection`);
    expect(discovery.revocation_endpoint).toBe(`${op.issuer}/token/revocation`);
    expect(discovery.grant_types_supported).toContain(TEST_GRANT_TYPE);
    expect(discovery.id_token_signing_alg_values_supported).toContain('ES256');
  });

  it('publishes only public keys, with kid and alg, at jwks_uri', async () => {
    const jwks = await fetchJwks(op.issuer);
    expect(jwks.keys).toHaveLength(1);
    const [key] = jwks.keys;
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: op.currentKid });
    expect(key).not.toHaveProperty('d');
    expect(jwks).toEqual(op.publicJwks());
  });

  it('issues RFC 9068 JWT access tokens through the token endpoint that verify against the JWKS', async () => {
    const before = Math.floor(Date.now() / 1000);
    const token = await op.issueAccessToken({
      sub: 'alice',
      scope: 'orders:read orders:write',
      acr: 'urn:palisade:loa:2',
      amr: ['pwd', 'otp'],
      authTime: before - 30,
      cnf: { jkt: 'thumbprint-value' },
      extraClaims: { tenant: 'acme', iss: 'https://evil.example' },
    });
    const { payload, protectedHeader } = await verifyAccessToken(token);
    expect(protectedHeader).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: op.currentKid });
    expect(payload).toMatchObject({
      iss: op.issuer,
      aud: 'orders-api',
      sub: 'alice',
      client_id: DEFAULT_CLIENT_ID,
      scope: 'orders:read orders:write',
      acr: 'urn:palisade:loa:2',
      amr: ['pwd', 'otp'],
      auth_time: before - 30,
      cnf: { jkt: 'thumbprint-value' },
      tenant: 'acme',
    });
    expect(typeof payload.jti).toBe('string');
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect(payload.exp).toBe((payload.iat ?? 0) + 3600);
  });

  it('leaves out what was not asked for, honours clientId, audience and expiresIn', async () => {
    const plain = (await verifyAccessToken(await op.issueAccessToken({ sub: 'bob' }))).payload;
    for (const claim of ['scope', 'acr', 'amr', 'auth_time', 'cnf']) expect(plain).not.toHaveProperty(claim);

    const other = (await verifyAccessToken(await op.issueAccessToken({ sub: 'bob', clientId: 'mobile-app', expiresIn: 120 }))).payload;
    expect(other.client_id).toBe('mobile-app');
    expect((other.exp ?? 0) - (other.iat ?? 0)).toBe(120);

    const elsewhere = await op.issueAccessToken({ sub: 'bob', audience: 'billing-api' });
    await expect(verifyAccessToken(elsewhere)).rejects.toBeInstanceOf(errors.JWTClaimValidationFailed);
    expect(decodeToken(elsewhere).payload.aud).toBe('billing-api');

    const expired = await op.issueAccessToken({ sub: 'bob', expiresIn: -30 });
    await expect(verifyAccessToken(expired)).rejects.toBeInstanceOf(errors.JWTExpired);
  });

  it('issues opaque tokens that introspect active:true for the introspection client, and active:false once revoked', async () => {
    const token = await op.issueAccessToken({ sub: 'carol', scope: 'orders:read', format: 'opaque', acr: 'urn:palisade:loa:1', amr: ['pwd'] });
    expect(token.split('.')).toHaveLength(1);
    expect(() => decodeProtectedHeader(token)).toThrow();

    const { status, body } = await introspect(token);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      active: true,
      iss: op.issuer,
      sub: 'carol',
      aud: 'orders-api',
      client_id: DEFAULT_CLIENT_ID,
      scope: 'orders:read',
      token_type: 'Bearer',
      acr: 'urn:palisade:loa:1',
      amr: ['pwd'],
    });

    // openid-client defaults to client_secret_post when given a secret: both methods work.
    expect((await introspect(token, op.introspectionClient, 'client_secret_post')).body).toMatchObject({ active: true, sub: 'carol' });

    const wrongSecret = await introspect(token, { clientId: INTROSPECTION_CLIENT_ID, clientSecret: 'wrong' });
    expect(wrongSecret.status).toBe(401);

    expect((await introspect('not-a-token-the-provider-issued')).body).toEqual({ active: false });

    await op.revokeToken(token);
    expect((await introspect(token)).body).toEqual({ active: false });
  });

  it('issues real ID tokens (no typ header, aud = client) that an at+jwt check rejects', async () => {
    const idToken = await op.issueIdToken({ sub: 'dave' });
    const header = decodeProtectedHeader(idToken);
    expect(header.typ).toBeUndefined();
    expect(header.kid).toBe(op.currentKid);
    const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
    const { payload } = await jwtVerify(idToken, jwks, { issuer: op.issuer, audience: DEFAULT_CLIENT_ID });
    expect(payload.sub).toBe('dave');
    await expect(jwtVerify(idToken, jwks, { issuer: op.issuer, typ: 'at+jwt' })).rejects.toBeInstanceOf(errors.JWTClaimValidationFailed);
  });
});

describe('token-forge', () => {
  let attackerKey: CryptoKey;
  let attackerPublic: CryptoKey;
  let realToken: string;
  let issuerJwk: JWK;

  beforeAll(async () => {
    ({ privateKey: attackerKey, publicKey: attackerPublic } = await generateKeyPair('ES256'));
    realToken = await op.issueAccessToken({ sub: 'alice', scope: 'orders:read' });
    const [first] = (await fetchJwks(op.issuer)).keys;
    if (first === undefined) throw new Error('empty JWKS');
    issuerJwk = first;
  });

  it('forgeToken signs arbitrary headers with an arbitrary key, which only that key verifies', async () => {
    const claims = { iss: op.issuer, aud: op.audience, sub: 'mallory', exp: Math.floor(Date.now() / 1000) + 60 };
    const forged = await forgeToken({ header: { kid: op.currentKid }, payload: claims, key: attackerKey, alg: 'ES256' });
    expect(decodeProtectedHeader(forged)).toEqual({ typ: 'at+jwt', kid: op.currentKid, alg: 'ES256' });
    await expect(jwtVerify(forged, attackerPublic, { typ: 'at+jwt' })).resolves.toBeTruthy();
    await expect(verifyAccessToken(forged)).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);

    const embeddedJwk = await forgeToken({ header: { jwk: await exportJWK(attackerPublic) }, payload: claims, key: attackerKey, alg: 'ES256' });
    await expect(verifyAccessToken(embeddedJwk)).rejects.toThrow();
  });

  it('forgeToken writes unsigned tokens for every spelling of none', async () => {
    for (const alg of NONE_ALG_SPELLINGS) {
      const token = await forgeToken({ payload: { sub: 'mallory' }, alg });
      expect(token.endsWith('.')).toBe(true);
      expect(decodeProtectedHeader(token).alg).toBe(alg);
      await expect(verifyAccessToken(token)).rejects.toThrow();
    }
  });

  it('hs256WithPublicKey HMACs with the public key as PEM, DER and JWK text', async () => {
    const variants = await hs256WithPublicKey(issuerJwk, { sub: 'mallory', iss: op.issuer, aud: op.audience });
    expect(variants.map((v) => v.secret).sort()).toEqual(['jwk-json', 'jwk-json-canonical', 'spki-der', 'spki-pem', 'spki-pem-trimmed']);
    const pemVariant = variants.find((v) => v.secret === 'spki-pem');
    const jwkVariant = variants.find((v) => v.secret === 'jwk-json');
    if (pemVariant === undefined || jwkVariant === undefined) throw new Error('missing variant');
    expect(decodeProtectedHeader(pemVariant.token)).toMatchObject({ alg: 'HS256', kid: issuerJwk.kid });
    // The HMAC really is keyed with the public key text (what a confused verifier would do) ...
    const { createPublicKey } = await import('node:crypto');
    const pem = createPublicKey({ key: { kty: issuerJwk.kty, crv: issuerJwk.crv, x: issuerJwk.x, y: issuerJwk.y } as never, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    await expect(jwtVerify(pemVariant.token, new TextEncoder().encode(pem))).resolves.toBeTruthy();
    await expect(jwtVerify(jwkVariant.token, new TextEncoder().encode(JSON.stringify(issuerJwk)))).resolves.toBeTruthy();
    // ... and a correct verifier rejects it.
    for (const { token } of variants) await expect(verifyAccessToken(token)).rejects.toThrow();
  });

  it('tamperPayload, zeroSignature, truncate and nonBase64url break a real token in the intended way', async () => {
    const tampered = tamperPayload(realToken, { sub: 'admin', scope: 'orders:admin' });
    expect(decodeToken(tampered).payload).toMatchObject({ sub: 'admin', scope: 'orders:admin', client_id: DEFAULT_CLIENT_ID });
    expect(tampered.split('.')[2]).toBe(realToken.split('.')[2]);
    await expect(verifyAccessToken(tampered)).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);

    const zeroed = zeroSignature(realToken);
    expect(Buffer.from(zeroed.split('.')[2] ?? '', 'base64url')).toEqual(Buffer.alloc(64));
    await expect(verifyAccessToken(zeroed)).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);

    expect(truncate(realToken, 'two-segments').split('.')).toHaveLength(2);
    expect(truncate(realToken, 'empty-signature').endsWith('.')).toBe(true);
    await expect(verifyAccessToken(truncate(realToken))).rejects.toThrow();

    for (const variant of ['invalid-char', 'standard-base64', 'padding', 'whitespace', 'non-ascii'] as const) {
      const broken = nonBase64url(realToken, variant);
      expect(broken).not.toBe(realToken);
      expect(broken.split('.').slice(0, 2)).toEqual(realToken.split('.').slice(0, 2));
    }
    await expect(verifyAccessToken(nonBase64url(realToken, 'invalid-char'))).rejects.toThrow();
  });

  it('withDuplicateClaim writes the claim twice in the payload JSON text', async () => {
    const signed = await withDuplicateClaim({ sub: 'alice', aud: 'orders-api' }, { claim: 'sub', duplicateValue: 'admin', key: attackerKey, alg: 'ES256' });
    const text = Buffer.from(signed.split('.')[1] ?? '', 'base64url').toString('utf8');
    expect(text).toBe('{"sub":"alice","aud":"orders-api","sub":"admin"}');
    await expect(jwtVerify(signed, attackerPublic)).resolves.toMatchObject({ payload: { sub: 'admin' } });

    const fromReal = await withDuplicateClaim(realToken, { claim: 'sub', duplicateValue: 'admin' });
    expect(fromReal.split('.')[2]).toBe(realToken.split('.')[2]);
    expect(Buffer.from(fromReal.split('.')[1] ?? '', 'base64url').toString('utf8').match(/"sub":/g)).toHaveLength(2);
  });

  it('oversized builds a JWT-shaped string of exactly the requested length', () => {
    for (const bytes of [256, 4097, 16_384, 65_537]) {
      const token = oversized(bytes);
      expect(token).toHaveLength(bytes);
      expect(decodeToken(token).payload.sub).toBe('oversized');
    }
  });
});

describe('key rotation and issuer outages (run last, in order)', () => {
  it('rotateKeys() signs with a new kid and keeps the old key published; fresh JWKS verifies both', async () => {
    const oldKid = op.currentKid;
    const oldToken = await op.issueAccessToken({ sub: 'alice' });
    await op.rotateKeys();
    expect(op.currentKid).not.toBe(oldKid);

    const newToken = await op.issueAccessToken({ sub: 'alice' });
    expect(decodeProtectedHeader(newToken).kid).toBe(op.currentKid);
    const jwks = await fetchJwks(op.issuer);
    expect(jwks.keys.map((key) => key.kid)).toEqual([op.currentKid, oldKid]);
    await expect(verifyAccessToken(newToken, createLocalJWKSet(jwks))).resolves.toBeTruthy();
    await expect(verifyAccessToken(oldToken, createLocalJWKSet(jwks))).resolves.toBeTruthy();
    expect(decodeProtectedHeader(await op.issueIdToken({ sub: 'alice' })).kid).toBe(op.currentKid);
  });

  it('rotateKeys({ dropOld: true }) unpublishes old keys; state (clients, opaque tokens) survives', async () => {
    const opaque = await op.issueAccessToken({ sub: 'erin', format: 'opaque' });
    const oldToken = await op.issueAccessToken({ sub: 'erin', clientId: 'mobile-app' });
    await op.rotateKeys({ dropOld: true });
    const jwks = await fetchJwks(op.issuer);
    expect(jwks.keys.map((key) => key.kid)).toEqual([op.currentKid]);
    await expect(verifyAccessToken(oldToken, createLocalJWKSet(jwks))).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
    expect((await introspect(opaque)).body).toMatchObject({ active: true, sub: 'erin' });
    await expect(verifyAccessToken(await op.issueAccessToken({ sub: 'erin', clientId: 'mobile-app' }))).resolves.toBeTruthy();
  });

  it('stop() takes the issuer down; start() brings it back on the same issuer URL', async () => {
    const token = await op.issueAccessToken({ sub: 'frank' });
    const cached = createLocalJWKSet(await fetchJwks(op.issuer));
    const issuer = op.issuer;

    await op.stop();
    await expect(getDiscovery(issuer)).rejects.toThrow();
    await expect(verifyAccessToken(token, cached)).resolves.toBeTruthy();
    await op.stop(); // idempotent

    await op.start();
    expect(op.issuer).toBe(issuer);
    const response = await getDiscovery(issuer);
    expect(response.status).toBe(200);
    expect(((await response.json()) as Discovery).issuer).toBe(issuer);
    await expect(verifyAccessToken(await op.issueAccessToken({ sub: 'frank' }))).resolves.toBeTruthy();
  });
});
