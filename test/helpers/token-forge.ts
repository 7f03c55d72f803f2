/**
 * Forged and broken tokens for the access-token attack suite.
 *
 * Everything here builds compact JWS text byte by byte (jose's base64url
 * codec and key import, node:crypto for the raw signature), so headers and
 * payloads can say things jose's own signer would refuse to write: unknown
 * `crit`, `alg: "nOnE"`, an embedded `jwk`, duplicated JSON keys, a
 * signature with the wrong encoding, and so on. None of these helpers talks
 * to the provider except `fetchJwks()`.
 */
import { createHmac, createPrivateKey, createPublicKey, createSecretKey, KeyObject, constants, sign as cryptoSign, type webcrypto } from 'node:crypto';
import { base64url, type CryptoKey, type JSONWebKeySet, type JWK } from 'jose';

export type JsonObject = Record<string, unknown>;

/** A signing key: a CryptoKey or KeyObject, a private (or `oct`) JWK, or HMAC secret bytes/text. */
export type ForgeKey = CryptoKey | KeyObject | JWK | Uint8Array | string;

export interface ForgeTokenOptions {
  /**
   * The protected header. `typ` defaults to 'at+jwt' (set `typ: undefined`
   * to leave it out); `alg` comes from here unless `alg` is given.
   */
  header?: JsonObject;
  /** The claims. A string is used verbatim as the payload JSON text (for malformed or duplicate-key payloads). */
  payload: JsonObject | string;
  /** Signing key; not needed (ignored) for alg none in any spelling. */
  key?: ForgeKey;
  /** Overrides `header.alg`. Any case spelling of 'none' produces an unsigned token (`header.payload.`). */
  alg?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** base64url (no padding) of UTF-8 text or bytes. */
export function b64url(input: string | Uint8Array): string {
  return base64url.encode(typeof input === 'string' ? encoder.encode(input) : input);
}

export function isNoneAlg(alg: unknown): boolean {
  return typeof alg === 'string' && alg.toLowerCase() === 'none';
}

/** The spellings of "none" the attack suite should try. */
export const NONE_ALG_SPELLINGS = ['none', 'None', 'NONE', 'nOnE'] as const;

function toKeyObject(key: ForgeKey, alg: string): KeyObject {
  if (key instanceof KeyObject) return key;
  if (typeof key === 'string' || key instanceof Uint8Array) return createSecretKey(typeof key === 'string' ? Buffer.from(key, 'utf8') : key);
  if (!('kty' in key)) return KeyObject.from(key as unknown as webcrypto.CryptoKey);
  const jwk = key;
  if (jwk.kty === 'oct') return createSecretKey(Buffer.from(base64url.decode(jwk.k ?? '')));
  if (jwk.d === undefined && jwk.priv === undefined) throw new TypeError(`forgeToken: the JWK for ${alg} has no private part`);
  return createPrivateKey({ key: jwk as never, format: 'jwk' });
}

/** A raw JWS signature over `signingInput` (ECDSA in JOSE's r||s form). */
export function signRaw(alg: string, key: ForgeKey, signingInput: string): Uint8Array {
  const keyObject = toKeyObject(key, alg);
  const data = Buffer.from(signingInput, 'ascii');
  const bits = alg.slice(2);
  const hash = `sha${bits}`;
  switch (alg) {
    case 'HS256':
    case 'HS384':
    case 'HS512':
      return createHmac(hash, keyObject).update(data).digest();
    case 'RS256':
    case 'RS384':
    case 'RS512':
      return cryptoSign(hash, data, keyObject);
    case 'PS256':
    case 'PS384':
    case 'PS512':
      return cryptoSign(hash, data, { key: keyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(bits) / 8 });
    case 'ES256':
    case 'ES384':
    case 'ES512':
      return cryptoSign(hash, data, { key: keyObject, dsaEncoding: 'ieee-p1363' });
    case 'EdDSA':
    case 'Ed25519':
      return cryptoSign(null, data, keyObject);
    default:
      throw new TypeError(`forgeToken: cannot sign with alg ${JSON.stringify(alg)}; use alg none or pick a JWS algorithm`);
  }
}

/**
 * A compact JWS with exactly the header and payload given, signed with
 * `key` (any key; the verifier's trust decides), or unsigned when alg is
 * any spelling of 'none'.
 */
export async function forgeToken(options: ForgeTokenOptions): Promise<string> {
  const header: JsonObject = { typ: 'at+jwt', ...options.header };
  if (options.alg !== undefined) header['alg'] = options.alg;
  const alg = header['alg'];
  if (typeof alg !== 'string') throw new TypeError('forgeToken: give alg (or header.alg)');
  const payloadText = typeof options.payload === 'string' ? options.payload : JSON.stringify(options.payload);
  const signingInput = `${b64url(JSON.stringify(header))}.${b64url(payloadText)}`;
  if (isNoneAlg(alg)) return `${signingInput}.`;
  if (options.key === undefined) throw new TypeError(`forgeToken: alg ${alg} needs a key`);
  return `${signingInput}.${b64url(signRaw(alg, options.key, signingInput))}`;
}

// ---------------------------------------------------------------------------
// Decoding helpers
// ---------------------------------------------------------------------------

export interface DecodedToken {
  header: JsonObject;
  payload: JsonObject;
  /** The payload JSON text exactly as encoded. */
  payloadText: string;
  segments: [string, string, string];
}

export function splitToken(token: string): [string, string, string] {
  const segments = token.split('.');
  if (segments.length !== 3) throw new TypeError(`expected a compact JWS with 3 segments, got ${segments.length}`);
  return segments as [string, string, string];
}

export function decodeToken(token: string): DecodedToken {
  const segments = splitToken(token);
  const headerText = decoder.decode(base64url.decode(segments[0]));
  const payloadText = decoder.decode(base64url.decode(segments[1]));
  return { header: JSON.parse(headerText) as JsonObject, payload: JSON.parse(payloadText) as JsonObject, payloadText, segments };
}

// ---------------------------------------------------------------------------
// Algorithm confusion
// ---------------------------------------------------------------------------

export interface ConfusionToken {
  /** Which text/bytes of the public key were used as the HMAC secret. */
  secret: 'spki-pem' | 'spki-pem-trimmed' | 'spki-der' | 'pkcs1-pem' | 'jwk-json' | 'jwk-json-canonical';
  token: string;
}

const JWK_PUBLIC_MEMBERS: Record<string, string[]> = {
  EC: ['crv', 'kty', 'x', 'y'],
  RSA: ['e', 'kty', 'n'],
  OKP: ['crv', 'kty', 'x'],
};

/**
 * Algorithm confusion (RFC 8725 §2.1): tokens with `alg: HS256` whose HMAC
 * secret is the issuer's PUBLIC key, in every form a confused verifier might
 * feed to HMAC: the SPKI PEM text (with and without trailing newline), the
 * SPKI DER bytes, the PKCS#1 PEM (RSA only), the JWK JSON text exactly as
 * published (with kid/alg/use) and the RFC 7638 canonical JWK JSON. Each
 * token's header carries the public key's `kid` (when it has one).
 */
export async function hs256WithPublicKey(publicJwk: JWK, payload: JsonObject, header: JsonObject = {}): Promise<ConfusionToken[]> {
  const members = JWK_PUBLIC_MEMBERS[publicJwk.kty ?? ''];
  if (members === undefined) throw new TypeError(`hs256WithPublicKey: unsupported kty ${String(publicJwk.kty)}`);
  const canonical = Object.fromEntries(members.map((name) => [name, (publicJwk as Record<string, unknown>)[name]]));
  const publicKey = createPublicKey({ key: canonical as never, format: 'jwk' });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();

  const secrets: Array<[ConfusionToken['secret'], Uint8Array | string]> = [
    ['spki-pem', pem],
    ['spki-pem-trimmed', pem.trim()],
    ['spki-der', publicKey.export({ type: 'spki', format: 'der' })],
    ['jwk-json', JSON.stringify(publicJwk)],
    ['jwk-json-canonical', JSON.stringify(canonical)],
  ];
  if (publicJwk.kty === 'RSA') secrets.push(['pkcs1-pem', publicKey.export({ type: 'pkcs1', format: 'pem' }).toString()]);

  const fullHeader: JsonObject = { ...(publicJwk.kid === undefined ? {} : { kid: publicJwk.kid }), ...header, alg: 'HS256' };
  return Promise.all(
    secrets.map(async ([secret, key]) => ({ secret, token: await forgeToken({ header: fullHeader, payload, key }) })),
  );
}

// ---------------------------------------------------------------------------
// Tampering with real tokens
// ---------------------------------------------------------------------------

/**
 * Re-encodes the payload with `changes` merged in (a value of `undefined`
 * deletes the claim), keeping the original header and signature: the
 * signature no longer matches.
 */
export function tamperPayload(token: string, changes: JsonObject): string {
  const { payload, segments } = decodeToken(token);
  const next: JsonObject = { ...payload };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete next[name];
    else next[name] = value;
  }
  return `${segments[0]}.${b64url(JSON.stringify(next))}.${segments[2]}`;
}

/** Re-encodes the header with `changes` merged in (undefined deletes), keeping payload and signature. */
export function tamperHeader(token: string, changes: JsonObject): string {
  const { header, segments } = decodeToken(token);
  const next: JsonObject = { ...header };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete next[name];
    else next[name] = value;
  }
  return `${b64url(JSON.stringify(next))}.${segments[1]}.${segments[2]}`;
}

const SIGNATURE_LENGTHS: Record<string, number> = { ES256: 64, ES384: 96, ES512: 132, HS256: 32, HS384: 48, HS512: 64, EdDSA: 64, Ed25519: 64 };

/**
 * The same token with a signature of zero bytes of the right length: the
 * original signature's length, or from the alg (ES256 = 64 bytes, r = s = 0,
 * the "psychic signature" CVE-2022-21449 shape).
 */
export function zeroSignature(token: string): string {
  const { header, segments } = decodeToken(token);
  const existing = segments[2] === '' ? 0 : base64url.decode(segments[2]).length;
  const length = existing > 0 ? existing : SIGNATURE_LENGTHS[String(header['alg'])] ?? 256;
  return `${segments[0]}.${segments[1]}.${b64url(new Uint8Array(length))}`;
}

export interface DuplicateClaimOptions {
  /** The claim to write twice, e.g. 'sub'. */
  claim: string;
  /** The value of the SECOND occurrence (JSON.parse, and so jose, keeps the last one). */
  duplicateValue: unknown;
  /** Sign the result with this key (with `alg`/`header`); otherwise see `withDuplicateClaim`. */
  key?: ForgeKey;
  alg?: string;
  header?: JsonObject;
}

/** Payload JSON text with `claim` appended a second time (the first occurrence, if any, stays where it is). */
export function duplicateClaimJson(payload: JsonObject | string, claim: string, duplicateValue: unknown): string {
  const text = (typeof payload === 'string' ? payload : JSON.stringify(payload)).trimEnd();
  if (!text.endsWith('}')) throw new TypeError('duplicateClaimJson: payload is not a JSON object text');
  const body = text.slice(0, -1).trimEnd();
  const separator = body.endsWith('{') ? '' : ',';
  return `${body}${separator}${JSON.stringify(claim)}:${JSON.stringify(duplicateValue)}}`;
}

/**
 * A token whose payload JSON text contains `claim` twice (e.g. two "sub").
 * `source` is a compact token (its header and payload text are reused) or a
 * payload (object or JSON text).
 * - with `key` (or a non-none `alg`): signed afresh with that key;
 * - a token source without key/alg: keeps the original header and signature
 *   (which no longer match);
 * - a payload source without key/alg: unsigned (alg none).
 */
export async function withDuplicateClaim(source: string | JsonObject, options: DuplicateClaimOptions): Promise<string> {
  const isToken = typeof source === 'string' && source.split('.').length === 3 && !source.trimStart().startsWith('{');
  const decoded = isToken ? decodeToken(source) : undefined;
  const payloadText = duplicateClaimJson(decoded?.payloadText ?? (source as JsonObject | string), options.claim, options.duplicateValue);
  if (decoded !== undefined && options.key === undefined && options.alg === undefined && options.header === undefined) {
    return `${decoded.segments[0]}.${b64url(payloadText)}.${decoded.segments[2]}`;
  }
  const header = options.header ?? decoded?.header ?? {};
  const alg = options.alg ?? (options.key === undefined ? 'none' : undefined);
  return forgeToken({ header, payload: payloadText, ...(options.key === undefined ? {} : { key: options.key }), ...(alg === undefined ? {} : { alg }) });
}

// ---------------------------------------------------------------------------
// Malformed encodings
// ---------------------------------------------------------------------------

export type TruncateMode =
  /** `h.p.<first half of the signature>` (default). */
  | 'signature'
  /** `h.p.` (signature segment empty). */
  | 'empty-signature'
  /** `h.p` (two segments). */
  | 'two-segments'
  /** `h` (one segment). */
  | 'one-segment'
  /** `h.<first half of the payload segment>` */
  | 'mid-payload';

export function truncate(token: string, mode: TruncateMode = 'signature'): string {
  const [h, p, s] = splitToken(token);
  switch (mode) {
    case 'signature':
      return `${h}.${p}.${s.slice(0, Math.floor(s.length / 2))}`;
    case 'empty-signature':
      return `${h}.${p}.`;
    case 'two-segments':
      return `${h}.${p}`;
    case 'one-segment':
      return h;
    case 'mid-payload':
      return `${h}.${p.slice(0, Math.floor(p.length / 2))}`;
  }
}

export type NonBase64urlVariant =
  /** A character outside every base64 alphabet ('*'). Default. */
  | 'invalid-char'
  /** The segment's bytes re-encoded in the standard alphabet WITH '=' padding (what a lenient decoder accepts). */
  | 'standard-base64'
  /** '=' padding appended to the base64url text. */
  | 'padding'
  /** Whitespace inside the segment. */
  | 'whitespace'
  /** A non-ASCII character inside the segment. */
  | 'non-ascii';

export type TokenSegment = 'header' | 'payload' | 'signature';

const SEGMENT_INDEX: Record<TokenSegment, 0 | 1 | 2> = { header: 0, payload: 1, signature: 2 };

/**
 * The token with one segment (default: the signature, so a strict verifier
 * must reject on encoding alone) no longer valid base64url, per `variant`.
 * Every variant changes the text, even 'standard-base64' (which always
 * carries padding or one of '+' '/').
 */
export function nonBase64url(token: string, variant: NonBase64urlVariant = 'invalid-char', segment: TokenSegment = 'signature'): string {
  const segments = splitToken(token);
  const index = SEGMENT_INDEX[segment];
  const text = segments[index];
  const middle = Math.floor(text.length / 2);
  let changed: string;
  switch (variant) {
    case 'invalid-char':
      changed = `${text.slice(0, middle)}*${text.slice(middle + 1)}`;
      break;
    case 'standard-base64': {
      changed = Buffer.from(base64url.decode(text)).toString('base64');
      if (changed === text) changed = `${text}==`;
      break;
    }
    case 'padding':
      changed = `${text}${'='.repeat(text.length % 4 === 0 ? 4 : 4 - (text.length % 4))}`;
      break;
    case 'whitespace':
      changed = `${text.slice(0, middle)} ${text.slice(middle)}`;
      break;
    case 'non-ascii':
      changed = `${text.slice(0, middle)}é${text.slice(middle + 1)}`;
      break;
  }
  segments[index] = changed;
  return segments.join('.');
}

/**
 * A JWT-shaped string (`header.payload.signature`, ES256 header, a payload
 * with a large `pad` claim, a zero signature) exactly `bytes` characters
 * long, for size-limit tests. `bytes` must be at least 256.
 */
export function oversized(bytes: number, payload: JsonObject = { sub: 'oversized' }): string {
  if (!Number.isSafeInteger(bytes) || bytes < 256) throw new RangeError('oversized: bytes must be an integer >= 256');
  const header = b64url(JSON.stringify({ alg: 'ES256', typ: 'at+jwt' }));
  let signature = b64url(new Uint8Array(64));
  let payloadLength = bytes - header.length - signature.length - 2;
  // An unpadded base64url text never has length 4k+1: give one character to the signature instead.
  if (payloadLength % 4 === 1) {
    payloadLength -= 1;
    signature += 'A';
  }
  const base = JSON.stringify({ ...payload, pad: '' });
  const textLength = Math.floor((payloadLength * 3) / 4);
  const padded = `${base.slice(0, -2)}${'x'.repeat(Math.max(0, textLength - Buffer.byteLength(base)))}"}`;
  const token = `${header}.${b64url(padded)}.${signature}`;
  if (token.length !== bytes) throw new Error(`oversized: built ${token.length} characters instead of ${bytes}`);
  return token;
}

// ---------------------------------------------------------------------------
// Keys and the issuer's JWKS
// ---------------------------------------------------------------------------

/** The issuer's published JWKS, found through its discovery document. */
export async function fetchJwks(issuer: string): Promise<JSONWebKeySet> {
  const discoveryResponse = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  if (!discoveryResponse.ok) throw new Error(`discovery failed: ${discoveryResponse.status}`);
  const discovery = (await discoveryResponse.json()) as { jwks_uri?: unknown };
  if (typeof discovery.jwks_uri !== 'string') throw new Error('discovery document has no jwks_uri');
  const jwksResponse = await fetch(discovery.jwks_uri);
  if (!jwksResponse.ok) throw new Error(`jwks_uri failed: ${jwksResponse.status}`);
  return (await jwksResponse.json()) as JSONWebKeySet;
}
