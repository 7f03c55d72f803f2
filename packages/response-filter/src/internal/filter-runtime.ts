/**
 * What a compiled filter does to one value: returns the value reduced to
 * what its schema declares for the caller's visibility `mask`, or
 * `INVALID` when the value cannot be reconciled with the schema.
 */
export type ValueFilter = (value: unknown, mask: number) => unknown;

/** Returned by a filter for a value its schema cannot describe. */
export const INVALID: unique symbol = Symbol('palisade.response-filter.invalid');

// Why the last filter failed, and where. Only the failure path writes here,
// so a response that passes allocates nothing for diagnostics. Filters run
// synchronously from start to end, so two responses never interleave.
const trail: (string | number)[] = [];
let failureMessage = '';

/** Records why a value failed (`message` is precomputed, never built per call) and returns `INVALID`. */
export function fail(message: string): typeof INVALID {
  failureMessage = message;
  trail.length = 0;
  return INVALID;
}

/** Called by a container while `INVALID` propagates up: adds the key or index of the failed child. */
export function failedAt(key: string | number): typeof INVALID {
  trail.push(key);
  return INVALID;
}

/** Where in the body (a JSON pointer) and why the last filter failed. */
export function takeFailure(): { readonly pointer: string; readonly message: string } {
  let pointer = '';
  for (let i = trail.length - 1; i >= 0; i--) pointer += `/${String(trail[i]).replace(/~/g, '~0').replace(/\//g, '~1')}`;
  trail.length = 0;
  return { pointer, message: failureMessage };
}

/**
 * The value JSON.stringify would serialize in place of `value`: an object
 * with a `toJSON` method (a Date, a Buffer, a model class) is replaced by
 * what that method returns, with the same `key` argument JSON passes.
 */
export function toJsonValue(value: unknown, key: string): unknown {
  if (typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return (value as { toJSON: (key: string) => unknown }).toJSON(key);
  }
  return value;
}
