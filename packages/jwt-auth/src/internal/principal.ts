import type { AuthenticationMethod, Principal } from '@palisade/core';

/**
 * Builds the principal later guards and handlers read, from verified
 * claims. The claims object becomes the principal's (frozen in place, not
 * copied): callers hand over a fresh object of their own.
 */
export function principalFromClaims(claims: Record<string, unknown>, method: AuthenticationMethod): Principal {
  return Object.freeze({
    subject: typeof claims.sub === 'string' ? claims.sub : null,
    clientId: typeof claims.client_id === 'string' ? claims.client_id : typeof claims.azp === 'string' ? claims.azp : null,
    scopes: scopesOf(claims.scope ?? claims.scp),
    claims: Object.freeze(claims),
    method,
    issuer: typeof claims.iss === 'string' ? claims.iss : null,
    tokenId: typeof claims.jti === 'string' ? claims.jti : null,
    acr: typeof claims.acr === 'string' ? claims.acr : null,
    amr: Object.freeze(Array.isArray(claims.amr) ? claims.amr.filter((entry): entry is string => typeof entry === 'string') : []),
    authTime: typeof claims.auth_time === 'number' ? claims.auth_time : null,
    expiresAt: typeof claims.exp === 'number' ? claims.exp : null,
  });
}

/** `scope` (RFC 8693 section 4.2: space-separated) or an `scp` array. */
function scopesOf(scope: unknown): Set<string> {
  const scopes = new Set<string>();
  if (typeof scope === 'string') {
    for (const entry of scope.split(' ')) if (entry !== '') scopes.add(entry);
  } else if (Array.isArray(scope)) {
    for (const entry of scope) if (typeof entry === 'string') scopes.add(entry);
  }
  return scopes;
}
