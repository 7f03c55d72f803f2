import { PalisadeConfigError } from '@palisade/core';
import { SsrfError, createSafeFetch, createUrlPolicy, type Resolver, type SsrfErrorCode, type UrlPolicy } from '@palisade/ssrf';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Network rule for these tests: every connection goes to 127.0.0.1. The
// policy refuses loopback, so the tests open exactly that one hole with
// dangerouslyAllowAddresses, and give the local servers names through an
// injected resolver (`public.test` -> 127.0.0.1). Redirects to any other
// address are refused before a connection is attempted; that is what the
// tests check.

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
// A self-signed certificate for `public.test` only (test fixture, not a secret).
const tls = { key: fixture('public-test.key.pem'), cert: fixture('public-test.cert.pem') };

interface Seen {
  method: string;
  url: string;
  host: string | undefined;
  authorization: string | undefined;
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

function listen(server: Server, handler: Handler, seen: Seen[]): Promise<number> {
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, host: req.headers.host, authorization: req.headers.authorization, body });
      handler(req, res, body);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

let port = 0;
let tlsPort = 0;
const seen: Seen[] = [];
const servers: Server[] = [];

const routes: Record<string, Handler> = {
  '/hello': (_req, res) => res.end('hello'),
  '/echo': (req, res, body) => res.end(JSON.stringify({ method: req.method, body, contentType: req.headers['content-type'] ?? null })),
  '/to-relative': (_req, res) => res.writeHead(302, { location: '/hello' }).end(),
  '/to-private': (_req, res) => res.writeHead(302, { location: 'http://10.0.0.1/admin' }).end(),
  '/to-metadata': (_req, res) => res.writeHead(301, { location: 'http://169.254.169.254/latest/meta-data/' }).end(),
  '/to-other-loopback': (_req, res) => res.writeHead(307, { location: `http://127.0.0.2:${port}/hello` }).end(),
  '/to-internal-name': (_req, res) => res.writeHead(308, { location: `http://internal.test:${port}/hello` }).end(),
  '/to-decimal-loopback': (_req, res) => res.writeHead(302, { location: `http://2130706434:${port}/hello` }).end(),
  '/to-bad-location': (_req, res) => res.writeHead(302, { location: 'http://[::1' }).end(),
  '/loop': (_req, res) => res.writeHead(302, { location: '/loop' }).end(),
  '/see-other': (_req, res) => res.writeHead(303, { location: '/echo' }).end(),
  '/temporary': (_req, res) => res.writeHead(307, { location: '/echo' }).end(),
  '/to-other-origin': (_req, res) => res.writeHead(302, { location: `http://other.test:${port}/echo` }).end(),
  '/to-same-origin': (_req, res) => res.writeHead(302, { location: '/echo' }).end(),
  '/to-http': (_req, res) => res.writeHead(302, { location: `http://public.test:${port}/hello` }).end(),
  '/big': (_req, res) => res.end(Buffer.alloc(2048, 'a')),
  '/big-chunked': (_req, res) => {
    res.write(Buffer.alloc(700, 'a'));
    res.end(Buffer.alloc(700, 'b'));
  },
  '/exact': (_req, res) => res.end(Buffer.alloc(1024, 'a')),
  '/hang': () => {},
};

const handle: Handler = (req, res, body) => {
  const route = routes[new URL(req.url!, 'http://x').pathname];
  if (route) route(req, res, body);
  else res.writeHead(404).end();
};

beforeAll(async () => {
  const plain = createHttpServer();
  const secure = createHttpsServer(tls) as unknown as Server;
  servers.push(plain, secure);
  port = await listen(plain, handle, seen);
  tlsPort = await listen(secure, handle, seen);
});

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections?.();
    await new Promise((resolve) => server.close(resolve));
  }
});

const names: Record<string, string[]> = { 'public.test': ['127.0.0.1'], 'other.test': ['127.0.0.1'], 'internal.test': ['10.0.0.1'] };
const testResolver: Resolver = async (hostname) => {
  const addresses = names[hostname];
  if (addresses === undefined) throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
  return addresses;
};

const localPolicy = (resolve: Resolver = testResolver, schemes: ('https' | 'http')[] = ['https', 'http']) =>
  createUrlPolicy({ schemes, resolve, dangerouslyAllowAddresses: ['127.0.0.1'] });

async function rejection(promise: Promise<unknown>): Promise<SsrfError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SsrfError);
  return error as SsrfError;
}

async function expectCode(promise: Promise<unknown>, code: SsrfErrorCode): Promise<SsrfError> {
  const error = await rejection(promise);
  expect(error.code, error.message).toBe(code);
  return error;
}

function requestsSince(start: number): Seen[] {
  return seen.slice(start);
}

describe('fetching a checked URL', () => {
  it('connects to the checked address and sends the host name as Host', async () => {
    const safeFetch = createSafeFetch(localPolicy());
    const start = seen.length;
    const response = await safeFetch(`http://public.test:${port}/hello`);
    expect(response).toMatchObject({ status: 200, address: '127.0.0.1', redirects: 0, url: `http://public.test:${port}/hello` });
    expect(response.body.toString()).toBe('hello');
    expect(requestsSince(start)).toMatchObject([{ host: `public.test:${port}` }]);
  });

  it('sends method, headers and body', async () => {
    const safeFetch = createSafeFetch(localPolicy(), { headers: { 'User-Agent': 'palisade-test' } });
    const response = await safeFetch(`http://public.test:${port}/echo`, { method: 'post', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(JSON.parse(response.body.toString())).toEqual({ method: 'POST', body: '{"a":1}', contentType: 'application/json' });
  });

  it('refuses before connecting when the policy refuses (loopback without the test hole)', async () => {
    const safeFetch = createSafeFetch(createUrlPolicy({ schemes: ['http'] }));
    const start = seen.length;
    await expectCode(safeFetch(`http://127.0.0.1:${port}/hello`), 'ERR_PALISADE_SSRF_ADDRESS_NOT_ALLOWED');
    await expectCode(safeFetch(`http://2130706433:${port}/hello`), 'ERR_PALISADE_SSRF_ADDRESS_NOT_ALLOWED');
    await expectCode(safeFetch(`http://localhost:${port}/hello`), 'ERR_PALISADE_SSRF_HOST_NOT_ALLOWED');
    expect(requestsSince(start)).toEqual([]);
  });

  it('reports a refused connection as CONNECTION_FAILED', async () => {
    const closed = createHttpServer();
    const closedPort = await new Promise<number>((resolve) => closed.listen(0, '127.0.0.1', () => resolve((closed.address() as AddressInfo).port)));
    await new Promise((resolve) => closed.close(resolve));
    const error = await expectCode(createSafeFetch(localPolicy())(`http://public.test:${closedPort}/`), 'ERR_PALISADE_SSRF_CONNECTION_FAILED');
    expect(error.message).toMatch(/ECONNREFUSED/);
  });
});

describe('TLS', () => {
  it('verifies the certificate against the host name, not the pinned address', async () => {
    const safeFetch = createSafeFetch(localPolicy(), { ca: tls.cert });
    const response = await safeFetch(`https://public.test:${tlsPort}/hello`);
    expect(response.body.toString()).toBe('hello');
    // Same address, other name: the certificate does not cover it.
    const error = await expectCode(safeFetch(`https://other.test:${tlsPort}/hello`), 'ERR_PALISADE_SSRF_CONNECTION_FAILED');
    expect(error.message).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID/);
  });

  it('does not trust an unknown certificate', async () => {
    await expectCode(createSafeFetch(localPolicy())(`https://public.test:${tlsPort}/hello`), 'ERR_PALISADE_SSRF_CONNECTION_FAILED');
  });

  it('refuses a redirect from https down to http when only https is allowed', async () => {
    const safeFetch = createSafeFetch(localPolicy(testResolver, ['https']), { ca: tls.cert });
    await expectCode(safeFetch(`https://public.test:${tlsPort}/to-http`), 'ERR_PALISADE_SSRF_SCHEME_NOT_ALLOWED');
  });
});

describe('redirects', () => {
  const safeFetch = createSafeFetch(localPolicy());

  it('follows a relative redirect, resolved against the current URL', async () => {
    const response = await safeFetch(`http://public.test:${port}/to-relative`);
    expect(response).toMatchObject({ status: 200, redirects: 1, url: `http://public.test:${port}/hello` });
  });

  it('checks every Location and refuses private targets before connecting', async () => {
    const cases: [string, SsrfErrorCode][] = [
      ['/to-private', 'ERR_PALISADE_SSRF_ADDRESS_NOT_ALLOWED'],
      ['/to-metadata', 'ERR_PALISADE_SSRF_ADDRESS_NOT_ALLOWED'],
      ['/to-other-loopback', 'ERR_PALISADE_SSRF_ADDRESS_NOT_ALLOWED'],
      ['/to-decimal-loopback', 'ERR_PALISADE_SSRF_ADDRESS_NOT_ALLOWED'],
      ['/to-internal-name', 'ERR_PALISADE_SSRF_ADDRESS_NOT_ALLOWED'],
      ['/to-bad-location', 'ERR_PALISADE_SSRF_BAD_REDIRECT'],
    ];
    for (const [path, code] of cases) {
      const start = seen.length;
      const error = await expectCode(safeFetch(`http://public.test:${port}${path}`), code);
      if (code === 'ERR_PALISADE_SSRF_ADDRESS_NOT_ALLOWED') expect(error.message).toMatch(/^redirect 1 refused: /);
      // Only the redirecting request reached a server; the target never did.
      expect(requestsSince(start).map((request) => request.url)).toEqual([path]);
    }
  });

  it('gives up after maxRedirects', async () => {
    const start = seen.length;
    await expectCode(createSafeFetch(localPolicy(), { maxRedirects: 2 })(`http://public.test:${port}/loop`), 'ERR_PALISADE_SSRF_TOO_MANY_REDIRECTS');
    expect(requestsSince(start)).toHaveLength(3);
    await expectCode(createSafeFetch(localPolicy(), { maxRedirects: 0 })(`http://public.test:${port}/to-relative`), 'ERR_PALISADE_SSRF_TOO_MANY_REDIRECTS');
  });

  it('turns POST into GET on 303 and keeps method and body on 307 (Fetch standard)', async () => {
    const seeOther = await safeFetch(`http://public.test:${port}/see-other`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'payload' });
    expect(JSON.parse(seeOther.body.toString())).toEqual({ method: 'GET', body: '', contentType: null });
    const temporary = await safeFetch(`http://public.test:${port}/temporary`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'payload' });
    expect(JSON.parse(temporary.body.toString())).toEqual({ method: 'POST', body: 'payload', contentType: 'text/plain' });
  });

  it('drops credentials on a redirect to another origin, keeps them on the same origin', async () => {
    const headers = { authorization: 'Bearer secret' };
    let start = seen.length;
    await safeFetch(`http://public.test:${port}/to-other-origin`, { headers });
    expect(requestsSince(start).map((request) => request.authorization)).toEqual(['Bearer secret', undefined]);
    start = seen.length;
    await safeFetch(`http://public.test:${port}/to-same-origin`, { headers });
    expect(requestsSince(start).map((request) => request.authorization)).toEqual(['Bearer secret', 'Bearer secret']);
  });
});

describe('DNS rebinding', () => {
  it('connects to the address it checked and never asks DNS again', async () => {
    // The attacker's DNS answers "public" once, then "internal" for ever.
    let calls = 0;
    const rebinding: Resolver = async () => (++calls === 1 ? ['127.0.0.1'] : ['10.0.0.1']);
    const start = seen.length;
    // `rebind.test` exists only in this resolver: had Node looked it up
    // itself, the request would have failed with ENOTFOUND.
    const response = await createSafeFetch(localPolicy(rebinding))(`http://rebind.test:${port}/hello`);
    expect(response).toMatchObject({ status: 200, address: '127.0.0.1' });
    expect(calls).toBe(1);
    expect(requestsSince(start)).toMatchObject([{ host: `rebind.test:${port}` }]);
  });

  it('refuses at delivery a URL that passed at registration once its DNS turns internal', async () => {
    let calls = 0;
    const rebinding: Resolver = async () => (++calls === 1 ? ['127.0.0.1'] : ['10.0.0.1']);
    const policy = localPolicy(rebinding);
    expect((await policy.check(`http://rebind.test:${port}/hello`)).ok).toBe(true);
    const start = seen.length;
    await expectCode(createSafeFetch(policy)(`http://rebind.test:${port}/hello`), 'ERR_PALISADE_SSRF_ADDRESS_NOT_ALLOWED');
    expect(requestsSince(start)).toEqual([]);
  });
});

describe('limits', () => {
  it('refuses a body larger than maxBytes, announced or chunked', async () => {
    const safeFetch = createSafeFetch(localPolicy(), { maxBytes: 1024 });
    await expectCode(safeFetch(`http://public.test:${port}/big`), 'ERR_PALISADE_SSRF_BODY_TOO_LARGE');
    await expectCode(safeFetch(`http://public.test:${port}/big-chunked`), 'ERR_PALISADE_SSRF_BODY_TOO_LARGE');
    expect((await safeFetch(`http://public.test:${port}/exact`)).body).toHaveLength(1024);
  });

  it('gives up after timeoutMs', async () => {
    const error = await expectCode(createSafeFetch(localPolicy(), { timeoutMs: 150 })(`http://public.test:${port}/hang`), 'ERR_PALISADE_SSRF_TIMEOUT');
    expect(error.message).toBe('no complete answer within 150 ms');
  });

  it('counts slow DNS against timeoutMs', async () => {
    const policy = localPolicy(() => new Promise(() => {}));
    await expectCode(createSafeFetch(policy, { timeoutMs: 100 })(`http://slow.test:${port}/hello`), 'ERR_PALISADE_SSRF_TIMEOUT');
  });

  it('stops when the caller aborts', async () => {
    const controller = new AbortController();
    const pending = createSafeFetch(localPolicy())(`http://public.test:${port}/hang`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expectCode(pending, 'ERR_PALISADE_SSRF_ABORTED');
  });
});

describe('misuse', () => {
  it('insists on a policy from createUrlPolicy', () => {
    expect(() => createSafeFetch({ schemes: ['https'] } as never)).toThrow(/received an options object as its policy; pass a policy: createSafeFetch\(createUrlPolicy/);
    expect(() => createSafeFetch(createUrlPolicy as never)).toThrow(PalisadeConfigError);
    const lookalike: UrlPolicy = { schemes: ['https'], check: async (url) => ({ ok: true, url: new URL(String(url)), addresses: ['10.0.0.1'] }) };
    expect(() => createSafeFetch(lookalike)).toThrow(/not a policy/);
  });

  it('validates its options', () => {
    expect(() => createSafeFetch(localPolicy(), { maxRedirect: 1 } as never)).toThrow(/Did you mean "maxRedirects"/);
    expect(() => createSafeFetch(localPolicy(), { maxRedirects: -1 })).toThrow(PalisadeConfigError);
    expect(() => createSafeFetch(localPolicy(), { headers: { Host: 'internal.example' } })).toThrow(/headers\.host/);
  });

  it('refuses a Host header per call', async () => {
    await expect(createSafeFetch(localPolicy())(`http://public.test:${port}/hello`, { headers: { host: 'internal.example' } })).rejects.toThrow(TypeError);
  });
});
