/**
 * Forged and broken access tokens, and the near misses that must still
 * pass. Each entry is titled with its source (RFC section, CVE, or the
 * issue's list) and names the status and the audit reason
 * (`ctx.denial.reason`) the guard must produce.
 *
 * `build` gets the kit of the suite: the real provider (`op`), two issuers
 * with static keys (`es`: ES256, `rsa`: RS256), an `attacker` whose keys no
 * issuer trusts, and two DPoP client keys. Requests go to `GET /orders`
 * with `Host: api.example` unless a vector says otherwise.
 */
import type { ReasonCode } from '@palisade/core';
import { generateKeyPair } from 'jose';
import type { TestProvider } from '../../../../test/helpers/oidc-provider';
import {
  NONE_ALG_SPELLINGS,
  b64url,
  forgeToken,
  hs256WithPublicKey,
  nonBase64url,
  oversized,
  signRaw,
  tamperHeader,
  tamperPayload,
  truncate,
  withDuplicateClaim,
  zeroSignature,
  type ConfusionToken,
  type JsonObject,
  type NonBase64urlVariant,
  type TokenSegment,
  type TruncateMode,
} from '../../../../test/helpers/token-forge';
import type { TestRequest } from '../support/drive-engine';
import { API_HOST } from '../support/drive-engine';
import { certificateThumbprint, dpopProof, nowSeconds, type DpopKey, type StaticIssuer } from '../support/static-issuer';

export interface AttackKit {
  readonly op: TestProvider;
  readonly es: StaticIssuer;
  readonly rsa: StaticIssuer;
  /** Keys nobody trusts; `attacker.issuer` is not configured. */
  readonly attacker: StaticIssuer;
  readonly dpop: DpopKey;
  readonly otherDpop: DpopKey;
  /** A client certificate (DER bytes) and another one. */
  readonly certificate: Buffer;
  readonly otherCertificate: Buffer;
}

export interface AttackRequest extends TestRequest {
  /** Sent first and must pass (the legitimate use an attacker replays). */
  readonly primer?: TestRequest;
}

export interface TokenAttackVector {
  readonly title: string;
  /** `attack`: must be refused; `near-miss`: looks suspicious but is legitimate and must pass. */
  readonly kind: 'attack' | 'near-miss';
  readonly build: (kit: AttackKit) => Promise<AttackRequest>;
  readonly expectedStatus: 401 | 200;
  /** The audit reason; null for a request that passes. */
  readonly expectedReason: ReasonCode | null;
}

const ORDERS_URL = `http://${API_HOST}/orders`;
const bearer = (token: string): AttackRequest => ({ authorization: `Bearer ${token}` });
const attack = (title: string, expectedReason: ReasonCode, build: TokenAttackVector['build']): TokenAttackVector => ({ title, kind: 'attack', build, expectedStatus: 401, expectedReason });
const nearMiss = (title: string, build: TokenAttackVector['build']): TokenAttackVector => ({ title, kind: 'near-miss', build, expectedStatus: 200, expectedReason: null });

/** Valid claims for the provider's issuer, to sign with a key it does not own. */
function providerClaims(op: TestProvider, overrides: JsonObject = {}): JsonObject {
  const now = nowSeconds();
  return { iss: op.issuer, aud: op.audience, sub: 'user-alice', client_id: 'palisade-test-client', scope: 'orders:read', iat: now, exp: now + 600, jti: `forged-${now}`, ...overrides };
}

async function confusion(publicJwk: StaticIssuer['publicJwk'], claims: JsonObject, secret: ConfusionToken['secret']): Promise<string> {
  const variant = (await hs256WithPublicKey(publicJwk, claims)).find((entry) => entry.secret === secret);
  if (variant === undefined) throw new Error(`hs256WithPublicKey gives no ${secret} variant for kty ${publicJwk.kty}`);
  return variant.token;
}

const EC_CONFUSION_SECRETS: readonly ConfusionToken['secret'][] = ['spki-pem', 'spki-pem-trimmed', 'spki-der', 'jwk-json', 'jwk-json-canonical'];
const RSA_CONFUSION_SECRETS: readonly ConfusionToken['secret'][] = [...EC_CONFUSION_SECRETS, 'pkcs1-pem'];
const TRUNCATIONS: readonly [TruncateMode, ReasonCode][] = [
  ['signature', 'token_signature_invalid'],
  ['empty-signature', 'token_malformed'],
  ['two-segments', 'token_malformed'],
  // One segment has no ".": it is taken for an opaque token, and no introspection is configured.
  ['one-segment', 'token_malformed'],
  ['mid-payload', 'token_malformed'],
];
const ENCODINGS: readonly [NonBase64urlVariant, TokenSegment][] = [
  ['invalid-char', 'header'],
  ['invalid-char', 'payload'],
  ['invalid-char', 'signature'],
  ['standard-base64', 'payload'],
  ['standard-base64', 'signature'],
  ['padding', 'signature'],
  ['whitespace', 'payload'],
  ['non-ascii', 'signature'],
];

/** A DPoP-bound token (cnf.jkt) of the static ES256 issuer and a proof for `GET /orders`. */
async function dpopBound(kit: AttackKit, proof: { key?: DpopKey; htm?: string; htu?: string; iat?: number; ath?: string } = {}): Promise<{ token: string; proof: string }> {
  const token = await kit.es.sign({ cnf: { jkt: kit.dpop.jkt } });
  const signed = await dpopProof(proof.key ?? kit.dpop, { htm: proof.htm ?? 'GET', htu: proof.htu ?? ORDERS_URL, accessToken: token, ...(proof.iat === undefined ? {} : { iat: proof.iat }), ...(proof.ath === undefined ? {} : { ath: proof.ath }) });
  return { token, proof: signed };
}

const certificateBound = (kit: AttackKit): Promise<string> => kit.es.sign({ cnf: { 'x5t#S256': certificateThumbprint(kit.certificate) } });

export const TOKEN_ATTACK_VECTORS: readonly TokenAttackVector[] = [
  // -- alg none (RFC 8725 section 3.1; CVE-2015-9235) -----------------------
  ...NONE_ALG_SPELLINGS.map((spelling) =>
    attack(`RFC 8725 §3.1: unsigned token, alg "${spelling}"`, 'token_algorithm_not_allowed', async ({ es }) => bearer(await forgeToken({ header: { kid: es.kid }, payload: es.claims(), alg: spelling }))),
  ),
  attack('RFC 8725 §3.1: alg "none" with a made-up signature segment', 'token_algorithm_not_allowed', async ({ es }) => {
    const unsigned = await forgeToken({ header: { kid: es.kid }, payload: es.claims(), alg: 'none' });
    return bearer(`${unsigned}${b64url('signature')}`);
  }),
  attack('RFC 8725 §3.1: alg "none" on a real provider token (header swapped, signature kept)', 'token_algorithm_not_allowed', async ({ op }) => bearer(tamperHeader(await op.issueAccessToken({ sub: 'user-alice' }), { alg: 'none' }))),

  // -- algorithm confusion: HS256 keyed with the issuer's public key (RFC 8725 §2.1, CVE-2016-10555)
  ...EC_CONFUSION_SECRETS.map((secret) =>
    attack(`RFC 8725 §2.1: HS256 keyed with the ES256 issuer's public key (${secret})`, 'token_algorithm_not_allowed', async ({ es }) => bearer(await confusion(es.publicJwk, es.claims(), secret))),
  ),
  ...RSA_CONFUSION_SECRETS.map((secret) =>
    attack(`RFC 8725 §2.1: HS256 keyed with the RS256 issuer's public key (${secret})`, 'token_algorithm_not_allowed', async ({ rsa }) => bearer(await confusion(rsa.publicJwk, rsa.claims(), secret))),
  ),
  ...EC_CONFUSION_SECRETS.map((secret) =>
    attack(`RFC 8725 §2.1: HS256 keyed with the real provider's published key (${secret})`, 'token_algorithm_not_allowed', async ({ op }) => {
      const [key] = op.publicJwks().keys;
      return bearer(await confusion(key!, providerClaims(op), secret));
    }),
  ),
  attack('RFC 8725 §2.1: alg ES384 claimed against an ES256-only issuer', 'token_algorithm_not_allowed', async ({ es }) => {
    const { privateKey } = await generateKeyPair('ES384');
    return bearer(await forgeToken({ header: { kid: es.kid }, payload: es.claims(), alg: 'ES384', key: privateKey }));
  }),
  attack("RFC 8725 §2.1: issuer B's key and alg presented under issuer A's iss", 'token_algorithm_not_allowed', async ({ es, rsa }) => bearer(await rsa.sign(es.claims()))),

  // -- key selection by the token (RFC 7515 §4.1.2-4.1.5; CVE-2018-0114) ----
  attack('CVE-2018-0114: embedded "jwk" header carrying the attacker\'s key', 'token_invalid', async ({ es, attacker }) =>
    bearer(await forgeToken({ header: { alg: 'ES256', kid: es.kid, jwk: attacker.publicJwk }, payload: es.claims(), key: attacker.privateKey })),
  ),
  attack('RFC 7515 §4.1.2: "jku" header pointing at an attacker JWKS', 'token_invalid', async ({ es, attacker }) =>
    bearer(await forgeToken({ header: { alg: 'ES256', kid: attacker.kid, jku: 'https://attacker.example/jwks.json' }, payload: es.claims(), key: attacker.privateKey })),
  ),
  attack('RFC 7515 §4.1.5: "x5u" header pointing at an attacker certificate', 'token_invalid', async ({ es, attacker }) =>
    bearer(await forgeToken({ header: { alg: 'ES256', kid: attacker.kid, x5u: 'https://attacker.example/cert.pem' }, payload: es.claims(), key: attacker.privateKey })),
  ),
  attack('RFC 7515 §4.1.2: "jku" on a token the issuer itself signed (keys come from configuration only)', 'token_invalid', async ({ es }) => bearer(await es.sign({}, { jku: 'https://attacker.example/jwks.json' }))),

  // -- kid (RFC 7515 §4.1.4): unknown and injected -------------------------
  attack('issue: kid pointing at an unknown key (static keys)', 'token_signature_invalid', async ({ es, attacker }) =>
    bearer(await forgeToken({ header: { alg: 'ES256', kid: 'no-such-key' }, payload: es.claims(), key: attacker.privateKey })),
  ),
  attack('issue: kid pointing at an unknown key (remote JWKS, refetch finds nothing)', 'token_signature_invalid', async ({ op, attacker }) =>
    bearer(await forgeToken({ header: { alg: 'ES256', kid: 'no-such-key' }, payload: providerClaims(op), key: attacker.privateKey })),
  ),
  attack('issue: kid path traversal "../../../../../../dev/null"', 'token_signature_invalid', async ({ es, attacker }) =>
    bearer(await forgeToken({ header: { alg: 'ES256', kid: '../../../../../../dev/null' }, payload: es.claims(), key: attacker.privateKey })),
  ),
  attack("issue: kid SQL injection \"x' UNION SELECT 'secret' --\"", 'token_signature_invalid', async ({ es, attacker }) =>
    bearer(await forgeToken({ header: { alg: 'ES256', kid: "x' UNION SELECT 'secret' --" }, payload: es.claims(), key: attacker.privateKey })),
  ),
  attack('issue: kid that is not a string (an object)', 'token_signature_invalid', async ({ es, attacker }) =>
    bearer(await forgeToken({ header: { alg: 'ES256', kid: { $ne: null } }, payload: es.claims(), key: attacker.privateKey })),
  ),
  attack("issue: signature from another key under the issuer's kid (static keys)", 'token_signature_invalid', async ({ es, attacker }) =>
    bearer(await forgeToken({ header: { alg: 'ES256', kid: es.kid }, payload: es.claims(), key: attacker.privateKey })),
  ),
  attack("issue: signature from another key under the provider's current kid", 'token_signature_invalid', async ({ op, attacker }) =>
    bearer(await forgeToken({ header: { alg: 'ES256', kid: op.currentKid }, payload: providerClaims(op), key: attacker.privateKey })),
  ),
  attack('issue: no kid, signed with an untrusted key', 'token_signature_invalid', async ({ es, attacker }) => bearer(await forgeToken({ header: { alg: 'ES256' }, payload: es.claims(), key: attacker.privateKey }))),

  // -- signature integrity ---------------------------------------------------
  attack('CVE-2022-21449: ECDSA signature of zeros (r = s = 0), static issuer', 'token_signature_invalid', async ({ es }) => bearer(zeroSignature(await es.sign()))),
  attack('CVE-2022-21449: ECDSA signature of zeros on a real provider token', 'token_signature_invalid', async ({ op }) => bearer(zeroSignature(await op.issueAccessToken({ sub: 'user-alice' })))),
  attack('issue: payload tampered after signing (sub changed on a real token)', 'token_signature_invalid', async ({ op }) => bearer(tamperPayload(await op.issueAccessToken({ sub: 'user-alice' }), { sub: 'user-admin' }))),
  attack('issue: payload tampered after signing (scope escalated on a real token)', 'token_signature_invalid', async ({ op }) =>
    bearer(tamperPayload(await op.issueAccessToken({ sub: 'user-alice', scope: 'orders:read' }), { scope: 'orders:read orders:admin admin:users' })),
  ),

  // -- registered claims (RFC 7519 §4.1, RFC 9068 §4) ------------------------
  attack('RFC 7519 §4.1.4: a real provider token that expired 100 s ago (30 s tolerance)', 'token_expired', async ({ op }) => bearer(await op.issueAccessToken({ sub: 'user-alice', expiresIn: -100 }))),
  attack('RFC 7519 §4.1.4: exp 31 s ago, just past the 30 s tolerance', 'token_expired', async ({ es }) => bearer(await es.sign({ exp: nowSeconds() - 31, iat: nowSeconds() - 600 }))),
  attack('RFC 7519 §4.1.5: nbf 5 minutes in the future', 'token_not_yet_valid', async ({ es }) => bearer(await es.sign({ nbf: nowSeconds() + 300 }))),
  attack('RFC 7519 §4.1.6: iat 5 minutes in the future', 'token_not_yet_valid', async ({ es }) => bearer(await es.sign({ iat: nowSeconds() + 300 }))),
  attack('RFC 9068 §4: aud of another resource server (real provider token)', 'token_audience_invalid', async ({ op }) => bearer(await op.issueAccessToken({ sub: 'user-alice', audience: 'billing-api' }))),
  attack('RFC 9068 §4: aud array without our audience', 'token_audience_invalid', async ({ es }) => bearer(await es.sign({ aud: ['billing-api', 'orders-api-staging'] }))),
  attack('RFC 9068 §4: iss of an issuer nobody configured', 'token_issuer_invalid', async ({ attacker }) => bearer(await attacker.sign())),
  attack("RFC 9068 §4: iss spelled with a trailing slash (not the configured issuer's exact value)", 'token_issuer_invalid', async ({ es, attacker }) => bearer(await attacker.sign({ iss: `${es.issuer}/` }))),
  attack('RFC 9068 §4: no iss', 'token_issuer_invalid', async ({ es }) => bearer(await es.sign({ iss: undefined }))),
  attack('RFC 9068 §2.2: no exp', 'token_claims_invalid', async ({ es }) => bearer(await es.sign({ exp: undefined }))),
  attack('RFC 9068 §2.2: no sub', 'token_claims_invalid', async ({ es }) => bearer(await es.sign({ sub: undefined }))),
  attack('RFC 7519 §4.1.4: exp as a string', 'token_claims_invalid', async ({ es }) => bearer(await es.sign({ exp: String(nowSeconds() + 600) }))),

  // -- token type (RFC 9068 §4, RFC 8725 §3.11) -------------------------------
  attack('RFC 9068 §4: a real OpenID Connect ID token used as an access token', 'token_type_invalid', async ({ op }) => bearer(await op.issueIdToken({ sub: 'user-alice' }))),
  attack('RFC 8725 §3.11: typ "JWT" when only at+jwt is accepted', 'token_type_invalid', async ({ es }) => bearer(await es.sign({}, { typ: 'JWT' }))),
  attack('RFC 8725 §3.11: no typ at all', 'token_type_invalid', async ({ es }) => bearer(await es.sign({}, { typ: undefined }))),
  attack('RFC 8725 §3.11: a DPoP proof (typ dpop+jwt) presented as the access token', 'token_type_invalid', async ({ es }) => bearer(await es.sign({}, { typ: 'dpop+jwt' }))),

  // -- structure and encoding (RFC 7515 §7.1, RFC 8725 §3.4) ------------------
  ...TRUNCATIONS.map(([mode, reason]) => attack(`issue: truncated token (${mode})`, reason, async ({ es }) => bearer(truncate(await es.sign(), mode)))),
  attack('issue: oversized token, 8193 bytes (> 8 KiB), refused before parsing', 'token_too_large', async () => bearer(oversized(8193))),
  attack('issue: oversized Authorization header, 64 KiB', 'token_too_large', async () => ({ authorization: `Bearer ${'A'.repeat(65_536)}` })),
  attack('issue: a token of exactly 8192 bytes is parsed (and refused for its claims, not its size)', 'token_issuer_invalid', async () => bearer(oversized(8192))),
  ...ENCODINGS.map(([variant, segment]) => attack(`RFC 7515 §2: non-base64url ${segment} (${variant})`, 'token_malformed', async ({ es }) => bearer(nonBase64url(await es.sign(), variant, segment)))),
  attack('RFC 8259 §4: duplicate "sub" in a correctly signed payload', 'token_malformed', async ({ es }) =>
    bearer(await withDuplicateClaim(es.claims({ sub: 'user-alice' }), { claim: 'sub', duplicateValue: 'user-admin', key: es.privateKey, alg: 'ES256', header: { kid: es.kid } })),
  ),
  attack('RFC 7515 §5.2: duplicate "alg" in a correctly signed header (HS256 then ES256)', 'token_malformed', async ({ es }) => {
    const header = `{"alg":"HS256","kid":${JSON.stringify(es.kid)},"typ":"at+jwt","alg":"ES256"}`;
    const input = `${b64url(header)}.${b64url(JSON.stringify(es.claims()))}`;
    return bearer(`${input}.${b64url(signRaw('ES256', es.privateKey, input))}`);
  }),
  attack('RFC 7519 §7.2: payload is a JSON array, not an object', 'token_malformed', async ({ es }) => bearer(await es.sign(JSON.stringify([es.claims()])))),
  attack('RFC 7515 §4.1.11: crit names an extension nobody understands', 'token_malformed', async ({ es }) => bearer(await es.sign({}, { crit: ['urn:example:must-understand'], 'urn:example:must-understand': true }))),

  // -- the Authorization header (RFC 6750 §2.1) ------------------------------
  attack('RFC 6750 §2.1: "Bearer " with an empty token', 'token_malformed', async () => ({ authorization: 'Bearer ' })),
  // No credentials at all as far as RFC 6750 goes: a bare challenge, no error code.
  attack('RFC 6750 §2.1: "Bearer" with no token', 'token_missing', async () => ({ authorization: 'Bearer' })),
  attack('RFC 9110 §5.5: CRLF and a second header injected after the token', 'token_malformed', async ({ es }) => ({ authorization: `Bearer ${await es.sign()}\r\nX-Admin: true` })),
  attack('RFC 9110 §5.5: newline in the middle of the token', 'token_malformed', async ({ es }) => {
    const token = await es.sign();
    return { authorization: `Bearer ${token.slice(0, 20)}\n${token.slice(20)}` };
  }),
  attack('RFC 6750 §2.1: two tokens in one header', 'token_malformed', async ({ es }) => ({ authorization: `Bearer ${await es.sign()} ${await es.sign()}` })),
  attack('RFC 6750 §2.3: token in the query when query tokens are off (ignored: no credentials)', 'token_missing', async ({ es }) => ({ url: `/orders?access_token=${await es.sign()}` })),

  // -- DPoP (RFC 9449) -----------------------------------------------------
  attack('RFC 9449 §11.1: replayed DPoP proof (same jti)', 'token_binding_invalid', async (kit) => {
    const { token, proof } = await dpopBound(kit);
    const request = { authorization: `DPoP ${token}`, headers: { dpop: proof } };
    return { ...request, primer: request };
  }),
  attack('RFC 9449 §7.2: DPoP-bound token sent with the Bearer scheme (with its proof)', 'token_binding_invalid', async (kit) => {
    const { token, proof } = await dpopBound(kit);
    return { authorization: `Bearer ${token}`, headers: { dpop: proof } };
  }),
  attack('RFC 9449 §7.2: DPoP-bound token sent as Bearer without a proof', 'token_binding_invalid', async (kit) => bearer((await dpopBound(kit)).token)),
  attack('RFC 9449 §7.1: DPoP scheme without a DPoP header', 'token_binding_invalid', async (kit) => ({ authorization: `DPoP ${(await dpopBound(kit)).token}` })),
  attack('RFC 9449 §4.3: proof for another method (htm POST)', 'token_binding_invalid', async (kit) => {
    const { token, proof } = await dpopBound(kit, { htm: 'POST' });
    return { authorization: `DPoP ${token}`, headers: { dpop: proof } };
  }),
  attack('RFC 9449 §4.3: proof for another path (htu /admin/users)', 'token_binding_invalid', async (kit) => {
    const { token, proof } = await dpopBound(kit, { htu: `http://${API_HOST}/admin/users` });
    return { authorization: `DPoP ${token}`, headers: { dpop: proof } };
  }),
  attack('RFC 9449 §4.3: proof for another host (htu https://evil.example/orders)', 'token_binding_invalid', async (kit) => {
    const { token, proof } = await dpopBound(kit, { htu: 'https://evil.example/orders' });
    return { authorization: `DPoP ${token}`, headers: { dpop: proof } };
  }),
  attack('RFC 9449 §4.3: proof whose ath is the hash of another token', 'token_binding_invalid', async (kit) => {
    const { token, proof } = await dpopBound(kit, { ath: b64url(new Uint8Array(32)) });
    return { authorization: `DPoP ${token}`, headers: { dpop: proof } };
  }),
  attack('RFC 9449 §4.3: proof signed by a key other than cnf.jkt', 'token_binding_invalid', async (kit) => {
    const { token, proof } = await dpopBound(kit, { key: kit.otherDpop });
    return { authorization: `DPoP ${token}`, headers: { dpop: proof } };
  }),
  attack('RFC 9449 §11.1: proof issued 10 minutes ago (outside the window)', 'token_binding_invalid', async (kit) => {
    const { token, proof } = await dpopBound(kit, { iat: nowSeconds() - 600 });
    return { authorization: `DPoP ${token}`, headers: { dpop: proof } };
  }),
  attack('RFC 9449 §4.3: two DPoP proofs in one header', 'token_binding_invalid', async (kit) => {
    const { token, proof } = await dpopBound(kit);
    return { authorization: `DPoP ${token}`, headers: { dpop: `${proof},${proof}` } };
  }),
  attack('RFC 9449 §7.1: DPoP scheme with a token that is not DPoP-bound', 'token_binding_invalid', async ({ es, dpop }) => {
    const token = await es.sign();
    return { authorization: `DPoP ${token}`, headers: { dpop: await dpopProof(dpop, { htm: 'GET', htu: ORDERS_URL, accessToken: token }) } };
  }),

  // -- certificate-bound tokens (RFC 8705 §3) -------------------------------
  attack('RFC 8705 §3: certificate-bound token without a client certificate', 'token_binding_invalid', async (kit) => ({ ...bearer(await certificateBound(kit)), peerCertificate: null })),
  attack('RFC 8705 §3: certificate-bound token with another client certificate', 'token_binding_invalid', async (kit) => ({ ...bearer(await certificateBound(kit)), peerCertificate: kit.otherCertificate })),

  // -- near misses: legitimate requests that must pass -----------------------
  nearMiss('RFC 6750 §2.1 + RFC 9110 §11.1: lower-case "bearer" scheme', async ({ op }) => ({ authorization: `bearer ${await op.issueAccessToken({ sub: 'user-alice' })}` })),
  nearMiss('RFC 9110 §11.1: upper-case "BEARER" scheme', async ({ es }) => ({ authorization: `BEARER ${await es.sign()}` })),
  nearMiss('RFC 6750 §2.3: token in the header and ?access_token= when query tokens are off (query ignored)', async ({ op }) => ({
    ...bearer(await op.issueAccessToken({ sub: 'user-alice' })),
    url: '/orders?access_token=not-a-token',
  })),
  nearMiss('RFC 7519 §4.1.4: a real token that expired 20 s ago, within the 30 s tolerance', async ({ op }) => bearer(await op.issueAccessToken({ sub: 'user-alice', expiresIn: -20 }))),
  nearMiss('RFC 7519 §4.1.5: nbf 20 s in the future, within the tolerance', async ({ es }) => bearer(await es.sign({ nbf: nowSeconds() + 20 }))),
  nearMiss('RFC 7519 §4.1.3: aud array that contains our audience', async ({ es }) => bearer(await es.sign({ aud: ['billing-api', 'orders-api'] }))),
  nearMiss('RFC 9068 §4: typ "application/at+jwt"', async ({ es }) => bearer(await es.sign({}, { typ: 'application/at+jwt' }))),
  nearMiss('RFC 9068 §4: typ "AT+JWT" (media types are case-insensitive)', async ({ es }) => bearer(await es.sign({}, { typ: 'AT+JWT' }))),
  nearMiss('RFC 7518 §3.3: RS256 issuer, its own token', async ({ rsa }) => bearer(await rsa.sign())),
  nearMiss('RFC 9449 §7.1: DPoP-bound token with a correct proof', async (kit) => {
    const { token, proof } = await dpopBound(kit);
    return { authorization: `DPoP ${token}`, headers: { dpop: proof } };
  }),
  nearMiss('RFC 8705 §3: certificate-bound token with its certificate', async (kit) => ({ ...bearer(await certificateBound(kit)), peerCertificate: kit.certificate })),
  // Runs last: it changes the provider's signing key.
  nearMiss('issue: the provider rotated its key; a token with the new kid verifies after one refetch', async ({ op }) => {
    await op.rotateKeys();
    return bearer(await op.issueAccessToken({ sub: 'user-alice' }));
  }),
];
