// jwt.*: authentication cost per request.
//
// jwt.fresh.<alg>: a token verified from scratch (verified-token cache off)
// through the whole Palisade path: routing, the authentication guard's
// header and issuer checks, jose's signature and claim checks, and core's
// authenticated-operation check. Peer: jose's bare `jwtVerify` of the same
// token with the same claim options, against the same key set (jose's
// `createLocalJWKSet` over the issuer's JWKS, which Palisade also uses for
// static keys): the floor for verifying an issuer's token, so the ratio is
// what Palisade adds. jose with the key handed over directly (no key-set
// lookup, which an issuer's JWKS always needs) is timed too and printed in
// the note.
//
// jwt.cached: the same request with the verified-token cache on (the token
// was seen before). Peer: express-oauth2-jwt-bearer's middleware on the same
// token (keys already cached by it), which verifies every request.
import { createServer } from 'node:http';
import { SignJWT, createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { auth } from 'express-oauth2-jwt-bearer';
import { loadCore, loadPalisadePackage } from '../lib/core.mjs';
import { measureAsync, measureAsyncInterleaved, measureSync } from '../lib/measure.mjs';

const ISSUER = 'https://issuer.bench.example';
const AUDIENCE = 'orders-api';
const BATCH = 50;

const document = {
  openapi: '3.1.0',
  info: { title: 'bench', version: '1' },
  components: { securitySchemes: { oauth2: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: `${ISSUER}/token`, scopes: { 'orders:read': 'read' } } } } } },
  paths: { '/orders': { get: { operationId: 'listOrders', security: [{ oauth2: ['orders:read'] }], responses: { '200': { description: 'ok' } } } } },
};

async function keyFor(alg) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: `bench-${alg}`, alg, use: 'sig' };
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ scope: 'orders:read', client_id: 'bench-client', jti: `jti-${alg}` })
    .setProtectedHeader({ alg, typ: 'at+jwt', kid: jwk.kid })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('user-alice')
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(privateKey);
  return { alg, publicKey, jwk, token };
}

async function engineFor(jwtAuth, core, jwks, cacheEntries) {
  const guard = jwtAuth.createJwtAuthentication({ issuers: [{ issuer: ISSUER, audience: AUDIENCE, keys: jwks }], cacheEntries });
  return core.createPalisade({ document, guards: [guard] });
}

function requestFor(token) {
  return { method: 'GET', url: '/orders', headers: { authorization: `Bearer ${token}` }, remoteAddress: '127.0.0.1', readBody: null, peerCertificate: null };
}

async function check(engine, view) {
  const ctx = engine.startRequest(view);
  const reply = await engine.checkRequest(ctx);
  if (reply !== null || ctx.principal === null) throw new Error(`bench: token refused (${ctx.denial?.reason})`);
}

async function batch(fn) {
  for (let i = 0; i < BATCH; i++) await fn();
}

export async function run() {
  const core = await loadCore();
  const jwtAuth = await loadPalisadePackage('jwt-auth');
  const keys = await Promise.all(['ES256', 'RS256', 'EdDSA'].map(keyFor));
  const jwks = { keys: keys.map((key) => key.jwk) };
  const fresh = await engineFor(jwtAuth, core, jwks, 0);
  const entries = [];

  const keySet = createLocalJWKSet(jwks);
  for (const key of keys) {
    const view = requestFor(key.token);
    const options = { issuer: ISSUER, audience: AUDIENCE, algorithms: [key.alg], typ: 'at+jwt', requiredClaims: ['exp', 'sub'] };
    await check(fresh, view);
    await jwtVerify(key.token, keySet, options);
    // Alternating rounds, so that a slow stretch of the machine (frequent on
    // a shared VM) lands on both sides instead of on whichever ran first.
    const medians = await measureAsyncInterleaved(
      {
        palisade: () => batch(() => check(fresh, view)),
        peer: () => batch(() => jwtVerify(key.token, keySet, options)),
        direct: () => batch(() => jwtVerify(key.token, key.publicKey, options)),
      },
      { rounds: 20, iterations: 5, time: 200 },
    );
    entries.push({
      name: `jwt.fresh.${key.alg.toLowerCase()}`,
      medianNs: medians.palisade / BATCH,
      peer: 'jose jwtVerify',
      peerMedianNs: medians.peer / BATCH,
      note: `peer verifies against the issuer's key set (createLocalJWKSet); with the key handed over directly jose takes ${(medians.direct / BATCH / 1000).toFixed(2)} µs (Palisade: ${(medians.palisade / medians.direct).toFixed(2)}x that)`,
    });
  }

  // The peer fetches its keys from a JWKS URL: serve it on loopback.
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(jwks));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const es256 = keys[0];
    const cached = await engineFor(jwtAuth, core, jwks, 10_000);
    const view = requestFor(es256.token);
    await check(cached, view);
    const middleware = auth({ issuer: ISSUER, audience: AUDIENCE, jwksUri: `http://127.0.0.1:${server.address().port}/jwks`, tokenSigningAlg: 'ES256' });
    // What the middleware reads of an Express request.
    const headers = { authorization: `Bearer ${es256.token}`, host: 'api.bench.example' };
    const req = { headers, query: {}, method: 'GET', protocol: 'https', originalUrl: '/orders', url: '/orders', socket: { remoteAddress: '127.0.0.1' }, app: { get: () => undefined }, get: (name) => headers[name.toLowerCase()], is: () => false, body: undefined };
    const peerOnce = () =>
      new Promise((resolve, reject) => {
        middleware(req, {}, (error) => (error ? reject(error) : resolve()));
      });
    await peerOnce();
    const ours = measureSync(
      {
        palisade: () => {
          for (let i = 0; i < 1000; i++) {
            const ctx = cached.startRequest(view);
            if (cached.checkRequest(ctx) !== null) throw new Error('bench: cached token refused');
          }
        },
      },
      { callsPerSample: 1000, rounds: 20 },
    );
    const peer = await measureAsync({ peer: () => batch(peerOnce) }, { iterations: 30, time: 1500 });
    entries.push({ name: 'jwt.cached', medianNs: ours.palisade, peer: 'express-oauth2-jwt-bearer', peerMedianNs: peer.peer / BATCH });
  } finally {
    server.close();
  }
  return entries;
}
