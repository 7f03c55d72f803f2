import { describe, expect, it } from 'vitest';
import { coercerFor } from '../../src/internal/parameters';

describe('coercerFor', () => {
  it('converts only clean numbers and booleans, and only where the schema asks', () => {
    const integer = coercerFor(new Set(['integer']));
    expect(integer('20')).toBe(20);
    expect(integer('-1.5e2')).toBe(-150);
    for (const raw of ['', ' 1', '1 ', '0x10', '1_000', 'Infinity', 'NaN', '01', '+1', '1e400', 'abc']) expect(integer(raw)).toBe(raw);
    const flag = coercerFor(new Set(['boolean']));
    expect([flag('true'), flag('false'), flag('True'), flag('1')]).toEqual([true, false, 'True', '1']);
    expect(coercerFor(new Set(['string', 'integer']))('20')).toBe('20');
    expect(coercerFor(null)('20')).toBe('20');
    expect(coercerFor(new Set(['number', 'boolean', 'null']))('true')).toBe(true);
  });
});
