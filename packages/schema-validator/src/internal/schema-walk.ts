import { resolvePointer } from '@palisade/core';

/** A schema inside a (prepared) document, with its JSON pointer. */
export interface LocatedSchema {
  readonly schema: unknown;
  readonly pointer: string;
}

/**
 * Keywords whose value is one subschema, a list of them, or a map of them,
 * and whether the subschema describes a *value* inside the instance
 * (`properties/x`, `items`) or applies *in place* to the same value
 * (`allOf/0`, `$ref`'s target, `then`).
 */
export const SINGLE_VALUE_KEYWORDS = ['items', 'additionalProperties', 'unevaluatedProperties', 'unevaluatedItems', 'contains', 'additionalItems', 'propertyNames'] as const;
export const MAP_VALUE_KEYWORDS = ['properties', 'patternProperties'] as const;
export const LIST_VALUE_KEYWORDS = ['prefixItems'] as const;
export const SINGLE_IN_PLACE_KEYWORDS = ['not', 'if', 'then', 'else'] as const;
export const LIST_IN_PLACE_KEYWORDS = ['allOf', 'anyOf', 'oneOf'] as const;
export const MAP_IN_PLACE_KEYWORDS = ['dependentSchemas'] as const;
/** Maps of definitions: subschemas that apply nowhere until referenced. */
export const MAP_DEFINITION_KEYWORDS = ['$defs', 'definitions'] as const;
/** Keywords whose value is data, never a schema. */
export const DATA_KEYWORDS = new Set(['enum', 'const', 'default', 'example', 'examples']);

export function isSchemaObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function escapeToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * Follows `$ref` chains (internal refs only) to the schema that does the
 * work. Returns null for a ref that leaves the document or points nowhere.
 */
export function followRefs(root: unknown, located: LocatedSchema): LocatedSchema | null {
  let current = located;
  for (let hops = 0; hops < 64; hops++) {
    const schema = current.schema;
    if (!isSchemaObject(schema) || typeof schema.$ref !== 'string') return current;
    const target = refTarget(root, schema.$ref);
    if (target === null) return null;
    current = target;
  }
  return null;
}

/** Resolves an internal `$ref` (`#/components/schemas/X`) in `root`. */
export function refTarget(root: unknown, ref: string): LocatedSchema | null {
  if (!ref.startsWith('#')) return null;
  const schema = resolvePointer(root, ref);
  if (schema === undefined) return null;
  let pointer: string;
  try {
    pointer = decodeURIComponent(ref.slice(1));
  } catch {
    return null;
  }
  return { schema, pointer };
}

/** The subschemas applied in place (allOf, anyOf, oneOf, if/then/else, $ref target, dependentSchemas). */
export function inPlaceChildren(root: unknown, located: LocatedSchema): LocatedSchema[] {
  const { schema, pointer } = located;
  const children: LocatedSchema[] = [];
  if (!isSchemaObject(schema)) return children;
  if (typeof schema.$ref === 'string') {
    const target = refTarget(root, schema.$ref);
    if (target !== null) children.push(target);
  }
  for (const keyword of LIST_IN_PLACE_KEYWORDS) {
    const list = schema[keyword];
    if (Array.isArray(list)) list.forEach((child, index) => children.push({ schema: child, pointer: `${pointer}/${keyword}/${index}` }));
  }
  for (const keyword of ['if', 'then', 'else'] as const) {
    if (schema[keyword] !== undefined) children.push({ schema: schema[keyword], pointer: `${pointer}/${keyword}` });
  }
  const dependent = schema.dependentSchemas;
  if (isSchemaObject(dependent)) for (const name of Object.keys(dependent)) children.push({ schema: dependent[name], pointer: `${pointer}/dependentSchemas/${escapeToken(name)}` });
  return children;
}

/**
 * Every schema that applies to the same value as `located`: itself and,
 * recursively, its in-place subschemas (`not` excluded: it describes what
 * the value is not).
 */
export function inPlaceFacets(root: unknown, located: LocatedSchema): LocatedSchema[] {
  const facets: LocatedSchema[] = [];
  const seen = new Set<unknown>();
  const visit = (current: LocatedSchema) => {
    if (seen.has(current.schema)) return;
    seen.add(current.schema);
    facets.push(current);
    for (const child of inPlaceChildren(root, current)) visit(child);
  };
  visit(located);
  return facets;
}

/** Every direct subschema of `located`, tagged with how it applies. */
export function directChildren(located: LocatedSchema): { readonly child: LocatedSchema; readonly position: 'value' | 'in-place' | 'definition' }[] {
  const { schema, pointer } = located;
  const out: { child: LocatedSchema; position: 'value' | 'in-place' | 'definition' }[] = [];
  if (!isSchemaObject(schema)) return out;
  for (const keyword of SINGLE_VALUE_KEYWORDS) {
    const value = schema[keyword];
    if (isSchemaObject(value) || typeof value === 'boolean') out.push({ child: { schema: value, pointer: `${pointer}/${keyword}` }, position: 'value' });
    else if (Array.isArray(value)) value.forEach((item, index) => out.push({ child: { schema: item, pointer: `${pointer}/${keyword}/${index}` }, position: 'value' }));
  }
  for (const keyword of MAP_VALUE_KEYWORDS) {
    const map = schema[keyword];
    if (isSchemaObject(map)) for (const name of Object.keys(map)) out.push({ child: { schema: map[name], pointer: `${pointer}/${keyword}/${escapeToken(name)}` }, position: 'value' });
  }
  for (const keyword of LIST_VALUE_KEYWORDS) {
    const list = schema[keyword];
    if (Array.isArray(list)) list.forEach((item, index) => out.push({ child: { schema: item, pointer: `${pointer}/${keyword}/${index}` }, position: 'value' }));
  }
  for (const keyword of SINGLE_IN_PLACE_KEYWORDS) {
    if (schema[keyword] !== undefined) out.push({ child: { schema: schema[keyword], pointer: `${pointer}/${keyword}` }, position: 'in-place' });
  }
  for (const keyword of LIST_IN_PLACE_KEYWORDS) {
    const list = schema[keyword];
    if (Array.isArray(list)) list.forEach((item, index) => out.push({ child: { schema: item, pointer: `${pointer}/${keyword}/${index}` }, position: 'in-place' }));
  }
  for (const keyword of MAP_IN_PLACE_KEYWORDS) {
    const map = schema[keyword];
    if (isSchemaObject(map)) for (const name of Object.keys(map)) out.push({ child: { schema: map[name], pointer: `${pointer}/${keyword}/${escapeToken(name)}` }, position: 'in-place' });
  }
  for (const keyword of MAP_DEFINITION_KEYWORDS) {
    const map = schema[keyword];
    if (isSchemaObject(map)) for (const name of Object.keys(map)) out.push({ child: { schema: map[name], pointer: `${pointer}/${keyword}/${escapeToken(name)}` }, position: 'definition' });
  }
  return out;
}

/**
 * The JSON types a schema allows, read from `type` here and in its in-place
 * subschemas. Null when nothing says (any type).
 */
export function schemaTypes(root: unknown, located: LocatedSchema): ReadonlySet<string> | null {
  let types: Set<string> | null = null;
  for (const facet of inPlaceFacets(root, located)) {
    const schema = facet.schema;
    if (!isSchemaObject(schema)) continue;
    const declared = typeof schema.type === 'string' ? [schema.type] : Array.isArray(schema.type) ? (schema.type as string[]) : null;
    if (declared === null) continue;
    // allOf narrows, anyOf/oneOf widen; for coercion a union is the safe
    // reading: a value is only converted to a type some branch accepts.
    types ??= new Set();
    for (const type of declared) types.add(type);
  }
  return types;
}
