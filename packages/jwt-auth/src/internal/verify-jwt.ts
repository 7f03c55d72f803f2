import { deny, parseStrictJson, type Denial, type ReasonCode } from '@palisade/core';
import { jwtVerify } from 'jose';
import { ASYMMETRIC_ALGORITHMS, type KeySource } from './key-set';

/** Everything one issuer's tokens are checked against, resolved at start-up. */
export interface IssuerPolicy {
  readonly issuer: string;
  readonly audience: readonly string[];
  readonly keys: KeySource;
  /** Explicit allow-list, or null to derive it from the keys. */
  readonly algorithms: readonly string[] | null;
  /** Accepted `typ` values, lower-case, without `application/`. */
  readonly tokenTypes: ReadonlySet<string>;
  readonly clockToleranceSec: number;
  readonly maxTokenAgeSec: number | null;
  readonly requiredClaims: readonly string[];
}

export interface VerifiedJwt {
  readonly header: Record<string, unknown>;
  readonly payload: Record<string, unknown>;
}

// The signature may be empty here only so that an unsigned token (`alg:
// none`, RFC 7519 section 6) is refused, and audited, for its algorithm;
// an empty signature with any other alg is refused as malformed below.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });
// Header parameters that would let the token choose its own key (RFC 7515
// section 4.1.2-4.1.5): keys come only from the issuer's configuration.
const KEY_SELECTING_HEADERS = ['jku', 'jwk', 'x5u'] as const;

const invalid = (reason: ReasonCode, privateDetail: string, cause?: unknown): Denial => deny(reason, { privateDetail, cause });

/** Decodes one base64url JSON segment strictly: valid UTF-8, no duplicate member names, an object. */
function decodeSegment(segment: string): Record<string, unknown> | null {
  try {
    const value = parseStrictJson(UTF8.decode(Buffer.from(segment, 'base64url')), { maxDepth: 16 });
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Verifies a JWT access token: structure, header rules, issuer choice by
 * `iss` before any key is touched, then jose's signature and claim checks.
 * Returns the verified parts or a denial whose reason tells the failures
 * apart for the audit trail (the client only sees `invalid_token`).
 */
export async function verifyJwt(token: string, issuers: ReadonlyMap<string, IssuerPolicy>, nowMs: number): Promise<VerifiedJwt | Denial> {
  if (!COMPACT_JWS.test(token)) return invalid('token_malformed', 'not a compact JWS with three base64url parts');
  const [headerPart, payloadPart, signaturePart] = token.split('.') as [string, string, string];
  const header = decodeSegment(headerPart);
  const payload = decodeSegment(payloadPart);
  if (header === null || payload === null) return invalid('token_malformed', 'header or payload is not a JSON object (or repeats a member name)');
  const chosen = checkBeforeKeys(header, payload, signaturePart, issuers, nowMs);
  if ('reason' in chosen) return chosen;
  try {
    await jwtVerify(token, chosen.issuer.keys.getKey, joseOptions(chosen.issuer, chosen.algorithms, header.alg as string));
  } catch (error) {
    return translateJoseError(error);
  }
  return { header, payload };
}

/** The checks made before any key is used: a denial, or the issuer (and its allow-list) whose keys jose may use. */
function checkBeforeKeys(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  signaturePart: string,
  issuers: ReadonlyMap<string, IssuerPolicy>,
  nowMs: number,
): Denial | { readonly issuer: IssuerPolicy; readonly algorithms: readonly string[] } {
  const alg = header.alg;
  // `none` in any spelling, HMAC, or anything unknown: never with an issuer's public keys.
  if (typeof alg !== 'string' || !ASYMMETRIC_ALGORITHMS.has(alg)) return invalid('token_algorithm_not_allowed', `alg ${JSON.stringify(alg)} is not an asymmetric signature algorithm`);
  for (const name of KEY_SELECTING_HEADERS) {
    if (header[name] !== undefined) return invalid('token_invalid', `header "${name}" would select the key; keys come from the issuer only`);
  }
  if (signaturePart === '') return invalid('token_malformed', 'the signature part is empty');

  const iss = payload.iss;
  const issuer = typeof iss === 'string' ? issuers.get(iss) : undefined;
  if (issuer === undefined) return invalid('token_issuer_invalid', `iss ${JSON.stringify(iss)} is not a configured issuer`);

  const typ = typeof header.typ === 'string' ? header.typ.toLowerCase().replace(/^application\//, '') : null;
  if (typ === null || !issuer.tokenTypes.has(typ)) {
    return invalid('token_type_invalid', `typ ${JSON.stringify(header.typ)} is not one of ${[...issuer.tokenTypes].join(', ')} (an ID token is not an access token)`);
  }
  const algorithms = issuer.algorithms ?? issuer.keys.algorithms();
  if (algorithms.length > 0 && !algorithms.includes(alg)) return invalid('token_algorithm_not_allowed', `alg ${alg} is not allowed for ${issuer.issuer}`);
  if (typeof payload.iat === 'number' && payload.iat * 1000 > nowMs + issuer.clockToleranceSec * 1000) return invalid('token_not_yet_valid', 'iat is in the future');
  return { issuer, algorithms };
}

type JoseOptions = Parameters<typeof jwtVerify>[2] & object;
// jose's options for an issuer and an allow-list, built once: the list is
// the configured one, or the frozen list derived from the current keys
// (replaced when the keys are). jose reads the clock itself.
const joseOptionsCache = new WeakMap<IssuerPolicy, WeakMap<readonly string[], JoseOptions>>();

function joseOptions(issuer: IssuerPolicy, algorithms: readonly string[], alg: string): JoseOptions {
  // No algorithm known from the keys yet (a key set still loading): allow
  // the token's own, which checkBeforeKeys proved asymmetric; not cached.
  if (algorithms.length === 0) return buildJoseOptions(issuer, [alg]);
  let byList = joseOptionsCache.get(issuer);
  if (byList === undefined) joseOptionsCache.set(issuer, (byList = new WeakMap()));
  let options = byList.get(algorithms);
  if (options === undefined) byList.set(algorithms, (options = buildJoseOptions(issuer, algorithms)));
  return options;
}

function buildJoseOptions(issuer: IssuerPolicy, algorithms: readonly string[]): JoseOptions {
  return Object.freeze({
    issuer: issuer.issuer,
    audience: [...issuer.audience],
    algorithms: [...algorithms],
    clockTolerance: issuer.clockToleranceSec,
    maxTokenAge: issuer.maxTokenAgeSec ?? undefined,
    requiredClaims: [...issuer.requiredClaims],
  });
}

/** Maps jose's errors onto our reasons at the package boundary. */
export function translateJoseError(error: unknown): Denial {
  const code = (error as { code?: string }).code;
  const message = (error as Error).message ?? String(error);
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return invalid('token_expired', message, error);
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const claim = (error as { claim?: string }).claim;
      const reason: ReasonCode = claim === 'nbf' || claim === 'iat' ? 'token_not_yet_valid' : claim === 'iss' ? 'token_issuer_invalid' : claim === 'aud' ? 'token_audience_invalid' : 'token_claims_invalid';
      return invalid(reason, message, error);
    }
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return invalid('token_signature_invalid', message, error);
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return invalid('token_algorithm_not_allowed', message, error);
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return invalid('token_malformed', message, error);
    default:
      // Key type/algorithm disagreement (jose throws TypeError), key fetch
      // failures with no cached key, and anything else: not a valid token.
      return invalid('token_invalid', message, error);
  }
}
