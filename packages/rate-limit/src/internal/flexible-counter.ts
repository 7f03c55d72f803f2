import { RateLimiterRes } from 'rate-limiter-flexible';
import type { Counter, CounterOptions, CounterResult } from '../store';

/** The part of a rate-limiter-flexible limiter a counter uses. */
export interface FlexibleLimiter {
  consume(key: string, points?: number, options?: Record<string, unknown>): Promise<RateLimiterRes>;
  reward(key: string, points?: number, options?: Record<string, unknown>): Promise<RateLimiterRes>;
  get(key: string, options?: Record<string, unknown>): Promise<RateLimiterRes | null>;
  delete(key: string, options?: Record<string, unknown>): Promise<boolean>;
  block(key: string, secDuration: number, options?: Record<string, unknown>): Promise<RateLimiterRes>;
  /** `consume` without the promise, where the limiter counts in memory (see `MemoryLimiter`). */
  readonly consumeNow?: ((key: string, points: number) => RateLimiterRes) | undefined;
}

/**
 * Follows each call to a store that may fall back to its insurance
 * limiter. `begin` returns the object passed to rate-limiter-flexible as
 * the call's `options`, which it hands on to the insurance limiter
 * unchanged; that is how the store learns which calls Redis answered.
 */
export interface CallTracker {
  begin(): Record<string, unknown>;
  settled(call: Record<string, unknown>): void;
}

/**
 * A `Counter` over one rate-limiter-flexible limiter. Refusals are results
 * (`allowed: false`), not rejections; a rejection means the store failed.
 */
export class FlexibleCounter implements Counter {
  readonly options: CounterOptions;
  readonly #limiter: FlexibleLimiter;
  readonly #points: number;
  readonly #seconds: (ms: number) => number;
  readonly #tracker: CallTracker | null;
  readonly #allowed: (res: RateLimiterRes) => CounterResult;
  readonly consumeSync?: (key: string, cost?: number) => CounterResult;

  constructor(options: CounterOptions, limiter: FlexibleLimiter, seconds: (ms: number) => number, tracker: CallTracker | null) {
    this.options = options;
    this.#limiter = limiter;
    this.#points = options.points;
    this.#seconds = seconds;
    this.#tracker = tracker;
    const points = options.points;
    this.#allowed = (res) => allowed(res, points);
    const consumeNow = limiter.consumeNow;
    if (consumeNow !== undefined && tracker === null) {
      this.consumeSync = (key, cost = 1) => {
        const res = consumeNow(key, cost);
        return res.consumedPoints > points ? refusedResult(res) : allowed(res, points);
      };
    }
  }

  consume(key: string, cost = 1): Promise<CounterResult> {
    const tracker = this.#tracker;
    if (tracker === null) return this.#limiter.consume(key, cost).then(this.#allowed, refused);
    const call = tracker.begin();
    return this.#limiter.consume(key, cost, call).then(
      (res) => {
        tracker.settled(call);
        return allowed(res, this.#points);
      },
      (error: unknown) => {
        // A refusal is an answer (from Redis or the insurance); a failure is not.
        if (error instanceof RateLimiterRes) tracker.settled(call);
        return refused(error);
      },
    );
  }

  async peek(key: string): Promise<CounterResult | null> {
    const call = this.#tracker?.begin();
    const res = await this.#limiter.get(key, call);
    if (call) this.#tracker!.settled(call);
    // A record whose time is up may linger until its timer fires.
    if (res === null || res.msBeforeNext <= 0) return null;
    const consumed = res.consumedPoints;
    return { allowed: consumed <= this.#points, remaining: Math.max(0, this.#points - consumed), consumed, resetMs: res.msBeforeNext };
  }

  async reset(key: string): Promise<void> {
    const call = this.#tracker?.begin();
    await this.#limiter.delete(key, call);
    if (call) this.#tracker!.settled(call);
  }

  async block(key: string, durationMs: number): Promise<void> {
    const call = this.#tracker?.begin();
    await this.#limiter.block(key, this.#seconds(durationMs), call);
    if (call) this.#tracker!.settled(call);
  }

  async refund(key: string, cost = 1): Promise<void> {
    const call = this.#tracker?.begin();
    await this.#limiter.reward(key, cost, call);
    if (call) this.#tracker!.settled(call);
  }
}

function allowed(res: RateLimiterRes, points: number): CounterResult {
  return { allowed: true, remaining: Math.max(0, points - res.consumedPoints), consumed: res.consumedPoints, resetMs: Math.max(0, res.msBeforeNext) };
}

function refused(error: unknown): CounterResult {
  // rate-limiter-flexible rejects with its result when the points are
  // spent, and with an Error when the store failed (and no insurance
  // answered): that one must reach the guard, which fails closed.
  if (!(error instanceof RateLimiterRes)) throw error;
  return refusedResult(error);
}

function refusedResult(res: RateLimiterRes): CounterResult {
  return { allowed: false, remaining: 0, consumed: res.consumedPoints, resetMs: Math.max(0, res.msBeforeNext) };
}
