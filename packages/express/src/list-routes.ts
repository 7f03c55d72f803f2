import type { FrameworkRoute } from '@palisade/core';
import type { Express } from 'express';

interface Layer {
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: Layer[]; router?: { stack?: Layer[] } };
  rawPath?: unknown;
}

/**
 * The app's routes, read from Express 5's router stack, with `:param`
 * written as `{param}`. Nested routers are followed when their mount path
 * is a plain string; RegExp paths are listed as they are.
 */
export function listExpressRoutes(app: Express): FrameworkRoute[] {
  const stack = (app as unknown as { router?: { stack?: Layer[] } }).router?.stack ?? [];
  const routes: FrameworkRoute[] = [];
  collect(stack, '', routes);
  return routes;
}

function collect(stack: readonly Layer[], prefix: string, into: FrameworkRoute[]): void {
  for (const layer of stack) {
    if (layer.route) {
      for (const path of toPaths(layer.route.path)) {
        const template = `${prefix}${path}`.replace(/:([A-Za-z0-9_$]+)/g, '{$1}') || '/';
        for (const method of Object.keys(layer.route.methods)) {
          if (layer.route.methods[method]) into.push({ method: method === '_all' ? 'ALL' : method.toUpperCase(), path: template });
        }
      }
    } else {
      const nested = layer.handle?.stack ?? layer.handle?.router?.stack;
      if (nested) {
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
        collect(nested, `${prefix}${mount}`, into);
      }
    }
  }
}

function toPaths(path: unknown): string[] {
  if (Array.isArray(path)) return path.flatMap(toPaths);
  if (typeof path === 'string') return [path];
  return [String(path)];
}
