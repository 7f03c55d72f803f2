import type { Counter, CounterOptions, CounterResult, RateLimitStore, RateLimitStoreEvent } from '@palisade/rate-limit';

interface Entry {
  consumed: number;
  windowEnds: number;
  blockedUntil: number;
}

/**
 * A small in-memory `RateLimitStore` for unit tests: fixed windows, counts
 * keep growing past the limit (as rate-limiter-flexible does), `block`
 * refuses until it ends. `kind` can be set to `'redis'` to make the audit
 * guard ask the store about blocks, as it does with a shared store.
 */
export class FakeStore implements RateLimitStore {
  readonly kind: 'memory' | 'redis';
  readonly #entries = new Map<string, Entry>();
  /** Every consume, as `prefix:key`, for assertions. */
  readonly consumed: string[] = [];
  failing = false;

  constructor(kind: 'memory' | 'redis' = 'memory') {
    this.kind = kind;
  }

  counter(options: CounterOptions): Counter {
    const entries = this.#entries;
    const consumed = this.consumed;
    const entryFor = (key: string, create: boolean): Entry | null => {
      const id = `${options.keyPrefix}:${key}`;
      const now = Date.now();
      let entry = entries.get(id) ?? null;
      if (entry !== null && entry.windowEnds <= now && entry.blockedUntil <= now) {
        entries.delete(id);
        entry = null;
      }
      if (entry === null && create) {
        entry = { consumed: 0, windowEnds: now + options.durationMs, blockedUntil: 0 };
        entries.set(id, entry);
      }
      return entry;
    };
    const stateOf = (entry: Entry): CounterResult => {
      const now = Date.now();
      const blocked = entry.blockedUntil > now;
      const allowed = !blocked && entry.consumed <= options.points;
      return { allowed, remaining: allowed ? options.points - entry.consumed : 0, consumed: entry.consumed, resetMs: Math.max(0, (blocked ? entry.blockedUntil : entry.windowEnds) - now) };
    };
    const check = () => {
      if (this.failing) throw new Error('store unavailable');
    };
    return {
      options,
      async consume(key: string, cost = 1) {
        check();
        consumed.push(`${options.keyPrefix}:${key}`);
        const entry = entryFor(key, true)!;
        if (entry.windowEnds <= Date.now()) {
          entry.consumed = 0;
          entry.windowEnds = Date.now() + options.durationMs;
        }
        entry.consumed += cost;
        return stateOf(entry);
      },
      async peek(key: string) {
        check();
        const entry = entryFor(key, false);
        return entry === null ? null : stateOf(entry);
      },
      async reset(key: string) {
        check();
        entries.delete(`${options.keyPrefix}:${key}`);
      },
      async block(key: string, durationMs: number) {
        check();
        const entry = entryFor(key, true)!;
        entry.blockedUntil = Date.now() + durationMs;
      },
    };
  }

  onEvent(_listener: (event: RateLimitStoreEvent) => void): void {}

  async close(): Promise<void> {}
}
