import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prepareDocument } from '../../src/internal/prepare-document';
import { compileProjector } from '../../src/internal/projection';

const document = {
  components: {
    schemas: {
      Item: { type: 'object', properties: { sku: { type: 'string' }, qty: { type: 'integer' } } },
      Order: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          items: { type: 'array', items: { $ref: '#/components/schemas/Item' } },
          meta: { type: 'object' },
          labels: { type: 'object', additionalProperties: { type: 'object', properties: { text: { type: 'string' } } } },
          pair: { type: 'array', prefixItems: [{ $ref: '#/components/schemas/Item' }, { type: 'string' }] },
          parent: { $ref: '#/components/schemas/Order' },
        },
        patternProperties: { '^x_': { type: 'object', properties: { v: { type: 'integer' } } } },
      },
      Pet: { oneOf: [{ type: 'object', properties: { bark: { type: 'boolean' } } }, { allOf: [{ type: 'object', properties: { meow: { type: 'boolean' } } }] }] },
    },
  },
};
const root = prepareDocument(document, '3.1', 'literal').root;
const project = (name: string) => compileProjector(root, { schema: (root.components as { schemas: Record<string, unknown> }).schemas[name], pointer: `/components/schemas/${name}` });

describe('compileProjector', () => {
  it('keeps declared members and drops the rest, recursively', () => {
    const order = project('Order');
    expect(
      order({
        id: 'o1',
        secret: 1,
        items: [{ sku: 'a', qty: 1, cost: 2 }, 'not an object'],
        meta: { anything: { goes: true } },
        labels: { en: { text: 'hi', hidden: 1 } },
        pair: [{ sku: 'b', extra: 1 }, 'second', 'third'],
        parent: { id: 'o0', secret: 2, parent: { id: 'root', secret: 3 } },
        x_custom: { v: 1, w: 2 },
      }),
    ).toEqual({
      id: 'o1',
      items: [{ sku: 'a', qty: 1 }, 'not an object'],
      meta: { anything: { goes: true } },
      labels: { en: { text: 'hi' } },
      pair: [{ sku: 'b' }, 'second', 'third'],
      parent: { id: 'o0', parent: { id: 'root' } },
      x_custom: { v: 1 },
    });
  });

  it('keeps what any branch of a composition declares', () => {
    expect(project('Pet')({ bark: true, meow: false, role: 'admin' })).toEqual({ bark: true, meow: false });
  });

  it('passes non-objects through', () => {
    const order = project('Order');
    for (const value of [null, 1, 'x', true, []]) expect(order(value)).toEqual(value);
  });

  it('never emits a member the schema does not declare', () => {
    const declared = new Set(['id', 'items', 'meta', 'labels', 'pair', 'parent']);
    const order = project('Order');
    fc.assert(
      fc.property(fc.dictionary(fc.oneof(fc.constantFrom(...declared, 'x_a'), fc.string()), fc.jsonValue({ maxDepth: 2 })), (input) => {
        const output = order(input) as Record<string, unknown>;
        for (const key of Object.keys(output)) expect(declared.has(key) || key.startsWith('x_')).toBe(true);
        expect(Object.getPrototypeOf(output)).toBe(Object.prototype);
      }),
    );
  });
});
