import { PalisadeConfigError, type Palisade } from '@palisade/core';
import { createSchemaValidator, type SchemaWarning } from '@palisade/schema-validator';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { REFERENCE_DOCUMENT, createEngine, send } from './helpers/harness';
import { MASS_ASSIGNMENT, NEAR_MISSES, REFUSALS, nestedBody, type RequestVector } from './vectors/reference-requests';

let palisade: Palisade;
const validator = createSchemaValidator();

beforeAll(async () => {
  palisade = await createEngine(REFERENCE_DOCUMENT, validator);
});

async function expectVector(vector: RequestVector) {
  const result = await send(palisade, vector);
  expect(result.status, result.raw ?? '').toBe(vector.status);
  if (vector.reason !== undefined) expect(result.ctx.denial?.reason).toBe(vector.reason);
  if (vector.pointer !== undefined) expect(result.problem?.errors?.map((error) => error.pointer)).toContain(vector.pointer);
  return result;
}

describe('createSchemaValidator on the reference service', () => {
  it('finds nothing to warn about in the reference document', () => {
    expect(validator.warnings()).toEqual([]);
    expect(validator.name).toBe('schema-validator');
    expect(validator.stage).toBe('validation');
  });

  describe('mass assignment (attacks)', () => {
    it.each(MASS_ASSIGNMENT.map((vector) => [vector.title, vector] as const))('%s', async (_title, vector) => {
      await expectVector(vector);
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    });
  });

  describe('near misses that must pass', () => {
    it.each(NEAR_MISSES.map((vector) => [vector.title, vector] as const))('%s', async (_title, vector) => {
      const result = await expectVector(vector);
      expect(result.ctx.denial).toBeNull();
    });
  });

  describe('refusals', () => {
    it.each(REFUSALS.map((vector) => [vector.title, vector] as const))('%s', async (_title, vector) => {
      await expectVector(vector);
    });
  });

  it('hands the parsed body to ctx.body and the converted query, with defaults, to ctx.queryParams', async () => {
    const created = await send(palisade, { method: 'POST', url: '/orders', body: { items: [{ sku: 'SKU-001', qty: 2 }], note: 'Zoë' } });
    expect(created.ctx.body).toEqual({ items: [{ sku: 'SKU-001', qty: 2 }], note: 'Zoë' });
    expect(Object.getPrototypeOf(created.ctx.body)).toBe(Object.prototype);
    expect({ ...created.ctx.queryParams }).toEqual({});

    const listed = await send(palisade, { method: 'GET', url: '/orders?status=paid&cursor=c1' });
    expect({ ...listed.ctx.queryParams }).toEqual({ status: 'paid', cursor: 'c1', limit: 20 });
    expect(Object.getPrototypeOf(listed.ctx.queryParams)).toBeNull();
    expect({ ...(await send(palisade, { method: 'GET', url: '/orders?limit=7' })).ctx.queryParams }).toEqual({ limit: 7 });
    expect({ ...(await send(palisade, { method: 'GET', url: '/orders?sta%74us=paid+' })).ctx.queryParams }).toMatchObject({}); // 'paid ' is not in the enum
    expect((await send(palisade, { method: 'GET', url: '/orders?sta%74us=paid+' })).status).toBe(400);
  });

  it('leaves ctx.body undefined when an optional body is absent, and for GET', async () => {
    const result = await send(palisade, { method: 'GET', url: '/orders/ord-0001' });
    expect(result.status).toBe(200);
    expect(result.ctx.body).toBeUndefined();
  });

  it('accepts a body up to exactly maxDepth (32) and refuses 33', async () => {
    const engine = await createEngine(freeFormDocument(), createSchemaValidator());
    expect((await send(engine, { method: 'POST', url: '/things', headers: { 'content-type': 'application/json' }, body: nestedBody(32) })).status).toBe(200);
    const deep = await send(engine, { method: 'POST', url: '/things', headers: { 'content-type': 'application/json' }, body: nestedBody(33) });
    expect(deep.status).toBe(400);
    expect(deep.problem?.errors).toEqual([{ pointer: '/body', message: 'must not be nested more than 32 levels deep' }]);
  });

  it('reports errors with pointers and fixed messages, never the value received', async () => {
    const attack = `<script>alert(1)</script>${'x'.repeat(600)}`;
    const result = await send(palisade, {
      method: 'POST',
      url: '/orders',
      body: { items: [{ sku: attack, qty: 0 }, { sku: 'SKU-1', qty: 'many' }], note: attack, [attack]: 1 },
    });
    expect(result.status).toBe(400);
    expect(result.raw).not.toContain('<script>');
    expect(result.raw).not.toContain('many');
    expect(result.problem).toMatchObject({ type: 'urn:palisade:problem:validation-failed', status: 400, detail: 'The request does not match the schema of this operation.' });
    expect(result.problem?.errors).toEqual(
      expect.arrayContaining([
        { pointer: '/body', message: 'has a property that is not allowed' },
        { pointer: '/body/items/0/sku', message: 'must match the pattern "^[A-Z0-9-]{3,32}$"' },
        { pointer: '/body/items/0/qty', message: 'must be >= 1' },
        { pointer: '/body/items/1/qty', message: 'must be an integer' },
        { pointer: '/body/note', message: 'must have at most 500 characters' },
      ]),
    );
    expect(result.ctx.denial?.privateDetail).toMatch(/validation errors/);
  });

  it('lists at most maxErrors errors', async () => {
    const items = Array.from({ length: 40 }, () => ({ sku: 'bad', qty: 0 }));
    const result = await send(palisade, { method: 'POST', url: '/orders', body: { items } });
    expect(result.problem?.errors).toHaveLength(10);
    const engine = await createEngine(REFERENCE_DOCUMENT, createSchemaValidator({ maxErrors: 2 }));
    expect((await send(engine, { method: 'POST', url: '/orders', body: { items } })).problem?.errors).toHaveLength(2);
  });

  it('refuses a chunked body on an operation without requestBody, and lets an empty chunked one through', async () => {
    expect((await send(palisade, { method: 'POST', url: '/orders/ord-0001/checkout', body: '{}', chunked: true })).status).toBe(400);
    expect((await send(palisade, { method: 'POST', url: '/orders/ord-0001/checkout', body: '', chunked: true })).status).toBe(200);
  });

  it('fails closed with a 500 and one warning when a framework consumed the body', async () => {
    const onWarning = vi.fn<(warning: SchemaWarning) => void>();
    const guard = createSchemaValidator({ onWarning });
    const engine = await createEngine(REFERENCE_DOCUMENT, guard);
    const request = { method: 'POST', url: '/orders', body: { items: [{ sku: 'SKU-001', qty: 1 }] }, consumed: true } as const;
    const first = await send(engine, request);
    expect(first.status).toBe(500);
    expect(first.ctx.denial?.reason).toBe('internal_error');
    expect(first.ctx.denial?.privateDetail).toMatch(/express\.json\(\)/);
    expect(first.raw).not.toMatch(/express/);
    await send(engine, request);
    expect(onWarning).toHaveBeenCalledTimes(1);
    expect(onWarning.mock.calls[0]![0]).toMatchObject({ code: 'body_consumed', operationId: 'createOrder' });
    expect(onWarning.mock.calls[0]![0].message).toMatch(/Remove express\.json\(\)/);
    expect(guard.warnings().map((warning) => warning.code)).toEqual(['body_consumed']);
    // A request without a body needs nothing from the reader.
    expect((await send(engine, { method: 'GET', url: '/orders', consumed: true })).status).toBe(200);
  });

  it('takes body limits from x-palisade-limits, operation over document over option', async () => {
    const document = freeFormDocument();
    (document as Record<string, unknown>)['x-palisade-limits'] = { maxBodyBytes: 100, maxDepth: 3 };
    (document.paths['/small'].post as Record<string, unknown>)['x-palisade-limits'] = { maxBodyBytes: 10 };
    const engine = await createEngine(document, createSchemaValidator({ maxBodyBytes: 1000, maxDepth: 10 }));
    const json = { 'content-type': 'application/json' };
    expect((await send(engine, { method: 'POST', url: '/things', headers: json, body: `{"a":"${'x'.repeat(94)}"}` })).status).toBe(413);
    expect((await send(engine, { method: 'POST', url: '/things', headers: json, body: nestedBody(3) })).status).toBe(200);
    expect((await send(engine, { method: 'POST', url: '/things', headers: json, body: nestedBody(4) })).status).toBe(400);
    expect((await send(engine, { method: 'POST', url: '/small', headers: json, body: '{"a":"xxxx"}' })).status).toBe(413);
    expect((await send(engine, { method: 'POST', url: '/small', headers: json, body: '{"a":"xx"}' })).status).toBe(200);
  });
});

describe('createSchemaValidator options', () => {
  it('refuses unknown options with a suggestion, and bad values', () => {
    expect(() => createSchemaValidator({ maxBodyByte: 10 } as never)).toThrow(/unknown option "maxBodyByte". Did you mean "maxBodyBytes"\?/);
    expect(() => createSchemaValidator({ maxDepth: 0 })).toThrow(PalisadeConfigError);
    expect(() => createSchemaValidator({ unknownQueryParameters: 'allow' as never })).toThrow(/must be one of "refuse", "ignore"/);
    expect(() => createSchemaValidator({ onWarning: 'log' as never })).toThrow(/must be a function/);
  });

  it('says how to call it when given a function', () => {
    expect(() => createSchemaValidator((() => ({})) as never)).toThrow(/createSchemaValidator received a function/);
  });

  it("unknownQueryParameters: 'ignore' lets undeclared parameters through, but not into ctx.queryParams", async () => {
    const engine = await createEngine(REFERENCE_DOCUMENT, createSchemaValidator({ unknownQueryParameters: 'ignore' }));
    const result = await send(engine, { method: 'GET', url: '/orders?utm_source=mail&limit=5' });
    expect(result.status).toBe(200);
    expect({ ...result.ctx.queryParams }).toEqual({ limit: 5 });
    expect((await send(engine, { method: 'GET', url: '/orders?limit=5&limit=6' })).status).toBe(400);
  });
});

/** A document with free-form bodies, for limits. */
describe('readOnly properties in requests (mass assignment of server-owned fields)', () => {
  // One schema shared by the request and the response, as many documents do.
  function sharedSchemaDocument(version: '3.0.3' | '3.1.0') {
    const order = {
      type: 'object',
      required: ['id', 'note'],
      properties: {
        id: { type: 'string', readOnly: true },
        ownerId: { $ref: '#/components/schemas/OwnerId' },
        total: { allOf: [{ $ref: '#/components/schemas/Money' }] },
        note: { type: 'string' },
        lines: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' }, price: { type: 'number', readOnly: true } } } },
      },
    };
    return {
      openapi: version,
      info: { title: 'shared', version: '1' },
      paths: {
        '/orders': {
          post: {
            operationId: 'createOrder',
            security: [],
            requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } } },
            responses: { '201': { description: 'Created', content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } } } },
          },
        },
      },
      components: { schemas: { Order: order, OwnerId: { type: 'string', readOnly: true }, Money: { type: 'number', readOnly: true } } },
    };
  }
  const post = (body: object) => ({ method: 'POST', url: '/orders', headers: { 'content-type': 'application/json' }, body });

  it.each(['3.0.3', '3.1.0'] as const)('OpenAPI %s: refuses readOnly properties, direct, through $ref, through allOf and nested, and no longer requires them', async (version) => {
    const engine = await createEngine(sharedSchemaDocument(version), createSchemaValidator());
    for (const [body, pointer] of [
      [{ id: 'ord-1', note: 'x' }, '/body/id'],
      [{ ownerId: 'user-bob', note: 'x' }, '/body/ownerId'],
      [{ total: 0, note: 'x' }, '/body/total'],
      [{ note: 'x', lines: [{ sku: 'A', price: 0 }] }, '/body/lines/0/price'],
    ] as const) {
      const refused = await send(engine, post(body));
      expect(refused.status).toBe(400);
      expect(refused.ctx.denial?.reason).toBe('schema_invalid');
      expect(refused.problem?.errors).toContainEqual({ pointer, message: 'is not allowed' });
    }
    // Near miss: the same order without its server-owned fields passes, although `id` is required (in responses).
    const accepted = await send(engine, post({ note: 'x', lines: [{ sku: 'A' }] }));
    expect(accepted.status).toBe(200);
    expect(accepted.ctx.body).toEqual({ note: 'x', lines: [{ sku: 'A' }] });
  });
});

function freeFormDocument() {
  const body = { required: true, content: { 'application/json': { schema: { type: 'object' } } } };
  return {
    openapi: '3.1.0',
    info: { title: 'free-form', version: '1' },
    paths: {
      '/things': { post: { operationId: 'postThing', security: [], requestBody: body, responses: { '200': { description: 'OK' } } } },
      '/small': { post: { operationId: 'postSmall', security: [], requestBody: body, responses: { '200': { description: 'OK' } } } },
    },
  };
}
