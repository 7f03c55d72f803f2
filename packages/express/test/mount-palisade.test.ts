import { createServer, type Server } from 'node:http';
import { deny, type Guard } from '@palisade/core';
import { getPrincipal, mountPalisade, type MountedPalisade } from '@palisade/express';
import express, { type Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, listen, rawRequest } from '../../../test/helpers/http';
import { testPrincipal } from '../../../test/helpers/principal';

const document = {
  openapi: '3.1.0',
  info: { title: 'items', version: '1' },
  components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
  paths: {
    '/items': {
      get: { operationId: 'listItems', security: [], responses: { '200': { description: 'ok' } } },
      post: { operationId: 'createItem', security: [{ bearer: [] }], responses: { '201': { description: 'ok' } } },
    },
    '/items/mine': { get: { operationId: 'listMine', security: [], responses: { '200': { description: 'ok' } } } },
    '/items/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      get: { operationId: 'getItem', security: [], responses: { '200': { description: 'ok' } } },
      delete: { operationId: 'deleteItem', security: [], responses: { '204': { description: 'ok' } } },
    },
    '/boom': { get: { operationId: 'boom', security: [], responses: { '200': { description: 'ok' } } } },
    '/refuse': { get: { operationId: 'refuse', security: [], responses: { '200': { description: 'ok' } } } },
    '/unimplemented': { get: { operationId: 'unimplemented', security: [], responses: { '200': { description: 'ok' } } } },
    '/whoami': {
      get: { operationId: 'whoami', security: [{ bearer: [] }], responses: { '200': { description: 'ok' } } },
      post: { operationId: 'echo', security: [], requestBody: { content: { 'application/json': { schema: { type: 'object' } } } }, responses: { '200': { description: 'ok' } } },
    },
  },
};

// A stand-in authentication guard: accepts `Authorization: Test <sub>`.
const testAuthentication: Guard = {
  name: 'test-authentication',
  stage: 'authentication',
  compile: (operation) =>
    operation === null || operation.isPublic
      ? null
      : {
          onRequest(ctx) {
            const header = ctx.headers.authorization;
            if (typeof header !== 'string' || !header.startsWith('Test ')) return null;
            ctx.principal = testPrincipal({ subject: header.slice(5) });
            return null;
          },
        },
};

const completions: { path: string; status: number }[] = [];
// Records every completion, as the audit guard does.
const completionRecorder: Guard = {
  name: 'completions',
  stage: 'admission',
  compile: () => ({ onComplete: (ctx, completed) => void completions.push({ path: ctx.path, status: completed.status }) }),
};

let app: Express;
let server: Server;
let base: string;
let palisade: MountedPalisade;
const calls: string[] = [];

beforeAll(async () => {
  app = express();
  // A router built before Palisade was mounted, with a leftover route that
  // the template /items/{id} would also match.
  const legacy = express.Router();
  legacy.get('/legacy-export', (_req, res) => {
    calls.push('legacy-export');
    res.json({ leaked: true });
  });
  palisade = await mountPalisade(app, { document, cors: { origins: ['https://shop.example'] }, guards: [testAuthentication, completionRecorder] });
  // What method-override middleware does: rewrite the method from a header.
  app.use((req, _res, next) => {
    const override = req.headers['x-http-method-override'];
    if (typeof override === 'string') req.method = override;
    next();
  });
  app.use(express.json());
  app.get('/items', (_req, res) => {
    calls.push('listItems');
    res.json({ items: [] });
  });
  app.post('/items', (_req, res) => {
    calls.push('createItem');
    res.status(201).json({});
  });
  app.get('/items/mine', (_req, res) => res.json({ mine: true }));
  // Undeclared, registered before the templated route it shadows.
  app.get('/items/export', (_req, res) => {
    calls.push('export');
    res.json({ everything: true });
  });
  app.use('/items', legacy);
  app.get('/items/:id', (req, res) => {
    if (req.params.id === 'slow') return void setTimeout(() => res.json({ slow: true }), 300);
    res.json({ id: req.params.id });
  });
  app.delete('/items/:id', (_req, res) => {
    calls.push('deleteItem');
    res.status(204).end();
  });
  app.get('/boom', () => {
    throw new Error('database password is hunter2');
  });
  app.get('/refuse', () => {
    throw deny('not_found_or_not_owner');
  });
  app.get('/whoami', (req, res) => res.json({ sub: getPrincipal(req)?.subject }));
  app.post('/whoami', (req, res) => res.json(req.body));
  app.get('/shadow', (_req, res) => {
    calls.push('shadow');
    res.json({ secret: true });
  });
  server = createServer(app);
  base = await listen(server);
});

afterAll(async () => {
  await close(server);
  await palisade.close();
});

describe('mountPalisade on Express 5', () => {
  it('lets a canonical request for a declared operation reach its handler', async () => {
    const res = await rawRequest(base, 'GET', '/items/abc');
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ id: 'abc' });
  });

  it('never lets Express hand a request to another route than the operation checked', async () => {
    calls.length = 0;
    for (const path of ['/items/export', '/items/legacy-export']) {
      const res = await rawRequest(base, 'GET', path);
      expect(res.status, path).toBe(404);
      expect(res.json()).toEqual({ type: 'urn:palisade:problem:not-found', title: 'Not Found', status: 404 });
    }
    expect(calls).toEqual([]);
    // Near miss: a value of the template that no other route claims.
    expect((await rawRequest(base, 'GET', '/items/exports')).json()).toEqual({ id: 'exports' });
  });

  it('routes case-sensitively, as the document declares', async () => {
    // /items/MINE is /items/{id} with id "MINE", not /items/mine.
    expect((await rawRequest(base, 'GET', '/items/MINE')).json()).toEqual({ id: 'MINE' });
  });

  it('prefers literal segments over templated ones', async () => {
    expect((await rawRequest(base, 'GET', '/items/mine')).json()).toEqual({ mine: true });
  });

  it('puts the secure-headers profile on every response, errors included', async () => {
    for (const path of ['/items', '/nowhere', '/boom']) {
      const res = await rawRequest(base, 'GET', path);
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it("echoes a sane X-Request-Id and replaces one that is not", async () => {
    expect((await rawRequest(base, 'GET', '/items', { headers: { 'x-request-id': 'abc-123.x:y' } })).headers['x-request-id']).toBe('abc-123.x:y');
    for (const insane of ['has space', 'quote"d', 'x'.repeat(129), '<script>']) {
      const id = (await rawRequest(base, 'GET', '/items', { headers: { 'x-request-id': insane } })).headers['x-request-id'];
      expect(id).not.toBe(insane);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('keeps a route the document does not declare unreachable, and reports it', async () => {
    calls.length = 0;
    const res = await rawRequest(base, 'GET', '/shadow');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.json()).toEqual({ type: 'urn:palisade:problem:not-found', title: 'Not Found', status: 404 });
    expect(calls).toEqual([]);
    const report = palisade.report();
    expect(report.undeclaredRoutes).toEqual([
      { method: 'GET', path: '/items/export' },
      { method: 'GET', path: '/items/legacy-export' },
      { method: 'GET', path: '/shadow' },
    ]);
    expect(report.unimplementedOperations.map((operation) => operation.operationId)).toEqual(['unimplemented']);
    expect(palisade.formatReport()).toContain('undeclared route GET /shadow');
  });

  it('answers 405 with Allow for a declared path and an undeclared method', async () => {
    const res = await rawRequest(base, 'PUT', '/items/abc');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD, DELETE');
    expect(res.json()).toMatchObject({ status: 405, title: 'Method Not Allowed' });
  });

  it('gives HEAD the checks of GET', async () => {
    const ok = await rawRequest(base, 'HEAD', '/items');
    expect(ok.status).toBe(200);
    expect(ok.body).toBe('');
    const secured = await rawRequest(base, 'HEAD', '/whoami');
    expect(secured.status).toBe(401);
    expect(secured.body).toBe('');
  });

  it('ignores method-override headers: checks and handler follow the real method', async () => {
    calls.length = 0;
    const res = await rawRequest(base, 'GET', '/items/abc', { headers: { 'x-http-method-override': 'DELETE' } });
    expect(res.status).toBe(200);
    expect(calls).toEqual([]);
    const post = await rawRequest(base, 'POST', '/items', { headers: { 'x-http-method-override': 'GET' } });
    expect(post.status).toBe(401);
    expect(calls).toEqual([]);
  });

  it('ignores X-Original-URL and X-Rewrite-URL', async () => {
    const res = await rawRequest(base, 'GET', '/items', { headers: { 'x-original-url': '/shadow', 'x-rewrite-url': '/shadow' } });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ items: [] });
  });

  it('refuses a secured operation without a principal even though no guard denied it', async () => {
    const res = await rawRequest(base, 'GET', '/whoami');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    const ok = await rawRequest(base, 'GET', '/whoami', { headers: { authorization: 'Test user-1' } });
    expect(ok.json()).toEqual({ sub: 'user-1' });
  });

  it('renders a thrown error as a 500 problem without internals', async () => {
    const res = await rawRequest(base, 'GET', '/boom');
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body).not.toMatch(/hunter2|stack|\n\s+at /);
    expect(res.json()).toEqual({ type: 'urn:palisade:problem:internal-error', title: 'Internal Server Error', status: 500 });
  });

  it('renders a thrown denial as its problem', async () => {
    const res = await rawRequest(base, 'GET', '/refuse');
    expect(res.status).toBe(404);
    expect(res.body).toBe((await rawRequest(base, 'GET', '/shadow')).body);
  });

  it('answers 501 for a declared operation without a handler', async () => {
    const res = await rawRequest(base, 'GET', '/unimplemented');
    expect(res.status).toBe(501);
    expect(res.headers['content-type']).toBe('application/problem+json');
  });

  it('turns malformed JSON from express.json() into a 400 problem', async () => {
    const res = await rawRequest(base, 'POST', '/whoami', { body: '{"a":' });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body).not.toContain('SyntaxError');
  });

  it('answers CORS for allowed origins only', async () => {
    const allowed = await rawRequest(base, 'GET', '/items', { headers: { origin: 'https://shop.example' } });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(allowed.headers.vary).toContain('Origin');
    const other = await rawRequest(base, 'GET', '/items', { headers: { origin: 'https://evil.example' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const lookalike = await rawRequest(base, 'GET', '/items', { headers: { origin: 'https://shop.example.evil.example' } });
    expect(lookalike.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers preflights for declared paths from allowed origins, and refuses the rest', async () => {
    const headers = { origin: 'https://shop.example', 'access-control-request-method': 'DELETE' };
    const ok = await rawRequest(base, 'OPTIONS', '/items/abc', { headers });
    expect(ok.status).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(ok.headers['access-control-allow-methods']).toBe('GET, HEAD, DELETE');
    const evil = await rawRequest(base, 'OPTIONS', '/items/abc', { headers: { ...headers, origin: 'https://evil.example' } });
    expect(evil.status).toBe(403);
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    const undeclared = await rawRequest(base, 'OPTIONS', '/shadow', { headers });
    expect(undeclared.status).toBe(404);
  });
});

describe('completion of every request', () => {
  it('completes a request whose client left before the answer (499)', async () => {
    const { request } = await import('node:http');
    const url = new URL(base);
    await new Promise<void>((resolve) => {
      const req = request({ host: url.hostname, port: url.port, path: '/items/slow' });
      req.on('error', () => resolve());
      req.end();
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 50);
    });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(completions.filter((entry) => entry.path === '/items/slow')).toEqual([{ path: '/items/slow', status: 499 }]);
    await rawRequest(base, 'GET', '/items/abc');
    expect(completions.filter((entry) => entry.path === '/items/abc').at(-1)).toEqual({ path: '/items/abc', status: 200 });
  });
});

describe('mountPalisade misuse', () => {
  it('refuses to mount after routes were registered', async () => {
    const late = express();
    late.get('/items', (_req, res) => res.end());
    await expect(mountPalisade(late, { document })).rejects.toMatchObject({ code: 'ERR_PALISADE_MISUSE' });
  });

  it('refuses something that is not an Express app', async () => {
    await expect(mountPalisade({} as Express, { document })).rejects.toMatchObject({ code: 'ERR_PALISADE_MISUSE' });
  });

  it('names a misspelled option', async () => {
    await expect(mountPalisade(express(), { document, cros: {} } as never)).rejects.toThrow(/cros.*Did you mean "cors"/s);
  });
});
