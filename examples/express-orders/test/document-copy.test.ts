import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const read = (url: URL) => parse(readFileSync(url, 'utf8')) as unknown;
// test/fixtures/orders-api.yaml is the repository's copy of shared/reference (see test/reference-copy.test.ts).
const reference = read(new URL('../../../test/fixtures/orders-api.yaml', import.meta.url));
const copy = read(new URL('../openapi.yaml', import.meta.url));

function withoutPalisadeExtensions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutPalisadeExtensions);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !key.startsWith('x-palisade'))
      .map(([key, child]) => [key, withoutPalisadeExtensions(child)]),
  );
}

describe("the example's copy of the reference document", () => {
  it('declares exactly what the reference document declares', () => {
    expect(withoutPalisadeExtensions(copy)).toEqual(reference);
  });

  it('adds only x-palisade-* extensions', () => {
    expect(JSON.stringify(copy)).toMatch(/x-palisade-/);
  });
});
