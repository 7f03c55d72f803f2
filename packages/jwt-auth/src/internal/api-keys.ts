import { createHash, timingSafeEqual } from 'node:crypto';
import { deny, type Denial, type Principal } from '@palisade/core';

export interface ApiKeyEntry {
  /** SHA-256 of the key, base64url (see `hashApiKey`). The key itself is never stored. */
  readonly hash: string;
  /** The client identity the key maps to. */
  readonly clientId: string;
  readonly scopes?: readonly string[];
}

/** SHA-256 of an API key, base64url: what `apiKeys[].hash` holds. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('base64url');
}

/**
 * API keys identify a client application; they do not authenticate a
 * user. Keys are compared by hash, in constant time, against every entry
 * (so timing does not tell how many characters matched, nor which entry).
 */
export class ApiKeyVerifier {
  readonly #entries: readonly { digest: Buffer; entry: ApiKeyEntry }[];

  constructor(entries: readonly ApiKeyEntry[]) {
    this.#entries = entries.map((entry) => ({ digest: Buffer.from(entry.hash, 'base64url'), entry }));
  }

  verify(key: string): Principal | Denial {
    if (key.length === 0 || key.length > 512) return deny('token_invalid', { privateDetail: 'API key of unusable length' });
    const digest = createHash('sha256').update(key, 'utf8').digest();
    let found: ApiKeyEntry | null = null;
    for (const candidate of this.#entries) {
      if (candidate.digest.length === digest.length && timingSafeEqual(candidate.digest, digest) && found === null) found = candidate.entry;
    }
    if (found === null) return deny('token_invalid', { privateDetail: 'unknown API key' });
    return Object.freeze({
      subject: null,
      clientId: found.clientId,
      scopes: new Set(found.scopes ?? []),
      claims: Object.freeze({ client_id: found.clientId }),
      method: 'api_key',
      issuer: null,
      tokenId: null,
      acr: null,
      amr: Object.freeze([]),
      authTime: null,
      expiresAt: null,
    });
  }
}
