import { readFile } from 'node:fs/promises';
import { createPalisade, loadDocument, PalisadeConfigError } from '@palisade/core';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { FIXTURES_DIR, fixturePath, REFERENCE_DOCUMENT } from './fixtures/fixture-paths';

async function loadError(source: string | object, baseDir?: string): Promise<PalisadeConfigError> {
  const error = await loadDocument(source, baseDir).then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PalisadeConfigError);
  return error as PalisadeConfigError;
}

const minimal = (extra: Record<string, unknown> = {}) => ({
  openapi: '3.1.0',
  info: { title: 'minimal', version: '1.0.0' },
  paths: { '/ping': { get: { operationId: 'ping', responses: { '200': { description: 'OK' } } } } },
  ...extra,
});

describe('loadDocument: sources and versions', () => {
  it('loads the reference document (3.1, YAML, path)', async () => {
    const loaded = await loadDocument(REFERENCE_DOCUMENT);
    expect(loaded.version).toBe('3.1');
    expect(loaded.source).toBe(REFERENCE_DOCUMENT);
    expect(Object.keys(loaded.document.paths ?? {})).toContain('/orders/{orderId}');
  });

  it('loads an OpenAPI 3.0 document', async () => {
    const loaded = await loadDocument(fixturePath('openapi-3.0.yaml'));
    expect(loaded.version).toBe('3.0');
    expect(loaded.document.openapi).toBe('3.0.3');
  });

  it('loads a JSON document', async () => {
    const loaded = await loadDocument(fixturePath('openapi-3.1.json'));
    expect(loaded.version).toBe('3.1');
    expect(loaded.document.paths).toHaveProperty('/pets');
  });

  it('loads an object source, without touching the object given', async () => {
    const source = minimal();
    const snapshot = structuredClone(source);
    const loaded = await loadDocument(source);
    expect(loaded.source).toBeNull();
    expect(loaded.version).toBe('3.1');
    expect(loaded.document).not.toBe(source);
    expect(source).toEqual(snapshot);
  });

  it('loads the parsed reference document as an object', async () => {
    const object = parseYaml(await readFile(REFERENCE_DOCUMENT, 'utf8')) as object;
    const loaded = await loadDocument(object);
    expect(loaded.source).toBeNull();
    expect(loaded.document.paths).toHaveProperty('/admin/users');
  });

  it('resolves a relative path against baseDir', async () => {
    const loaded = await loadDocument('openapi-3.0.yaml', FIXTURES_DIR);
    expect(loaded.source).toBe(fixturePath('openapi-3.0.yaml'));
  });

  it('bundles a relative-file $ref into the document', async () => {
    const loaded = await loadDocument(fixturePath('split/main.yaml'));
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- walking a parsed document
    const post = (loaded.document.paths as Record<string, any>)['/pets'].post;
    expect(post.requestBody.content['application/json'].schema).toMatchObject({ type: 'object', required: ['name'] });
    const pet = post.responses['201'].content['application/json'].schema;
    expect(pet.required).toEqual(['id', 'name']);
    // The file's own internal $ref (#/Tag) is resolved too: no $ref to another file is left.
    expect(JSON.stringify(loaded.document)).not.toMatch(/"\$ref":"\.\//);
  });

  it('resolves relative-file $refs of an object source against baseDir', async () => {
    const source = minimal({
      paths: {
        '/pets': { get: { operationId: 'getPet', responses: { '200': { description: 'A pet', content: { 'application/json': { schema: { $ref: './split/schemas.yaml#/Pet' } } } } } } },
      },
    });
    const loaded = await loadDocument(source, FIXTURES_DIR);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- walking a parsed document
    const schema = (loaded.document.paths as Record<string, any>)['/pets'].get.responses['200'].content['application/json'].schema;
    expect(schema).toMatchObject({ type: 'object', required: ['id', 'name'] });
  });

  it('createPalisade loads 3.0 and 3.1, YAML and JSON, paths and objects', async () => {
    for (const document of [fixturePath('openapi-3.0.yaml'), fixturePath('openapi-3.1.json'), fixturePath('split/main.yaml'), minimal()]) {
      const palisade = await createPalisade({ document });
      expect(palisade.operations.length).toBeGreaterThan(0);
    }
    const relative = await createPalisade({ document: 'split/main.yaml', baseDir: FIXTURES_DIR });
    expect(relative.operations.map((operation) => operation.operationId)).toEqual(['createPet']);
  });
});

describe('loadDocument: a broken document stops start-up, naming the JSON pointer', () => {
  it('invalid document', async () => {
    const error = await loadError(fixturePath('invalid-document.yaml'));
    expect(error.code).toBe('ERR_PALISADE_DOCUMENT_INVALID');
    expect(error.path).toBe('/paths/~1pets/get/responses/200');
    expect(error.message).toContain('at /paths/~1pets/get/responses/200');
    expect(error.message).toContain('unknown property "headerz"');
    expect(error.message).toContain(fixturePath('invalid-document.yaml'));
  });

  it('invalid 3.0 document', async () => {
    const error = await loadError({ openapi: '3.0.3', info: { title: 't', version: '1' }, paths: { '/a': { get: { responses: { '200': { descriptio: 'typo' } } } } } });
    expect(error.code).toBe('ERR_PALISADE_DOCUMENT_INVALID');
    expect(error.message).toMatch(/at \/paths\/~1a\/get\/responses\/200/);
  });

  it('a wrong type deep inside the document', async () => {
    const error = await loadError(minimal({ paths: { '/ping': { get: { operationId: 42, responses: { '200': { description: 'OK' } } } } } }));
    expect(error.code).toBe('ERR_PALISADE_DOCUMENT_INVALID');
    expect(error.path).toBe('/paths/~1ping/get/operationId');
    expect(error.message).toContain('at /paths/~1ping/get/operationId');
  });

  it('dangling internal $ref', async () => {
    const error = await loadError(fixturePath('dangling-ref.yaml'));
    expect(error.code).toBe('ERR_PALISADE_DANGLING_REF');
    expect(error.path).toBe('/paths/~1pets/get/responses/200/content/application~1json/schema');
    expect(error.message).toContain('at /paths/~1pets/get/responses/200/content/application~1json/schema');
    expect(error.message).toContain('#/components/schemas/Missing');
    expect(error.fix).toMatch(/\$ref/);
  });

  it('dangling $ref into a missing file', async () => {
    const error = await loadError(fixturePath('dangling-file-ref.yaml'));
    expect(error.code).toBe('ERR_PALISADE_DANGLING_REF');
    expect(error.message).toContain('at /paths/~1pets/get/responses/200/content/application~1json/schema');
    expect(error.message).toContain('no-such-file.yaml');
  });

  it('dangling $ref in an object source', async () => {
    const error = await loadError(minimal({ components: { parameters: { Limit: { $ref: '#/components/parameters/Nope' } } } }));
    expect(error.code).toBe('ERR_PALISADE_DANGLING_REF');
    expect(error.message).toContain('/components/parameters/Limit');
  });

  it('never fetches a remote $ref', async () => {
    const source = minimal({
      paths: { '/ping': { get: { responses: { '200': { description: 'OK', content: { 'application/json': { schema: { $ref: 'http://127.0.0.1:9/schemas.yaml#/Pet' } } } } } } } },
    });
    const error = await loadError(source);
    expect(error.code).toBe('ERR_PALISADE_DANGLING_REF');
    expect(error.message).toContain('at /paths/~1ping/get/responses/200/content/application~1json/schema');
    expect(error.message).toContain('remote $refs are never fetched');
    expect(error.fix).toContain('relative path');
  });

  it('unsupported OpenAPI version', async () => {
    for (const openapi of ['2.0', '3.2.0', '3.1', 3.1]) {
      const error = await loadError({ ...minimal(), openapi });
      expect(error.code).toBe('ERR_PALISADE_DOCUMENT_INVALID');
      expect(error.path).toBe('/openapi');
      expect(error.message).toContain('at /openapi');
    }
    const swagger = await loadError({ swagger: '2.0', info: { title: 't', version: '1' }, paths: {} });
    expect(swagger.path).toBe('/openapi');
  });

  it('a document that is not an object', async () => {
    const error = await loadError([] as unknown as object);
    expect(error.code).toBe('ERR_PALISADE_DOCUMENT_INVALID');
  });

  it('a source that is neither a path nor an object', async () => {
    const error = await loadError(42 as unknown as string);
    expect(error.code).toBe('ERR_PALISADE_INVALID_OPTIONS');
    expect(error.path).toBe('document');
  });

  it('a file that does not exist', async () => {
    const error = await loadError(fixturePath('no-such-document.yaml'));
    expect(error.code).toBe('ERR_PALISADE_DOCUMENT_UNREADABLE');
    expect(error.message).toContain('no-such-document.yaml');
  });

  it('a file that is not YAML', async () => {
    const error = await loadError(fixturePath('not-yaml.yaml'));
    expect(error.code).toBe('ERR_PALISADE_DOCUMENT_UNREADABLE');
    expect(error.message).toMatch(/line \d+/);
    expect(error.cause).toBeDefined();
  });

  it('createPalisade rejects with the same error', async () => {
    await expect(createPalisade({ document: fixturePath('dangling-ref.yaml') })).rejects.toMatchObject({
      name: 'PalisadeConfigError',
      code: 'ERR_PALISADE_DANGLING_REF',
      path: '/paths/~1pets/get/responses/200/content/application~1json/schema',
    });
  });
});
