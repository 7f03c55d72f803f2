import { createPalisade, deny, type Guard, type Palisade, type RequestContext } from '@palisade/core';
import { testPrincipal } from '../../../../test/helpers/principal';

/**
 * Stands in for jwt-auth: `Authorization: Test <sub> [client]` authenticates
 * on protected operations, `Authorization: Test` with nothing after it
 * (or any other scheme) is a bad token (401 token_invalid).
 */
export const testAuthentication: Guard = {
  name: 'test-auth',
  stage: 'authentication',
  compile: (operation) =>
    operation === null || operation.isPublic
      ? null
      : {
          onRequest(ctx) {
            const header = ctx.headers.authorization;
            if (typeof header !== 'string') return null;
            const [scheme, sub, client] = header.split(' ');
            if (scheme !== 'Test' || !sub) return deny('token_invalid');
            const principal = testPrincipal({ subject: sub ?? null, clientId: client ?? 'app', claims: { sub } });
            ctx.principal = principal;
            return null;
          },
        },
};

/**
 * Stands in for the schema validator: parses a JSON body into `ctx.body`
 * at the validation stage, as @palisade/schema-validator does.
 */
export const testBodyParser: Guard = {
  name: 'test-body',
  stage: 'validation',
  compile: (operation) =>
    operation === null || operation.requestBody === null
      ? null
      : {
          async onRequest(ctx) {
            if (ctx.view.readBody === null) return null;
            const bytes = await ctx.view.readBody(16384);
            if (bytes.length > 0) ctx.body = JSON.parse(bytes.toString('utf8'));
            return null;
          },
        },
};

const oauth2 = { type: 'oauth2', flows: { clientCredentials: { tokenUrl: 'https://id.example/token', scopes: {} } } };
const ok = { '200': { description: 'ok' } };
const loginBody = {
  required: true,
  content: { 'application/json': { schema: { type: 'object', properties: { username: { type: 'string' }, password: { type: 'string' } } } } },
};

/** An Orders-like document: public health and login, protected orders and checkout. */
export function ordersDocument(extensions: { root?: Record<string, unknown>; login?: Record<string, unknown>; orders?: Record<string, unknown>; checkout?: Record<string, unknown> } = {}) {
  return {
    openapi: '3.1.0',
    info: { title: 'orders', version: '1' },
    security: [{ oauth2: [] }],
    components: { securitySchemes: { oauth2 } },
    ...extensions.root,
    paths: {
      '/health': { get: { operationId: 'getHealth', security: [], responses: ok } },
      '/login': { post: { operationId: 'login', security: [], requestBody: loginBody, responses: ok, ...extensions.login } },
      '/orders': { get: { operationId: 'listOrders', responses: ok, ...extensions.orders } },
      '/orders/{orderId}/checkout': {
        parameters: [{ name: 'orderId', in: 'path', required: true, schema: { type: 'string' } }],
        post: { operationId: 'checkout', responses: ok, ...extensions.checkout },
      },
    },
  };
}

export interface TestRequest {
  readonly method?: string;
  readonly url?: string;
  /** `Authorization` header value. */
  readonly authorization?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** The socket's peer address. Default `203.0.113.10`. */
  readonly from?: string | null;
  /** A JSON body. */
  readonly body?: unknown;
  /** What the handler answers when the chain lets the request through. Default 200. */
  readonly handlerStatus?: number;
}

export interface TestOutcome {
  readonly status: number;
  readonly reason: string | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | null;
  readonly ctx: RequestContext;
  /** True when the request reached the handler. */
  readonly handled: boolean;
}

/**
 * One request the way an adapter runs it: start, check, (handler), then
 * the completion hooks with the status that was sent.
 */
export async function send(engine: Palisade, request: TestRequest = {}): Promise<TestOutcome> {
  const headers: Record<string, string> = { host: 'api.example', ...request.headers };
  if (request.authorization !== undefined) headers.authorization = request.authorization;
  let bytes: Buffer | null = null;
  if (request.body !== undefined) {
    bytes = Buffer.from(JSON.stringify(request.body));
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(bytes.length);
  }
  const ctx = engine.startRequest({
    method: request.method ?? 'GET',
    url: request.url ?? '/health',
    headers,
    remoteAddress: request.from === undefined ? '203.0.113.10' : request.from,
    readBody: bytes === null ? null : async () => bytes!,
    peerCertificate: null,
  });
  const reply = await engine.checkRequest(ctx);
  const status = reply?.status ?? request.handlerStatus ?? 200;
  engine.finishRequest(ctx, status);
  return { status, reason: ctx.denial?.reason ?? null, headers: { ...(reply?.headers ?? {}) }, body: reply?.body ?? null, ctx, handled: reply === null };
}

/** Sends `count` requests one after the other and returns their statuses. */
export async function statuses(engine: Palisade, count: number, request: TestRequest = {}): Promise<number[]> {
  const result: number[] = [];
  for (let i = 0; i < count; i++) result.push((await send(engine, request)).status);
  return result;
}

export async function engineWith(document: object, guards: readonly Guard[]): Promise<Palisade> {
  return createPalisade({ document, guards: [testAuthentication, testBodyParser, ...guards] });
}

/** Lets completion hooks' fire-and-forget counter calls settle. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
