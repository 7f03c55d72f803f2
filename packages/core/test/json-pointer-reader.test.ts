import { compileJsonPointer } from '@palisade/core';
import { describe, expect, it } from 'vitest';

describe('compileJsonPointer', () => {
  const body = { url: 'u', nested: { list: ['a', 'b'] }, 'a/b': 1, 'm~n': 2, '~1': 3 };

  it('reads values by RFC 6901 pointers', () => {
    expect(compileJsonPointer('/url')(body)).toBe('u');
    expect(compileJsonPointer('/nested/list/1')(body)).toBe('b');
    expect(compileJsonPointer('/a~1b')(body)).toBe(1);
    expect(compileJsonPointer('/m~0n')(body)).toBe(2);
    expect(compileJsonPointer('/~01')(body)).toBe(3);
    expect(compileJsonPointer('')(body)).toBe(body);
  });

  it('never follows inherited properties or non-canonical indexes', () => {
    expect(compileJsonPointer('/constructor')({})).toBeUndefined();
    expect(compileJsonPointer('/__proto__/polluted')({})).toBeUndefined();
    expect(compileJsonPointer('/nested/list/01')(body)).toBeUndefined();
    expect(compileJsonPointer('/nested/list/length')(body)).toBeUndefined();
    expect(compileJsonPointer('/url/0')(body)).toBeUndefined();
    expect(compileJsonPointer('/missing/deeper')(body)).toBeUndefined();
  });
});
