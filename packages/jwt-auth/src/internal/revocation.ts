import type { Principal } from '@palisade/core';

/**
 * A denylist of revoked tokens (by `jti`) and subjects ("log out
 * everywhere": every token of the subject issued before the revocation).
 * Checks are synchronous lookups in local memory; a shared store keeps
 * that memory in step across instances.
 */
export interface RevocationList {
  /** Revokes one token until it would have expired anyway. */
  revokeToken(tokenId: string, expiresAt: Date): Promise<void>;
  /** Revokes every token of `subject` issued before now. */
  revokeSubject(subject: string): Promise<void>;
  isRevoked(principal: Principal): boolean;
  /** Called with each revocation as it arrives (from this or another instance). */
  onRevocation(listener: (revocation: Revocation) => void): void;
  close(): Promise<void>;
}

export type Revocation = { readonly kind: 'token'; readonly tokenId: string; readonly until: number } | { readonly kind: 'subject'; readonly subject: string; readonly at: number };

/** In-process memory: the default, right for a single instance. */
export class MemoryRevocationList implements RevocationList {
  protected readonly tokens = new Map<string, number>();
  protected readonly subjects = new Map<string, number>();
  readonly #listeners: ((revocation: Revocation) => void)[] = [];
  readonly #sweep: NodeJS.Timeout;

  constructor() {
    this.#sweep = setInterval(() => {
      const now = Date.now();
      for (const [tokenId, until] of this.tokens) if (until <= now) this.tokens.delete(tokenId);
    }, 60_000);
    this.#sweep.unref();
  }

  async revokeToken(tokenId: string, expiresAt: Date): Promise<void> {
    this.apply({ kind: 'token', tokenId, until: expiresAt.getTime() });
  }

  async revokeSubject(subject: string): Promise<void> {
    this.apply({ kind: 'subject', subject, at: Date.now() });
  }

  /** Records a revocation locally and tells the listeners. */
  protected apply(revocation: Revocation): void {
    if (revocation.kind === 'token') this.tokens.set(revocation.tokenId, Math.max(revocation.until, this.tokens.get(revocation.tokenId) ?? 0));
    else this.subjects.set(revocation.subject, Math.max(revocation.at, this.subjects.get(revocation.subject) ?? 0));
    for (const listener of this.#listeners) listener(revocation);
  }

  isRevoked(principal: Principal): boolean {
    if (principal.tokenId !== null && this.tokens.has(principal.tokenId)) return true;
    if (principal.subject !== null && this.subjects.size > 0) {
      const at = this.subjects.get(principal.subject);
      // `iat` has one-second resolution: a token issued in the same second
      // as the revocation is treated as revoked.
      const issuedAt = typeof principal.claims.iat === 'number' ? principal.claims.iat * 1000 : 0;
      if (at !== undefined && issuedAt <= at) return true;
    }
    return false;
  }

  onRevocation(listener: (revocation: Revocation) => void): void {
    this.#listeners.push(listener);
  }

  async close(): Promise<void> {
    clearInterval(this.#sweep);
  }
}

/** The subset of ioredis this list uses. */
export interface RedisLike {
  set(key: string, value: string, mode: 'PX', ttl: number): Promise<unknown>;
  set(key: string, value: string): Promise<unknown>;
  publish(channel: string, message: string): Promise<unknown>;
  // The exact SCAN form used, so that ioredis's overloaded `scan` is assignable (a rest-args signature is not).
  scan(cursor: string, matchToken: 'MATCH', pattern: string, countToken: 'COUNT', count: number): Promise<[string, string[]]>;
  mget(...keys: string[]): Promise<(string | null)[]>;
  duplicate(): RedisLike & { subscribe(channel: string): Promise<unknown>; on(event: 'message', listener: (channel: string, message: string) => void): unknown; quit(): Promise<unknown> };
}

/**
 * Revocations kept in Redis and mirrored in each instance's memory: a
 * revocation is written to Redis (so instances started later load it) and
 * published, so every running instance applies it at once. Checks stay
 * local lookups.
 */
export class RedisRevocationList extends MemoryRevocationList {
  readonly #redis: RedisLike;
  readonly #prefix: string;
  #subscriber: ReturnType<RedisLike['duplicate']> | null = null;

  private constructor(redis: RedisLike, prefix: string) {
    super();
    this.#redis = redis;
    this.#prefix = prefix;
  }

  static async connect(redis: RedisLike, prefix = 'palisade:revoked:'): Promise<RedisRevocationList> {
    const list = new RedisRevocationList(redis, prefix);
    await whenReady(redis);
    const subscriber = redis.duplicate();
    // Outages are the rate-limit store's and the audit trail's to report;
    // the subscriber reconnects by itself and must not crash the process.
    (subscriber as unknown as { on(event: 'error', listener: () => void): unknown }).on('error', () => {});
    await whenReady(subscriber);
    list.#subscriber = subscriber;
    subscriber.on('message', (_channel, message) => {
      const revocation = parseRevocation(message);
      if (revocation !== null) list.apply(revocation);
    });
    await subscriber.subscribe(`${prefix}events`);
    await list.#load();
    return list;
  }

  async #load(): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await this.#redis.scan(cursor, 'MATCH', `${this.#prefix}*`, 'COUNT', 500);
      cursor = next;
      const tokenKeys = keys.filter((key) => key !== `${this.#prefix}events`);
      if (tokenKeys.length === 0) continue;
      const values = await this.#redis.mget(...tokenKeys);
      tokenKeys.forEach((key, index) => {
        const revocation = parseRevocation(values[index] ?? '');
        if (revocation !== null) this.apply(revocation);
        void key;
      });
    } while (cursor !== '0');
  }

  override async revokeToken(tokenId: string, expiresAt: Date): Promise<void> {
    const revocation: Revocation = { kind: 'token', tokenId, until: expiresAt.getTime() };
    const ttl = Math.max(1000, revocation.until - Date.now());
    await this.#redis.set(`${this.#prefix}jti:${tokenId}`, JSON.stringify(revocation), 'PX', ttl);
    await this.#redis.publish(`${this.#prefix}events`, JSON.stringify(revocation));
    this.apply(revocation);
  }

  override async revokeSubject(subject: string): Promise<void> {
    const revocation: Revocation = { kind: 'subject', subject, at: Date.now() };
    await this.#redis.set(`${this.#prefix}sub:${subject}`, JSON.stringify(revocation));
    await this.#redis.publish(`${this.#prefix}events`, JSON.stringify(revocation));
    this.apply(revocation);
  }

  override async close(): Promise<void> {
    await super.close();
    await this.#subscriber?.quit();
  }
}

// Clients made with `enableOfflineQueue: false` (as they should be, so an
// outage fails fast) refuse commands until connected: wait, bounded.
async function whenReady(client: unknown, timeoutMs = 5000): Promise<void> {
  const redis = client as { status?: string; once?: (event: string, listener: () => void) => unknown };
  if (redis.status === undefined || redis.status === 'ready' || typeof redis.once !== 'function') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Redis did not become ready within ${timeoutMs} ms`)), timeoutMs);
    redis.once!('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function parseRevocation(text: string): Revocation | null {
  try {
    const value = JSON.parse(text) as Revocation;
    if (value.kind === 'token' && typeof value.tokenId === 'string' && typeof value.until === 'number') return value;
    if (value.kind === 'subject' && typeof value.subject === 'string' && typeof value.at === 'number') return value;
  } catch {
    // A foreign value under our prefix: ignore it rather than trust it.
  }
  return null;
}
