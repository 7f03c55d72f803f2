import {
  PalisadeConfigError,
  createOptionsValidator,
  deny,
  type CompiledDocument,
  type Denial,
  type Guard,
  type GuardCompileContext,
  type GuardHooks,
  type OperationPolicy,
  type OutgoingResponse,
  type RequestContext,
} from '@palisade/core';
import { INVALID, takeFailure, toJsonValue } from './filter-runtime';
import { compileOperationPlan, isJsonMediaType, maskFor, selectResponse, type OperationPlan } from './operation-plan';
import { SchemaFilterCompiler } from './schema-filter-compiler';

/** `'enforce'`: filter and fail closed. `'report'`: send responses unchanged and only report what enforce would refuse. */
export type ResponseFilterMode = 'enforce' | 'report';

/** Why a response could not be reconciled with the document. */
export type ResponseViolationKind =
  /** The status is not declared and the operation has no `default` response. */
  | 'status_not_declared'
  /** The response declares no content, no JSON media type, or a media type without a schema. */
  | 'content_not_declared'
  /** The body does not fit the schema: a wrong type, or a required property missing or not visible. */
  | 'body_mismatch';

/** What `onViolation` receives. Holds no part of the body, only where it failed. */
export interface ResponseViolation {
  readonly kind: ResponseViolationKind;
  readonly operationId: string;
  readonly requestId: string;
  /** The status the handler sent. */
  readonly status: number;
  /** The media type the adapter labelled the body with (`application/json`). */
  readonly contentType: string;
  /** The declared response that applied (`'200'`, `'2XX'`, `'default'`), or null. */
  readonly declaredStatus: string | null;
  /** JSON pointer of the schema the body was checked against, or null. */
  readonly schemaPointer: string | null;
  /** JSON pointer into the body of the value that failed (`/items/0/total`; `''` for the body itself), or null. */
  readonly bodyPointer: string | null;
  /** What went wrong, for logs. */
  readonly message: string;
  /** True in enforce mode: the response was replaced by a 500 `response_invalid` problem. */
  readonly enforced: boolean;
}

export interface ResponseFilterOptions {
  /**
   * `'enforce'` (default): bodies are reduced to what their schema declares
   * for the caller, and a body that cannot be reconciled is replaced by a
   * 500 `response_invalid` problem. `'report'`: for rolling out; bodies are
   * sent unchanged and `onViolation` hears what enforce mode would refuse.
   */
  readonly mode?: ResponseFilterMode;
  /**
   * Called for every response enforce mode refuses (in both modes). Must
   * not throw; what it throws is ignored. Required in report mode.
   */
  readonly onViolation?: (violation: ResponseViolation) => void;
}

const assertResponseFilterOptions: (options: unknown) => asserts options is ResponseFilterOptions = createOptionsValidator<ResponseFilterOptions>('createResponseFilter', {
  type: 'object',
  additionalProperties: false,
  properties: {
    mode: { enum: ['enforce', 'report'] },
    onViolation: { jsType: 'function' },
  },
});

/**
 * Creates the response filter guard: every JSON body a handler sends
 * leaves with only the fields its OpenAPI response schema declares for
 * that status and media type, minus fields marked `x-palisade-secret` or
 * `writeOnly`, minus fields whose `x-palisade-visible-to` scopes the caller
 * holds none of. A body that cannot be reconciled with its schema is
 * replaced by a 500 problem (`response_invalid`) and never sent.
 *
 * Filters are compiled once per response schema at start-up, with one
 * property list per combination of visibility scopes; a request computes
 * its caller's scope mask and runs prebuilt closures.
 *
 * @param options `mode` (`'enforce'`, default, or `'report'`) and
 *   `onViolation` (required in report mode).
 * @throws PalisadeConfigError (`ERR_PALISADE_INVALID_OPTIONS`) for unknown or
 *   ill-typed options, or report mode without `onViolation`.
 *
 * @example
 * ```ts
 * const palisade = await createPalisade({
 *   document: './openapi.yaml',
 *   guards: [createJwtAuthentication({ ... }), createResponseFilter()],
 * });
 * ```
 */
export function createResponseFilter(options: ResponseFilterOptions = {}): Guard {
  if (typeof options === 'function') {
    throw new PalisadeConfigError('ERR_PALISADE_MISUSE', 'createResponseFilter received a function; pass an options object, e.g. createResponseFilter({ mode: "report", onViolation: (violation) => log.warn(violation) }).', { path: '(options)' });
  }
  assertResponseFilterOptions(options);
  const mode = options.mode ?? 'enforce';
  const onViolation = options.onViolation ?? null;
  if (mode === 'report' && onViolation === null) {
    throw new PalisadeConfigError('ERR_PALISADE_INVALID_OPTIONS', 'createResponseFilter received invalid options:\n  - onViolation: is required when mode is "report". Report mode sends every response unfiltered and only tells onViolation what enforce mode would refuse; without it nothing would be reported.', {
      path: 'onViolation',
      fix: 'Pass onViolation: (violation) => logger.warn(violation), or leave mode at "enforce".',
    });
  }
  const enforce = mode === 'enforce';
  // One compiler per engine's document: an operation's schemas are shared
  // with the others', and a guard may be given to more than one engine.
  const compilers = new WeakMap<CompiledDocument, SchemaFilterCompiler>();

  return Object.freeze({
    name: 'response-filter',
    stage: 'validation',
    compile(operation: OperationPolicy | null, context: GuardCompileContext): GuardHooks | null {
      // A request that matched no operation never reaches a handler.
      if (operation === null) return null;
      let compiler = compilers.get(context.compiled);
      if (compiler === undefined) {
        compiler = new SchemaFilterCompiler({ document: context.compiled.document, version: context.compiled.version });
        compilers.set(context.compiled, compiler);
      }
      const plan = compileOperationPlan(operation, compiler);
      return Object.freeze({ onResponse: (ctx: RequestContext, response: OutgoingResponse) => filterResponse(plan, ctx, response, enforce, onViolation) });
    },
  } satisfies Guard);
}

function filterResponse(plan: OperationPlan, ctx: RequestContext, response: OutgoingResponse, enforce: boolean, onViolation: ((violation: ResponseViolation) => void) | null): Denial | null {
  const declared = selectResponse(plan, response.status);
  if (declared === null) {
    return violate(plan, ctx, response, enforce, onViolation, 'status_not_declared', null, null, null, `status ${response.status} is not declared and the operation has no "default" response`);
  }
  const media = declared.byMediaType.get(response.contentType) ?? (isJsonMediaType(response.contentType) ? declared.json : null);
  if (media === null) {
    const message = declared.mediaTypes.length === 0
      ? `response "${declared.status}" declares no content, but a ${response.contentType} body was sent`
      : `response "${declared.status}" declares no ${response.contentType} content (declared: ${declared.mediaTypes.join(', ')})`;
    return violate(plan, ctx, response, enforce, onViolation, 'content_not_declared', declared.status, null, null, message);
  }
  if (media.filter === null) {
    return violate(plan, ctx, response, enforce, onViolation, 'content_not_declared', declared.status, null, null, `${media.mediaType} of response "${declared.status}" declares no schema, so no field is declared (write schema: {} to allow any body)`);
  }
  let filtered: unknown;
  try {
    filtered = media.filter(toJsonValue(response.body, ''), maskFor(plan, ctx.principal));
  } catch (error) {
    // A throwing toJSON, or a body nested deeper than the stack: enforce
    // mode lets core turn it into a 500 (the error kept for the audit
    // trail); report mode must not break the response over it.
    if (enforce) throw error;
    return violate(plan, ctx, response, enforce, onViolation, 'body_mismatch', declared.status, media.schemaPointer, null, `body could not be filtered: ${error instanceof Error ? `${error.name}: ${error.message}` : 'a non-error was thrown'}`);
  }
  if (filtered === INVALID) {
    const failure = takeFailure();
    return violate(plan, ctx, response, enforce, onViolation, 'body_mismatch', declared.status, media.schemaPointer, failure.pointer, `body${failure.pointer ? ` at ${failure.pointer}` : ''} ${failure.message}`);
  }
  if (enforce) response.body = filtered;
  return null;
}

function violate(
  plan: OperationPlan,
  ctx: RequestContext,
  response: OutgoingResponse,
  enforce: boolean,
  onViolation: ((violation: ResponseViolation) => void) | null,
  kind: ResponseViolationKind,
  declaredStatus: string | null,
  schemaPointer: string | null,
  bodyPointer: string | null,
  message: string,
): Denial | null {
  if (onViolation !== null) {
    try {
      onViolation(Object.freeze({ kind, operationId: plan.operationId, requestId: ctx.requestId, status: response.status, contentType: response.contentType, declaredStatus, schemaPointer, bodyPointer, message, enforced: enforce }));
    } catch {
      // A logging callback must not turn a response into an error, nor
      // stop enforce mode from refusing one.
    }
  }
  if (!enforce) return null;
  return deny('response_invalid', { privateDetail: `${plan.operationId} ${response.status} ${response.contentType}: ${message}${schemaPointer ? ` (schema ${schemaPointer})` : ''}` });
}
