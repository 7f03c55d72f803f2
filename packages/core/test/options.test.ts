import { createOptionsValidator, createPalisade, deepFreeze, parseDuration, PalisadeConfigError } from '@palisade/core';
import { describe, expect, it } from 'vitest';
import { REFERENCE_DOCUMENT } from './fixtures/fixture-paths';

function thrown(run: () => unknown): PalisadeConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(PalisadeConfigError);
    return error as PalisadeConfigError;
  }
  throw new Error('expected a PalisadeConfigError');
}

async function rejected(promise: Promise<unknown>): Promise<PalisadeConfigError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PalisadeConfigError);
  return error as PalisadeConfigError;
}

interface ThingOptions {
  readonly limit: number;
  readonly mode?: 'strict' | 'loose';
  readonly onDeny?: () => void;
  readonly pattern?: RegExp;
  readonly store?: { readonly url: string; readonly prefix?: string };
}

const assertThingOptions = createOptionsValidator<ThingOptions>('createThing', {
  type: 'object',
  additionalProperties: false,
  required: ['limit'],
  properties: {
    limit: { type: 'integer', minimum: 1 },
    mode: { enum: ['strict', 'loose'] },
    onDeny: { jsType: 'function' },
    pattern: { jsType: 'regexp' },
    store: { type: 'object', additionalProperties: false, required: ['url'], properties: { url: { type: 'string' }, prefix: { type: 'string' } } },
    label: { type: 'string', pattern: '^[a-z]+$', errorMessage: 'must be lower-case letters only' },
    enabled: { const: true },
  },
});

describe('createOptionsValidator', () => {
  it('accepts valid options', () => {
    expect(() => assertThingOptions({ limit: 3, mode: 'strict', onDeny: () => undefined, pattern: /x/, store: { url: 'redis://x' } })).not.toThrow();
  });

  it('names an unknown option and suggests the near miss', () => {
    const error = thrown(() => assertThingOptions({ limit: 3, mdoe: 'strict' }));
    expect(error.code).toBe('ERR_PALISADE_INVALID_OPTIONS');
    expect(error.path).toBe('mdoe');
    expect(error.message).toContain('createThing received invalid options');
    expect(error.message).toContain('mdoe: unknown option "mdoe". Did you mean "mode"?');
    expect(error.fix).toBe('Did you mean "mode"?');
  });

  it('lists the known options when nothing is close', () => {
    const error = thrown(() => assertThingOptions({ limit: 3, zzzzzzzz: 1 }));
    expect(error.message).toContain('Remove it; known options here are: limit, mode, onDeny, pattern, store, label, enabled.');
  });

  it('names nested options by their path', () => {
    const error = thrown(() => assertThingOptions({ limit: 3, store: { url: 'redis://x', prefx: 'a' } }));
    expect(error.path).toBe('store.prefx');
    expect(error.message).toContain('Did you mean "prefix"?');
  });

  it('reports every problem, each with its path and the value received', () => {
    const error = thrown(() => assertThingOptions({ limit: 0, mode: 'fast', onDeny: 'no', pattern: '^x$', store: {} }));
    expect(error.problems.map((problem) => problem.path)).toEqual(['limit', 'mode', 'onDeny', 'pattern', 'store.url']);
    expect(error.message).toContain('limit: must be >= 1; received 0');
    expect(error.message).toContain('mode: must be one of "strict", "loose"; received "fast"');
    expect(error.message).toContain('onDeny: must be a function; received "no"');
    expect(error.message).toContain('pattern: must be a regexp; received "^x$"');
    expect(error.message).toContain('store.url: is required. Set it.');
    expect(error.problems[0]!.received).toBe(0);
  });

  it('says what type was expected', () => {
    expect(thrown(() => assertThingOptions({ limit: '3' })).message).toContain('limit: must be an integer; received "3"');
    expect(thrown(() => assertThingOptions(null)).message).toContain('(options): must be an object; received null');
    expect(thrown(() => assertThingOptions({ limit: 1, enabled: false })).message).toContain('enabled: must be true; received false');
  });

  it('uses a schema-given errorMessage', () => {
    expect(thrown(() => assertThingOptions({ limit: 1, label: 'ABC' })).message).toContain('label: must be lower-case letters only');
  });

  it('reports a missing required option', () => {
    const error = thrown(() => assertThingOptions({}));
    expect(error.path).toBe('limit');
    expect(error.message).toContain('limit: is required');
  });
});

describe('createPalisade options', () => {
  it('an unknown option names it with "Did you mean"', async () => {
    const error = await rejected(createPalisade({ document: REFERENCE_DOCUMENT, relam: 'orders' } as never));
    expect(error.code).toBe('ERR_PALISADE_INVALID_OPTIONS');
    expect(error.path).toBe('relam');
    expect(error.message).toContain('createPalisade received invalid options');
    expect(error.message).toContain('unknown option "relam". Did you mean "realm"?');
  });

  it('a nested unknown option is named by its path', async () => {
    const error = await rejected(createPalisade({ document: REFERENCE_DOCUMENT, cors: { origins: ['https://shop.example'], credential: true } } as never));
    expect(error.path).toBe('cors.credential');
    expect(error.message).toContain('Did you mean "credentials"?');
  });

  it('the document is required', async () => {
    const error = await rejected(createPalisade({} as never));
    expect(error.path).toBe('document');
    expect(error.message).toContain('document: is required');
  });

  it('a function instead of the options object is misuse, with the right call', async () => {
    const error = await rejected(createPalisade((() => ({ document: REFERENCE_DOCUMENT })) as never));
    expect(error.code).toBe('ERR_PALISADE_MISUSE');
    expect(error.message).toContain('createPalisade({ document:');
  });

  it.each([['*'], ['https://shop.example/'], ['shop.example'], ['https://shop.example/path']])('refuses the CORS origin %s', async (origin) => {
    const error = await rejected(createPalisade({ document: REFERENCE_DOCUMENT, cors: { origins: [origin] } }));
    expect(error.code).toBe('ERR_PALISADE_INVALID_OPTIONS');
    expect(error.path).toBe('cors.origins[0]');
    expect(error.received).toBe(origin);
  });

  it('refuses a realm that cannot be quoted safely', async () => {
    const error = await rejected(createPalisade({ document: REFERENCE_DOCUMENT, realm: 'a"b' }));
    expect(error.path).toBe('realm');
  });

  it('refuses out-of-range values', async () => {
    const error = await rejected(createPalisade({ document: REFERENCE_DOCUMENT, cors: { origins: ['https://shop.example'], maxAge: 100_000 } }));
    expect(error.path).toBe('cors.maxAge');
    expect(error.message).toContain('must be <= 86400');
  });
});

describe('parseDuration', () => {
  it.each([
    [30, 30_000],
    [0.5, 500],
    ['250ms', 250],
    ['30s', 30_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    [' 2 s ', 2000],
    ['1.5m', 90_000],
  ])('%j is %d ms', (value, ms) => {
    expect(parseDuration(value, 'window')).toBe(ms);
  });

  it.each([[0], [-1], [Number.NaN], [Number.POSITIVE_INFINITY], ['0s'], ['10'], ['5 minutes'], ['1w'], ['-1s'], [null], [undefined], [{}]])('refuses %j', (value) => {
    const error = thrown(() => parseDuration(value, 'store.window'));
    expect(error.code).toBe('ERR_PALISADE_INVALID_OPTIONS');
    expect(error.path).toBe('store.window');
    expect(error.message).toContain('store.window must be a positive duration');
  });
});

describe('deepFreeze', () => {
  it('freezes plain objects and arrays all the way down', () => {
    const value = deepFreeze({ a: { b: [1, { c: 2 }] }, d: Object.assign(Object.create(null) as object, { e: 1 }) });
    expect(Object.isFrozen(value.a.b[1])).toBe(true);
    expect(Object.isFrozen(value.d)).toBe(true);
  });

  it('leaves functions, RegExps and class instances alone', () => {
    class Store {
      count = 0;
    }
    const value = deepFreeze({ store: new Store(), pattern: /x/, onDeny: () => undefined, at: new Date(0) });
    expect(Object.isFrozen(value)).toBe(true);
    expect(Object.isFrozen(value.store)).toBe(false);
    expect(Object.isFrozen(value.pattern)).toBe(false);
    expect(Object.isFrozen(value.onDeny)).toBe(false);
    expect(Object.isFrozen(value.at)).toBe(false);
  });
});
