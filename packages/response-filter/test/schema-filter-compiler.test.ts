import { PalisadeConfigError } from '@palisade/core';
import { createResponseFilter } from '@palisade/response-filter';
import { describe, expect, it } from 'vitest';
import { documentWith, engineFor, exchange, filterWith } from './support/harness';

const object = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ type: 'object', properties, ...extra });

describe('objects', () => {
  it('keeps declared properties and drops every other key', async () => {
    const run = await filterWith(object({ a: { type: 'string' }, b: { type: 'integer' } }), { a: 'x', b: 1, c: true, d: { deep: 1 } });
    expect(run.body).toEqual({ a: 'x', b: 1 });
  });

  it('an object schema without properties sends an empty object (nothing is declared)', async () => {
    const run = await filterWith({ type: 'object' }, { a: 1 });
    expect(run.body).toEqual({});
  });

  it('additionalProperties: true keeps undeclared keys', async () => {
    const run = await filterWith(object({ a: { type: 'string' } }, { additionalProperties: true }), { a: 'x', extra: { any: ['thing'] } });
    expect(run.body).toEqual({ a: 'x', extra: { any: ['thing'] } });
  });

  it('additionalProperties: a schema filters the values of undeclared keys, dropping those that do not fit', async () => {
    const run = await filterWith(
      object({ name: { type: 'string' } }, { additionalProperties: object({ n: { type: 'number' } }, { required: ['n'] }) }),
      { name: 'm', first: { n: 1, secret: 's' }, second: { m: 2 }, third: 'text' },
    );
    expect(run.body).toEqual({ name: 'm', first: { n: 1 } });
  });

  it('patternProperties filter the keys they match; other keys follow additionalProperties', async () => {
    const run = await filterWith({ type: 'object', patternProperties: { '^x-': { type: 'string' } } }, { 'x-a': 'kept', 'x-b': 2, other: 'dropped' });
    expect(run.body).toEqual({ 'x-a': 'kept' });
  });

  it('a required property that is missing refuses the response', async () => {
    const run = await filterWith(object({ id: { type: 'string' } }, { required: ['id'] }), { other: 1 });
    expect(run.reply?.status).toBe(500);
    expect(run.ctx.denial?.privateDetail).toContain('body at /id is required');
  });

  it('an optional property of the wrong type is left out; a required one refuses the response', async () => {
    const schema = object({ id: { type: 'string' }, count: { type: 'integer' } }, { required: ['id'] });
    expect((await filterWith(schema, { id: 'a', count: 'many' })).body).toEqual({ id: 'a' });
    const refused = await filterWith(schema, { id: 7, count: 1 });
    expect(refused.reply?.status).toBe(500);
    expect(refused.ctx.denial?.privateDetail).toContain('body at /id must be string');
  });

  it('an optional nested object that cannot be reconciled is left out as a whole', async () => {
    const schema = object({ id: { type: 'string' }, owner: object({ name: { type: 'string' } }, { required: ['name'] }) });
    const run = await filterWith(schema, { id: 'a', owner: { email: 'leak@example.com' } });
    expect(run.body).toEqual({ id: 'a' });
  });

  it('reads only own properties: a getter on a class prototype adds nothing and is never called', async () => {
    class Model {
      readonly id = 'a';
      get computed(): string {
        throw new Error('a lazy relation JSON.stringify would not load either');
      }
    }
    const schema = object({ id: { type: 'string' }, computed: { type: 'string' } });
    expect((await filterWith(schema, new Model())).body).toEqual({ id: 'a' });
  });

  it('does not pick declared names up from a polluted Object.prototype', async () => {
    const engine = await engineFor(documentWith(object({ id: { type: 'string' }, isAdmin: { type: 'boolean' } })), createResponseFilter());
    const proto = Object.prototype as Record<string, unknown>;
    proto.isAdmin = true;
    try {
      const run = exchange(engine, { url: '/thing', body: { id: 'a' } });
      expect(Object.keys(run.body as object)).toEqual(['id']);
    } finally {
      delete proto.isAdmin;
    }
  });

  it('keeps a declared "__proto__" key as an own property and never as the prototype', async () => {
    const body = JSON.parse('{"__proto__": {"polluted": true}, "id": "a"}') as object;
    const run = await filterWith(object({ id: { type: 'string' }, ['__proto__']: object({ polluted: { type: 'boolean' } }) }), body);
    expect(Object.getPrototypeOf(run.body)).toBe(Object.prototype);
    expect(JSON.stringify(run.body)).toBe('{"id":"a","__proto__":{"polluted":true}}');
  });

  it('undefined, function and symbol values count as absent, like JSON.stringify', async () => {
    const run = await filterWith(object({ a: { type: 'string' }, b: {}, c: {} }), { a: undefined, b: () => 1, c: Symbol('s') });
    expect(run.body).toEqual({});
  });
});

describe('values with toJSON', () => {
  it('filters what toJSON returns: a Date where a string is declared', async () => {
    const run = await filterWith(object({ at: { type: 'string', format: 'date-time' } }), { at: new Date('2026-01-01T00:00:00Z') });
    expect(run.body).toEqual({ at: '2026-01-01T00:00:00.000Z' });
  });

  it('filters what the body toJSON returns', async () => {
    const body = { toJSON: () => ({ id: 'a', password: 'p' }) };
    expect((await filterWith(object({ id: { type: 'string' } }), body)).body).toEqual({ id: 'a' });
  });
});

describe('arrays', () => {
  it('filters every item with items', async () => {
    const run = await filterWith({ type: 'array', items: object({ id: { type: 'string' } }) }, [{ id: 'a', x: 1 }, { id: 'b' }]);
    expect(run.body).toEqual([{ id: 'a' }, { id: 'b' }]);
  });

  it('returns an array of unchanged items as it is, without copying', async () => {
    const body = ['a', 'b'];
    expect((await filterWith({ type: 'array', items: { type: 'string' } }, body)).body).toBe(body);
  });

  it('an item that cannot be reconciled refuses the array (items are never dropped silently)', async () => {
    const run = await filterWith({ type: 'array', items: { type: 'string' } }, ['a', 2]);
    expect(run.reply?.status).toBe(500);
    expect(run.ctx.denial?.privateDetail).toContain('body at /1 must be string');
  });

  it('writes undefined items as null, as JSON.stringify does, and checks that', async () => {
    expect((await filterWith({ type: 'array', items: { type: ['string', 'null'] } }, ['a', undefined])).body).toEqual(['a', null]);
    expect((await filterWith({ type: 'array', items: { type: 'string' } }, ['a', undefined])).reply?.status).toBe(500);
  });

  it('prefixItems filter by position; items: false refuses more', async () => {
    const schema = { type: 'array', prefixItems: [{ type: 'string' }, object({ n: { type: 'integer' } })], items: false };
    expect((await filterWith(schema, ['a', { n: 1, m: 2 }])).body).toEqual(['a', { n: 1 }]);
    const refused = await filterWith(schema, ['a', { n: 1 }, 'extra']);
    expect(refused.ctx.denial?.privateDetail).toContain('body at /2 has more items than the schema declares');
  });

  it('an array without items keeps its items (nothing constrains them)', async () => {
    const body = [{ any: 1 }];
    expect((await filterWith({ type: 'array' }, body)).body).toEqual(body);
  });
});

describe('types and nullability', () => {
  it('OpenAPI 3.0 nullable: true admits null', async () => {
    const schema = object({ note: { type: 'string', nullable: true }, count: { type: 'integer' } });
    expect((await filterWith(schema, { note: null, count: null }, { version: '3.0.3' })).body).toEqual({ note: null });
  });

  it('OpenAPI 3.0 nullable beside allOf admits null for the whole schema', async () => {
    const components = { Owner: object({ name: { type: 'string' } }) };
    const schema = object({ owner: { nullable: true, allOf: [{ $ref: '#/components/schemas/Owner' }] } }, { required: ['owner'] });
    expect((await filterWith(schema, { owner: null }, { version: '3.0.3', components })).body).toEqual({ owner: null });
    expect((await filterWith(schema, { owner: { name: 'n', x: 1 } }, { version: '3.0.3', components })).body).toEqual({ owner: { name: 'n' } });
  });

  it('OpenAPI 3.0 ignores the siblings of a $ref, nullable included', async () => {
    const components = { Owner: object({ name: { type: 'string' } }) };
    const schema = object({ owner: { $ref: '#/components/schemas/Owner', nullable: true } }, { required: ['owner'] });
    expect((await filterWith(schema, { owner: null }, { version: '3.0.3', components })).reply?.status).toBe(500);
  });

  it('OpenAPI 3.1 type lists with null', async () => {
    const schema = object({ note: { type: ['string', 'null'] }, tags: { type: ['array', 'null'], items: { type: 'string' } } });
    expect((await filterWith(schema, { note: null, tags: null })).body).toEqual({ note: null, tags: null });
    expect((await filterWith(schema, { note: 1, tags: ['a'] })).body).toEqual({ tags: ['a'] });
  });

  it('3.1 ignores nullable (it is not a JSON Schema keyword)', async () => {
    const schema = object({ note: { type: 'string', nullable: true } }, { required: ['note'] });
    expect((await filterWith(schema, { note: null })).reply?.status).toBe(500);
  });

  it('integer admits whole numbers only; number refuses NaN and Infinity (JSON has neither)', async () => {
    const schema = object({ i: { type: 'integer' }, n: { type: 'number' }, m: { type: 'number' } });
    expect((await filterWith(schema, { i: 1.5, n: Number.NaN, m: 2.5 })).body).toEqual({ m: 2.5 });
  });

  it('a schema without any constraint ({}) lets its value through unchanged', async () => {
    const run = await filterWith(object({ meta: {} }), { meta: { anything: [1, { goes: true }] } });
    expect(run.body).toEqual({ meta: { anything: [1, { goes: true }] } });
  });

  it('the false schema admits nothing', async () => {
    expect((await filterWith(object({ gone: false }), { gone: 1 })).body).toEqual({});
  });
});

describe('$ref and recursion', () => {
  it('follows $refs into components', async () => {
    const components = { Item: object({ sku: { type: 'string' } }) };
    const run = await filterWith({ type: 'array', items: { $ref: '#/components/schemas/Item' } }, [{ sku: 'a', cost: 1 }], { components });
    expect(run.body).toEqual([{ sku: 'a' }]);
  });

  it('compiles a recursive schema once and filters any depth', async () => {
    const components = {
      Node: object({ name: { type: 'string' }, children: { type: 'array', items: { $ref: '#/components/schemas/Node' } } }, { required: ['name'] }),
    };
    const tree = { name: 'root', secret: 1, children: [{ name: 'a', secret: 2, children: [{ name: 'b', secret: 3, children: [] }] }] };
    const run = await filterWith({ $ref: '#/components/schemas/Node' }, tree, { components });
    expect(run.body).toEqual({ name: 'root', children: [{ name: 'a', children: [{ name: 'b', children: [] }] }] });
  });

  it('compiles mutually recursive schemas', async () => {
    const components = {
      A: object({ b: { $ref: '#/components/schemas/B' }, a: { type: 'string' } }),
      B: object({ a: { $ref: '#/components/schemas/A' }, b: { type: 'string' } }),
    };
    const run = await filterWith({ $ref: '#/components/schemas/A' }, { a: '1', x: 0, b: { b: '2', x: 0, a: { a: '3', x: 0 } } }, { components });
    expect(run.body).toEqual({ a: '1', b: { b: '2', a: { a: '3' } } });
  });

  it('3.1: a $ref with siblings merges them with its target', async () => {
    const components = { Base: object({ id: { type: 'string' } }) };
    const run = await filterWith({ $ref: '#/components/schemas/Base', properties: { extra: { type: 'string' } } }, { id: 'a', extra: 'b', other: 'c' }, { components });
    expect(run.body).toEqual({ id: 'a', extra: 'b' });
  });
});

describe('allOf, oneOf, anyOf', () => {
  const components = {
    Base: object({ id: { type: 'string' } }, { required: ['id'] }),
    Cat: { allOf: [{ $ref: '#/components/schemas/Base' }, object({ kind: { type: 'string', enum: ['cat'] }, meow: { type: 'boolean' } }, { required: ['kind'] })] },
    Dog: { allOf: [{ $ref: '#/components/schemas/Base' }, object({ kind: { type: 'string', enum: ['dog'] }, bark: { type: 'boolean' } }, { required: ['kind', 'bark'] })] },
  };

  it('allOf merges the properties and the required lists of its branches', async () => {
    const run = await filterWith({ $ref: '#/components/schemas/Cat' }, { id: 'c', kind: 'cat', meow: true, owner: 'x' }, { components });
    expect(run.body).toEqual({ id: 'c', kind: 'cat', meow: true });
    expect((await filterWith({ $ref: '#/components/schemas/Cat' }, { kind: 'cat' }, { components })).reply?.status).toBe(500);
  });

  it('allOf: additionalProperties false in one branch drops keys; true in one branch alone keeps them', async () => {
    const kept = { allOf: [object({ a: { type: 'string' } }), { additionalProperties: true }] };
    const dropped = { allOf: [object({ a: { type: 'string' } }, { additionalProperties: false }), { additionalProperties: true }] };
    expect((await filterWith(kept, { a: 'x', b: 'y' })).body).toEqual({ a: 'x', b: 'y' });
    expect((await filterWith(dropped, { a: 'x', b: 'y' })).body).toEqual({ a: 'x' });
  });

  it('oneOf takes the first branch that accepts the value', async () => {
    const schema = { oneOf: [{ $ref: '#/components/schemas/Dog' }, { $ref: '#/components/schemas/Cat' }] };
    expect((await filterWith(schema, { id: 'd', kind: 'dog', bark: true, chip: 'x' }, { components })).body).toEqual({ id: 'd', kind: 'dog', bark: true });
    // No `bark`: the Dog branch refuses it, the Cat branch takes it.
    expect((await filterWith(schema, { id: 'c', kind: 'cat', meow: false, chip: 'x' }, { components })).body).toEqual({ id: 'c', kind: 'cat', meow: false });
  });

  it('anyOf with primitives and objects', async () => {
    const schema = object({ value: { anyOf: [{ type: 'string' }, object({ amount: { type: 'number' } }, { required: ['amount'] })] } });
    expect((await filterWith(schema, { value: 'text' })).body).toEqual({ value: 'text' });
    expect((await filterWith(schema, { value: { amount: 1, cost: 2 } })).body).toEqual({ value: { amount: 1 } });
    expect((await filterWith(schema, { value: true })).body).toEqual({});
  });

  it('a value no branch accepts refuses the response', async () => {
    const schema = { oneOf: [{ $ref: '#/components/schemas/Dog' }, { $ref: '#/components/schemas/Cat' }] };
    const run = await filterWith(schema, { id: 'x' }, { components });
    expect(run.ctx.denial?.privateDetail).toContain('matches none of the oneOf/anyOf branches');
  });

  it('oneOf beside properties: each branch is merged with the schema around it', async () => {
    const schema = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'], oneOf: [object({ a: { type: 'string' } }, { required: ['a'] }), object({ b: { type: 'string' } }, { required: ['b'] })] };
    expect((await filterWith(schema, { id: '1', b: 'x', c: 'y' })).body).toEqual({ id: '1', b: 'x' });
  });

  it('a discriminator picks the branch by its property, from mapping or from the $ref name', async () => {
    const schema = {
      oneOf: [{ $ref: '#/components/schemas/Cat' }, { $ref: '#/components/schemas/Dog' }],
      discriminator: { propertyName: 'kind', mapping: { cat: '#/components/schemas/Cat', dog: 'Dog' } },
    };
    // Without the discriminator the Cat branch (no required bark) would take this dog.
    expect((await filterWith(schema, { id: 'd', kind: 'dog', bark: false, meow: true }, { components })).body).toEqual({ id: 'd', kind: 'dog', bark: false });
    const unknown = await filterWith(schema, { id: 'x', kind: 'cow' }, { components });
    expect(unknown.ctx.denial?.privateDetail).toContain('body at /kind is a discriminator value no oneOf/anyOf branch is mapped to');
  });

  it('a 3.1 oneOf with a null branch', async () => {
    const schema = object({ owner: { oneOf: [{ type: 'null' }, object({ name: { type: 'string' } })] } });
    expect((await filterWith(schema, { owner: null })).body).toEqual({ owner: null });
    expect((await filterWith(schema, { owner: { name: 'n', pin: 1 } })).body).toEqual({ owner: { name: 'n' } });
  });
});

describe('visibility', () => {
  const schema = object({
    id: { type: 'string' },
    email: { type: 'string', 'x-palisade-visible-to': { scopes: ['users:admin', 'support'] } },
    hash: { type: 'string', 'x-palisade-secret': true },
    password: { type: 'string', writeOnly: true },
  }, { required: ['id', 'hash'] });
  const stored = { id: 'u', email: 'e@example.com', hash: 'h', password: 'p' };

  it('a visible-to property is sent to callers holding ANY of its scopes', async () => {
    expect((await filterWith(schema, stored, { scopes: ['users:admin'] })).body).toEqual({ id: 'u', email: 'e@example.com' });
    expect((await filterWith(schema, stored, { scopes: ['support'] })).body).toEqual({ id: 'u', email: 'e@example.com' });
    expect((await filterWith(schema, stored, { scopes: ['users:read'] })).body).toEqual({ id: 'u' });
    expect((await filterWith(schema, stored)).body).toEqual({ id: 'u' });
  });

  it('secret and writeOnly properties never leave, even when required', async () => {
    const run = await filterWith(schema, stored, { scopes: ['users:admin', 'support'] });
    expect(run.reply).toBeNull();
    expect(run.body).not.toHaveProperty('hash');
    expect(run.body).not.toHaveProperty('password');
  });

  it('additionalProperties: true does not let a hidden or secret property back in', async () => {
    const open = { ...schema, additionalProperties: true };
    expect((await filterWith(open, { ...stored, note: 'n' }, { scopes: ['users:read'] })).body).toEqual({ id: 'u', note: 'n' });
  });

  it('honours annotations on the $ref target and beside a 3.0 $ref', async () => {
    const components = { Secret: { type: 'string', 'x-palisade-secret': true }, Email: { type: 'string' } };
    const refs = object({ a: { $ref: '#/components/schemas/Secret' }, b: { $ref: '#/components/schemas/Email', 'x-palisade-visible-to': { scopes: ['admin'] } }, c: { type: 'string' } });
    for (const version of ['3.0.3', '3.1.0'] as const) {
      expect((await filterWith(refs, { a: 's', b: 'e', c: 'c' }, { version, components })).body).toEqual({ c: 'c' });
      expect((await filterWith(refs, { a: 's', b: 'e', c: 'c' }, { version, components, scopes: ['admin'] })).body).toEqual({ b: 'e', c: 'c' });
    }
  });

  it('allOf branches that each restrict a property must each be satisfied', async () => {
    const stacked = { allOf: [object({ x: { 'x-palisade-visible-to': { scopes: ['a'] } } }), object({ x: { type: 'string', 'x-palisade-visible-to': { scopes: ['b'] } } })] };
    expect((await filterWith(stacked, { x: 'v' }, { scopes: ['a'] })).body).toEqual({});
    expect((await filterWith(stacked, { x: 'v' }, { scopes: ['a', 'b'] })).body).toEqual({ x: 'v' });
  });

  it('nested objects and arrays use the caller mask at every depth', async () => {
    const nested = { type: 'array', items: object({ inner: object({ email: { type: 'string', 'x-palisade-visible-to': { scopes: ['admin'] } }, id: { type: 'string' } }) }) };
    const body = [{ inner: { id: '1', email: 'e' } }, { inner: { id: '2', email: 'f' } }];
    expect((await filterWith(nested, body)).body).toEqual([{ inner: { id: '1' } }, { inner: { id: '2' } }]);
    expect((await filterWith(nested, body, { scopes: ['admin'] })).body).toEqual(body);
  });

  it('a restricted value where it cannot be left out (an array item) refuses the response for other callers', async () => {
    const tokens = object({ tokens: { type: 'array', items: { type: 'string', 'x-palisade-visible-to': { scopes: ['admin'] } } } }, { required: ['tokens'] });
    expect((await filterWith(tokens, { tokens: ['t'] }, { scopes: ['admin'] })).body).toEqual({ tokens: ['t'] });
    expect((await filterWith(tokens, { tokens: [] })).body).toEqual({ tokens: [] });
    const refused = await filterWith(tokens, { tokens: ['t'] });
    expect(refused.ctx.denial?.privateDetail).toContain('body at /tokens/0 is visible only to other scopes');
  });

  it('one engine serves different callers from the same compiled filters', async () => {
    const engine = await engineFor(documentWith(schema), createResponseFilter());
    const outputs = [['support'], [], ['users:admin'], ['other']].map((scopes) => exchange(engine, { url: '/thing', scopes, body: stored }).body);
    expect(outputs).toEqual([{ id: 'u', email: 'e@example.com' }, { id: 'u' }, { id: 'u', email: 'e@example.com' }, { id: 'u' }]);
  });
});

describe('start-up limits', () => {
  it('refuses an object that restricts its properties to more than 10 different scopes', async () => {
    const properties = Object.fromEntries(Array.from({ length: 11 }, (_, index) => [`p${index}`, { type: 'string', 'x-palisade-visible-to': { scopes: [`scope:${index}`] } }]));
    const error = await engineFor(documentWith(object(properties)), createResponseFilter()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PalisadeConfigError);
    expect((error as PalisadeConfigError).code).toBe('ERR_PALISADE_INVALID_EXTENSION');
    expect((error as PalisadeConfigError).message).toContain('operation getThing');
  });

  it('refuses oneOf groups whose combinations exceed 64', async () => {
    const group = (name: string) => ({ oneOf: Array.from({ length: 9 }, (_, index) => object({ [`${name}${index}`]: { type: 'string' } })) });
    const error = await engineFor(documentWith({ allOf: [group('a'), group('b')] }), createResponseFilter()).catch((caught: unknown) => caught);
    expect((error as PalisadeConfigError).code).toBe('ERR_PALISADE_DOCUMENT_INVALID');
    expect((error as PalisadeConfigError).message).toContain('81 alternatives');
  });
});
