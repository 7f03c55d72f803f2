/**
 * The counting store behind every limit, quota, brute-force counter and
 * anomaly detector. One store is shared by every guard of a service (and,
 * with Redis, by every instance). Implemented in ./internal; this file is
 * the contract other packages (audit's anomaly detection) rely on.
 */

export interface CounterOptions {
  /** Namespaces this counter's keys (`login-user`, `bola`). */
  readonly keyPrefix: string;
  /** How many points a key may consume per window. */
  readonly points: number;
  /** The window, in milliseconds. */
  readonly durationMs: number;
  /** Once the points are spent, the key stays blocked this long (ms). Default: until the window ends. */
  readonly blockDurationMs?: number;
}

export interface CounterResult {
  /** False when this consumption went over the limit (or the key is blocked). */
  readonly allowed: boolean;
  /** Points left in the window (0 when refused). */
  readonly remaining: number;
  /** Points consumed in the window, this one included. */
  readonly consumed: number;
  /** Milliseconds until the window resets, or the block ends. */
  readonly resetMs: number;
}

export interface Counter {
  readonly options: CounterOptions;
  /** Consumes `cost` points (default 1) for `key`. */
  consume(key: string, cost?: number): Promise<CounterResult>;
  /**
   * `consume`, answered at once: present on counters that count in this
   * process (the memory store). A guard that uses it stays synchronous,
   * so the checks after it do not each wait a turn of the event loop.
   * Absent where a server must be asked (Redis): use `consume`.
   */
  readonly consumeSync?: (key: string, cost?: number) => CounterResult;
  /** Current state of `key` without consuming, or null when it has none. */
  peek(key: string): Promise<CounterResult | null>;
  /** Forgets `key` (a successful login resets its failures). */
  reset(key: string): Promise<void>;
  /** Blocks `key` for `durationMs`, whatever its count. */
  block(key: string, durationMs: number): Promise<void>;
  /**
   * Gives back `cost` points (default 1) that `consume` took for `key`
   * in its current window: a reservation whose request turned out not to
   * count (a quota counted on success, a login that did not fail).
   * Optional, since it came after the first version of this contract; the
   * stores of `createRateLimitStore` have it, and the rate limiter refuses
   * at start-up a store without it where it needs one.
   */
  refund?(key: string, cost?: number): Promise<void>;
}

export type RateLimitStoreEvent =
  | { readonly type: 'store_outage'; readonly store: 'redis'; readonly error: string }
  | { readonly type: 'store_recovered'; readonly store: 'redis' };

export interface RateLimitStore {
  /** `memory`, or `redis` (with an in-memory insurance limiter during outages). */
  readonly kind: 'memory' | 'redis';
  /** A counter with these settings; the same options give the same shared counts. */
  counter(options: CounterOptions): Counter;
  /** Outage and recovery of a Redis store. */
  onEvent(listener: (event: RateLimitStoreEvent) => void): void;
  close(): Promise<void>;
}
