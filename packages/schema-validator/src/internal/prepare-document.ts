import { PalisadeConfigError } from '@palisade/core';
import {
  DATA_KEYWORDS,
  LIST_IN_PLACE_KEYWORDS,
  LIST_VALUE_KEYWORDS,
  MAP_DEFINITION_KEYWORDS,
  MAP_IN_PLACE_KEYWORDS,
  MAP_VALUE_KEYWORDS,
  SINGLE_IN_PLACE_KEYWORDS,
  SINGLE_VALUE_KEYWORDS,
  escapeToken,
  followRefs,
  inPlaceChildren,
  isSchemaObject,
} from './schema-walk';

/**
 * `request`: schemas as requests are held to them (undeclared properties
 * refused where the schema leaves them open, see `closeObjectSchemas`;
 * `readOnly` properties refused, see `refuseReadOnlyProperties`).
 * `literal`: schemas exactly as written (upstream data).
 */
export type PreparedView = 'request' | 'literal';

export interface PreparedDocument {
  /** A copy of the document's `paths`, `components` and `webhooks`, with schemas in JSON Schema 2020-12. */
  readonly root: Record<string, unknown>;
  /** Every `format` used, with the pointer of its first use. */
  readonly formats: ReadonlyMap<string, string>;
}

interface PrepareState {
  readonly version: '3.0' | '3.1';
  readonly formats: Map<string, string>;
  /** Schemas that sit where a value of the instance is described (the root of a body, `properties/x`, `items`). */
  readonly valuePositions: Record<string, unknown>[];
  /** Schemas that declare `properties`. */
  readonly withProperties: Record<string, unknown>[];
}

// The parts of an OpenAPI document schemas live in (or are referenced from).
const SCHEMA_HOLDING_ROOT_KEYS = ['paths', 'components', 'webhooks'];

/**
 * Copies the document into what ajv (JSON Schema 2020-12) reads:
 *
 * - OpenAPI 3.0 schemas become 2020-12: `nullable: true` adds `"null"`
 *   to `type` (and to `enum`), boolean `exclusiveMinimum`/`Maximum` become
 *   numbers, and siblings of `$ref` are dropped (3.0 ignores them).
 * - `x-*` keys are dropped from schemas: they are annotations, and ajv's
 *   strict mode would otherwise refuse them as unknown keywords (which is
 *   what catches a misspelled `maxLenght`).
 * - `example`/`examples` outside schemas (data) are dropped.
 *
 * The original document is not touched (it is frozen).
 */
export function prepareDocument(document: Readonly<Record<string, unknown>>, version: '3.0' | '3.1', view: PreparedView): PreparedDocument {
  const state: PrepareState = { version, formats: new Map(), valuePositions: [], withProperties: [] };
  const root: Record<string, unknown> = {};
  for (const key of SCHEMA_HOLDING_ROOT_KEYS) {
    if (document[key] !== undefined) root[key] = prepareStructure(document[key], `/${key}`, state, key === 'components' ? 'components' : 'names');
  }
  if (view === 'request') {
    refuseReadOnlyProperties(root, state.withProperties);
    closeObjectSchemas(root, state.valuePositions);
  }
  return { root, formats: state.formats };
}

// Objects whose keys are names the author chose (a header called
// "schema" is not a schema).
const NAME_MAP_KEYS = new Set(['paths', 'webhooks', 'headers', 'callbacks', 'links', 'encoding', 'content', 'responses']);

// Walks OpenAPI objects (not schemas), copying them and preparing every
// schema found under a `schema` key or in `components/schemas`.
function prepareStructure(node: unknown, pointer: string, state: PrepareState, kind: 'object' | 'names' | 'components' = 'object'): unknown {
  if (Array.isArray(node)) return node.map((item, index) => prepareStructure(item, `${pointer}/${index}`, state));
  if (!isSchemaObject(node)) return node;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(node)) {
    const value = node[key];
    const childPointer = `${pointer}/${escapeToken(key)}`;
    if (key.startsWith('x-')) continue;
    if (kind === 'names') {
      copy[key] = prepareStructure(value, childPointer, state);
    } else if (kind === 'components') {
      if (key === 'schemas' && isSchemaObject(value)) {
        const schemas: Record<string, unknown> = {};
        for (const name of Object.keys(value)) schemas[name] = prepareSchema(value[name], `${childPointer}/${escapeToken(name)}`, state, false);
        copy[key] = schemas;
      } else {
        copy[key] = prepareStructure(value, childPointer, state, 'names');
      }
    } else if (key === 'example' || key === 'examples') {
      continue;
    } else if (key === 'schema') {
      copy[key] = prepareSchema(value, childPointer, state, true);
    } else {
      copy[key] = prepareStructure(value, childPointer, state, NAME_MAP_KEYS.has(key) ? 'names' : 'object');
    }
  }
  return copy;
}

function prepareSchema(node: unknown, pointer: string, state: PrepareState, isValuePosition: boolean): unknown {
  if (!isSchemaObject(node)) return node;
  const is30 = state.version === '3.0';
  if (is30 && typeof node.$ref === 'string') {
    const ref = { $ref: node.$ref };
    if (isValuePosition) state.valuePositions.push(ref);
    return ref;
  }
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(node)) {
    const value = node[key];
    if (key.startsWith('x-')) continue;
    const childPointer = `${pointer}/${escapeToken(key)}`;
    if (DATA_KEYWORDS.has(key)) {
      copy[key] = value;
    } else if ((SINGLE_VALUE_KEYWORDS as readonly string[]).includes(key) || (SINGLE_IN_PLACE_KEYWORDS as readonly string[]).includes(key)) {
      const isValue = (SINGLE_VALUE_KEYWORDS as readonly string[]).includes(key) && key !== 'propertyNames';
      copy[key] = Array.isArray(value) ? value.map((item, index) => prepareSchema(item, `${childPointer}/${index}`, state, isValue)) : prepareSchema(value, childPointer, state, isValue);
    } else if ((LIST_IN_PLACE_KEYWORDS as readonly string[]).includes(key) || (LIST_VALUE_KEYWORDS as readonly string[]).includes(key)) {
      const isValue = (LIST_VALUE_KEYWORDS as readonly string[]).includes(key);
      copy[key] = Array.isArray(value) ? value.map((item, index) => prepareSchema(item, `${childPointer}/${index}`, state, isValue)) : value;
    } else if ((MAP_VALUE_KEYWORDS as readonly string[]).includes(key) || (MAP_IN_PLACE_KEYWORDS as readonly string[]).includes(key) || (MAP_DEFINITION_KEYWORDS as readonly string[]).includes(key)) {
      const isValue = (MAP_VALUE_KEYWORDS as readonly string[]).includes(key);
      if (isSchemaObject(value)) {
        const map: Record<string, unknown> = {};
        for (const name of Object.keys(value)) map[name] = prepareSchema(value[name], `${childPointer}/${escapeToken(name)}`, state, isValue);
        copy[key] = map;
      } else {
        copy[key] = value;
      }
    } else if (key === 'nullable') {
      // 3.0: handled below, once `type` and `enum` are copied. 3.1 has no
      // such keyword, yet ajv would quietly honour it: stop instead, so the
      // document means the same to every tool that reads it.
      if (!is30) {
        throw new PalisadeConfigError('ERR_PALISADE_DOCUMENT_INVALID', `OpenAPI document at ${childPointer}: OpenAPI 3.1 schemas are JSON Schema 2020-12, which has no "nullable".`, {
          path: childPointer,
          received: value,
          fix: 'Write type: [<type>, "null"] instead of nullable: true.',
        });
      }
    } else if (is30 && (key === 'exclusiveMinimum' || key === 'exclusiveMaximum') && typeof value === 'boolean') {
      // Handled below, with `minimum` / `maximum`.
    } else {
      if (key === 'format' && typeof value === 'string' && !state.formats.has(value)) state.formats.set(value, childPointer);
      copy[key] = value;
    }
  }
  if (is30) convert30(node, copy);
  if (isValuePosition) state.valuePositions.push(copy);
  if (isSchemaObject(copy.properties)) state.withProperties.push(copy);
  return copy;
}

// OpenAPI 3.0 section 4.7.24: `nullable: true` allows null; draft-04
// boolean `exclusiveMinimum` makes `minimum` exclusive.
function convert30(original: Record<string, unknown>, copy: Record<string, unknown>): void {
  if (original.nullable === true) {
    if (typeof copy.type === 'string') copy.type = [copy.type, 'null'];
    else if (Array.isArray(copy.type) && !copy.type.includes('null')) copy.type = [...copy.type, 'null'];
    if (Array.isArray(copy.enum) && !copy.enum.includes(null)) copy.enum = [...copy.enum, null];
  }
  for (const [flag, limit] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']] as const) {
    if (original[flag] === true && typeof copy[limit] === 'number') {
      copy[flag] = copy[limit];
      delete copy[limit];
    }
  }
}

/**
 * Mass assignment of server-owned fields (OWASP API3): OpenAPI says a
 * `readOnly` property should not be sent in a request, and a schema shared
 * by requests and responses (an `Order` with a `readOnly` `id`, `ownerId`
 * or `total`) would otherwise accept one. In requests such a property is
 * refused (its schema becomes `false`: "is not allowed"), and no longer
 * required, as OpenAPI asks of a required `readOnly` property. `readOnly`
 * counts on the property's schema, on the schema its `$ref` chain ends at
 * (OpenAPI 3.0 ignores siblings of `$ref`, so there only the target's),
 * and in its `allOf` branches.
 */
function refuseReadOnlyProperties(root: Record<string, unknown>, schemas: readonly Record<string, unknown>[]): void {
  // On the schema, the end of its `$ref` chain, or any `allOf` branch
  // (all of which apply): a 3.0 document marks a referenced property with
  // `allOf: [{ $ref }]` beside `readOnly`, or inside the branch.
  const isReadOnly = (schema: unknown, seen = new Set<unknown>()): boolean => {
    if (!isSchemaObject(schema) || seen.has(schema)) return false;
    seen.add(schema);
    if (schema.readOnly === true) return true;
    const target = followRefs(root, { schema, pointer: '' });
    if (target !== null && target.schema !== schema && isReadOnly(target.schema, seen)) return true;
    return Array.isArray(schema.allOf) && schema.allOf.some((branch) => isReadOnly(branch, seen));
  };
  const refusals = new Map<Record<string, unknown>, string[]>();
  // Decided for every schema before any is changed: a property that
  // refers to another schema's property must see its `readOnly`.
  for (const schema of schemas) {
    const properties = schema.properties as Record<string, unknown>;
    const names = Object.keys(properties).filter((name) => isReadOnly(properties[name]));
    if (names.length > 0) refusals.set(schema, names);
  }
  for (const [schema, names] of refusals) {
    const properties = schema.properties as Record<string, unknown>;
    for (const name of names) properties[name] = false;
    if (Array.isArray(schema.required)) schema.required = schema.required.filter((name) => !names.includes(name as string));
  }
}

type Openness = 'explicit' | 'declares' | 'none';

/**
 * Positive security model for requests: an object schema that lists its
 * `properties` but says nothing about others is read as "these and no
 * more". `unevaluatedProperties: false` is added where the value is
 * described (never inside `allOf` branches, where it would refuse the
 * other branches' properties); it sees every property the in-place
 * subschemas declare, so composition keeps working. A schema that says
 * `additionalProperties` or `unevaluatedProperties` anywhere in place is
 * left as written.
 */
function closeObjectSchemas(root: Record<string, unknown>, positions: readonly Record<string, unknown>[]): void {
  const memo = new Map<unknown, Openness>();
  const openness = (schema: unknown, pointer: string): Openness => {
    const known = memo.get(schema);
    if (known !== undefined) return known;
    // A cycle through in-place refs adds nothing new.
    memo.set(schema, 'none');
    let result: Openness = 'none';
    if (isSchemaObject(schema)) {
      if (schema.additionalProperties !== undefined || schema.unevaluatedProperties !== undefined) {
        result = 'explicit';
      } else {
        if (schema.properties !== undefined || schema.patternProperties !== undefined) result = 'declares';
        for (const child of inPlaceChildren(root, { schema, pointer })) {
          const childOpenness = openness(child.schema, child.pointer);
          if (childOpenness === 'explicit') {
            result = 'explicit';
            break;
          }
          if (childOpenness === 'declares') result = 'declares';
        }
      }
    }
    memo.set(schema, result);
    return result;
  };
  for (const schema of positions) {
    if (openness(schema, '') === 'declares') schema.unevaluatedProperties = false;
  }
}
