// Timing helpers on top of tinybench.
//
// A single match takes a few hundred nanoseconds, about what it costs to
// read the clock, so timing one call at a time would mostly time the clock.
// Each tinybench sample therefore runs a batch (the whole request mix,
// several times over) and the sample is divided by the number of calls in
// it. tinybench warms each task up first; the reported figures are medians,
// which outliers (GC pauses, the scheduler) do not move.
import { Bench, hrtimeNow } from 'tinybench';

const NS_PER_MS = 1e6;

/** Lets a bench run shorter, e.g. `BENCH_TIME_SCALE=0.2 pnpm bench` for a smoke run. */
const TIME_SCALE = Number(process.env.BENCH_TIME_SCALE ?? 1) > 0 ? Number(process.env.BENCH_TIME_SCALE ?? 1) : 1;

function collectGarbage() {
  // `pnpm bench` runs node with --expose-gc: each task starts with a clean heap.
  if (typeof globalThis.gc === 'function') globalThis.gc();
}

/**
 * Times synchronous batches. `tasks` is `{ name: fn }`; each `fn()` performs
 * `callsPerSample` calls.
 *
 * The tasks run in `rounds` short rounds, their order alternating from one
 * round to the next (A B, B A, A B, ...), and each task's figure is the
 * median of its per-round medians. On a shared machine a burst of load then
 * lands on both sides of a comparison, or is outvoted, instead of skewing
 * whichever task happened to be running.
 *
 * @returns `{ name: medianNsPerCall }`
 */
export function measureSync(tasks, { callsPerSample, rounds = 40, roundTime = 50, warmupTime = 500 }) {
  const names = Object.keys(tasks);
  const perRound = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    const bench = new Bench({
      now: hrtimeNow,
      time: roundTime * TIME_SCALE,
      // The first round warms every task up; later ones find them optimised.
      warmup: round === 0,
      warmupTime: warmupTime * TIME_SCALE,
      warmupIterations: 20,
      iterations: 20,
      setup: collectGarbage,
      throws: true,
    });
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const name of order) bench.add(name, tasks[name]);
    bench.runSync();
    const medianOfRound = medians(bench, callsPerSample);
    for (const name of names) perRound[name].push(medianOfRound[name]);
    if (process.env.BENCH_DEBUG) console.log(`    round ${round}: ${names.map((name) => `${name} ${medianOfRound[name].toFixed(1)}`).join(', ')}`);
  }
  return Object.fromEntries(names.map((name) => [name, median(perRound[name])]));
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Times asynchronous operations that are slow enough to time one by one
 * (start-up work). `iterations` bounds the sample count from below.
 *
 * No forced garbage collection before each sample here (unlike
 * measureSync): a full collection hands memory back to the system, and on
 * a virtual machine the next tens of milliseconds of page faults land on
 * whichever side allocates more, several times its real cost, so a
 * request path that waits on the thread pool (WebCrypto) or on a socket
 * measured up to 2x slower than a server in steady state runs it. Set
 * BENCH_ASYNC_GC=1 to collect before each sample anyway.
 *
 * @returns `{ name: medianNsPerCall }`
 */
export async function measureAsync(tasks, { iterations = 10, time = 0, warmupIterations = 2 }) {
  const bench = new Bench({
    now: hrtimeNow,
    time: time * TIME_SCALE,
    warmupTime: 0,
    iterations: Math.max(3, Math.round(iterations * Math.min(1, TIME_SCALE))),
    warmupIterations,
    setup: process.env.BENCH_ASYNC_GC ? collectGarbage : () => {},
    throws: true,
  });
  for (const [name, fn] of Object.entries(tasks)) bench.add(name, fn);
  await bench.run();
  return medians(bench, 1);
}

function medians(bench, callsPerSample) {
  const out = {};
  for (const task of bench.tasks) {
    const result = task.result;
    if (!result || result.error) throw result?.error ?? new Error(`benchmark task "${task.name}" produced no result`);
    out[task.name] = (result.latency.p50 * NS_PER_MS) / callsPerSample;
  }
  return out;
}

/**
 * measureAsync in alternating rounds (A B C, C B A, ...), each task's
 * figure the median of its per-round medians: what measureSync does for
 * synchronous work, so that load on a shared machine hits every side alike.
 */
export async function measureAsyncInterleaved(tasks, { rounds, time, iterations }) {
  const names = Object.keys(tasks);
  const perRound = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    const medians = await measureAsync(Object.fromEntries(order.map((name) => [name, tasks[name]])), { iterations, time });
    for (const name of names) perRound[name].push(medians[name]);
    if (process.env.BENCH_DEBUG) console.log(`    round ${round}: ${names.map((name) => `${name} ${medians[name].toFixed(0)}`).join(', ')}`);
  }
  return Object.fromEntries(names.map((name) => [name, median(perRound[name])]));
}

/**
 * The cost each task adds over a baseline task, for work that costs far
 * less than the baseline it rides on (a middleware inside a whole Express
 * request). Many short rounds run every task back to back, in alternating
 * order (base A B, B A base, ...); each round gives each task's time minus
 * the baseline's time of that same round, and the figure is the median of
 * those differences. Timing each side for seconds and subtracting medians
 * afterwards would let a slow stretch of the machine on one side swamp the
 * difference.
 *
 * @param tasks `{ name: fn }` where each `fn()` performs one call (awaited); must include `baseline`.
 * @returns `{ name: medianAddedNsPerCall }` and `baseline: medianNsPerCall`
 */
export async function measureAddedCost(tasks, { rounds = 400, callsPerRound = 20, warmupCalls = 2000 }) {
  const names = Object.keys(tasks);
  if (!names.includes('baseline')) throw new Error('measureAddedCost: one task must be named "baseline"');
  const scaledRounds = Math.max(20, Math.round(rounds * TIME_SCALE));
  for (const name of names) for (let i = 0; i < warmupCalls * Math.min(1, TIME_SCALE); i++) await tasks[name]();
  const added = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < scaledRounds; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    const perCall = {};
    for (const name of order) {
      const fn = tasks[name];
      const start = hrtimeNow();
      for (let i = 0; i < callsPerRound; i++) await fn();
      perCall[name] = ((hrtimeNow() - start) * NS_PER_MS) / callsPerRound;
    }
    for (const name of names) added[name].push(name === 'baseline' ? perCall.baseline : perCall[name] - perCall.baseline);
  }
  return Object.fromEntries(names.map((name) => [name, median(added[name])]));
}
