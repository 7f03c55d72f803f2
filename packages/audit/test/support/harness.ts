import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPalisade, deny, type Guard, type Palisade, type Principal, type RequestContext } from '@palisade/core';

/** A small API: public login and health, owned orders behind a bearer token. */
export const DOCUMENT = {
  openapi: '3.1.0',
  info: { title: 'Audit test API', version: '1' },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    schemas: {
      Login: {
        type: 'object',
        properties: { username: { type: 'string' }, password: { type: 'string', 'x-palisade-secret': true }, otpSeed: { type: 'string', 'x-palisade-secret': true } },
      },
    },
  },
  security: [{ bearer: [] }],
  paths: {
    '/health': { get: { operationId: 'health', security: [], responses: { '200': { description: 'ok' } } } },
    '/login': {
      post: {
        operationId: 'login',
        security: [],
        'x-palisade-audit': { event: 'auth.login', redact: ['/recoveryCode'] },
        requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Login' } } } },
        responses: { '200': { description: 'ok' } },
      },
    },
    '/orders/{orderId}': {
      get: {
        operationId: 'getOrder',
        parameters: [{ name: 'orderId', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'ok' } },
      },
    },
  },
};

export function principal(subject: string, tokenId: string | null = `jti-${subject}`): Principal {
  return Object.freeze({
    subject,
    clientId: 'shop-app',
    scopes: new Set<string>(['orders:read']),
    claims: Object.freeze({ sub: subject }),
    method: 'jwt' as const,
    issuer: 'https://id.example',
    tokenId,
    acr: null,
    amr: [],
    authTime: null,
    expiresAt: null,
  });
}

/**
 * Stands in for jwt-auth: `Authorization: Bearer <token>` where the token
 * is a key of `tokens`; an unknown token is refused with `token_invalid`
 * (and a private detail that quotes it, as a careless guard might).
 */
export function fakeAuthentication(tokens: Readonly<Record<string, Principal>>): Guard {
  return {
    name: 'fake-auth',
    stage: 'authentication',
    compile: (operation) =>
      operation === null || operation.isPublic
        ? null
        : {
            onRequest(ctx: RequestContext) {
              const header = ctx.headers.authorization;
              if (typeof header !== 'string') return null;
              const token = header.replace(/^Bearer /, '');
              const found = tokens[token];
              if (found === undefined) return deny('token_invalid', { privateDetail: `unknown token ${header}` });
              ctx.principal = found;
              return null;
            },
          },
  };
}

/** Orders `ord-<subject>-*` belong to that subject; anything else is `not_found_or_not_owner`. */
export const ownership: Guard = {
  name: 'fake-ownership',
  stage: 'authorization',
  compile: (operation) =>
    operation?.operationId === 'getOrder'
      ? {
          onRequest(ctx: RequestContext) {
            const id = ctx.params?.orderId ?? '';
            return id.startsWith(`ord-${ctx.principal?.subject}-`) ? null : deny('not_found_or_not_owner', { privateDetail: `order ${id} belongs to another caller` });
          },
        }
      : null,
};

export function engine(guards: readonly Guard[]): Promise<Palisade> {
  return createPalisade({ document: structuredClone(DOCUMENT), guards });
}

export interface SentRequest {
  readonly method?: string;
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly ip?: string;
  readonly body?: string;
  /** What the handler does when the chain lets the request through. Default: answers 200. */
  readonly handler?: (ctx: RequestContext) => number;
}

/** Runs a request through the engine as an adapter would, including the completion hooks. */
export async function send(palisade: Palisade, request: SentRequest): Promise<{ status: number; ctx: RequestContext }> {
  const body = request.body === undefined ? null : Buffer.from(request.body);
  const ctx = palisade.startRequest({
    method: request.method ?? 'GET',
    url: request.url,
    headers: { host: 'api.example', ...request.headers },
    remoteAddress: request.ip ?? '203.0.113.7',
    readBody: body === null ? null : async () => body,
    peerCertificate: null,
  });
  const reply = await palisade.checkRequest(ctx);
  let status: number;
  if (reply !== null) {
    status = reply.status;
  } else {
    try {
      status = request.handler ? request.handler(ctx) : 200;
    } catch (error) {
      status = palisade.replyForError(ctx, error).status;
    }
  }
  palisade.finishRequest(ctx, status);
  return { status, ctx };
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'palisade-audit-'));
}

/** The trail's lines, parsed. */
export function readLines(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export function requestLines(file: string): Record<string, unknown>[] {
  return readLines(file).filter((line) => line.event === 'request');
}
