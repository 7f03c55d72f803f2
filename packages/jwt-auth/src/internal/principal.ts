import type { AuthenticationMethod, Principal } from '@palisade/core';

/** Builds the principal later guards and handlers read, from verified claims. */
export function principalFromClaims(claims: Record<string, unknown>, method: AuthenticationMethod): Principal {
  const scope = claims.scope ?? claims.scp;
  const scopes = new Set<string>(typeof scope === 'string' ? scope.split(' ').filter(Boolean) : Array.isArray(scope) ? scope.filter((entry): entry is string => typeof entry === 'string') : []);
  const amr = Array.isArray(claims.amr) ? claims.amr.filter((entry): entry is string => typeof entry === 'string') : [];
  return Object.freeze({
    subject: typeof claims.sub === 'string' ? claims.sub : null,
    clientId: typeof claims.client_id === 'string' ? claims.client_id : typeof claims.azp === 'string' ? claims.azp : null,
    scopes,
    claims: Object.freeze({ ...claims }),
    method,
    issuer: typeof claims.iss === 'string' ? claims.iss : null,
    tokenId: typeof claims.jti === 'string' ? claims.jti : null,
    acr: typeof claims.acr === 'string' ? claims.acr : null,
    amr: Object.freeze(amr),
    authTime: typeof claims.auth_time === 'number' ? claims.auth_time : null,
    expiresAt: typeof claims.exp === 'number' ? claims.exp : null,
  });
}
