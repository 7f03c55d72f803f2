import { describe, expect, it } from 'vitest';
import { prepareDocument } from '../../src/internal/prepare-document';

const at = (root: Record<string, unknown>, pointer: string): unknown => pointer.slice(1).split('/').reduce<unknown>((node, token) => (node as Record<string, unknown>)[token.replace(/~1/g, '/').replace(/~0/g, '~')], root);

describe('prepareDocument', () => {
  const document = {
    openapi: '3.0.3',
    info: { title: 'x', version: '1' },
    paths: {
      '/a': {
        post: {
          'x-palisade-audit': { event: 'a' },
          requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Open' }, example: { schema: 1 } } } },
          parameters: [{ name: 'h', in: 'header', schema: { type: 'integer', minimum: 1, exclusiveMinimum: true } }],
        },
      },
    },
    components: {
      schemas: {
        Open: { type: 'object', properties: { a: { type: 'string', nullable: true, 'x-palisade-secret': true }, nested: { type: 'object', properties: { b: { type: 'string' } } } } },
        Composed: { allOf: [{ $ref: '#/components/schemas/Open' }, { properties: { c: { type: 'string' } } }] },
        Explicit: { type: 'object', additionalProperties: true, properties: { a: { type: 'string' } } },
        Enum: { type: 'string', enum: ['a'], nullable: true, format: 'phone' },
      },
      headers: { schema: { description: 'a header called schema', schema: { type: 'string' } } },
    },
  };

  it('converts 3.0 schemas to 2020-12 and drops x- keys and examples', () => {
    const { root, formats } = prepareDocument(document, '3.0', 'literal');
    expect(at(root, '/components/schemas/Open/properties/a')).toEqual({ type: ['string', 'null'] });
    expect(at(root, '/components/schemas/Enum')).toEqual({ type: ['string', 'null'], enum: ['a', null], format: 'phone' });
    expect(at(root, '/paths/~1a/post/parameters/0/schema')).toEqual({ type: 'integer', exclusiveMinimum: 1 });
    expect(at(root, '/paths/~1a/post')).not.toHaveProperty('x-palisade-audit');
    expect(at(root, '/paths/~1a/post/requestBody/content/application~1json')).not.toHaveProperty('example');
    expect(at(root, '/components/headers/schema/description')).toBe('a header called schema');
    expect(root).not.toHaveProperty('info');
    expect([...formats.keys()]).toEqual(['phone']);
  });

  it('closes object schemas where values are described, in the request view only', () => {
    const request = prepareDocument(document, '3.0', 'request').root;
    const literal = prepareDocument(document, '3.0', 'literal').root;
    // The body's { $ref: Open } is a value position; Open itself is not touched.
    expect(at(request, '/paths/~1a/post/requestBody/content/application~1json/schema')).toEqual({ $ref: '#/components/schemas/Open', unevaluatedProperties: false });
    expect(at(request, '/components/schemas/Open')).not.toHaveProperty('unevaluatedProperties');
    expect(at(request, '/components/schemas/Open/properties/nested')).toHaveProperty('unevaluatedProperties', false);
    // allOf branches stay open, so the composition still sees both.
    expect(at(request, '/components/schemas/Composed/allOf/1')).not.toHaveProperty('unevaluatedProperties');
    expect(at(request, '/components/schemas/Explicit')).not.toHaveProperty('unevaluatedProperties');
    expect(at(literal, '/paths/~1a/post/requestBody/content/application~1json/schema')).toEqual({ $ref: '#/components/schemas/Open' });
  });

  it('leaves the original document untouched', () => {
    const before = JSON.stringify(document);
    prepareDocument(document, '3.0', 'request');
    expect(JSON.stringify(document)).toBe(before);
  });

  it('refuses nullable in a 3.1 document', () => {
    expect(() => prepareDocument({ components: { schemas: { A: { type: 'string', nullable: true } } } }, '3.1', 'literal')).toThrow(/OpenAPI 3.1 schemas are JSON Schema 2020-12, which has no "nullable"/);
  });
});
