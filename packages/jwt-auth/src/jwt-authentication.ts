import {
  PalisadeConfigError,
  createOptionsValidator,
  deny,
  isDenial,
  parseContentType,
  parseDuration,
  type Denial,
  type Guard,
  type GuardHooks,
  type GuardVerdict,
  type OperationPolicy,
  type Principal,
  type RequestContext,
  type StepUpRule,
} from '@palisade/core';
import type { JSONWebKeySet } from 'jose';
import { ApiKeyVerifier, type ApiKeyEntry } from './internal/api-keys';
import { assertSecureUrl, discoverIssuer, introspect } from './internal/discovery';
import { RemoteKeySet, createStaticKeySource, type KeySetEvent, type KeySource } from './internal/key-set';
import { principalFromClaims } from './internal/principal';
import { DpopVerifier, checkCertificateBinding, type ProofReplayStore } from './internal/proof-of-possession';
import { MemoryRevocationList, type RevocationList } from './internal/revocation';
import { VerifiedTokenCache } from './internal/token-cache';
import { verifyJwt, type IssuerPolicy } from './internal/verify-jwt';

type Duration = number | string;

/** One token issuer and the rules its access tokens must meet. */
export interface IssuerOptions {
  /** The exact `iss` value. Its metadata is discovered at `${issuer}/.well-known/openid-configuration` unless `jwksUri` or `keys` is given. */
  readonly issuer: string;
  /** Required `aud`: a token passes when its `aud` contains any of these. */
  readonly audience: string | readonly string[];
  /** Fetch keys from this JWKS URL instead of discovering it. */
  readonly jwksUri?: string;
  /** Static public keys instead of fetching them. */
  readonly keys?: JSONWebKeySet;
  /** Allowed signature algorithms. Default: what the issuer's keys can verify (asymmetric only). */
  readonly algorithms?: readonly string[];
  /** Accepted `typ` headers. Default `['at+jwt']` (RFC 9068); add `'jwt'` only for issuers that emit it. */
  readonly tokenTypes?: readonly ('at+jwt' | 'jwt')[];
  /** Clock tolerance for `exp`, `nbf`, `iat`. Default 30 s. */
  readonly clockTolerance?: Duration;
  /** Refuse tokens whose `iat` is older than this. Default none. */
  readonly maxTokenAge?: Duration;
  /** Claims that must be present besides `iss`, `aud`, `exp`, `sub`. */
  readonly requiredClaims?: readonly string[];
  /** Minimum time between key fetches caused by unknown `kid`s. Default 30 s. */
  readonly jwksCooldown?: Duration;
  /** Keys are refreshed in the background this often. Default 10 min. */
  readonly jwksMaxAge?: Duration;
}

export interface JwtAuthenticationOptions {
  readonly issuers: readonly IssuerOptions[];
  /** Tokens larger than this are refused before parsing. Default 8192 bytes. */
  readonly maxTokenBytes?: number;
  /** Also accept `?access_token=` (RFC 6750 section 2.3). Off: query strings end up in logs and Referer headers. */
  readonly acceptTokenInQuery?: boolean;
  /**
   * Also accept `access_token` in a form-encoded body (RFC 6750 section
   * 2.2): POST, PUT or PATCH with `Content-Type:
   * application/x-www-form-urlencoded`, an all-ASCII body. Off: the body
   * must then be read before authentication, up to the operation's
   * `x-palisade-limits.maxBodyBytes` or 16 KiB.
   */
  readonly acceptTokenInBody?: boolean;
  /** Verified-token cache size; 0 turns it off. Default 10,000. */
  readonly cacheEntries?: number;
  /** Where revocations live. Default: in process memory (`createMemoryRevocationList()`). */
  readonly revocation?: RevocationList;
  /** Opaque tokens, checked by RFC 7662 introspection at this issuer. */
  readonly introspection?: { readonly issuer: string; readonly clientId: string; readonly clientSecret: string; readonly audience?: string | readonly string[]; readonly cacheMaxAge?: Duration };
  /**
   * DPoP proof checks (RFC 9449). Tokens with `cnf.jkt` always need a
   * proof. `store`: where proofs are remembered so that one replayed at
   * another instance is refused too: the `RateLimitStore` of
   * `@palisade/rate-limit` built on Redis (the one your limits use).
   * Default: this process's memory.
   */
  readonly dpop?: { readonly window?: Duration; readonly origin?: string; readonly store?: ProofReplayStore };
  /** API keys for operations whose security scheme is `apiKey`. Identification only, not user authentication. */
  readonly apiKeys?: readonly ApiKeyEntry[];
  /** Security events: key refreshes and their failures. */
  readonly onEvent?: (event: KeySetEvent | { readonly type: 'issuer_unavailable'; readonly issuer: string; readonly error: string }) => void;
}

const duration = { anyOf: [{ type: 'number', exclusiveMinimum: 0 }, { type: 'string', minLength: 2 }] };
const stringList = { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 };
const assertOptions: (options: unknown) => asserts options is JwtAuthenticationOptions = createOptionsValidator<JwtAuthenticationOptions>('createJwtAuthentication', {
  type: 'object',
  additionalProperties: false,
  required: ['issuers'],
  properties: {
    issuers: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['issuer', 'audience'],
        properties: {
          issuer: { type: 'string', minLength: 1 },
          audience: { anyOf: [{ type: 'string', minLength: 1 }, stringList] },
          jwksUri: { type: 'string', minLength: 1 },
          keys: { type: 'object', required: ['keys'], properties: { keys: { type: 'array', minItems: 1, items: { type: 'object' } } } },
          algorithms: { type: 'array', minItems: 1, items: { enum: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] } },
          tokenTypes: { type: 'array', minItems: 1, items: { enum: ['at+jwt', 'jwt'] } },
          clockTolerance: { anyOf: [{ type: 'number', minimum: 0 }, { type: 'string', minLength: 2 }] },
          maxTokenAge: duration,
          requiredClaims: { type: 'array', items: { type: 'string', minLength: 1 } },
          jwksCooldown: duration,
          jwksMaxAge: duration,
        },
      },
    },
    maxTokenBytes: { type: 'integer', minimum: 256, maximum: 65536 },
    acceptTokenInQuery: { type: 'boolean' },
    acceptTokenInBody: { type: 'boolean' },
    cacheEntries: { type: 'integer', minimum: 0 },
    revocation: { type: 'object', jsType: 'object' },
    introspection: {
      type: 'object',
      additionalProperties: false,
      required: ['issuer', 'clientId', 'clientSecret'],
      properties: {
        issuer: { type: 'string', minLength: 1 },
        clientId: { type: 'string', minLength: 1 },
        clientSecret: { type: 'string', minLength: 1 },
        audience: { anyOf: [{ type: 'string', minLength: 1 }, stringList] },
        cacheMaxAge: duration,
      },
    },
    dpop: { type: 'object', additionalProperties: false, properties: { window: duration, origin: { type: 'string', minLength: 1 }, store: { type: 'object', jsType: 'object' } } },
    apiKeys: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['hash', 'clientId'],
        properties: { hash: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' }, clientId: { type: 'string', minLength: 1 }, scopes: { type: 'array', items: { type: 'string' } } },
      },
    },
    onEvent: { jsType: 'function' },
  },
});

/** The authentication guard, with the revocation operations of its list. */
export interface JwtAuthentication extends Guard {
  /** Revokes one token (by its `jti`) on every instance sharing the revocation list. */
  revokeToken(tokenId: string, expiresAt: Date): Promise<void>;
  /** Revokes every token of a subject issued until now ("log out everywhere"). */
  revokeSubject(subject: string): Promise<void>;
}

// RFC 6750 section 2.1: b64token, after the scheme and one or more spaces.
const TOKEN_SYNTAX = /^[A-Za-z0-9\-._~+/]+=*$/;
/** How long opaque tokens are refused without asking after the introspection issuer's discovery failed. */
const INTROSPECTION_DISCOVERY_RETRY_MS = 10_000;

/**
 * Access-token authentication (RFC 6750 Bearer, RFC 9449 DPoP) for every
 * operation whose OpenAPI security uses an `oauth2`, `openIdConnect` or
 * `http: bearer` scheme, and API keys for `apiKey` schemes. Establishes
 * `ctx.principal`; a bad token is a 401 `invalid_token` whose audit reason
 * says why (expired, bad signature, wrong audience, ...). Also enforces
 * `x-palisade-step-up` (RFC 9470).
 *
 * @example
 * ```ts
 * const auth = createJwtAuthentication({ issuers: [{ issuer: 'https://id.example', audience: 'orders-api' }] });
 * await mountPalisade(app, { document: './openapi.yaml', guards: [auth] });
 * ```
 * @throws PalisadeConfigError for invalid options (http issuers off loopback included).
 */
export function createJwtAuthentication(options: JwtAuthenticationOptions): JwtAuthentication {
  if (typeof options === 'function') {
    throw new PalisadeConfigError('ERR_PALISADE_MISUSE', 'createJwtAuthentication received a function; pass an options object: createJwtAuthentication({ issuers: [...] }).', { path: '(options)' });
  }
  assertOptions(options);
  const onEvent = options.onEvent ?? (() => {});
  const maxTokenBytes = options.maxTokenBytes ?? 8192;
  const cache = new VerifiedTokenCache(options.cacheEntries ?? 10_000);
  const revocation = options.revocation ?? new MemoryRevocationList();
  revocation.onRevocation((revoked) => cache.dropWhere((principal) => (revoked.kind === 'token' ? principal.tokenId === revoked.tokenId : principal.subject === revoked.subject)));
  const dpopStore = options.dpop?.store ?? null;
  if (dpopStore !== null && typeof dpopStore.counter !== 'function') {
    throw new PalisadeConfigError('ERR_PALISADE_INVALID_OPTIONS', 'createJwtAuthentication received invalid options:\n  - dpop.store: is not a RateLimitStore (an object with counter(options)).', {
      path: 'dpop.store',
      received: dpopStore,
      fix: 'Pass the store of @palisade/rate-limit: dpop: { store: createRateLimitStore({ redis }) }.',
    });
  }
  const dpop = new DpopVerifier({ windowSec: options.dpop?.window === undefined ? 60 : parseDuration(options.dpop.window, 'dpop.window') / 1000, origin: options.dpop?.origin ?? null, maxRememberedProofs: 100_000, store: dpopStore });
  const apiKeys = options.apiKeys ? new ApiKeyVerifier(options.apiKeys) : null;

  // A key the issuer stopped publishing (rotated out, or withdrawn because
  // it leaked) must stop verifying once we see the new set, also for tokens
  // it verified earlier: those leave the verified-token cache.
  const publishedKeyIds = new Map<string, ReadonlySet<string>>();
  const onKeySetEvent: NonNullable<JwtAuthenticationOptions['onEvent']> = (event) => {
    if (event.type === 'keys_refreshed') {
      const previous = publishedKeyIds.get(event.issuer);
      const current = new Set(event.keyIds);
      publishedKeyIds.set(event.issuer, current);
      if (previous !== undefined && [...previous].some((kid) => !current.has(kid))) cache.dropWhere((principal) => principal.issuer === event.issuer);
    }
    onEvent(event);
  };

  const issuerSettings = options.issuers.map((issuer, index) => normaliseIssuer(issuer, `issuers[${index}]`));
  const issuers = new Map<string, IssuerPolicy>();
  const keySources: KeySource[] = [];
  const introspection = options.introspection
    ? {
        issuer: assertSecureUrl(options.introspection.issuer, 'introspection.issuer'),
        client: { clientId: options.introspection.clientId, clientSecret: options.introspection.clientSecret },
        audience: toList(options.introspection.audience ?? options.issuers[0]!.audience),
        cacheMaxAgeMs: options.introspection.cacheMaxAge === undefined ? 60_000 : parseDuration(options.introspection.cacheMaxAge, 'introspection.cacheMaxAge'),
        configuration: null as Awaited<ReturnType<typeof discoverIssuer>> | null,
        // One discovery at a time, shared by the requests that wait for it.
        discovering: null as Promise<Awaited<ReturnType<typeof discoverIssuer>>> | null,
        // After a failed discovery, opaque tokens are refused at once until
        // this time: an authorization server that is down is not asked again
        // (up to 5 s each) by every request.
        retryAfterMs: 0,
      }
    : null;

  async function introspectionConfiguration(nowMs: number) {
    const settings = introspection!;
    if (settings.configuration !== null) return settings.configuration;
    if (settings.discovering === null) {
      if (nowMs < settings.retryAfterMs) throw new Error(`discovery failed less than ${INTROSPECTION_DISCOVERY_RETRY_MS / 1000} s ago; not retried yet`);
      settings.discovering = discoverIssuer(settings.issuer, settings.client, 5).then(
        (configuration) => {
          settings.discovering = null;
          settings.configuration = configuration;
          return configuration;
        },
        (error: unknown) => {
          settings.discovering = null;
          settings.retryAfterMs = Date.now() + INTROSPECTION_DISCOVERY_RETRY_MS;
          onEvent({ type: 'issuer_unavailable', issuer: options.introspection!.issuer, error: (error as Error).message });
          throw error;
        },
      );
    }
    return settings.discovering;
  }

  async function init(): Promise<void> {
    for (const settings of issuerSettings) {
      let keys: KeySource;
      if (settings.options.keys) {
        keys = createStaticKeySource(settings.options.keys);
      } else {
        keys = new LazyRemoteKeySet(settings, settings.jwksUri, onKeySetEvent);
        await (keys as LazyRemoteKeySet).start();
      }
      keySources.push(keys);
      issuers.set(settings.options.issuer, { ...settings.policy, keys });
    }
  }

  async function introspectToken(ctx: RequestContext, token: string, nowMs: number): Promise<Principal | Denial> {
    if (introspection === null) return deny('token_malformed', { privateDetail: 'opaque token and no introspection configured' });
    try {
      const claims = await introspect(await introspectionConfiguration(nowMs), token);
      if (claims.active !== true) return deny('token_revoked', { privateDetail: 'introspection: token is not active' });
      const exp = claims.exp;
      if (typeof exp !== 'number' || exp * 1000 <= nowMs) return deny('token_expired', { privateDetail: 'introspection: no exp or expired' });
      const aud = toList((claims.aud as string | string[] | undefined) ?? []);
      if (!aud.some((value) => introspection.audience.includes(value))) return deny('token_audience_invalid', { privateDetail: 'introspection: audience does not match' });
      const principal = principalFromClaims({ ...claims }, 'introspection');
      // Never cached past exp, and not for long: a revoked opaque token
      // must stop working soon.
      cache.set(token, principal, Math.min(exp * 1000, nowMs + introspection.cacheMaxAgeMs));
      void ctx;
      return principal;
    } catch (error) {
      introspection.configuration = null;
      return deny('token_invalid', { privateDetail: `introspection failed: ${(error as Error).message}`, cause: error });
    }
  }

  async function verifyFresh(ctx: RequestContext, token: string, nowMs: number): Promise<Principal | Denial> {
    if (!token.includes('.')) return introspectToken(ctx, token, nowMs);
    const verified = await verifyJwt(token, issuers, nowMs);
    if (!('payload' in verified)) return verified;
    const principal = principalFromClaims(verified.payload, 'jwt');
    const issuer = issuers.get(principal.issuer!)!;
    let notAfterSec = principal.expiresAt! + issuer.clockToleranceSec;
    // maxTokenAge ends a token's life as exp does (jose checks it against iat): the cache must not outlive it either.
    if (issuer.maxTokenAgeSec !== null && typeof principal.claims.iat === 'number') notAfterSec = Math.min(notAfterSec, principal.claims.iat + issuer.maxTokenAgeSec + issuer.clockToleranceSec);
    cache.set(token, principal, notAfterSec * 1000);
    return principal;
  }

  function finish(ctx: RequestContext, principal: Principal, token: string, scheme: string, stepUp: StepUpRule | null, nowMs: number): GuardVerdict | Promise<GuardVerdict> {
    if (revocation.isRevoked(principal)) {
      cache.delete(token);
      return deny('token_revoked', { privateDetail: 'token or subject revoked' });
    }
    const cnf = principal.claims.cnf as Record<string, unknown> | undefined;
    const jkt = typeof cnf?.jkt === 'string' ? cnf.jkt : null;
    const x5t = typeof cnf?.['x5t#S256'] === 'string' ? (cnf['x5t#S256'] as string) : null;
    if (x5t !== null) {
      const denial = checkCertificateBinding(ctx, x5t);
      if (denial !== null) return denial;
    }
    const isDpopScheme = scheme === 'DPoP';
    // RFC 9449 section 7.2: a DPoP-bound token sent as Bearer is a downgrade.
    if (jkt === null ? isDpopScheme : !isDpopScheme) return deny('token_binding_invalid', { privateDetail: jkt === null ? 'DPoP scheme with a token that is not DPoP-bound' : 'DPoP-bound token sent with the Bearer scheme' });
    if (jkt !== null) {
      return dpop.verify(ctx, token, jkt, nowMs).then((denial) => denial ?? accept(ctx, principal, stepUp, nowMs));
    }
    return accept(ctx, principal, stepUp, nowMs);
  }

  /** The token in the Authorization header or (when allowed) the query; a denial when it is malformed there. */
  function credentialsOf(ctx: RequestContext): { token: string; scheme: string } | Denial | null {
    const header = ctx.headers.authorization;
    let token: string | null = null;
    let scheme = 'Bearer';
    if (typeof header === 'string' && /^(bearer|dpop) /i.test(header)) {
      if (header.length > maxTokenBytes + 16) return deny('token_too_large', { privateDetail: `Authorization header of ${header.length} bytes` });
      let start = header.indexOf(' ') + 1;
      while (header.charCodeAt(start) === 0x20) start++;
      token = header.slice(start);
      if (!TOKEN_SYNTAX.test(token)) return deny('token_malformed', { privateDetail: 'Authorization is not "Bearer <token>"' });
      // The scheme is case-insensitive (RFC 9110 section 11.1); kept in its canonical spelling.
      scheme = (header.charCodeAt(0) | 0x20) === 0x64 ? 'DPoP' : 'Bearer';
    }
    if (options.acceptTokenInQuery === true) {
      const fromQuery = accessTokenParameter(ctx.query, 'query');
      if (fromQuery !== null && typeof fromQuery !== 'string') return fromQuery;
      if (fromQuery !== null) {
        // RFC 6750 section 2: a client must not use more than one method.
        if (token !== null) return deny('token_malformed', { privateDetail: 'token in both the Authorization header and the query' });
        token = fromQuery;
      }
    }
    return token === null ? null : { token, scheme };
  }

  function authenticate(ctx: RequestContext, stepUp: StepUpRule | null, bodyTokenMaxBytes: number | null): GuardVerdict | Promise<GuardVerdict> {
    const credentials = credentialsOf(ctx);
    if (credentials !== null && 'reason' in credentials) return credentials;
    if (bodyTokenMaxBytes !== null && mayCarryBodyToken(ctx)) {
      const reading = ctx.readBody(bodyTokenMaxBytes);
      // A body the framework consumed cannot be looked into: without
      // another credential, core refuses the operation.
      if (reading !== null) {
        return reading.then(
          (bytes) => {
            const fromBody = formBodyToken(bytes);
            if (fromBody === null) return credentials === null ? null : verifyToken(ctx, credentials.token, credentials.scheme, stepUp);
            if (typeof fromBody !== 'string') return fromBody;
            if (credentials !== null) return deny('token_malformed', { privateDetail: 'token in the form body and in the Authorization header or the query' });
            return verifyToken(ctx, fromBody, 'Bearer', stepUp);
          },
          (error: unknown) => (isDenial(error) ? error : deny('body_malformed', { cause: error, privateDetail: 'request body could not be read for a form-encoded token' })),
        );
      }
    }
    if (credentials === null) return null; // core refuses the operation if nothing else authenticates
    return verifyToken(ctx, credentials.token, credentials.scheme, stepUp);
  }

  function verifyToken(ctx: RequestContext, token: string, scheme: string, stepUp: StepUpRule | null): GuardVerdict | Promise<GuardVerdict> {
    if (token.length > maxTokenBytes) return deny('token_too_large', { privateDetail: `token of ${token.length} bytes` });
    const nowMs = Date.now();
    const cached = cache.get(token, nowMs);
    if (cached !== null) return finish(ctx, cached, token, scheme, stepUp, nowMs);
    return verifyFresh(ctx, token, nowMs).then((result) => ('reason' in result ? result : finish(ctx, result, token, scheme, stepUp, nowMs)));
  }

  function authenticateApiKey(ctx: RequestContext, location: { in: string; name: string }, stepUp: StepUpRule | null): GuardVerdict {
    if (ctx.principal !== null || apiKeys === null) return null;
    const value = location.in === 'header' ? ctx.headers[location.name.toLowerCase()] : location.in === 'query' ? new URLSearchParams(ctx.query).get(location.name) ?? undefined : undefined;
    if (typeof value !== 'string') return null;
    const result = apiKeys.verify(value);
    if ('reason' in result) return result;
    return accept(ctx, result, stepUp, Date.now());
  }

  const guard: JwtAuthentication = {
    name: 'jwt-auth',
    stage: 'authentication',
    init,
    compile(operation, { compiled }): GuardHooks | null {
      if (operation === null) return null;
      if (operation.isPublic) {
        if (operation.extensions.stepUp !== null) {
          throw new PalisadeConfigError('ERR_PALISADE_INVALID_EXTENSION', `OpenAPI document at ${operation.pointer}: operation ${operation.operationId} is public (security: []) but has x-palisade-step-up, which needs an authenticated caller.`, {
            path: operation.pointer,
            fix: "Declare the operation's security requirement, or remove x-palisade-step-up.",
          });
        }
        return null;
      }
      const schemes = (compiled.document.components as { securitySchemes?: Record<string, Record<string, unknown>> } | undefined)?.securitySchemes ?? {};
      const usesBearer = usesSchemeOfKind(operation, schemes, isBearerScheme);
      const apiKeyLocations = apiKeyLocationsOf(operation, schemes);
      if (apiKeyLocations.length > 0 && apiKeys === null) {
        throw new PalisadeConfigError('ERR_PALISADE_INVALID_OPTIONS', `createJwtAuthentication: operation ${operation.operationId} accepts an apiKey security scheme but no apiKeys are configured.`, {
          path: 'apiKeys',
          fix: 'Pass apiKeys: [{ hash: hashApiKey(key), clientId }] or remove the apiKey scheme from the operation.',
        });
      }
      if (!usesBearer && apiKeyLocations.length === 0) return null;
      const stepUp = operation.extensions.stepUp;
      const bodyTokenMaxBytes = options.acceptTokenInBody === true ? (operation.extensions.limits?.maxBodyBytes ?? DEFAULT_BODY_TOKEN_MAX_BYTES) : null;
      return {
        onRequest(ctx) {
          if (usesBearer) {
            const verdict = authenticate(ctx, stepUp, bodyTokenMaxBytes);
            if (verdict !== null || ctx.principal !== null || apiKeyLocations.length === 0) return verdict;
          }
          for (const location of apiKeyLocations) {
            const verdict = authenticateApiKey(ctx, location, stepUp);
            if (verdict !== null || ctx.principal !== null) return verdict;
          }
          return null;
        },
      };
    },
    async close() {
      for (const source of keySources) source.close();
      await revocation.close();
    },
    revokeToken: (tokenId, expiresAt) => revocation.revokeToken(tokenId, expiresAt),
    revokeSubject: (subject) => revocation.revokeSubject(subject),
  };
  return guard;
}

function accept(ctx: RequestContext, principal: Principal, stepUp: StepUpRule | null, nowMs: number): Denial | null {
  if (stepUp !== null) {
    const denial = checkStepUp(principal, stepUp, nowMs);
    if (denial !== null) return denial;
  }
  ctx.principal = principal;
  return null;
}

/**
 * RFC 9470: the operation needs a stronger or fresher authentication. A
 * token passes when its `acr` is one of the listed values or its `amr`
 * contains one of the listed methods, and (with `maxAge`) when its
 * `auth_time` is recent enough.
 */
export function checkStepUp(principal: Principal, rule: StepUpRule, nowMs: number): Denial | null {
  const needsMethod = rule.acr.length > 0 || rule.amr.length > 0;
  const methodOk = !needsMethod || (principal.acr !== null && rule.acr.includes(principal.acr)) || principal.amr.some((method) => rule.amr.includes(method));
  const ageOk = rule.maxAgeMs === null || (principal.authTime !== null && nowMs - principal.authTime * 1000 <= rule.maxAgeMs);
  if (methodOk && ageOk) return null;
  const challengeParams: Record<string, string> = {};
  if (rule.acr.length > 0) challengeParams.acr_values = rule.acr.join(' ');
  if (rule.maxAgeMs !== null) challengeParams.max_age = String(Math.floor(rule.maxAgeMs / 1000));
  return deny('step_up_required', {
    challengeParams,
    detail: 'This operation needs a stronger or more recent authentication.',
    privateDetail: `acr=${principal.acr ?? 'none'} amr=${principal.amr.join(',') || 'none'} auth_time=${principal.authTime ?? 'none'}`,
  });
}

const DEFAULT_BODY_TOKEN_MAX_BYTES = 16 * 1024; // the schema validator's default too
const BODY_TOKEN_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);

/**
 * RFC 6750 section 2.2: a form-encoded body, single-part, on a method whose
 * body has defined semantics (never GET). Anything else is not looked into.
 */
function mayCarryBodyToken(ctx: RequestContext): boolean {
  if (!BODY_TOKEN_METHODS.has(ctx.method)) return false;
  const contentType = ctx.headers['content-type'];
  if (typeof contentType !== 'string' || parseContentType(contentType)?.mediaType !== 'application/x-www-form-urlencoded') return false;
  const length = ctx.headers['content-length'];
  return length === undefined ? ctx.headers['transfer-encoding'] !== undefined : length !== '0';
}

/** `access_token` of a form body: the token, null when there is none, or a denial. */
function formBodyToken(bytes: Buffer): string | Denial | null {
  const token = accessTokenParameter(bytes.toString('latin1'), 'form body');
  if (token === null || typeof token !== 'string') return token;
  // RFC 6750 section 2.2: the body must be entirely ASCII.
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! > 0x7e) return deny('token_malformed', { privateDetail: 'form body with an access_token is not all ASCII' });
  }
  return token;
}

/**
 * `access_token` of a form-encoded string (a query, a form body), read as
 * the application will read it, so that a percent-encoded name
 * (`access%5Ftoken`) counts as well: the token, null when there is none,
 * or a denial when it is given more than once.
 */
function accessTokenParameter(formEncoded: string, where: string): string | Denial | null {
  if (formEncoded === '') return null;
  const values = new URLSearchParams(formEncoded).getAll('access_token');
  if (values.length === 0) return null;
  if (values.length > 1) return deny('token_malformed', { privateDetail: `access_token given more than once in the ${where}` });
  return values[0]!;
}

function toList(value: string | readonly string[]): string[] {
  return typeof value === 'string' ? [value] : [...value];
}

function isBearerScheme(scheme: Record<string, unknown>): boolean {
  return scheme.type === 'oauth2' || scheme.type === 'openIdConnect' || (scheme.type === 'http' && String(scheme.scheme).toLowerCase() === 'bearer');
}

function usesSchemeOfKind(operation: OperationPolicy, schemes: Record<string, Record<string, unknown>>, test: (scheme: Record<string, unknown>) => boolean): boolean {
  return operation.security.some((requirement) => requirement.some((entry) => schemes[entry.scheme] !== undefined && test(schemes[entry.scheme]!)));
}

function apiKeyLocationsOf(operation: OperationPolicy, schemes: Record<string, Record<string, unknown>>): { in: string; name: string }[] {
  const locations: { in: string; name: string }[] = [];
  for (const requirement of operation.security) {
    for (const entry of requirement) {
      const scheme = schemes[entry.scheme];
      if (scheme?.type === 'apiKey' && (scheme.in === 'header' || scheme.in === 'query')) locations.push({ in: scheme.in, name: String(scheme.name) });
    }
  }
  return locations;
}

interface IssuerSettings {
  readonly path: string;
  readonly options: IssuerOptions;
  readonly jwksUri: URL | null;
  readonly policy: Omit<IssuerPolicy, 'keys'>;
  readonly cooldownMs: number;
  readonly maxAgeMs: number;
}

function normaliseIssuer(issuer: IssuerOptions, path: string): IssuerSettings {
  const url = assertSecureUrl(issuer.issuer, `${path}.issuer`);
  if (issuer.keys !== undefined && issuer.jwksUri !== undefined) {
    throw new PalisadeConfigError('ERR_PALISADE_INVALID_OPTIONS', `createJwtAuthentication: ${path} has both keys and jwksUri. Remove one: keys are static, jwksUri is fetched.`, { path: `${path}.keys`, fix: 'Remove keys or jwksUri.' });
  }
  for (const [index, key] of (issuer.keys?.keys ?? []).entries()) {
    if (key.kty === 'oct' || key.d !== undefined) {
      throw new PalisadeConfigError('ERR_PALISADE_INVALID_OPTIONS', `createJwtAuthentication: ${path}.keys.keys[${index}] is a private or symmetric key. Give the issuer's public keys only.`, { path: `${path}.keys.keys[${index}]`, fix: 'Export the public JWK (no "d", no "k").' });
    }
  }
  void url;
  return {
    path,
    options: issuer,
    // Checked here, not when the keys are first fetched: plain http off loopback is a start-up error.
    jwksUri: issuer.jwksUri === undefined ? null : assertSecureUrl(issuer.jwksUri, `${path}.jwksUri`),
    cooldownMs: issuer.jwksCooldown === undefined ? 30_000 : parseDuration(issuer.jwksCooldown, `${path}.jwksCooldown`),
    maxAgeMs: issuer.jwksMaxAge === undefined ? 600_000 : parseDuration(issuer.jwksMaxAge, `${path}.jwksMaxAge`),
    policy: {
      issuer: issuer.issuer,
      audience: toList(issuer.audience),
      algorithms: issuer.algorithms ?? null,
      tokenTypes: new Set(issuer.tokenTypes ?? ['at+jwt']),
      clockToleranceSec: issuer.clockTolerance === undefined ? 30 : typeof issuer.clockTolerance === 'number' ? issuer.clockTolerance : parseDuration(issuer.clockTolerance, `${path}.clockTolerance`) / 1000,
      maxTokenAgeSec: issuer.maxTokenAge === undefined ? null : parseDuration(issuer.maxTokenAge, `${path}.maxTokenAge`) / 1000,
      requiredClaims: ['iss', 'aud', 'exp', 'sub', ...(issuer.requiredClaims ?? [])],
    },
  };
}

/**
 * A remote key set whose JWKS URL may first have to be discovered. If the
 * issuer is down at start-up the service still starts; discovery is
 * retried (at most once per cooldown) when a token needs the keys, and
 * such tokens are refused meanwhile.
 */
class LazyRemoteKeySet implements KeySource {
  readonly #settings: IssuerSettings;
  readonly #onEvent: NonNullable<JwtAuthenticationOptions['onEvent']>;
  #remote: RemoteKeySet | null = null;
  #jwksUri: URL | null;
  #lastAttempt = Number.NEGATIVE_INFINITY;
  #starting: Promise<void> | null = null;

  constructor(settings: IssuerSettings, jwksUri: URL | null, onEvent: NonNullable<JwtAuthenticationOptions['onEvent']>) {
    this.#settings = settings;
    this.#jwksUri = jwksUri;
    this.#onEvent = onEvent;
  }

  start(): Promise<void> {
    this.#starting ??= this.#start().finally(() => {
      this.#starting = null;
    });
    return this.#starting;
  }

  async #start(): Promise<void> {
    this.#lastAttempt = performance.now();
    try {
      if (this.#jwksUri === null) {
        const configuration = await discoverIssuer(new URL(this.#settings.options.issuer), null, 5);
        const jwksUri = configuration.serverMetadata().jwks_uri;
        if (typeof jwksUri !== 'string') throw new Error('the issuer metadata has no jwks_uri');
        this.#jwksUri = assertSecureUrl(jwksUri, `${this.#settings.path} jwks_uri (discovered)`);
      }
      const remote = new RemoteKeySet({
        issuer: this.#settings.options.issuer,
        jwksUri: this.#jwksUri,
        cooldownMs: this.#settings.cooldownMs,
        maxAgeMs: this.#settings.maxAgeMs,
        timeoutMs: 5000,
        onEvent: this.#onEvent,
      });
      await remote.refresh();
      this.#remote = remote;
    } catch (error) {
      this.#onEvent({ type: 'issuer_unavailable', issuer: this.#settings.options.issuer, error: (error as Error).message });
    }
  }

  readonly getKey = async (...args: Parameters<KeySource['getKey']>) => {
    if (this.#remote === null && (this.#starting !== null || performance.now() - this.#lastAttempt >= this.#settings.cooldownMs)) await this.start();
    if (this.#remote === null) throw new Error(`keys of ${this.#settings.options.issuer} are not available yet`);
    return this.#remote.getKey(...args);
  };

  algorithms = (): readonly string[] => this.#remote?.algorithms() ?? [];

  close(): void {
    this.#remote?.close();
  }
}
