import type { HeaderInstruction } from './security-headers';

export interface CorsOptions {
  /** Exact origins (`https://shop.example`) allowed to read responses. No wildcards. */
  readonly origins: readonly string[];
  /** Request headers a preflight may allow. Default: Authorization, Content-Type, DPoP, X-Request-Id. */
  readonly allowHeaders?: readonly string[];
  /** Response headers scripts may read. Default: X-Request-Id, Retry-After, RateLimit, RateLimit-Policy, WWW-Authenticate. */
  readonly exposeHeaders?: readonly string[];
  /** Preflight cache lifetime in seconds. Default 600. */
  readonly maxAge?: number;
  /** Send `Access-Control-Allow-Credentials: true`. Default false. */
  readonly credentials?: boolean;
}

/** CORS decisions for an allow-list of origins, with header values built once. */
export class CorsPolicy {
  readonly #origins: ReadonlySet<string>;
  readonly #simple: readonly HeaderInstruction[];
  readonly #preflight: readonly HeaderInstruction[];

  constructor(options: CorsOptions) {
    this.#origins = new Set(options.origins);
    const expose = options.exposeHeaders ?? ['X-Request-Id', 'Retry-After', 'RateLimit', 'RateLimit-Policy', 'WWW-Authenticate'];
    const simple: HeaderInstruction[] = [];
    if (expose.length > 0) simple.push(['access-control-expose-headers', expose.join(', ')]);
    if (options.credentials === true) simple.push(['access-control-allow-credentials', 'true']);
    this.#simple = simple;
    this.#preflight = [
      ...simple,
      ['access-control-allow-headers', (options.allowHeaders ?? ['Authorization', 'Content-Type', 'DPoP', 'X-Request-Id']).join(', ')],
      ['access-control-max-age', String(options.maxAge ?? 600)],
    ];
  }

  /** The origin to echo, when the request carries an allowed one; else null. */
  allowedOrigin(origin: string | string[] | undefined): string | null {
    return typeof origin === 'string' && this.#origins.has(origin) ? origin : null;
  }

  /** Headers for an actual (non-preflight) response to an allowed origin. */
  get simpleHeaders(): readonly HeaderInstruction[] {
    return this.#simple;
  }

  /** Headers for a preflight answer to an allowed origin. */
  get preflightHeaders(): readonly HeaderInstruction[] {
    return this.#preflight;
  }
}

/** Checks one origin string: scheme, host, optional port, nothing else. */
export function isExactOrigin(origin: string): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === origin && !origin.includes('*');
  } catch {
    return false;
  }
}
