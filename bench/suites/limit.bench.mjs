// limit.*: the per-request cost of a rate-limit check.
//
// limit.memory: core + @palisade/rate-limit with its default memory store
//   (rate-limiter-flexible's RateLimiterMemory), an `anonymous` limit per
//   client address too high to refuse anything, on a public operation:
//   `engine.startRequest(view)` + `await engine.checkRequest(ctx)`, minus
//   the same on the same engine without the limiter: the guard's own cost,
//   as the peer's figure is its middleware's alone (the whole engine path
//   is printed as a note). Peer: express-rate-limit 8 with its
//   MemoryStore, its middleware called directly with a minimal request
//   and response, counting per address.
// limit.redis: the same engine with `createRateLimitStore({ redis })` on a
//   real redis-server (one round trip per check, awaited one at a time: a
//   latency figure). The figure with 64 checks in flight is a note. No
//   peer: express-rate-limit's Redis store (rate-limit-redis) is not a
//   dependency of the workspace.
//
// Both sides count the same 1,000 IPv4 client addresses in turn, so the
// counters are 1,000 keys rather than one hot key.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { rateLimit } from 'express-rate-limit';
import { loadCore, loadPalisadePackage } from '../lib/core.mjs';
import { measureAddedCost, measureAsyncInterleaved } from '../lib/measure.mjs';

const ADDRESSES = 1000;
// Far above what a run sends to one address in a window: nothing is refused.
const LIMIT = 1_000_000_000;
const WINDOW_MS = 60_000;
const BATCH = ADDRESSES;
const REDIS_BATCH = 100;
const IN_FLIGHT = 64;

const document = {
  openapi: '3.1.0',
  info: { title: 'bench', version: '1' },
  paths: { '/orders': { get: { operationId: 'listOrders', security: [], responses: { '200': { description: 'ok' } } } } },
};

/** 1,000 distinct public-looking IPv4 addresses, in a fixed order. */
function clientAddresses() {
  const seen = new Set();
  for (let i = 0; seen.size < ADDRESSES; i++) {
    seen.add(`${11 + ((i * 7) % 180)}.${(i * 37) % 256}.${(i * 101) % 256}.${1 + ((i * 13) % 254)}`);
  }
  return [...seen];
}

// What a browser-ish client sends; no Authorization, so the request is
// anonymous for sure and counted at admission.
const headers = { host: 'api.bench.example', 'user-agent': 'bench/1.0', accept: 'application/json' };

function viewFor(address) {
  return { method: 'GET', url: '/orders', headers, remoteAddress: address, readBody: null, peerCertificate: null };
}



async function warmUp(tasks, ms) {
  for (const task of Object.values(tasks)) {
    const until = performance.now() + ms * Math.min(1, Number(process.env.BENCH_TIME_SCALE ?? 1) || 1);
    do await task();
    while (performance.now() < until);
  }
}

/** Runs `count` checks through `engine`, cycling over `views` from `start`. */
async function checks(engine, views, start, count) {
  for (let i = 0; i < count; i++) {
    const ctx = engine.startRequest(views[(start + i) % views.length]);
    const reply = await engine.checkRequest(ctx);
    if (reply !== null) throw new Error(`bench: request refused (${ctx.denial?.reason}: ${ctx.denial?.privateDetail ?? ''})`);
  }
}

/** Each address's count in `counter`, which must be `expected` for all. */
async function expectCounts(counter, addresses, expected, label) {
  for (const address of addresses) {
    const state = await counter.peek(address);
    if (state === null || state.consumed !== expected) throw new Error(`bench: ${label} counted ${state?.consumed ?? 0} request(s) for ${address}, expected ${expected}`);
  }
}

const micro = (ns) => `${(ns / 1000).toFixed(2)} µs`;

export async function run() {
  const core = await loadCore();
  const { createRateLimiter, createRateLimitStore } = await loadPalisadePackage('rate-limit');
  const addresses = clientAddresses();
  const views = addresses.map(viewFor);
  const entries = [];

  // --- memory ---------------------------------------------------------------
  const limiter = createRateLimiter({ anonymous: { limit: LIMIT, window: '1m' } });
  const limited = await core.createPalisade({ document, guards: [limiter] });
  const bare = await core.createPalisade({ document });
  const counter = limiter.store.counter({ keyPrefix: 'rl:anonymous', points: LIMIT, durationMs: WINDOW_MS });

  const peerMiddleware = rateLimit({ windowMs: WINDOW_MS, limit: LIMIT, legacyHeaders: false, standardHeaders: false });
  // What the middleware reads of an Express request: ip (the key), app.get
  // ('trust proxy', for its one-time checks), headers, socket.
  const peerRequests = addresses.map((ip) => ({ ip, method: 'GET', url: '/orders', originalUrl: '/orders', headers, socket: { remoteAddress: ip }, app: { get: () => false } }));
  // Headers are off on both sides: Palisade sets RateLimit headers only on refusals.
  const peerResponse = { statusCode: 200, headersSent: false, writableEnded: false, setHeader() {}, once() {} };
  let passed = 0;
  const next = (error) => {
    if (error) throw error;
    passed++;
  };
  const peerChecks = async (start, count) => {
    for (let i = 0; i < count; i++) await peerMiddleware(peerRequests[(start + i) % ADDRESSES], peerResponse, next);
  };

  // Both count each address once per pass, and refuse nothing.
  for (let pass = 1; pass <= 2; pass++) {
    await checks(limited, views, 0, ADDRESSES);
    passed = 0;
    await peerChecks(0, ADDRESSES);
    if (passed !== ADDRESSES) throw new Error(`bench: express-rate-limit let ${passed} of ${ADDRESSES} requests through`);
    for (const request of peerRequests) {
      if (request.rateLimit?.used !== pass || request.rateLimit.key !== request.ip) throw new Error(`bench: express-rate-limit counted ${request.rateLimit?.used} for ${request.ip} (key ${request.rateLimit?.key}), expected ${pass}`);
    }
  }
  await expectCounts(counter, addresses, 2, 'Palisade');
  if (limited.startRequest(views[0]).clientAddress === null) throw new Error('bench: no client address');

  let cursor = 0;
  const memoryTasks = {
    palisade: async () => {
      const start = cursor;
      cursor = (cursor + 7) % ADDRESSES;
      await checks(limited, views, start, BATCH);
    },
    bare: async () => {
      const start = cursor;
      cursor = (cursor + 7) % ADDRESSES;
      await checks(bare, views, start, BATCH);
    },
    peer: async () => {
      const start = cursor;
      cursor = (cursor + 7) % ADDRESSES;
      await peerChecks(start, BATCH);
    },
  };
  await warmUp(memoryTasks, 300);
  const memory = await measureAsyncInterleaved(memoryTasks, { rounds: 8, time: 400, iterations: 20 });
  // The guard's own cost, from alternating short rounds of the two engines
  // (the median of per-round differences is steady where a difference of
  // two medians taken seconds apart is not).
  const added = await measureAddedCost({ baseline: memoryTasks.bare, palisade: memoryTasks.palisade }, { rounds: 200, callsPerRound: 1, warmupCalls: 5 });
  const wholeNs = memory.palisade / BATCH;
  const guardNs = Math.max(0, added.palisade / BATCH);
  const bareNs = added.baseline / BATCH;
  const peerNs = memory.peer / BATCH;
  entries.push({
    name: 'limit.memory',
    medianNs: guardNs,
    peer: 'express-rate-limit',
    peerMedianNs: peerNs,
    note: `the limiter guard's own cost (startRequest + checkRequest with it, minus the same engine without it: ${micro(bareNs)}), against express-rate-limit's middleware alone; the whole engine path with the limiter: ${micro(wholeNs)}`,
  });
  await limited.close();
  await bare.close();

  // --- redis ----------------------------------------------------------------
  const { startTestRedis } = await import('../../test/helpers/redis-server.ts').catch((error) => {
    throw new Error(`bench: the limit suite needs tsx (run through pnpm bench): ${error.message}`);
  });
  const server = await startTestRedis();
  const client = new Redis(server.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
  client.on('error', () => undefined);
  try {
    for (let i = 0; i < 250 && client.status !== 'ready'; i++) await sleep(20);
    if (client.status !== 'ready') throw new Error(`bench: ioredis is ${client.status}, not ready`);
    const store = createRateLimitStore({ redis: client });
    const events = [];
    store.onEvent((event) => events.push(event));
    const redisLimiter = createRateLimiter({ store, anonymous: { limit: LIMIT, window: '1m' } });
    const redisEngine = await core.createPalisade({ document, guards: [redisLimiter] });
    const redisCounter = store.counter({ keyPrefix: 'rl:anonymous', points: LIMIT, durationMs: WINDOW_MS });

    // Counted in Redis, not by the in-memory insurance limiter.
    await checks(redisEngine, views, 0, ADDRESSES);
    await expectCounts(redisCounter, addresses, 1, 'Palisade on Redis');
    const keys = await client.dbsize();
    if (keys !== ADDRESSES) throw new Error(`bench: Redis holds ${keys} keys after one request from each of ${ADDRESSES} addresses`);

    let redisCursor = 0;
    const redisTasks = {
      palisade: async () => {
        const start = redisCursor;
        redisCursor = (redisCursor + REDIS_BATCH) % ADDRESSES;
        await checks(redisEngine, views, start, REDIS_BATCH);
      },
    };
    await warmUp(redisTasks, 300);
    const sequential = await measureAsyncInterleaved(redisTasks, { rounds: 3, time: 1000, iterations: 20 });

    // Throughput with checks in flight together (ioredis pipelines them on one connection).
    const concurrentTasks = {
      palisade: async () => {
        const start = redisCursor;
        redisCursor = (redisCursor + IN_FLIGHT) % ADDRESSES;
        const pending = new Array(IN_FLIGHT);
        for (let i = 0; i < IN_FLIGHT; i++) pending[i] = checks(redisEngine, views, start + i, 1);
        await Promise.all(pending);
      },
    };
    await warmUp(concurrentTasks, 200);
    const concurrent = await measureAsyncInterleaved(concurrentTasks, { rounds: 3, time: 700, iterations: 20 });
    if (events.length > 0) throw new Error(`bench: the Redis store reported ${events.map((event) => event.type).join(', ')}: some checks were not counted in Redis`);
    entries.push({
      name: 'limit.redis',
      medianNs: sequential.palisade / REDIS_BATCH,
      note: `one check at a time (a round trip each, startRequest included; the memory figure without the limiter: ${micro(bareNs)}); with ${IN_FLIGHT} in flight: ${micro(concurrent.palisade / IN_FLIGHT)} per check`,
    });
    await redisEngine.close();
    await store.close();
  } finally {
    client.disconnect();
    await server.stop();
  }
  return entries;
}
