import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createPalisade, type Guard, type Palisade, type Principal, type Reply, type RequestContext } from '@palisade/core';
import { createResponseFilter } from '@palisade/response-filter';
import { parse } from 'yaml';

/** The reference service's document (test/fixtures/orders-api.yaml at the repository root). */
export const REFERENCE_DOCUMENT = fileURLToPath(new URL('../../../../test/fixtures/orders-api.yaml', import.meta.url));

/**
 * The reference document with the extension an example adds for the
 * reference's field visibility: `customerEmail` only for `orders:admin`.
 */
export function referenceWithVisibility(): Record<string, unknown> {
  const document = parse(readFileSync(REFERENCE_DOCUMENT, 'utf8')) as { components: { schemas: Record<string, { properties: Record<string, Record<string, unknown>> }> } };
  document.components.schemas.Order!.properties.customerEmail!['x-palisade-visible-to'] = { scopes: ['orders:admin'] };
  return document;
}

export function principalWith(scopes: readonly string[]): Principal {
  return Object.freeze({
    subject: 'user-alice',
    clientId: 'shop',
    scopes: new Set(scopes),
    claims: Object.freeze({ sub: 'user-alice' }),
    method: 'jwt',
    issuer: 'https://issuer.example',
    tokenId: null,
    acr: null,
    amr: [],
    authTime: null,
    expiresAt: null,
  });
}

/**
 * Stands in for the authentication guard: the `x-test-scopes` header
 * (space-separated) becomes the principal's scopes; without it there is
 * no principal.
 */
export const stubAuthentication: Guard = {
  name: 'stub-authentication',
  stage: 'authentication',
  compile: () => ({
    onRequest: (ctx) => {
      const header = ctx.headers['x-test-scopes'];
      if (typeof header === 'string') ctx.principal = principalWith(header.split(' ').filter(Boolean));
      return null;
    },
  }),
};

export function engineFor(document: string | object, filter: Guard): Promise<Palisade> {
  return createPalisade({ document, guards: [stubAuthentication, filter] });
}

export interface SentResponse {
  readonly ctx: RequestContext;
  /** Null: the (possibly rewritten) body goes out. Else the problem sent instead. */
  readonly reply: Reply | null;
  /** The body after the response hooks ran. */
  readonly body: unknown;
}

export interface Exchange {
  readonly method?: string;
  readonly url: string;
  /** The caller's scopes; omitted: no principal. */
  readonly scopes?: readonly string[];
  readonly status?: number;
  readonly contentType?: string;
  readonly body: unknown;
}

/**
 * Runs one request through the engine as an adapter would: start, check,
 * then hand the handler's JSON body to `filterResponse`.
 */
export function exchange(engine: Palisade, { method = 'GET', url, scopes, status = 200, contentType = 'application/json', body }: Exchange): SentResponse {
  const headers: Record<string, string> = scopes === undefined ? {} : { 'x-test-scopes': scopes.join(' ') };
  const ctx = engine.startRequest({ method, url, headers, remoteAddress: '127.0.0.1', readBody: null, peerCertificate: null });
  const verdict = engine.checkRequest(ctx);
  if (verdict !== null) throw new Error(`request refused before the handler: ${verdict instanceof Promise ? 'async' : verdict.status}`);
  const response = { status, contentType, body };
  const reply = engine.filterResponse(ctx, response);
  return { ctx, reply, body: response.body };
}

/** A one-operation 3.1 document whose `GET /thing` answers `status` with `schema`. */
export function documentWith(schema: unknown, options: { version?: '3.0.3' | '3.1.0'; components?: Record<string, unknown>; responses?: Record<string, unknown> } = {}): Record<string, unknown> {
  return {
    openapi: options.version ?? '3.1.0',
    info: { title: 'response-filter test', version: '1' },
    paths: {
      '/thing': {
        get: {
          operationId: 'getThing',
          security: [],
          responses: options.responses ?? { '200': { description: 'OK', content: { 'application/json': { schema } } } },
        },
      },
    },
    ...(options.components ? { components: { schemas: options.components } } : {}),
  };
}

export interface FilterRun {
  readonly reply: Reply | null;
  readonly body: unknown;
  readonly ctx: RequestContext;
}

/**
 * Filters `body` with `schema` as the 200 response of a one-operation
 * document (components given as `components`), for a caller holding
 * `scopes` (none: no principal).
 */
export async function filterWith(schema: unknown, body: unknown, options: { scopes?: readonly string[]; version?: '3.0.3' | '3.1.0'; components?: Record<string, unknown>; filter?: Guard } = {}): Promise<FilterRun> {
  const engine = await engineFor(documentWith(schema, { version: options.version, components: options.components }), options.filter ?? createResponseFilter());
  return exchange(engine, { url: '/thing', scopes: options.scopes, body });
}
