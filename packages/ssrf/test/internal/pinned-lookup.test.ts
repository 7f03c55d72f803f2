import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { createPinnedLookup } from '../../src/internal/pinned-lookup';

function ask(lookup: ReturnType<typeof createPinnedLookup>, host: string, options: object): Promise<{ error: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number }> {
  return new Promise((resolve) => lookup(host, options, (error, address, family) => resolve({ error, address, family })));
}

describe('createPinnedLookup', () => {
  const lookup = createPinnedLookup('hooks.example', ['93.184.215.14', '2606:4700:4700::1111']);

  it('answers with the checked addresses only', async () => {
    expect(await ask(lookup, 'hooks.example', {})).toEqual({ error: null, address: '93.184.215.14', family: 4 });
    expect(await ask(lookup, 'hooks.example', { family: 6 })).toEqual({ error: null, address: '2606:4700:4700::1111', family: 6 });
    expect(await ask(lookup, 'hooks.example', { all: true })).toEqual({
      error: null,
      address: [
        { address: '93.184.215.14', family: 4 },
        { address: '2606:4700:4700::1111', family: 6 },
      ],
      family: undefined,
    });
  });

  it('refuses any other host, and a family it has no address for', async () => {
    expect((await ask(lookup, 'internal.example', {})).error).toMatchObject({ code: 'ENOTFOUND' });
    const v4only = createPinnedLookup('hooks.example', ['93.184.215.14']);
    expect((await ask(v4only, 'hooks.example', { family: 6 })).error).toMatchObject({ code: 'ENOTFOUND' });
  });
});
