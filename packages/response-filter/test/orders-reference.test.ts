import type { Palisade } from '@palisade/core';
import { createResponseFilter } from '@palisade/response-filter';
import { beforeAll, describe, expect, it } from 'vitest';
import { REFERENCE_DOCUMENT, engineFor, exchange, referenceWithVisibility } from './support/harness';
import { NEVER_SENT, REFERENCE_CASES, STORED_ORDER } from './vectors/orders-reference';

/** Every key anywhere in a JSON value. */
function keysIn(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) keysIn(item, into);
  else if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      into.add(key);
      keysIn((value as Record<string, unknown>)[key], into);
    }
  }
  return into;
}

describe('the reference service (orders-api.yaml)', () => {
  let engine: Palisade;
  beforeAll(async () => {
    engine = await engineFor(referenceWithVisibility(), createResponseFilter());
  });

  it.each(REFERENCE_CASES)('$title', ({ method, url, scopes, status, body, expected }) => {
    const sent = exchange(engine, { method, url, scopes, status, body });
    expect(sent.reply).toBeNull();
    expect(sent.body).toEqual(expected);
    const keys = keysIn(sent.body);
    for (const secret of NEVER_SENT) expect(keys.has(secret)).toBe(false);
  });

  it('never hands the handler object itself back, nor changes it', () => {
    const stored = structuredClone(STORED_ORDER);
    const sent = exchange(engine, { url: '/orders/ord-0001', scopes: ['orders:read'], body: stored });
    expect(sent.body).not.toBe(stored);
    expect(stored).toEqual(STORED_ORDER);
  });

  it('drops customerEmail when the caller holds only unrelated scopes', () => {
    const sent = exchange(engine, { url: '/orders/ord-0001', scopes: ['orders:read', 'admin:users', 'orders:admin:extra'], body: STORED_ORDER });
    expect(sent.body).not.toHaveProperty('customerEmail');
  });

  it('without x-palisade-visible-to, customerEmail is a declared field like any other', async () => {
    // The bare reference document leaves visibility to README.md; an
    // example states it with the extension (referenceWithVisibility).
    const plain = await engineFor(REFERENCE_DOCUMENT, createResponseFilter());
    const sent = exchange(plain, { url: '/orders/ord-0001', scopes: ['orders:read'], body: STORED_ORDER });
    expect(sent.body).toHaveProperty('customerEmail', 'alice@example.com');
    expect(sent.body).not.toHaveProperty('internalNote');
  });

  it('refuses an Order list where one Order was declared (500 response_invalid)', () => {
    const sent = exchange(engine, { url: '/orders/ord-0001', scopes: ['orders:read'], body: [STORED_ORDER] });
    expect(sent.reply?.status).toBe(500);
    expect(sent.reply?.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(sent.reply!.body as string)).toEqual({ type: 'urn:palisade:problem:internal-error', title: 'Internal Server Error', status: 500 });
    expect(sent.ctx.denial?.reason).toBe('response_invalid');
    expect(sent.ctx.denial?.privateDetail).toContain('getOrder 200 application/json: body must be object');
  });

  it('refuses a JSON body on deleteOrder, whose 204 declares no content', () => {
    const sent = exchange(engine, { method: 'DELETE', url: '/orders/ord-0001', scopes: ['orders:admin'], status: 204, body: { deleted: true } });
    expect(sent.reply?.status).toBe(500);
    expect(sent.ctx.denial?.privateDetail).toContain('response "204" declares no content');
  });

  it('filters a handler-made error body through the default Problem response', () => {
    const sent = exchange(engine, { url: '/orders/ord-0001', scopes: ['orders:read'], status: 404, body: { type: 'about:blank', title: 'Not Found', status: 404, stack: 'Error: at db.js:1' } });
    expect(sent.reply).toBeNull();
    expect(sent.body).toEqual({ type: 'about:blank', title: 'Not Found', status: 404 });
  });
});
