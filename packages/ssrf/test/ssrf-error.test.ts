import { readFileSync } from 'node:fs';
import { SSRF_ERROR_CODES, SsrfError } from '@palisade/ssrf';
import { describe, expect, it } from 'vitest';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('error codes', () => {
  it('the README lists exactly the codes of SSRF_ERROR_CODES', () => {
    const section = readme.slice(readme.indexOf('## Error codes'), readme.indexOf('## Reason codes'));
    const documented = [...section.matchAll(/^\| `(ERR_PALISADE_SSRF_[A-Z_]+)` \|/gm)].map((match) => match[1]);
    expect(documented.sort()).toEqual(Object.keys(SSRF_ERROR_CODES).sort());
  });

  it('SsrfError carries its code and cause', () => {
    const cause = new Error('ECONNRESET');
    const error = new SsrfError('ERR_PALISADE_SSRF_CONNECTION_FAILED', 'the exchange with a.example failed', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'SsrfError', code: 'ERR_PALISADE_SSRF_CONNECTION_FAILED', message: 'the exchange with a.example failed', cause });
  });
});
