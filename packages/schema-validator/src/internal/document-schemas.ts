import { PalisadeConfigError, closestMatch, type CompiledDocument } from '@palisade/core';
import type { ValidateFunction } from 'ajv';
import Ajv2020Module, { type default as Ajv2020Class } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { prepareDocument, type PreparedView } from './prepare-document';
import { directChildren, isSchemaObject, refTarget, type LocatedSchema } from './schema-walk';

// CJS default-export interop: these modules export their main value as `default`.
const Ajv2020 = ((Ajv2020Module as unknown as { default?: unknown }).default ?? Ajv2020Module) as typeof Ajv2020Class;
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as typeof addFormatsModule;

/** Something ajv can run `pattern`s with: `(source, flags) => ({ test(input) })`. */
export type RegExpEngine = (source: string, flags: string) => { test(input: string): boolean };

const VIEW_IDS: Readonly<Record<PreparedView, string>> = { request: 'urn:palisade:request', literal: 'urn:palisade:literal' };

// OpenAPI's own schema keywords (3.0 section 4.7.24, 3.1 section 4.8.24) are
// annotations to a validator; the document's top-level keys are listed so
// that the document itself can be registered as ajv's root schema.
const ANNOTATION_KEYWORDS = ['example', 'discriminator', 'xml', 'externalDocs', 'paths', 'components', 'webhooks'];

/**
 * The document's schemas, ready for ajv: one ajv instance (JSON Schema
 * 2020-12, strict) holding two prepared copies of the document, and a cache
 * of compiled validators by view and pointer. Built once per compiled
 * document and guard (or upstream client).
 */
export class DocumentSchemas {
  readonly compiled: CompiledDocument;
  readonly ajv: InstanceType<typeof Ajv2020>;
  readonly #roots: Record<PreparedView, Record<string, unknown>>;
  /** Formats the document uses that no validator knows: accepted, and reported. */
  readonly unknownFormats: ReadonlyMap<string, string>;
  readonly #cache = new Map<string, ValidateFunction>();

  constructor(compiled: CompiledDocument, regExp: RegExpEngine | null) {
    this.compiled = compiled;
    const request = prepareDocument(compiled.document, compiled.version, 'request');
    const literal = prepareDocument(compiled.document, compiled.version, 'literal');
    this.#roots = { request: request.root, literal: literal.root };
    this.ajv = new Ajv2020({
      // Unknown keywords stop start-up: a misspelled `maxLenght` must not
      // switch a check off. Type and `required` strictness stay off: they
      // refuse common, valid OpenAPI (a `minimum` without `type`).
      strictSchema: true,
      strictNumbers: true,
      strictTypes: false,
      strictTuples: false,
      strictRequired: false,
      allErrors: true,
      allowUnionTypes: true,
      // Our own messages come from a fixed vocabulary (field-errors.ts).
      messages: false,
      // `required` and friends must not be satisfied by a polluted Object.prototype.
      ownProperties: true,
      unicodeRegExp: true,
      ...(regExp === null ? {} : { code: { regExp: regExp as never } }),
    });
    addFormats(this.ajv);
    this.ajv.addVocabulary(ANNOTATION_KEYWORDS);
    const unknownFormats = new Map<string, string>();
    for (const [format, pointer] of literal.formats) {
      if (this.ajv.formats[format] === undefined) {
        // OpenAPI formats are open-ended ("phone", "currency-code"): an
        // unknown one is an annotation, not an error, but it checks nothing.
        this.ajv.addFormat(format, true);
        unknownFormats.set(format, pointer);
      }
    }
    this.unknownFormats = unknownFormats;
    this.ajv.addSchema(request.root, VIEW_IDS.request, undefined, false);
    this.ajv.addSchema(literal.root, VIEW_IDS.literal, undefined, false);
  }

  /** The prepared copy of the document for a view. */
  root(view: PreparedView): Record<string, unknown> {
    return this.#roots[view];
  }

  /** The schema at `pointer` in a view's copy. */
  locate(view: PreparedView, pointer: string): LocatedSchema | null {
    return refTarget(this.#roots[view], `#${pointer}`);
  }

  /**
   * The validator for the schema at `pointer` (compiled once, then cached).
   *
   * @param owner What the schema is for, as the error message should say it
   *   (`the request body of operation "createOrder"`).
   * @throws PalisadeConfigError naming the pointer of the schema that does not compile.
   */
  validator(view: PreparedView, pointer: string, owner: string): ValidateFunction {
    const key = `${view}#${pointer}`;
    let validate = this.#cache.get(key);
    if (validate === undefined) {
      try {
        validate = this.#compile(view, pointer);
      } catch (error) {
        throw this.#compileError(view, pointer, owner, error);
      }
      this.#cache.set(key, validate);
    }
    return validate;
  }

  #compile(view: PreparedView, pointer: string): ValidateFunction {
    return this.ajv.compile({ $ref: `${VIEW_IDS[view]}#${encodePointer(pointer)}` });
  }

  // ajv's messages do not say where in the document a schema failed;
  // narrow it down by compiling subschemas until the deepest failing one.
  #compileError(view: PreparedView, pointer: string, owner: string, error: unknown): PalisadeConfigError {
    const root = this.#roots[view];
    const seen = new Set<string>();
    const fails = (candidate: string): boolean => {
      try {
        this.#compile(view, candidate);
        return false;
      } catch {
        return true;
      }
    };
    const narrow = (located: LocatedSchema): string => {
      seen.add(located.pointer);
      const children = directChildren(located).map(({ child }) => child);
      const schema = located.schema;
      if (isSchemaObject(schema) && typeof schema.$ref === 'string') {
        const target = refTarget(root, schema.$ref);
        if (target !== null) children.push(target);
      }
      for (const child of children) {
        if (!seen.has(child.pointer) && isSchemaObject(child.schema) && fails(child.pointer)) return narrow(child);
      }
      return located.pointer;
    };
    const start = this.locate(view, pointer);
    const at = start === null ? pointer : narrow(start);
    const reason = error instanceof Error ? error.message : String(error);
    return new PalisadeConfigError('ERR_PALISADE_DOCUMENT_INVALID', `OpenAPI document at ${at}: the schema of ${owner} does not compile: ${reason}.${hintFor(reason, Object.keys(this.ajv.RULES.all))}`, {
      path: at,
      fix: fixFor(reason),
      cause: error,
    });
  }
}

/** `/paths/~1orders~1{id}/get` -> a URI fragment ajv resolves back to the same pointer. */
function encodePointer(pointer: string): string {
  return pointer
    .split('/')
    .map((token) => encodeURIComponent(token).replace(/%7E/gi, '~'))
    .join('/');
}

function unknownKeyword(reason: string): string | null {
  return /unknown keyword: "([^"]+)"/.exec(reason)?.[1] ?? null;
}

function hintFor(reason: string, known: readonly string[]): string {
  const keyword = unknownKeyword(reason);
  if (keyword === null) return '';
  const suggestion = closestMatch(keyword, known);
  return suggestion === null ? '' : ` Did you mean "${suggestion}"?`;
}

function fixFor(reason: string): string {
  const keyword = unknownKeyword(reason);
  if (keyword !== null) return `Correct or remove "${keyword}"; annotations of your own go under an x- key.`;
  return 'Correct the schema at this pointer.';
}

