// validate.*, filter.*, validateFilter.*: request validation and response
// filtering on the reference document's createOrder.
//
// validate.createOrder: core + @palisade/schema-validator checking POST
//   /orders (a NewOrder body of two line items and a note), from the raw
//   request to the parsed, validated body, through the engine.
// filter.order: core + @palisade/response-filter reducing an Order (with
//   internalNote, costPrice, customerEmail) for a caller without orders:admin.
// validateFilter.createOrder: both, as a request through Express 5 (driven
//   in-process with light-my-request, no sockets): Palisade mounted with the
//   two guards against express-openapi-validator with request and response
//   validation, on the same document, body and response. Each figure is the
//   cost the library adds over the same app without it (Express with
//   express.json() and the handler), measured in the same run, since
//   Express and the injection cost far more than either library: the three
//   apps take turns in short rounds and each figure is the median of the
//   per-round differences (measureAddedCost).
//   All three apps send the same response, headers included: Palisade
//   sends its secure-headers profile and an X-Request-Id on every response,
//   so the baseline and the peer get them from helmet (configured to the
//   same profile) and a request-id middleware, as an app using
//   express-openapi-validator would. Without that, the figure would charge
//   Palisade alone for nine response headers (about 7 µs here, mostly
//   Node's and the injector's per-header work), which is not validation.
//   The run checks that the three answers carry the same headers.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import helmet from 'helmet';
import inject from 'light-my-request';
import { parse } from 'yaml';
import { loadCore, loadPalisadePackage } from '../lib/core.mjs';
import { measureAddedCost, measureAsync, measureSync } from '../lib/measure.mjs';

const DOCUMENT_PATH = fileURLToPath(new URL('../../test/fixtures/orders-api.yaml', import.meta.url));
const BATCH = 100;
const body = JSON.stringify({ items: [{ sku: 'SKU-001', qty: 2 }, { sku: 'SKU-042', qty: 1 }], note: "Leave at the door, it's fine" });
const bodyBuffer = Buffer.from(body);
const order = {
  id: 'ord-0041',
  ownerId: 'user-alice',
  items: [
    { sku: 'SKU-001', qty: 2 },
    { sku: 'SKU-042', qty: 1 },
  ],
  total: 30,
  status: 'pending',
  note: "Leave at the door, it's fine",
  createdAt: '2026-01-01T00:00:00Z',
  customerEmail: 'alice@example.com',
  internalNote: 'margin ok',
  costPrice: 4.2,
};

export async function run() {
  const core = await loadCore();
  const { createSchemaValidator } = await loadPalisadePackage('schema-validator');
  const { createResponseFilter } = await loadPalisadePackage('response-filter');
  const document = parse(readFileSync(DOCUMENT_PATH, 'utf8'));
  const principal = { subject: 'user-alice', clientId: 'shop', scopes: new Set(['orders:write']), claims: {}, method: 'custom', issuer: null, tokenId: null, acr: null, amr: [], authTime: null, expiresAt: null };
  // Stands in for authentication, which other benchmarks measure.
  const authenticated = { name: 'bench-principal', stage: 'authentication', compile: () => ({ onRequest: (ctx) => void (ctx.principal = principal) }) };
  const engine = await core.createPalisade({ document, guards: [authenticated, createSchemaValidator(), createResponseFilter()] });
  const view = {
    method: 'POST',
    url: '/orders',
    headers: { 'content-type': 'application/json', 'content-length': String(bodyBuffer.length) },
    remoteAddress: '127.0.0.1',
    readBody: () => Promise.resolve(bodyBuffer),
    peerCertificate: null,
  };
  const validateOnce = async () => {
    const ctx = engine.startRequest(view);
    if ((await engine.checkRequest(ctx)) !== null) throw new Error(`bench: valid order refused (${ctx.denial?.reason})`);
    return ctx;
  };
  const ctx = await validateOnce();
  const filterOnce = () => {
    const response = { status: 201, contentType: 'application/json', body: order };
    if (engine.filterResponse(ctx, response) !== null || 'internalNote' in response.body) throw new Error('bench: filter refused or leaked');
  };

  const validate = await measureAsync(
    {
      palisade: async () => {
        for (let i = 0; i < BATCH; i++) await validateOnce();
      },
    },
    { iterations: 40, time: 1500 },
  );
  const filter = measureSync({ palisade: () => { for (let i = 0; i < 1000; i++) filterOnce(); } }, { callsPerSample: 1000, rounds: 20 });

  const ours = express();
  const { mountPalisade } = await loadPalisadePackage('express');
  await mountPalisade(ours, { document, guards: [authenticated, createSchemaValidator(), createResponseFilter()] });
  ours.post('/orders', (_req, res) => res.status(201).json(order));

  const peer = express();
  sameHeadersAsPalisade(peer);
  peer.use(express.json());
  peer.use(OpenApiValidator.middleware({ apiSpec: structuredClone(document), validateRequests: true, validateResponses: { removeAdditional: 'all' }, validateSecurity: false }));
  peer.post('/orders', (_req, res) => res.status(201).json(order));
  peer.use((error, _req, res, _next) => res.status(error.status ?? 500).json({ message: error.message }));

  const bare = express();
  sameHeadersAsPalisade(bare);
  bare.use(express.json());
  bare.post('/orders', (_req, res) => res.status(201).json(order));

  // The same app without the headers, for the note: what each library adds
  // over an app that sends none.
  const plain = express();
  plain.use(express.json());
  plain.post('/orders', (_req, res) => res.status(201).json(order));

  const request = { method: 'POST', url: '/orders', headers: { 'content-type': 'application/json' }, payload: body };
  // Same header names, and the same values for every header that does not
  // depend on the moment, the request or the body: helmet's options below
  // are a copy of core's profile, so a change on either side stops the run.
  const headerLists = {};
  for (const [label, app] of [['palisade', ours], ['express-openapi-validator', peer], ['baseline', bare]]) {
    const res = await inject(app, request);
    if (res.statusCode !== 201 || (label !== 'baseline' && res.body.includes('internalNote'))) throw new Error(`bench: ${label} answered ${res.statusCode} ${res.body.slice(0, 200)}`);
    headerLists[label] = Object.keys(res.headers)
      .sort()
      .map((name) => (PER_RESPONSE_HEADERS.has(name) ? name : `${name}: ${res.headers[name]}`))
      .join('\n    ');
  }
  if (headerLists.palisade !== headerLists['express-openapi-validator'] || headerLists.palisade !== headerLists.baseline) {
    throw new Error(`bench: the apps answer with different headers:\n${Object.entries(headerLists).map(([label, list]) => `  ${label}:\n    ${list}`).join('\n')}`);
  }
  const both = await measureAddedCost(
    {
      baseline: () => inject(bare, request),
      palisade: () => inject(ours, request),
      peer: () => inject(peer, request),
      plain: () => inject(plain, request),
    },
    { rounds: 400, callsPerRound: 20 },
  );
  const baseline = both.baseline;
  const validateNs = validate.palisade / BATCH;
  return [
    { name: 'validate.createOrder', medianNs: validateNs },
    { name: 'filter.order', medianNs: filter.palisade },
    {
      name: 'validateFilter.createOrder',
      medianNs: both.palisade,
      peer: 'express-openapi-validator',
      peerMedianNs: both.peer,
      note: `cost added over Express sending the same headers (${(baseline / 1000).toFixed(1)} µs per injected request; helmet and the request id cost it ${(-both.plain / 1000).toFixed(1)} µs); Palisade over Express sending no headers: ${((both.palisade - both.plain) / 1000).toFixed(1)} µs; engine-level validation + filtering alone: ${((validateNs + filter.palisade) / 1000).toFixed(2)} µs`,
    },
  ];
}

// Headers whose values differ from one response or body to the next.
const PER_RESPONSE_HEADERS = new Set(['date', 'connection', 'keep-alive', 'content-length', 'etag', 'x-request-id']);

// What Palisade sends on every response (core's secure-headers profile and
// an X-Request-Id), for the apps without Palisade: helmet with the same
// profile, and a fresh request id.
function sameHeadersAsPalisade(app) {
  app.disable('x-powered-by');
  app.use(
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
      strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
      referrerPolicy: { policy: 'no-referrer' },
      xFrameOptions: { action: 'deny' },
      crossOriginOpenerPolicy: false,
      originAgentCluster: false,
      xDnsPrefetchControl: false,
      xDownloadOptions: false,
      xPermittedCrossDomainPolicies: false,
      xXssProtection: false,
    }),
  );
  app.use((_req, res, next) => {
    res.setHeader('cache-control', 'no-store');
    res.setHeader('x-request-id', randomUUID());
    next();
  });
}
