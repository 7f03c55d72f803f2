import {
  createPalisade,
  deny,
  formatStartupReport,
  GUARD_STAGES,
  PalisadeConfigError,
  type Guard,
  type GuardHooks,
  type GuardStage,
  type OperationPolicy,
  type Palisade,
  type Principal,
  type Reply,
  type RequestContext,
  type RequestView,
} from '@palisade/core';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { REFERENCE_DOCUMENT } from './fixtures/fixture-paths';
import { PATH_SPELLINGS } from './vectors/path-spellings';

function requestView(method: string, url: string, headers: Record<string, string> = {}): RequestView {
  return { method, url, headers, remoteAddress: '127.0.0.1', readBody: null, peerCertificate: null };
}

const PRINCIPAL: Principal = Object.freeze({
  subject: 'user-alice',
  clientId: 'shop',
  scopes: new Set(['orders:read', 'orders:write']),
  claims: Object.freeze({ sub: 'user-alice' }),
  method: 'jwt',
  issuer: 'https://issuer.example',
  tokenId: 'jti-1',
  acr: null,
  amr: [],
  authTime: null,
  expiresAt: null,
});

/** Stands in for the authentication guard: every caller is Alice. */
const fakeAuthentication: Guard = {
  name: 'fake-authentication',
  stage: 'authentication',
  compile: () => ({
    onRequest: (ctx) => {
      ctx.principal = PRINCIPAL;
      return null;
    },
  }),
};

function guard(name: string, stage: GuardStage, onRequest: NonNullable<GuardHooks['onRequest']>, extra: Partial<GuardHooks> = {}): Guard {
  return { name, stage, compile: () => ({ onRequest, ...extra }) };
}

/** A small document: one public operation, one secured, one with a request body. */
const DOCUMENT = {
  openapi: '3.1.0',
  info: { title: 'engine', version: '1' },
  security: [{ bearer: [] }],
  components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
  paths: {
    '/public': { get: { operationId: 'getPublic', security: [], responses: { '200': { description: 'OK' } } } },
    '/things/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      get: { operationId: 'getThing', responses: { '200': { description: 'OK' } } },
      delete: { operationId: 'deleteThing', responses: { '204': { description: 'Deleted' } } },
    },
  },
};

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function run(palisade: Palisade, view: RequestView): { ctx: RequestContext; reply: Reply | null | Promise<Reply | null> } {
  const ctx = palisade.startRequest(view);
  return { ctx, reply: palisade.checkRequest(ctx) };
}

function syncReply(palisade: Palisade, view: RequestView): { ctx: RequestContext; reply: Reply | null } {
  const { ctx, reply } = run(palisade, view);
  expect(isPromise(reply)).toBe(false);
  return { ctx, reply: reply as Reply | null };
}

describe('Palisade on the reference document: path spellings end to end', () => {
  let palisade: Palisade;
  beforeAll(async () => {
    palisade = await createPalisade({ document: REFERENCE_DOCUMENT, guards: [fakeAuthentication] });
  });

  it.each(PATH_SPELLINGS.map((entry) => [entry.title, entry] as const))('%s', (_title, entry) => {
    const { ctx, reply } = syncReply(palisade, requestView(entry.method, entry.url, entry.headers));
    switch (entry.expected.kind) {
      case 'operation':
        expect(reply).toBeNull();
        expect(ctx.operation?.operationId).toBe(entry.expected.operationId);
        expect(ctx.params === null ? null : { ...ctx.params }).toEqual(entry.expected.params);
        break;
      case 'method_not_allowed':
        expect(reply?.status).toBe(405);
        expect(reply?.headers.allow).toBe(entry.expected.allow);
        expect(ctx.denial?.reason).toBe('method_not_allowed');
        expect(ctx.operation).toBeNull();
        break;
      case 'malformed':
        expect(reply?.status).toBe(400);
        expect(ctx.denial?.reason).toBe('path_malformed');
        break;
      case 'not_found':
        expect(reply?.status).toBe(404);
        expect(ctx.denial?.reason).toBe('undeclared_route');
        expect(ctx.operation).toBeNull();
        break;
    }
  });

  it('ignores method-override and rewrite headers whatever their value', () => {
    const overrides = ['x-http-method-override', 'x-http-method', 'x-method-override', 'x-original-url', 'x-rewrite-url', 'x-original-method', 'x-forwarded-path'];
    const values = ['DELETE', 'GET', '/admin/users', '/health', 'http://orders.example/health'];
    for (const name of overrides) {
      for (const value of values) {
        const plain = syncReply(palisade, requestView('GET', '/internal/debug'));
        const withHeader = syncReply(palisade, requestView('GET', '/internal/debug', { [name]: value }));
        expect(withHeader.reply).toEqual(plain.reply);
        const deleteOrder = syncReply(palisade, requestView('POST', '/orders/ord-0001', { [name]: value }));
        expect(deleteOrder.reply?.status).toBe(405);
        const health = syncReply(palisade, requestView('GET', '/health', { [name]: value }));
        expect(health.ctx.operation?.operationId).toBe('getHealth');
      }
    }
  });

  it('answers HEAD with GET policy and a problem without a body', () => {
    const head = syncReply(palisade, requestView('HEAD', '/orders/ord-0001'));
    const get = syncReply(palisade, requestView('GET', '/orders/ord-0001'));
    expect(head.ctx.operation).toBe(get.ctx.operation);
    const missing = syncReply(palisade, requestView('HEAD', '/nope'));
    expect(missing.reply).toMatchObject({ status: 404, body: null });
    expect(missing.reply?.headers['content-type']).toBe('application/problem+json');
  });

  it('answers 405 with an Allow header and a problem body', () => {
    const { reply } = syncReply(palisade, requestView('PUT', '/orders'));
    expect(reply?.status).toBe(405);
    expect(reply?.headers).toEqual({ 'content-type': 'application/problem+json', allow: 'GET, HEAD, POST' });
    expect(JSON.parse(reply!.body!)).toEqual({ type: 'urn:palisade:problem:method-not-allowed', title: 'Method Not Allowed', status: 405 });
  });
});

describe('Palisade: deny by default', () => {
  it('refuses a secured operation when no guard established a principal', async () => {
    const palisade = await createPalisade({ document: DOCUMENT });
    const secured = syncReply(palisade, requestView('GET', '/things/1'));
    expect(secured.reply?.status).toBe(401);
    expect(secured.reply?.headers['www-authenticate']).toBe('Bearer');
    expect(secured.ctx.denial?.reason).toBe('token_missing');
    expect(syncReply(palisade, requestView('GET', '/public')).reply).toBeNull();
  });

  it('refuses a secured operation when the authentication guard let the request through without a principal', async () => {
    const lax = guard('lax', 'authentication', () => null);
    const later = vi.fn(() => null);
    const palisade = await createPalisade({ document: DOCUMENT, guards: [lax, guard('later', 'authorization', later)] });
    expect(syncReply(palisade, requestView('GET', '/things/1')).reply?.status).toBe(401);
    expect(later).not.toHaveBeenCalled();
  });
});

describe('Palisade: the guard chain', () => {
  it('runs guards in stage order, then in the order given', async () => {
    const calls: string[] = [];
    const record = (name: string, stage: GuardStage) => guard(name, stage, () => void calls.push(name));
    const guards = [
      record('ownership', 'ownership'),
      record('validation', 'validation'),
      record('authorization-1', 'authorization'),
      { ...fakeAuthentication, compile: () => ({ onRequest: (ctx: RequestContext) => void ((ctx.principal = PRINCIPAL), calls.push('authentication')) }) },
      record('rate-limit', 'rate-limit'),
      record('admission', 'admission'),
      record('authorization-2', 'authorization'),
    ];
    const palisade = await createPalisade({ document: DOCUMENT, guards });
    expect(syncReply(palisade, requestView('GET', '/things/1')).reply).toBeNull();
    expect(calls).toEqual(['admission', 'authentication', 'rate-limit', 'authorization-1', 'authorization-2', 'validation', 'ownership']);
    expect(GUARD_STAGES).toEqual(['admission', 'authentication', 'rate-limit', 'authorization', 'validation', 'ownership']);
  });

  it('runs each hook object of a guard at its own stage', async () => {
    const calls: string[] = [];
    const twoStage: Guard = {
      name: 'two-stage',
      stage: 'admission',
      compile: () => [{ onRequest: () => void calls.push('early') }, { stage: 'ownership', onRequest: () => void calls.push('late') }],
    };
    const palisade = await createPalisade({ document: DOCUMENT, guards: [twoStage, guard('validation', 'validation', () => void calls.push('validation'))] });
    expect(syncReply(palisade, requestView('GET', '/public')).reply).toBeNull();
    expect(calls).toEqual(['early', 'validation', 'late']);
  });

  it('stops at the first denial and renders it', async () => {
    const after = vi.fn(() => null);
    const palisade = await createPalisade({
      document: DOCUMENT,
      guards: [guard('limit', 'admission', () => deny('rate_limited', { headers: { 'retry-after': '7' } })), guard('after', 'validation', after)],
    });
    const { ctx, reply } = syncReply(palisade, requestView('GET', '/public'));
    expect(reply).toMatchObject({ status: 429, headers: { 'retry-after': '7', 'content-type': 'application/problem+json' } });
    expect(ctx.denial?.reason).toBe('rate_limited');
    expect(after).not.toHaveBeenCalled();
  });

  it('runs guards for requests that match no operation, before the 404', async () => {
    const seen: (string | null)[] = [];
    const palisade = await createPalisade({ document: DOCUMENT, guards: [guard('admission', 'admission', (ctx) => void seen.push(ctx.operation?.operationId ?? null))] });
    expect(syncReply(palisade, requestView('GET', '/nope')).reply?.status).toBe(404);
    expect(seen).toEqual([null]);
  });

  it('compiles each guard once per operation and once for unmatched requests', async () => {
    const compile = vi.fn((_operation: OperationPolicy | null): GuardHooks | null => null);
    const init = vi.fn();
    const close = vi.fn();
    const palisade = await createPalisade({ document: DOCUMENT, guards: [{ name: 'counting', stage: 'admission', compile, init, close }] });
    expect(compile.mock.calls.map(([operation]) => operation?.operationId ?? null)).toEqual(['getPublic', 'getThing', 'deleteThing', null]);
    expect(init).toHaveBeenCalledTimes(1);
    expect(init.mock.calls[0]![0].compiled).toBe(palisade.compiled);
    for (let i = 0; i < 5; i++) syncReply(palisade, requestView('GET', '/public'));
    expect(compile).toHaveBeenCalledTimes(4);
    await palisade.close();
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('is synchronous when every guard is', async () => {
    const palisade = await createPalisade({ document: DOCUMENT, guards: [fakeAuthentication, guard('sync', 'authorization', () => null)] });
    const { reply } = run(palisade, requestView('GET', '/things/1'));
    expect(reply).toBeNull();
    const denied = run(palisade, requestView('GET', '/nope'));
    expect(isPromise(denied.reply)).toBe(false);
  });

  it('continues asynchronously after an async guard, in order', async () => {
    const calls: string[] = [];
    const palisade = await createPalisade({
      document: DOCUMENT,
      guards: [
        guard('async', 'admission', async () => void calls.push('async')),
        guard('sync', 'validation', () => void calls.push('sync')),
      ],
    });
    const { reply } = run(palisade, requestView('GET', '/public'));
    expect(isPromise(reply)).toBe(true);
    expect(await reply).toBeNull();
    expect(calls).toEqual(['async', 'sync']);

    const denying = await createPalisade({ document: DOCUMENT, guards: [guard('async', 'admission', async () => deny('subject_blocked'))] });
    expect(await run(denying, requestView('GET', '/public')).reply).toMatchObject({ status: 429 });
  });
});

describe('Palisade: failures fail closed', () => {
  const secret = 'password=hunter2 at db.internal:5432';

  it('turns a guard that throws into a 500 internal_error with nothing private', async () => {
    const after = vi.fn(() => null);
    const palisade = await createPalisade({
      document: DOCUMENT,
      guards: [
        guard('broken', 'admission', () => {
          throw new Error(secret);
        }),
        guard('after', 'validation', after),
      ],
    });
    const { ctx, reply } = syncReply(palisade, requestView('GET', '/public'));
    expect(reply?.status).toBe(500);
    expect(JSON.parse(reply!.body!)).toEqual({ type: 'urn:palisade:problem:internal-error', title: 'Internal Server Error', status: 500 });
    expect(reply!.body).not.toContain('hunter2');
    expect(ctx.denial?.reason).toBe('internal_error');
    expect((ctx.error as Error).message).toBe(secret);
    expect(ctx.denial?.privateDetail).toContain(secret);
    expect(after).not.toHaveBeenCalled();
  });

  it('turns an async guard that rejects into a 500', async () => {
    const palisade = await createPalisade({
      document: DOCUMENT,
      guards: [
        guard('broken', 'admission', async () => {
          throw new TypeError(secret);
        }),
      ],
    });
    const { ctx, reply } = run(palisade, requestView('GET', '/public'));
    const settled = await reply;
    expect(settled?.status).toBe(500);
    expect(settled?.body).not.toContain('hunter2');
    expect(ctx.error).toBeInstanceOf(TypeError);
  });

  it('renders a Denial that an async guard throws as that denial', async () => {
    const palisade = await createPalisade({ document: DOCUMENT, guards: [guard('throws', 'admission', async () => Promise.reject(deny('payload_too_large')))] });
    expect((await run(palisade, requestView('GET', '/public')).reply)?.status).toBe(413);
  });

  it('turns a throwing response hook into a 500', async () => {
    const palisade = await createPalisade({
      document: DOCUMENT,
      guards: [
        {
          name: 'filter',
          stage: 'validation',
          compile: () => ({
            onResponse: () => {
              throw new Error(secret);
            },
          }),
        },
      ],
    });
    const { ctx } = syncReply(palisade, requestView('GET', '/public'));
    const reply = palisade.filterResponse(ctx, { status: 200, contentType: 'application/json', body: { ok: true } });
    expect(reply?.status).toBe(500);
    expect(reply?.body).not.toContain('hunter2');
  });

  it('lets response hooks rewrite the body', async () => {
    const palisade = await createPalisade({
      document: DOCUMENT,
      guards: [{ name: 'filter', stage: 'validation', compile: () => ({ onResponse: (_ctx, response) => void (response.body = { filtered: true }) }) }],
    });
    const { ctx } = syncReply(palisade, requestView('GET', '/public'));
    const response = { status: 200, contentType: 'application/json', body: { filtered: false, secret: 1 } as unknown };
    expect(palisade.filterResponse(ctx, response)).toBeNull();
    expect(response.body).toEqual({ filtered: true });
  });

  it('answers a handler error with a 500 and a thrown Denial with its problem', async () => {
    const palisade = await createPalisade({ document: DOCUMENT });
    const { ctx } = syncReply(palisade, requestView('GET', '/public'));
    const error = new Error(secret);
    const reply = palisade.replyForError(ctx, error);
    expect(reply.status).toBe(500);
    expect(reply.body).not.toContain('hunter2');
    expect(ctx.error).toBe(error);
    const other = syncReply(palisade, requestView('GET', '/public')).ctx;
    expect(palisade.replyForError(other, deny('not_found_or_not_owner')).status).toBe(404);
    expect(palisade.replyForDenial(other, deny('upstream_timeout')).status).toBe(504);
  });

  it('runs completion hooks once, with the outcome, and survives one that throws', async () => {
    const completed = vi.fn();
    const palisade = await createPalisade({
      document: DOCUMENT,
      guards: [
        {
          name: 'audit',
          stage: 'admission',
          compile: () => ({
            onComplete: () => {
              throw new Error('audit sink down');
            },
          }),
        },
        { name: 'audit-2', stage: 'admission', compile: () => ({ onComplete: completed }) },
      ],
    });
    const allowed = syncReply(palisade, requestView('GET', '/public')).ctx;
    expect(palisade.needsFinish(allowed)).toBe(true);
    expect(() => palisade.finishRequest(allowed, 200)).not.toThrow();
    const denied = syncReply(palisade, requestView('GET', '/nope')).ctx;
    palisade.finishRequest(denied, 404);
    // An adapter may report both "finished" and "closed": the hooks still run once.
    palisade.finishRequest(denied, 499);
    palisade.finishRequest(allowed, 499);
    expect(completed.mock.calls.map(([, done]) => [done.status, done.outcome])).toEqual([
      [200, 'allow'],
      [404, 'deny'],
    ]);
  });

  it('tells adapters when no guard needs to hear of the end of a request', async () => {
    const palisade = await createPalisade({ document: DOCUMENT });
    const { ctx } = syncReply(palisade, requestView('GET', '/public'));
    expect(palisade.needsFinish(ctx)).toBe(false);
    expect(() => palisade.finishRequest(ctx, 200)).not.toThrow();
    expect(ctx.finished).toBe(true);
  });
});

describe('createPalisade: guards are checked at start-up', () => {
  function createRateLimitGuard(): Guard {
    return { name: 'rate-limit', stage: 'rate-limit', compile: () => null };
  }

  it('a guard factory passed instead of a guard says how to call it', async () => {
    const error = await createPalisade({ document: DOCUMENT, guards: [createRateLimitGuard as unknown as Guard] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PalisadeConfigError);
    expect(error).toMatchObject({ code: 'ERR_PALISADE_INVALID_GUARD', path: 'guards[0]' });
    expect((error as Error).message).toContain('guard factory');
    expect((error as Error).message).toContain('createRateLimitGuard({ ... })');
  });

  it('a guard factory passed instead of a guard stops start-up at guards[0]', async () => {
    const error = await createPalisade({ document: DOCUMENT, guards: [createRateLimitGuard as unknown as Guard] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PalisadeConfigError);
    expect((error as PalisadeConfigError).path).toBe('guards[0]');
  });

  const noHooks = (): GuardHooks | null => null;
  it.each<[string, object]>([
    ['an unknown stage', { name: 'x', stage: 'routing', compile: noHooks }],
    ['no compile function', { name: 'x', stage: 'admission' }],
    ['no name', { stage: 'admission', compile: noHooks }],
  ])('a guard with %s is ERR_PALISADE_INVALID_GUARD', async (_title, candidate) => {
    const error = await createPalisade({ document: DOCUMENT, guards: [fakeAuthentication, candidate as unknown as Guard] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PalisadeConfigError);
    expect(error).toMatchObject({ code: 'ERR_PALISADE_INVALID_GUARD', path: 'guards[1]' });
    expect((error as PalisadeConfigError).fix).toContain('admission, authentication, rate-limit, authorization, validation');
  });
});

describe('Palisade: response headers, request ids and CORS', () => {
  let palisade: Palisade;
  beforeAll(async () => {
    palisade = await createPalisade({ document: DOCUMENT, cors: { origins: ['https://shop.example'] } });
  });

  function headersOf(ctx: RequestContext): Map<string, string | null> {
    const headers = new Map<string, string | null>();
    palisade.forEachResponseHeader(ctx, (name, value) => headers.set(name, value));
    return headers;
  }

  it('sets the secure-headers profile and removes X-Powered-By', () => {
    const headers = headersOf(palisade.startRequest(requestView('GET', '/public')));
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('cache-control')).toBe('no-store');
    expect(headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
    expect(headers.get('referrer-policy')).toBe('no-referrer');
    expect(headers.has('x-powered-by')).toBe(true);
    expect(headers.get('x-powered-by')).toBeNull();
  });

  it('leaves out the headers that only matter to HTML documents', () => {
    const headers = headersOf(palisade.startRequest(requestView('GET', '/public')));
    expect(headers.get('x-frame-options')).toBe('DENY');
    expect(headers.get('cross-origin-resource-policy')).toBe('same-origin');
    for (const name of ['cross-origin-opener-policy', 'origin-agent-cluster', 'x-dns-prefetch-control', 'x-download-options', 'x-permitted-cross-domain-policies', 'x-xss-protection']) {
      expect(headers.has(name), name).toBe(false);
    }
  });

  it("keeps a sane caller's X-Request-Id and replaces any other", () => {
    expect(headersOf(palisade.startRequest(requestView('GET', '/public', { 'x-request-id': 'abc-123' }))).get('x-request-id')).toBe('abc-123');
    for (const bad of ['a b', 'x\r\nSet-Cookie: y', '"quoted"', 'a'.repeat(200), '']) {
      const id = palisade.startRequest(requestView('GET', '/public', { 'x-request-id': bad })).requestId;
      expect(id).not.toBe(bad);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('echoes only listed origins', () => {
    const allowed = headersOf(palisade.startRequest(requestView('GET', '/public', { origin: 'https://shop.example' })));
    expect(allowed.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(allowed.get('vary')).toBe('Origin');
    const other = headersOf(palisade.startRequest(requestView('GET', '/public', { origin: 'https://evil.example' })));
    expect(other.has('access-control-allow-origin')).toBe(false);
    expect(other.get('vary')).toBe('Origin');
  });

  it('answers a preflight from a listed origin with the declared methods', () => {
    const { reply } = syncReply(palisade, requestView('OPTIONS', '/things/1', { origin: 'https://shop.example', 'access-control-request-method': 'DELETE' }));
    expect(reply?.status).toBe(204);
    expect(reply?.headers['access-control-allow-methods']).toBe('GET, HEAD, DELETE');
    expect(reply?.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(reply?.body).toBeNull();
  });

  it('refuses a preflight from any other origin, and a preflight to an undeclared path is a 404', () => {
    const refused = syncReply(palisade, requestView('OPTIONS', '/things/1', { origin: 'https://evil.example', 'access-control-request-method': 'DELETE' }));
    expect(refused.reply?.status).toBe(403);
    expect(refused.ctx.denial?.reason).toBe('cors_origin_denied');
    const undeclared = syncReply(palisade, requestView('OPTIONS', '/nope', { origin: 'https://shop.example', 'access-control-request-method': 'GET' }));
    expect(undeclared.reply?.status).toBe(404);
  });
});

describe('Palisade.report', () => {
  it('lists operations with their access and guards, and the undeclared framework routes', async () => {
    const palisade = await createPalisade({ document: DOCUMENT, guards: [fakeAuthentication] });
    const report = palisade.report([
      { method: 'GET', path: '/public' },
      { method: 'GET', path: '/things/{thingId}' },
      { method: 'GET', path: '/internal/debug' },
      { method: 'HEAD', path: '/public' },
    ]);
    expect(report.operations.map((operation) => [operation.operationId, operation.access])).toEqual([
      ['getPublic', 'public'],
      ['getThing', 'bearer[]'],
      ['deleteThing', 'bearer[]'],
    ]);
    expect(report.operations[1]!.guards).toEqual(['fake-authentication']);
    expect(report.undeclaredRoutes).toEqual([{ method: 'GET', path: '/internal/debug' }]);
    expect(report.unimplementedOperations.map((operation) => operation.operationId)).toEqual(['deleteThing']);
    const text = formatStartupReport(report);
    expect(text).toContain('palisade: 3 operations compiled');
    expect(text).toContain('WARNING undeclared route GET /internal/debug');
    expect(text).toContain('operation deleteThing (DELETE /things/{id}) has no handler; it answers 501');
  });
});
