import { compileDocument, EXTENSIONS, loadDocument, PalisadeConfigError, type CompiledDocument } from '@palisade/core';
import { describe, expect, it } from 'vitest';
import { fixturePath } from './fixtures/fixture-paths';

async function compile(source: string | object): Promise<CompiledDocument> {
  return compileDocument(await loadDocument(source));
}

async function compileError(source: string | object): Promise<PalisadeConfigError> {
  const error = await compile(source).then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PalisadeConfigError);
  return error as PalisadeConfigError;
}

/** A document with one operation, POST /things, carrying `operation`'s extra keys. */
function withOperation(operation: Record<string, unknown>, root: Record<string, unknown> = {}): object {
  return {
    openapi: '3.1.0',
    info: { title: 'extensions', version: '1' },
    paths: {
      '/things': {
        post: {
          operationId: 'createThing',
          requestBody: {
            content: { 'application/json': { schema: { type: 'object', properties: { url: { type: 'string' }, username: { type: 'string' } } } } },
          },
          responses: { '201': { description: 'Created' } },
          ...operation,
        },
      },
    },
    ...root,
  };
}

const POINTER = '/paths/~1things/post';

describe('x-palisade-* extensions: unknown names', () => {
  it('a misspelled extension stops start-up with "did you mean"', async () => {
    const error = await compileError(fixturePath('misspelled-extension.yaml'));
    expect(error.code).toBe('ERR_PALISADE_INVALID_EXTENSION');
    expect(error.path).toBe('/paths/~1login/post/x-palisade-rate-limt');
    expect(error.message).toContain('at /paths/~1login/post/x-palisade-rate-limt');
    expect(error.message).toContain('Did you mean "x-palisade-rate-limit"?');
    expect(error.fix).toBe('Rename it to "x-palisade-rate-limit".');
  });

  it('a name far from every extension still stops start-up, pointing at the docs', async () => {
    const error = await compileError(withOperation({ 'x-palisade-magic': true }));
    expect(error.code).toBe('ERR_PALISADE_INVALID_EXTENSION');
    expect(error.message).toContain('unknown extension "x-palisade-magic"');
    expect(error.message).not.toContain('Did you mean');
    expect(error.fix).toContain('docs/openapi-extensions.md');
  });

  it.each([
    ['x-palisade-ratelimit', 'x-palisade-rate-limit'],
    ['x-palisade-owner-ship', 'x-palisade-ownership'],
    ['x-palisade-stepup', 'x-palisade-step-up'],
    ['x-palisade-visible_to', 'x-palisade-visible-to'],
    ['x-palisade-secrets', 'x-palisade-secret'],
    ['x-palisade', null],
  ])('%s', async (name, suggestion) => {
    const error = await compileError(withOperation({ [name]: {} }));
    expect(error.code).toBe('ERR_PALISADE_INVALID_EXTENSION');
    if (suggestion) expect(error.message).toContain(`Did you mean "${suggestion}"?`);
  });

  it('checks extensions anywhere in the document, not only on operations', async () => {
    const error = await compileError(withOperation({}, { components: { schemas: { Thing: { type: 'object', 'x-palisade-visibleto': { scopes: ['a'] } } } } }));
    expect(error.path).toBe('/components/schemas/Thing/x-palisade-visibleto');
    expect(error.message).toContain('Did you mean "x-palisade-visible-to"?');
  });

  it('leaves data alone: examples, enums, defaults and property names', async () => {
    const compiled = await compile(
      withOperation({
        requestBody: {
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: { 'x-palisade-note': { type: 'string', enum: ['x-palisade-a'], default: 'x-palisade-b' } },
                example: { 'x-palisade-whatever': 1 },
              },
              examples: { one: { value: { 'x-palisade-whatever': 1 } } },
            },
          },
        },
      }),
    );
    expect(compiled.operations).toHaveLength(1);
  });
});

describe('x-palisade-* extensions: types and places', () => {
  it('an ill-typed extension names the pointer of the bad value', async () => {
    const error = await compileError(fixturePath('ill-typed-extension.yaml'));
    expect(error.code).toBe('ERR_PALISADE_INVALID_EXTENSION');
    expect(error.path).toBe('/paths/~1login/post/x-palisade-rate-limit/limit');
    expect(error.message).toContain('at /paths/~1login/post/x-palisade-rate-limit/limit');
    expect(error.message).toContain('must be integer');
    expect(error.fix).toContain('docs/openapi-extensions.md');
  });

  it('an unknown field gets its own "did you mean"', async () => {
    const error = await compileError(withOperation({ 'x-palisade-rate-limit': { limit: 5, windw: '1m' } }));
    expect(error.code).toBe('ERR_PALISADE_INVALID_EXTENSION');
    expect(error.message).toContain(`at ${POINTER}/x-palisade-rate-limit`);
    expect(error.message).toContain('did you mean "window"?');
  });

  it('a missing required field is reported', async () => {
    const error = await compileError(withOperation({ 'x-palisade-ownership': { resource: 'order' } }));
    expect(error.message).toContain("must have required property 'param'");
  });

  it('a bad duration is reported with the duration hint, at its pointer', async () => {
    const error = await compileError(withOperation({ 'x-palisade-quota': { limit: 3, window: '10 minutes' } }));
    expect(error.path).toBe(`${POINTER}/x-palisade-quota/window`);
    expect(error.message).toContain('must be a duration');
  });

  it('a zero duration is an extension error at its pointer', async () => {
    const error = await compileError(withOperation({ 'x-palisade-rate-limit': [{ limit: 5, window: '1m' }, { limit: 50, window: '0s' }] }));
    expect(error.code).toBe('ERR_PALISADE_INVALID_EXTENSION');
    expect(error.path).toBe(`${POINTER}/x-palisade-rate-limit/1/window`);
    expect(error.message).toContain(`at ${POINTER}/x-palisade-rate-limit/1/window`);
  });

  it('a claim test must hold exactly one test', async () => {
    const error = await compileError(withOperation({ 'x-palisade-claims': { allOf: [{ claim: 'email_verified', equals: true, contains: 'x' }] } }));
    expect(error.path).toBe(`${POINTER}/x-palisade-claims/allOf/0`);
    expect(error.message).toContain('exactly one test');
  });

  it('a claim pattern must be a valid regular expression', async () => {
    const error = await compileError(withOperation({ 'x-palisade-claims': { anyOf: [{ claim: 'email', matches: '[' }] } }));
    expect(error.code).toBe('ERR_PALISADE_INVALID_EXTENSION');
    expect(error.path).toBe(`${POINTER}/x-palisade-claims/anyOf/0/matches`);
  });

  it('x-palisade-secret must be true', async () => {
    const error = await compileError(withOperation({}, { components: { schemas: { User: { type: 'object', properties: { hash: { type: 'string', 'x-palisade-secret': false } } } } } }));
    expect(error.path).toBe('/components/schemas/User/properties/hash/x-palisade-secret');
    expect(error.message).toContain('must be true');
  });

  it.each([
    ['a schema extension on an operation', withOperation({ 'x-palisade-secret': true }), `${POINTER}/x-palisade-secret`, 'a schema'],
    ['an operation extension on the root', withOperation({}, { 'x-palisade-ownership': { resource: 'order', param: 'id' } }), '/x-palisade-ownership', 'an operation'],
    [
      'an operation extension on a schema',
      withOperation({}, { components: { schemas: { Thing: { type: 'object', 'x-palisade-quota': { limit: 1, window: 1 } } } } }),
      '/components/schemas/Thing/x-palisade-quota',
      'an operation',
    ],
    ['a document extension on a path item', { ...withOperation({}), paths: { '/things': { 'x-palisade-limits': { maxDepth: 3 }, get: { responses: { '200': { description: 'OK' } } } } } }, '/paths/~1things/x-palisade-limits', 'the document root or an operation'],
    ['a schema extension in info', withOperation({}, { info: { title: 't', version: '1', 'x-palisade-secret': true } }), '/info/x-palisade-secret', 'a schema'],
  ])('refuses %s', async (_title, document, pointer, belongs) => {
    const error = await compileError(document);
    expect(error.code).toBe('ERR_PALISADE_INVALID_EXTENSION');
    expect(error.path).toBe(pointer);
    expect(error.message).toContain('is not allowed here');
    expect(error.message).toContain(`it belongs on ${belongs}`);
  });

  it('accepts every extension in a place it is declared for', async () => {
    const places = new Set(Object.values(EXTENSIONS).flatMap((entry) => entry.places));
    expect([...places].sort()).toEqual(['document', 'operation', 'schema']);
    const compiled = await compile(
      withOperation(
        { 'x-palisade-step-up': { amr: ['mfa'] } },
        {
          'x-palisade-limits': { maxBodyBytes: 1024 },
          components: { schemas: { Thing: { type: 'object', properties: { email: { type: 'string', 'x-palisade-visible-to': { scopes: ['things:admin'] } } } } } },
        },
      ),
    );
    expect(compiled.operations[0]!.extensions.stepUp).toEqual({ acr: [], amr: ['mfa'], maxAgeMs: null });
  });
});
