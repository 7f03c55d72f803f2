import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeComponent, splitPairs } from '../../src/internal/query-string';

describe('splitPairs', () => {
  it.each([
    ['', []],
    ['a=1', ['a', '1']],
    ['a=1&b=2&a=3', ['a', '1', 'b', '2', 'a', '3']],
    ['a&b=', ['a', '', 'b', '']],
    ['a=1&&b=2&', ['a', '1', 'b', '2']],
    ['q=a+b%20c&%C3%A9=%E6%9D%8E', ['q', 'a b c', 'é', '李']],
    ['a=b=c', ['a', 'b=c']],
    ['=x', ['', 'x']],
  ])('splits %j', (query, pairs) => {
    expect(splitPairs(query)).toEqual(pairs);
  });

  it.each(['a=%ZZ', '%=1', 'a=%C3%28', 'a=%E6%9D'])('refuses %j', (query) => {
    expect(splitPairs(query)).toBeNull();
  });

  it('agrees with URLSearchParams on well-formed input', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ minLength: 1 }), fc.string())), (entries) => {
        const query = new URLSearchParams(entries).toString();
        const pairs = splitPairs(query)!;
        expect(pairs).toEqual([...new URLSearchParams(query)].flat());
      }),
    );
  });

  it('decodes plain components without copying', () => {
    expect(decodeComponent('plain')).toBe('plain');
  });
});
