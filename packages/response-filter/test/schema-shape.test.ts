import { describe, expect, it } from 'vitest';
import { filterWith } from './support/harness';

// How the parts of a schema (allOf branches, $ref targets, 3.0/3.1
// keywords) merge into the one shape a filter is compiled from.

describe('merging types', () => {
  it('allOf intersects types: number and integer is integer', async () => {
    const schema = { type: 'object', properties: { n: { allOf: [{ type: 'number' }, { type: 'integer' }] } } };
    expect((await filterWith(schema, { n: 1.5 })).body).toEqual({});
    expect((await filterWith(schema, { n: 2 })).body).toEqual({ n: 2 });
  });

  it('allOf of disjoint types admits nothing', async () => {
    const schema = { type: 'object', properties: { n: { allOf: [{ type: 'string' }, { type: 'integer' }] } }, required: ['n'] };
    const run = await filterWith(schema, { n: 'a' });
    expect(run.ctx.denial?.privateDetail).toContain('body at /n must be nothing (no type is allowed)');
  });

  it('3.0: nullable on a branch of allOf admits null only when every branch does', async () => {
    const schema = { type: 'object', properties: { a: { allOf: [{ type: 'string', nullable: true }, { type: 'string' }] }, b: { allOf: [{ type: 'string', nullable: true }, { nullable: true, type: 'string' }] } } };
    expect((await filterWith(schema, { a: null, b: null }, { version: '3.0.3' })).body).toEqual({ b: null });
  });

  it('properties without type filter objects and let other types through', async () => {
    const schema = { type: 'object', properties: { v: { properties: { a: { type: 'string' } } } } };
    expect((await filterWith(schema, { v: { a: 'x', b: 'y' } })).body).toEqual({ v: { a: 'x' } });
    expect((await filterWith(schema, { v: 7 })).body).toEqual({ v: 7 });
  });
});

describe('merging object keywords', () => {
  it('a property declared in two allOf branches must satisfy both schemas', async () => {
    const schema = { allOf: [{ type: 'object', properties: { p: { type: 'object', properties: { a: { type: 'string' } } } } }, { properties: { p: { properties: { b: { type: 'string' } }, required: ['b'] } } }] };
    expect((await filterWith(schema, { p: { a: '1', b: '2', c: '3' } })).body).toEqual({ p: { a: '1', b: '2' } });
    expect((await filterWith(schema, { p: { a: '1' } })).body).toEqual({});
  });

  it('unevaluatedProperties works like additionalProperties', async () => {
    const open = { allOf: [{ type: 'object', properties: { a: { type: 'string' } } }], unevaluatedProperties: true };
    const closed = { allOf: [{ type: 'object', properties: { a: { type: 'string' } }, additionalProperties: true }], unevaluatedProperties: false };
    expect((await filterWith(open, { a: 'x', b: 'y' })).body).toEqual({ a: 'x', b: 'y' });
    expect((await filterWith(closed, { a: 'x', b: 'y' })).body).toEqual({ a: 'x' });
  });

  it('a key matched by a pattern never falls back to additionalProperties', async () => {
    const schema = { type: 'object', patternProperties: { '^n_': { type: 'integer' } }, additionalProperties: true };
    expect((await filterWith(schema, { n_1: 1, n_2: 'two', other: 'kept' })).body).toEqual({ n_1: 1, other: 'kept' });
  });
});

describe('merging array keywords', () => {
  it('items in two allOf branches both apply to every item', async () => {
    const schema = { allOf: [{ type: 'array', items: { type: 'object', properties: { a: { type: 'string' } } } }, { items: { properties: { b: { type: 'string' } } } }] };
    expect((await filterWith(schema, [{ a: '1', b: '2', c: '3' }])).body).toEqual([{ a: '1', b: '2' }]);
  });

  it('3.1 prefixItems then items for the rest', async () => {
    const schema = { type: 'array', prefixItems: [{ type: 'string' }], items: { type: 'integer' } };
    expect((await filterWith(schema, ['a', 1, 2])).body).toEqual(['a', 1, 2]);
    expect((await filterWith(schema, ['a', 'b'])).reply?.status).toBe(500);
  });
});
