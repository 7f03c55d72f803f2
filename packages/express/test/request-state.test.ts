// What handlers read from the request after Palisade: the query the
// validation stage produced, the method the request arrived with, in the
// app Palisade is mounted on and in a sub-app mounted below it; and what
// an Express app without Palisade in the same process still reads.
import { createServer, type Server } from 'node:http';
import type { Guard } from '@palisade/core';
import { mountPalisade } from '@palisade/express';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, listen, rawRequest } from '../../../test/helpers/http';

const ok = { '200': { description: 'ok' } };
const document = {
  openapi: '3.1.0',
  info: { title: 'query', version: '1' },
  paths: {
    '/search': { get: { operationId: 'search', security: [], responses: ok } },
    '/reassigned': { get: { operationId: 'reassigned', security: [], responses: ok } },
    '/sub/search': { get: { operationId: 'subSearch', security: [], responses: ok } },
    '/sub/things/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      get: { operationId: 'getThing', security: [], responses: ok },
      delete: { operationId: 'deleteThing', security: [], responses: ok },
    },
  },
};

// Stands in for the schema validator: the typed query it would produce.
const typedQuery: Guard = {
  name: 'typed-query',
  stage: 'validation',
  compile: (operation) =>
    operation === null
      ? null
      : {
          onRequest(ctx) {
            const limit = new URLSearchParams(ctx.query).get('limit');
            ctx.queryParams = Object.freeze({ limit: limit === null ? 10 : Number(limit) });
            return null;
          },
        },
};

let guarded: Server;
let plain: Server;
let guardedBase: string;
let plainBase: string;

beforeAll(async () => {
  const app = express();
  await mountPalisade(app, { document, guards: [typedQuery] });
  app.use((req, _res, next) => {
    const override = req.headers['x-http-method-override'];
    if (typeof override === 'string') req.method = override;
    next();
  });
  app.get('/search', (req, res) => res.json({ query: req.query, method: req.method }));
  app.get('/reassigned', (req, res, next) => {
    req.query = { replaced: 'by middleware' };
    next();
  });
  app.get('/reassigned', (req, res) => res.json({ query: req.query }));
  const sub = express();
  sub.get('/search', (req, res) => res.json({ query: req.query }));
  sub.get('/things/:id', (req, res) => res.json({ handler: 'get', method: req.method }));
  sub.delete('/things/:id', (_req, res) => res.json({ handler: 'delete' }));
  app.use('/sub', sub);

  // Another app in the same process, without Palisade.
  const other = express();
  other.get('/search', (req, res) => res.json({ query: req.query, method: req.method }));

  guarded = createServer(app);
  plain = createServer(other);
  guardedBase = await listen(guarded);
  plainBase = await listen(plain);
});

afterAll(async () => {
  await close(guarded);
  await close(plain);
});

describe('req.query and req.method after Palisade', () => {
  it('gives handlers the query the validation stage produced, not Express’s own parse', async () => {
    const res = await rawRequest(guardedBase, 'GET', '/search?limit=5&limit=6&extra=x');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ query: { limit: 5 }, method: 'GET' });
  });

  it('gives a mounted sub-app the same validated query', async () => {
    const res = await rawRequest(guardedBase, 'GET', '/sub/search?limit=7&extra=x');
    expect(JSON.parse(res.body)).toEqual({ query: { limit: 7 } });
  });

  it('lets middleware that assigns req.query read back what it assigned', async () => {
    const res = await rawRequest(guardedBase, 'GET', '/reassigned?limit=3');
    expect(JSON.parse(res.body)).toEqual({ query: { replaced: 'by middleware' } });
  });

  it('keeps the method a request arrived with in a sub-app too', async () => {
    const res = await rawRequest(guardedBase, 'GET', '/sub/things/a1', { headers: { 'x-http-method-override': 'DELETE' } });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ handler: 'get', method: 'GET' });
  });

  it('leaves an Express app without Palisade reading its own query and method', async () => {
    const res = await rawRequest(plainBase, 'GET', '/search?limit=5&extra=x');
    expect(JSON.parse(res.body)).toEqual({ query: { limit: '5', extra: 'x' }, method: 'GET' });
  });
});
