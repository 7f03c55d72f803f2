import { Denial, PalisadeConfigError, createOptionsValidator, isJsonMediaType, parseContentType, parseStrictJson, type CompiledDocument, type FieldError, type StrictJsonOptions } from '@palisade/core';
import type { ValidateFunction } from 'ajv';
import { DocumentSchemas, type RegExpEngine } from './internal/document-schemas';
import { FieldErrors } from './internal/field-errors';
import { compileProjector, type Projector } from './internal/projection';

/** Options of `createUpstreamClient`. */
export interface UpstreamClientOptions {
  /** Time allowed for the whole exchange, body included, in ms. Default 2000. */
  readonly timeoutMs?: number;
  /** Largest response body accepted, in bytes; enforced while it streams in. Default 65536 (64 KiB). */
  readonly maxBytes?: number;
  /** Deepest nesting accepted in a response body. Default 64. */
  readonly maxDepth?: number;
  /**
   * Component pointers (`#/components/schemas/Invoice`) to compile now, so
   * a typo stops start-up instead of the first request. Others compile on
   * first use.
   */
  readonly schemas?: readonly string[];
  /** The `fetch` to use. Default: the global one (Node's undici). */
  readonly fetch?: typeof globalThis.fetch;
  /** The engine schema `pattern`s run on; see `createSchemaValidator`. Default RegExp. */
  readonly regExp?: RegExpEngine;
}

/** One upstream call. */
export interface UpstreamRequest {
  readonly url: string | URL;
  /** Pointer of the schema the response body must match: `#/components/schemas/Invoice`. */
  readonly schema: string;
  /** Default `GET`. */
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  /** Overrides the client's `timeoutMs` for this call. */
  readonly timeoutMs?: number;
  /** Overrides the client's `maxBytes` for this call. */
  readonly maxBytes?: number;
  /** Aborts the call; its reason is rethrown as is. */
  readonly signal?: AbortSignal;
}

/** Fetches upstream data and hands it on only once it is validated. */
export interface UpstreamClient {
  /**
   * Fetches `url` (redirects are not followed), reads at most `maxBytes`
   * of a 2xx JSON (UTF-8) answer within `timeoutMs`, parses it strictly,
   * drops every property the schema does not declare, validates the rest,
   * and resolves with it.
   *
   * @throws UpstreamError: `ERR_PALISADE_UPSTREAM_INVALID` (502: an invalid,
   *   oversized or non-JSON answer, a redirect or a 4xx),
   *   `ERR_PALISADE_UPSTREAM_TIMEOUT` (504), `ERR_PALISADE_UPSTREAM_UNAVAILABLE`
   *   (503: refused, unreachable, 5xx or 429). Throw its `denial` from a
   *   handler to answer with the matching problem.
   * @throws PalisadeConfigError when `schema` points at no schema of the document.
   */
  fetchValidated<T = unknown>(request: UpstreamRequest): Promise<T>;
}

/** Stable codes of `UpstreamError`, one per denial it carries. */
export type UpstreamErrorCode = 'ERR_PALISADE_UPSTREAM_INVALID' | 'ERR_PALISADE_UPSTREAM_TIMEOUT' | 'ERR_PALISADE_UPSTREAM_UNAVAILABLE';

const REASON_BY_CODE = {
  ERR_PALISADE_UPSTREAM_INVALID: 'upstream_invalid',
  ERR_PALISADE_UPSTREAM_TIMEOUT: 'upstream_timeout',
  ERR_PALISADE_UPSTREAM_UNAVAILABLE: 'upstream_unavailable',
} as const;

/**
 * An upstream call that failed, and the denial to answer with. Nothing of
 * the upstream answer reaches the client: `denial` carries only a reason
 * (502/503/504); what went wrong is in `message`, `validationErrors` and
 * the denial's private detail, for the audit trail.
 *
 * @example
 * ```ts
 * try {
 *   return await billing.fetchValidated({ url, schema: '#/components/schemas/Invoice' });
 * } catch (error) {
 *   if (error instanceof UpstreamError) throw error.denial;
 *   throw error;
 * }
 * ```
 */
export class UpstreamError extends Error {
  readonly code: UpstreamErrorCode;
  readonly denial: Denial;
  /** The upstream's HTTP status, when it answered. */
  readonly upstreamStatus: number | null;
  /** Where the answer failed its schema (pointers into the upstream body), for logs only. */
  readonly validationErrors: readonly FieldError[];

  constructor(code: UpstreamErrorCode, message: string, details: { readonly upstreamStatus?: number | null; readonly validationErrors?: readonly FieldError[]; readonly cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'UpstreamError';
    this.code = code;
    this.upstreamStatus = details.upstreamStatus ?? null;
    this.validationErrors = details.validationErrors ?? [];
    this.denial = new Denial(REASON_BY_CODE[code], { privateDetail: message, cause: details.cause });
  }
}

const assertOptions: (options: unknown) => asserts options is UpstreamClientOptions = createOptionsValidator<UpstreamClientOptions>('createUpstreamClient', {
  type: 'object',
  additionalProperties: false,
  properties: {
    timeoutMs: { type: 'integer', minimum: 1, maximum: 600000 },
    maxBytes: { type: 'integer', minimum: 1, maximum: 1073741824 },
    maxDepth: { type: 'integer', minimum: 1, maximum: 1000 },
    schemas: { type: 'array', items: { type: 'string', pattern: '^#/' } },
    fetch: { jsType: 'function' },
    regExp: { jsType: 'function' },
  },
});

const assertRequest: (request: unknown) => asserts request is UpstreamRequest = createOptionsValidator<UpstreamRequest>('fetchValidated', {
  type: 'object',
  additionalProperties: false,
  required: ['url', 'schema'],
  properties: {
    url: { anyOf: [{ type: 'string', minLength: 1 }, { jsType: 'url' }] },
    schema: { type: 'string', pattern: '^#/' },
    method: { type: 'string', pattern: '^[A-Z]+$' },
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    body: { anyOf: [{ type: 'string' }, { type: 'object', jsType: 'object' }] },
    timeoutMs: { type: 'integer', minimum: 1, maximum: 600000 },
    maxBytes: { type: 'integer', minimum: 1, maximum: 1073741824 },
    signal: { type: 'object', jsType: 'object' },
  },
});

interface CompiledSchema {
  readonly validate: ValidateFunction;
  readonly project: Projector;
}

/**
 * Creates a client for third-party APIs whose answers are checked against
 * the document's schemas (OWASP API10:2023, unsafe consumption of APIs):
 * upstream data is never trusted more than user input.
 *
 * @param source The engine (`createPalisade`'s result, or `mountPalisade(...).engine`) or its `compiled` document.
 * @example
 * ```ts
 * const billing = createUpstreamClient(palisade, { schemas: ['#/components/schemas/Invoice'] });
 * const invoice = await billing.fetchValidated({ url: `${BILLING_URL}/invoices/${id}`, schema: '#/components/schemas/Invoice' });
 * ```
 * @throws PalisadeConfigError for invalid options, a `source` that is not an engine, or a listed schema that does not exist or compile.
 */
export function createUpstreamClient(source: { readonly compiled: CompiledDocument } | CompiledDocument, options: UpstreamClientOptions = {}): UpstreamClient {
  const compiled = compiledOf(source);
  assertOptions(options);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const defaultTimeout = options.timeoutMs ?? 2000;
  const defaultMaxBytes = options.maxBytes ?? 65536;
  const jsonOptions: StrictJsonOptions = Object.freeze({ maxDepth: options.maxDepth ?? 64 });
  const schemas = new DocumentSchemas(compiled, options.regExp ?? null);
  const cache = new Map<string, CompiledSchema>();
  const schemaFor = (pointer: string): CompiledSchema => {
    let entry = cache.get(pointer);
    if (entry === undefined) {
      const path = decodeFragment(pointer);
      const located = schemas.locate('literal', path);
      if (located === null) {
        throw new PalisadeConfigError('ERR_PALISADE_MISUSE', `createUpstreamClient: the schema ${pointer} does not exist in the OpenAPI document.`, { path: pointer, received: pointer, fix: 'Name a schema of the document, e.g. "#/components/schemas/Invoice".' });
      }
      entry = { validate: schemas.validator('literal', path, `the upstream schema ${pointer}`), project: compileProjector(schemas.root('literal'), located) };
      cache.set(pointer, entry);
    }
    return entry;
  };
  for (const pointer of options.schemas ?? []) schemaFor(pointer);

  return {
    async fetchValidated<T>(request: UpstreamRequest): Promise<T> {
      assertRequest(request);
      const { validate, project } = schemaFor(request.schema);
      const url = new URL(request.url);
      if (url.protocol !== 'https:' && url.protocol !== 'http:') {
        throw new PalisadeConfigError('ERR_PALISADE_MISUSE', `fetchValidated: only http and https URLs can be fetched; received a ${url.protocol} URL.`, { path: 'url', fix: 'Use an https URL.' });
      }
      const where = `${request.method ?? 'GET'} ${url.origin}${url.pathname}`;
      const timeout = AbortSignal.timeout(request.timeoutMs ?? defaultTimeout);
      const signal = request.signal === undefined ? timeout : AbortSignal.any([timeout, request.signal]);
      const maxBytes = request.maxBytes ?? defaultMaxBytes;
      let text: Uint8Array;
      let status: number;
      try {
        const response = await fetchImpl(url, { method: request.method ?? 'GET', headers: { accept: 'application/json', ...request.headers }, body: request.body as never, redirect: 'manual', signal });
        status = response.status;
        checkResponse(response, where);
        text = await readLimited(response, maxBytes, where);
      } catch (error) {
        if (error instanceof UpstreamError) throw error;
        if (timeout.aborted) throw new UpstreamError('ERR_PALISADE_UPSTREAM_TIMEOUT', `${where}: no complete answer within ${request.timeoutMs ?? defaultTimeout} ms`, { cause: error });
        if (request.signal?.aborted) throw request.signal.reason;
        throw new UpstreamError('ERR_PALISADE_UPSTREAM_UNAVAILABLE', `${where}: ${describeNetworkError(error)}`, { cause: error });
      }
      let data: unknown;
      try {
        data = parseStrictJson(text, jsonOptions);
      } catch (error) {
        throw new UpstreamError('ERR_PALISADE_UPSTREAM_INVALID', `${where}: the answer is not acceptable JSON (${(error as { kind?: string }).kind ?? 'syntax'})`, { upstreamStatus: status, cause: error });
      }
      // Undeclared fields are dropped first, then the rest is validated:
      // a field the upstream adds later is ignored rather than breaking
      // the service, and never reaches it.
      const projected = project(data);
      if (!validate(projected)) {
        const errors = new FieldErrors(10);
        errors.addAjvErrors('', validate.errors);
        throw new UpstreamError('ERR_PALISADE_UPSTREAM_INVALID', `${where}: the answer does not match ${request.schema}: ${errors.list.map((e) => `${e.pointer || '/'} ${e.message}`).join('; ')}`, {
          upstreamStatus: status,
          validationErrors: errors.list,
        });
      }
      return projected as T;
    },
  };
}

function compiledOf(source: unknown): CompiledDocument {
  const candidate = (source as { compiled?: unknown } | null)?.compiled ?? source;
  const isCompiled = candidate !== null && typeof candidate === 'object' && 'document' in candidate && 'operations' in candidate && 'version' in candidate;
  if (!isCompiled) {
    throw new PalisadeConfigError('ERR_PALISADE_MISUSE', 'createUpstreamClient(source, options): source must be the Palisade engine (await createPalisade(...), or mountPalisade(...).engine) or its compiled document.', {
      path: 'source',
      fix: 'Create the engine first: const palisade = await createPalisade({ document }); createUpstreamClient(palisade, { ... }).',
    });
  }
  return candidate as CompiledDocument;
}

function decodeFragment(pointer: string): string {
  try {
    return decodeURIComponent(pointer.slice(1));
  } catch {
    return pointer.slice(1);
  }
}

function checkResponse(response: Response, where: string): void {
  const status = response.status;
  if (status >= 200 && status < 300) {
    const contentType = parseContentType(response.headers.get('content-type') ?? '');
    const charset = contentType?.parameters.get('charset');
    if (contentType === null || !isJsonMediaType(contentType.mediaType) || (charset !== undefined && charset.toLowerCase() !== 'utf-8')) {
      void response.body?.cancel().catch(() => {});
      throw new UpstreamError('ERR_PALISADE_UPSTREAM_INVALID', `${where}: the answer is not JSON (Content-Type ${contentType?.mediaType ?? 'missing or malformed'})`, { upstreamStatus: status });
    }
    return;
  }
  void response.body?.cancel().catch(() => {});
  if (status >= 500 || status === 429) throw new UpstreamError('ERR_PALISADE_UPSTREAM_UNAVAILABLE', `${where}: answered ${status}`, { upstreamStatus: status });
  // A redirect could send us anywhere (SSRF); a 4xx means we asked for
  // something the upstream does not have or refuses: either way no data.
  throw new UpstreamError('ERR_PALISADE_UPSTREAM_INVALID', `${where}: answered ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}`, { upstreamStatus: status });
}

// Reads the body, giving up as soon as it passes `maxBytes`: a hostile or
// broken upstream cannot make us buffer more than that.
async function readLimited(response: Response, maxBytes: number, where: string): Promise<Uint8Array> {
  const declared = response.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > maxBytes) {
    void response.body?.cancel().catch(() => {});
    throw new UpstreamError('ERR_PALISADE_UPSTREAM_INVALID', `${where}: the answer is larger than ${maxBytes} bytes (Content-Length ${declared})`, { upstreamStatus: response.status });
  }
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    if (received > maxBytes) {
      void reader.cancel().catch(() => {});
      throw new UpstreamError('ERR_PALISADE_UPSTREAM_INVALID', `${where}: the answer is larger than ${maxBytes} bytes`, { upstreamStatus: response.status });
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const body = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return `unreachable (${cause.code})`;
  return error instanceof Error ? `unreachable (${error.message})` : 'unreachable';
}
