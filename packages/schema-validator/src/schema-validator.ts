import { PalisadeConfigError, createOptionsValidator, type CompiledDocument, type Guard, type OperationPolicy } from '@palisade/core';
import { DocumentSchemas, type RegExpEngine } from './internal/document-schemas';
import { OperationPlan, type PlanSettings } from './internal/operation-plan';
import { scanRequestSchemas, type SchemaWarning } from './internal/schema-warnings';

export type { RegExpEngine } from './internal/document-schemas';
export type { SchemaWarning, SchemaWarningCode } from './internal/schema-warnings';

/** Options of `createSchemaValidator`. Every option is optional. */
export interface SchemaValidatorOptions {
  /**
   * Largest request body accepted, in bytes; larger ones are refused with
   * 413 while they stream in. An operation's or the document's
   * `x-palisade-limits.maxBodyBytes` overrides it. Default 16384 (16 KiB).
   */
  readonly maxBodyBytes?: number;
  /**
   * Deepest nesting of arrays and objects accepted in a JSON body (400
   * beyond). `x-palisade-limits.maxDepth` overrides it. Default 32.
   */
  readonly maxDepth?: number;
  /** Most field errors listed in one problem. Default 10. */
  readonly maxErrors?: number;
  /**
   * `'refuse'` (default): a query parameter the operation does not declare
   * is a 400. `'ignore'`: it is let through, but still left out of
   * `ctx.queryParams`, so handlers never see it.
   */
  readonly unknownQueryParameters?: 'refuse' | 'ignore';
  /**
   * `'refuse'` (default): an object schema that lists `properties` and says
   * nothing about others accepts no others in requests (mass assignment is
   * a 400). `'follow-schema'`: schemas are read literally, so such an object
   * accepts any extra property, unchecked.
   */
  readonly undeclaredProperties?: 'refuse' | 'follow-schema';
  /**
   * The engine `pattern` keywords run on: `(source, flags) => ({ test })`.
   * Default: JavaScript's RegExp (backtracking; patterns are checked for
   * ReDoS at start-up). Give a linear-time engine such as RE2 to rule
   * ReDoS out; the start-up pattern check is then skipped.
   */
  readonly regExp?: RegExpEngine;
  /** Called once for each warning, when it is found (see `warnings()`). Default: none. */
  readonly onWarning?: (warning: SchemaWarning) => void;
}

/** The validation guard: a `Guard`, plus what it found worth a warning. */
export interface SchemaValidator extends Guard {
  /**
   * Everything found so far that weakens a check: risky patterns,
   * unbounded strings and arrays, unknown formats, bodies that cannot be
   * validated, a body consumed by a framework parser. Complete for the
   * document once the engine is created.
   */
  warnings(): readonly SchemaWarning[];
}

const assertOptions: (options: unknown) => asserts options is SchemaValidatorOptions = createOptionsValidator<SchemaValidatorOptions>('createSchemaValidator', {
  type: 'object',
  additionalProperties: false,
  properties: {
    maxBodyBytes: { type: 'integer', minimum: 1, maximum: 1073741824 },
    maxDepth: { type: 'integer', minimum: 1, maximum: 1000 },
    maxErrors: { type: 'integer', minimum: 1, maximum: 100 },
    unknownQueryParameters: { enum: ['refuse', 'ignore'] },
    undeclaredProperties: { enum: ['refuse', 'follow-schema'] },
    regExp: { jsType: 'function' },
    onWarning: { jsType: 'function' },
  },
});

const DEFAULT_MAX_BODY_BYTES = 16384;
const DEFAULT_MAX_DEPTH = 32;
const DEFAULT_MAX_ERRORS = 10;

/**
 * Creates the validation guard (stage `validation`). For every operation
 * it compiles, once at start-up, the operation's parameters and request
 * body from the OpenAPI document into ajv validators (JSON Schema 2020-12;
 * 3.0 documents are converted, `nullable` included). On each request it:
 *
 * - reads path, query, header and cookie parameters by their `style` and
 *   `explode`, converts strings where the schema asks for numbers,
 *   integers or booleans, and validates them; a repeated single-valued
 *   query parameter and (by default) an undeclared one are a 400; the
 *   converted query, with schema defaults, goes to `ctx.queryParams`;
 * - accepts a body only in a declared media type (415 otherwise; JSON must
 *   be UTF-8), at most `maxBodyBytes` long (413), parses JSON strictly
 *   (duplicate keys, `__proto__`/`constructor`/`prototype` anywhere, nesting
 *   beyond `maxDepth`: 400), validates it, refuses undeclared properties
 *   (mass assignment), and puts the parsed body in `ctx.body`;
 * - refuses a body on an operation that declares none (400).
 *
 * Denials are `schema_invalid` (with `errors: [{ pointer, message }]`),
 * `body_malformed`, `unsupported_media_type` and `payload_too_large`.
 *
 * @example
 * ```ts
 * const validator = createSchemaValidator({ onWarning: (w) => console.warn(w.message) });
 * const palisade = await createPalisade({ document: './openapi.yaml', guards: [validator] });
 * ```
 * @throws PalisadeConfigError for invalid options; creating the engine
 *   throws one for a schema that does not compile (naming the operation and
 *   the JSON pointer) or a parameter style it cannot read.
 */
export function createSchemaValidator(options: SchemaValidatorOptions = {}): SchemaValidator {
  if (typeof options === 'function') {
    throw new PalisadeConfigError('ERR_PALISADE_MISUSE', 'createSchemaValidator received a function; pass an options object (or nothing): createSchemaValidator({ maxBodyBytes: 16384 }).', { path: '(options)' });
  }
  assertOptions(options);
  const regExp = options.regExp ?? null;
  const onWarning = options.onWarning ?? null;
  const found: SchemaWarning[] = [];
  const reported = new Set<string>();
  const warn = (warning: SchemaWarning) => {
    const key = `${warning.code} ${warning.pointer}`;
    if (reported.has(key)) return;
    reported.add(key);
    const frozen = Object.freeze({ ...warning });
    found.push(frozen);
    onWarning?.(frozen);
  };
  let consumedBodyReported = false;
  const settings: PlanSettings = Object.freeze({
    view: options.undeclaredProperties === 'follow-schema' ? 'literal' : 'request',
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    maxDepth: options.maxDepth ?? DEFAULT_MAX_DEPTH,
    maxErrors: options.maxErrors ?? DEFAULT_MAX_ERRORS,
    refuseUnknownQueryParameters: options.unknownQueryParameters !== 'ignore',
    warn,
    onConsumedBody: (operation: OperationPolicy) => {
      if (consumedBodyReported) return;
      consumedBodyReported = true;
      const warning: SchemaWarning = {
        code: 'body_consumed',
        operationId: operation.operationId,
        pointer: operation.pointer,
        message:
          'A request body had already been read by the framework when Palisade came to validate it, so the request was refused with 500. Remove express.json() (or any other body parser that runs before Palisade): Palisade parses and validates request bodies itself and hands them to handlers as req.body.',
      };
      warn(warning);
      // Failing every request with a body is loud in tests, silent in logs
      // unless said somewhere; say it once even without onWarning.
      if (onWarning === null) process.emitWarning(warning.message, { code: 'PALISADE_BODY_CONSUMED' });
    },
  });

  const documents = new WeakMap<CompiledDocument, { readonly schemas: DocumentSchemas; readonly scanned: Set<string> }>();
  const prepare = (compiled: CompiledDocument) => {
    let entry = documents.get(compiled);
    if (entry === undefined) {
      const schemas = new DocumentSchemas(compiled, regExp);
      entry = { schemas, scanned: new Set() };
      documents.set(compiled, entry);
      for (const [format, pointer] of schemas.unknownFormats) {
        warn({ code: 'unknown_format', operationId: null, pointer, message: `The format "${format}" is not one the validator knows: values are accepted without a format check.` });
      }
    }
    return entry;
  };

  return {
    name: 'schema-validator',
    stage: 'validation',
    init(context) {
      prepare(context.compiled);
    },
    compile(operation, context) {
      if (operation === null) return null;
      const { schemas, scanned } = prepare(context.compiled);
      const plan = new OperationPlan(operation, schemas, settings);
      scanRequestSchemas(schemas, settings.view, operation, regExp === null, scanned, warn);
      return { onRequest: (ctx) => plan.check(ctx) };
    },
    warnings: () => Object.freeze(found.slice()),
  };
}
