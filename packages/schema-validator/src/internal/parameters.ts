import { PalisadeConfigError, isJsonMediaType, parseStrictJson, type OperationPolicy, type ParameterPolicy, type RequestHeaders, type StrictJsonOptions } from '@palisade/core';
import type { ValidateFunction } from 'ajv';
import type { DocumentSchemas } from './document-schemas';
import { childPointer, escapeToken, type FieldErrors } from './field-errors';
import type { PreparedView } from './prepare-document';
import { splitPairs } from './query-string';
import { followRefs, inPlaceFacets, isSchemaObject, schemaTypes, type LocatedSchema } from './schema-walk';

type Coercer = (raw: string) => unknown;
type Shape = 'primitive' | 'array' | 'object' | 'json';

// Keys that must never become properties of a value handed to a handler,
// whatever the schema says (prototype pollution through later merges).
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
// OpenAPI 3.x: header parameters with these names are ignored; the
// request's own machinery (content negotiation, authentication) owns them.
const IGNORED_HEADERS = new Set(['accept', 'content-type', 'authorization']);
const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

const identity: Coercer = (raw) => raw;

/** Returned by the readers below after they recorded an error. */
export const INVALID: unique symbol = Symbol('invalid');

/**
 * The conversion OpenAPI implies for a parameter whose schema asks for a
 * number, integer or boolean. Anything that does not convert cleanly stays
 * a string, so the schema refuses it with a type error (`?limit=abc`,
 * `?limit=0x10`, `?limit= 1`).
 */
export function coercerFor(types: ReadonlySet<string> | null): Coercer {
  if (types === null || types.has('string')) return identity;
  const isNumeric = types.has('number') || types.has('integer');
  const isBoolean = types.has('boolean');
  if (!isNumeric && !isBoolean) return identity;
  return (raw) => {
    if (isNumeric && NUMBER.test(raw)) {
      const value = Number(raw);
      if (Number.isFinite(value)) return value;
    }
    if (isBoolean) {
      if (raw === 'true') return true;
      if (raw === 'false') return false;
    }
    return raw;
  };
}

/** One parameter, compiled: how to read it from the request, convert it and check it. */
export class ParameterPlan {
  readonly name: string;
  readonly location: ParameterPolicy['in'];
  readonly required: boolean;
  readonly style: string;
  readonly explode: boolean;
  readonly shape: Shape;
  /** `/query/limit`: where its errors point. */
  readonly pointer: string;
  readonly validate: ValidateFunction | null;
  readonly coerce: Coercer;
  readonly propertyCoercers: ReadonlyMap<string, Coercer> | null;
  readonly defaultValue: unknown;
  /** Separator of a non-exploded array: `,`, ` ` or `|`. */
  readonly delimiter: string;
  readonly jsonOptions: StrictJsonOptions;

  constructor(parameter: ParameterPolicy, operation: OperationPolicy, schemas: DocumentSchemas, view: PreparedView, maxDepth: number) {
    this.name = parameter.name;
    this.location = parameter.in;
    this.required = parameter.required;
    this.style = parameter.style;
    this.explode = parameter.explode;
    this.pointer = `/${parameter.in}/${escapeToken(parameter.name)}`;
    this.jsonOptions = Object.freeze({ maxDepth });
    const owner = `parameter "${parameter.name}" (in ${parameter.in}) of operation "${operation.operationId}"`;
    let schemaPointer: string | null = parameter.schema?.pointer ?? null;
    if (parameter.content !== null) {
      const media = parameter.content[0];
      if (parameter.content.length !== 1 || media === undefined || !isJsonMediaType(media.mediaType)) {
        throw new PalisadeConfigError('ERR_PALISADE_DOCUMENT_INVALID', `OpenAPI document at ${parameter.pointer}: ${owner} uses "content" with ${parameter.content.map((m) => m.mediaType).join(', ') || 'no media type'}; Palisade validates parameter content of exactly one JSON media type.`, {
          path: parameter.pointer,
          fix: 'Use a schema (with style/explode), or content with exactly one application/json entry.',
        });
      }
      schemaPointer = media.schema?.pointer ?? null;
    }
    const located = schemaPointer === null ? null : schemas.locate(view, schemaPointer);
    const root = schemas.root(view);
    const types = located === null ? null : schemaTypes(root, located);
    this.shape = parameter.content !== null ? 'json' : shapeOf(types, located, root);
    this.delimiter = this.style === 'spaceDelimited' ? ' ' : this.style === 'pipeDelimited' ? '|' : ',';
    checkStyle(this, parameter.pointer, owner);
    this.validate = schemaPointer === null ? null : schemas.validator(view, schemaPointer, owner);
    this.coerce = this.shape === 'array' ? coercerFor(located === null ? null : itemTypes(root, located)) : coercerFor(types);
    this.propertyCoercers = this.shape === 'object' && located !== null ? propertyCoercers(root, located) : null;
    this.defaultValue = defaultOf(root, located);
  }

  /** Converts the raw values of a form/delimited/deepObject parameter; `INVALID` after recording an error. */
  fromQueryValues(values: readonly string[] | ReadonlyMap<string, string[]>, errors: FieldErrors): unknown {
    if (values instanceof Map) return this.#objectFromEntries(values, errors);
    const list = values as readonly string[];
    if (this.shape === 'array' && this.explode && this.style === 'form') return list.map(this.coerce);
    if (list.length > 1) {
      errors.add(this.pointer, 'must not be repeated');
      return INVALID;
    }
    return this.fromString(list[0]!, errors);
  }

  /** Converts one serialized value (path, header, cookie, or a single query value). */
  fromString(raw: string, errors: FieldErrors): unknown {
    switch (this.shape) {
      case 'primitive':
        return this.coerce(raw);
      case 'json':
        try {
          return parseStrictJson(raw, this.jsonOptions);
        } catch {
          errors.add(this.pointer, 'must be valid JSON');
          return INVALID;
        }
      case 'array':
        return raw === '' ? [] : raw.split(this.delimiter).map(this.coerce);
      case 'object':
        return this.#objectFromString(raw, errors);
    }
  }

  #objectFromEntries(entries: ReadonlyMap<string, string[]>, errors: FieldErrors): unknown {
    const object: Record<string, unknown> = Object.create(null);
    for (const [key, values] of entries) {
      if (!this.#acceptKey(key, errors)) return INVALID;
      if (values.length > 1) {
        errors.add(childPointer(this.pointer, key) ?? this.pointer, 'must not be repeated');
        return INVALID;
      }
      object[key] = (this.propertyCoercers?.get(key) ?? identity)(values[0]!);
    }
    return object;
  }

  // `simple`/`form` without explode: `k,v,k,v`; with explode (path/header): `k=v,k=v`.
  #objectFromString(raw: string, errors: FieldErrors): unknown {
    const object: Record<string, unknown> = Object.create(null);
    if (raw === '') return object;
    const parts = raw.split(',');
    const isExploded = this.explode && this.location !== 'query' && this.location !== 'cookie';
    if (!isExploded && parts.length % 2 !== 0) {
      errors.add(this.pointer, 'must be a list of name,value pairs');
      return INVALID;
    }
    for (let i = 0; i < parts.length; i += isExploded ? 1 : 2) {
      let key: string;
      let value: string;
      if (isExploded) {
        const equals = parts[i]!.indexOf('=');
        if (equals === -1) {
          errors.add(this.pointer, 'must be a list of name=value pairs');
          return INVALID;
        }
        key = parts[i]!.slice(0, equals);
        value = parts[i]!.slice(equals + 1);
      } else {
        key = parts[i]!;
        value = parts[i + 1]!;
      }
      if (!this.#acceptKey(key, errors)) return INVALID;
      if (Object.prototype.hasOwnProperty.call(object, key)) {
        errors.add(this.pointer, 'must not repeat a property');
        return INVALID;
      }
      object[key] = (this.propertyCoercers?.get(key) ?? identity)(value);
    }
    return object;
  }

  #acceptKey(key: string, errors: FieldErrors): boolean {
    if (!FORBIDDEN_KEYS.has(key)) return true;
    errors.add(`${this.pointer}/${key}`, 'is not allowed');
    return false;
  }

  /** Validates a converted value, recording errors under this parameter's pointer. */
  check(value: unknown, errors: FieldErrors): boolean {
    if (this.validate === null || this.validate(value)) return true;
    errors.addAjvErrors(this.pointer, this.validate.errors);
    return false;
  }
}

function shapeOf(types: ReadonlySet<string> | null, located: LocatedSchema | null, root: unknown): Shape {
  if (types !== null) {
    if (types.has('array')) return 'array';
    if (types.has('object')) return 'object';
    return 'primitive';
  }
  if (located === null) return 'primitive';
  for (const facet of inPlaceFacets(root, located)) {
    if (!isSchemaObject(facet.schema)) continue;
    if (facet.schema.items !== undefined || facet.schema.prefixItems !== undefined) return 'array';
    if (facet.schema.properties !== undefined) return 'object';
  }
  return 'primitive';
}

function itemTypes(root: unknown, located: LocatedSchema): ReadonlySet<string> | null {
  for (const facet of inPlaceFacets(root, located)) {
    if (isSchemaObject(facet.schema) && isSchemaObject(facet.schema.items)) return schemaTypes(root, { schema: facet.schema.items, pointer: `${facet.pointer}/items` });
  }
  return null;
}

function propertyCoercers(root: unknown, located: LocatedSchema): ReadonlyMap<string, Coercer> {
  const coercers = new Map<string, Coercer>();
  for (const facet of inPlaceFacets(root, located)) {
    const properties = isSchemaObject(facet.schema) ? facet.schema.properties : undefined;
    if (!isSchemaObject(properties)) continue;
    for (const name of Object.keys(properties)) {
      if (!coercers.has(name)) coercers.set(name, coercerFor(schemaTypes(root, { schema: properties[name], pointer: `${facet.pointer}/properties/${escapeToken(name)}` })));
    }
  }
  return coercers;
}

function defaultOf(root: unknown, located: LocatedSchema | null): unknown {
  if (located === null) return undefined;
  const target = followRefs(root, located);
  return target !== null && isSchemaObject(target.schema) ? target.schema.default : undefined;
}

const STYLES: Readonly<Record<ParameterPolicy['in'], Readonly<Record<string, readonly Shape[]>>>> = {
  query: { form: ['primitive', 'array', 'object', 'json'], spaceDelimited: ['array'], pipeDelimited: ['array'], deepObject: ['object'] },
  path: { simple: ['primitive', 'array', 'object', 'json'], label: ['primitive', 'array'], matrix: ['primitive', 'array'] },
  header: { simple: ['primitive', 'array', 'object', 'json'] },
  cookie: { form: ['primitive', 'array', 'json'] },
};

// A style Palisade cannot read would leave the parameter unchecked; stop
// start-up instead of guessing.
function checkStyle(plan: ParameterPlan, pointer: string, owner: string): void {
  const shapes = STYLES[plan.location]?.[plan.style];
  const supported = shapes !== undefined && shapes.includes(plan.shape) && !(plan.style === 'deepObject' && !plan.explode) && !((plan.style === 'spaceDelimited' || plan.style === 'pipeDelimited') && plan.explode);
  if (supported) return;
  throw new PalisadeConfigError('ERR_PALISADE_DOCUMENT_INVALID', `OpenAPI document at ${pointer}: ${owner} has style "${plan.style}"${plan.explode ? ' with explode' : ''} for ${plan.shape === 'primitive' ? 'a primitive' : `an ${plan.shape}`} value, which Palisade cannot read, so it could not be validated.`, {
    path: pointer,
    fix: `Use one of the supported styles for in: ${plan.location}: ${Object.keys(STYLES[plan.location] ?? {}).join(', ')} (deepObject needs explode: true; space/pipeDelimited need explode: false).`,
  });
}

/**
 * The query parameters of one operation: reads the query string into
 * converted values, refuses repeated single values and (by default)
 * undeclared names, applies schema defaults.
 */
export class QueryPlan {
  readonly #plans: readonly ParameterPlan[];
  readonly #byName: ReadonlyMap<string, number>;
  readonly #deepObjects: ReadonlyMap<string, number>;
  readonly #explodedProperties: ReadonlyMap<string, number>;
  readonly #refuseUnknown: boolean;

  constructor(plans: readonly ParameterPlan[], refuseUnknown: boolean) {
    this.#plans = plans;
    this.#refuseUnknown = refuseUnknown;
    const byName = new Map<string, number>();
    const deepObjects = new Map<string, number>();
    const exploded = new Map<string, number>();
    plans.forEach((plan, index) => {
      if (plan.style === 'deepObject') deepObjects.set(plan.name, index);
      else if (plan.shape === 'object' && plan.explode) for (const property of plan.propertyCoercers?.keys() ?? []) exploded.set(property, index);
      else byName.set(plan.name, index);
    });
    for (const name of byName.keys()) exploded.delete(name);
    this.#byName = byName;
    this.#deepObjects = deepObjects;
    this.#explodedProperties = exploded;
  }

  /** The converted, checked parameters as a null-prototype object; errors go to `errors`. */
  read(query: string, errors: FieldErrors): Record<string, unknown> {
    const plans = this.#plans;
    const out: Record<string, unknown> = Object.create(null);
    const pairs = splitPairs(query);
    if (pairs === null) {
      errors.add('/query', 'is not valid percent-encoded UTF-8');
      return out;
    }
    const raw: (string[] | Map<string, string[]> | undefined)[] = new Array(plans.length);
    for (let i = 0; i < pairs.length; i += 2) {
      const name = pairs[i]!;
      const value = pairs[i + 1]!;
      let index = this.#byName.get(name);
      if (index !== undefined) {
        const list = raw[index] as string[] | undefined;
        if (list === undefined) raw[index] = [value];
        else list.push(value);
        continue;
      }
      let property = name;
      const bracket = name.indexOf('[');
      if (bracket > 0 && name.endsWith(']')) {
        index = this.#deepObjects.get(name.slice(0, bracket));
        property = name.slice(bracket + 1, -1);
      }
      index ??= this.#explodedProperties.get(name);
      if (index !== undefined) {
        let entries = raw[index] as Map<string, string[]> | undefined;
        if (entries === undefined) raw[index] = entries = new Map();
        const list = entries.get(property);
        if (list === undefined) entries.set(property, [value]);
        else list.push(value);
        continue;
      }
      if (this.#refuseUnknown) {
        const pointer = childPointer('/query', name);
        errors.add(pointer ?? '/query', pointer === null ? 'has a parameter that is not declared' : 'is not a declared parameter');
      }
    }
    for (let i = 0; i < plans.length; i++) {
      const plan = plans[i]!;
      const values = raw[i];
      if (values === undefined) {
        if (plan.required) errors.add(plan.pointer, 'is required');
        else if (plan.defaultValue !== undefined) out[plan.name] = plan.defaultValue;
        continue;
      }
      const value = plan.fromQueryValues(values, errors);
      if (value !== INVALID && plan.check(value, errors)) out[plan.name] = value;
    }
    return out;
  }
}

/** Path, header and cookie parameters: checked, not handed on (handlers read their framework's own). */
export class OtherParametersPlan {
  readonly #path: readonly ParameterPlan[];
  readonly #header: readonly ParameterPlan[];
  readonly #cookie: readonly ParameterPlan[];
  readonly isEmpty: boolean;

  constructor(plans: readonly ParameterPlan[]) {
    this.#path = plans.filter((plan) => plan.location === 'path');
    this.#header = plans.filter((plan) => plan.location === 'header' && !IGNORED_HEADERS.has(plan.name.toLowerCase()));
    this.#cookie = plans.filter((plan) => plan.location === 'cookie');
    this.isEmpty = this.#path.length + this.#header.length + this.#cookie.length === 0;
  }

  check(params: Readonly<Record<string, string>> | null, headers: RequestHeaders, errors: FieldErrors): void {
    for (const plan of this.#path) {
      const raw = params?.[plan.name];
      if (raw === undefined) {
        errors.add(plan.pointer, 'is required');
        continue;
      }
      const unwrapped = unwrapPathStyle(plan, raw);
      if (unwrapped === null) {
        errors.add(plan.pointer, `must use the ${plan.style} style`);
        continue;
      }
      this.#checkOne(plan, unwrapped, errors);
    }
    for (const plan of this.#header) {
      const value = headers[plan.name.toLowerCase()];
      if (value === undefined) {
        if (plan.required) errors.add(plan.pointer, 'is required');
        continue;
      }
      this.#checkOne(plan, typeof value === 'string' ? value : value.join(', '), errors);
    }
    if (this.#cookie.length > 0) {
      const cookies = parseCookies(headers.cookie);
      for (const plan of this.#cookie) {
        const values = cookies.get(plan.name);
        if (values === undefined) {
          if (plan.required) errors.add(plan.pointer, 'is required');
          continue;
        }
        if (values.length > 1) {
          errors.add(plan.pointer, 'must not be repeated');
          continue;
        }
        this.#checkOne(plan, values[0]!, errors);
      }
    }
  }

  #checkOne(plan: ParameterPlan, raw: string, errors: FieldErrors): void {
    const value = plan.fromString(raw, errors);
    if (value !== INVALID) plan.check(value, errors);
  }
}

// RFC 6570 label (`.a.b`) and matrix (`;id=a,b` / `;id=a;id=b`) styles,
// brought down to the simple style's comma-separated form.
function unwrapPathStyle(plan: ParameterPlan, raw: string): string | null {
  if (plan.style === 'simple') return raw;
  if (plan.style === 'label') {
    if (!raw.startsWith('.')) return null;
    return plan.explode ? raw.slice(1).split('.').join(',') : raw.slice(1);
  }
  const prefix = `;${plan.name}`;
  if (!raw.startsWith(prefix)) return null;
  if (raw === prefix) return '';
  if (raw[prefix.length] !== '=') return null;
  if (!plan.explode || plan.shape !== 'array') return raw.slice(prefix.length + 1);
  const values: string[] = [];
  for (const part of raw.slice(1).split(';')) {
    if (!part.startsWith(`${plan.name}=`)) return null;
    values.push(part.slice(plan.name.length + 1));
  }
  return values.join(',');
}

/** `a=1; b="2"` -> name to values, as sent (values are not percent-decoded). */
function parseCookies(header: string | string[] | undefined): Map<string, string[]> {
  const cookies = new Map<string, string[]>();
  if (header === undefined) return cookies;
  for (const line of typeof header === 'string' ? [header] : header) {
    for (const part of line.split(';')) {
      const equals = part.indexOf('=');
      if (equals === -1) continue;
      const name = part.slice(0, equals).trim();
      let value = part.slice(equals + 1).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      const list = cookies.get(name);
      if (list === undefined) cookies.set(name, [value]);
      else list.push(value);
    }
  }
  return cookies;
}
