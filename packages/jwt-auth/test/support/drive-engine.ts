import { deny, type Palisade, type Principal, type RequestView } from '@palisade/core';

/** What one request looks like to the engine in these suites. */
export interface TestRequest {
  /** The whole Authorization header value, or undefined for none. */
  readonly authorization?: string;
  readonly method?: string;
  /** Request target. Default `/orders`. */
  readonly url?: string;
  /** Extra headers (lower-case names). Default `host: api.example`. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The TLS client certificate (DER) the socket presented, or null. */
  readonly peerCertificate?: Buffer | null;
  /** The request body; none (a consumed stream) when undefined. */
  readonly body?: string | Buffer;
  /** Counts how often the body is read from the "socket". */
  readonly onBodyRead?: () => void;
}

/** The decision and the audit line of one request. */
export interface TestOutcome {
  /** 200 when the chain let the request through. */
  readonly status: number;
  /** The audit reason (`ctx.denial.reason`), or null when allowed. */
  readonly reason: string | null;
  /** The audit-only detail. */
  readonly privateDetail: string | null;
  readonly wwwAuthenticate: string | undefined;
  /** The response body the client would see. */
  readonly body: string | null;
  readonly principal: Principal | null;
}

export const API_HOST = 'api.example';

export function requestView(request: TestRequest): RequestView {
  const headers: Record<string, string> = { host: API_HOST, ...request.headers };
  if (request.authorization !== undefined) headers.authorization = request.authorization;
  const certificate = request.peerCertificate ?? null;
  return {
    method: request.method ?? 'GET',
    url: request.url ?? '/orders',
    headers,
    remoteAddress: '127.0.0.1',
    readBody: request.body === undefined ? null : (maxBytes) => readBody(request, maxBytes),
    peerCertificate: () => certificate,
  };
}

function readBody(request: TestRequest, maxBytes: number): Promise<Buffer> {
  request.onBodyRead?.();
  const bytes = Buffer.from(request.body!);
  return bytes.length > maxBytes ? Promise.reject(deny('payload_too_large', { privateDetail: `body over ${maxBytes} bytes` })) : Promise.resolve(bytes);
}

/** Runs the engine's request checks, as an adapter would, and reads the outcome. */
export async function send(engine: Palisade, request: TestRequest): Promise<TestOutcome> {
  const ctx = engine.startRequest(requestView(request));
  const reply = await engine.checkRequest(ctx);
  return {
    status: reply?.status ?? 200,
    reason: ctx.denial?.reason ?? null,
    privateDetail: ctx.denial?.privateDetail ?? null,
    wwwAuthenticate: reply?.headers['www-authenticate'],
    body: reply?.body ?? null,
    principal: ctx.principal,
  };
}

export const bearer = (token: string): TestRequest => ({ authorization: `Bearer ${token}` });
