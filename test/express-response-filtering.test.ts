import { createServer, type Server } from 'node:http';
import type { Guard } from '@palisade/core';
import { mountPalisade, type MountedPalisade } from '@palisade/express';
import { createResponseFilter } from '@palisade/response-filter';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, listen, rawRequest } from './helpers/http';
import { testPrincipal } from './helpers/principal';

// Every way an Express handler can send JSON goes through the filter.
const document = {
  openapi: '3.1.0',
  info: { title: 'filtering', version: '1' },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    schemas: {
      Account: {
        type: 'object',
        required: ['id'],
        properties: { id: { type: 'string' }, email: { type: 'string', 'x-palisade-visible-to': { scopes: ['staff'] } } },
      },
    },
  },
  security: [{ bearer: [] }],
  paths: Object.fromEntries(
    ['json', 'send-object', 'send-string', 'send-buffer', 'jsonp', 'wrong-type', 'not-json'].map((name) => [
      `/${name}`,
      { get: { operationId: name, responses: { '200': { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/Account' } } } } } } },
    ]),
  ),
};

const fakeAuth: Guard = {
  name: 'fake-auth',
  stage: 'authentication',
  compile: () => ({
    onRequest(ctx) {
      const scopes = String(ctx.headers['x-scopes'] ?? '').split(',').filter(Boolean);
      ctx.principal = testPrincipal({ subject: 'u', scopes: new Set(scopes) });
      return null;
    },
  }),
};

const account = { id: 'a1', email: 'a@example.com', passwordHash: 'secret-hash' };
let server: Server;
let base: string;
let palisade: MountedPalisade;

beforeAll(async () => {
  const app = express();
  palisade = await mountPalisade(app, { document, guards: [fakeAuth, createResponseFilter()] });
  app.get('/json', (_req, res) => res.json(account));
  app.get('/send-object', (_req, res) => res.send(account));
  app.get('/send-string', (_req, res) => res.type('application/json').send(JSON.stringify(account)));
  app.get('/send-buffer', (_req, res) => res.type('json').send(Buffer.from(JSON.stringify(account))));
  app.get('/jsonp', (_req, res) => res.jsonp(account));
  app.get('/wrong-type', (_req, res) => res.json([account]));
  app.get('/not-json', (_req, res) => res.type('application/json').send('{"id":'));
  server = createServer(app);
  base = await listen(server);
});

afterAll(async () => {
  await close(server);
  await palisade.close();
});

describe('response filtering through Express', () => {
  it.each(['/json', '/send-object', '/send-string', '/send-buffer', '/jsonp'])('%s sends only declared fields', async (path) => {
    const res = await rawRequest(base, 'GET', path);
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ id: 'a1' });
    expect(res.body).not.toContain('secret-hash');
  });

  it('shows a scope-restricted field to callers with the scope only', async () => {
    expect((await rawRequest(base, 'GET', '/json', { headers: { 'x-scopes': 'staff' } })).json()).toEqual({ id: 'a1', email: 'a@example.com' });
  });

  it('replaces a body of the wrong shape with a 500 problem', async () => {
    for (const path of ['/wrong-type', '/not-json']) {
      const res = await rawRequest(base, 'GET', path);
      expect(res.status, path).toBe(500);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(res.body).not.toContain('secret-hash');
    }
  });
});
