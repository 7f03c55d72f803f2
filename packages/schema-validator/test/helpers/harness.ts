import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createPalisade, readNodeBody, type Guard, type Palisade, type Principal, type Reply, type RequestContext, type RequestView } from '@palisade/core';

/** The reference service's document (the Orders API). */
export const REFERENCE_DOCUMENT = fileURLToPath(new URL('../../../../test/fixtures/orders-api.yaml', import.meta.url));

const PRINCIPAL: Principal = Object.freeze({
  subject: 'user-alice',
  clientId: 'shop',
  scopes: new Set(['orders:read', 'orders:write', 'orders:admin', 'admin:users']),
  claims: Object.freeze({ sub: 'user-alice' }),
  method: 'jwt',
  issuer: 'https://issuer.example',
  tokenId: 'jti-1',
  acr: null,
  amr: [],
  authTime: null,
  expiresAt: null,
});

/** Stands in for the authentication guard: every caller is Alice, with every scope. */
export const fakeAuthentication: Guard = {
  name: 'fake-authentication',
  stage: 'authentication',
  compile: () => ({
    onRequest: (ctx) => {
      ctx.principal = PRINCIPAL;
      return null;
    },
  }),
};

export async function createEngine(document: string | object, validator: Guard): Promise<Palisade> {
  return createPalisade({ document, guards: [fakeAuthentication, validator] });
}

export interface TestRequest {
  readonly method: string;
  readonly url: string;
  readonly headers?: Record<string, string>;
  /** A string or bytes, sent as is (with `headers` only); an object is sent as JSON with `Content-Type: application/json`. */
  readonly body?: string | Buffer | object;
  /** Simulates a framework body parser that already consumed the body. */
  readonly consumed?: boolean;
  /** Sends the body chunked (no Content-Length). */
  readonly chunked?: boolean;
}

export interface TestResult {
  readonly status: number;
  readonly ctx: RequestContext;
  readonly reply: Reply | null;
  /** The parsed problem body, or null when the request passed. */
  readonly problem: { type: string; status: number; detail?: string; errors?: { pointer: string; message: string }[] } | null;
  readonly raw: string | null;
}

/** Encodes a test body and fills in Content-Type / Content-Length as a client would. */
export function encode(request: TestRequest): { headers: Record<string, string>; bytes: Buffer | null } {
  const headers: Record<string, string> = { ...request.headers };
  if (request.body === undefined) return { headers, bytes: null };
  const bytes = Buffer.isBuffer(request.body) ? request.body : Buffer.from(typeof request.body === 'string' ? request.body : JSON.stringify(request.body));
  if (typeof request.body === 'object' && !Buffer.isBuffer(request.body) && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  if (request.chunked) headers['transfer-encoding'] = 'chunked';
  else headers['content-length'] = String(bytes.length);
  return { headers, bytes };
}

/**
 * Drives the engine as an adapter does, in process: the body is a real
 * stream read by core's readNodeBody.
 */
export async function send(palisade: Palisade, request: TestRequest): Promise<TestResult> {
  const { headers, bytes } = encode(request);
  const lowerHeaders = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const stream = Object.assign(Readable.from(bytes === null ? [] : [bytes]), { headers: lowerHeaders });
  const view: RequestView = {
    method: request.method,
    url: request.url,
    headers: lowerHeaders,
    remoteAddress: '127.0.0.1',
    readBody: request.consumed ? null : (maxBytes) => readNodeBody(stream, maxBytes),
    peerCertificate: null,
  };
  const ctx = palisade.startRequest(view);
  const reply = await palisade.checkRequest(ctx);
  const raw = reply?.body ?? null;
  return { status: reply?.status ?? 200, ctx, reply, problem: raw === null ? null : JSON.parse(raw), raw };
}

/**
 * A plain node:http server driving the engine like an adapter: guards
 * first, then a handler that echoes what the validator handed on.
 */
export async function startServer(palisade: Palisade): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req: IncomingMessage, res) => {
    const ctx = palisade.startRequest({
      method: req.method!,
      url: req.url!,
      headers: req.headers,
      remoteAddress: req.socket.remoteAddress ?? null,
      readBody: (maxBytes) => readNodeBody(req, maxBytes),
      peerCertificate: null,
    });
    const write = (reply: Reply | null) => {
      if (reply !== null) {
        res.writeHead(reply.status, reply.headers);
        res.end(reply.body ?? undefined);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ body: ctx.body ?? null, query: ctx.queryParams }));
    };
    Promise.resolve(palisade.checkRequest(ctx)).then(write, (error: unknown) => write(palisade.replyForError(ctx, error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
