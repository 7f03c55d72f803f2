import { compileDocument, loadDocument, PalisadeConfigError, resolvePointer, type CompiledDocument, type OperationPolicy } from '@palisade/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixturePath, REFERENCE_DOCUMENT } from './fixtures/fixture-paths';

async function compile(source: string | object): Promise<CompiledDocument> {
  return compileDocument(await loadDocument(source));
}

async function compileError(source: string | object): Promise<PalisadeConfigError> {
  const error = await compile(source).then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PalisadeConfigError);
  return error as PalisadeConfigError;
}

const OK = { responses: { '200': { description: 'OK' } } };
const documentWith = (paths: object, root: object = {}) => ({ openapi: '3.1.0', info: { title: 'compile', version: '1' }, paths, ...root });
const pathParam = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });

describe('compileDocument on the reference document', () => {
  let compiled: CompiledDocument;
  const operation = (id: string): OperationPolicy => compiled.operationsById.get(id)!;

  beforeAll(async () => {
    compiled = await compile(REFERENCE_DOCUMENT);
  });

  it('compiles one policy per declared operation, in document order', () => {
    expect(compiled.version).toBe('3.1');
    expect(compiled.operations.map((policy) => `${policy.method} ${policy.pathTemplate}`)).toEqual([
      'GET /health',
      'POST /login',
      'GET /orders',
      'POST /orders',
      'GET /orders/{orderId}',
      'PATCH /orders/{orderId}',
      'DELETE /orders/{orderId}',
      'POST /orders/{orderId}/checkout',
      'GET /orders/{orderId}/invoice',
      'POST /webhooks',
      'GET /admin/users',
    ]);
    expect([...compiled.operationsById.keys()]).toHaveLength(11);
  });

  it('points every policy at its operation object', () => {
    for (const policy of compiled.operations) {
      expect(resolvePointer(compiled.document, policy.pointer)).toMatchObject({ operationId: policy.operationId });
    }
    expect(operation('getOrder').pointer).toBe('/paths/~1orders~1{orderId}/get');
  });

  it('takes security from the operation, falling back to the document', () => {
    expect(operation('getHealth')).toMatchObject({ isPublic: true, securitySource: 'operation', security: [] });
    expect(operation('listOrders')).toMatchObject({ isPublic: false, securitySource: 'operation', security: [[{ scheme: 'oauth2', scopes: ['orders:read'] }]] });
    expect(operation('deleteOrder').security).toEqual([[{ scheme: 'oauth2', scopes: ['orders:admin'] }]]);
  });

  it('merges path-level parameters, with their $ref location as pointer', () => {
    const [orderId] = operation('checkoutOrder').parameters;
    expect(orderId).toMatchObject({ name: 'orderId', in: 'path', required: true, style: 'simple', explode: false, pointer: '/components/parameters/OrderId' });
    expect(orderId!.schema).toEqual({ pointer: '/components/parameters/OrderId/schema', schema: { type: 'string', pattern: '^ord-[0-9]{4}$' } });
  });

  it('compiles query parameters with their OpenAPI defaults', () => {
    const limit = operation('listOrders').parameters.find((parameter) => parameter.name === 'limit')!;
    expect(limit).toMatchObject({ in: 'query', required: false, style: 'form', explode: true, allowReserved: false, content: null });
    expect(limit.pointer).toBe('/paths/~1orders/get/parameters/0');
  });

  it('compiles request bodies and responses with pointers into the document', () => {
    const create = operation('createOrder');
    expect(create.requestBody).toMatchObject({ required: true, pointer: '/paths/~1orders/post/requestBody' });
    expect(create.requestBody!.content.map((media) => media.mediaType)).toEqual(['application/json']);
    expect(create.requestBody!.content[0]!.schema!.pointer).toBe('/paths/~1orders/post/requestBody/content/application~1json/schema');
    expect(create.responses.map((response) => response.status)).toEqual(['201', 'default']);
    const problem = create.responses.find((response) => response.status === 'default')!;
    expect(problem.pointer).toBe('/components/responses/Problem');
    expect(problem.content[0]!.mediaType).toBe('application/problem+json');
    expect(operation('getHealth').requestBody).toBeNull();
  });

  it('has no extensions where the document declares none', () => {
    expect(compiled.extensions).toEqual({ rateLimits: null, limits: null });
    expect(Object.values(operation('login').extensions).every((value) => value === null)).toBe(true);
  });

  it('freezes everything it returns', () => {
    const policy = operation('createOrder');
    expect(Object.isFrozen(compiled)).toBe(true);
    expect(Object.isFrozen(compiled.operations)).toBe(true);
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.parameters)).toBe(true);
    expect(Object.isFrozen(policy.requestBody!.content[0])).toBe(true);
    expect(Object.isFrozen(compiled.document)).toBe(true);
    expect(() => {
      (policy as { operationId: string }).operationId = 'changed';
    }).toThrow(TypeError);
  });
});

describe('compileDocument: extension defaults', () => {
  it('fills the documented defaults', async () => {
    const compiled = await compile(
      documentWith({
        '/orders/{orderId}/checkout': {
          post: {
            operationId: 'checkoutOrder',
            parameters: [pathParam('orderId')],
            'x-palisade-rate-limit': { limit: 10, window: 60 },
            'x-palisade-quota': { limit: 3, window: '10m' },
            'x-palisade-brute-force': { identifier: '/username', maxFailures: 5, window: '15m' },
            'x-palisade-ownership': { resource: 'order', param: 'orderId' },
            'x-palisade-claims': { allOf: [{ claim: 'email_verified', equals: true }] },
            'x-palisade-step-up': { acr: ['urn:example:acr:mfa'] },
            'x-palisade-ssrf': { fields: ['/url'] },
            'x-palisade-audit': { event: 'order.checkout' },
            ...OK,
          },
        },
      }),
    );
    expect(compiled.operations[0]!.extensions).toEqual({
      rateLimits: [{ name: null, by: ['ip'], limit: 10, windowMs: 60_000, cost: 1, blockMs: null }],
      quota: { by: ['sub'], limit: 3, windowMs: 600_000, countOn: 'attempt' },
      bruteForce: { identifier: '/username', maxFailures: 5, windowMs: 900_000, blockMs: 900_000, perAddress: null },
      ownership: { resource: 'order', param: 'orderId', ownerField: 'ownerId', claim: 'sub', overrideScopes: [] },
      claims: { allOf: [{ claim: 'email_verified', test: 'equals', value: true }], anyOf: [] },
      stepUp: { acr: ['urn:example:acr:mfa'], amr: [], maxAgeMs: null },
      limits: null,
      ssrf: { fields: ['/url'], schemes: ['https'] },
      audit: { redact: [], event: 'order.checkout' },
    });
  });

  it('keeps every field that is given', async () => {
    const compiled = await compile(
      documentWith({
        '/login': {
          post: {
            operationId: 'login',
            'x-palisade-rate-limit': [
              { name: 'burst', by: ['ip', 'operation'], limit: 5, window: '1s', cost: 2, block: '30s' },
              { limit: 20, window: '1m' },
            ],
            'x-palisade-brute-force': { identifier: '/username', maxFailures: 5, window: '15m', block: '1h', perAddress: { limit: 20, window: '1m' } },
            'x-palisade-quota': { by: ['client'], limit: 100, window: '1d', countOn: 'success' },
            'x-palisade-ssrf': { fields: ['/callback/url'], schemes: ['https', 'http'] },
            'x-palisade-audit': { redact: ['/password'] },
            'x-palisade-step-up': { amr: ['mfa'], maxAge: '5m' },
            ...OK,
          },
        },
      }),
    );
    const extensions = compiled.operations[0]!.extensions;
    expect(extensions.rateLimits).toEqual([
      { name: 'burst', by: ['ip', 'operation'], limit: 5, windowMs: 1000, cost: 2, blockMs: 30_000 },
      { name: null, by: ['ip'], limit: 20, windowMs: 60_000, cost: 1, blockMs: null },
    ]);
    expect(extensions.bruteForce).toEqual({ identifier: '/username', maxFailures: 5, windowMs: 900_000, blockMs: 3_600_000, perAddress: { limit: 20, windowMs: 60_000 } });
    expect(extensions.quota).toEqual({ by: ['client'], limit: 100, windowMs: 86_400_000, countOn: 'success' });
    expect(extensions.ssrf).toEqual({ fields: ['/callback/url'], schemes: ['https', 'http'] });
    expect(extensions.audit).toEqual({ redact: ['/password'], event: null });
    expect(extensions.stepUp).toEqual({ acr: [], amr: ['mfa'], maxAgeMs: 300_000 });
  });

  it('merges operation body limits over the document ones', async () => {
    const compiled = await compile(
      documentWith(
        {
          '/a': { post: { operationId: 'a', 'x-palisade-limits': { maxDepth: 8 }, ...OK } },
          '/b': { post: { operationId: 'b', ...OK } },
        },
        { 'x-palisade-limits': { maxBodyBytes: 16_384, maxDepth: 32 }, 'x-palisade-rate-limit': { by: ['sub'], limit: 600, window: '1m' } },
      ),
    );
    expect(compiled.extensions.limits).toEqual({ maxBodyBytes: 16_384, maxDepth: 32 });
    expect(compiled.extensions.rateLimits).toEqual([{ name: null, by: ['sub'], limit: 600, windowMs: 60_000, cost: 1, blockMs: null }]);
    expect(compiled.operationsById.get('a')!.extensions.limits).toEqual({ maxBodyBytes: 16_384, maxDepth: 8 });
    expect(compiled.operationsById.get('b')!.extensions.limits).toEqual({ maxBodyBytes: 16_384, maxDepth: 32 });
    // Document rate limits stay on the document: the rate-limit guard adds them itself.
    expect(compiled.operationsById.get('b')!.extensions.rateLimits).toBeNull();
  });
});

describe('compileDocument: start-up errors', () => {
  it('duplicate operationId names both pointers', async () => {
    const error = await compileError(fixturePath('duplicate-operation-id.yaml'));
    expect(error.code).toBe('ERR_PALISADE_DUPLICATE_OPERATION_ID');
    expect(error.path).toBe('/paths/~1animals/get/operationId');
    expect(error.message).toContain('at /paths/~1animals/get/operationId');
    expect(error.message).toContain('already used at /paths/~1pets/get');
    expect(error.received).toBe('getPets');
  });

  it('names operations without an operationId by method and path', async () => {
    const compiled = await compile(documentWith({ '/a': { get: OK, delete: OK } }));
    expect(compiled.operations.map((policy) => policy.operationId)).toEqual(['GET /a', 'DELETE /a']);
  });

  it('skips x- keys of the paths object', async () => {
    const compiled = await compile(documentWith({ '/a': { get: OK }, 'x-internal': { note: 'not a path' } }));
    expect(compiled.operations).toHaveLength(1);
  });

  it.each([
    ['/a/{x', 'unbalanced braces'],
    ['/a/{x}{y}', 'side by side'],
    ['/a/{x}/{x}', 'repeated parameter name "x"'],
    ['/a/{}', 'empty parameter name'],
  ])('refuses the path template %s', async (template, message) => {
    const error = await compileError(documentWith({ [template]: { get: OK } }));
    expect(error.code).toBe('ERR_PALISADE_DOCUMENT_INVALID');
    expect(error.path).toBe(`/paths/${template.replace(/\//g, '~1')}`);
    expect(error.message).toContain(message);
  });

  it('refuses a template parameter that is not declared', async () => {
    const error = await compileError(documentWith({ '/a/{x}': { get: OK } }));
    expect(error.path).toBe('/paths/~1a~1{x}/get');
    expect(error.message).toContain('path parameter "{x}"');
    expect(error.fix).toContain('in: path');
  });

  it('refuses a path parameter that is not in the template', async () => {
    const error = await compileError(documentWith({ '/a': { get: { parameters: [pathParam('x')], ...OK } } }));
    expect(error.path).toBe('/paths/~1a/get/parameters/0');
    expect(error.message).toContain('does not appear in "/a"');
  });

  it('lets an operation parameter override the path-level one', async () => {
    const compiled = await compile(
      documentWith({ '/a/{x}': { parameters: [pathParam('x')], get: { parameters: [{ ...pathParam('x'), schema: { type: 'integer' } }], ...OK } } }),
    );
    const [x] = compiled.operations[0]!.parameters;
    expect(x!.schema!.schema).toEqual({ type: 'integer' });
    expect(x!.pointer).toBe('/paths/~1a~1{x}/get/parameters/0');
  });

  it('refuses a path item that refers to itself', async () => {
    const error = await compileError(documentWith({ '/a': { $ref: '#/paths/~1a' } }));
    expect(error.code).toBe('ERR_PALISADE_DANGLING_REF');
    expect(error.path).toBe('/paths/~1a');
  });
});
