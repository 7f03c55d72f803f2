import type { RequestContext } from '@palisade/core';
import type { Express, NextFunction, Request, Response } from 'express';
import { findContext } from './request-state';

interface ExpressRoute {
  path: unknown;
  dispatch: (req: Request, res: Response, done: NextFunction) => void;
  [kBound]?: true;
}

interface RouterLike {
  stack?: { route?: ExpressRoute; handle?: { stack?: unknown[]; router?: RouterLike } }[];
  route: (path: unknown) => ExpressRoute;
  caseSensitive?: boolean;
  strict?: boolean;
}

const kBound = Symbol('palisade.bound-route');
const kPatched = Symbol('palisade.patched-router');

type WriteDenial = (req: Request, res: Response, ctx: RequestContext, operationId: string, routePath: string) => void;

/**
 * Makes sure Express can only hand a request to a route for the very
 * operation Palisade checked. Palisade matches exactly (case-sensitive,
 * literal segments first); Express matches case-insensitively by default
 * and in registration order, so a leftover `/orders/export` route could
 * otherwise receive a request checked as `getOrder`. Every route's
 * dispatch is wrapped to compare its path with the operation's template;
 * a mismatch is refused as an undeclared route.
 */
export function bindRoutesToOperations(app: Express, writeDenial: WriteDenial): () => void {
  const router = (app as unknown as { router: RouterLike }).router;
  // Match Palisade's own rules for routes registered from now on.
  router.caseSensitive = true;
  router.strict = true;
  // Routes created by any router after this point (app.get, Router().get).
  const proto = Object.getPrototypeOf(router) as RouterLike & { [kPatched]?: true };
  if (!proto[kPatched]) {
    const createRoute = proto.route;
    proto.route = function palisadeRoute(this: RouterLike, path: unknown) {
      const route = createRoute.call(this, path);
      bindRoute(route);
      return route;
    };
    proto[kPatched] = true;
  }
  const check = (route: ExpressRoute, req: Request, res: Response): boolean => {
    const ctx = findContext(req);
    // Requests that did not pass a Palisade mount are not ours to judge.
    if (ctx === undefined || ctx.operation === null) return true;
    if (routeServes(route.path, req.baseUrl, ctx.operation.pathTemplate)) return true;
    writeDenial(req, res, ctx, ctx.operation.operationId, String(route.path));
    return false;
  };
  routeChecks.set(app, check);
  // Routes that existed before the mount (in routers built earlier).
  return () => walk(router.stack ?? []);

  function walk(stack: NonNullable<RouterLike['stack']>): void {
    for (const layer of stack) {
      if (layer.route) bindRoute(layer.route);
      const nested = (layer.handle?.stack ?? layer.handle?.router?.stack) as NonNullable<RouterLike['stack']> | undefined;
      if (nested) walk(nested);
    }
  }

}

// One check per app; routes look theirs up through the request's app.
const routeChecks = new WeakMap<object, (route: ExpressRoute, req: Request, res: Response) => boolean>();

function bindRoute(route: ExpressRoute): void {
  if (route[kBound]) return;
  route[kBound] = true;
  const dispatch = route.dispatch;
  route.dispatch = function palisadeDispatch(this: ExpressRoute, req: Request, res: Response, done: NextFunction) {
    const check = routeChecks.get(req.app);
    if (check !== undefined && !check(this, req, res)) return;
    return dispatch.call(this, req, res, done);
  };
}

const PARAM = '{}';
const NO_SEGMENTS: readonly string[] = [];
// Route paths come from the app's code and templates from the document:
// both are finite, so their segment lists are worked out once, not on
// every request.
const routeShapes = new Map<string, readonly string[] | null>();
const templateShapes = new Map<string, readonly string[]>();

function routeShape(routePath: unknown): readonly string[] | null {
  if (typeof routePath !== 'string') return null;
  let shape = routeShapes.get(routePath);
  if (shape === undefined) {
    shape = /[*(){}?+]/.test(routePath) ? null : segmentsOf(routePath.replace(/:[A-Za-z0-9_$]+/g, PARAM));
    routeShapes.set(routePath, shape);
  }
  return shape;
}

function templateShape(template: string): readonly string[] {
  let shape = templateShapes.get(template);
  if (shape === undefined) {
    shape = segmentsOf(template.replace(/\{[^{}]+\}/g, PARAM));
    templateShapes.set(template, shape);
  }
  return shape;
}

/**
 * True when an Express route path, mounted at `baseUrl` (the concrete
 * prefix this request matched), has the shape of the OpenAPI template.
 * Paths Palisade cannot read (RegExps, wildcards, optional groups) never
 * serve an operation: fail closed.
 */
export function routeServes(routePath: unknown, baseUrl: string, template: string): boolean {
  const routeSegments = routeShape(routePath);
  if (routeSegments === null) return false;
  const prefixSegments = baseUrl === '' ? NO_SEGMENTS : segmentsOf(baseUrl);
  const templateSegments = templateShape(template);
  if (prefixSegments.length + routeSegments.length !== templateSegments.length) return false;
  for (let i = 0; i < prefixSegments.length; i++) {
    // A mount path's segments arrive as concrete values; a templated
    // segment of the operation accepts any of them.
    if (templateSegments[i] !== PARAM && templateSegments[i] !== prefixSegments[i]) return false;
  }
  for (let i = 0; i < routeSegments.length; i++) {
    if (routeSegments[i] !== templateSegments[prefixSegments.length + i]) return false;
  }
  return true;
}

function segmentsOf(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '');
}
