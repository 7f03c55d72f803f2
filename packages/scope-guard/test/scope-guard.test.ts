import { createPalisade, type Guard, type Palisade, type RequestContext } from '@palisade/core';
import { createScopeGuard, ownerOf } from '@palisade/scope-guard';
import { describe, expect, it } from 'vitest';
import { testPrincipal } from '../../../test/helpers/principal';

const orders: Record<string, { id: string; ownerId: string }> = {
  'ord-0001': { id: 'ord-0001', ownerId: 'user-alice' },
  'ord-0021': { id: 'ord-0021', ownerId: 'user-bob' },
};

function documentWith(paths: Record<string, unknown>, security: unknown = [{ oauth2: [] }]) {
  return {
    openapi: '3.1.0',
    info: { title: 't', version: '1' },
    ...(security === null ? {} : { security }),
    components: { securitySchemes: { oauth2: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: 'https://id.example/token', scopes: {} } } } } },
    paths,
  };
}

const orderParam = [{ name: 'orderId', in: 'path', required: true, schema: { type: 'string' } }];
const reference = documentWith({
  '/orders/{orderId}': {
    parameters: orderParam,
    get: {
      operationId: 'getOrder',
      security: [{ oauth2: ['orders:read'] }],
      'x-palisade-ownership': { resource: 'order', param: 'orderId', overrideScopes: ['orders:admin'] },
      responses: { '200': { description: 'ok' } },
    },
    patch: {
      operationId: 'updateOrder',
      security: [{ oauth2: ['orders:write'] }],
      'x-palisade-ownership': { resource: 'order', param: 'orderId' },
      responses: { '200': { description: 'ok' } },
    },
  },
  '/reports': {
    get: { operationId: 'getReport', security: [{ oauth2: ['reports:read', 'reports:export'] }, { oauth2: ['admin'] }], responses: { '200': { description: 'ok' } } },
  },
  '/staff': {
    get: {
      operationId: 'listStaff',
      security: [{ oauth2: [] }],
      'x-palisade-claims': { allOf: [{ claim: 'realm.roles', contains: 'staff' }], anyOf: [{ claim: 'email', matches: '[^@]+@example\\.com' }, { claim: 'tier', equals: 'gold' }] },
      responses: { '200': { description: 'ok' } },
    },
  },
  '/health': { get: { operationId: 'getHealth', security: [], responses: { '200': { description: 'ok' } } } },
});

// Stands in for jwt-auth: `Authorization: Test <sub> <scope,scope> <json claims>`.
const testAuthentication: Guard = {
  name: 'test-auth',
  stage: 'authentication',
  compile: (operation) =>
    operation === null || operation.isPublic
      ? null
      : {
          onRequest(ctx) {
            const header = ctx.headers.authorization;
            if (typeof header !== 'string') return null;
            const [, sub, scopes = '', claims = '{}'] = header.split(' ');
            const principal = testPrincipal({ subject: sub!, clientId: 'app', scopes: new Set(scopes.split(',').filter(Boolean)), claims: { sub, ...JSON.parse(claims) } });
            ctx.principal = principal;
            return null;
          },
        },
};

async function engineFor(document: object, loaders: Record<string, (id: string) => unknown> = { order: (id: string) => orders[id] ?? null }): Promise<Palisade> {
  return createPalisade({ document, guards: [testAuthentication, createScopeGuard({ loaders })] });
}

async function send(engine: Palisade, method: string, url: string, authorization?: string): Promise<{ status: number; body: string | null; headers: Record<string, string>; ctx: RequestContext }> {
  const ctx = engine.startRequest({ method, url, headers: authorization ? { authorization } : {}, remoteAddress: '127.0.0.1', readBody: null, peerCertificate: null });
  const reply = await engine.checkRequest(ctx);
  return { status: reply?.status ?? 200, body: reply?.body ?? null, headers: { ...(reply?.headers ?? {}) }, ctx };
}

describe('scopes from the document', () => {
  it('refuses a caller without the scope, naming it in the challenge', async () => {
    const engine = await engineFor(reference);
    const res = await send(engine, 'GET', '/orders/ord-0001', 'Test user-alice orders:write');
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toBe('Bearer error="insufficient_scope", scope="orders:read"');
    expect(res.ctx.denial?.reason).toBe('insufficient_scope');
  });

  it('lets a caller with the scope through (near miss)', async () => {
    const engine = await engineFor(reference);
    expect((await send(engine, 'GET', '/orders/ord-0001', 'Test user-alice orders:read')).status).toBe(200);
  });

  it('ANDs scopes within a requirement and ORs requirements', async () => {
    const engine = await engineFor(reference);
    expect((await send(engine, 'GET', '/reports', 'Test u reports:read')).status).toBe(403);
    expect((await send(engine, 'GET', '/reports', 'Test u reports:read,reports:export')).status).toBe(200);
    expect((await send(engine, 'GET', '/reports', 'Test u admin')).status).toBe(200);
  });

  it('an admin operation reached through a path trick still needs its scope (deny by default first)', async () => {
    const engine = await engineFor(reference);
    for (const url of ['/REPORTS', '/reports/', '//reports', '/x/../reports', '/%72eports']) {
      expect((await send(engine, 'GET', url, 'Test u reports:read')).status, url).toBe(404);
    }
    expect((await send(engine, 'POST', '/reports', 'Test u admin')).status).toBe(405);
  });

  it('refuses an operation that has no security requirement and no security: []', async () => {
    const document = documentWith({ '/open': { get: { operationId: 'open', responses: { '200': { description: 'ok' } } } } }, null);
    await expect(engineFor(document)).rejects.toThrow(/operation open has no security requirement.*security: \[\]/s);
  });

  it('accepts security: [] as public on purpose', async () => {
    const engine = await engineFor(reference);
    expect((await send(engine, 'GET', '/health')).status).toBe(200);
  });
});

describe('claim rules', () => {
  const staff = (claims: object) => `Test u - ${JSON.stringify(claims)}`;

  it('passes when allOf holds and one anyOf holds', async () => {
    const engine = await engineFor(reference);
    expect((await send(engine, 'GET', '/staff', staff({ realm: { roles: ['staff'] }, email: 'ann@example.com' }))).status).toBe(200);
    expect((await send(engine, 'GET', '/staff', staff({ realm: { roles: ['staff', 'x'] }, tier: 'gold' }))).status).toBe(200);
  });

  it('refuses when a rule fails, with access_rule_failed', async () => {
    const engine = await engineFor(reference);
    const cases = [
      { realm: { roles: ['customer'] }, email: 'ann@example.com' },
      { realm: { roles: ['staff'] }, email: 'ann@example.com.evil.test' },
      { realm: { roles: ['staff'] }, tier: 'golden' },
      { realm: { roles: 'superstaff' }, tier: 'gold' },
      { email: 'ann@example.com' },
    ];
    for (const claims of cases) {
      const res = await send(engine, 'GET', '/staff', staff(claims));
      expect(res.status, JSON.stringify(claims)).toBe(403);
      expect(res.ctx.denial?.reason).toBe('access_rule_failed');
    }
  });

  it('takes rules from code, and checks their operationIds at start-up', async () => {
    const rules = { getReport: { allOf: [{ claim: 'dept', test: 'equals' as const, value: 'finance' }] } };
    const engine = await createPalisade({ document: reference, guards: [testAuthentication, createScopeGuard({ loaders: { order: () => null }, rules })] });
    expect((await send(engine, 'GET', '/reports', 'Test u admin {"dept":"finance"}')).status).toBe(200);
    expect((await send(engine, 'GET', '/reports', 'Test u admin {"dept":"sales"}')).status).toBe(403);
    await expect(createPalisade({ document: reference, guards: [createScopeGuard({ loaders: { order: () => null }, rules: { getReprot: rules.getReport } })] })).rejects.toThrow(/rules.getReprot names no operation/);
  });
});

describe('object ownership (BOLA)', () => {
  it("lets the owner through and hands the loaded object to the handler", async () => {
    const engine = await engineFor(reference);
    const res = await send(engine, 'GET', '/orders/ord-0001', 'Test user-alice orders:read');
    expect(res.status).toBe(200);
    expect(res.ctx.resource).toBe(orders['ord-0001']);
  });

  it("answers another caller's object exactly like a missing one", async () => {
    const engine = await engineFor(reference);
    const notMine = await send(engine, 'GET', '/orders/ord-0021', 'Test user-alice orders:read');
    const missing = await send(engine, 'GET', '/orders/ord-9999', 'Test user-alice orders:read');
    expect(notMine.status).toBe(404);
    expect(notMine.body).toBe(missing.body);
    expect(notMine.headers).toEqual(missing.headers);
    expect(notMine.ctx.denial?.reason).toBe('not_found_or_not_owner');
    expect(missing.ctx.denial?.reason).toBe('not_found_or_not_owner');
  });

  it('lets an override scope read any object, where the rule says so only', async () => {
    const engine = await engineFor(reference);
    expect((await send(engine, 'GET', '/orders/ord-0021', 'Test user-admin orders:read,orders:admin')).status).toBe(200);
    expect((await send(engine, 'PATCH', '/orders/ord-0021', 'Test user-admin orders:write,orders:admin')).status).toBe(404);
  });

  it('works with async loaders', async () => {
    const engine = await engineFor(reference, { order: async (id: string) => orders[id] ?? null });
    expect((await send(engine, 'GET', '/orders/ord-0001', 'Test user-alice orders:read')).status).toBe(200);
    expect((await send(engine, 'GET', '/orders/ord-0001', 'Test user-bob orders:read')).status).toBe(404);
  });

  it('stops start-up when the loader or the parameter is missing', async () => {
    await expect(createPalisade({ document: reference, guards: [createScopeGuard({})] })).rejects.toThrow(/checks ownership of "order" but no loader is registered for it/);
    const badParam = documentWith({
      '/orders/{orderId}': { parameters: orderParam, get: { operationId: 'getOrder', 'x-palisade-ownership': { resource: 'order', param: 'id' }, responses: { '200': { description: 'ok' } } } },
    });
    await expect(engineFor(badParam)).rejects.toMatchObject({ code: 'ERR_PALISADE_INVALID_EXTENSION' });
  });

  it('ownerOf gives list handlers the caller to filter on', async () => {
    const engine = await engineFor(reference);
    const { ctx } = await send(engine, 'GET', '/orders/ord-0001', 'Test user-alice orders:read');
    expect(ownerOf(ctx)).toBe('user-alice');
  });
});

describe('createScopeGuard options', () => {
  it('names unknown options', () => {
    expect(() => createScopeGuard({ loader: {} } as never)).toThrow(/unknown option "loader".*Did you mean "loaders"/s);
  });

  it('refuses a non-function loader', () => {
    expect(() => createScopeGuard({ loaders: { order: 'db' as never } })).toThrow(/loaders.order: must be a function/);
  });
});

describe('rules on public operations', () => {
  it('refuses ownership or claim rules where there is no caller to check', async () => {
    const withRule = (extension: Record<string, unknown>) =>
      documentWith({ '/orders/{orderId}': { parameters: orderParam, get: { operationId: 'getOrder', security: [], ...extension, responses: { '200': { description: 'ok' } } } } });
    await expect(engineFor(withRule({ 'x-palisade-ownership': { resource: 'order', param: 'orderId' } }))).rejects.toMatchObject({ code: 'ERR_PALISADE_INVALID_EXTENSION', message: expect.stringContaining('is public') });
    await expect(engineFor(withRule({ 'x-palisade-claims': { allOf: [{ claim: 'tier', equals: 'gold' }] } }))).rejects.toMatchObject({ code: 'ERR_PALISADE_INVALID_EXTENSION' });
  });
});
