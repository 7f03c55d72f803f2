import { compileDocument, loadDocument, RouteMatcher, type OperationPolicy } from '@palisade/core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixturePath, REFERENCE_DOCUMENT } from './fixtures/fixture-paths';

const KINDS = ['operation', 'not_found', 'method_not_allowed', 'malformed'];
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'get', 'CONNECT', ''];

async function matcherFor(source: string): Promise<{ matcher: RouteMatcher; operations: readonly OperationPolicy[] }> {
  const compiled = compileDocument(await loadDocument(source));
  return { matcher: new RouteMatcher(compiled.operations), operations: compiled.operations };
}

// ---------------------------------------------------------------------------
// Generators

/** Characters a segment may carry raw (RFC 3986 pchar minus "%"). */
const RAW_SAFE = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]$/;
const HEX = '0123456789ABCDEF';

function percentEncode(character: string, lowerCase: boolean): string {
  const escaped = Array.from(new TextEncoder().encode(character), (byte) => `%${HEX[byte >> 4]}${HEX[byte & 15]}`).join('');
  return lowerCase ? escaped.toLowerCase() : escaped;
}

/**
 * A parameter value: any characters a segment can carry once decoded, so
 * never "/", "\", a control character, or a bare "." / "..".
 */
const parameterValue = fc
  .string({
    unit: fc.oneof(
      fc.constantFrom('a', 'Z', '0', '9', '-', '_', '.', '~', '%', '2', '5', 'F', ' ', '?', '#', '+', '&', '=', ':', '@', "'", '"', '<'),
      fc.constantFrom('\u00e9', '\u4e2d', '\u{1f600}', '\u00a0'),
    ),
    minLength: 1,
    maxLength: 12,
  })
  .filter((value) => value !== '.' && value !== '..');

/** One spelling of a parameter value: every character raw where allowed, or percent-encoded (upper or lower hex). */
function spellParameter(value: string, encodeMask: readonly boolean[], lowerHex: boolean): string {
  return Array.from(value)
    .map((character, index) => (RAW_SAFE.test(character) && !encodeMask[index % encodeMask.length] ? character : percentEncode(character, lowerHex)))
    .join('');
}

type Segment = { readonly literal: string } | { readonly param: string };

function segmentsOf(template: string): Segment[] {
  return template
    .slice(1)
    .split('/')
    .map((segment) => {
      const whole = /^\{([^{}]+)\}$/.exec(segment);
      return whole ? { param: whole[1]! } : { literal: segment };
    });
}

/**
 * A way to re-spell a path. `canonical` is true when the result is still
 * the one spelling the matcher must accept.
 */
type Mutation =
  | { readonly type: 'encode-param'; readonly at: number; readonly mask: readonly boolean[]; readonly lowerHex: boolean }
  | { readonly type: 'flip-case'; readonly at: number; readonly mask: readonly boolean[] }
  | { readonly type: 'encode-literal'; readonly at: number; readonly char: number; readonly lowerHex: boolean }
  | { readonly type: 'extra-slash'; readonly at: number }
  | { readonly type: 'trailing-slash' }
  | { readonly type: 'dot-segment'; readonly at: number; readonly spelling: string }
  | { readonly type: 'separator'; readonly at: number; readonly spelling: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ type: fc.constant('encode-param' as const), at: fc.nat(), mask: fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), lowerHex: fc.boolean() }),
  fc.record({ type: fc.constant('flip-case' as const), at: fc.nat(), mask: fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }) }),
  fc.record({ type: fc.constant('encode-literal' as const), at: fc.nat(), char: fc.nat(), lowerHex: fc.boolean() }),
  fc.record({ type: fc.constant('extra-slash' as const), at: fc.nat() }),
  fc.record({ type: fc.constant('trailing-slash' as const) }),
  fc.record({ type: fc.constant('dot-segment' as const), at: fc.nat(), spelling: fc.constantFrom('.', '..', '%2e', '%2E', '.%2e', '%2E%2E', 'x/..', 'x/%2e%2e') }),
  fc.record({ type: fc.constant('separator' as const), at: fc.nat(), spelling: fc.constantFrom('\\', '%5c', '%5C', '%2f', '%2F', '/./', '//') }),
);

interface Spelling {
  readonly url: string;
  readonly canonical: boolean;
}

/**
 * Spells `template` with `values` after applying `mutations`. Segments are
 * kept as raw strings; structural mutations are applied to the joined path.
 */
function spell(template: string, values: Readonly<Record<string, string>>, mutations: readonly Mutation[], allowCaseFlips: boolean): Spelling {
  const segments = segmentsOf(template);
  const raw = segments.map((segment) => ('literal' in segment ? segment.literal : spellParameter(values[segment.param]!, [false], false)));
  const structural: Mutation[] = [];
  for (const change of mutations) {
    if (segments.length === 0) break;
    const at = 'at' in change ? change.at % segments.length : 0;
    const segment = segments[at]!;
    switch (change.type) {
      case 'encode-param':
        // Re-spelling a parameter's characters is still canonical: it decodes to the same value.
        if ('param' in segment) raw[at] = spellParameter(values[segment.param]!, change.mask, change.lowerHex);
        break;
      case 'flip-case':
        if ('literal' in segment && allowCaseFlips) {
          const flipped = Array.from(raw[at]!)
            .map((character, index) => (change.mask[index % change.mask.length] ? (character === character.toLowerCase() ? character.toUpperCase() : character.toLowerCase()) : character))
            .join('');
          raw[at] = flipped;
        }
        break;
      case 'encode-literal':
        if ('literal' in segment && raw[at] === segment.literal) {
          const characters = Array.from(segment.literal);
          const index = change.char % characters.length;
          characters[index] = percentEncode(characters[index]!, change.lowerHex);
          raw[at] = characters.join('');
        }
        break;
      default:
        structural.push(change);
    }
  }
  // A literal segment is canonical only when spelled exactly as declared (two case flips may cancel out).
  let canonical = segments.every((segment, index) => 'param' in segment || raw[index] === segment.literal);
  let path = segments.length === 0 ? '/' : `/${raw.join('/')}`;
  for (const change of structural) {
    const separators = [...path.matchAll(/\//g)].map((match) => match.index);
    const position = 'at' in change ? separators[change.at % separators.length]! : path.length;
    switch (change.type) {
      case 'extra-slash':
        path = `${path.slice(0, position)}/${path.slice(position)}`;
        break;
      case 'trailing-slash':
        path = `${path}/`;
        break;
      case 'dot-segment':
        path = `${path.slice(0, position)}/${change.spelling}${path.slice(position)}`;
        break;
      case 'separator':
        if (position === 0) continue;
        path = `${path.slice(0, position)}${change.spelling}${path.slice(position + 1)}`;
        break;
    }
    canonical = false;
  }
  return { url: path, canonical };
}

function simpleOperations(operations: readonly OperationPolicy[]): OperationPolicy[] {
  // Segments are either literal text or one whole parameter; mixed segments (`{name}.json`) are tested by example.
  return operations.filter((operation) => operation.pathTemplate.split('/').every((segment) => !segment.includes('{') || /^\{[^{}]+\}$/.test(segment)));
}

// ---------------------------------------------------------------------------

describe('RouteMatcher properties', () => {
  let reference: { matcher: RouteMatcher; operations: readonly OperationPolicy[] };
  let siblings: { matcher: RouteMatcher; operations: readonly OperationPolicy[] };
  let literalValues: Set<string>;

  beforeAll(async () => {
    reference = await matcherFor(REFERENCE_DOCUMENT);
    siblings = await matcherFor(fixturePath('literal-and-template.yaml'));
    literalValues = new Set(
      [...reference.operations, ...siblings.operations].flatMap((operation) => segmentsOf(operation.pathTemplate).flatMap((segment) => ('literal' in segment ? [segment.literal] : []))),
    );
  });

  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.constantFrom(...METHODS), fc.string({ unit: 'binary', maxLength: 200 }), (method, url) => {
        const result = reference.matcher.match(method, url);
        return KINDS.includes(result.kind) && typeof result.path === 'string' && (result.operation === null) === (result.kind !== 'operation');
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on URL-shaped input built from risky pieces', () => {
    const piece = fc.oneof(
      fc.constantFrom('/', '//', '.', '..', '%', '%2e', '%2E', '%2f', '%2F', '%5c', '\\', '%00', '%C0%AF', '%C3%28', '%zz', '%4', '?', '#', '*', 'http://h', '%25', '%ED%A0%80', '\u0000', '\u00e9'),
      fc.constantFrom('orders', 'ord-0001', 'invoice', 'checkout', 'admin', 'users', 'health', 'login', 'webhooks'),
      fc.integer({ min: 0, max: 255 }).map((byte) => `%${byte.toString(16).padStart(2, '0')}`),
      fc.string({ unit: 'grapheme-ascii', maxLength: 4 }),
    );
    const url = fc.array(piece, { maxLength: 16 }).map((pieces) => pieces.join(''));
    fc.assert(
      fc.property(fc.constantFrom(...METHODS), url, (method, target) => {
        const result = reference.matcher.match(method, target);
        expect(KINDS).toContain(result.kind);
        if (result.kind === 'operation') {
          // Whatever matched was spelled canonically: re-spelling it from its template and parameters gives the same path.
          const rebuilt = result.operation!.pathTemplate.replace(/\{([^{}]+)\}/g, (_, name: string) => result.params![name]!);
          const decoded = result.path.split('/').map((segment) => decodeURIComponent(segment)).join('/');
          expect(decoded).toBe(rebuilt);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('no spelling of a reference path reaches another operation', () => {
    const operationArbitrary = fc.constantFrom(...simpleOperations(reference.operations));
    fc.assert(
      fc.property(
        operationArbitrary,
        parameterValue,
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (operation, orderId, mutations) => {
          fc.pre(!literalValues.has(orderId));
          const values = { orderId };
          const { url, canonical } = spell(operation.pathTemplate, values, mutations, true);
          const result = reference.matcher.match(operation.method, url);
          if (canonical) {
            expect(result.kind, url).toBe('operation');
            expect(result.operation, url).toBe(operation);
            if (operation.pathTemplate.includes('{')) expect({ ...result.params }, url).toEqual(values);
          } else {
            expect(['not_found', 'malformed'], url).toContain(result.kind);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('no encoded spelling of a literal reaches the templated operation beside it', () => {
    const operationArbitrary = fc.constantFrom(...simpleOperations(siblings.operations));
    fc.assert(
      fc.property(operationArbitrary, parameterValue, fc.array(mutation, { minLength: 1, maxLength: 4 }), (operation, id, mutations) => {
        fc.pre(!literalValues.has(id));
        // Case flips are left out here: `/items/MINE` is a canonical spelling of `/items/{id}`.
        const { url, canonical } = spell(operation.pathTemplate, { id }, mutations, false);
        const result = siblings.matcher.match(operation.method, url);
        if (canonical) {
          expect(result.operation, url).toBe(operation);
        } else {
          expect(['not_found', 'malformed'], url).toContain(result.kind);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('decodes a parameter exactly once', () => {
    fc.assert(
      fc.property(parameterValue, fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), fc.boolean(), (value, mask, lowerHex) => {
        fc.pre(!literalValues.has(value));
        const once = reference.matcher.match('GET', `/orders/${spellParameter(value, mask, lowerHex)}`);
        expect(once.params?.orderId).toBe(value);
        // Encoding the spelling again must yield the spelling, not the value.
        const spelled = spellParameter(value, [true], lowerHex);
        const twice = reference.matcher.match('GET', `/orders/${spelled.replace(/%/g, '%25')}`);
        expect(twice.params?.orderId).toBe(spelled);
      }),
      { numRuns: 1000 },
    );
    expect(reference.matcher.match('GET', '/orders/%2525').params?.orderId).toBe('%25');
    expect(reference.matcher.match('GET', '/orders/%252F').params?.orderId).toBe('%2F');
  });
});
