import { parseStrictJson } from '@palisade/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

interface ParseFailure {
  kind: string;
  pointer: string;
  message: string;
}

function failure(input: string | Uint8Array, options?: Parameters<typeof parseStrictJson>[1]): ParseFailure {
  try {
    parseStrictJson(input, options);
  } catch (error) {
    expect(error).toBeInstanceOf(SyntaxError);
    const { kind, pointer, message } = error as SyntaxError & ParseFailure;
    return { kind, pointer, message };
  }
  throw new Error('parsed without error');
}

function nested(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

describe('parseStrictJson', () => {
  it('parses what JSON.parse parses, from text and from UTF-8 bytes', () => {
    const text = '{"a":[1,-2.5e3,true,false,null,"x\\u00e9\\n"],"b":{"c":""},"d":0.5,"e":"Zoë 李雷 😀"}';
    expect(parseStrictJson(text)).toEqual(JSON.parse(text));
    expect(parseStrictJson(Buffer.from(text))).toEqual(JSON.parse(text));
    expect(parseStrictJson(' \t\r\n 42 \n')).toBe(42);
    expect(parseStrictJson('"\\ud83d\\ude00"')).toBe('😀');
  });

  it('builds plain objects and arrays', () => {
    const value = parseStrictJson('{"a":[{}]}') as { a: object[] };
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Array.isArray(value.a)).toBe(true);
    expect(Object.getPrototypeOf(value.a[0])).toBe(Object.prototype);
  });

  it.each([
    ['', 'syntax'],
    ['   ', 'syntax'],
    ['{', 'syntax'],
    ['{"a" 1}', 'syntax'],
    ['{"a":1,}', 'syntax'],
    ['[1,]', 'syntax'],
    ['[1 2]', 'syntax'],
    ["{'a':1}", 'syntax'],
    ['{a:1}', 'syntax'],
    ['01', 'syntax'],
    ['1.', 'syntax'],
    ['.5', 'syntax'],
    ['+1', 'syntax'],
    ['1e', 'syntax'],
    ['1e400', 'syntax'],
    ['-', 'syntax'],
    ['NaN', 'syntax'],
    ['Infinity', 'syntax'],
    ['tru', 'syntax'],
    ['nul', 'syntax'],
    ['"abc', 'syntax'],
    ['"a\nb"', 'syntax'],
    ['"\\x41"', 'syntax'],
    ['"\\u12"', 'syntax'],
    ['"\\ud800"', 'syntax'],
    ['"\\udc00"', 'syntax'],
    ['"\\ud800\\u0041"', 'syntax'],
    ['1 2', 'syntax'],
    ['{} x', 'syntax'],
    ['\ufeff{}', 'syntax'],
    ['/* comment */ 1', 'syntax'],
  ])('refuses %j (%s)', (input, kind) => {
    expect(failure(input).kind).toBe(kind);
  });

  it('refuses invalid UTF-8 and lone surrogates in the input', () => {
    expect(failure(Buffer.from([0x22, 0xc3, 0x28, 0x22])).kind).toBe('invalid_utf8');
    expect(failure(Buffer.from([0x22, 0xc0, 0xaf, 0x22])).kind).toBe('invalid_utf8');
    expect(failure(Buffer.from([0xef, 0xbb, 0xbf, 0x31])).kind).toBe('syntax');
    expect(failure('"\ud800"').kind).toBe('invalid_utf8');
  });

  it('refuses duplicate keys, with the pointer of the repeated key', () => {
    expect(failure('{"a":1,"a":2}')).toMatchObject({ kind: 'duplicate_key', pointer: '/a' });
    expect(failure('{"x":[{"b":1,"c":2,"b":3}]}')).toMatchObject({ kind: 'duplicate_key', pointer: '/x/0/b' });
    // Different spellings of one key are one key.
    expect(failure('{"a":1,"\\u0061":2}').kind).toBe('duplicate_key');
  });

  it('refuses __proto__, constructor and prototype anywhere, and never touches a prototype', () => {
    expect(failure('{"__proto__":{"polluted":true}}')).toMatchObject({ kind: 'forbidden_key', pointer: '/__proto__' });
    expect(failure('{"a":[{"constructor":{"prototype":{"polluted":true}}}]}')).toMatchObject({ kind: 'forbidden_key', pointer: '/a/0/constructor' });
    expect(failure('{"prototype":1}').kind).toBe('forbidden_key');
    expect(failure('{"\\u005f_proto__":{}}').kind).toBe('forbidden_key');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('takes a custom list of forbidden keys, and still refuses __proto__', () => {
    expect(parseStrictJson('{"constructor":1}', { forbiddenKeys: [] })).toEqual({ constructor: 1 });
    expect(failure('{"__proto__":1}', { forbiddenKeys: [] }).kind).toBe('forbidden_key');
    expect(failure('{"secret":1}', { forbiddenKeys: ['secret'] }).kind).toBe('forbidden_key');
  });

  it('accepts nesting up to maxDepth and refuses one level more', () => {
    expect(() => parseStrictJson(nested(32), { maxDepth: 32 })).not.toThrow();
    expect(failure(nested(33), { maxDepth: 32 }).kind).toBe('too_deep');
    expect(() => parseStrictJson(nested(64))).not.toThrow();
    expect(failure(nested(65)).kind).toBe('too_deep');
    expect(failure('{"a":{"b":{}}}', { maxDepth: 2 })).toMatchObject({ kind: 'too_deep', pointer: '/a/b' });
    // Scalars have no depth.
    expect(parseStrictJson('"deep"', { maxDepth: 1 })).toBe('deep');
  });

  it('refuses a maxDepth it cannot honour', () => {
    expect(() => parseStrictJson('1', { maxDepth: 0 })).toThrow(RangeError);
    expect(() => parseStrictJson('1', { maxDepth: 1001 })).toThrow(RangeError);
  });

  it('never quotes the input in its messages', () => {
    const secret = 'hunter2-secret';
    for (const input of [`{"${secret}":1,"${secret}":2}`, `{"a":${secret}}`, `"${secret}\u0001"`]) {
      expect(failure(input).message).not.toContain(secret);
    }
  });

  describe('properties', () => {
    it('agrees with JSON.parse on every JSON document without duplicate or forbidden keys', () => {
      const key = fc.string().filter((k) => k !== '__proto__' && k !== 'constructor' && k !== 'prototype');
      const value = fc.letrec((tie) => ({
        node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, fc.constant(null), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string(), fc.array(tie('node')), fc.dictionary(key, tie('node'))),
      })).node;
      fc.assert(
        fc.property(value, fc.boolean(), (v, pretty) => {
          const text = JSON.stringify(v, null, pretty ? 2 : undefined);
          expect(parseStrictJson(text, { maxDepth: 1000 })).toEqual(JSON.parse(text));
        }),
      );
    });

    it('throws only StrictJsonErrors on arbitrary input, and never pollutes Object.prototype', () => {
      const fragments = fc.constantFrom('{', '}', '[', ']', ',', ':', '"', '\\', '__proto__', 'constructor', 'prototype', '"__proto__"', 'true', 'null', '1', '-', 'e', '.', ' ', '\\u', 'ab');
      const input = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.array(fragments).map((parts) => parts.join('')), fc.uint8Array().map((bytes) => Buffer.from(bytes)));
      fc.assert(
        fc.property(input, (text) => {
          try {
            parseStrictJson(text);
          } catch (error) {
            expect(error).toBeInstanceOf(SyntaxError);
            expect(['syntax', 'invalid_utf8', 'duplicate_key', 'forbidden_key', 'too_deep']).toContain((error as { kind: string }).kind);
          }
          expect(Object.keys(Object.prototype)).toEqual([]);
        }),
        { numRuns: 2000 },
      );
    });

    it('refuses every document that carries a __proto__ key, however deep', () => {
      fc.assert(
        fc.property(fc.jsonValue({ maxDepth: 3 }), fc.array(fc.boolean(), { maxLength: 20 }), (sibling, wrappers) => {
          // JSON.parse makes "__proto__" an own key, which JSON.stringify writes back out.
          let evil: unknown = JSON.parse('{"__proto__":{"polluted":1}}');
          for (const inArray of wrappers) evil = inArray ? [sibling, evil] : { sibling, evil };
          const text = JSON.stringify(evil);
          expect(text).toContain('"__proto__"');
          expect(() => parseStrictJson(text, { maxDepth: 1000 })).toThrow(SyntaxError);
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        }),
      );
    });
  });
});
