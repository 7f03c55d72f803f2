// ctx.readBody: the body is read from the socket once, whoever asks first
// (a guard looking for a form-encoded token, then the validator), and each
// caller's own size limit still holds.
import { createPalisade, isDenial, type Palisade, type RequestView } from '@palisade/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { REFERENCE_DOCUMENT } from './fixtures/fixture-paths';

let palisade: Palisade;

beforeAll(async () => {
  palisade = await createPalisade({ document: REFERENCE_DOCUMENT });
});

function contextWithBody(body: Buffer | null) {
  const reads: number[] = [];
  const view: RequestView = {
    method: 'POST',
    url: '/orders',
    headers: {},
    remoteAddress: '127.0.0.1',
    readBody:
      body === null
        ? null
        : (maxBytes) => {
            reads.push(maxBytes);
            return Promise.resolve(body);
          },
    peerCertificate: null,
  };
  return { ctx: palisade.startRequest(view), reads };
}

describe('RequestContext.readBody', () => {
  it('reads once and gives every later caller the same bytes', async () => {
    const { ctx, reads } = contextWithBody(Buffer.from('a=1'));
    const first = await ctx.readBody(100)!;
    const second = await ctx.readBody(1000)!;
    expect(second).toBe(first);
    expect(reads).toEqual([100]);
  });

  it("holds a later caller's smaller limit", async () => {
    const { ctx } = contextWithBody(Buffer.alloc(50));
    expect((await ctx.readBody(100)!).length).toBe(50);
    const refused = await ctx.readBody(10)!.catch((error: unknown) => error);
    expect(isDenial(refused) && refused.reason).toBe('payload_too_large');
    expect((await ctx.readBody(50)!).length).toBe(50);
  });

  it('is null when the framework consumed the body', () => {
    expect(contextWithBody(null).ctx.readBody(10)).toBeNull();
  });
});
