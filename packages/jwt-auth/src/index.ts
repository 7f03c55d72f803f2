/**
 * @palisade/jwt-auth: access-token authentication for Palisade. JWT access
 * tokens (RFC 9068) verified with jose against keys from OIDC discovery
 * (openid-client), a JWKS URL or static keys; opaque tokens by RFC 7662
 * introspection; DPoP (RFC 9449) and certificate binding (RFC 8705);
 * step-up (RFC 9470); revocation; API keys.
 */
export { createJwtAuthentication, checkStepUp, type JwtAuthentication, type JwtAuthenticationOptions, type IssuerOptions } from './jwt-authentication';
export { MemoryRevocationList, RedisRevocationList, type RevocationList, type Revocation, type RedisLike } from './internal/revocation';
export { hashApiKey, type ApiKeyEntry } from './internal/api-keys';
export type { KeySetEvent } from './internal/key-set';
export type { ProofReplayStore } from './internal/proof-of-possession';
