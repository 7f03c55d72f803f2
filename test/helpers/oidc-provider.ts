/**
 * A real OpenID Provider (panva/oidc-provider v9) on loopback, for
 * integration tests of access-token authentication. No mocks: every token
 * this harness hands out was minted by oidc-provider in response to a real
 * HTTP request to its token endpoint, signed with keys it publishes at its
 * real `jwks_uri`, and (for opaque tokens) answered for by its real RFC 7662
 * introspection endpoint.
 *
 * How tokens are issued: the provider registers an extension grant,
 * `urn:palisade:test:issue` (see `TEST_GRANT_TYPE`). `issueAccessToken()`
 * POSTs to the token endpoint with that grant, authenticated with
 * client_secret_basic as the requesting client. The grant handler builds an
 * oidc-provider `AccessToken` bound to a Resource Server resolved through
 * `features.resourceIndicators.getResourceServerInfo` (audience, format
 * 'jwt' or 'opaque', signing alg and kid); acr/amr/auth_time/cnf/extra
 * claims are attached through the `extraTokenClaims` hook. When the
 * requested scope contains `openid` the handler also issues a real ID Token
 * through oidc-provider's `IdToken` model (that is how `issueIdToken()`
 * works).
 *
 * Keys: generated with jose at start (ES256 unless RS256 is asked for), held
 * in memory only. `rotateKeys()` re-creates the oidc-provider instance (its
 * keystore is fixed at construction) behind the same HTTP server, so the
 * issuer URL, the registered clients and every stored token survive.
 */
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JSONWebKeySet, type JWK } from 'jose';
// @ts-expect-error -- oidc-provider ships no type declarations (and @types/oidc-provider is not installed); the small surface used here is typed below.
import { Provider as UntypedProvider, errors as untypedErrors } from 'oidc-provider';

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

export type SigningAlgorithm = 'ES256' | 'RS256';

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

export interface IssueAccessTokenOptions {
  /** The subject (oidc-provider accountId); becomes `sub`. */
  sub: string;
  /** Space-separated scope; becomes the `scope` claim (omitted when empty). */
  scope?: string;
  /**
   * The client the token is issued to (`client_id`). The harness registers
   * it on first use (client_secret_basic) and requests the token as that
   * client. Default `DEFAULT_CLIENT_ID`.
   */
  clientId?: string;
  acr?: string;
  amr?: string[];
  /** Seconds since the epoch; becomes `auth_time`. */
  authTime?: number;
  /**
   * Lifetime in seconds. Default 3600. Zero or negative issues a token that
   * is already expired: `exp = now + expiresIn`, `iat = exp - 60`.
   */
  expiresIn?: number;
  /** Becomes the `cnf` claim verbatim (e.g. `{ jkt: '...' }`). */
  cnf?: Record<string, unknown>;
  /**
   * Additional claims. They cannot override the claims oidc-provider sets
   * itself (iss, aud, sub, client_id, scope, iat, exp, jti): oidc-provider
   * spreads these first. Use token-forge for tokens with wrong registered claims.
   */
  extraClaims?: Record<string, unknown>;
  /** 'jwt' (RFC 9068, default) or 'opaque' (introspect it). */
  format?: 'jwt' | 'opaque';
  /**
   * Harness extension: a different audience for this one token (another
   * Resource Server of the same issuer, same keys). Default: the provider's
   * `audience`.
   */
  audience?: string;
}

export interface IssueIdTokenOptions {
  sub: string;
  /** The ID Token's audience (the client it is issued to). Default `DEFAULT_CLIENT_ID`. */
  clientId?: string;
}

export interface RotateKeysOptions {
  /** Stop publishing every previous key (default false: old keys stay in the JWKS, after the new one). */
  dropOld?: boolean;
}

export interface TestProvider {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly issuer: string;
  /** Default audience of access tokens (default 'orders-api'). */
  readonly audience: string;
  /** A confidential client (client_secret_basic or client_secret_post) allowed to introspect and revoke any token. */
  readonly introspectionClient: ClientCredentials;
  readonly signingAlgorithm: SigningAlgorithm;
  /** Harness extension: the loopback port (stable across stop()/start()). */
  readonly port: number;
  /** Harness extension: kid of the key new tokens are signed with. */
  readonly currentKid: string;
  /** Harness extension: the public JWKS the provider publishes right now (no network). */
  publicJwks(): JSONWebKeySet;
  /** Harness extension: credentials of a registered client (registers it on first use). */
  clientCredentials(clientId?: string): ClientCredentials;
  issueAccessToken(options: IssueAccessTokenOptions): Promise<string>;
  /** A real OpenID Connect ID Token (aud = clientId, no `typ` header: oidc-provider omits it). */
  issueIdToken(options: IssueIdTokenOptions): Promise<string>;
  /**
   * Signs new tokens with a NEW key (new kid). By default the old keys stay
   * published in the JWKS (new key first); `{ dropOld: true }` unpublishes them.
   */
  rotateKeys(options?: RotateKeysOptions): Promise<void>;
  /**
   * RFC 7009 revocation as the introspection client. Works for opaque tokens
   * (introspection then says `active: false`); oidc-provider refuses to revoke
   * JWT access tokens (`unsupported_token_type`), which this rejects with.
   */
  revokeToken(token: string): Promise<void>;
  /** Closes the listener and every open connection; the issuer is unreachable until start(). */
  stop(): Promise<void>;
  /** Listens again on the same port (the same issuer URL). No-op when already listening. */
  start(): Promise<void>;
}

export interface StartTestProviderOptions {
  audience?: string;
  signingAlgorithm?: SigningAlgorithm;
  /** Default 0 (an ephemeral port). */
  port?: number;
}

/** The extension grant type the harness requests tokens with. */
export const TEST_GRANT_TYPE = 'urn:palisade:test:issue';
/** The client tokens are issued to unless `clientId` says otherwise. */
export const DEFAULT_CLIENT_ID = 'palisade-test-client';
/** The confidential client allowed to call introspection and revocation. */
export const INTROSPECTION_CLIENT_ID = 'palisade-introspector';
/** Resource indicators of the harness's resource servers: this prefix + the audience. */
export const RESOURCE_INDICATOR_PREFIX = 'urn:palisade:test:resource:';

export function resourceIndicatorFor(audience: string): string {
  return `${RESOURCE_INDICATOR_PREFIX}${encodeURIComponent(audience)}`;
}

// ---------------------------------------------------------------------------
// The small part of oidc-provider's (untyped) surface used here
// ---------------------------------------------------------------------------

interface OidcClient {
  readonly clientId: string;
  readonly clientAuthMethod: string;
}

interface OidcToken {
  readonly clientId?: string;
  readonly kind: string;
}

interface OidcAccessToken {
  readonly tokenType: string;
  readonly expiration: number;
  scope: string | undefined;
  iat?: number;
  exp?: number;
  resourceServer: unknown;
  save(): Promise<string>;
}

interface OidcIdToken {
  scope: string;
  mask: Record<string, unknown>;
  rejected: string[];
  set(claim: string, value: unknown): void;
  issue(options: { use: 'idtoken' }): Promise<string>;
}

interface OidcContext {
  readonly oidc: {
    readonly client: OidcClient;
    readonly params: Record<string, string | undefined>;
  };
  body: unknown;
}

interface ResourceServerInfo {
  scope: string;
  audience: string;
  accessTokenFormat: 'jwt' | 'opaque';
  accessTokenTTL?: number;
  jwt: { sign: { alg: SigningAlgorithm; kid: string } };
}

interface OidcProvider {
  readonly issuer: string;
  readonly AccessToken: new (init: Record<string, unknown>) => OidcAccessToken;
  readonly IdToken: new (claims: Record<string, unknown>, options: { ctx: OidcContext }) => OidcIdToken;
  readonly ResourceServer: new (identifier: string, info: ResourceServerInfo) => unknown;
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  registerGrantType(name: string, handler: (ctx: OidcContext) => Promise<void>, params?: Iterable<string>): void;
  urlFor(name: string): string;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

type OidcProviderConstructor = new (issuer: string, configuration: Record<string, unknown>) => OidcProvider;
type OidcErrorConstructor = new (description?: string) => Error;

const ProviderClass = UntypedProvider as OidcProviderConstructor;
const oidcErrors = untypedErrors as { InvalidRequest: OidcErrorConstructor; InvalidTarget: OidcErrorConstructor };

// ---------------------------------------------------------------------------
// Storage (an oidc-provider adapter whose data outlives provider instances)
// ---------------------------------------------------------------------------

interface StoredEntry {
  payload: Record<string, unknown>;
  expiresAt: number | undefined;
}

class HarnessStore {
  readonly entries = new Map<string, StoredEntry>();
}

/** Minimal oidc-provider adapter over a `HarnessStore` (find() returns expired payloads too; oidc-provider checks `exp` itself). */
class HarnessAdapter {
  constructor(
    private readonly model: string,
    private readonly store: HarnessStore,
  ) {}

  private key(id: string): string {
    return `${this.model}:${id}`;
  }

  async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void> {
    const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : undefined;
    this.store.entries.set(this.key(id), { payload: structuredClone(payload), expiresAt });
  }

  async find(id: string): Promise<Record<string, unknown> | undefined> {
    const entry = this.store.entries.get(this.key(id));
    return entry === undefined ? undefined : structuredClone(entry.payload);
  }

  async findByUid(uid: string): Promise<Record<string, unknown> | undefined> {
    for (const [key, entry] of this.store.entries) {
      if (key.startsWith(`${this.model}:`) && entry.payload['uid'] === uid) return structuredClone(entry.payload);
    }
    return undefined;
  }

  async findByUserCode(userCode: string): Promise<Record<string, unknown> | undefined> {
    for (const [key, entry] of this.store.entries) {
      if (key.startsWith(`${this.model}:`) && entry.payload['userCode'] === userCode) return structuredClone(entry.payload);
    }
    return undefined;
  }

  async consume(id: string): Promise<void> {
    const entry = this.store.entries.get(this.key(id));
    if (entry !== undefined) entry.payload['consumed'] = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    this.store.entries.delete(this.key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    for (const [key, entry] of this.store.entries) {
      if (entry.payload['grantId'] === grantId) this.store.entries.delete(key);
    }
  }
}

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

interface SigningKey {
  readonly kid: string;
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

async function generateSigningKey(alg: SigningAlgorithm): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = `${alg.toLowerCase()}-${(await calculateJwkThumbprint(jwk)).slice(0, 16)}`;
  const privateJwk: JWK = { ...jwk, kid, alg, use: 'sig' };
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = privateJwk;
  return { kid, privateJwk, publicJwk };
}

// ---------------------------------------------------------------------------
// HTTP client (no connection pooling, so stop()/start() never races a reused socket)
// ---------------------------------------------------------------------------

interface PostResult {
  status: number;
  body: string;
}

function basicAuthorization({ clientId, clientSecret }: ClientCredentials): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

function postForm(url: string, form: Record<string, string | undefined>, client: ClientCredentials): Promise<PostResult> {
  const body = new URLSearchParams(Object.entries(form).filter((entry): entry is [string, string] => entry[1] !== undefined)).toString();
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
          accept: 'application/json',
          authorization: basicAuthorization(client),
          connection: 'close',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

// ---------------------------------------------------------------------------
// The harness
// ---------------------------------------------------------------------------

const GRANT_PARAMETERS = [
  'resource',
  'scope',
  'subject',
  'acr',
  'amr',
  'auth_time',
  'expires_in',
  'cnf',
  'extra_claims',
  'access_token_format',
];

const DEFAULT_ACCESS_TOKEN_TTL = 3600;

function parseJsonParam<T>(params: Record<string, string | undefined>, name: string, check: (value: unknown) => value is T): T | undefined {
  const raw = params[name];
  if (raw === undefined || raw === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new oidcErrors.InvalidRequest(`${name} must be JSON`);
  }
  if (!check(value)) throw new oidcErrors.InvalidRequest(`${name} has the wrong shape`);
  return value;
}

function parseIntegerParam(params: Record<string, string | undefined>, name: string): number | undefined {
  const raw = params[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new oidcErrors.InvalidRequest(`${name} must be an integer`);
  return value;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

export async function startTestProvider(options: StartTestProviderOptions = {}): Promise<TestProvider> {
  const audience = options.audience ?? 'orders-api';
  const signingAlgorithm: SigningAlgorithm = options.signingAlgorithm ?? 'ES256';
  const store = new HarnessStore();
  const clients = new Map<string, ClientCredentials>();
  const pendingExtraClaims = new WeakMap<object, Record<string, unknown>>();
  let keys: SigningKey[] = [await generateSigningKey(signingAlgorithm)];
  let lastServerError: unknown;

  const newSecret = () => randomBytes(24).toString('base64url');
  const clientMetadata = (credentials: ClientCredentials) => ({
    client_id: credentials.clientId,
    client_secret: credentials.clientSecret,
    grant_types: [TEST_GRANT_TYPE],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: signingAlgorithm,
  });
  /** Registers a client through the adapter (how oidc-provider finds non-static clients), so it survives provider re-creation. */
  const ensureClient = (clientId: string): ClientCredentials => {
    let credentials = clients.get(clientId);
    if (credentials === undefined) {
      credentials = { clientId, clientSecret: newSecret() };
      clients.set(clientId, credentials);
      store.entries.set(`Client:${clientId}`, { payload: clientMetadata(credentials), expiresAt: undefined });
    }
    return credentials;
  };
  const introspectionClient = ensureClient(INTROSPECTION_CLIENT_ID);
  ensureClient(DEFAULT_CLIENT_ID);

  const getResourceServerInfo = async (ctx: OidcContext, resourceIndicator: string): Promise<ResourceServerInfo> => {
    if (!resourceIndicator.startsWith(RESOURCE_INDICATOR_PREFIX)) throw new oidcErrors.InvalidTarget();
    const current = keys[0];
    if (current === undefined) throw new Error('no signing key');
    return {
      // The test resource servers accept whatever scope the test asks for.
      scope: ctx.oidc.params['scope'] ?? '',
      audience: decodeURIComponent(resourceIndicator.slice(RESOURCE_INDICATOR_PREFIX.length)),
      accessTokenFormat: ctx.oidc.params['access_token_format'] === 'opaque' ? 'opaque' : 'jwt',
      jwt: { sign: { alg: signingAlgorithm, kid: current.kid } },
    };
  };

  const createProvider = (issuer: string): OidcProvider => {
    const provider = new ProviderClass(issuer, {
      adapter: (model: string) => new HarnessAdapter(model, store),
      jwks: { keys: keys.map((key) => key.privateJwk) },
      findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub }) }),
      clientDefaults: {
        grant_types: [TEST_GRANT_TYPE],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: signingAlgorithm,
      },
      extraTokenClaims: async (_ctx: unknown, token: object) => pendingExtraClaims.get(token),
      features: {
        devInteractions: { enabled: false },
        introspection: {
          enabled: true,
          allowedPolicy: async (_ctx: unknown, client: OidcClient, token: OidcToken) =>
            client.clientId === INTROSPECTION_CLIENT_ID || client.clientId === token.clientId,
        },
        revocation: {
          enabled: true,
          allowedPolicy: async (_ctx: unknown, client: OidcClient, token: OidcToken) =>
            client.clientId === INTROSPECTION_CLIENT_ID || client.clientId === token.clientId,
        },
        resourceIndicators: {
          enabled: true,
          defaultResource: async () => resourceIndicatorFor(audience),
          useGrantedResource: async () => true,
          getResourceServerInfo,
        },
        rpInitiatedLogout: { enabled: false },
      },
      // Explicit TTLs (the defaults print "you SHOULD change it" notices).
      ttl: {
        AccessToken: DEFAULT_ACCESS_TOKEN_TTL,
        ClientCredentials: 600,
        IdToken: 3600,
        RefreshToken: 86_400,
        Grant: 86_400,
        Session: 86_400,
        Interaction: 3600,
        DeviceCode: 600,
        BackchannelAuthenticationRequest: 600,
      },
      clientBasedCORS: () => false,
      renderError: async (ctx: { type: string; body: unknown }, out: Record<string, unknown>) => {
        ctx.type = 'json';
        ctx.body = out;
      },
    });

    provider.on('server_error', (_ctx: unknown, error: unknown) => {
      lastServerError = error;
    });

    provider.registerGrantType(
      TEST_GRANT_TYPE,
      async (ctx: OidcContext) => {
        const { client, params } = ctx.oidc;
        const subject = params['subject'];
        if (subject === undefined || subject === '') throw new oidcErrors.InvalidRequest('missing subject');
        const resource = params['resource'] ?? resourceIndicatorFor(audience);
        const resourceServer = new provider.ResourceServer(resource, await getResourceServerInfo(ctx, resource));

        const expiresIn = parseIntegerParam(params, 'expires_in') ?? DEFAULT_ACCESS_TOKEN_TTL;
        const accessToken = new provider.AccessToken({
          accountId: subject,
          client,
          gty: TEST_GRANT_TYPE,
          ...(expiresIn > 0 ? { expiresIn } : {}),
        });
        accessToken.resourceServer = resourceServer;
        accessToken.scope = params['scope'] || undefined;
        if (expiresIn <= 0) {
          const exp = Math.floor(Date.now() / 1000) + expiresIn;
          accessToken.exp = exp;
          accessToken.iat = exp - 60;
        }

        const extra: Record<string, unknown> = {
          ...parseJsonParam(params, 'extra_claims', isPlainObject),
        };
        if (params['acr']) extra['acr'] = params['acr'];
        const amr = parseJsonParam(params, 'amr', isStringArray);
        if (amr !== undefined) extra['amr'] = amr;
        const authTime = parseIntegerParam(params, 'auth_time');
        if (authTime !== undefined) extra['auth_time'] = authTime;
        const cnf = parseJsonParam(params, 'cnf', isPlainObject);
        if (cnf !== undefined) extra['cnf'] = cnf;
        pendingExtraClaims.set(accessToken, extra);

        const value = await accessToken.save();
        const response: Record<string, unknown> = {
          access_token: value,
          token_type: accessToken.tokenType,
          expires_in: Math.max(expiresIn, 0),
          scope: accessToken.scope,
        };

        if ((params['scope'] ?? '').split(' ').includes('openid')) {
          const idToken = new provider.IdToken({ sub: subject }, { ctx });
          idToken.scope = 'openid';
          idToken.mask = {};
          idToken.rejected = [];
          if (params['acr']) idToken.set('acr', params['acr']);
          if (amr !== undefined) idToken.set('amr', amr);
          if (authTime !== undefined) idToken.set('auth_time', authTime);
          response['id_token'] = await idToken.issue({ use: 'idtoken' });
        }

        ctx.body = response;
      },
      GRANT_PARAMETERS,
    );

    return provider;
  };

  // One HTTP server for the harness's whole life; the provider behind it can change.
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server: Server = createServer((req, res) => {
    if (handler === undefined) {
      res.statusCode = 503;
      res.end();
      return;
    }
    handler(req, res);
  });
  server.keepAliveTimeout = 1000;

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      server.once('error', onError);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', onError);
        resolve();
      });
    });

  await listen(options.port ?? 0);
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;

  let provider = createProvider(issuer);
  handler = provider.callback();

  const requestTokens = async (form: Record<string, string | undefined>, clientId: string): Promise<Record<string, unknown>> => {
    const credentials = ensureClient(clientId);
    lastServerError = undefined;
    const { status, body } = await postForm(provider.urlFor('token'), { grant_type: TEST_GRANT_TYPE, ...form }, credentials);
    if (status !== 200) {
      const cause = lastServerError instanceof Error ? ` (${lastServerError.stack ?? lastServerError.message})` : '';
      throw new Error(`token endpoint answered ${status}: ${body}${cause}`);
    }
    return JSON.parse(body) as Record<string, unknown>;
  };

  const testProvider: TestProvider = {
    issuer,
    audience,
    introspectionClient: { ...introspectionClient },
    signingAlgorithm,
    port,
    get currentKid() {
      const current = keys[0];
      if (current === undefined) throw new Error('no signing key');
      return current.kid;
    },
    publicJwks: () => ({ keys: keys.map((key) => ({ ...key.publicJwk })) }),
    clientCredentials: (clientId = DEFAULT_CLIENT_ID) => ({ ...ensureClient(clientId) }),

    async issueAccessToken(issue) {
      const tokens = await requestTokens(
        {
          resource: resourceIndicatorFor(issue.audience ?? audience),
          subject: issue.sub,
          scope: issue.scope,
          acr: issue.acr,
          amr: issue.amr === undefined ? undefined : JSON.stringify(issue.amr),
          auth_time: issue.authTime === undefined ? undefined : String(issue.authTime),
          expires_in: issue.expiresIn === undefined ? undefined : String(Math.trunc(issue.expiresIn)),
          cnf: issue.cnf === undefined ? undefined : JSON.stringify(issue.cnf),
          extra_claims: issue.extraClaims === undefined ? undefined : JSON.stringify(issue.extraClaims),
          access_token_format: issue.format ?? 'jwt',
        },
        issue.clientId ?? DEFAULT_CLIENT_ID,
      );
      const token = tokens['access_token'];
      if (typeof token !== 'string') throw new Error('token response has no access_token');
      return token;
    },

    async issueIdToken({ sub, clientId }) {
      const tokens = await requestTokens(
        { resource: resourceIndicatorFor(audience), subject: sub, scope: 'openid', access_token_format: 'opaque' },
        clientId ?? DEFAULT_CLIENT_ID,
      );
      const token = tokens['id_token'];
      if (typeof token !== 'string') throw new Error('token response has no id_token');
      return token;
    },

    async rotateKeys({ dropOld = false } = {}) {
      const next = await generateSigningKey(signingAlgorithm);
      keys = dropOld ? [next] : [next, ...keys];
      provider = createProvider(issuer);
      handler = provider.callback();
    },

    async revokeToken(token) {
      const { status, body } = await postForm(provider.urlFor('revocation'), { token }, introspectionClient);
      if (status !== 200) throw new Error(`revocation endpoint answered ${status}: ${body}`);
    },

    stop() {
      return new Promise<void>((resolve, reject) => {
        if (!server.listening) {
          resolve();
          return;
        }
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },

    async start() {
      if (server.listening) return;
      await listen(port);
    },
  };

  return testProvider;
}
