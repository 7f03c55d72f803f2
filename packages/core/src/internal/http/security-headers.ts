import helmet from 'helmet';

/** A header to set (`value` string) or remove (`value` null) on every response. */
export type HeaderInstruction = readonly [name: string, value: string | null];

export interface SecurityHeadersOptions {
  /** `Strict-Transport-Security` max-age in seconds. Default one year. */
  readonly hstsMaxAge?: number;
  readonly hstsIncludeSubDomains?: boolean;
  readonly hstsPreload?: boolean;
}

/**
 * Runs helmet once with an API profile and records what it would set, so
 * that each response only copies a precomputed list: an API serves no
 * documents, so its CSP allows nothing and no one may frame it, other
 * origins may not embed its responses (CORP), and responses carrying user
 * data must not be cached.
 */
export function computeSecurityHeaders(options: SecurityHeadersOptions = {}): readonly HeaderInstruction[] {
  const instructions: HeaderInstruction[] = [];
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      instructions.push([name.toLowerCase(), Array.isArray(value) ? value.join(', ') : String(value)]);
    },
    removeHeader(name: string) {
      instructions.push([name.toLowerCase(), null]);
    },
  };
  const middleware = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    strictTransportSecurity: {
      maxAge: options.hstsMaxAge ?? 31_536_000,
      includeSubDomains: options.hstsIncludeSubDomains ?? true,
      preload: options.hstsPreload ?? false,
    },
    referrerPolicy: { policy: 'no-referrer' },
    xFrameOptions: { action: 'deny' },
    xPoweredBy: true,
    // Headers that only steer how a browser treats an HTML document
    // (process isolation, DNS prefetching, downloads, Flash/PDF policy
    // files, the retired XSS auditor) do nothing for JSON: leaving them
    // out keeps every response, and its cost, to what protects an API
    // (OWASP REST Security Cheat Sheet, "Security headers").
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
  });
  let called = false;
  middleware({} as never, recorder as never, () => {
    called = true;
  });
  // helmet is synchronous today; if that ever changes we want to know at
  // start-up, not serve responses without headers.
  if (!called) throw new Error('helmet did not finish synchronously; Palisade cannot precompute security headers');
  instructions.push(['cache-control', 'no-store']);
  return Object.freeze(instructions);
}
