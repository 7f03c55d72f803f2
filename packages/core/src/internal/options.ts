import { Ajv, type ErrorObject, type JSONSchemaType, type SchemaObject } from 'ajv';
import { PalisadeConfigError, closestMatch, describeValue, type PalisadeConfigErrorDetails } from './errors';

// One ajv instance for every options schema of every package. `jsType`
// lets a schema ask for values JSON cannot describe (functions, RegExps,
// URLs), which options need for loaders and callbacks. `errorMessage` is
// an annotation read by describeAjvError, not a validation keyword.
const optionsAjv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, keywords: ['errorMessage'] });
optionsAjv.addKeyword({
  keyword: 'jsType',
  schemaType: 'string',
  validate: (kind: string, value: unknown) => {
    switch (kind) {
      case 'function':
        return typeof value === 'function';
      case 'regexp':
        return value instanceof RegExp;
      case 'url':
        return value instanceof URL;
      case 'object':
        return typeof value === 'object' && value !== null;
      default:
        return false;
    }
  },
  errors: false,
});

export type OptionsSchema = SchemaObject | JSONSchemaType<unknown>;

/**
 * Compiles an options schema once (at module load) and returns a checker
 * that throws a `PalisadeConfigError` naming every bad option, the value
 * received and the fix. Unknown keys are errors, with "did you mean".
 *
 * @param owner What the options belong to, as users write it (`createPalisade`).
 */
export function createOptionsValidator<T>(owner: string, schema: OptionsSchema): (options: unknown) => asserts options is T {
  const validate = optionsAjv.compile(schema);
  return function assertOptions(options: unknown): asserts options is T {
    if (validate(options)) return;
    const problems = dedupe((validate.errors ?? []).map((error) => describeAjvError(error, options, validate.schema as SchemaObject)));
    const lines = problems.map((problem) => `  - ${problem.path}: ${problemMessage(problem)}`);
    throw new PalisadeConfigError(
      'ERR_PALISADE_INVALID_OPTIONS',
      `${owner} received invalid options:\n${lines.join('\n')}`,
      problems[0]!,
      problems,
    );
  };
}

interface DescribedProblem extends PalisadeConfigErrorDetails {
  readonly what: string;
}

function problemMessage(problem: DescribedProblem): string {
  return problem.fix ? `${problem.what}. ${problem.fix}` : problem.what;
}

function describeAjvError(error: ErrorObject, root: unknown, rootSchema: SchemaObject): DescribedProblem {
  const base = pointerToOptionPath(error.instancePath);
  const received = valueAt(root, error.instancePath);
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String((error.params as { additionalProperty: string }).additionalProperty);
      const path = base ? `${base}.${key}` : key;
      const known = Object.keys((schemaAt(rootSchema, error.schemaPath)?.properties as object | undefined) ?? {});
      const suggestion = closestMatch(key, known);
      return {
        path,
        what: `unknown option "${key}"`,
        fix: suggestion ? `Did you mean "${suggestion}"?` : known.length ? `Remove it; known options here are: ${known.join(', ')}.` : 'Remove it.',
      };
    }
    case 'required': {
      const key = String((error.params as { missingProperty: string }).missingProperty);
      return { path: base ? `${base}.${key}` : key, what: 'is required', fix: 'Set it.' };
    }
    case 'type':
      return { path: base || '(options)', received, what: `must be ${article(String((error.params as { type: string }).type))}; received ${describeValue(received)}` };
    case 'jsType':
      // A keyword declared with `errors: false` gets no `schema` on its error; read the expected kind from the schema.
      return { path: base || '(options)', received, what: `must be ${article(String(schemaAt(rootSchema, error.schemaPath)?.jsType))}; received ${describeValue(received)}` };
    case 'enum':
      return {
        path: base || '(options)',
        received,
        what: `must be one of ${((error.params as { allowedValues: unknown[] }).allowedValues).map((v) => describeValue(v)).join(', ')}; received ${describeValue(received)}`,
      };
    case 'const':
      return { path: base || '(options)', received, what: `must be ${describeValue((error.params as { allowedValue: unknown }).allowedValue)}; received ${describeValue(received)}` };
    default: {
      const custom = schemaAt(rootSchema, error.schemaPath)?.errorMessage;
      return {
        path: base || '(options)',
        received,
        what: typeof custom === 'string' ? custom : `${error.message ?? 'is invalid'}; received ${describeValue(received)}`,
      };
    }
  }
}

function article(type: string): string {
  return type.includes(',') ? `one of ${type}` : /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function dedupe(problems: DescribedProblem[]): DescribedProblem[] {
  const seen = new Set<string>();
  // `anyOf`/`oneOf` failures repeat their branches' errors; the branch
  // errors are the useful ones, so the summary line is dropped.
  return problems.filter((problem) => {
    const key = `${problem.path}|${problem.what}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return !problem.what.startsWith('must match a schema in anyOf') && !problem.what.startsWith('must match exactly one schema in oneOf');
  }).concat([]).sort((a, b) => a.path.localeCompare(b.path));
}

/** `/cors/origins/0` -> `cors.origins[0]` */
export function pointerToOptionPath(pointer: string): string {
  if (pointer === '') return '';
  let path = '';
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    path += /^\d+$/.test(token) ? `[${token}]` : path === '' ? token : `.${token}`;
  }
  return path;
}

function valueAt(root: unknown, pointer: string): unknown {
  if (pointer === '') return root;
  let current: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[raw.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return current;
}

function schemaAt(schema: SchemaObject, schemaPath: string): SchemaObject | undefined {
  const tokens = schemaPath.replace(/^#\/?/, '').split('/').filter(Boolean);
  let current: unknown = schema;
  // The last token is the keyword that failed; stop at the schema holding it.
  for (const token of tokens.slice(0, -1)) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[token.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return current as SchemaObject | undefined;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration: a number of seconds, or a string such as `"30s"`,
 * `"15m"`, `"1h"`, `"250ms"`. Returns milliseconds.
 *
 * @throws PalisadeConfigError naming `path` when the value is not a positive duration.
 */
export function parseDuration(value: unknown, path: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value * 1000;
  if (typeof value === 'string') {
    const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(value.trim());
    if (match) {
      const ms = Number(match[1]) * DURATION_UNITS[match[2]!]!;
      if (ms > 0) return ms;
    }
  }
  throw new PalisadeConfigError('ERR_PALISADE_INVALID_OPTIONS', `${path} must be a positive duration; received ${describeValue(value)}. Use seconds (30) or a string such as "30s", "15m", "1h".`, {
    path,
    received: value,
    fix: 'Use seconds (30) or a string such as "30s", "15m", "1h".',
  });
}

/** Recursively freezes plain objects and arrays (not functions, RegExps or class instances). */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    const proto = Object.getPrototypeOf(value);
    if (Array.isArray(value) || proto === Object.prototype || proto === null) {
      Object.freeze(value);
      for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    }
  }
  return value;
}
