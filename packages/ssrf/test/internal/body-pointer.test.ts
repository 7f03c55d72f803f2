import { describe, expect, it } from 'vitest';
import { compileBodyPointer, readBodyPointer } from '../../src/internal/body-pointer';

describe('body pointers (RFC 6901)', () => {
  const body = { url: 'u', nested: { list: ['a', 'b'] }, 'a/b': 1, 'm~n': 2, '~1': 3 };

  it('reads members, array indexes and escaped names', () => {
    expect(readBodyPointer(body, compileBodyPointer('/url'))).toBe('u');
    expect(readBodyPointer(body, compileBodyPointer('/nested/list/1'))).toBe('b');
    expect(readBodyPointer(body, compileBodyPointer('/a~1b'))).toBe(1);
    expect(readBodyPointer(body, compileBodyPointer('/m~0n'))).toBe(2);
    expect(readBodyPointer(body, compileBodyPointer('/~01'))).toBe(3);
  });

  it('finds nothing where nothing is, and never follows inherited properties', () => {
    for (const pointer of ['/missing', '/url/length', '/nested/list/2', '/nested/list/01', '/nested/list/-', '/constructor', '/__proto__', '/toString']) {
      expect(readBodyPointer(body, compileBodyPointer(pointer)), pointer).toBeUndefined();
    }
    expect(readBodyPointer(null, compileBodyPointer('/url'))).toBeUndefined();
  });
});
