// audit.line: the cost of writing one audit line, hash included.
//
// Palisade: core + @palisade/audit (`createAuditTrail` on a temporary file,
// default batching of about 16 KB per write(2), anomaly detection off) after
// a stand-in authentication guard; `engine.finishRequest(ctx, 200)` for
// completed GET /orders/{orderId} requests of the reference document, from
// 1,000 client addresses, minus the same call on the same engine without
// the audit guard. Each line is built from the request's fields, chained
// to the one before by SHA-256 and appended.
// Peer: pino-http 11 on a pino 10 destination (`sync: false`) writing to a
// temporary file, its middleware called with a minimal request and response
// and 'finish' emitted on the response (when pino-http logs), minus
// building that request and response and emitting 'finish' without it.
// pino-http's line carries the request's headers and no hash.
//
// The audit trail's writes are synchronous, so its figure is taken with
// measureSync. pino's asynchronous destination needs the event loop: those
// batches yield (setImmediate) between them, and the audit trail is timed
// the same way beside it, as a cross-check printed in the note.
//
// Both files live in a temporary directory, emptied now and then while
// timing (a run would otherwise write a gigabyte), and removed at the end.
import { EventEmitter, once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as immediate, setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import pinoHttp from 'pino-http';
import { parse } from 'yaml';
import { loadCore, loadPalisadePackage } from '../lib/core.mjs';
import { measureAsyncInterleaved, measureSync } from '../lib/measure.mjs';

const DOCUMENT_PATH = fileURLToPath(new URL('../../test/fixtures/orders-api.yaml', import.meta.url));
const POOL = 1000;
const CALLS = 1000;
const ASYNC_BATCH = 200;
// Samples between two truncations of a file; the sample that truncates is
// an outlier the medians ignore.
const TRIM_EVERY = 200;

const principal = { subject: 'user-alice', clientId: 'shop-web', scopes: new Set(['orders:read']), claims: {}, method: 'custom', issuer: null, tokenId: null, acr: null, amr: [], authTime: null, expiresAt: null };
// Stands in for authentication, which other benchmarks measure.
const authenticated = { name: 'bench-principal', stage: 'authentication', compile: () => ({ onRequest: (ctx) => void (ctx.principal = principal) }) };
const headers = { host: 'api.bench.example', 'user-agent': 'bench/1.0', accept: 'application/json' };
const responseHeaders = { 'content-type': 'application/json; charset=utf-8', 'content-length': '236' };

// A context records that its request finished (completion hooks run once
// per request); the pool reuses each context, so it is marked unfinished
// before every call. Both sides pay for the assignment.
function finishAgain(engine, ctx) {
  ctx.finished = false;
  engine.finishRequest(ctx, 200);
}

function clientAddress(i) {
  return `${11 + ((i * 7) % 180)}.${(i * 37) % 256}.${(i * 101) % 256}.${1 + ((i * 13) % 254)}`;
}

/** Completed requests on `engine` (each context belongs to the engine that started it). */
function contexts(engine) {
  const pool = [];
  for (let i = 0; i < POOL; i++) {
    const view = { method: 'GET', url: `/orders/ord-${String(i).padStart(4, '0')}`, headers, remoteAddress: clientAddress(i), readBody: null, peerCertificate: null };
    const ctx = engine.startRequest(view);
    if (engine.checkRequest(ctx) !== null || ctx.operation?.operationId !== 'getOrder' || ctx.principal === null) throw new Error('bench: the audited request was refused');
    pool.push(ctx);
  }
  return pool;
}

/** What pino-http and its serializers read of a Node response. */
class BenchResponse extends EventEmitter {
  statusCode = 200;
  headersSent = true;
  writableEnded = true;
  getHeaders() {
    return responseHeaders;
  }
}

function benchRequest(i) {
  const address = clientAddress(i);
  return { method: 'GET', url: `/orders/ord-${String(i).padStart(4, '0')}`, headers, socket: { remoteAddress: address, remotePort: 50000 + i } };
}



function trimmer(file) {
  let samples = 0;
  return () => {
    if (++samples % TRIM_EVERY === 0) truncateSync(file, 0);
  };
}

const yieldToLoop = () => immediate();
const micro = (ns) => `${(ns / 1000).toFixed(2)} µs`;

export async function run() {
  const core = await loadCore();
  const { createAuditTrail, verifyAuditTrail } = await loadPalisadePackage('audit');
  const document = parse(readFileSync(DOCUMENT_PATH, 'utf8'));
  const dir = mkdtempSync(join(tmpdir(), 'palisade-bench-audit-'));
  const auditFile = join(dir, 'audit.log');
  const pinoFile = join(dir, 'pino.log');
  let audit = null;
  let destination = null;
  try {
    audit = createAuditTrail({ destination: auditFile, dangerouslyDisableAnomalyDetection: true, handleSignals: false });
    const audited = await core.createPalisade({ document, guards: [authenticated, audit] });
    const bare = await core.createPalisade({ document, guards: [authenticated] });
    const auditedPool = contexts(audited);
    const barePool = contexts(bare);

    // The lines are written, chained and verifiable, one per call: a
    // context may be finished again (the audit guard only reads it).
    for (let i = 0; i < 2 * POOL; i++) finishAgain(audited, auditedPool[i % POOL]);
    audit.flush();
    const verification = await verifyAuditTrail(auditFile);
    if (!verification.intact || verification.lines !== 2 * POOL + 1) throw new Error(`bench: the audit trail has ${verification.lines} lines (expected ${2 * POOL + 1}), intact: ${verification.intact}`);
    const sample = JSON.parse(readFileSync(auditFile, 'utf8').trim().split('\n').at(-1));
    if (sample.event !== 'request' || sample.sub !== 'user-alice' || sample.ip !== clientAddress(POOL - 1) || sample.status !== 200 || !/^[0-9a-f]{64}$/.test(sample.hash)) throw new Error(`bench: unexpected audit line ${JSON.stringify(sample)}`);

    destination = pino.destination({ dest: pinoFile, sync: false });
    const logger = pinoHttp({}, destination);
    const noop = () => {};
    let kept = null;
    for (let i = 0; i < POOL; i++) {
      const res = new BenchResponse();
      logger(benchRequest(i), res, noop);
      res.emit('finish');
    }
    // The destination writes on the thread pool: wait for the lines to land.
    let written = '';
    for (let waited = 0; waited < 5000 && written.split('\n').length <= POOL; waited += 10) {
      await sleep(10);
      written = readFileSync(pinoFile, 'utf8');
    }
    const pinoLines = written.trim().split('\n').map((line) => JSON.parse(line));
    const last = pinoLines.at(-1);
    if (pinoLines.length !== POOL || last.msg !== 'request completed' || last.req.url !== `/orders/ord-${String(POOL - 1).padStart(4, '0')}` || last.res.statusCode !== 200) {
      throw new Error(`bench: pino-http wrote ${pinoLines.length} lines (expected ${POOL}); last ${JSON.stringify(last)}`);
    }

    // --- synchronous: the audit trail against the same engine without it ---
    let cursor = 0;
    const trimAudit = trimmer(auditFile);
    const sync = measureSync(
      {
        audit: () => {
          const start = cursor;
          cursor = (cursor + 7) % POOL;
          for (let i = 0; i < CALLS; i++) finishAgain(audited, auditedPool[(start + i) % POOL]);
          trimAudit();
        },
        bare: () => {
          const start = cursor;
          cursor = (cursor + 7) % POOL;
          for (let i = 0; i < CALLS; i++) finishAgain(bare, barePool[(start + i) % POOL]);
        },
      },
      { callsPerSample: CALLS, rounds: 20 },
    );

    // --- with the event loop: pino-http, and the audit trail again ---------
    const trimPino = trimmer(pinoFile);
    let next = 0;
    const asyncTasks = {
      pino: async () => {
        for (let i = 0; i < ASYNC_BATCH; i++) {
          const res = new BenchResponse();
          logger(benchRequest((next + i) % POOL), res, noop);
          res.emit('finish');
        }
        next = (next + 7) % POOL;
        trimPino();
        await yieldToLoop();
      },
      pinoBare: async () => {
        for (let i = 0; i < ASYNC_BATCH; i++) {
          const res = new BenchResponse();
          // Kept, so the request object is built as it is for pino-http.
          kept = benchRequest((next + i) % POOL);
          res.emit('finish');
        }
        next = (next + 7) % POOL;
        await yieldToLoop();
      },
      audit: async () => {
        for (let i = 0; i < ASYNC_BATCH; i++) finishAgain(audited, auditedPool[(next + i) % POOL]);
        next = (next + 7) % POOL;
        trimAudit();
        await yieldToLoop();
      },
      bare: async () => {
        for (let i = 0; i < ASYNC_BATCH; i++) finishAgain(bare, barePool[(next + i) % POOL]);
        next = (next + 7) % POOL;
        await yieldToLoop();
      },
    };
    for (const task of Object.values(asyncTasks)) for (let i = 0; i < 50; i++) await task();
    const withLoop = await measureAsyncInterleaved(asyncTasks, { rounds: 6, time: 300, iterations: 20 });
    if (kept === null) throw new Error('bench: the baseline built no request');

    const auditNs = Math.max(0, sync.audit - sync.bare);
    const pinoNs = Math.max(0, (withLoop.pino - withLoop.pinoBare) / ASYNC_BATCH);
    const auditWithLoopNs = Math.max(0, (withLoop.audit - withLoop.bare) / ASYNC_BATCH);
    await audited.close();
    await bare.close();
    return [
      {
        name: 'audit.line',
        medianNs: auditNs,
        peer: 'pino-http',
        peerMedianNs: pinoNs,
        note:
          `finishRequest with the audit guard ${micro(sync.audit)}, without it ${micro(sync.bare)}; ` +
          `timed like pino (batches of ${ASYNC_BATCH} between event-loop turns): ${micro(auditWithLoopNs)} per line; ` +
          `pino-http ${micro(withLoop.pino / ASYNC_BATCH)} per request, ${micro(withLoop.pinoBare / ASYNC_BATCH)} of it building the request and response`,
      },
    ];
  } finally {
    await audit?.close();
    if (destination !== null && !destination.destroyed) {
      const closed = once(destination, 'close');
      destination.end();
      await closed;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
