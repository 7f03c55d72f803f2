import { PalisadeConfigError, describeValue } from '../errors';
import { checkExtension, type ExtensionPlace } from '../openapi/extensions';
import { resolvePointer, toPointer } from '../openapi/json-pointer';
import type { LoadedDocument, OpenApiDocument } from '../openapi/load-document';
import { deepFreeze, parseDuration } from '../options';
import {
  HTTP_METHODS,
  type AuditRule,
  type BodyLimits,
  type BruteForceRule,
  type ClaimTest,
  type ClaimsRule,
  type DocumentExtensions,
  type HttpMethod,
  type MediaTypePolicy,
  type OperationExtensions,
  type OperationPolicy,
  type OwnershipRule,
  type ParameterLocation,
  type ParameterPolicy,
  type QuotaRule,
  type RateLimitRule,
  type RequestBodyPolicy,
  type ResponsePolicy,
  type SecurityRequirement,
  type SsrfRule,
  type StepUpRule,
} from './operation-policy';

/** The whole document, compiled: one frozen policy per operation. */
export interface CompiledDocument {
  readonly document: OpenApiDocument;
  readonly version: '3.0' | '3.1';
  readonly operations: readonly OperationPolicy[];
  readonly operationsById: ReadonlyMap<string, OperationPolicy>;
  readonly extensions: DocumentExtensions;
}

const LOWER_METHODS = new Set(HTTP_METHODS.map((method) => method.toLowerCase()));
// Values that are data, not document structure: an `x-palisade-*` key in an
// example or an enum is not an extension, and a property *named* so is not either.
const DATA_KEYS = new Set(['example', 'examples', 'enum', 'const', 'default']);
const NAME_MAP_KEYS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);

/**
 * Compiles a loaded document into per-operation policies. Runs once at
 * start-up; every problem stops it with the JSON pointer at fault.
 */
export function compileDocument(loaded: LoadedDocument): CompiledDocument {
  const { document } = loaded;
  checkAllExtensions(document);
  const documentExtensions = compileDocumentExtensions(document);
  const operations: OperationPolicy[] = [];
  const operationsById = new Map<string, OperationPolicy>();
  const paths = (document.paths ?? {}) as Record<string, unknown>;

  for (const pathTemplate of Object.keys(paths)) {
    if (pathTemplate.startsWith('x-')) continue;
    const pathPointer = ['paths', pathTemplate];
    const pathItem = deref(document, paths[pathTemplate], pathPointer) as Record<string, unknown>;
    const templateParams = parseTemplateParams(pathTemplate, toPointer(pathPointer));
    const pathLevelParams = (pathItem.parameters ?? []) as unknown[];

    for (const key of Object.keys(pathItem)) {
      if (!LOWER_METHODS.has(key)) continue;
      const operationPath = [...pathPointer, key];
      const operation = pathItem[key] as Record<string, unknown>;
      const method = key.toUpperCase() as HttpMethod;
      const operationId = typeof operation.operationId === 'string' ? operation.operationId : `${method} ${pathTemplate}`;
      const existing = operationsById.get(operationId);
      if (existing) {
        throw new PalisadeConfigError('ERR_PALISADE_DUPLICATE_OPERATION_ID', `OpenAPI document at ${toPointer([...operationPath, 'operationId'])}: operationId "${operationId}" is already used at ${existing.pointer}. Each operation needs its own operationId.`, {
          path: toPointer([...operationPath, 'operationId']),
          received: operationId,
          fix: 'Rename one of the two operationIds.',
        });
      }
      const parameters = compileParameters(document, pathLevelParams, pathPointer, (operation.parameters ?? []) as unknown[], operationPath);
      checkPathParameters(pathTemplate, templateParams, parameters, toPointer(operationPath));
      const { security, source } = compileSecurity(document, operation);
      const policy: OperationPolicy = deepFreeze({
        operationId,
        method,
        pathTemplate,
        pointer: toPointer(operationPath),
        security,
        securitySource: source,
        isPublic: security.length === 0 || security.some((requirement) => requirement.length === 0),
        parameters,
        requestBody: compileRequestBody(document, operation.requestBody, [...operationPath, 'requestBody']),
        responses: compileResponses(document, operation.responses, [...operationPath, 'responses']),
        extensions: compileOperationExtensions(operation, documentExtensions),
      });
      operations.push(policy);
      operationsById.set(operationId, policy);
    }
  }
  return Object.freeze({
    document: deepFreeze(document),
    version: loaded.version,
    operations: Object.freeze(operations),
    operationsById,
    extensions: documentExtensions,
  });
}

function deref(document: OpenApiDocument, value: unknown, path: readonly (string | number)[]): unknown {
  let current = value;
  const seen = new Set<string>();
  while (current !== null && typeof current === 'object' && typeof (current as { $ref?: unknown }).$ref === 'string') {
    const ref = (current as { $ref: string }).$ref;
    if (seen.has(ref)) throw new PalisadeConfigError('ERR_PALISADE_DANGLING_REF', `OpenAPI document at ${toPointer(path)}: $ref ${ref} refers to itself`, { path: toPointer(path) });
    seen.add(ref);
    current = resolvePointer(document, ref);
  }
  return current;
}

function refPointer(value: unknown, fallback: readonly (string | number)[]): string {
  const ref = (value as { $ref?: unknown } | null)?.$ref;
  return typeof ref === 'string' ? ref.slice(1) : toPointer(fallback);
}

/** `/a/{x}/b{y}.json` -> `['x', 'y']`, checking the template's syntax. */
export function parseTemplateParams(template: string, pointer: string): string[] {
  if (!template.startsWith('/')) {
    throw new PalisadeConfigError('ERR_PALISADE_DOCUMENT_INVALID', `OpenAPI document at ${pointer}: path "${template}" must start with "/"`, { path: pointer });
  }
  const names: string[] = [];
  const pattern = /\{([^{}]*)\}/g;
  for (const segment of template.split('/').slice(1)) {
    const stripped = segment.replace(pattern, '');
    if (stripped.includes('{') || stripped.includes('}')) {
      throw new PalisadeConfigError('ERR_PALISADE_DOCUMENT_INVALID', `OpenAPI document at ${pointer}: path "${template}" has unbalanced braces`, { path: pointer });
    }
    if (/\}\{/.test(segment)) {
      throw new PalisadeConfigError('ERR_PALISADE_DOCUMENT_INVALID', `OpenAPI document at ${pointer}: path "${template}" puts two parameters side by side in one segment; they cannot be told apart`, { path: pointer });
    }
    for (const match of segment.matchAll(pattern)) {
      const name = match[1]!;
      if (name === '' || names.includes(name)) {
        throw new PalisadeConfigError('ERR_PALISADE_DOCUMENT_INVALID', `OpenAPI document at ${pointer}: path "${template}" has ${name === '' ? 'an empty' : `a repeated`} parameter name${name ? ` "${name}"` : ''}`, { path: pointer });
      }
      names.push(name);
    }
  }
  return names;
}

function compileParameters(
  document: OpenApiDocument,
  pathLevel: unknown[],
  pathPointer: readonly string[],
  operationLevel: unknown[],
  operationPath: readonly string[],
): ParameterPolicy[] {
  const byKey = new Map<string, ParameterPolicy>();
  const add = (list: unknown[], base: readonly (string | number)[]) => {
    list.forEach((raw, index) => {
      const parameter = compileParameter(document, raw, [...base, 'parameters', index]);
      byKey.set(`${parameter.in}:${parameter.in === 'header' ? parameter.name.toLowerCase() : parameter.name}`, parameter);
    });
  };
  add(pathLevel, pathPointer);
  // Operation-level parameters override path-level ones of the same name and location.
  add(operationLevel, operationPath);
  return [...byKey.values()];
}

function compileParameter(document: OpenApiDocument, raw: unknown, path: readonly (string | number)[]): ParameterPolicy {
  const pointer = refPointer(raw, path);
  const parameter = deref(document, raw, path) as Record<string, unknown>;
  const location = parameter.in as ParameterLocation;
  const defaultStyle = location === 'query' || location === 'cookie' ? 'form' : 'simple';
  const style = typeof parameter.style === 'string' ? parameter.style : defaultStyle;
  return {
    name: String(parameter.name),
    in: location,
    required: parameter.required === true,
    schema: parameter.schema === undefined ? null : { pointer: `${pointer}/schema`, schema: parameter.schema },
    content: parameter.content === undefined ? null : compileContent(document, parameter.content, `${pointer}/content`),
    style,
    explode: typeof parameter.explode === 'boolean' ? parameter.explode : style === 'form',
    allowReserved: parameter.allowReserved === true,
    pointer,
  };
}

function checkPathParameters(template: string, names: readonly string[], parameters: readonly ParameterPolicy[], pointer: string): void {
  for (const name of names) {
    if (!parameters.some((parameter) => parameter.in === 'path' && parameter.name === name)) {
      throw new PalisadeConfigError('ERR_PALISADE_DOCUMENT_INVALID', `OpenAPI document at ${pointer}: path parameter "{${name}}" of "${template}" is not declared in parameters`, {
        path: pointer,
        fix: `Declare { name: ${name}, in: path, required: true, schema: ... } on the path or the operation.`,
      });
    }
  }
  for (const parameter of parameters) {
    if (parameter.in === 'path' && !names.includes(parameter.name)) {
      throw new PalisadeConfigError('ERR_PALISADE_DOCUMENT_INVALID', `OpenAPI document at ${parameter.pointer}: path parameter "${parameter.name}" does not appear in "${template}"`, { path: parameter.pointer });
    }
  }
}

function compileContent(document: OpenApiDocument, content: unknown, pointer: string): MediaTypePolicy[] {
  if (content === null || typeof content !== 'object') return [];
  return Object.keys(content).map((mediaType) => {
    const media = (content as Record<string, unknown>)[mediaType] as Record<string, unknown> | undefined;
    const mediaPointer = `${pointer}/${mediaType.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    return {
      mediaType: mediaType.split(';')[0]!.trim().toLowerCase(),
      schema: media?.schema === undefined ? null : { pointer: `${mediaPointer}/schema`, schema: media.schema },
      pointer: mediaPointer,
    };
  });
}

function compileRequestBody(document: OpenApiDocument, raw: unknown, path: readonly (string | number)[]): RequestBodyPolicy | null {
  if (raw === undefined) return null;
  const pointer = refPointer(raw, path);
  const body = deref(document, raw, path) as Record<string, unknown>;
  return { required: body.required === true, content: compileContent(document, body.content, `${pointer}/content`), pointer };
}

function compileResponses(document: OpenApiDocument, raw: unknown, path: readonly (string | number)[]): ResponsePolicy[] {
  if (raw === null || typeof raw !== 'object') return [];
  return Object.keys(raw)
    .filter((status) => !status.startsWith('x-'))
    .map((status) => {
      const entry = (raw as Record<string, unknown>)[status];
      const pointer = refPointer(entry, [...path, status]);
      const response = deref(document, entry, [...path, status]) as Record<string, unknown>;
      return { status: status.toUpperCase() === status ? status : status.toLowerCase(), content: compileContent(document, response.content, `${pointer}/content`), pointer };
    });
}

function compileSecurity(document: OpenApiDocument, operation: Record<string, unknown>): { security: SecurityRequirement[]; source: OperationPolicy['securitySource'] } {
  const own = operation.security;
  const inherited = document.security;
  const source = own !== undefined ? 'operation' : inherited !== undefined ? 'document' : 'none';
  const raw = (own ?? inherited ?? []) as Record<string, string[]>[];
  return {
    source,
    security: raw.map((requirement) => Object.keys(requirement).map((scheme) => ({ scheme, scopes: [...(requirement[scheme] ?? [])] }))),
  };
}

function checkAllExtensions(document: OpenApiDocument): void {
  const stack: { value: unknown; path: (string | number)[]; place: ExtensionPlace | null; isNameMap: boolean }[] = [
    { value: document, path: [], place: 'document', isNameMap: false },
  ];
  while (stack.length > 0) {
    const { value, path, place, isNameMap } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    for (const key of Object.keys(value)) {
      const child = (value as Record<string, unknown>)[key];
      if (!isNameMap && key.toLowerCase().startsWith('x-palisade')) {
        checkExtension(key, child, [...path, key], place);
        continue;
      }
      if (!isNameMap && DATA_KEYS.has(key)) continue;
      const childPath = [...path, key];
      stack.push({ value: child, path: childPath, place: placeOf(childPath), isNameMap: !isNameMap && NAME_MAP_KEYS.has(key) });
    }
  }
}

function placeOf(path: readonly (string | number)[]): ExtensionPlace | null {
  if (path.length === 3 && path[0] === 'paths' && LOWER_METHODS.has(String(path[2]))) return 'operation';
  if (path[0] === 'components' && path[1] === 'schemas' && path.length >= 3) return 'schema';
  if (path.includes('schema')) return 'schema';
  return null;
}

function compileRateLimitRules(raw: unknown): RateLimitRule[] | null {
  if (raw === undefined) return null;
  const list = (Array.isArray(raw) ? raw : [raw]) as Record<string, unknown>[];
  return list.map((rule) => ({
    name: typeof rule.name === 'string' ? rule.name : null,
    by: (rule.by as RateLimitRule['by'] | undefined) ?? ['ip'],
    limit: rule.limit as number,
    windowMs: parseDuration(rule.window, 'window'),
    cost: (rule.cost as number | undefined) ?? 1,
    blockMs: rule.block === undefined ? null : parseDuration(rule.block, 'block'),
  }));
}

function compileLimits(raw: unknown, base: BodyLimits | null): BodyLimits | null {
  if (raw === undefined) return base;
  const limits = raw as { maxBodyBytes?: number; maxDepth?: number };
  return { maxBodyBytes: limits.maxBodyBytes ?? base?.maxBodyBytes ?? null, maxDepth: limits.maxDepth ?? base?.maxDepth ?? null };
}

function compileDocumentExtensions(document: OpenApiDocument): DocumentExtensions {
  return deepFreeze({
    rateLimits: compileRateLimitRules(document['x-palisade-rate-limit']),
    limits: compileLimits(document['x-palisade-limits'], null),
  });
}

function compileOperationExtensions(operation: Record<string, unknown>, documentExtensions: DocumentExtensions): OperationExtensions {
  const quota = operation['x-palisade-quota'] as Record<string, unknown> | undefined;
  const bruteForce = operation['x-palisade-brute-force'] as Record<string, unknown> | undefined;
  const ownership = operation['x-palisade-ownership'] as Record<string, unknown> | undefined;
  const claims = operation['x-palisade-claims'] as Record<string, unknown> | undefined;
  const stepUp = operation['x-palisade-step-up'] as Record<string, unknown> | undefined;
  const ssrf = operation['x-palisade-ssrf'] as Record<string, unknown> | undefined;
  const audit = operation['x-palisade-audit'] as Record<string, unknown> | undefined;
  const perAddress = bruteForce?.perAddress as Record<string, unknown> | undefined;
  return {
    rateLimits: compileRateLimitRules(operation['x-palisade-rate-limit']),
    quota: quota
      ? ({
          by: (quota.by as QuotaRule['by'] | undefined) ?? ['sub'],
          limit: quota.limit as number,
          windowMs: parseDuration(quota.window, 'window'),
          countOn: (quota.countOn as QuotaRule['countOn'] | undefined) ?? 'attempt',
        } satisfies QuotaRule)
      : null,
    bruteForce: bruteForce
      ? ({
          identifier: bruteForce.identifier as string,
          maxFailures: bruteForce.maxFailures as number,
          windowMs: parseDuration(bruteForce.window, 'window'),
          blockMs: parseDuration(bruteForce.block ?? bruteForce.window, 'block'),
          perAddress: perAddress ? { limit: perAddress.limit as number, windowMs: parseDuration(perAddress.window, 'window') } : null,
        } satisfies BruteForceRule)
      : null,
    ownership: ownership
      ? ({
          resource: ownership.resource as string,
          param: ownership.param as string,
          ownerField: (ownership.ownerField as string | undefined) ?? 'ownerId',
          claim: (ownership.claim as string | undefined) ?? 'sub',
          overrideScopes: (ownership.overrideScopes as string[] | undefined) ?? [],
        } satisfies OwnershipRule)
      : null,
    claims: claims ? ({ allOf: compileClaimTests(claims.allOf), anyOf: compileClaimTests(claims.anyOf) } satisfies ClaimsRule) : null,
    stepUp: stepUp
      ? ({
          acr: (stepUp.acr as string[] | undefined) ?? [],
          amr: (stepUp.amr as string[] | undefined) ?? [],
          maxAgeMs: stepUp.maxAge === undefined ? null : parseDuration(stepUp.maxAge, 'maxAge'),
        } satisfies StepUpRule)
      : null,
    limits: compileLimits(operation['x-palisade-limits'], documentExtensions.limits),
    ssrf: ssrf ? ({ fields: ssrf.fields as string[], schemes: (ssrf.schemes as SsrfRule['schemes'] | undefined) ?? ['https'] } satisfies SsrfRule) : null,
    audit: audit ? ({ redact: (audit.redact as string[] | undefined) ?? [], event: (audit.event as string | undefined) ?? null } satisfies AuditRule) : null,
  };
}

function compileClaimTests(raw: unknown): ClaimTest[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((rule: Record<string, unknown>) => {
    const test = (['equals', 'contains', 'matches'] as const).find((name) => name in rule)!;
    if (test === 'matches') {
      try {
        new RegExp(rule.matches as string, 'u');
      } catch (error) {
        throw new PalisadeConfigError('ERR_PALISADE_INVALID_EXTENSION', `x-palisade-claims: "matches" is not a valid regular expression: ${describeValue(rule.matches)}`, { path: 'x-palisade-claims', cause: error });
      }
    }
    return { claim: rule.claim as string, test, value: rule[test] };
  });
}
