import { PalisadeConfigError, createOptionsValidator, parseDuration } from '@palisade/core';
import { RLWrapperTimeouts, RateLimiterMemory, RateLimiterRedis, type IRateLimiterOptions, type RateLimiterRes } from 'rate-limiter-flexible';
import type { CounterOptions, RateLimitStore, RateLimitStoreEvent } from '../store';
import { FlexibleCounter, type CallTracker, type FlexibleLimiter } from './flexible-counter';
import { reportWarning, type RateLimitWarning } from './warnings';

/**
 * The ioredis client a Redis store needs (ioredis 5; structural, so this
 * package does not import ioredis). Create it so that commands fail fast
 * while Redis is away, e.g.
 * `new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })`.
 */
export interface RedisClientLike {
  /** ioredis' connection state; anything but `ready` sends counting to the insurance limiter at once. */
  readonly status: string;
  defineCommand(name: string, definition: { numberOfKeys?: number; lua: string }): void;
  multi(): unknown;
  on(event: 'error' | 'ready', listener: (error?: Error) => void): unknown;
  removeListener(event: 'error' | 'ready', listener: (error?: Error) => void): unknown;
}

export interface RateLimitStoreOptions {
  /**
   * An ioredis client: every counter lives in this Redis, shared by all
   * instances of the service. Omitted: counters live in process memory
   * (fine for one instance and for tests; warns once under
   * `NODE_ENV=production`). The store never closes the client: you do.
   */
  readonly redis?: RedisClientLike;
  /** Prefix of every Redis key (`<prefix>:<counter>:<key>`). Default `palisade`. */
  readonly prefix?: string;
  /**
   * How long a Redis call may take before the in-memory insurance limiter
   * answers instead: seconds, or a string such as `"500ms"`. Default `"500ms"`.
   */
  readonly timeout?: number | string;
  /** Receives warnings (the memory store in production). Default: `process.emitWarning`. */
  readonly onWarning?: (warning: RateLimitWarning) => void;
}

const durationOption = {
  anyOf: [{ type: 'number', exclusiveMinimum: 0 }, { type: 'string', minLength: 1 }],
  errorMessage: 'must be a duration: seconds (0.5) or a string such as "500ms", "2s"',
};

const assertStoreOptions: (options: unknown) => asserts options is RateLimitStoreOptions = createOptionsValidator<RateLimitStoreOptions>('createRateLimitStore', {
  type: 'object',
  additionalProperties: false,
  properties: {
    redis: { jsType: 'object' },
    prefix: { type: 'string', pattern: '^[A-Za-z0-9_.:{}-]{1,64}$', errorMessage: 'must be 1 to 64 characters of A-Z a-z 0-9 _ . : { } -' },
    timeout: durationOption,
    onWarning: { jsType: 'function' },
  },
});

const assertCounterOptions: (options: unknown) => asserts options is CounterOptions = createOptionsValidator<CounterOptions>('RateLimitStore.counter', {
  type: 'object',
  additionalProperties: false,
  required: ['keyPrefix', 'points', 'durationMs'],
  properties: {
    keyPrefix: { type: 'string', pattern: '^[^\\u0000-\\u001f\\u007f]{1,512}$', errorMessage: 'must be 1 to 512 characters, no control characters' },
    points: { type: 'integer', minimum: 1 },
    durationMs: { type: 'number', exclusiveMinimum: 0 },
    blockDurationMs: { type: 'number', minimum: 0 },
  },
});

const DEFAULT_TIMEOUT_MS = 500;

/**
 * Creates the store every limit, quota, brute-force counter (and audit's
 * anomaly detectors) count in.
 *
 * - **Memory** (default): rate-limiter-flexible's `RateLimiterMemory`.
 *   Counts are per process and lost on restart. Under
 *   `NODE_ENV=production` it warns once, when the first counter is made,
 *   since several instances would each allow the whole limit.
 * - **Redis** (`{ redis }`): `RateLimiterRedis`, so every instance shares
 *   every counter. Each counter carries an in-memory insurance limiter: if
 *   Redis fails, times out (`timeout`) or is not connected, that instance
 *   keeps counting in memory, so limits stay in force (per instance) and
 *   the outage never opens the gate. The first call answered by the
 *   insurance emits `store_outage`; the first one Redis answers again
 *   emits `store_recovered`. Redis counts in whole seconds: windows and
 *   blocks are rounded up to the next second.
 *
 * @example
 * ```ts
 * import Redis from 'ioredis';
 * const store = createRateLimitStore({ redis: new Redis(process.env.REDIS_URL!, { enableOfflineQueue: false, maxRetriesPerRequest: 1 }) });
 * store.onEvent((event) => logger.warn(event));
 * ```
 * @throws PalisadeConfigError for invalid options, or a `redis` that is not an ioredis client.
 */
export function createRateLimitStore(options: RateLimitStoreOptions = {}): RateLimitStore {
  if (typeof options === 'function') {
    throw new PalisadeConfigError('ERR_PALISADE_MISUSE', 'createRateLimitStore received a function; pass an options object: createRateLimitStore({ redis: new Redis(url) }), or nothing for memory.', { path: '(options)' });
  }
  if (options !== null && typeof options === 'object' && typeof (options as { defineCommand?: unknown }).defineCommand === 'function') {
    throw new PalisadeConfigError('ERR_PALISADE_MISUSE', 'createRateLimitStore received a Redis client as its options; pass it as redis: createRateLimitStore({ redis: client }).', { path: '(options)', fix: 'createRateLimitStore({ redis: client })' });
  }
  assertStoreOptions(options);
  const onWarning = options.onWarning ?? null;
  if (options.redis === undefined) return new FlexibleStore(null, '', 0, onWarning);
  const redis = options.redis;
  if (typeof (redis as { defineCommand?: unknown }).defineCommand !== 'function' || typeof redis.status !== 'string' || typeof redis.on !== 'function') {
    throw new PalisadeConfigError('ERR_PALISADE_INVALID_OPTIONS', 'createRateLimitStore received invalid options:\n  - redis: must be an ioredis client (ioredis 5)', {
      path: 'redis',
      received: redis,
      fix: 'Pass new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 }) from ioredis.',
    });
  }
  const timeoutMs = options.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseDuration(options.timeout, 'timeout');
  return new FlexibleStore(redis, options.prefix ?? 'palisade', timeoutMs, onWarning);
}

class FlexibleStore implements RateLimitStore {
  readonly kind: 'memory' | 'redis';
  readonly #redis: RedisClientLike | null;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #onWarning: ((warning: RateLimitWarning) => void) | null;
  readonly #counters = new Map<string, FlexibleCounter>();
  readonly #listeners: ((event: RateLimitStoreEvent) => void)[] = [];
  readonly #health: RedisHealth | null;
  #warned = false;

  constructor(redis: RedisClientLike | null, prefix: string, timeoutMs: number, onWarning: ((warning: RateLimitWarning) => void) | null) {
    this.kind = redis === null ? 'memory' : 'redis';
    this.#redis = redis;
    this.#prefix = prefix;
    this.#timeoutMs = timeoutMs;
    this.#onWarning = onWarning;
    this.#health = redis === null ? null : new RedisHealth(redis, timeoutMs, (event) => this.#emit(event));
  }

  counter(options: CounterOptions): FlexibleCounter {
    assertCounterOptions(options);
    const existing = this.#counters.get(options.keyPrefix);
    if (existing !== undefined) {
      const known = existing.options;
      if (known.points === options.points && known.durationMs === options.durationMs && (known.blockDurationMs ?? 0) === (options.blockDurationMs ?? 0)) return existing;
      throw new PalisadeConfigError('ERR_PALISADE_MISUSE', `RateLimitStore.counter: keyPrefix "${options.keyPrefix}" is already used by a counter with other settings (${known.points} per ${known.durationMs} ms); two counters with one prefix would count in each other's keys.`, {
        path: 'keyPrefix',
        received: options.keyPrefix,
        fix: 'Give each counter its own keyPrefix.',
      });
    }
    if (this.#redis === null) this.#warnInProduction();
    const frozen: CounterOptions = Object.freeze({ ...options });
    const counter = this.#redis === null ? this.#memoryCounter(frozen) : this.#redisCounter(frozen, this.#redis, this.#health!);
    this.#counters.set(options.keyPrefix, counter);
    return counter;
  }

  #memoryCounter(options: CounterOptions): FlexibleCounter {
    // rate-limiter-flexible counts in seconds; memory takes fractions.
    const limiter = new MemoryLimiter(flexibleOptions(options, options.keyPrefix, (ms) => ms / 1000));
    return new FlexibleCounter(options, limiter as unknown as FlexibleLimiter, (ms) => ms / 1000, null);
  }

  #redisCounter(options: CounterOptions, redis: RedisClientLike, health: RedisHealth): FlexibleCounter {
    // Redis expires keys in whole seconds (and a 0 would mean "never").
    const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
    const keyPrefix = `${this.#prefix}:${options.keyPrefix}`;
    const settings = flexibleOptions(options, keyPrefix, seconds);
    const insurance = new InsuranceLimiter(settings, health);
    // The timeout wrapper owns the insurance, so a Redis error and a Redis
    // that does not answer both land there, once.
    const redisLimiter = new RateLimiterRedis({ ...settings, storeClient: redis, rejectIfRedisNotReady: true });
    const limiter = new RLWrapperTimeouts({ limiter: redisLimiter, timeoutMs: this.#timeoutMs, insuranceLimiter: insurance, blockDuration: settings.blockDuration, keyPrefix });
    return new FlexibleCounter(options, limiter as unknown as FlexibleLimiter, seconds, health);
  }

  #warnInProduction(): void {
    if (this.#warned || process.env.NODE_ENV !== 'production') return;
    this.#warned = true;
    reportWarning(this.#onWarning, {
      code: 'memory_store_in_production',
      message:
        '@palisade/rate-limit keeps its counters in process memory while NODE_ENV=production: each instance allows the whole limit on its own, and a restart forgets every block. Share them in Redis: createRateLimiter({ store: createRateLimitStore({ redis }) }).',
    });
  }

  onEvent(listener: (event: RateLimitStoreEvent) => void): void {
    this.#listeners.push(listener);
  }

  #emit(event: RateLimitStoreEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure must not reach the request being counted.
      }
    }
  }

  async close(): Promise<void> {
    this.#health?.close();
    this.#counters.clear();
  }
}

function flexibleOptions(options: CounterOptions, keyPrefix: string, seconds: (ms: number) => number): IRateLimiterOptions {
  return {
    keyPrefix,
    points: options.points,
    duration: seconds(options.durationMs),
    blockDuration: options.blockDurationMs ? seconds(options.blockDurationMs) : 0,
  };
}

const INSURED = 'palisadeInsured';
const SEQUENCE = 'palisadeSequence';

/**
 * Tells outages from recoveries. The insurance limiter marks each call it
 * answers; a call Redis answered, started after the outage was noticed,
 * ends it. (A call that started before could still be in flight from the
 * old connection and would report a recovery too early.)
 */
class RedisHealth implements CallTracker {
  readonly #redis: RedisClientLike;
  readonly #timeoutMs: number;
  readonly #emit: (event: RateLimitStoreEvent) => void;
  readonly #onError: (error?: Error) => void;
  #sequence = 0;
  #outageSince = -1;
  #lastError: string | null = null;

  constructor(redis: RedisClientLike, timeoutMs: number, emit: (event: RateLimitStoreEvent) => void) {
    this.#redis = redis;
    this.#timeoutMs = timeoutMs;
    this.#emit = emit;
    // Also keeps ioredis from printing "Unhandled error event" for every
    // failed reconnection.
    this.#onError = (error) => {
      this.#lastError = error?.message ?? 'unknown error';
    };
    redis.on('error', this.#onError);
  }

  begin(): Record<string, unknown> {
    return { [SEQUENCE]: ++this.#sequence, [INSURED]: false };
  }

  insured(call: Record<string, unknown> | undefined): void {
    if (call !== undefined) call[INSURED] = true;
    if (this.#outageSince >= 0) return;
    this.#outageSince = this.#sequence;
    const status = this.#redis.status;
    const error =
      status === 'ready'
        ? `Redis failed or did not answer within ${this.#timeoutMs} ms${this.#lastError ? ` (last error: ${this.#lastError})` : ''}`
        : `Redis connection is ${status}${this.#lastError ? `: ${this.#lastError}` : ''}`;
    this.#emit({ type: 'store_outage', store: 'redis', error });
  }

  settled(call: Record<string, unknown>): void {
    if (this.#outageSince < 0 || call[INSURED] === true || (call[SEQUENCE] as number) <= this.#outageSince) return;
    this.#outageSince = -1;
    this.#lastError = null;
    this.#emit({ type: 'store_recovered', store: 'redis' });
  }

  close(): void {
    this.#redis.removeListener('error', this.#onError);
  }
}

/** The in-memory limiter that answers while Redis cannot; it reports each call it answers. */
class InsuranceLimiter extends RateLimiterMemory {
  readonly #health: RedisHealth;

  constructor(options: IRateLimiterOptions, health: RedisHealth) {
    super(options);
    this.#health = health;
  }

  override consume(key: string | number, points?: number, options?: Record<string, unknown>): Promise<RateLimiterRes> {
    this.#health.insured(options);
    return super.consume(key, points, options);
  }

  override reward(key: string | number, points?: number, options?: Record<string, unknown>): Promise<RateLimiterRes> {
    this.#health.insured(options);
    return super.reward(key, points, options);
  }

  override get(key: string | number, options?: Record<string, unknown>): Promise<RateLimiterRes | null> {
    this.#health.insured(options);
    return super.get(key, options);
  }

  override delete(key: string | number, options?: Record<string, unknown>): Promise<boolean> {
    this.#health.insured(options);
    return super.delete(key, options);
  }

  override block(key: string | number, secDuration: number, options?: Record<string, unknown>): Promise<RateLimiterRes> {
    this.#health.insured(options);
    return super.block(key, secDuration, options);
  }
}

/** The part of rate-limiter-flexible's memory storage `MemoryLimiter` uses. */
interface MemoryStorageLike {
  incrby(key: string, value: number, durationSec: number): RateLimiterRes;
  set(key: string, value: number, durationSec: number): RateLimiterRes;
}

/**
 * rate-limiter-flexible's memory limiter, which can also answer at once.
 * Its storage is synchronous; only its API wraps each answer in a promise,
 * and one promise per request makes every later check of the chain wait a
 * turn of the event loop (measured: about 3 µs a request). `consumeNow`
 * counts in the same storage under the same rules as `consume` (the
 * points count in the window; the first consumption over them starts the
 * block, when there is one). Should a later rate-limiter-flexible keep its
 * storage elsewhere, `consumeNow` is absent and counting stays
 * asynchronous, never wrong.
 */
class MemoryLimiter extends RateLimiterMemory {
  readonly consumeNow: ((key: string, points: number) => RateLimiterRes) | undefined;

  constructor(options: IRateLimiterOptions) {
    super(options);
    const storage = (this as unknown as { _memoryStorage?: Partial<MemoryStorageLike> })._memoryStorage;
    if (typeof storage?.incrby !== 'function' || typeof storage.set !== 'function') {
      this.consumeNow = undefined;
      return;
    }
    const known = storage as MemoryStorageLike;
    const limit = this.points;
    const window = this.duration;
    const blockDuration = this.blockDuration;
    this.consumeNow = (key, points) => {
      const storageKey = this.getKey(key);
      const res = known.incrby(storageKey, points, window);
      const consumed = res.consumedPoints;
      if (consumed > limit && blockDuration > 0 && consumed <= limit + points) return known.set(storageKey, consumed, blockDuration);
      return res;
    };
  }
}
