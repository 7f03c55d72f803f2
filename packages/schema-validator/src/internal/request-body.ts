import { deny, isJsonMediaType, parseContentType, parseStrictJson, type Denial, type MediaTypePolicy, type OperationPolicy, type StrictJsonOptions } from '@palisade/core';
import type { ValidateFunction } from 'ajv';
import type { DocumentSchemas } from './document-schemas';
import { childPointer, type FieldErrors } from './field-errors';
import { coercerFor } from './parameters';
import type { PreparedView } from './prepare-document';
import { splitPairs } from './query-string';
import { escapeToken, inPlaceFacets, isSchemaObject, schemaTypes } from './schema-walk';
import type { WarningSink } from './schema-warnings';

type MediaKind = 'json' | 'form' | 'text' | 'binary';

/** How one declared media type of a request body is read and checked. */
interface MediaPlan {
  readonly kind: MediaKind;
  readonly validate: ValidateFunction | null;
  /** Form bodies: conversion per property, and which properties may repeat (arrays). */
  readonly formCoercers: ReadonlyMap<string, (raw: string) => unknown> | null;
  readonly formArrays: ReadonlySet<string> | null;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The outcome of reading a body: the value, or the denial that refuses it. */
export type BodyOutcome = { readonly value: unknown; readonly denial: null } | { readonly value: undefined; readonly denial: Denial };

/**
 * The request body of one operation: which media types it accepts, its
 * size and depth limits, and the parsers and validators for each type.
 */
export class BodyPlan {
  readonly required: boolean;
  readonly maxBytes: number;
  readonly maxDepth: number;
  readonly #jsonOptions: StrictJsonOptions;
  readonly #exact = new Map<string, MediaPlan>();
  readonly #ranges = new Map<string, MediaPlan>();
  readonly #any: MediaPlan | null;

  constructor(operation: OperationPolicy, schemas: DocumentSchemas, view: PreparedView, limits: { readonly maxBytes: number; readonly maxDepth: number }, warn: WarningSink) {
    const requestBody = operation.requestBody!;
    this.required = requestBody.required;
    this.maxBytes = limits.maxBytes;
    this.maxDepth = limits.maxDepth;
    this.#jsonOptions = Object.freeze({ maxDepth: limits.maxDepth });
    let any: MediaPlan | null = null;
    for (const media of requestBody.content) {
      const plan = compileMedia(media, operation, schemas, view, warn);
      if (media.mediaType === '*/*') any = plan;
      else if (media.mediaType.endsWith('/*')) this.#ranges.set(media.mediaType.slice(0, -2), plan);
      else this.#exact.set(media.mediaType, plan);
    }
    this.#any = any;
  }

  /**
   * The plan for the request's `Content-Type`, or a 415 denial: the type
   * must be declared (exactly, or by a `type/*` or `*\/*` range), and text
   * types (JSON, forms, `text/*`) must be UTF-8, the only charset Palisade
   * decodes.
   */
  select(header: string | string[] | undefined): MediaPlan | Denial {
    if (typeof header !== 'string') return deny('unsupported_media_type', { detail: 'A request body needs a Content-Type.', privateDetail: 'body without Content-Type' });
    const contentType = parseContentType(header);
    if (contentType === null) return deny('unsupported_media_type', { detail: 'The Content-Type header is malformed.' });
    const { mediaType, parameters } = contentType;
    const plan = this.#exact.get(mediaType) ?? this.#ranges.get(mediaType.slice(0, mediaType.indexOf('/'))) ?? this.#any;
    if (plan === undefined || plan === null) return deny('unsupported_media_type', { detail: 'This operation does not accept this Content-Type.', privateDetail: `undeclared media type ${mediaType.slice(0, 100)}` });
    if (plan.kind !== 'binary') {
      for (const [name, value] of parameters) {
        // RFC 8259 section 8.1: JSON is UTF-8; any other charset (or an
        // unknown parameter) would make us read the bytes as something else.
        if (name !== 'charset' || value.toLowerCase() !== 'utf-8') {
          return deny('unsupported_media_type', { detail: 'Only UTF-8 request bodies are accepted.', privateDetail: `media type parameter ${name.slice(0, 40)}` });
        }
      }
    }
    return plan;
  }

  /** Parses and checks a non-empty body read under `select`'s plan. */
  parse(plan: MediaPlan, bytes: Buffer, errors: FieldErrors): BodyOutcome {
    let value: unknown;
    switch (plan.kind) {
      case 'json': {
        try {
          value = parseStrictJson(bytes, this.#jsonOptions);
        } catch (error) {
          return { value: undefined, denial: this.#jsonDenial(error, errors) };
        }
        break;
      }
      case 'form': {
        const text = decodeUtf8(bytes);
        if (text === null) return malformed('The request body is not valid UTF-8.');
        value = parseForm(text, plan, errors);
        if (value === undefined) return malformed('The request body is not valid form data.');
        break;
      }
      case 'text':
        value = decodeUtf8(bytes);
        if (value === null) return malformed('The request body is not valid UTF-8.');
        break;
      default:
        value = bytes;
    }
    if (errors.count === 0 && plan.validate !== null && !plan.validate(value)) errors.addAjvErrors('/body', plan.validate.errors);
    return { value, denial: null };
  }

  #jsonDenial(error: unknown, errors: FieldErrors): Denial {
    const kind = (error as { kind?: string }).kind;
    const pointer = (error as { pointer?: string }).pointer ?? '';
    switch (kind) {
      case 'forbidden_key': {
        // The key is one of a fixed few names, safe to show.
        const tokens = pointer.split('/');
        errors.add(`/body${childPath(tokens.slice(1, -1))}/${tokens[tokens.length - 1]}`, 'is not allowed');
        return deny('schema_invalid', { detail: 'The request does not match the schema of this operation.', errors: errors.list, privateDetail: 'forbidden property name (prototype pollution attempt)' });
      }
      case 'too_deep':
        errors.add('/body', `must not be nested more than ${this.maxDepth} levels deep`);
        return deny('schema_invalid', { detail: 'The request does not match the schema of this operation.', errors: errors.list, privateDetail: `body nested deeper than ${this.maxDepth}` });
      case 'duplicate_key':
        return deny('body_malformed', { detail: 'The request body repeats a property name.', privateDetail: 'duplicate key in JSON body' });
      default:
        return deny('body_malformed', { detail: 'The request body is not valid JSON.', privateDetail: `malformed JSON body (${kind ?? 'unknown'})` });
    }
  }
}

// Client-chosen tokens above a forbidden key are shown only when plain.
function childPath(tokens: readonly string[]): string {
  let pointer = '';
  for (const token of tokens) {
    const next = childPointer(pointer, token.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (next === null) return pointer;
    pointer = next;
  }
  return pointer;
}

function malformed(detail: string): BodyOutcome {
  return { value: undefined, denial: deny('body_malformed', { detail }) };
}

function decodeUtf8(bytes: Buffer): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

// `application/x-www-form-urlencoded` into a plain object: values converted
// as the schema's property types ask, a property repeated only when the
// schema makes it an array. Undefined when the encoding is malformed.
function parseForm(text: string, plan: MediaPlan, errors: FieldErrors): Record<string, unknown> | undefined {
  const pairs = splitPairs(text);
  if (pairs === null) return undefined;
  const object: Record<string, unknown> = {};
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i]!;
    const coerce = plan.formCoercers?.get(name);
    const value = coerce === undefined ? pairs[i + 1]! : coerce(pairs[i + 1]!);
    if (FORBIDDEN_KEYS.has(name)) {
      errors.add(`/body/${name}`, 'is not allowed');
      continue;
    }
    if (!Object.prototype.hasOwnProperty.call(object, name)) {
      object[name] = plan.formArrays?.has(name) ? [value] : value;
    } else if (plan.formArrays?.has(name)) {
      (object[name] as unknown[]).push(value);
    } else {
      errors.add(childPointer('/body', name) ?? '/body', 'must not be repeated');
    }
  }
  return object;
}

function compileMedia(media: MediaTypePolicy, operation: OperationPolicy, schemas: DocumentSchemas, view: PreparedView, warn: WarningSink): MediaPlan {
  const kind: MediaKind = isJsonMediaType(media.mediaType) ? 'json' : media.mediaType === 'application/x-www-form-urlencoded' ? 'form' : media.mediaType.startsWith('text/') ? 'text' : 'binary';
  if (kind === 'binary') {
    warn({
      code: 'unvalidated_media_type',
      operationId: operation.operationId,
      pointer: media.pointer,
      message: `Request bodies of ${media.mediaType} are handed on as bytes: only their size is limited, their content is not validated.`,
    });
    return { kind, validate: null, formCoercers: null, formArrays: null };
  }
  if (media.schema === null) {
    warn({
      code: 'missing_schema',
      operationId: operation.operationId,
      pointer: media.pointer,
      message: `The request body (${media.mediaType}) declares no schema, so any well-formed body is accepted. Declare one.`,
    });
    return { kind, validate: null, formCoercers: null, formArrays: null };
  }
  const validate = schemas.validator(view, media.schema.pointer, `the request body (${media.mediaType}) of operation "${operation.operationId}"`);
  if (kind !== 'form') return { kind, validate, formCoercers: null, formArrays: null };
  const root = schemas.root(view);
  const coercers = new Map<string, (raw: string) => unknown>();
  const arrays = new Set<string>();
  const located = schemas.locate(view, media.schema.pointer);
  for (const facet of located === null ? [] : inPlaceFacets(root, located)) {
    const properties = isSchemaObject(facet.schema) ? facet.schema.properties : undefined;
    if (!isSchemaObject(properties)) continue;
    for (const name of Object.keys(properties)) {
      const property = { schema: properties[name], pointer: `${facet.pointer}/properties/${escapeToken(name)}` };
      const types = schemaTypes(root, property);
      if (types?.has('array')) {
        arrays.add(name);
        const items = inPlaceFacets(root, property).find((f) => isSchemaObject(f.schema) && isSchemaObject(f.schema.items));
        const itemSchema = items === undefined ? null : (items.schema as Record<string, unknown>).items;
        coercers.set(name, coercerFor(itemSchema === null ? null : schemaTypes(root, { schema: itemSchema, pointer: `${items!.pointer}/items` })));
      } else {
        coercers.set(name, coercerFor(types));
      }
    }
  }
  return { kind, validate, formCoercers: coercers, formArrays: arrays };
}
