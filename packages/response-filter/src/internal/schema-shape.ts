import { PalisadeConfigError, resolvePointer, toPointer } from '@palisade/core';

/** A schema as written in the bundled document, with its JSON pointer (the memo key). */
export interface SchemaPart {
  readonly schema: unknown;
  readonly pointer: string;
}

/** The document schemas are read from, and its dialect. */
export interface SchemaSource {
  readonly document: unknown;
  readonly version: '3.0' | '3.1';
}

// JSON types as bits, so that `allOf` is an AND and a type list an OR.
// `number` is NUMBER | INTEGER: every integer is a number.
export const T_OBJECT = 1;
export const T_ARRAY = 2;
export const T_STRING = 4;
export const T_NUMBER = 8;
export const T_INTEGER = 16;
export const T_BOOLEAN = 32;
export const T_NULL = 64;
export const T_ANY = 127;

const TYPE_BITS: Readonly<Record<string, number>> = {
  object: T_OBJECT,
  array: T_ARRAY,
  string: T_STRING,
  number: T_NUMBER | T_INTEGER,
  integer: T_INTEGER,
  boolean: T_BOOLEAN,
  null: T_NULL,
};

/** How to treat keys an object schema does not declare. */
export type AdditionalPolicy = { readonly kind: 'drop' } | { readonly kind: 'keep' } | { readonly kind: 'filter'; readonly parts: readonly SchemaPart[] };

export interface PatternRule {
  readonly source: string;
  readonly pointer: string;
  readonly parts: SchemaPart[];
}

export interface Discriminator {
  readonly propertyName: string;
  /** `mapping` as declared: discriminator value -> `$ref` or schema name. */
  readonly mapping: ReadonlyMap<string, string>;
}

/** One `oneOf`/`anyOf`: the value must take one of the branches. */
export interface UnionGroup {
  /** Pointer of the `oneOf`/`anyOf` keyword itself; identifies the group in a choice map. */
  readonly pointer: string;
  readonly branches: readonly SchemaPart[];
  readonly discriminator: Discriminator | null;
}

/**
 * Everything a list of schemas that must all hold (an `allOf`, `$ref`s
 * followed) says about the shape of a value, merged: allowed types,
 * declared properties, how undeclared keys are treated, array items, and
 * the `oneOf`/`anyOf` groups still to be chosen.
 */
export interface Shape {
  types: number;
  /** Some part names a `type`: an object then keeps only declared keys even with no `properties`. */
  typed: boolean;
  /** Some part is the `false` schema: nothing is valid. */
  never: boolean;
  hasObjectKeywords: boolean;
  readonly properties: Map<string, SchemaPart[]>;
  readonly required: Set<string>;
  additional: AdditionalPolicy;
  readonly patterns: PatternRule[];
  hasArrayKeywords: boolean;
  /** Schemas every item beyond `prefixItems` must satisfy; empty: any item. */
  readonly items: SchemaPart[];
  /** `items: false`: no item beyond `prefixItems` is allowed. */
  itemsForbidden: boolean;
  readonly prefixItems: SchemaPart[][];
  readonly unions: UnionGroup[];
}

/** The `x-palisade-*` (and `writeOnly`) annotations that decide who may see a value. */
export interface Visibility {
  /** `x-palisade-secret: true` or `writeOnly: true`: never in a response. */
  readonly secret: boolean;
  /** Each entry is one `x-palisade-visible-to` list; the caller needs one scope of every list. */
  readonly scopeLists: readonly (readonly string[])[];
}

// Keywords that say nothing about a value's shape; a `$ref` with only these
// beside it is the same schema as its target, so it shares its target's
// compiled filter.
const NON_SHAPE_KEYWORDS = new Set(['$ref', 'description', 'summary', 'title', 'example', 'examples', 'deprecated', 'readOnly', 'writeOnly', 'default', '$comment', 'externalDocs', 'xml']);

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function configError(pointer: string, message: string, fix?: string): PalisadeConfigError {
  return new PalisadeConfigError('ERR_PALISADE_DOCUMENT_INVALID', `createResponseFilter: the response schema at ${pointer || '/'} ${message}`, { path: pointer, ...(fix ? { fix } : {}) });
}

/** Follows one internal `$ref` to its target part. */
export function resolveRef(source: SchemaSource, ref: unknown, at: string): SchemaPart {
  if (typeof ref !== 'string' || !ref.startsWith('#')) {
    throw configError(at, `has a $ref Palisade cannot follow (${JSON.stringify(ref)}); only internal JSON-pointer $refs are supported after bundling.`, 'Use $ref: "#/components/schemas/Name".');
  }
  const target = resolvePointer(source.document, ref);
  if (target === undefined) {
    throw new PalisadeConfigError('ERR_PALISADE_DANGLING_REF', `createResponseFilter: $ref ${ref} at ${at} points nowhere.`, { path: at, received: ref });
  }
  return { schema: target, pointer: ref.slice(1) };
}

/**
 * A part that is only a `$ref` (plus annotations) stands for its target:
 * recursive schemas and schemas shared by many responses then compile once,
 * under their target's pointer. In 3.0 every `$ref` replaces its siblings.
 */
export function canonicalPart(source: SchemaSource, part: SchemaPart): SchemaPart {
  let current = part;
  const seen = new Set<string>();
  while (isObject(current.schema) && typeof current.schema.$ref === 'string' && (source.version === '3.0' || isPureRef(current.schema))) {
    if (seen.has(current.pointer)) throw configError(current.pointer, 'is a $ref cycle that never reaches a schema.');
    seen.add(current.pointer);
    current = resolveRef(source, current.schema.$ref, current.pointer);
  }
  return current;
}

function isPureRef(schema: Record<string, unknown>): boolean {
  for (const key of Object.keys(schema)) if (!NON_SHAPE_KEYWORDS.has(key) && !key.startsWith('x-')) return false;
  return true;
}

function typeBits(type: unknown): number {
  if (typeof type === 'string') return TYPE_BITS[type] ?? 0;
  if (Array.isArray(type)) {
    let bits = 0;
    for (const name of type) bits |= typeof name === 'string' ? (TYPE_BITS[name] ?? 0) : 0;
    return bits;
  }
  return T_ANY;
}

function emptyShape(): Shape {
  return {
    types: T_ANY,
    typed: false,
    never: false,
    hasObjectKeywords: false,
    properties: new Map(),
    required: new Set(),
    additional: { kind: 'drop' },
    patterns: [],
    hasArrayKeywords: false,
    items: [],
    itemsForbidden: false,
    prefixItems: [],
    unions: [],
  };
}

/**
 * Merges `parts` (all of which must hold) into one shape. `choices` picks a
 * branch for `oneOf`/`anyOf` groups, by the group's pointer; a group
 * without a choice is returned in `shape.unions` for the caller to expand.
 */
export function expandShape(source: SchemaSource, parts: readonly SchemaPart[], choices: ReadonlyMap<string, number>): Shape {
  const shape = emptyShape();
  const visited = new Set<string>();
  let additionalFalse = false;
  let additionalTrue = false;
  const additionalParts: SchemaPart[] = [];

  const addAdditional = (value: unknown, pointer: string) => {
    shape.hasObjectKeywords = true;
    if (value === false) additionalFalse = true;
    else if (value === true) additionalTrue = true;
    else additionalParts.push({ schema: value, pointer });
  };

  // Returns the types this part allows; properties and the rest go into `shape`.
  const addPart = (part: SchemaPart): number => {
    // A ∧ A = A: a part met twice (cyclic allOf through $refs) adds nothing.
    if (visited.has(part.pointer)) return T_ANY;
    visited.add(part.pointer);
    const { schema, pointer } = part;
    if (schema === true) return T_ANY;
    if (schema === false) {
      shape.never = true;
      return 0;
    }
    if (!isObject(schema)) throw configError(pointer, `is not a schema object (received ${JSON.stringify(schema)}).`);
    let types = T_ANY;
    if (typeof schema.$ref === 'string') {
      types &= addPart(resolveRef(source, schema.$ref, pointer));
      // OpenAPI 3.0: a $ref object replaces everything beside it.
      if (source.version === '3.0') return types;
    }
    if (schema.type !== undefined) {
      shape.typed = true;
      types &= typeBits(schema.type);
    }
    if (Array.isArray(schema.allOf)) schema.allOf.forEach((branch, index) => (types &= addPart({ schema: branch, pointer: `${pointer}/allOf/${index}` })));
    for (const keyword of ['oneOf', 'anyOf'] as const) {
      const branches = schema[keyword];
      if (!Array.isArray(branches)) continue;
      const groupPointer = `${pointer}/${keyword}`;
      const choice = choices.get(groupPointer);
      if (choice !== undefined) {
        types &= addPart({ schema: branches[choice], pointer: `${groupPointer}/${choice}` });
      } else {
        shape.unions.push({
          pointer: groupPointer,
          branches: branches.map((branch, index) => ({ schema: branch, pointer: `${groupPointer}/${index}` })),
          discriminator: readDiscriminator(schema.discriminator),
        });
      }
    }
    if (isObject(schema.properties)) {
      shape.hasObjectKeywords = true;
      for (const name of Object.keys(schema.properties)) {
        const property: SchemaPart = { schema: schema.properties[name], pointer: `${pointer}/properties/${toPointer([name]).slice(1)}` };
        const list = shape.properties.get(name);
        if (list) list.push(property);
        else shape.properties.set(name, [property]);
      }
    }
    if (Array.isArray(schema.required)) {
      shape.hasObjectKeywords = true;
      for (const name of schema.required) if (typeof name === 'string') shape.required.add(name);
    }
    if (schema.additionalProperties !== undefined) addAdditional(schema.additionalProperties, `${pointer}/additionalProperties`);
    // Treated like additionalProperties: it is how 3.1 documents allow or
    // forbid keys across an allOf.
    if (schema.unevaluatedProperties !== undefined) addAdditional(schema.unevaluatedProperties, `${pointer}/unevaluatedProperties`);
    if (isObject(schema.patternProperties)) {
      shape.hasObjectKeywords = true;
      for (const source of Object.keys(schema.patternProperties)) {
        const rule: SchemaPart = { schema: schema.patternProperties[source], pointer: `${pointer}/patternProperties/${toPointer([source]).slice(1)}` };
        const existing = shape.patterns.find((candidate) => candidate.source === source);
        if (existing) existing.parts.push(rule);
        else shape.patterns.push({ source, pointer: rule.pointer, parts: [rule] });
      }
    }
    if (Array.isArray(schema.prefixItems) || Array.isArray(schema.items)) {
      // `items` as a list is the draft-04 spelling of prefixItems.
      const list = (Array.isArray(schema.prefixItems) ? schema.prefixItems : schema.items) as unknown[];
      const keyword = Array.isArray(schema.prefixItems) ? 'prefixItems' : 'items';
      shape.hasArrayKeywords = true;
      list.forEach((item, index) => {
        const slot = shape.prefixItems[index] ?? (shape.prefixItems[index] = []);
        slot.push({ schema: item, pointer: `${pointer}/${keyword}/${index}` });
      });
    }
    if (schema.items !== undefined && !Array.isArray(schema.items)) {
      shape.hasArrayKeywords = true;
      if (schema.items === false) shape.itemsForbidden = true;
      else shape.items.push({ schema: schema.items, pointer: `${pointer}/items` });
    }
    // OpenAPI 3.0: `nullable: true` admits null beside whatever the rest of
    // this schema (its allOf, its type) admits. 3.1 spells it `type: [.., 'null']`.
    if (source.version === '3.0' && schema.nullable === true) types |= T_NULL;
    return types;
  };

  for (const part of parts) shape.types &= addPart(part);
  shape.additional = additionalFalse
    ? { kind: 'drop' }
    : additionalParts.length > 0
      ? { kind: 'filter', parts: additionalParts }
      : additionalTrue
        ? { kind: 'keep' }
        : { kind: 'drop' };
  return shape;
}

function readDiscriminator(value: unknown): Discriminator | null {
  if (!isObject(value) || typeof value.propertyName !== 'string') return null;
  const mapping = new Map<string, string>();
  if (isObject(value.mapping)) for (const key of Object.keys(value.mapping)) if (typeof value.mapping[key] === 'string') mapping.set(key, value.mapping[key] as string);
  return { propertyName: value.propertyName, mapping };
}

/**
 * Who may see a value of these schemas: `x-palisade-secret`, `writeOnly`
 * and `x-palisade-visible-to` on the schemas themselves, on the `$ref`s
 * they follow (in 3.0 too: Palisade's own annotations beside a `$ref` are
 * honoured, since ignoring them would leak) and on their `allOf` branches.
 * Null when nothing restricts the value.
 */
export function visibilityOf(source: SchemaSource, parts: readonly SchemaPart[]): Visibility | null {
  let secret = false;
  const scopeLists: string[][] = [];
  const visited = new Set<string>();
  const visit = (part: SchemaPart): void => {
    if (visited.has(part.pointer) || !isObject(part.schema)) return;
    visited.add(part.pointer);
    const schema = part.schema;
    if (schema['x-palisade-secret'] === true || schema.writeOnly === true) secret = true;
    const visibleTo = schema['x-palisade-visible-to'];
    if (isObject(visibleTo) && Array.isArray(visibleTo.scopes)) scopeLists.push(visibleTo.scopes.filter((scope): scope is string => typeof scope === 'string'));
    if (typeof schema.$ref === 'string') visit(resolveRef(source, schema.$ref, part.pointer));
    if (Array.isArray(schema.allOf)) schema.allOf.forEach((branch, index) => visit({ schema: branch, pointer: `${part.pointer}/allOf/${index}` }));
  };
  for (const part of parts) visit(part);
  return secret || scopeLists.length > 0 ? { secret, scopeLists } : null;
}

/** `object or null`, for failure messages. */
export function describeTypes(types: number): string {
  const names: string[] = [];
  if (types & T_OBJECT) names.push('object');
  if (types & T_ARRAY) names.push('array');
  if (types & T_STRING) names.push('string');
  if (types & T_NUMBER) names.push('number');
  else if (types & T_INTEGER) names.push('integer');
  if (types & T_BOOLEAN) names.push('boolean');
  if (types & T_NULL) names.push('null');
  return names.length === 0 ? 'nothing (no type is allowed)' : names.join(' or ');
}
