import { deny, isDenial, type Denial, type GuardVerdict, type OperationPolicy, type RequestContext, type RequestHeaders } from '@palisade/core';
import type { DocumentSchemas } from './document-schemas';
import { FieldErrors } from './field-errors';
import { OtherParametersPlan, ParameterPlan, QueryPlan } from './parameters';
import type { PreparedView } from './prepare-document';
import { BodyPlan } from './request-body';
import type { WarningSink } from './schema-warnings';

/** Settings shared by every operation of one validator. */
export interface PlanSettings {
  readonly view: PreparedView;
  readonly maxBodyBytes: number;
  readonly maxDepth: number;
  readonly maxErrors: number;
  readonly refuseUnknownQueryParameters: boolean;
  readonly warn: WarningSink;
  /** Called when a body arrives that a framework already consumed. */
  readonly onConsumedBody: (operation: OperationPolicy) => void;
}

const INVALID_DETAIL = 'The request does not match the schema of this operation.';

/**
 * Everything the validator does for one operation, decided at start-up:
 * parameter readers and validators, the body's media types, limits,
 * parser and validator. `check` only reads and calls.
 */
export class OperationPlan {
  readonly #operation: OperationPolicy;
  readonly #query: QueryPlan;
  readonly #others: OtherParametersPlan;
  readonly #body: BodyPlan | null;
  readonly #maxErrors: number;
  readonly #onConsumedBody: (operation: OperationPolicy) => void;

  constructor(operation: OperationPolicy, schemas: DocumentSchemas, settings: PlanSettings) {
    this.#operation = operation;
    const plans = operation.parameters.map((parameter) => new ParameterPlan(parameter, operation, schemas, settings.view, settings.maxDepth));
    this.#query = new QueryPlan(
      plans.filter((plan) => plan.location === 'query'),
      settings.refuseUnknownQueryParameters,
    );
    this.#others = new OtherParametersPlan(plans);
    const limits = operation.extensions.limits;
    this.#body =
      operation.requestBody === null
        ? null
        : new BodyPlan(operation, schemas, settings.view, { maxBytes: limits?.maxBodyBytes ?? settings.maxBodyBytes, maxDepth: limits?.maxDepth ?? settings.maxDepth }, settings.warn);
    this.#maxErrors = settings.maxErrors;
    this.#onConsumedBody = settings.onConsumedBody;
  }

  /** The guard's `onRequest`: synchronous unless there is a body to read. */
  check(ctx: RequestContext): GuardVerdict | Promise<GuardVerdict> {
    const errors = new FieldErrors(this.#maxErrors);
    if (!this.#others.isEmpty) this.#others.check(ctx.params, ctx.headers, errors);
    const query = this.#query.read(ctx.query, errors);
    if (errors.count > 0) return invalid(errors);
    ctx.queryParams = query;
    const hasBody = announcesBody(ctx.headers);
    const body = this.#body;
    if (body === null) return hasBody ? this.#refuseBody(ctx) : null;
    if (!hasBody) return body.required ? missingBody() : null;
    return this.#readBody(ctx, body, errors);
  }

  async #readBody(ctx: RequestContext, body: BodyPlan, errors: FieldErrors): Promise<GuardVerdict> {
    const media = body.select(ctx.headers['content-type']);
    if (isDenial(media)) return media;
    // Read through the context: a guard before this one (a token in a
    // form body) may have read the body already.
    const reading = ctx.readBody(body.maxBytes);
    if (reading === null) {
      this.#onConsumedBody(this.#operation);
      return deny('internal_error', {
        privateDetail: 'the request body was consumed before Palisade could read it (a body parser such as express.json() runs before Palisade); remove it: Palisade parses and validates bodies and hands them to handlers',
      });
    }
    // Rejects with payload_too_large as soon as the limit is passed; the
    // engine renders that denial.
    const bytes = await reading;
    if (bytes.length === 0) return body.required ? missingBody() : null;
    const outcome = body.parse(media, bytes, errors);
    if (outcome.denial !== null) return outcome.denial;
    if (errors.count > 0) return invalid(errors);
    ctx.body = outcome.value;
    return null;
  }

  // Positive model: an operation that declares no requestBody takes none.
  // 400, not 415: no media type would be accepted, and 415 would invite
  // the client to try another.
  #refuseBody(ctx: RequestContext): GuardVerdict | Promise<GuardVerdict> {
    const length = ctx.headers['content-length'];
    const reading = length === undefined ? ctx.readBody(0) : null;
    if (reading !== null) {
      // Chunked: only reading tells whether anything was sent.
      return reading.then(
        () => null,
        () => unexpectedBody(),
      );
    }
    return unexpectedBody();
  }
}

/** True when the headers announce a body (RFC 9112 section 6.3). */
function announcesBody(headers: RequestHeaders): boolean {
  const length = headers['content-length'];
  if (length !== undefined) return length !== '0' && Number(length) !== 0;
  return headers['transfer-encoding'] !== undefined;
}

function invalid(errors: FieldErrors): Denial {
  const shown = errors.list;
  return deny('schema_invalid', {
    detail: INVALID_DETAIL,
    errors: shown,
    privateDetail: `${errors.count} validation error${errors.count === 1 ? '' : 's'}: ${shown.map((error) => error.pointer).join(', ')}${errors.count > shown.length ? ', ...' : ''}`,
  });
}

function missingBody(): Denial {
  return deny('schema_invalid', { detail: INVALID_DETAIL, errors: [{ pointer: '/body', message: 'is required' }], privateDetail: 'required request body missing' });
}

function unexpectedBody(): Denial {
  return deny('schema_invalid', {
    detail: 'This operation takes no request body.',
    errors: [{ pointer: '/body', message: 'is not allowed' }],
    privateDetail: 'request body sent to an operation that declares none',
  });
}
