// compile.*: start-up cost. `createPalisade({ document })` from an object of
// 1,000 operations: load (clone, bundle $refs, validate against the
// OpenAPI schema), compile every operation's policy, build the matcher and
// the guard chains. The peer registers the same 1,000 routes in a new
// find-my-way router, which is all the start-up a router alone does.
//
// The median is of warm runs (the same process, after two warm-up calls).
// A real start-up is the first call in a fresh process, which also compiles
// the OpenAPI-schema validator; the suite times that too, in child
// processes, and prints it as a note (it is not in results.json).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadCore } from '../lib/core.mjs';
import { generateDocument } from '../lib/generate-document.mjs';
import { measureAsync } from '../lib/measure.mjs';
import { PEER_NAME, createPeerRouter } from '../lib/peer-router.mjs';

export async function run() {
  const core = await loadCore();
  const { document, operationCount } = generateDocument(1000);
  // The routes the peer registers: the operations Palisade compiles.
  const palisade = await core.createPalisade({ document });
  const operations = palisade.compiled.operations.map(({ method, pathTemplate, operationId }) => ({ method, pathTemplate, operationId }));
  if (operations.length !== operationCount) throw new Error(`bench: compiled ${operations.length} operations, expected ${operationCount}`);

  let routes = 0;
  const medians = await measureAsync(
    {
      async palisade() {
        await core.createPalisade({ document });
      },
      async peer() {
        routes += createPeerRouter(operations).routes.length;
      },
    },
    { iterations: 10, time: 500 },
  );
  if (routes === 0) throw new Error('bench: the peer registered no route');

  const cold = coldStart(operationCount);
  const note = `createPalisade, ${operationCount} operations, warm; first call in a fresh process: ${(cold.firstNs / 1e6).toFixed(0)} ms (+ ${(cold.importNs / 1e6).toFixed(0)} ms to import @palisade/core), median of ${COLD_RUNS} processes`;
  return [{ name: 'compile.1000ops', medianNs: medians.palisade, peer: PEER_NAME, peerMedianNs: medians.peer, note }];
}

const COLD_RUNS = 3;
const COLD_SCRIPT = fileURLToPath(new URL('../lib/cold-compile.mjs', import.meta.url));

function coldStart(operationCount) {
  const runs = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    runs.push(JSON.parse(execFileSync(process.execPath, [COLD_SCRIPT, String(operationCount)], { encoding: 'utf8' })));
  }
  const median = (key) => runs.map((run) => run[key]).sort((a, b) => a - b)[runs.length >> 1];
  return { firstNs: median('firstNs'), importNs: median('importNs') };
}
