import { PalisadeConfigError } from '@palisade/core';
import { createRateLimiter, createRateLimitStore, type RateLimitWarning } from '@palisade/rate-limit';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { engineWith, ordersDocument, send, sleep } from './support/harness';

describe('the memory store', () => {
  it('is the default, of kind memory', () => {
    expect(createRateLimitStore().kind).toBe('memory');
    expect(createRateLimiter().store.kind).toBe('memory');
  });

  it('counts, refuses over the limit, and reports what is left', async () => {
    const counter = createRateLimitStore().counter({ keyPrefix: 'test', points: 3, durationMs: 60_000 });
    expect(await counter.consume('k')).toMatchObject({ allowed: true, remaining: 2, consumed: 1 });
    expect(await counter.consume('k', 2)).toMatchObject({ allowed: true, remaining: 0, consumed: 3 });
    const refused = await counter.consume('k');
    expect(refused).toMatchObject({ allowed: false, remaining: 0, consumed: 4 });
    expect(refused.resetMs).toBeGreaterThan(59_000);
    expect(refused.resetMs).toBeLessThanOrEqual(60_000);
    expect(await counter.consume('other')).toMatchObject({ allowed: true, consumed: 1 });
  });

  it('answers consumeSync exactly as consume, blocks included (property)', async () => {
    const step = fc.record({ key: fc.constantFrom('a', 'b'), cost: fc.integer({ min: 1, max: 3 }), op: fc.constantFrom('consume', 'consume', 'consume', 'refund', 'reset') });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 5 }), fc.constantFrom(0, 30_000), fc.array(step, { maxLength: 40 }), async (points, blockDurationMs, steps) => {
        const options = { keyPrefix: 'same', points, durationMs: 60_000, blockDurationMs };
        const viaPromise = createRateLimitStore().counter(options);
        const viaSync = createRateLimitStore().counter(options);
        expect(viaSync.consumeSync).toBeTypeOf('function');
        for (const { key, cost, op } of steps) {
          if (op === 'consume') {
            const expected = await viaPromise.consume(key, cost);
            const actual = viaSync.consumeSync!(key, cost);
            expect({ ...actual, resetMs: 0 }).toEqual({ ...expected, resetMs: 0 });
            // Same window or block, give or take the milliseconds between the two calls.
            expect(Math.abs(actual.resetMs - expected.resetMs)).toBeLessThan(1000);
          } else if (op === 'refund') {
            await viaPromise.refund!(key, cost);
            await viaSync.refund!(key, cost);
          } else {
            await viaPromise.reset(key);
            await viaSync.reset(key);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('peeks without consuming, resets, blocks and refunds', async () => {
    const counter = createRateLimitStore().counter({ keyPrefix: 'test', points: 2, durationMs: 60_000 });
    expect(await counter.peek('k')).toBeNull();
    await counter.consume('k');
    expect(await counter.peek('k')).toMatchObject({ allowed: true, consumed: 1, remaining: 1 });
    expect(await counter.peek('k')).toMatchObject({ consumed: 1 });
    await counter.refund!('k');
    expect(await counter.peek('k')).toMatchObject({ consumed: 0 });
    await counter.block('k', 5000);
    const blocked = await counter.peek('k');
    expect(blocked).toMatchObject({ allowed: false });
    expect(blocked!.resetMs).toBeGreaterThan(4000);
    expect((await counter.consume('k')).allowed).toBe(false);
    await counter.reset('k');
    expect(await counter.peek('k')).toBeNull();
    expect((await counter.consume('k')).allowed).toBe(true);
  });

  it('blocks for blockDurationMs once the points are spent', async () => {
    const counter = createRateLimitStore().counter({ keyPrefix: 'test', points: 1, durationMs: 100, blockDurationMs: 400 });
    await counter.consume('k');
    expect((await counter.consume('k')).allowed).toBe(false);
    await sleep(200);
    expect((await counter.consume('k')).allowed).toBe(false);
    await sleep(300);
    expect((await counter.consume('k')).allowed).toBe(true);
  });

  it('gives the same counter for the same options, and refuses one prefix with other settings', () => {
    const store = createRateLimitStore();
    const counter = store.counter({ keyPrefix: 'bola', points: 10, durationMs: 60_000 });
    expect(store.counter({ keyPrefix: 'bola', points: 10, durationMs: 60_000 })).toBe(counter);
    expect(() => store.counter({ keyPrefix: 'bola', points: 5, durationMs: 60_000 })).toThrow(/already used by a counter with other settings/);
  });

  it('checks counter options', () => {
    const store = createRateLimitStore();
    expect(() => store.counter({ keyPrefix: '', points: 1, durationMs: 1 })).toThrow(PalisadeConfigError);
    expect(() => store.counter({ keyPrefix: 'x', points: 0.5, durationMs: 1 })).toThrow(/points/);
    expect(() => store.counter({ keyPrefix: 'x', points: 1, durationMs: 0 })).toThrow(/durationMs/);
    expect(() => store.counter({ keyPrefix: 'x', points: 1, durationMs: 1, windowMs: 1 } as never)).toThrow(/unknown option "windowMs"/);
  });
});

describe('the memory store in production', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('warns once, when the first counter is made, naming the option to change', async () => {
    vi.stubEnv('NODE_ENV', 'production');
    const warnings: RateLimitWarning[] = [];
    const limiter = createRateLimiter({ anonymous: { limit: 5, window: '1m' }, onWarning: (warning) => warnings.push(warning) });
    expect(warnings).toHaveLength(0);
    const engine = await engineWith(ordersDocument(), [limiter]);
    await send(engine);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.code).toBe('memory_store_in_production');
    expect(warnings[0]!.message).toMatch(/createRateLimitStore\(\{ redis \}\)/);
  });

  it('uses process.emitWarning when no onWarning is given', () => {
    vi.stubEnv('NODE_ENV', 'production');
    const emit = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const store = createRateLimitStore();
      store.counter({ keyPrefix: 'a', points: 1, durationMs: 1000 });
      store.counter({ keyPrefix: 'b', points: 1, durationMs: 1000 });
      expect(emit).toHaveBeenCalledTimes(1);
      expect(emit.mock.calls[0]![1]).toMatchObject({ code: 'PALISADE_RATE_LIMIT_MEMORY_STORE' });
    } finally {
      emit.mockRestore();
    }
  });

  it('stays quiet outside production, and with Redis', () => {
    const onWarning = vi.fn();
    createRateLimitStore({ onWarning }).counter({ keyPrefix: 'a', points: 1, durationMs: 1000 });
    expect(onWarning).not.toHaveBeenCalled();
  });
});

describe('store options', () => {
  it('refuses unknown options with "did you mean"', () => {
    expect(() => createRateLimitStore({ reddis: {} } as never)).toThrow(/Did you mean "redis"/);
  });

  it('refuses a redis that is not an ioredis client', () => {
    expect(() => createRateLimitStore({ redis: { get: () => null } as never })).toThrow(/must be an ioredis client/);
  });

  it('says where a Redis client goes when it is passed as the options', () => {
    const fake = { status: 'ready', defineCommand: () => undefined, multi: () => undefined, on: () => undefined, removeListener: () => undefined };
    expect(() => createRateLimitStore(fake as never)).toThrow(/createRateLimitStore\(\{ redis: client \}\)/);
    expect(() => createRateLimiter({ store: fake as never })).toThrow(/store: createRateLimitStore\(\{ redis \}\)/);
  });

  it('refuses a bad timeout', () => {
    const fake = { status: 'ready', defineCommand: () => undefined, multi: () => undefined, on: () => undefined, removeListener: () => undefined };
    expect(() => createRateLimitStore({ redis: fake, timeout: 'soon' })).toThrow(/timeout must be a positive duration/);
  });

  it('says how to call it when the factory itself is passed an options function', () => {
    expect(() => createRateLimitStore((() => undefined) as never)).toThrow(/pass an options object/);
  });
});
