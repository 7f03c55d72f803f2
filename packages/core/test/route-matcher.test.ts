import { compileDocument, loadDocument, PalisadeConfigError, RouteMatcher, type MatchResult } from '@palisade/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixturePath, REFERENCE_DOCUMENT } from './fixtures/fixture-paths';
import { PATH_SPELLINGS } from './vectors/path-spellings';

async function matcherFor(source: string | object): Promise<RouteMatcher> {
  return new RouteMatcher(compileDocument(await loadDocument(source)).operations);
}

function documentWithPaths(paths: Record<string, string[]>): object {
  const out: Record<string, unknown> = {};
  for (const [template, methods] of Object.entries(paths)) {
    const names = [...template.matchAll(/\{([^{}]+)\}/g)].map((match) => match[1]!);
    const item: Record<string, unknown> = {};
    if (names.length > 0) item.parameters = names.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
    for (const method of methods) item[method] = { operationId: `${method}:${template}`, responses: { '200': { description: 'OK' } } };
    out[template] = item;
  }
  return { openapi: '3.1.0', info: { title: 'paths', version: '1' }, paths: out };
}

describe('RouteMatcher on the reference document: path spellings', () => {
  let matcher: RouteMatcher;
  beforeAll(async () => {
    matcher = await matcherFor(REFERENCE_DOCUMENT);
  });

  it.each(PATH_SPELLINGS.map((entry) => [entry.title, entry] as const))('%s', (_title, entry) => {
    const result = matcher.match(entry.method, entry.url);
    expect(result.kind).toBe(entry.expected.kind);
    switch (entry.expected.kind) {
      case 'operation':
        expect(result.operation?.operationId).toBe(entry.expected.operationId);
        expect(result.params === null ? null : { ...result.params }).toEqual(entry.expected.params);
        break;
      case 'method_not_allowed':
        expect(result.operation).toBeNull();
        expect(result.allow).toBe(entry.expected.allow);
        expect(result.pathTemplate).not.toBeNull();
        break;
      default:
        expect(result.operation).toBeNull();
        expect(result.params).toBeNull();
        expect(result.allow).toBeNull();
    }
  });
});

describe('RouteMatcher results', () => {
  let matcher: RouteMatcher;
  beforeAll(async () => {
    matcher = await matcherFor(REFERENCE_DOCUMENT);
  });

  it('splits the raw path from the raw query', () => {
    const result = matcher.match('GET', '/orders?limit=2&status=paid');
    expect(result.path).toBe('/orders');
    expect(result.query).toBe('limit=2&status=paid');
    expect(matcher.match('GET', '/orders').query).toBe('');
    expect(matcher.match('GET', '/orders?').query).toBe('');
  });

  it('takes the path of an absolute-form target from after the authority', () => {
    const result = matcher.match('GET', 'http://orders.example/orders/ord-0007?x=1');
    expect(result.path).toBe('/orders/ord-0007');
    expect(result.query).toBe('x=1');
    expect(result.params?.orderId).toBe('ord-0007');
  });

  it('returns path parameters in an object without Object.prototype in its chain', () => {
    const result = matcher.match('GET', '/orders/__proto__');
    expect(result.kind).toBe('operation');
    expect(Object.getPrototypeOf(Object.getPrototypeOf(result.params))).toBeNull();
    expect(result.params!.orderId).toBe('__proto__');
    expect(Object.keys(result.params!)).toEqual(['orderId']);
    expect('toString' in result.params!).toBe(false);
  });

  it('gives HEAD the very policy object of GET', () => {
    const get = matcher.match('GET', '/orders/ord-0001');
    const head = matcher.match('HEAD', '/orders/ord-0001');
    expect(head.operation).toBe(get.operation);
    expect(head.operation?.method).toBe('GET');
  });

  it('answers a declared path with an undeclared method with its Allow list and template', () => {
    const result = matcher.match('PUT', '/orders/ord-0001/checkout');
    expect(result).toMatchObject({ kind: 'method_not_allowed', allow: 'POST', pathTemplate: '/orders/{orderId}/checkout', operation: null, params: null });
  });

  it('lists every declared path with its methods, HEAD included where GET is', () => {
    expect(matcher.routes.map((route) => [route.pathTemplate, route.allow])).toEqual([
      ['/health', 'GET, HEAD'],
      ['/login', 'POST'],
      ['/orders', 'GET, HEAD, POST'],
      ['/orders/{orderId}', 'GET, HEAD, PATCH, DELETE'],
      ['/orders/{orderId}/checkout', 'POST'],
      ['/orders/{orderId}/invoice', 'GET, HEAD'],
      ['/webhooks', 'POST'],
      ['/admin/users', 'GET, HEAD'],
    ]);
    expect(matcher.allowFor('/orders/{orderId}')).toBe('GET, HEAD, PATCH, DELETE');
    expect(matcher.allowFor('/nope')).toBeNull();
  });

  it('refuses over-long paths and too many segments without work', () => {
    expect(matcher.match('GET', `/orders/${'a'.repeat(9000)}`).kind).toBe('not_found');
    expect(matcher.match('GET', '/a'.repeat(100)).kind).toBe('not_found');
  });

  it('never throws on odd input', () => {
    for (const url of ['', '?', '#', '%', '/%', '//', 'http://', 'http://?', 'https:///', '/\u0000', '/\ud800', `/${'%'.repeat(50)}`]) {
      expect(() => matcher.match('GET', url)).not.toThrow();
    }
  });
});

describe('RouteMatcher: literal segments win over templated ones', () => {
  let matcher: RouteMatcher;
  beforeAll(async () => {
    matcher = await matcherFor(fixturePath('literal-and-template.yaml'));
  });

  it('sends the literal spelling to the literal path', () => {
    const result = matcher.match('GET', '/items/mine');
    expect(result.operation?.operationId).toBe('listMyItems');
    expect(result.params).toBeNull();
  });

  it('sends any other value to the templated path', () => {
    const result = matcher.match('GET', '/items/item-1');
    expect(result.operation?.operationId).toBe('getItem');
    expect({ ...result.params }).toEqual({ id: 'item-1' });
  });

  it('does not fall back to the templated path for a method only it declares', () => {
    // /items/mine is its own path item: DELETE is not declared there, even though /items/{id} has it.
    expect(matcher.match('DELETE', '/items/mine')).toMatchObject({ kind: 'method_not_allowed', allow: 'GET, HEAD', pathTemplate: '/items/mine' });
    expect(matcher.match('DELETE', '/items/item-1').operation?.operationId).toBe('deleteItem');
  });

  it('does not let a percent-encoded spelling of the literal reach the templated operation', () => {
    for (const url of ['/items/%6Dine', '/items/%6dine', '/items/m%69ne', '/items/%6D%69%6E%65']) {
      expect(matcher.match('GET', url), url).toMatchObject({ kind: 'not_found', operation: null });
    }
  });

  it('treats a case variant of the literal as a value of the template (paths are case-sensitive)', () => {
    const result = matcher.match('GET', '/items/MINE');
    expect(result.operation?.operationId).toBe('getItem');
    expect({ ...result.params }).toEqual({ id: 'MINE' });
  });

  it('matches a parameter that shares its segment with literal text', () => {
    const result = matcher.match('GET', '/files/report.2025.json');
    expect(result.operation?.operationId).toBe('getFile');
    expect({ ...result.params }).toEqual({ name: 'report.2025' });
    expect(matcher.match('GET', '/files/.json').kind).toBe('not_found');
    expect(matcher.match('GET', '/files/report.xml').kind).toBe('not_found');
  });
});

describe('RouteMatcher: a literal beside a template at a shallower depth', () => {
  it('does not reach another operation by backtracking from an encoded literal', async () => {
    const matcher = await matcherFor(documentWithPaths({ '/x/mine': ['get'], '/x/{id}': ['get'], '/{a}/{b}': ['get'] }));
    expect(matcher.match('GET', '/x/mine').operation?.operationId).toBe('get:/x/mine');
    expect(matcher.match('GET', '/x/other').operation?.operationId).toBe('get:/x/{id}');
    expect(matcher.match('GET', '/y/mine').operation?.operationId).toBe('get:/{a}/{b}');
    // Without the rule, the walk would give up on /x/* and land on /{a}/{b} with b = "mine".
    expect(matcher.match('GET', '/x/%6Dine').kind).toBe('not_found');
  });

  it('still backtracks from a canonical literal whose subtree has no route', async () => {
    const matcher = await matcherFor(documentWithPaths({ '/a/{x}/c': ['get'], '/{y}/d': ['get'] }));
    const result = matcher.match('GET', '/a/d');
    expect(result.operation?.operationId).toBe('get:/{y}/d');
    expect({ ...result.params }).toEqual({ y: 'a' });
  });

  it('keeps a literal that needs percent-encoding reachable by its canonical spelling only', async () => {
    const matcher = await matcherFor(documentWithPaths({ '/caf\u00e9': ['get'], '/{any}': ['post'] }));
    expect(matcher.match('GET', '/caf%C3%A9').operation?.operationId).toBe('get:/caf\u00e9');
    expect(matcher.match('GET', '/caf%c3%a9').kind).toBe('not_found');
    expect(matcher.match('GET', '/caf\u00e9').kind).toBe('not_found');
  });
});

describe('RouteMatcher construction', () => {
  const build = async (paths: Record<string, string[]>) => matcherFor(documentWithPaths(paths));

  it('stops start-up when two templates match the same requests', async () => {
    const error = await build({ '/a/{x}': ['get'], '/a/{y}': ['post'] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PalisadeConfigError);
    expect(error).toMatchObject({ code: 'ERR_PALISADE_AMBIGUOUS_PATH', path: '/paths/~1a~1{y}' });
    expect((error as Error).message).toContain('"/a/{x}" and "/a/{y}"');
  });

  it('stops start-up on a path with an empty or dot segment', async () => {
    for (const template of ['/a//b', '/a/./b', '/a/..', '/a/']) {
      const error = await build({ [template]: ['get'] }).catch((caught: unknown) => caught);
      expect(error, template).toBeInstanceOf(PalisadeConfigError);
      expect((error as PalisadeConfigError).code).toBe('ERR_PALISADE_DOCUMENT_INVALID');
      expect((error as PalisadeConfigError).path).toBe(`/paths/${template.replace(/\//g, '~1')}`);
    }
  });

  it('matches the root path when it is declared', async () => {
    const matcher = await build({ '/': ['get'] });
    expect(matcher.match('GET', '/').operation?.operationId).toBe('get:/');
    expect(matcher.match('GET', 'http://host').operation?.operationId).toBe('get:/');
    expect(matcher.match('GET', '//').kind).toBe('not_found');
  });

  it('keeps one result shape for every kind', async () => {
    const matcher = await build({ '/a/{x}': ['get'] });
    const keys = (result: MatchResult) => Object.keys(result).sort();
    const shapes = ['/a/1', '/b', '/a/%zz'].map((url) => keys(matcher.match('GET', url)));
    shapes.push(keys(matcher.match('PUT', '/a/1')));
    for (const shape of shapes) expect(shape).toEqual(['allow', 'kind', 'operation', 'params', 'path', 'pathTemplate', 'query']);
  });
});
