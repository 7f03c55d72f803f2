import type { ErrorObject } from 'ajv';
import { describe, expect, it } from 'vitest';
import { FieldErrors } from '../../src/internal/field-errors';

const error = (keyword: string, instancePath: string, params: Record<string, unknown>): ErrorObject => ({ keyword, instancePath, schemaPath: '#', params });

describe('FieldErrors', () => {
  it('turns ajv errors into pointers and fixed messages', () => {
    const errors = new FieldErrors(10);
    errors.addAjvErrors('/body', [
      error('required', '', { missingProperty: 'items' }),
      error('additionalProperties', '/items/0', { additionalProperty: 'isAdmin' }),
      error('type', '/items/1/qty', { type: 'integer' }),
      error('type', '/note', { type: 'string,null' }),
      error('enum', '/status', { allowedValues: ['pending', 'paid'] }),
      error('maxLength', '/note', { limit: 500 }),
      error('minItems', '/items', { limit: 1 }),
      error('format', '/url', { format: 'uri' }),
      error('if', '', { failingKeyword: 'then' }),
      error('somethingNew', '/x', {}),
    ]);
    expect(errors.list).toEqual([
      { pointer: '/body/items', message: 'is required' },
      { pointer: '/body/items/0/isAdmin', message: 'is not allowed' },
      { pointer: '/body/items/1/qty', message: 'must be an integer' },
      { pointer: '/body/note', message: 'must be a string or null' },
      { pointer: '/body/status', message: 'must be one of "pending", "paid"' },
      { pointer: '/body/note', message: 'must have at most 500 characters' },
      { pointer: '/body/items', message: 'must have at least 1 item' },
      { pointer: '/body/url', message: 'must be a valid uri' },
      { pointer: '/body/x', message: 'is not valid' },
    ]);
  });

  it('stops a pointer above a token the client chose that is not plain, and caps the list', () => {
    const errors = new FieldErrors(3);
    errors.addAjvErrors('/body', [
      error('additionalProperties', '', { additionalProperty: '<script>alert(1)</script>' }),
      error('additionalProperties', '', { additionalProperty: 'x'.repeat(65) }),
      error('type', '/map/a b/c', { type: 'integer' }),
      error('type', '/map/ok', { type: 'integer' }),
      error('type', '/map/ok2', { type: 'integer' }),
    ]);
    expect(errors.list).toEqual([
      { pointer: '/body', message: 'has a property that is not allowed' },
      { pointer: '/body/map', message: 'has a nested value that is not valid' },
      { pointer: '/body/map/ok', message: 'must be an integer' },
    ]);
    expect(errors.count).toBe(5);
  });

  it('does not list long enums or values', () => {
    const errors = new FieldErrors(10);
    errors.addAjvErrors('/query/q', [error('enum', '', { allowedValues: Array.from({ length: 11 }, (_, i) => i) }), error('const', '', { allowedValue: 'x'.repeat(100) })]);
    expect(errors.list.map((e) => e.message)).toEqual(['must be one of the allowed values', 'must be the allowed value']);
  });
});
