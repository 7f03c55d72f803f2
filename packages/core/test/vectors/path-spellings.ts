/**
 * Path spellings from the core issue, against the reference document
 * (shared/reference/orders-api.yaml, copied to test/fixtures). Each entry is titled with what
 * it is. The matcher test runs them through `RouteMatcher`, the engine test
 * through `startRequest` + `checkRequest`, and every adapter is meant to
 * fire the same table over real HTTP.
 *
 * `expected.kind` is the matcher's verdict; the problem an engine answers
 * follows from it: `not_found` -> 404 `undeclared_route`, `malformed` -> 400
 * `path_malformed`, `method_not_allowed` -> 405 with `Allow`.
 */
export type ExpectedMatch =
  | { readonly kind: 'operation'; readonly operationId: string; readonly params: Readonly<Record<string, string>> | null }
  | { readonly kind: 'method_not_allowed'; readonly allow: string }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'malformed' };

export interface PathSpellingVector {
  readonly title: string;
  readonly method: string;
  /** The request target exactly as sent. */
  readonly url: string;
  /** Extra request headers (lower-case names). They must change nothing. */
  readonly headers: Readonly<Record<string, string>>;
  readonly expected: ExpectedMatch;
}

const operation = (operationId: string, params: Record<string, string> | null = null): ExpectedMatch => ({ kind: 'operation', operationId, params });
const notFound: ExpectedMatch = { kind: 'not_found' };
const malformed: ExpectedMatch = { kind: 'malformed' };
const methodNotAllowed = (allow: string): ExpectedMatch => ({ kind: 'method_not_allowed', allow });

function vector(title: string, method: string, url: string, expected: ExpectedMatch, headers: Record<string, string> = {}): PathSpellingVector {
  return { title, method, url, headers, expected };
}

export const PATH_SPELLINGS: readonly PathSpellingVector[] = [
  // The canonical spellings: the one way in.
  vector('canonical: literal path', 'GET', '/orders', operation('listOrders')),
  vector('canonical: templated path', 'GET', '/orders/ord-0001', operation('getOrder', { orderId: 'ord-0001' })),
  vector('canonical: literal after a template', 'GET', '/orders/ord-0001/invoice', operation('getInvoice', { orderId: 'ord-0001' })),
  vector('canonical: two literal segments', 'GET', '/admin/users', operation('listUsers')),
  vector('canonical: the query is not part of the path', 'GET', '/orders?limit=2&cursor=x', operation('listOrders')),
  vector('canonical: a percent-encoded character inside a parameter decodes to the same value', 'GET', '/orders/ord%2D0001', operation('getOrder', { orderId: 'ord-0001' })),
  vector('canonical: a parameter is decoded once (%2525 is "%25", not "%")', 'GET', '/orders/ord%2525', operation('getOrder', { orderId: 'ord%25' })),
  vector('HEAD takes the operation (and the checks) of GET', 'HEAD', '/orders/ord-0001', operation('getOrder', { orderId: 'ord-0001' })),

  // Case variants: paths are case-sensitive (RFC 3986 section 6.2.2.1).
  vector('case variant: capitalised literal', 'GET', '/Orders', notFound),
  vector('case variant: upper-case literal before a template', 'GET', '/ORDERS/ord-0001', notFound),
  vector('case variant: literal after a template', 'GET', '/orders/ord-0001/Invoice', notFound),
  vector('case variant: second literal segment', 'GET', '/admin/Users', notFound),

  // Trailing and doubled slashes: an empty segment is another path.
  vector('trailing slash on a literal path', 'GET', '/orders/', notFound),
  vector('trailing slash on a templated path', 'GET', '/orders/ord-0001/', notFound),
  vector('trailing slash before the query', 'GET', '/admin/users/?x=1', notFound),
  vector('doubled slash at the start', 'GET', '//orders', notFound),
  vector('doubled slash in the middle', 'GET', '/admin//users', notFound),
  vector('doubled slash before a parameter', 'GET', '/orders//ord-0001', notFound),

  // Dot segments, plain: never resolved, never matched.
  vector('dot segment: "." at the start', 'GET', '/./orders', notFound),
  vector('dot segment: "." in the middle', 'GET', '/admin/./users', notFound),
  vector('dot segment: ".." climbing out of a public path', 'GET', '/health/../admin/users', notFound),
  vector('dot segment: ".." at the end', 'GET', '/orders/ord-0001/..', notFound),
  vector('dot segment: "." where a parameter goes', 'GET', '/orders/.', notFound),
  vector('dot segment: ".." where a parameter goes', 'GET', '/orders/../admin/users', notFound),

  // Dot segments, percent-encoded.
  vector('encoded dot segment: %2e', 'GET', '/%2e/orders', notFound),
  vector('encoded dot segment: %2E%2E', 'GET', '/health/%2E%2E/admin/users', notFound),
  vector('encoded dot segment: mixed .%2e', 'GET', '/health/.%2e/admin/users', notFound),
  vector('encoded dot segment: %2e%2E where a parameter goes', 'GET', '/orders/%2e%2E', notFound),
  vector('encoded dot segment: %2e where a parameter goes', 'GET', '/orders/%2e/invoice', notFound),

  // Encoded slashes: a segment never holds a "/".
  vector('encoded slash: %2f between literals', 'GET', '/admin%2fusers', notFound),
  vector('encoded slash: %2F between literal and parameter', 'GET', '/orders%2Ford-0001', notFound),
  vector('encoded slash: %2F inside a parameter', 'GET', '/orders/ord-0001%2Finvoice', notFound),
  vector('encoded slash: %2f as a whole parameter', 'GET', '/orders/%2f', notFound),

  // Backslashes, raw and encoded: some servers treat them as "/".
  vector('backslash between literals', 'GET', '/admin\\users', notFound),
  vector('backslash between literal and parameter', 'GET', '/orders\\ord-0001', notFound),
  vector('backslash at the end', 'GET', '/orders\\', notFound),
  vector('encoded backslash: %5c', 'GET', '/admin%5cusers', notFound),
  vector('encoded backslash: %5C inside a parameter', 'GET', '/orders/ord-0001%5Cinvoice', notFound),

  // NUL and other control characters.
  vector('NUL: %00 after a literal', 'GET', '/orders%00', notFound),
  vector('NUL: %00 inside a parameter', 'GET', '/orders/ord-0001%00', notFound),
  vector('NUL: %00 truncation attempt', 'GET', '/admin/users%00.json', notFound),
  vector('control character: encoded line feed %0a', 'GET', '/orders/ord-0001%0a', notFound),

  // Invalid UTF-8.
  vector('invalid UTF-8: %C3%28 (bad continuation byte)', 'GET', '/orders/%C3%28', malformed),
  vector('invalid UTF-8: overlong "/" %C0%AF', 'GET', '/orders/%C0%AF', malformed),
  vector('invalid UTF-8: overlong ".." %C0%AE%C0%AE', 'GET', '/health/%C0%AE%C0%AE/admin/users', malformed),
  vector('invalid UTF-8: lone continuation byte %80', 'GET', '/orders/%80', malformed),
  vector('invalid UTF-8: encoded surrogate %ED%A0%80', 'GET', '/orders/%ED%A0%80', malformed),
  vector('invalid UTF-8: truncated sequence %E2%82', 'GET', '/orders/%E2%82', malformed),

  // Bad percent-escapes.
  vector('bad escape: %zz', 'GET', '/orders/%zz', malformed),
  vector('bad escape: truncated %4', 'GET', '/orders/%4', malformed),
  vector('bad escape: lone % at the end', 'GET', '/orders/ord-0001%', malformed),
  vector('bad escape: %% in a literal position', 'GET', '/%%6Frders', malformed),

  // Percent-encoded characters of a literal segment: not the declared spelling.
  vector('encoded literal: %6F for "o"', 'GET', '/%6Frders', notFound),
  vector('encoded literal: %69 for "i" after a template', 'GET', '/orders/ord-0001/%69nvoice', notFound),
  vector('encoded literal: every character encoded', 'GET', '/%61%64%6D%69%6E/%75%73%65%72%73', notFound),

  // Raw characters that never appear in a well-formed request target.
  vector('raw non-ASCII character in a parameter', 'GET', '/orders/ord-\u00e9', notFound),
  vector('fragment in the request target', 'GET', '/orders#x', malformed),

  // Absolute form (RFC 9112 section 3.2.2): the path is what follows the authority.
  vector('absolute form: http://host/path', 'GET', 'http://orders.example/orders', operation('listOrders')),
  vector('absolute form: https with port and parameter', 'GET', 'https://orders.example:8443/orders/ord-0001', operation('getOrder', { orderId: 'ord-0001' })),
  vector('absolute form: upper-case scheme', 'GET', 'HTTP://orders.example/admin/users', operation('listUsers')),
  vector('absolute form: non-canonical path after the authority', 'GET', 'http://orders.example/Orders', notFound),
  vector('absolute form: dot segment after the authority', 'GET', 'http://orders.example/health/../admin/users', notFound),
  vector('absolute form: no path at all', 'GET', 'http://orders.example', notFound),
  vector('absolute form: other scheme', 'GET', 'ftp://orders.example/orders', notFound),

  // Asterisk form and garbage.
  vector('asterisk form "*" with GET', 'GET', '*', notFound),
  vector('asterisk form "*" with OPTIONS', 'OPTIONS', '*', notFound),
  vector('relative reference without a leading slash', 'GET', 'orders', notFound),
  vector('empty request target', 'GET', '', notFound),

  // Methods: compared exactly (RFC 9110 section 9.1), Allow on 405.
  vector("method case: 'get' is not GET", 'get', '/orders', methodNotAllowed('GET, HEAD, POST')),
  vector("method case: 'Post' is not POST", 'Post', '/login', methodNotAllowed('POST')),
  vector('undeclared method on a declared path', 'PUT', '/orders', methodNotAllowed('GET, HEAD, POST')),
  vector('undeclared method on a templated path', 'POST', '/orders/ord-0001', methodNotAllowed('GET, HEAD, PATCH, DELETE')),
  vector('DELETE on a read-only path', 'DELETE', '/admin/users', methodNotAllowed('GET, HEAD')),
  vector('OPTIONS without CORS is an undeclared method', 'OPTIONS', '/orders', methodNotAllowed('GET, HEAD, POST')),
  vector('HEAD on a path without GET', 'HEAD', '/login', methodNotAllowed('POST')),

  // Undeclared routes.
  vector('undeclared route the framework may still have', 'GET', '/internal/debug', notFound),
  vector('undeclared sub-path of a templated path', 'GET', '/orders/ord-0001/items', notFound),
  vector('root path, not declared', 'GET', '/', notFound),

  // Method-override and rewrite headers: irrelevant.
  vector('method override irrelevant: X-HTTP-Method-Override on GET', 'GET', '/orders', operation('listOrders'), { 'x-http-method-override': 'DELETE' }),
  vector('method override irrelevant: X-HTTP-Method-Override cannot add a method', 'POST', '/orders/ord-0001', methodNotAllowed('GET, HEAD, PATCH, DELETE'), {
    'x-http-method-override': 'DELETE',
  }),
  vector('method override irrelevant: X-HTTP-Method and X-Method-Override', 'POST', '/login', operation('login'), { 'x-http-method': 'GET', 'x-method-override': 'GET' }),
  vector('rewrite header irrelevant: X-Original-URL to a declared path', 'GET', '/internal/debug', notFound, { 'x-original-url': '/health' }),
  vector('rewrite header irrelevant: X-Rewrite-URL to another operation', 'GET', '/health', operation('getHealth'), { 'x-rewrite-url': '/admin/users' }),
  vector('rewrite header irrelevant: X-Original-URL does not repair a bad spelling', 'GET', '/Orders', notFound, { 'x-original-url': '/orders' }),
];
