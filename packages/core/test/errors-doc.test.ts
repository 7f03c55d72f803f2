import { readFileSync } from 'node:fs';
import { PALISADE_ERROR_CODES, type PalisadeErrorCode } from '@palisade/core';
import { describe, expect, it } from 'vitest';

const DOC = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
const CODES = Object.keys(PALISADE_ERROR_CODES) as PalisadeErrorCode[];

/** `## ERR_PALISADE_X` sections: heading -> body text up to the next heading. */
function sections(markdown: string): Map<string, string> {
  const found = new Map<string, string>();
  const parts = markdown.split(/^## /m).slice(1);
  for (const part of parts) {
    const newline = part.indexOf('\n');
    found.set(part.slice(0, newline).trim(), part.slice(newline + 1).trim());
  }
  return found;
}

describe('docs/errors.md', () => {
  const documented = sections(DOC);
  const headings = [...documented.keys()].filter((heading) => heading.startsWith('ERR_'));

  it('has a section for every code', () => {
    expect(CODES.filter((code) => !documented.has(code))).toEqual([]);
  });

  it('has no section for a code that does not exist', () => {
    expect(headings.filter((heading) => !Object.prototype.hasOwnProperty.call(PALISADE_ERROR_CODES, heading))).toEqual([]);
    expect(headings).toHaveLength(new Set(headings).size);
  });

  it.each(CODES.map((code) => [code]))('%s opens with its summary and says how to fix it', (code) => {
    const body = documented.get(code)!;
    expect(body.split('\n\n')[0]).toBe(PALISADE_ERROR_CODES[code]);
    expect(body.length).toBeGreaterThan(PALISADE_ERROR_CODES[code].length + 80);
  });

  it('follows the order of PALISADE_ERROR_CODES', () => {
    expect(headings).toEqual(CODES);
  });
});
