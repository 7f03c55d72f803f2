// http.*: whole requests at saturation, over loopback, with autocannon.
//
// The server runs in a child process (examples/express-orders with its full
// chain, or the same handlers on bare Express), the load generator here.
// The example's own files run through tsx; the Palisade packages it
// imports are their built dist/ (bench/tsconfig.dist.json maps nothing).
// Each route is measured on both servers in short alternating pairs; each
// side's figure is its median over the pairs. `medianNs` is 1e9 / requests per second (the time
// per request at saturation), so medianNs / peerMedianNs is the throughput
// cost of Palisade's chain. p99 latencies are printed as notes, and so is
// each server's CPU time per request (user + system, from the server
// itself), which the load generator sharing the machine disturbs less.
import { spawn, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCALE = Number(process.env.BENCH_TIME_SCALE ?? 1) || 1;
const WARMUP_SECONDS = Math.max(2, Math.round(4 * SCALE));
const PAIR_SECONDS = Math.max(1, Math.round(3 * SCALE));
const PAIRS = Math.max(2, Math.round(8 * Math.min(1, SCALE)));

// Both servers run on the last CPU and the load generator on the others,
// so that the scheduler does not move them onto one another between runs
// (on a 2-vCPU machine that was most of the pair-to-pair spread). Where
// taskset is missing, or there is one CPU, nothing is pinned.
const SERVER_CPU = (() => {
  const cpus = availableParallelism();
  if (cpus < 2 || spawnSync('taskset', ['-c', '0', 'true']).status !== 0) return null;
  spawnSync('taskset', ['-a', '-pc', `0-${cpus - 2}`, String(process.pid)]);
  return cpus - 1;
})();

async function startServer(mode, env) {
  // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each server process there.
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
  const command = [process.execPath, ...profile, '--import', 'tsx', 'bench/lib/http-server.ts', mode];
  const [file, ...args] = SERVER_CPU === null ? command : ['taskset', '-c', String(SERVER_CPU), ...command];
  const child = spawn(file, args, { cwd: ROOT, env: { ...process.env, ...env, NODE_ENV: 'production', TSX_TSCONFIG_PATH: 'bench/tsconfig.dist.json' }, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const port = await new Promise((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /listening (\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`bench server ${mode} exited with ${code}`)));
  });
  // The server's own CPU time (user + system, µs), asked over IPC; a server
  // that died fails the run instead of leaving it waiting for an answer.
  const cpuMicros = () =>
    new Promise((resolve, reject) => {
      if (child.exitCode !== null || !child.connected) return reject(new Error(`bench server ${mode} is gone`));
      child.once('message', (message) => resolve(message.cpuMicros));
      child.send('cpu', (error) => error && reject(error));
    });
  return { port, cpuMicros, stop: () => new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGTERM'); }) };
}

function load(port, request, seconds) {
  return new Promise((resolve, reject) => {
    autocannon(
      { url: `http://127.0.0.1:${port}`, connections: 32, duration: seconds, requests: [request] },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

function check(result, label) {
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) throw new Error(`bench: ${label} had ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} time-outs`);
}

const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];

export async function run() {
  const { startTestProvider } = await import('../../test/helpers/oidc-provider.ts').catch(() => {
    throw new Error('bench: the http suite needs tsx (run through pnpm bench)');
  });
  const issuer = await startTestProvider({ audience: 'orders-api' });
  const token = await issuer.issueAccessToken({ sub: 'user-alice', scope: 'orders:read orders:write', expiresIn: 3600 });
  const routes = {
    'http.getOrder': { method: 'GET', path: '/orders/ord-0001', headers: { authorization: `Bearer ${token}` } },
    'http.createOrder': {
      method: 'POST',
      path: '/orders',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ items: [{ sku: 'SKU-001', qty: 2 }], note: 'bench' }),
    },
  };
  const samples = Object.fromEntries(Object.keys(routes).map((name) => [name, { palisade: [], peer: [], p99: [], peerP99: [], ratios: [], cpu: [], peerCpu: [] }]));
  // Both servers stay up; each route is loaded on one, then the other, in
  // short alternating pairs, so that the two sides of a pair see the same
  // state of the machine (on a shared VM it drifts by tens of percent
  // within minutes).
  const servers = {};
  try {
    servers.palisade = await startServer('palisade', { OIDC_ISSUER: issuer.issuer });
    servers.peer = await startServer('bare-express', {});
    for (const [name, request] of Object.entries(routes)) {
      const entry = samples[name];
      for (const side of ['palisade', 'peer']) check(await load(servers[side].port, request, WARMUP_SECONDS), `${name} warm-up on ${side}`);
      for (let pair = 0; pair < PAIRS; pair++) {
        const perSide = {};
        for (const side of pair % 2 === 0 ? ['palisade', 'peer'] : ['peer', 'palisade']) {
          const cpuBefore = await servers[side].cpuMicros();
          const result = await load(servers[side].port, request, PAIR_SECONDS);
          const cpuSpent = (await servers[side].cpuMicros()) - cpuBefore;
          check(result, `${name} on ${side}`);
          (side === 'palisade' ? entry.cpu : entry.peerCpu).push(cpuSpent / result.requests.total);
          perSide[side] = result.requests.average;
          entry[side].push(result.requests.average);
          (side === 'palisade' ? entry.p99 : entry.peerP99).push(result.latency.p99);
        }
        entry.ratios.push(perSide.palisade / perSide.peer);
      }
    }
  } finally {
    await Promise.all(Object.values(servers).map((server) => server.stop()));
    await issuer.stop();
  }
  return Object.entries(samples).map(([name, entry]) => {
    const ours = median(entry.palisade);
    const peer = median(entry.peer);
    return {
      name,
      medianNs: 1e9 / ours,
      peer: 'bare-express',
      peerMedianNs: 1e9 / peer,
      note: `${Math.round(ours)} req/s (p99 ${median(entry.p99)} ms) vs bare Express ${Math.round(peer)} req/s (p99 ${median(entry.peerP99)} ms): ${((100 * ours) / peer).toFixed(0)}% of its throughput; pair by pair ${entry.ratios.map((ratio) => `${Math.round(100 * ratio)}%`).join(' ')}, median ${Math.round(100 * median(entry.ratios))}%; server CPU time per request ${median(entry.cpu).toFixed(0)} µs vs ${median(entry.peerCpu).toFixed(0)} µs (${((100 * median(entry.peerCpu)) / median(entry.cpu)).toFixed(0)}%)`,
    };
  });
}
