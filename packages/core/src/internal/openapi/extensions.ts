import { Ajv, type ErrorObject } from 'ajv';
import { PalisadeConfigError, closestMatch, describeValue } from '../errors';
import { parseDuration } from '../options';
import { toPointer } from './json-pointer';

/**
 * The vendor extensions Palisade reads from an OpenAPI document, for what
 * OpenAPI cannot say. Documented in docs/openapi-extensions.md. Any other
 * `x-palisade*` key is a start-up error, so a typo cannot switch a
 * protection off.
 */
export type ExtensionPlace = 'document' | 'operation' | 'schema';

const durationSchema = {
  anyOf: [
    { type: 'number', exclusiveMinimum: 0 },
    { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*(ms|s|m|h|d)\\s*$' },
  ],
  errorMessage: 'must be a duration: seconds (30) or a string such as "30s", "15m", "1h"',
};
const limitKeys = { type: 'array', minItems: 1, uniqueItems: true, items: { enum: ['ip', 'sub', 'client', 'operation'] } };
const rateLimitRule = {
  type: 'object',
  additionalProperties: false,
  required: ['limit', 'window'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
    by: limitKeys,
    limit: { type: 'integer', minimum: 1 },
    window: durationSchema,
    cost: { type: 'integer', minimum: 1 },
    block: durationSchema,
  },
};
const scopeList = { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', minLength: 1 } };
const claimRule = {
  type: 'object',
  additionalProperties: false,
  required: ['claim'],
  minProperties: 2,
  maxProperties: 2,
  properties: {
    claim: { type: 'string', minLength: 1 },
    equals: {},
    contains: {},
    matches: { type: 'string', minLength: 1 },
  },
  errorMessage: 'must be { claim, equals | contains | matches } with exactly one test',
};

export const EXTENSIONS = {
  'x-palisade-rate-limit': {
    places: ['document', 'operation'],
    schema: { anyOf: [rateLimitRule, { type: 'array', minItems: 1, items: rateLimitRule }] },
  },
  'x-palisade-quota': {
    places: ['operation'],
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['limit', 'window'],
      properties: { by: limitKeys, limit: { type: 'integer', minimum: 1 }, window: durationSchema, countOn: { enum: ['attempt', 'success'] } },
    },
  },
  'x-palisade-brute-force': {
    places: ['operation'],
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['identifier', 'maxFailures', 'window'],
      properties: {
        identifier: { type: 'string', pattern: '^(/[^/]+)+$' },
        maxFailures: { type: 'integer', minimum: 1 },
        window: durationSchema,
        block: durationSchema,
        perAddress: {
          type: 'object',
          additionalProperties: false,
          required: ['limit', 'window'],
          properties: { limit: { type: 'integer', minimum: 1 }, window: durationSchema },
        },
      },
    },
  },
  'x-palisade-ownership': {
    places: ['operation'],
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['resource', 'param'],
      properties: {
        resource: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_-]{0,63}$' },
        param: { type: 'string', minLength: 1 },
        ownerField: { type: 'string', minLength: 1 },
        claim: { type: 'string', minLength: 1 },
        overrideScopes: scopeList,
      },
    },
  },
  'x-palisade-claims': {
    places: ['operation'],
    schema: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: { allOf: { type: 'array', minItems: 1, items: claimRule }, anyOf: { type: 'array', minItems: 1, items: claimRule } },
    },
  },
  'x-palisade-step-up': {
    places: ['operation'],
    schema: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: { acr: scopeList, amr: scopeList, maxAge: durationSchema },
    },
  },
  'x-palisade-limits': {
    places: ['document', 'operation'],
    schema: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: { maxBodyBytes: { type: 'integer', minimum: 1 }, maxDepth: { type: 'integer', minimum: 1, maximum: 1000 } },
    },
  },
  'x-palisade-ssrf': {
    places: ['operation'],
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['fields'],
      properties: {
        fields: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^(/[^/]+)+$' } },
        schemes: { type: 'array', minItems: 1, items: { enum: ['https', 'http'] } },
      },
    },
  },
  'x-palisade-audit': {
    places: ['operation'],
    schema: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: {
        redact: { type: 'array', items: { type: 'string', pattern: '^(/[^/]+)+$' } },
        event: { type: 'string', pattern: '^[a-z][a-z0-9_.]{0,63}$' },
      },
    },
  },
  'x-palisade-visible-to': {
    places: ['schema'],
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['scopes'],
      properties: { scopes: scopeList },
    },
  },
  'x-palisade-secret': {
    places: ['schema'],
    schema: { const: true, errorMessage: 'must be true (leave it out for a non-secret field)' },
  },
} as const satisfies Record<string, { places: readonly ExtensionPlace[]; schema: object }>;

export type ExtensionName = keyof typeof EXTENSIONS;

const extensionAjv = new Ajv({ allErrors: true, strict: true, keywords: ['errorMessage'] });
const extensionValidators = Object.fromEntries(
  Object.entries(EXTENSIONS).map(([name, entry]) => [name, extensionAjv.compile(entry.schema)]),
) as Record<ExtensionName, ReturnType<typeof extensionAjv.compile>>;

/**
 * Checks one `x-palisade*` key found at `path` (tokens from the document
 * root) in a place of kind `place`. Throws for unknown names, wrong places
 * and ill-typed values.
 */
export function checkExtension(name: string, value: unknown, path: readonly (string | number)[], place: ExtensionPlace | null): void {
  const pointer = toPointer(path);
  if (!Object.prototype.hasOwnProperty.call(EXTENSIONS, name)) {
    const suggestion = closestExtension(name);
    throw new PalisadeConfigError('ERR_PALISADE_INVALID_EXTENSION', `OpenAPI document at ${pointer}: unknown extension "${name}".${suggestion ? ` Did you mean "${suggestion}"?` : ''} Palisade fails on unknown x-palisade-* keys so that a typo cannot switch a protection off.`, {
      path: pointer,
      received: name,
      fix: suggestion ? `Rename it to "${suggestion}".` : 'See docs/openapi-extensions.md for the extensions Palisade reads.',
    });
  }
  const entry = EXTENSIONS[name as ExtensionName];
  if (place === null || !(entry.places as readonly ExtensionPlace[]).includes(place)) {
    throw new PalisadeConfigError('ERR_PALISADE_INVALID_EXTENSION', `OpenAPI document at ${pointer}: "${name}" is not allowed here; it belongs on ${entry.places.map((p) => (p === 'document' ? 'the document root' : p === 'operation' ? 'an operation' : 'a schema')).join(' or ')}.`, {
      path: pointer,
      fix: `Move "${name}" to ${entry.places.join(' or ')} level.`,
    });
  }
  const validate = extensionValidators[name as ExtensionName];
  if (!validate(value)) {
    const error = pickError(validate.errors ?? []);
    const at = `${pointer}${error.instancePath}`;
    throw new PalisadeConfigError('ERR_PALISADE_INVALID_EXTENSION', `OpenAPI document at ${at}: ${name} ${describeExtensionError(error, name)}; received ${describeValue(value)}.`, {
      path: at,
      received: value,
      fix: 'See docs/openapi-extensions.md for the shape of this extension.',
    });
  }
  // Ranges the schema cannot express.
  walkDurations(name, value, pointer);
  if (name === 'x-palisade-claims') checkClaimPatterns(value as Record<string, unknown>, pointer);
}

// Every name shares the 11-character `x-palisade-` prefix, which would make
// any two names look close; compare what follows it.
function closestExtension(name: string): string | null {
  const bare = name.slice('x-palisade'.length).replace(/^[-_]/, '');
  const match = closestMatch(bare, Object.keys(EXTENSIONS).map((known) => known.slice('x-palisade-'.length)));
  return match === null ? null : `x-palisade-${match}`;
}

function walkDurations(name: string, value: unknown, pointer: string): void {
  if (value === null || typeof value !== 'object') return;
  for (const key of Object.keys(value)) {
    const child = (value as Record<string, unknown>)[key];
    if (key === 'window' || key === 'block' || key === 'maxAge') checkDuration(name, key, child, `${pointer}/${key}`);
    else walkDurations(name, child, `${pointer}/${key}`);
  }
}

// parseDuration reports an option path; in a document the error is the
// extension's, at its JSON pointer.
function checkDuration(name: string, key: string, value: unknown, pointer: string): void {
  try {
    parseDuration(value, pointer);
  } catch (error) {
    throw new PalisadeConfigError('ERR_PALISADE_INVALID_EXTENSION', `OpenAPI document at ${pointer}: ${name} "${key}" must be a positive duration; received ${describeValue(value)}.`, {
      path: pointer,
      received: value,
      fix: 'Use seconds (30) or a string such as "30s", "15m", "1h".',
      cause: error,
    });
  }
}

function checkClaimPatterns(value: Record<string, unknown>, pointer: string): void {
  for (const list of ['allOf', 'anyOf'] as const) {
    const rules = value[list];
    if (!Array.isArray(rules)) continue;
    rules.forEach((rule: Record<string, unknown>, index) => {
      if (typeof rule.matches !== 'string') return;
      try {
        new RegExp(rule.matches, 'u');
      } catch (error) {
        const at = `${pointer}/${list}/${index}/matches`;
        throw new PalisadeConfigError('ERR_PALISADE_INVALID_EXTENSION', `OpenAPI document at ${at}: x-palisade-claims "matches" is not a valid regular expression: ${describeValue(rule.matches)}.`, {
          path: at,
          received: rule.matches,
          fix: 'Write a JavaScript regular expression (it is compiled with the "u" flag).',
          cause: error,
        });
      }
    });
  }
}

// The deepest error names the culprit; at one depth an unknown property
// beats the "required" error its typo causes, since it can say "did you mean".
function pickError(errors: ErrorObject[]): ErrorObject {
  let best = errors[0]!;
  for (const error of errors) {
    if (error.instancePath.length > best.instancePath.length) best = error;
    else if (error.instancePath.length === best.instancePath.length && error.keyword === 'additionalProperties' && best.keyword !== 'additionalProperties') best = error;
  }
  return best;
}

function describeExtensionError(error: ErrorObject, name: string): string {
  const schemaPath = error.schemaPath;
  if (error.keyword === 'additionalProperties') {
    const key = String((error.params as { additionalProperty: string }).additionalProperty);
    const known = collectPropertyNames(EXTENSIONS[name as ExtensionName].schema);
    const suggestion = closestMatch(key, known);
    return `has an unknown property "${key}"${error.instancePath ? ` at ${error.instancePath}` : ''}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`;
  }
  const custom = findErrorMessage(EXTENSIONS[name as ExtensionName].schema, schemaPath);
  const where = error.instancePath ? ` (at ${error.instancePath})` : '';
  return `${custom ?? error.message ?? 'is invalid'}${where}`;
}

function collectPropertyNames(schema: unknown, into = new Set<string>()): string[] {
  if (schema && typeof schema === 'object') {
    const properties = (schema as { properties?: object }).properties;
    if (properties) for (const key of Object.keys(properties)) into.add(key);
    for (const child of Object.values(schema)) if (child && typeof child === 'object') collectPropertyNames(child, into);
  }
  return [...into];
}

function findErrorMessage(schema: unknown, schemaPath: string): string | null {
  const tokens = schemaPath.replace(/^#\/?/, '').split('/').filter(Boolean);
  let current: unknown = schema;
  let found: string | null = null;
  for (const token of tokens) {
    if (current && typeof current === 'object' && typeof (current as { errorMessage?: unknown }).errorMessage === 'string') found = (current as { errorMessage: string }).errorMessage;
    if (!current || typeof current !== 'object') break;
    current = (current as Record<string, unknown>)[token];
  }
  return found;
}
