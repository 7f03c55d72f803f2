/**
 * @palisade/ssrf: server-side request forgery protection for URLs a
 * service receives and will later call (webhooks, import-by-URL). A URL
 * policy refuses schemes, user information, ports and every host that is,
 * or resolves to, a non-public address, however the address is spelled; a
 * guard applies it to the body fields `x-palisade-ssrf` names; and a fetch
 * helper calls such URLs pinned to the address it checked, re-checking
 * every redirect.
 */
export { createUrlPolicy, type UrlPolicy, type UrlPolicyOptions, type UrlCheckResult, type UrlCheckSuccess, type UrlCheckFailure, type Resolver } from './url-policy';
export { createSsrfGuard, type SsrfGuardOptions } from './ssrf-guard';
export { createSafeFetch, type SafeFetch, type SafeFetchOptions, type SafeFetchInit, type SafeFetchResponse } from './safe-fetch';
export { SsrfError, SSRF_ERROR_CODES, type SsrfErrorCode, type UrlCheckCode } from './ssrf-error';
