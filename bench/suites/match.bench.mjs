// match.*: the cost of resolving one request (method + raw URL) to its
// operation, Palisade's RouteMatcher beside find-my-way holding the same
// routes and looking up the same requests.
import { fileURLToPath } from 'node:url';
import { loadCore } from '../lib/core.mjs';
import { generateDocument, generatedRequests } from '../lib/generate-document.mjs';
import { measureSync } from '../lib/measure.mjs';
import { PEER_NAME, createPeerRouter } from '../lib/peer-router.mjs';

const REFERENCE_DOCUMENT = fileURLToPath(new URL('../../test/fixtures/orders-api.yaml', import.meta.url));

/** A realistic mix on the reference Orders API; `expect` is the operationId. */
const REFERENCE_REQUESTS = [
  { method: 'GET', url: '/orders', expect: 'listOrders' },
  { method: 'GET', url: '/orders/ord-0001', expect: 'getOrder' },
  { method: 'POST', url: '/orders/ord-0007/checkout', expect: 'checkoutOrder' },
  { method: 'GET', url: '/admin/users?x=1', expect: 'listUsers' },
  { method: 'GET', url: '/health', expect: 'getHealth' },
  { method: 'POST', url: '/orders', expect: 'createOrder' },
  { method: 'GET', url: '/orders?limit=10&status=paid', expect: 'listOrders' },
  { method: 'PATCH', url: '/orders/ord-0042', expect: 'updateOrder' },
  { method: 'GET', url: '/orders/ord-0007/invoice', expect: 'getInvoice' },
  { method: 'POST', url: '/login', expect: 'login' },
  { method: 'DELETE', url: '/orders/ord-0003', expect: 'deleteOrder' },
  { method: 'POST', url: '/webhooks', expect: 'createWebhook' },
];

/** Calls per timed sample: enough that reading the clock costs < 1 %. */
const TARGET_CALLS_PER_SAMPLE = 1000;

export async function run() {
  const core = await loadCore();
  const entries = [];

  const reference = core.compileDocument(await core.loadDocument(REFERENCE_DOCUMENT));
  entries.push(compare('match.reference', core, reference.operations, REFERENCE_REQUESTS));

  const { document } = generateDocument(1000);
  const generated = core.compileDocument(await core.loadDocument(document));
  if (generated.operations.length !== 1000) throw new Error(`bench: the generated document has ${generated.operations.length} operations, not 1000`);
  entries.push(compare('match.1000ops', core, generated.operations, generatedRequests(1000)));

  return entries;
}

// Keeps the JIT from discarding the lookups.
let sink = 0;

function compare(name, core, operations, requests) {
  const matcher = new core.RouteMatcher(operations);
  const router = createPeerRouter(operations);
  check(name, matcher, router, requests);

  const methods = requests.map((request) => request.method);
  const urls = requests.map((request) => request.url);
  const count = requests.length;
  const repeats = Math.ceil(TARGET_CALLS_PER_SAMPLE / count);

  const medians = measureSync(
    {
      palisade() {
        for (let r = 0; r < repeats; r++) {
          for (let i = 0; i < count; i++) if (matcher.match(methods[i], urls[i]).operation !== null) sink++;
        }
      },
      peer() {
        for (let r = 0; r < repeats; r++) {
          for (let i = 0; i < count; i++) if (router.find(methods[i], urls[i]) !== null) sink++;
        }
      },
    },
    { callsPerSample: repeats * count },
  );
  if (sink === 0) throw new Error('bench: nothing matched');
  return { name, medianNs: medians.palisade, peer: PEER_NAME, peerMedianNs: medians.peer, note: `${count} requests, ${operations.length} operations` };
}

/** Both routers must answer every request with the expected operation and the same parameters, else the timing compares different work. */
function check(name, matcher, router, requests) {
  for (const { method, url, expect } of requests) {
    const ours = matcher.match(method, url);
    if (ours.kind !== 'operation' || ours.operation.operationId !== expect) {
      throw new Error(`bench ${name}: Palisade matched ${method} ${url} to ${ours.kind} ${ours.operation?.operationId ?? ''}, expected ${expect}`);
    }
    const peer = router.find(method, url);
    if (peer === null || peer.store.operationId !== expect) {
      throw new Error(`bench ${name}: ${PEER_NAME} matched ${method} ${url} to ${peer?.store.operationId ?? 'nothing'}, expected ${expect}`);
    }
    const ourParams = JSON.stringify({ ...ours.params });
    const peerParams = JSON.stringify({ ...peer.params });
    if (ourParams !== peerParams) throw new Error(`bench ${name}: ${method} ${url}: Palisade params ${ourParams}, ${PEER_NAME} params ${peerParams}`);
  }
}
