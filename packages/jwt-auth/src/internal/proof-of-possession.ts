import { createHash } from 'node:crypto';
import { deny, type Denial, type RequestContext } from '@palisade/core';
import { EmbeddedJWK, calculateJwkThumbprint, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import { ASYMMETRIC_ALGORITHMS } from './key-set';

/**
 * Where proofs are remembered across instances: structurally the
 * `RateLimitStore` of `@palisade/rate-limit` (so this package does not
 * depend on it), whose counters Redis shares between instances.
 */
export interface ProofReplayStore {
  counter(options: { readonly keyPrefix: string; readonly points: number; readonly durationMs: number }): {
    consume(key: string): Promise<{ readonly consumed: number }>;
  };
}

export interface DpopSettings {
  /** How far a proof's `iat` may lie from now, in seconds (RFC 9449 section 11.1). */
  readonly windowSec: number;
  /** The origin clients address (`https://api.example`), or null to trust the Host header's host and compare paths. */
  readonly origin: string | null;
  /** Bound on remembered proof `jti`s. */
  readonly maxRememberedProofs: number;
  /** Shared memory of proofs, or null for this process's only. */
  readonly store: ProofReplayStore | null;
}

/**
 * Checks DPoP proofs (RFC 9449): signature with the embedded public key,
 * `typ`, `htm`, `htu`, `iat` window, `ath`, one-time `jti`, and that the
 * key's thumbprint is the token's `cnf.jkt`.
 */
export class DpopVerifier {
  readonly #settings: DpopSettings;
  // jti -> when it may be forgotten (a replay after that is stale anyway).
  readonly #seen = new Map<string, number>();
  readonly #shared: ReturnType<ProofReplayStore['counter']> | null;

  constructor(settings: DpopSettings) {
    this.#settings = settings;
    // A proof is remembered as long as this process remembers it: twice
    // the window, since its iat may lie a window ahead or behind.
    this.#shared = settings.store === null ? null : settings.store.counter({ keyPrefix: 'palisade-dpop-proof', points: 1, durationMs: 2 * settings.windowSec * 1000 });
  }

  async verify(ctx: RequestContext, accessToken: string, expectedThumbprint: string, nowMs: number): Promise<Denial | null> {
    const proofHeader = ctx.headers.dpop;
    if (typeof proofHeader !== 'string' || proofHeader.includes(',')) return deny('token_binding_invalid', { privateDetail: 'DPoP-bound token without exactly one DPoP proof' });
    let jwk: JWK;
    let payload: Record<string, unknown>;
    try {
      const header = decodeProtectedHeader(proofHeader);
      if (typeof header.alg !== 'string' || !ASYMMETRIC_ALGORITHMS.has(header.alg)) return deny('token_binding_invalid', { privateDetail: 'DPoP proof alg not allowed' });
      jwk = header.jwk as JWK;
      // A private key in the proof header would mean the client leaked it.
      if (jwk === undefined || (jwk as { d?: unknown }).d !== undefined) return deny('token_binding_invalid', { privateDetail: 'DPoP proof without a public jwk' });
      ({ payload } = await jwtVerify(proofHeader, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: [...ASYMMETRIC_ALGORITHMS], currentDate: new Date(nowMs) }));
    } catch (error) {
      return deny('token_binding_invalid', { privateDetail: `DPoP proof invalid: ${(error as Error).message}`, cause: error });
    }
    if (payload.htm !== ctx.method) return deny('token_binding_invalid', { privateDetail: 'DPoP htm does not match the method' });
    if (!this.#htuMatches(payload.htu, ctx)) return deny('token_binding_invalid', { privateDetail: 'DPoP htu does not match the request URL' });
    const iat = payload.iat;
    if (typeof iat !== 'number' || Math.abs(iat * 1000 - nowMs) > this.#settings.windowSec * 1000) return deny('token_binding_invalid', { privateDetail: 'DPoP proof iat outside the window' });
    const ath = createHash('sha256').update(accessToken).digest('base64url');
    if (payload.ath !== ath) return deny('token_binding_invalid', { privateDetail: 'DPoP ath does not match the access token' });
    if ((await calculateJwkThumbprint(jwk, 'sha256')) !== expectedThumbprint) return deny('token_binding_invalid', { privateDetail: 'DPoP key is not the one the token is bound to (cnf.jkt)' });
    const jti = payload.jti;
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) return deny('token_binding_invalid', { privateDetail: 'DPoP proof without a usable jti' });
    this.#forgetOld(nowMs);
    // Per key: one client's jti says nothing about another's.
    const proofId = `${expectedThumbprint}:${jti}`;
    if (this.#seen.has(proofId)) return deny('token_binding_invalid', { privateDetail: 'DPoP proof replayed (jti seen before)' });
    if (this.#seen.size >= this.#settings.maxRememberedProofs) this.#seen.delete(this.#seen.keys().next().value!);
    this.#seen.set(proofId, nowMs + 2 * this.#settings.windowSec * 1000);
    // Another instance may have seen it. A store that fails rejects, and
    // the request fails closed (500); a Redis store answers from its
    // in-memory insurance during an outage instead.
    if (this.#shared !== null && (await this.#shared.consume(createHash('sha256').update(proofId).digest('base64url'))).consumed > 1) {
      return deny('token_binding_invalid', { privateDetail: 'DPoP proof replayed (jti seen before, by another instance)' });
    }
    return null;
  }

  #htuMatches(htu: unknown, ctx: RequestContext): boolean {
    if (typeof htu !== 'string') return false;
    let url: URL;
    try {
      url = new URL(htu);
    } catch {
      return false;
    }
    // RFC 9449 section 4.3: compare without query and fragment.
    if (url.pathname !== ctx.path) return false;
    if (this.#settings.origin !== null) return url.origin === this.#settings.origin;
    return url.host === ctx.headers.host;
  }

  #forgetOld(nowMs: number): void {
    for (const [jti, until] of this.#seen) {
      if (until > nowMs) break;
      this.#seen.delete(jti);
    }
  }
}

/** RFC 8705 section 3: the token's `cnf.x5t#S256` must be the SHA-256 of the TLS client certificate. */
export function checkCertificateBinding(ctx: RequestContext, expectedThumbprint: string): Denial | null {
  const certificate = ctx.view.peerCertificate?.() ?? null;
  if (certificate === null || certificate.length === 0) return deny('token_binding_invalid', { privateDetail: 'certificate-bound token without a TLS client certificate' });
  const thumbprint = createHash('sha256').update(certificate).digest('base64url');
  return thumbprint === expectedThumbprint ? null : deny('token_binding_invalid', { privateDetail: 'client certificate is not the one the token is bound to' });
}
