// `pnpm bench`: runs every suite, each in a fresh process of its own (one
// suite's heap and leftovers must not weigh on the next), prints Palisade
// beside its peer and writes bench/results.json.
//
// A suite is a module under bench/suites/ exporting `async run()` that
// returns entries `{ name, medianNs, peer?, peerMedianNs?, note? }`. To add
// one, write the module and list it in SUITES.
//
//   pnpm bench                 all suites; results.json is rewritten
//   pnpm bench match           suites whose name starts with "match";
//                              their keys are merged into results.json
//   BENCH_TIME_SCALE=0.2 pnpm bench   shorter runs (smoke test; noisier)
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform } from 'node:os';
import { fileURLToPath } from 'node:url';

const SUITES = ['match', 'compile', 'jwt', 'validate', 'http', 'limit', 'audit'];

const RESULTS_FILE = fileURLToPath(new URL('./results.json', import.meta.url));

async function main() {
  const filters = process.argv.slice(2);
  const selected = filters.length === 0 ? SUITES : SUITES.filter((suite) => filters.some((filter) => suite.startsWith(filter)));
  if (selected.length === 0) throw new Error(`no suite matches ${filters.join(', ')}; suites: ${SUITES.join(', ')}`);
  if (typeof globalThis.gc !== 'function') console.warn('warning: run with node --expose-gc (pnpm bench does) so each task starts on a clean heap.');

  console.log(`Palisade benchmarks: node ${process.version}, ${platform()}/${arch()}, ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}\n`);
  const entries = [];
  for (const suite of selected) {
    const started = process.hrtime.bigint();
    const produced = await runInChild(suite);
    entries.push(...produced);
    console.log(`  ${suite}: ${produced.length} benchmark(s) in ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s`);
  }
  console.log('');
  printTable(entries);
  writeResults(entries, filters.length > 0);
}

const ENTRIES_MARKER = 'BENCH_SUITE_ENTRIES ';

/** Runs one suite in a child process with this process's flags; resolves to its entries. */
function runInChild(suite) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), suite], {
      env: { ...process.env, BENCH_SUITE_CHILD: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => (output += chunk));
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = output.split('\n').find((candidate) => candidate.startsWith(ENTRIES_MARKER));
      const rest = output.split('\n').filter((candidate) => !candidate.startsWith(ENTRIES_MARKER) && candidate !== '');
      if (rest.length > 0) console.log(rest.join('\n'));
      if (code !== 0 || line === undefined) return reject(new Error(`suite ${suite} failed (exit code ${code})`));
      resolve(JSON.parse(line.slice(ENTRIES_MARKER.length)));
    });
  });
}

/** In the child: run the one suite and hand its entries to the parent. */
async function runSuite(suite) {
  const { run } = await import(`./suites/${suite}.bench.mjs`);
  const produced = await run();
  process.stdout.write(`${ENTRIES_MARKER}${JSON.stringify(produced)}\n`);
}

function printTable(entries) {
  const header = ['benchmark', 'Palisade median', 'peer median', 'ratio (ours/peer)'];
  const rows = entries.map((entry) => [
    entry.name,
    formatNs(entry.medianNs),
    entry.peer === undefined ? '-' : `${formatNs(entry.peerMedianNs)} (${entry.peer})`,
    entry.peer === undefined ? '-' : `${(entry.medianNs / entry.peerMedianNs).toFixed(2)}x`,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells) => `| ${cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((width, column) => (column === 0 ? `${'-'.repeat(width + 1)}-` : `${'-'.repeat(width + 1)}:`)).join('|')}|`);
  for (const row of rows) console.log(line(row));
  const notes = entries.filter((entry) => entry.note);
  if (notes.length > 0) console.log(`\n${notes.map((entry) => `${entry.name}: ${entry.note}`).join('\n')}`);
}

/** `123.4 ns`, `12.3 µs`, `456.7 ms`: the unit that keeps the number readable. */
function formatNs(ns) {
  if (ns < 1e3) return `${ns.toFixed(1)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(2)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(1)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

function writeResults(entries, merge) {
  const results = merge && existsSync(RESULTS_FILE) ? JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) : {};
  for (const { name, medianNs, peer, peerMedianNs } of entries) {
    results[name] = peer === undefined ? { medianNs: round(medianNs) } : { medianNs: round(medianNs), peer, peerMedianNs: round(peerMedianNs) };
  }
  const sorted = Object.fromEntries(Object.keys(results).sort().map((key) => [key, results[key]]));
  writeFileSync(RESULTS_FILE, `${JSON.stringify(sorted, null, 2)}\n`);
  console.log(`\nwrote ${RESULTS_FILE}`);
}

function round(ns) {
  return Math.round(ns * 10) / 10;
}

(process.env.BENCH_SUITE_CHILD ? runSuite(process.argv[2]) : main()).catch((error) => {
  console.error(`bench failed: ${error.message}`);
  if (!/pnpm build first/.test(error.message)) console.error(error.stack);
  process.exitCode = 1;
});
