import { createHash, randomUUID } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JSONWebKeySet, type JWK } from 'jose';
import { forgeToken, type JsonObject } from '../../../../test/helpers/token-forge';

/**
 * An issuer whose keys the test holds (jose-generated, in memory), given
 * to the guard as static `keys`. Tokens it signs are correctly signed, so
 * a refusal can only come from the claim or header under test.
 */
export interface StaticIssuer {
  readonly issuer: string;
  readonly audience: string;
  readonly alg: 'ES256' | 'RS256';
  readonly kid: string;
  readonly publicJwk: JWK;
  readonly privateKey: CryptoKey;
  /** What to pass as the issuer's `keys`. */
  readonly jwks: JSONWebKeySet;
  /** Valid RFC 9068 claims for `user-alice`, with `overrides` merged in (`undefined` deletes a claim). */
  claims(overrides?: JsonObject): JsonObject;
  /** Signs `claims()` (or a raw payload text) with this issuer's key; `header` adds to or overrides `{ alg, kid, typ: 'at+jwt' }`. */
  sign(overrides?: JsonObject | string, header?: JsonObject): Promise<string>;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export async function createStaticIssuer(issuer: string, options: { alg?: 'ES256' | 'RS256'; audience?: string; kid?: string } = {}): Promise<StaticIssuer> {
  const alg = options.alg ?? 'ES256';
  const audience = options.audience ?? 'orders-api';
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const kid = options.kid ?? `${alg.toLowerCase()}-${(await calculateJwkThumbprint(await exportJWK(publicKey))).slice(0, 12)}`;
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  const claims = (overrides: JsonObject = {}): JsonObject => {
    const now = nowSeconds();
    const base: JsonObject = { iss: issuer, aud: audience, sub: 'user-alice', client_id: 'palisade-test-client', scope: 'orders:read', iat: now, exp: now + 600, jti: randomUUID() };
    for (const [name, value] of Object.entries(overrides)) {
      if (value === undefined) delete base[name];
      else base[name] = value;
    }
    return base;
  };
  return {
    issuer,
    audience,
    alg,
    kid,
    publicJwk,
    privateKey,
    jwks: { keys: [publicJwk] },
    claims,
    sign: (overrides = {}, header = {}) =>
      forgeToken({ header: { alg, kid, typ: 'at+jwt', ...header }, payload: typeof overrides === 'string' ? overrides : claims(overrides), key: privateKey }),
  };
}

/** A client's DPoP key pair (RFC 9449) and its RFC 7638 thumbprint, the token's `cnf.jkt`. */
export interface DpopKey {
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  readonly jkt: string;
}

export async function createDpopKey(): Promise<DpopKey> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk, 'sha256') };
}

export interface DpopProofOptions {
  readonly htm: string;
  readonly htu: string;
  /** The access token the proof goes with (its hash becomes `ath`); omit for no `ath`. */
  readonly accessToken?: string;
  readonly iat?: number;
  readonly jti?: string;
  /** Overrides `ath` (wrong-ath attacks). */
  readonly ath?: string;
}

export const accessTokenHash = (token: string): string => createHash('sha256').update(token).digest('base64url');

/** A DPoP proof JWT signed with `key`, carrying its public key in the header. */
export function dpopProof(key: DpopKey, options: DpopProofOptions): Promise<string> {
  const payload: JsonObject = { htm: options.htm, htu: options.htu, jti: options.jti ?? randomUUID() };
  const ath = options.ath ?? (options.accessToken === undefined ? undefined : accessTokenHash(options.accessToken));
  if (ath !== undefined) payload.ath = ath;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.publicJwk })
    .setIssuedAt(options.iat ?? nowSeconds())
    .sign(key.privateKey);
}

/** RFC 8705 `x5t#S256` of a certificate's DER bytes. */
export const certificateThumbprint = (der: Buffer): string => createHash('sha256').update(der).digest('base64url');
