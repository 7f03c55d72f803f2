import { PalisadeConfigError } from '../errors';
import type { HttpMethod, OperationPolicy } from '../compile/operation-policy';

/** What a request's method and raw URL resolve to. One fixed shape. */
export interface MatchResult {
  /**
   * `operation`: exactly one operation, canonically spelled.
   * `not_found`: no operation, or a non-canonical spelling of one.
   * `method_not_allowed`: a declared path without this method (see `allow`).
   * `malformed`: the path's percent-encoding or UTF-8 is broken.
   */
  readonly kind: 'operation' | 'not_found' | 'method_not_allowed' | 'malformed';
  readonly operation: OperationPolicy | null;
  /** Decoded path parameters (null-prototype object), or null. */
  readonly params: Readonly<Record<string, string>> | null;
  /** The `Allow` header value for 405s (and for OPTIONS answers), or null. */
  readonly allow: string | null;
  /** The path template when the path is declared (for 405s too), or null. */
  readonly pathTemplate: string | null;
  /** The raw path, without the query. */
  readonly path: string;
  /** The raw query string without `?`, or `''`. */
  readonly query: string;
}

interface RouteEntry {
  readonly pathTemplate: string;
  readonly paramNames: readonly string[];
  /** Builds the params object; null for routes without parameters. */
  readonly createParams: ((values: readonly string[]) => Record<string, string>) | null;
  readonly methods: Readonly<Record<string, OperationPolicy>>;
  readonly allow: string;
}

interface PatternEdge {
  readonly regex: RegExp;
  readonly node: TrieNode;
}

interface TrieNode {
  literals: Map<string, TrieNode> | null;
  /** The same children as `literals`, as parallel arrays, while there are few: `===` beats hashing a fresh slice. */
  literalKeys: string[] | null;
  literalNodes: TrieNode[] | null;
  /** Declared literal value -> its canonical spelling (the `literals` key). */
  literalSpellings: Map<string, string> | null;
  patterns: PatternEdge[] | null;
  param: TrieNode | null;
  route: RouteEntry | null;
}

const MAX_SEGMENTS = 64;
const MAX_PATH_LENGTH = 8192;
// Characters after which a segment needs the careful path: percent signs,
// backslashes, controls, DEL and anything outside ASCII.
// eslint-disable-next-line no-control-regex
const NEEDS_CARE = /[%\\\u0000-\u001f\u007f-\uffff]/;
// eslint-disable-next-line no-control-regex
const FORBIDDEN_DECODED = /[/\\\u0000-\u001f\u007f]/;
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function newNode(): TrieNode {
  return { literals: null, literalKeys: null, literalNodes: null, literalSpellings: null, patterns: null, param: null, route: null };
}

/**
 * A router over the document's path templates that only lets a request
 * reach an operation through its one canonical spelling. Built once;
 * `match` allocates one result object and the segment list.
 *
 * Canonical means: absolute path, no empty segment (no doubled or trailing
 * slash), no `.`/`..` segment in any spelling, no backslash, no encoded
 * `/`, `\` or control character, literal segments spelled exactly as
 * declared (case included, no percent-encoded variants), and valid
 * percent-encoding of valid UTF-8 (else `malformed`).
 */
export class RouteMatcher {
  readonly #root: TrieNode = newNode();
  readonly #routes: RouteEntry[] = [];

  constructor(operations: readonly OperationPolicy[]) {
    const byTemplate = new Map<string, OperationPolicy[]>();
    for (const operation of operations) {
      const list = byTemplate.get(operation.pathTemplate) ?? [];
      list.push(operation);
      byTemplate.set(operation.pathTemplate, list);
    }
    for (const [template, list] of byTemplate) this.#addRoute(template, list);
  }

  /** Every declared path with its methods, for reports. */
  get routes(): readonly { readonly pathTemplate: string; readonly allow: string }[] {
    return this.#routes;
  }

  #addRoute(template: string, operations: OperationPolicy[]): void {
    const methods: Record<string, OperationPolicy> = Object.create(null);
    for (const operation of operations) methods[operation.method] = operation;
    // RFC 9110 section 9.3.2: HEAD is GET without a body, so it takes GET's checks.
    if (methods.GET && !methods.HEAD) methods.HEAD = methods.GET;
    const allow = Object.keys(methods).sort(methodOrder).join(', ');

    let node = this.#root;
    const paramNames: string[] = [];
    const segments = template === '/' ? [] : template.slice(1).split('/');
    for (const segment of segments) {
      if (segment === '' || segment === '.' || segment === '..') {
        throw new PalisadeConfigError('ERR_PALISADE_DOCUMENT_INVALID', `OpenAPI path "${template}" has an empty, "." or ".." segment; no canonical request can reach it`, {
          path: `/paths/${template.replace(/~/g, '~0').replace(/\//g, '~1')}`,
          fix: 'Remove the empty or dot segment (and any trailing slash) from the path.',
        });
      }
      const whole = /^\{([^{}]+)\}$/.exec(segment);
      if (whole) {
        paramNames.push(whole[1]!);
        node = node.param ??= newNode();
      } else if (segment.includes('{')) {
        const names: string[] = [];
        const source = segment.replace(/\{([^{}]+)\}|([^{}]+)/g, (_, name: string | undefined, literal: string | undefined) => {
          if (name !== undefined) {
            names.push(name);
            return '(.+?)';
          }
          return escapeRegex(literal!);
        });
        paramNames.push(...names);
        const key = `^${source}$`;
        node.patterns ??= [];
        let edge = node.patterns.find((candidate) => candidate.regex.source === key);
        if (!edge) {
          edge = { regex: new RegExp(key, 's'), node: newNode() };
          node.patterns.push(edge);
        }
        node = edge.node;
      } else {
        node.literals ??= new Map();
        node.literalSpellings ??= new Map();
        const key = canonicalLiteral(segment);
        node.literalSpellings.set(segment, key);
        let next = node.literals.get(key);
        if (!next) {
          next = newNode();
          node.literals.set(key, next);
          if (node.literals.size <= SMALL_LITERAL_SET) {
            (node.literalKeys ??= []).push(key);
            (node.literalNodes ??= []).push(next);
          } else {
            node.literalKeys = null;
            node.literalNodes = null;
          }
        }
        node = next;
      }
    }
    if (node.route) {
      throw new PalisadeConfigError('ERR_PALISADE_AMBIGUOUS_PATH', `OpenAPI paths "${node.route.pathTemplate}" and "${template}" match exactly the same requests; OpenAPI forbids such templates and Palisade cannot tell which one a request is for`, {
        path: `/paths/${template.replace(/~/g, '~0').replace(/\//g, '~1')}`,
        fix: 'Merge the two path items into one.',
      });
    }
    node.route = { pathTemplate: template, paramNames, createParams: paramNames.length === 0 ? null : createParamsFactory(paramNames), methods, allow };
    this.#routes.push(node.route);
  }

  /**
   * Resolves a request. `method` is compared exactly (HTTP methods are
   * case-sensitive); `rawUrl` is the request target as received.
   * Never throws.
   */
  match(method: string, rawUrl: string): MatchResult {
    let start = 0;
    if (rawUrl.charCodeAt(0) !== 47 /* / */) {
      start = absoluteFormPathStart(rawUrl);
      if (start < 0) return miss('not_found', rawUrl, '');
    }
    let end = rawUrl.indexOf('?', start);
    const query = end < 0 ? '' : rawUrl.slice(end + 1);
    if (end < 0) end = rawUrl.length;
    const path = start === 0 && end === rawUrl.length ? rawUrl : start === end ? '/' : rawUrl.slice(start, end);
    if (path.length > MAX_PATH_LENGTH) return miss('not_found', path.slice(0, 256), query);
    if (path.includes('#')) return miss('malformed', path, query);

    // Most paths need no decoding at all; then one array serves as both
    // the raw and the decoded segments.
    const careful = NEEDS_CARE.test(path);
    const raw: string[] = [];
    const decoded: string[] = careful ? [] : raw;
    if (path !== '/') {
      let position = 1;
      while (position <= path.length) {
        let next = path.indexOf('/', position);
        if (next < 0) next = path.length;
        const segment = path.slice(position, next);
        if (segment === '' || segment === '.' || segment === '..' || raw.length === MAX_SEGMENTS) return miss('not_found', path, query);
        if (careful) {
          if (NEEDS_CARE.test(segment)) {
            const value = decodeSegment(segment);
            if (value === MALFORMED) return miss('malformed', path, query);
            if (value === NOT_CANONICAL) return miss('not_found', path, query);
            decoded.push(value);
          } else {
            decoded.push(segment);
          }
        }
        raw.push(segment);
        position = next + 1;
      }
    }

    const values: string[] = [];
    const route = walk(this.#root, raw, decoded, 0, values);
    if (route === null || route === NON_CANONICAL_LITERAL) return miss('not_found', path, query);
    const operation = route.methods[method];
    if (operation === undefined) {
      return { kind: 'method_not_allowed', operation: null, params: null, allow: route.allow, pathTemplate: route.pathTemplate, path, query };
    }
    const params = route.createParams === null ? null : route.createParams(values);
    return { kind: 'operation', operation, params, allow: route.allow, pathTemplate: route.pathTemplate, path, query };
  }

  /** The route declared for a path, by path template spelling, or null. Start-up use only. */
  allowFor(pathTemplate: string): string | null {
    return this.#routes.find((route) => route.pathTemplate === pathTemplate)?.allow ?? null;
  }
}

function miss(kind: 'not_found' | 'malformed', path: string, query: string): MatchResult {
  return { kind, operation: null, params: null, allow: null, pathTemplate: null, path, query };
}

const NON_CANONICAL_LITERAL = Symbol('non-canonical literal');
const SMALL_LITERAL_SET = 8;

function findLiteral(node: TrieNode, segment: string): TrieNode | undefined {
  const keys = node.literalKeys;
  if (keys !== null) {
    for (let i = 0; i < keys.length; i++) if (keys[i] === segment) return node.literalNodes![i];
    return undefined;
  }
  return node.literals!.get(segment);
}

// Parameter objects have no Object.prototype in their chain (a parameter
// named `__proto__` or `constructor` is plain data), yet are fast-mode
// objects: `Object.create(null)` would start each one in dictionary mode.
function createParamsFactory(names: readonly string[]): (values: readonly string[]) => Record<string, string> {
  function Params(this: Record<string, string>) {}
  Params.prototype = Object.create(null);
  return (values) => {
    const params = new (Params as unknown as new () => Record<string, string>)();
    for (let i = 0; i < names.length; i++) params[names[i]!] = values[i]!;
    return params;
  };
}

// Literal > pattern > parameter, backtracking only into untried branches.
// Each trie node sits at one depth, so a walk visits each node at most once.
function walk(node: TrieNode, raw: readonly string[], decoded: readonly string[], depth: number, values: string[]): RouteEntry | typeof NON_CANONICAL_LITERAL | null {
  if (depth === raw.length) return node.route;
  if (node.literals !== null) {
    const next = findLiteral(node, raw[depth]!);
    if (next !== undefined) {
      const found = walk(next, raw, decoded, depth + 1, values);
      if (found !== null) return found;
    }
    // `/items/%6Dine` is `/items/mine` spelled otherwise. Letting it fall
    // through to `/items/{id}` would run that operation's checks for a
    // request a decoding framework routes to `/items/mine`'s handler, so
    // the whole match fails instead of trying other branches.
    if (raw !== decoded) {
      const spelling = node.literalSpellings!.get(decoded[depth]!);
      if (spelling !== undefined && spelling !== raw[depth]) return NON_CANONICAL_LITERAL;
    }
  }
  if (node.patterns !== null) {
    for (const edge of node.patterns) {
      const match = edge.regex.exec(decoded[depth]!);
      if (match === null) continue;
      const mark = values.length;
      for (let i = 1; i < match.length; i++) values.push(match[i]!);
      const found = walk(edge.node, raw, decoded, depth + 1, values);
      if (found !== null) return found;
      values.length = mark;
    }
  }
  if (node.param !== null) {
    values.push(decoded[depth]!);
    const found = walk(node.param, raw, decoded, depth + 1, values);
    if (found !== null) return found;
    values.pop();
  }
  return null;
}

const MALFORMED = Symbol('malformed');
const NOT_CANONICAL = Symbol('not canonical');

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

/** Percent-decodes one segment once, strictly. */
export function decodeSegment(segment: string): string | typeof MALFORMED | typeof NOT_CANONICAL {
  const bytes: number[] = [];
  for (let i = 0; i < segment.length; i++) {
    const code = segment.charCodeAt(i);
    if (code === 37 /* % */) {
      const high = hexValue(segment.charCodeAt(i + 1));
      const low = hexValue(segment.charCodeAt(i + 2));
      if (high < 0 || low < 0) return MALFORMED;
      bytes.push(high * 16 + low);
      i += 2;
    } else if (code > 0x7e || code < 0x21 || code === 92 /* \ */) {
      // Raw spaces, controls, backslashes or non-ASCII never appear in a
      // well-formed request target (RFC 3986 section 3.3).
      return NOT_CANONICAL;
    } else {
      bytes.push(code);
    }
  }
  let value: string;
  try {
    value = STRICT_UTF8.decode(Uint8Array.from(bytes));
  } catch {
    return MALFORMED;
  }
  if (FORBIDDEN_DECODED.test(value) || value === '.' || value === '..') return NOT_CANONICAL;
  return value;
}

// RFC 3986 section 2.3: unreserved characters are never percent-encoded in
// the canonical form; sub-delims, ':' and '@' may appear raw in a segment.
function canonicalLiteral(literal: string): string {
  return literal.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@]/gu, (character) =>
    Array.from(new TextEncoder().encode(character), (byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// `http://host/path`: RFC 9112 section 3.2.2 says servers must accept the
// absolute form; the path is what follows the authority. Anything else that
// does not start with '/' (`*`, garbage) matches nothing.
function absoluteFormPathStart(rawUrl: string): number {
  const schemeEnd = rawUrl.indexOf('://');
  if (schemeEnd < 0) return -1;
  const scheme = rawUrl.slice(0, schemeEnd).toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') return -1;
  const slash = rawUrl.indexOf('/', schemeEnd + 3);
  const question = rawUrl.indexOf('?', schemeEnd + 3);
  if (slash < 0 || (question >= 0 && question < slash)) return question >= 0 ? question : rawUrl.length;
  return slash;
}

const METHOD_ORDER: readonly HttpMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'];
function methodOrder(a: string, b: string): number {
  return METHOD_ORDER.indexOf(a as HttpMethod) - METHOD_ORDER.indexOf(b as HttpMethod);
}
