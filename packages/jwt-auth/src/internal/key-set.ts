import { createLocalJWKSet, errors, type JSONWebKeySet, type JWK, type JWTVerifyGetKey } from 'jose';

/** Something that hands jose the verification key for a token header. */
export interface KeySource {
  readonly getKey: JWTVerifyGetKey;
  /** Algorithms the current keys can verify (derived from the keys). */
  readonly algorithms: () => readonly string[];
  readonly close: () => void;
}

export type KeySetEvent =
  | { readonly type: 'keys_refreshed'; readonly issuer: string; readonly keyIds: readonly string[] }
  | { readonly type: 'keys_refresh_failed'; readonly issuer: string; readonly error: string };

// Asymmetric algorithms only: an issuer's published keys are public, and
// accepting an HMAC algorithm with public key material as the secret is
// the classic algorithm-confusion forgery.
const ALGORITHMS_BY_KEY: Record<string, readonly string[]> = {
  RSA: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'],
  'EC:P-256': ['ES256'],
  'EC:P-384': ['ES384'],
  'EC:P-521': ['ES512'],
  'OKP:Ed25519': ['EdDSA', 'Ed25519'],
};
export const ASYMMETRIC_ALGORITHMS: ReadonlySet<string> = new Set(Object.values(ALGORITHMS_BY_KEY).flat());

/** The algorithms a set of JWKs can verify: each key's `alg`, or what its type allows. */
export function algorithmsOf(keys: readonly JWK[]): string[] {
  const algorithms = new Set<string>();
  for (const key of keys) {
    if (key.use !== undefined && key.use !== 'sig') continue;
    const allowedForType = ALGORITHMS_BY_KEY[key.kty === 'RSA' ? 'RSA' : `${key.kty}:${key.crv}`] ?? [];
    if (typeof key.alg === 'string') {
      if (allowedForType.includes(key.alg)) algorithms.add(key.alg);
    } else {
      for (const alg of allowedForType) algorithms.add(alg);
    }
  }
  return [...algorithms];
}

/** Keys given in code. */
export function createStaticKeySource(jwks: JSONWebKeySet): KeySource {
  const algorithms = Object.freeze(algorithmsOf(jwks.keys));
  return { getKey: createLocalJWKSet(jwks), algorithms: () => algorithms, close: () => {} };
}

export interface RemoteKeySetOptions {
  readonly issuer: string;
  readonly jwksUri: URL;
  /** Minimum time between two fetches caused by unknown `kid`s. */
  readonly cooldownMs: number;
  /** Keys are refreshed in the background this often; failures keep the old keys. */
  readonly maxAgeMs: number;
  readonly timeoutMs: number;
  readonly onEvent: (event: KeySetEvent) => void;
  readonly fetch?: typeof fetch;
}

const MAX_JWKS_BYTES = 512 * 1024;

/**
 * A JWKS fetched from the issuer and cached:
 * - an unknown `kid` refetches at most once per cooldown, counted from the
 *   last attempt, so a flood of made-up kids is one fetch, not many;
 * - concurrent refreshes share one in-flight request, and a token that
 *   needs a key while one is in flight waits for it;
 * - a failed refresh keeps the keys we had, so an issuer outage does not
 *   take the service down while cached keys still verify;
 * - keys are also refreshed in the background, so a key the issuer
 *   withdrew stops verifying within `maxAgeMs`.
 */
export class RemoteKeySet implements KeySource {
  readonly #options: RemoteKeySetOptions;
  #local: JWTVerifyGetKey | null = null;
  #algorithms: readonly string[] = [];
  #attemptedAt = Number.NEGATIVE_INFINITY;
  #pending: Promise<void> | null = null;
  readonly #timer: NodeJS.Timeout;

  constructor(options: RemoteKeySetOptions) {
    this.#options = options;
    this.#timer = setInterval(() => {
      this.refresh().catch(() => {});
    }, options.maxAgeMs);
    this.#timer.unref();
  }

  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    if (this.#local === null) await this.refresh();
    try {
      return await this.#local!(header, token);
    } catch (error) {
      // A fetch already in flight is joined whatever the cooldown: the
      // tokens that arrive while it runs (a burst right after a rotation)
      // wait for it instead of being refused.
      if (error instanceof errors.JWKSNoMatchingKey && (this.#pending !== null || performance.now() - this.#attemptedAt >= this.#options.cooldownMs)) {
        await this.refresh().catch(() => {});
        return this.#local!(header, token);
      }
      throw error;
    }
  };

  algorithms = (): readonly string[] => this.#algorithms;

  /** Fetches the key set now (shared with any fetch in flight). Rejects when the fetch fails; the old keys stay. */
  refresh(): Promise<void> {
    this.#pending ??= this.#fetch().finally(() => {
      this.#pending = null;
    });
    return this.#pending;
  }

  async #fetch(): Promise<void> {
    this.#attemptedAt = performance.now();
    const { issuer, jwksUri, timeoutMs, onEvent } = this.#options;
    try {
      const response = await (this.#options.fetch ?? fetch)(jwksUri, {
        headers: { accept: 'application/jwk-set+json, application/json' },
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (response.status !== 200) throw new Error(`JWKS endpoint answered ${response.status}`);
      const text = await response.text();
      if (text.length > MAX_JWKS_BYTES) throw new Error('JWKS response is too large');
      const jwks = JSON.parse(text) as JSONWebKeySet;
      if (jwks === null || typeof jwks !== 'object' || !Array.isArray(jwks.keys)) throw new Error('JWKS response has no "keys" array');
      // Never trust private or symmetric material that a confused issuer publishes.
      const keys = jwks.keys.filter((key) => key && typeof key === 'object' && key.kty !== 'oct' && key.d === undefined);
      const local = createLocalJWKSet({ keys });
      this.#local = local;
      this.#algorithms = Object.freeze(algorithmsOf(keys));
      onEvent({ type: 'keys_refreshed', issuer, keyIds: keys.map((key) => key.kid ?? '(no kid)') });
    } catch (error) {
      onEvent({ type: 'keys_refresh_failed', issuer, error: (error as Error).message });
      throw error;
    }
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
