import type { ClaimTest, Principal } from '@palisade/core';

/** A claim test compiled once: regexes built, paths split. */
export type CompiledClaimTest = (principal: Principal) => boolean;

/** Reads a claim by dotted path (`realm_access.roles`). */
function claimAt(claims: Readonly<Record<string, unknown>>, path: readonly string[]): unknown {
  let value: unknown = claims;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !Object.prototype.hasOwnProperty.call(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, index) => sameValue(item, b[index]));
  return false;
}

export function compileClaimTest(test: ClaimTest): CompiledClaimTest {
  const path = test.claim.split('.');
  switch (test.test) {
    case 'equals':
      return (principal) => sameValue(claimAt(principal.claims, path), test.value);
    case 'contains':
      // A list claim contains the value; a space-separated string claim
      // (as OAuth writes `scope`) contains it as a whole word.
      return (principal) => {
        const value = claimAt(principal.claims, path);
        if (Array.isArray(value)) return value.some((item) => sameValue(item, test.value));
        return typeof value === 'string' && typeof test.value === 'string' && value.split(' ').includes(test.value);
      };
    case 'matches': {
      // Anchored, so `matches: admin` does not pass `not-admin`.
      const pattern = new RegExp(`^(?:${String(test.value)})$`, 'u');
      return (principal) => {
        const value = claimAt(principal.claims, path);
        return typeof value === 'string' && pattern.test(value);
      };
    }
  }
}
