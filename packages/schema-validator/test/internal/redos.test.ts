// Unit tests of a private module: imported by path, not through the package.
import { describe, expect, it } from 'vitest';
import { analyzePattern, isLengthBoundingPattern } from '../../src/internal/redos';

describe('analyzePattern', () => {
  it.each([
    // Classic exponential cases (OWASP "ReDoS" page, CVE write-ups).
    ['(a+)+', 'nested_quantifier', 'exponential'],
    ['(a*)*b', 'nested_quantifier', 'exponential'],
    ['^(\\w+\\s?)*$', 'nested_quantifier', 'exponential'],
    ['^(([a-z])+.)+[A-Z]([a-z])+$', 'nested_quantifier', 'exponential'],
    ['(x+x+)+y', 'nested_quantifier', 'exponential'],
    ['^([a-zA-Z0-9])(([\\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+[.]{1}(([a-z]{2,3})|([a-z]{2,3}[.]{1}[a-z]{2,3}))$', 'nested_quantifier', 'exponential'],
    ['(?:\\d+)+$', 'nested_quantifier', 'exponential'],
    ['(?<word>[a-z]+)*!', 'nested_quantifier', 'exponential'],
    ['(.*a){20}', 'nested_quantifier', 'polynomial'],
    ['(a|a)*', 'overlapping_alternation', 'exponential'],
    ['(\\d|\\w)+$', 'overlapping_alternation', 'exponential'],
    ['^(a|[a-c])*$', 'overlapping_alternation', 'exponential'],
    ['\\d+\\d*', 'adjacent_quantifiers', 'polynomial'],
    ['^.*.*=.*$', 'adjacent_quantifiers', 'polynomial'],
    ['^\\s*,?\\s*$', 'adjacent_quantifiers', 'polynomial'],
  ])('flags %s as %s (%s)', (pattern, kind, severity) => {
    expect(analyzePattern(pattern)).toEqual({ kind, severity });
  });

  it.each([
    // The reference document's patterns.
    '^ord-[0-9]{4}$',
    '^inv-[0-9]{4}$',
    '^[A-Z0-9-]{3,32}$',
    '^[A-Za-z0-9_.-]+$',
    '^[A-Za-z0-9_-]*$',
    // Near misses: repetition with an unambiguous separator.
    '(ab+)+',
    '(a+b)+',
    '^([a-z]+\\.)+$',
    '^[a-z]+@[a-z]+\\.[a-z]{2,}$',
    '^(?:[^"\\\\]|\\\\.)*$',
    'a{2,}b{3,}',
    '^\\p{L}+$',
    '^[\\u{1F600}-\\u{1F64F}]+$',
    // Lookarounds are zero-width.
    '^(?=.*\\d)[a-z0-9]{8,64}$',
  ])('does not flag %s', (pattern) => {
    expect(analyzePattern(pattern)).toBeNull();
  });

  it('returns null for patterns it cannot parse (ajv reports those)', () => {
    for (const pattern of ['[', '(a', 'a)', '*a', 'a{2', '\\']) expect(analyzePattern(pattern)).toBeNull();
  });
});

describe('isLengthBoundingPattern', () => {
  it.each([
    ['^ord-[0-9]{4}$', true],
    ['^[A-Z0-9-]{3,32}$', true],
    ['^(?:a|bc){1,3}$', true],
    ['^[A-Za-z0-9_.-]+$', false],
    ['ord-[0-9]{4}', false],
    ['^ord-[0-9]{4}', false],
    ['^a$|^b+$', false],
    ['^a{2,}$', false],
    ['^a\\$', false],
  ])('%s -> %s', (pattern, expected) => {
    expect(isLengthBoundingPattern(pattern)).toBe(expected);
  });
});
