import { PalisadeConfigError, compileDocument, loadDocument } from '@palisade/core';
import type { GuardHooks } from '@palisade/core';
import { createResponseFilter, type ResponseViolation } from '@palisade/response-filter';
import { describe, expect, it, vi } from 'vitest';
import { engineFor, exchange, referenceWithVisibility } from './support/harness';
import { ORDER_FOR_READER, STORED_ORDER } from './vectors/orders-reference';

function configError(run: () => unknown): PalisadeConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof PalisadeConfigError) return error;
    throw error;
  }
  throw new Error('expected a PalisadeConfigError');
}

describe('createResponseFilter options', () => {
  it('needs none', () => {
    const guard = createResponseFilter();
    expect(guard.name).toBe('response-filter');
    expect(guard.stage).toBe('validation');
    expect(Object.isFrozen(guard)).toBe(true);
  });

  it('rejects unknown options with a suggestion', () => {
    const error = configError(() => createResponseFilter({ mdoe: 'report' } as never));
    expect(error.code).toBe('ERR_PALISADE_INVALID_OPTIONS');
    expect(error.message).toContain('unknown option "mdoe"');
    expect(error.message).toContain('Did you mean "mode"?');
  });

  it('rejects an unknown mode', () => {
    const error = configError(() => createResponseFilter({ mode: 'log' as never }));
    expect(error.path).toBe('mode');
    expect(error.message).toContain('must be one of "enforce", "report"');
  });

  it('rejects an onViolation that is not a function', () => {
    expect(configError(() => createResponseFilter({ onViolation: 'console.log' as never })).path).toBe('onViolation');
  });

  it('requires onViolation in report mode, where nothing else would be reported', () => {
    const error = configError(() => createResponseFilter({ mode: 'report' }));
    expect(error.path).toBe('onViolation');
    expect(error.message).toContain('is required when mode is "report"');
  });

  it('says how to call it when given a function', () => {
    const error = configError(() => createResponseFilter((() => undefined) as never));
    expect(error.code).toBe('ERR_PALISADE_MISUSE');
  });
});

describe('the guard', () => {
  it('has nothing to do for requests that match no operation', async () => {
    const compiled = compileDocument(await loadDocument(referenceWithVisibility()));
    const guard = createResponseFilter();
    expect(guard.compile(null, { compiled })).toBeNull();
    expect((guard.compile(compiled.operationsById.get('getOrder')!, { compiled }) as GuardHooks | null)?.onResponse).toBeTypeOf('function');
  });

  it('can serve two engines', async () => {
    const guard = createResponseFilter();
    const first = await engineFor(referenceWithVisibility(), guard);
    const second = await engineFor(referenceWithVisibility(), guard);
    for (const engine of [first, second]) {
      expect(exchange(engine, { url: '/orders/ord-0001', scopes: ['orders:read'], body: STORED_ORDER }).body).toEqual(ORDER_FOR_READER);
    }
  });
});

describe('enforce mode', () => {
  it('replaces an irreconcilable body with a 500 problem that tells the client nothing', async () => {
    const onViolation = vi.fn();
    const engine = await engineFor(referenceWithVisibility(), createResponseFilter({ onViolation }));
    const sent = exchange(engine, { url: '/orders/ord-0001', scopes: ['orders:read'], body: 'internal: connection string postgres://' });
    expect(sent.reply?.status).toBe(500);
    expect(sent.reply?.body).not.toContain('postgres');
    expect(sent.ctx.denial?.reason).toBe('response_invalid');
    expect(onViolation).toHaveBeenCalledTimes(1);
    expect(onViolation.mock.calls[0]![0]).toMatchObject({ kind: 'body_mismatch', operationId: 'getOrder', status: 200, declaredStatus: '200', bodyPointer: '', enforced: true, requestId: sent.ctx.requestId });
  });

  it('still refuses the response when onViolation throws', async () => {
    const engine = await engineFor(referenceWithVisibility(), createResponseFilter({ onViolation: () => { throw new Error('logger down'); } }));
    const sent = exchange(engine, { url: '/orders/ord-0001', scopes: ['orders:read'], body: [] });
    expect(sent.ctx.denial?.reason).toBe('response_invalid');
  });

  it('does not call onViolation for a body it could filter', async () => {
    const onViolation = vi.fn();
    const engine = await engineFor(referenceWithVisibility(), createResponseFilter({ onViolation }));
    exchange(engine, { url: '/orders/ord-0001', scopes: ['orders:read'], body: STORED_ORDER });
    expect(onViolation).not.toHaveBeenCalled();
  });
});

describe('report mode', () => {
  it('sends the original body and reports what enforce mode would refuse', async () => {
    const violations: ResponseViolation[] = [];
    const engine = await engineFor(referenceWithVisibility(), createResponseFilter({ mode: 'report', onViolation: (violation) => violations.push(violation) }));
    const body = [STORED_ORDER];
    const sent = exchange(engine, { url: '/orders/ord-0001', scopes: ['orders:read'], body });
    expect(sent.reply).toBeNull();
    expect(sent.body).toBe(body);
    expect(sent.ctx.denial).toBeNull();
    expect(violations).toEqual([expect.objectContaining({ kind: 'body_mismatch', operationId: 'getOrder', enforced: false, message: 'body must be object' })]);
  });

  it('sends the original body, undeclared fields included, when the body fits', async () => {
    const onViolation = vi.fn();
    const engine = await engineFor(referenceWithVisibility(), createResponseFilter({ mode: 'report', onViolation }));
    const sent = exchange(engine, { url: '/orders/ord-0001', scopes: ['orders:read'], body: STORED_ORDER });
    expect(sent.body).toBe(STORED_ORDER);
    expect(onViolation).not.toHaveBeenCalled();
  });

  it('reports undeclared statuses and content', async () => {
    const violations: ResponseViolation[] = [];
    const engine = await engineFor(referenceWithVisibility(), createResponseFilter({ mode: 'report', onViolation: (violation) => violations.push(violation) }));
    exchange(engine, { method: 'DELETE', url: '/orders/ord-0001', scopes: ['orders:admin'], status: 204, body: { ok: true } });
    exchange(engine, { method: 'POST', url: '/login', status: 302, body: { ok: true } });
    expect(violations.map((violation) => [violation.kind, violation.declaredStatus])).toEqual([
      ['content_not_declared', '204'],
      ['status_not_declared', null],
    ]);
  });

  it('a throwing onViolation never breaks the response', async () => {
    const engine = await engineFor(referenceWithVisibility(), createResponseFilter({ mode: 'report', onViolation: () => { throw new Error('logger down'); } }));
    const sent = exchange(engine, { url: '/orders/ord-0001', scopes: ['orders:read'], body: 'oops' });
    expect(sent.reply).toBeNull();
    expect(sent.body).toBe('oops');
  });
});

describe('a body that throws while it is filtered', () => {
  const throwing = { toJSON: () => { throw new Error('lazy relation not loaded'); } };

  it('becomes a 500 internal_error in enforce mode, the error kept for the audit trail', async () => {
    const engine = await engineFor(referenceWithVisibility(), createResponseFilter());
    const sent = exchange(engine, { url: '/orders/ord-0001', scopes: ['orders:read'], body: throwing });
    expect(sent.reply?.status).toBe(500);
    expect(sent.ctx.denial?.reason).toBe('internal_error');
    expect((sent.ctx.error as Error).message).toBe('lazy relation not loaded');
  });

  it('is reported and passed on in report mode', async () => {
    const onViolation = vi.fn();
    const engine = await engineFor(referenceWithVisibility(), createResponseFilter({ mode: 'report', onViolation }));
    const sent = exchange(engine, { url: '/orders/ord-0001', scopes: ['orders:read'], body: throwing });
    expect(sent.reply).toBeNull();
    expect(onViolation.mock.calls[0]![0]).toMatchObject({ kind: 'body_mismatch', message: 'body could not be filtered: Error: lazy relation not loaded' });
  });
});
