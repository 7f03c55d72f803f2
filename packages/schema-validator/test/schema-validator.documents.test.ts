import { PalisadeConfigError } from '@palisade/core';
import { createSchemaValidator, type SchemaValidatorOptions } from '@palisade/schema-validator';
import { describe, expect, it, vi } from 'vitest';
import { createEngine, send } from './helpers/harness';

type Operation = Record<string, unknown>;

/** A one-operation document: `POST /things` (or another method/path) with what the test declares. */
function documentWith(operation: Operation, { version = '3.1.0', path = '/things', method = 'post', components = {} as Record<string, unknown> } = {}) {
  return {
    openapi: version,
    info: { title: 'test', version: '1' },
    paths: { [path]: { [method]: { operationId: 'op', security: [], responses: { '200': { description: 'OK' } }, ...operation } } },
    components,
  };
}

function jsonBody(schema: unknown) {
  return { requestBody: { required: true, content: { 'application/json': { schema } } } };
}

async function engineFor(document: object, options?: SchemaValidatorOptions) {
  const validator = createSchemaValidator(options);
  return { engine: await createEngine(document, validator), validator };
}

describe('schemas that do not compile stop start-up', () => {
  it('names the operation, the pointer and the likely keyword', async () => {
    const document = documentWith(jsonBody({ $ref: '#/components/schemas/Thing' }), {
      components: { schemas: { Thing: { type: 'object', properties: { name: { type: 'string', maxLenght: 10 } } } } },
    });
    const error = await createEngine(document, createSchemaValidator()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PalisadeConfigError);
    expect(error).toMatchObject({ code: 'ERR_PALISADE_DOCUMENT_INVALID', path: '/components/schemas/Thing/properties/name' });
    expect((error as Error).message).toMatch(/operation "op"/);
    expect((error as Error).message).toMatch(/unknown keyword: "maxLenght". Did you mean "maxLength"\?/);
  });

  it('explains that OpenAPI 3.1 has no nullable', async () => {
    const error = await createEngine(documentWith(jsonBody({ type: 'string', nullable: true })), createSchemaValidator()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_PALISADE_DOCUMENT_INVALID', path: '/paths/~1things/post/requestBody/content/application~1json/schema/nullable' });
    expect((error as PalisadeConfigError).fix).toMatch(/type: \[<type>, "null"\]/);
  });

  it('refuses a parameter style it cannot read', async () => {
    const document = documentWith({ parameters: [{ name: 'f', in: 'query', style: 'deepObject', schema: { type: 'string' } }] }, { method: 'get' });
    await expect(createEngine(document, createSchemaValidator())).rejects.toThrow(/style "deepObject" .* cannot read/);
  });

  it('tolerates OpenAPI annotations and x- keys in schemas', async () => {
    const schema = {
      type: 'object',
      additionalProperties: false,
      discriminator: { propertyName: 'kind' },
      xml: { name: 'thing' },
      externalDocs: { url: 'https://example.com' },
      example: { kind: 'a' },
      'x-internal': true,
      properties: {
        kind: { type: 'string', maxLength: 5, deprecated: true, readOnly: false, writeOnly: false, 'x-palisade-secret': true, examples: ['a'] },
      },
    };
    const { engine } = await engineFor(documentWith(jsonBody(schema)));
    expect((await send(engine, { method: 'POST', url: '/things', body: { kind: 'a' } })).status).toBe(200);
  });
});

describe('OpenAPI 3.0 documents', () => {
  it('read nullable, boolean exclusive bounds, and ignore $ref siblings', async () => {
    const document = documentWith(
      jsonBody({
        type: 'object',
        properties: {
          note: { type: 'string', nullable: true, maxLength: 5 },
          kind: { type: 'string', enum: ['a', 'b'], nullable: true },
          price: { type: 'number', minimum: 0, exclusiveMinimum: true, maximum: 10, exclusiveMaximum: false },
          ref: { $ref: '#/components/schemas/Code', description: 'ignored sibling', maxLength: 1 },
        },
      }),
      { version: '3.0.3', components: { schemas: { Code: { type: 'string', maxLength: 4 } } } },
    );
    const { engine } = await engineFor(document);
    const post = (body: object) => send(engine, { method: 'POST', url: '/things', body });
    expect((await post({ note: null, kind: null, price: 10, ref: 'abcd' })).status).toBe(200);
    expect((await post({ price: 0 })).problem?.errors).toEqual([{ pointer: '/body/price', message: 'must be > 0' }]);
    expect((await post({ kind: 'c' })).status).toBe(400);
    expect((await post({ ref: 'abcde' })).status).toBe(400);
  });
});

describe('undeclared properties', () => {
  const components = {
    schemas: {
      Base: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 8 } } },
      Named: { allOf: [{ $ref: '#/components/schemas/Base' }, { type: 'object', properties: { name: { type: 'string', maxLength: 8 }, tags: { type: 'object', properties: { a: { type: 'string', maxLength: 1 } } } } }] },
      Map: { type: 'object', additionalProperties: { type: 'integer' } },
      Open: { type: 'object', additionalProperties: true, properties: { id: { type: 'string', maxLength: 8 } } },
      Pet: { oneOf: [{ type: 'object', required: ['bark'], properties: { bark: { type: 'boolean' } } }, { type: 'object', required: ['meow'], properties: { meow: { type: 'boolean' } } }] },
    },
  };
  const document = documentWith(
    jsonBody({
      type: 'object',
      properties: {
        named: { $ref: '#/components/schemas/Named' },
        map: { $ref: '#/components/schemas/Map' },
        open: { $ref: '#/components/schemas/Open' },
        pet: { $ref: '#/components/schemas/Pet' },
      },
    }),
    { components },
  );

  it('are refused where an object schema lists properties and says nothing else, across allOf and oneOf', async () => {
    const { engine } = await engineFor(document);
    const post = (body: object) => send(engine, { method: 'POST', url: '/things', body });
    expect((await post({ named: { id: '1', name: 'n', tags: { a: 'x' } }, map: { x: 1 }, open: { id: '1', anything: [1] }, pet: { bark: true } })).status).toBe(200);
    for (const [body, pointer] of [
      [{ extra: 1 }, '/body/extra'],
      [{ named: { id: '1', role: 'admin' } }, '/body/named/role'],
      [{ named: { id: '1', tags: { b: 'x' } } }, '/body/named/tags/b'],
      [{ pet: { bark: true, isAdmin: true } }, '/body/pet/isAdmin'],
    ] as const) {
      const result = await post(body);
      expect(result.status, JSON.stringify(body)).toBe(400);
      expect(result.problem?.errors).toContainEqual({ pointer, message: 'is not allowed' });
    }
    expect((await post({ map: { x: 'one' } })).problem?.errors).toEqual([{ pointer: '/body/map/x', message: 'must be an integer' }]);
  });

  it("are let through with undeclaredProperties: 'follow-schema'", async () => {
    const { engine } = await engineFor(document, { undeclaredProperties: 'follow-schema' });
    const result = await send(engine, { method: 'POST', url: '/things', body: { extra: 1, named: { id: '1', role: 'admin' } } });
    expect(result.status).toBe(200);
    expect(result.ctx.body).toEqual({ extra: 1, named: { id: '1', role: 'admin' } });
  });
});

describe('parameters', () => {
  const q = (name: string, schema: object, extra: object = {}) => ({ name, in: 'query', schema, ...extra });
  const parameters = [
    q('ids', { type: 'array', maxItems: 3, items: { type: 'integer' } }),
    q('tags', { type: 'array', maxItems: 3, items: { type: 'string', maxLength: 3 } }, { explode: false }),
    q('colors', { type: 'array', maxItems: 3, items: { type: 'string', maxLength: 5 } }, { style: 'pipeDelimited', explode: false }),
    q('filter', { type: 'object', properties: { min: { type: 'number' }, open: { type: 'boolean' } } }, { style: 'deepObject', explode: true }),
    q('flag', { type: 'boolean' }),
    q('point', { type: 'object', properties: { x: { type: 'integer' }, y: { type: 'integer' } } }, { explode: false }),
    { name: 'where', in: 'query', content: { 'application/json': { schema: { type: 'object', properties: { a: { type: 'integer' } } } } } },
    { name: 'X-Trace', in: 'header', required: true, schema: { type: 'string', pattern: '^[a-f0-9]{4}$' } },
    { name: 'session', in: 'cookie', schema: { type: 'string', maxLength: 6 } },
    { name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } },
  ];
  const document = documentWith({ parameters }, { method: 'get', path: '/things/{id}' });
  const get = async (url: string, headers: Record<string, string> = { 'x-trace': 'beef' }) => {
    const { engine } = await engineFor(document);
    return send(engine, { method: 'GET', url, headers });
  };

  it('reads each style into typed values', async () => {
    const result = await get('/things/7?ids=1&ids=2&tags=a,b&colors=red|blue&filter[min]=1.5&filter[open]=true&flag=false&point=x,1,y,2&where=%7B%22a%22%3A1%7D');
    expect(result.status, result.raw ?? '').toBe(200);
    expect(JSON.parse(JSON.stringify(result.ctx.queryParams))).toEqual({
      ids: [1, 2],
      tags: ['a', 'b'],
      colors: ['red', 'blue'],
      filter: { min: 1.5, open: true },
      flag: false,
      point: { x: 1, y: 2 },
      where: { a: 1 },
    });
  });

  it.each([
    ['/things/0', '/path/id'],
    ['/things/abc', '/path/id'],
    ['/things/1?ids=1&ids=x', '/query/ids/1'],
    ['/things/1?ids=1&ids=2&ids=3&ids=4', '/query/ids'],
    ['/things/1?tags=a,b&tags=c', '/query/tags'],
    ['/things/1?tags=toolong', '/query/tags/0'],
    ['/things/1?filter[min]=x', '/query/filter/min'],
    ['/things/1?filter[max]=1', '/query/filter/max'],
    ['/things/1?filter[min]=1&filter[min]=2', '/query/filter/min'],
    ['/things/1?filter[__proto__]=1', '/query/filter/__proto__'],
    ['/things/1?flag=yes', '/query/flag'],
    ['/things/1?point=x,1,y', '/query/point'],
    ['/things/1?where=%7Bbad', '/query/where'],
    ['/things/1?where=%7B%22b%22%3A1%7D', '/query/where/b'],
  ])('refuses %s at %s', async (url, pointer) => {
    const result = await get(url);
    expect(result.status, result.raw ?? '').toBe(400);
    expect(result.problem?.errors?.map((error) => error.pointer)).toContain(pointer);
  });

  it('checks header and cookie parameters', async () => {
    expect((await get('/things/1', {})).problem?.errors).toEqual([{ pointer: '/header/X-Trace', message: 'is required' }]);
    expect((await get('/things/1', { 'x-trace': 'nope' })).problem?.errors?.[0]?.pointer).toBe('/header/X-Trace');
    expect((await get('/things/1', { 'x-trace': 'beef', cookie: 'session=abc; other=1' })).status).toBe(200);
    expect((await get('/things/1', { 'x-trace': 'beef', cookie: 'session=abcdefgh' })).problem?.errors?.[0]?.pointer).toBe('/cookie/session');
    expect((await get('/things/1', { 'x-trace': 'beef', cookie: 'session=a; session=b' })).problem?.errors).toEqual([{ pointer: '/cookie/session', message: 'must not be repeated' }]);
  });

  it('reads label and matrix path parameters', async () => {
    const label = documentWith({ parameters: [{ name: 'id', in: 'path', required: true, style: 'label', schema: { type: 'integer' } }] }, { method: 'get', path: '/l/{id}' });
    const matrix = documentWith({ parameters: [{ name: 'ids', in: 'path', required: true, style: 'matrix', explode: true, schema: { type: 'array', maxItems: 5, items: { type: 'integer' } } }] }, { method: 'get', path: '/m/{ids}' });
    const { engine: labels } = await engineFor(label);
    const { engine: matrices } = await engineFor(matrix);
    expect((await send(labels, { method: 'GET', url: '/l/.5' })).status).toBe(200);
    expect((await send(labels, { method: 'GET', url: '/l/5' })).problem?.errors).toEqual([{ pointer: '/path/id', message: 'must use the label style' }]);
    expect((await send(matrices, { method: 'GET', url: '/m/;ids=1;ids=2' })).status).toBe(200);
    expect((await send(matrices, { method: 'GET', url: '/m/;ids=1;ids=x' })).status).toBe(400);
  });
});

describe('media types', () => {
  const document = documentWith({
    requestBody: {
      required: true,
      content: {
        'application/json': { schema: { type: 'object', properties: { a: { type: 'integer' } } } },
        'application/merge-patch+json': { schema: { type: 'object', properties: { b: { type: 'integer' } } } },
        'application/x-www-form-urlencoded': { schema: { type: 'object', required: ['n'], properties: { n: { type: 'integer' }, tags: { type: 'array', maxItems: 3, items: { type: 'string', maxLength: 5 } } } } },
        'text/plain': { schema: { type: 'string', maxLength: 5 } },
        'image/*': {},
      },
    },
  });

  it('parses and validates each declared type', async () => {
    const onWarning = vi.fn();
    const { engine, validator } = await engineFor(document, { onWarning });
    const post = (contentType: string, body: string | Buffer) => send(engine, { method: 'POST', url: '/things', headers: { 'content-type': contentType }, body });
    expect((await post('application/merge-patch+json', '{"b":1}')).ctx.body).toEqual({ b: 1 });
    expect((await post('application/merge-patch+json', '{"a":1}')).status).toBe(400);
    const form = await post('application/x-www-form-urlencoded', 'n=5&tags=a&tags=b+c');
    expect(form.ctx.body).toEqual({ n: 5, tags: ['a', 'b c'] });
    expect((await post('application/x-www-form-urlencoded', 'n=5&n=6')).problem?.errors).toEqual([{ pointer: '/body/n', message: 'must not be repeated' }]);
    expect((await post('application/x-www-form-urlencoded', 'n=5&admin=1')).problem?.errors).toEqual([{ pointer: '/body/admin', message: 'is not allowed' }]);
    expect((await post('application/x-www-form-urlencoded', 'n=%ZZ')).ctx.denial?.reason).toBe('body_malformed');
    expect((await post('text/plain; charset=utf-8', 'hello')).ctx.body).toBe('hello');
    expect((await post('text/plain', 'hello!')).status).toBe(400);
    expect((await post('text/plain', Buffer.from([0xc3, 0x28]))).ctx.denial?.reason).toBe('body_malformed');
    const image = await post('image/png', Buffer.from([0x89, 0x50]));
    expect(Buffer.isBuffer(image.ctx.body)).toBe(true);
    expect((await post('application/xml', '<a/>')).status).toBe(415);
    expect((await post('application/json; boundary=x', '{}')).status).toBe(415);
    expect((await post('application json', '{}')).status).toBe(415);
    expect(validator.warnings().map((warning) => [warning.code, warning.pointer])).toEqual([['unvalidated_media_type', '/paths/~1things/post/requestBody/content/image~1*']]);
    expect(onWarning).toHaveBeenCalledTimes(1);
  });
});

describe('start-up warnings', () => {
  it('reports risky patterns, unbounded strings and arrays, and unknown formats, once each', async () => {
    const components = {
      schemas: {
        Risky: {
          type: 'object',
          properties: {
            email: { type: 'string', maxLength: 100, pattern: '^([a-z0-9]+)+@example\\.com$' },
            free: { type: 'string' },
            list: { type: 'array', items: { type: 'string', maxLength: 3 } },
            phone: { type: 'string', format: 'phone', maxLength: 20 },
            code: { type: 'string', pattern: '^[A-Z]{2}-[0-9]{4}$' },
            slow: { type: 'string', pattern: '^\\d+\\d+$' },
            bounded: { type: 'string', maxLength: 10, pattern: '^\\d+\\d+$' },
          },
        },
      },
    };
    const document = documentWith(jsonBody({ $ref: '#/components/schemas/Risky' }), { components });
    document.paths['/others'] = { put: { operationId: 'other', security: [], ...jsonBody({ $ref: '#/components/schemas/Risky' }), responses: { '200': { description: 'OK' } } } };
    const onWarning = vi.fn();
    const { validator } = await engineFor(document, { onWarning });
    const warnings = validator.warnings().map((warning) => [warning.code, warning.pointer, warning.operationId]);
    expect(warnings).toEqual(
      expect.arrayContaining([
        ['unknown_format', '/components/schemas/Risky/properties/phone/format', null],
        ['redos_pattern', '/components/schemas/Risky/properties/email/pattern', 'op'],
        ['unbounded_string', '/components/schemas/Risky/properties/free', 'op'],
        ['unbounded_string', '/components/schemas/Risky/properties/slow', 'op'],
        ['redos_pattern', '/components/schemas/Risky/properties/slow/pattern', 'op'],
        ['unbounded_array', '/components/schemas/Risky/properties/list', 'op'],
      ]),
    );
    expect(warnings).toHaveLength(6);
    expect(onWarning).toHaveBeenCalledTimes(6);
    expect(validator.warnings().find((warning) => warning.pointer.endsWith('email/pattern'))!.message).toMatch(/may backtrack exponentially \(nested quantifier\)/);
  });

  it('skips the pattern check, and uses the engine, when given a regExp engine', async () => {
    const compiled: string[] = [];
    const regExp = (source: string, flags: string) => {
      compiled.push(source);
      return new RegExp(source, flags);
    };
    const document = documentWith(jsonBody({ type: 'object', properties: { a: { type: 'string', maxLength: 9, pattern: '^(a+)+$' } } }));
    const { engine, validator } = await engineFor(document, { regExp });
    expect(validator.warnings()).toEqual([]);
    expect(compiled).toContain('^(a+)+$');
    expect((await send(engine, { method: 'POST', url: '/things', body: { a: 'aaa' } })).status).toBe(200);
    expect((await send(engine, { method: 'POST', url: '/things', body: { a: 'aab' } })).status).toBe(400);
  });
});
