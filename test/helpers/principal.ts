import type { Principal } from '@palisade/core';

/**
 * A principal for tests that stand in for authentication: no token, no
 * step-up facts, just who the caller is and what it may do.
 */
export function testPrincipal(fields: Partial<Principal> & { readonly subject: string | null }): Principal {
  return { clientId: null, scopes: new Set(), claims: {}, method: 'custom', issuer: null, tokenId: null, acr: null, amr: [], authTime: null, expiresAt: null, ...fields };
}
