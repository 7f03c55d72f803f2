import { createRequire } from 'node:module';
import type { Palisade } from '@palisade/core';
import { createResponseFilter } from '@palisade/response-filter';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { documentWith, engineFor, exchange } from './support/harness';

// ajv is core's dependency, not this package's: load the copy core
// resolves, so the checker is the one Palisade's own validation uses.
interface AjvValidator {
  (data: unknown): boolean;
}
const AjvClass = createRequire(new URL('../../core/package.json', import.meta.url))('ajv').default as new (options: object) => { compile(schema: object): AjvValidator };
const ajv = new AjvClass({ strict: false, allErrors: false, validateFormats: false });

// ---------------------------------------------------------------------------
// Generators: schemas in the subset the filter decides shapes by (types,
// nullable type lists, properties, required, additionalProperties, items,
// anyOf, visibility annotations), and values that mostly fit them.

type Schema = Record<string, unknown>;

const KEYS = ['a', 'b', 'id', 'email', 'note'] as const;
const VISIBILITY_SCOPES = ['s1', 's2'] as const;
const SCALARS = ['string', 'integer', 'number', 'boolean'] as const;

const leafSchema: fc.Arbitrary<Schema> = fc.oneof(
  fc.constantFrom(...SCALARS, 'null').map((type) => ({ type })),
  fc.constantFrom(...SCALARS).map((type) => ({ type: [type, 'null'] })),
  fc.constant({}),
);

type Visibility = 'none' | 'secret' | 's1' | 's2' | 's1|s2';

function annotate(schema: Schema, visibility: Visibility): Schema {
  if (visibility === 'none') return schema;
  if (visibility === 'secret') return { ...schema, 'x-palisade-secret': true };
  return { ...schema, 'x-palisade-visible-to': { scopes: visibility.split('|') } };
}

const { schema: schemaArbitrary } = fc.letrec<{ schema: Schema; object: Schema; array: Schema; anyOf: Schema }>((tie) => ({
  schema: fc.oneof({ maxDepth: 3, depthSize: 'small' }, leafSchema, tie('object'), tie('array'), tie('anyOf')),
  object: fc
    .record({
      nullable: fc.boolean(),
      properties: fc.dictionary(fc.constantFrom(...KEYS), fc.record({ schema: tie('schema'), visibility: fc.constantFrom<Visibility>('none', 'none', 'none', 'secret', 's1', 's2', 's1|s2'), required: fc.boolean() }), { maxKeys: 4 }),
      additional: fc.oneof(fc.constant<'absent'>('absent'), fc.constant(false), fc.constant(true), tie('schema')),
    })
    .map(({ nullable, properties, additional }) => {
      const schema: Schema = { type: nullable ? ['object', 'null'] : 'object', properties: {} };
      const required: string[] = [];
      for (const [key, property] of Object.entries(properties)) {
        (schema.properties as Schema)[key] = annotate(property.schema, property.visibility);
        // A hidden property is left out even when required (documented); the
        // generated schemas require only unrestricted ones so that the
        // output can be checked against the schema as written.
        if (property.required && property.visibility === 'none') required.push(key);
      }
      if (required.length > 0) schema.required = required;
      if (additional !== 'absent') schema.additionalProperties = additional;
      return schema;
    }),
  array: tie('schema').map((items) => ({ type: 'array', items })),
  anyOf: fc.tuple(tie('object'), tie('object')).map((branches) => ({ anyOf: branches })),
}));

const noise = fc.jsonValue({ maxDepth: 2 });

function valueFor(schema: Schema): fc.Arbitrary<unknown> {
  return fc.oneof({ arbitrary: fitting(schema), weight: 8 }, { arbitrary: noise, weight: 1 });
}

function fitting(schema: Schema): fc.Arbitrary<unknown> {
  if (Array.isArray(schema.anyOf)) return fc.oneof(...(schema.anyOf as Schema[]).map(valueFor));
  if (schema.type === undefined) return noise;
  const types = ([] as string[]).concat(schema.type as string | string[]);
  return fc.oneof(...types.map((type) => valueOfType(type, schema)));
}

function valueOfType(type: string, schema: Schema): fc.Arbitrary<unknown> {
  switch (type) {
    case 'string':
      return fc.string({ maxLength: 4 });
    case 'integer':
      return fc.integer();
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(valueFor(schema.items as Schema), { maxLength: 3 });
    default: {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const declared = fc.record(Object.fromEntries(Object.entries(properties).map(([key, property]) => [key, valueFor(property)])), { requiredKeys: [] });
      const extra = fc.dictionary(fc.constantFrom('x', 'y', ...KEYS), noise, { maxKeys: 3 });
      return fc.tuple(extra, declared).map(([extras, values]) => ({ ...extras, ...values }));
    }
  }
}

const callerScopes = fc.subarray([...VISIBILITY_SCOPES]);

const scenario = schemaArbitrary.chain((schema) => fc.record({ schema: fc.constant(schema), cases: fc.array(fc.tuple(valueFor(schema), callerScopes), { minLength: 1, maxLength: 6 }) }));

// ---------------------------------------------------------------------------
// Oracles

/**
 * True when every key in `value` is declared for a caller holding `scopes`
 * where it appears: a declared property that is neither secret nor
 * restricted to other scopes, or any key where additionalProperties allows
 * it (and then never a declared but hidden one).
 */
function onlyDeclared(schema: Schema, value: unknown, scopes: readonly string[]): boolean {
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as Schema[]).some((branch) => onlyDeclared(branch, value, scopes));
  if (Array.isArray(value)) return schema.items === undefined || value.every((item) => onlyDeclared(schema.items as Schema, item, scopes));
  if (value === null || typeof value !== 'object') return true;
  const types = schema.type === undefined ? null : ([] as string[]).concat(schema.type as string | string[]);
  if (types === null || !types.includes('object')) return true;
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  return Object.entries(value).every(([key, field]) => {
    const property = properties[key];
    if (property === undefined) {
      const additional = schema.additionalProperties;
      if (additional === true) return true;
      if (additional === undefined || additional === false) return false;
      return onlyDeclared(additional as Schema, field, scopes);
    }
    if (property['x-palisade-secret'] === true) return false;
    const visibleTo = property['x-palisade-visible-to'] as { scopes: string[] } | undefined;
    if (visibleTo !== undefined && !visibleTo.scopes.some((scope) => scopes.includes(scope))) return false;
    return onlyDeclared(property, field, scopes);
  });
}

const engines = new Map<string, Promise<Palisade>>();
function engineForSchema(schema: Schema): Promise<Palisade> {
  const key = JSON.stringify(schema);
  let engine = engines.get(key);
  if (engine === undefined) {
    engine = engineFor(documentWith(schema), createResponseFilter());
    engines.set(key, engine);
  }
  return engine;
}

describe('the response filter, on generated schemas and bodies', () => {
  it('sends only bodies that validate against the schema and hold no undeclared or hidden key; refuses the rest with a 500', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ schema, cases }) => {
        const engine = await engineForSchema(schema);
        const validate = ajv.compile(schema);
        for (const [body, scopes] of cases) {
          const sent = exchange(engine, { url: '/thing', scopes, body });
          if (sent.reply !== null) {
            expect(sent.reply.status).toBe(500);
            expect(sent.ctx.denial?.reason).toBe('response_invalid');
            continue;
          }
          expect(validate(sent.body)).toBe(true);
          expect(onlyDeclared(schema, sent.body, scopes)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never refuses a body that already validates against the schema', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ schema, cases }) => {
        const engine = await engineForSchema(schema);
        const validate = ajv.compile(schema);
        for (const [body, scopes] of cases) {
          if (!validate(body)) continue;
          expect(exchange(engine, { url: '/thing', scopes, body }).reply).toBeNull();
        }
      }),
      { numRuns: 300 },
    );
  });

  it('is idempotent: filtering a filtered body changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ schema, cases }) => {
        const engine = await engineForSchema(schema);
        for (const [body, scopes] of cases) {
          const once = exchange(engine, { url: '/thing', scopes, body });
          if (once.reply !== null) continue;
          const twice = exchange(engine, { url: '/thing', scopes, body: once.body });
          expect(twice.reply).toBeNull();
          expect(twice.body).toEqual(once.body);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('never changes the body it was given', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ schema, cases }) => {
        const engine = await engineForSchema(schema);
        for (const [body, scopes] of cases) {
          const copy = structuredClone(body);
          exchange(engine, { url: '/thing', scopes, body });
          expect(body).toEqual(copy);
        }
      }),
      { numRuns: 100 },
    );
  });
});
