import type { FieldError } from '@palisade/core';
import type { ErrorObject } from 'ajv';

/**
 * Collects field errors for a `schema_invalid` problem, up to a cap. Every
 * message comes from a fixed vocabulary filled in only with values from
 * the document (limits, types, enum members), never with what the client
 * sent; pointer tokens the client chose (an undeclared property's name)
 * are kept only when short and plain.
 */
export class FieldErrors {
  readonly #max: number;
  readonly list: FieldError[] = [];
  // Created on the first error: most requests have none.
  #seen: Set<string> | null = null;
  /** How many errors were found, including those past the cap. */
  count = 0;

  constructor(max: number) {
    this.#max = max;
  }

  add(pointer: string, message: string): void {
    this.count++;
    if (this.list.length >= this.#max) return;
    const key = `${pointer}\u0000${message}`;
    this.#seen ??= new Set();
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.list.push({ pointer, message });
  }

  get isFull(): boolean {
    return this.list.length >= this.#max;
  }

  /**
   * Adds ajv's errors for a value found at `prefix` (`/body`, `/query/limit`).
   * `prefix` must already be a safe, escaped pointer.
   */
  addAjvErrors(prefix: string, errors: readonly ErrorObject[] | null | undefined): void {
    if (!errors) return;
    for (const error of errors) {
      if (this.isFull) {
        this.count++;
        continue;
      }
      const described = describe(error);
      if (described === null) continue;
      const [pointer, truncated] = safePointer(prefix, error.instancePath, described.child);
      this.add(pointer, truncated ? described.fallback : described.message);
    }
  }
}

// A client-chosen token appears in a pointer only when it is short and
// made of letters, digits and a few punctuation marks: nothing that could
// carry markup, a header break or a long payload back to the client.
const SAFE_TOKEN = /^[\p{L}\p{N}_.$@:~-]{1,64}$/u;

/** Escapes a JSON pointer token (RFC 6901). */
export function escapeToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** `prefix + '/' + token` when the token is safe to show, else null. */
export function childPointer(prefix: string, token: string): string | null {
  const escaped = escapeToken(token);
  return SAFE_TOKEN.test(escaped) ? `${prefix}/${escaped}` : null;
}

function safePointer(prefix: string, instancePath: string, child: string | null): [string, boolean] {
  let pointer = prefix;
  if (instancePath !== '') {
    const tokens = instancePath.slice(1).split('/');
    for (const token of tokens) {
      if (!SAFE_TOKEN.test(token)) return [pointer, true];
      pointer += `/${token}`;
    }
  }
  if (child !== null) {
    const next = childPointer(pointer, child);
    if (next === null) return [pointer, true];
    pointer = next;
  }
  return [pointer, false];
}

interface Described {
  readonly message: string;
  /** The property the error is about, below the instance path (`required`, `additionalProperties`). */
  readonly child: string | null;
  /** The message when the pointer had to stop above the failing value. */
  readonly fallback: string;
}

const NESTED = 'has a nested value that is not valid';

function describe(error: ErrorObject): Described | null {
  const params = error.params as Record<string, unknown>;
  const plain = (message: string): Described => ({ message, child: null, fallback: NESTED });
  switch (error.keyword) {
    case 'type':
      return plain(`must be ${listTypes(params.type)}`);
    case 'required':
      return { message: 'is required', child: String(params.missingProperty), fallback: 'is missing a required property' };
    case 'dependentRequired':
      return { message: 'is required', child: String(params.missingProperty), fallback: 'is missing a required property' };
    case 'additionalProperties':
      return { message: 'is not allowed', child: String(params.additionalProperty), fallback: 'has a property that is not allowed' };
    case 'unevaluatedProperties':
      return { message: 'is not allowed', child: String(params.unevaluatedProperty), fallback: 'has a property that is not allowed' };
    case 'unevaluatedItems':
    case 'additionalItems':
      return plain(`must not have more than ${Number(params.limit)} items`);
    case 'enum':
      return plain(describeEnum(params.allowedValues));
    case 'const':
      return plain(`must be ${short(params.allowedValue) ?? 'the allowed value'}`);
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return plain(`must be ${String(params.comparison)} ${Number(params.limit)}`);
    case 'multipleOf':
      return plain(`must be a multiple of ${Number(params.multipleOf)}`);
    case 'minLength':
      return plain(`must have at least ${Number(params.limit)} character${Number(params.limit) === 1 ? '' : 's'}`);
    case 'maxLength':
      return plain(`must have at most ${Number(params.limit)} character${Number(params.limit) === 1 ? '' : 's'}`);
    case 'minItems':
      return plain(`must have at least ${Number(params.limit)} item${Number(params.limit) === 1 ? '' : 's'}`);
    case 'maxItems':
      return plain(`must have at most ${Number(params.limit)} item${Number(params.limit) === 1 ? '' : 's'}`);
    case 'minProperties':
      return plain(`must have at least ${Number(params.limit)} propert${Number(params.limit) === 1 ? 'y' : 'ies'}`);
    case 'maxProperties':
      return plain(`must have at most ${Number(params.limit)} propert${Number(params.limit) === 1 ? 'y' : 'ies'}`);
    case 'uniqueItems':
      return plain('must not contain duplicate items');
    case 'pattern': {
      const pattern = String(params.pattern);
      return plain(pattern.length <= 100 ? `must match the pattern ${JSON.stringify(pattern)}` : 'must match the required pattern');
    }
    case 'format':
      return plain(`must be a valid ${String(params.format)}`);
    case 'contains':
    case 'minContains':
      return plain('must contain an item of the required kind');
    case 'maxContains':
      return plain('contains too many items of one kind');
    case 'propertyNames':
      return plain('has a property name that is not allowed');
    case 'oneOf':
      return plain('must match exactly one of the allowed shapes');
    case 'anyOf':
      return plain('must match one of the allowed shapes');
    case 'not':
      return plain('must not match the excluded shape');
    case 'false schema':
      return plain('is not allowed');
    // `if` fails alongside the `then`/`else` error that says what is wrong.
    case 'if':
      return null;
    default:
      return plain('is not valid');
  }
}

function listTypes(type: unknown): string {
  const types = String(type).split(',');
  const named = types.map((name) => (name === 'null' ? 'null' : `${/^[aeiou]/.test(name) ? 'an' : 'a'} ${name}`));
  return named.length === 1 ? named[0]! : `${named.slice(0, -1).join(', ')} or ${named[named.length - 1]}`;
}

function describeEnum(values: unknown): string {
  if (!Array.isArray(values) || values.length > 10) return 'must be one of the allowed values';
  const shown = values.map(short);
  if (shown.some((value) => value === null)) return 'must be one of the allowed values';
  return `must be one of ${shown.join(', ')}`;
}

function short(value: unknown): string | null {
  const text = JSON.stringify(value);
  return text !== undefined && text.length <= 40 ? text : null;
}
