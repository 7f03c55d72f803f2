import type { Principal } from '@palisade/core';

interface CacheEntry {
  readonly principal: Principal;
  /** Milliseconds since the epoch after which the entry is never used. */
  readonly notAfter: number;
}

/**
 * Verified tokens, so a repeated token is not verified twice. Keyed by the
 * whole token string (no prefix, no `jti`: two tokens share an entry only
 * if they are the same token), bounded (oldest entries go first), and an
 * entry never outlives its token's `exp`.
 */
export class VerifiedTokenCache {
  readonly #entries = new Map<string, CacheEntry>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  get(token: string, now: number): Principal | null {
    // Off: not even the lookup (hashing a long token string is not free).
    if (this.#maxEntries === 0) return null;
    const entry = this.#entries.get(token);
    if (entry === undefined) return null;
    if (now >= entry.notAfter) {
      this.#entries.delete(token);
      return null;
    }
    return entry.principal;
  }

  set(token: string, principal: Principal, notAfter: number): void {
    if (this.#maxEntries === 0) return;
    if (this.#entries.size >= this.#maxEntries) {
      // Map iteration order is insertion order: the first key is the oldest.
      this.#entries.delete(this.#entries.keys().next().value!);
    }
    this.#entries.set(token, { principal, notAfter });
  }

  delete(token: string): void {
    this.#entries.delete(token);
  }

  /** Drops every entry of a subject or token id (on revocation). */
  dropWhere(predicate: (principal: Principal) => boolean): void {
    for (const [token, entry] of this.#entries) if (predicate(entry.principal)) this.#entries.delete(token);
  }

  get size(): number {
    return this.#entries.size;
  }
}
