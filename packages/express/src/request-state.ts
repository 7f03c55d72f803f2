import type { Principal, RequestContext } from '@palisade/core';
import type { Request } from 'express';

/** Where the adapter keeps core's context on the Express request. A symbol, so it is not API by accident. */
export const kContext = Symbol('palisade.context');

type WithContext = Request & { [kContext]?: RequestContext };

/**
 * The Palisade context of a request that passed the guard chain: its
 * operation, path parameters, principal and request id.
 *
 * @throws TypeError when the request did not go through `mountPalisade` (a wiring mistake).
 */
export function getPalisadeContext(req: Request): RequestContext {
  const ctx = (req as WithContext)[kContext];
  if (ctx === undefined) {
    throw new TypeError('getPalisadeContext: this request did not pass through Palisade. Call mountPalisade(app, ...) before registering routes.');
  }
  return ctx;
}

/** The authenticated caller, or null for public operations. */
export function getPrincipal(req: Request): Principal | null {
  return getPalisadeContext(req).principal;
}

export function attachContext(req: Request, ctx: RequestContext): void {
  (req as WithContext)[kContext] = ctx;
}

export function findContext(req: Request): RequestContext | undefined {
  return (req as WithContext)[kContext];
}
