/**
 * Stable codes of `@palisade/ssrf`. The first group is what a URL check can
 * refuse for (`UrlCheckFailure.code`); the second is what `safeFetch` adds
 * on top. Codes are permanent: a retired code is never reused.
 */
export const SSRF_ERROR_CODES = {
  ERR_PALISADE_SSRF_INVALID_URL: 'The value is not an absolute URL written as scheme://host/..., is too long, or holds characters URL parsers disagree on.',
  ERR_PALISADE_SSRF_SCHEME_NOT_ALLOWED: 'The URL scheme is not in the allow-list (https only by default).',
  ERR_PALISADE_SSRF_USERINFO: 'The URL carries user information (user:password@).',
  ERR_PALISADE_SSRF_PORT_NOT_ALLOWED: 'The port is 0, not in allowPorts, or (without allowPorts) one of the Fetch standard\'s blocked ports.',
  ERR_PALISADE_SSRF_HOST_NOT_ALLOWED: 'The host is a localhost name, is in denyHosts, or is not in allowHosts.',
  ERR_PALISADE_SSRF_ADDRESS_NOT_ALLOWED: 'The host is, or resolves to, an address that is not public unicast (loopback, private, link-local, ...).',
  ERR_PALISADE_SSRF_UNRESOLVABLE: 'The host did not resolve: no such name, no address, a DNS failure or a DNS time-out.',
  ERR_PALISADE_SSRF_TOO_MANY_ADDRESSES: 'The host resolved to more addresses than maxAddresses.',
  ERR_PALISADE_SSRF_TOO_MANY_REDIRECTS: 'safeFetch: the server redirected more than maxRedirects times.',
  ERR_PALISADE_SSRF_BAD_REDIRECT: 'safeFetch: a redirect\'s Location is not a valid URL.',
  ERR_PALISADE_SSRF_CONNECTION_FAILED: 'safeFetch: the connection or TLS handshake failed, or the answer broke off.',
  ERR_PALISADE_SSRF_TIMEOUT: 'safeFetch: no complete answer within timeoutMs (redirects included).',
  ERR_PALISADE_SSRF_BODY_TOO_LARGE: 'safeFetch: the response body is larger than maxBytes.',
  ERR_PALISADE_SSRF_ABORTED: 'safeFetch: the caller\'s AbortSignal fired.',
} as const;

export type SsrfErrorCode = keyof typeof SSRF_ERROR_CODES;

/** The codes a URL check can refuse with: everything but the `safeFetch`-only codes. */
export type UrlCheckCode = Exclude<
  SsrfErrorCode,
  | 'ERR_PALISADE_SSRF_TOO_MANY_REDIRECTS'
  | 'ERR_PALISADE_SSRF_BAD_REDIRECT'
  | 'ERR_PALISADE_SSRF_CONNECTION_FAILED'
  | 'ERR_PALISADE_SSRF_TIMEOUT'
  | 'ERR_PALISADE_SSRF_BODY_TOO_LARGE'
  | 'ERR_PALISADE_SSRF_ABORTED'
>;

/**
 * What `safeFetch` rejects with. `message` says what was wrong and is safe
 * to log: it names the host and address, never the path, query or user
 * information of the URL.
 *
 * @example
 * ```ts
 * try {
 *   await safeFetch(hook.url, { method: 'POST', body });
 * } catch (error) {
 *   if (error instanceof SsrfError && error.code === 'ERR_PALISADE_SSRF_ADDRESS_NOT_ALLOWED') disableHook(hook);
 *   else throw error;
 * }
 * ```
 */
export class SsrfError extends Error {
  readonly code: SsrfErrorCode;

  constructor(code: SsrfErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SsrfError';
    this.code = code;
  }
}
