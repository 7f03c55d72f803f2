import { PalisadeConfigError, createOptionsValidator } from '@palisade/core';
import { request as httpRequest, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { canonicalAddress } from './internal/address-ranges';
import { createPinnedLookup } from './internal/pinned-lookup';
import { isUrlPolicy } from './internal/policy-registry';
import { SsrfError } from './ssrf-error';
import type { UrlCheckSuccess, UrlPolicy } from './url-policy';

/** Options of `createSafeFetch`. */
export interface SafeFetchOptions {
  /** Time for the whole exchange, redirects and their DNS checks included, in ms. Default 10000. */
  readonly timeoutMs?: number;
  /** Largest response body accepted, in bytes. Default 1048576 (1 MiB). */
  readonly maxBytes?: number;
  /** Redirects followed before giving up (each one checked again). Default 3; 0 refuses every redirect. */
  readonly maxRedirects?: number;
  /** Headers sent with every request (a `User-Agent`, say). `Host` cannot be set. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Extra trusted CA certificates (PEM), for receivers with a private CA. Certificates are always verified against the host name. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
}

/** One call's request. */
export interface SafeFetchInit {
  /** Default `GET`. */
  readonly method?: string;
  /** Merged over the factory's `headers`. `Host` cannot be set. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array | null;
  /** Aborts the call; `safeFetch` then rejects with `ERR_PALISADE_SSRF_ABORTED`. */
  readonly signal?: AbortSignal;
}

/** The final answer, after any redirects. */
export interface SafeFetchResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The URL that answered (after redirects). */
  readonly url: string;
  /** The address the connection went to: one the policy checked. */
  readonly address: string;
  /** How many redirects were followed. */
  readonly redirects: number;
}

/** Fetches a URL through a policy. Rejects with `SsrfError` for anything the policy or the limits refuse. */
export type SafeFetch = (url: string | URL, init?: SafeFetchInit) => Promise<SafeFetchResponse>;

const caEntry = { anyOf: [{ type: 'string', minLength: 1 }, { jsType: 'object' }] };
const assertOptions: (options: unknown) => asserts options is SafeFetchOptions = createOptionsValidator<SafeFetchOptions>('createSafeFetch', {
  type: 'object',
  additionalProperties: false,
  properties: {
    timeoutMs: { type: 'integer', minimum: 1, maximum: 600_000 },
    maxBytes: { type: 'integer', minimum: 0, maximum: 1_073_741_824 },
    maxRedirects: { type: 'integer', minimum: 0, maximum: 20 },
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    ca: { anyOf: [caEntry, { type: 'array', minItems: 1, items: caEntry }] },
  },
});

interface FetchSettings {
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly maxRedirects: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly ca: SafeFetchOptions['ca'] | null;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
// Fetch standard, HTTP-redirect fetch step 12: dropped with the body when
// a redirect turns the request into a GET.
const BODY_HEADERS = ['content-type', 'content-encoding', 'content-language', 'content-location', 'content-length'];
// Credentials meant for one origin never follow a redirect to another.
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie'];

/**
 * Creates a fetch function for URLs from outside (webhook deliveries,
 * import-by-URL) that cannot be turned against the service's own network.
 * Each call checks the URL with `policy`, then connects to exactly the
 * addresses that check approved: Node's DNS lookup is replaced for the
 * connection, so a host that answers "public" to the check and "internal"
 * a moment later (DNS rebinding) gets no second question. TLS still
 * verifies the certificate against the host name. Each redirect's
 * `Location` (relative ones resolved against the current URL) goes
 * through the policy again. Time and body size are capped; no connection
 * is reused, and no proxy is used.
 *
 * @param policy A policy from `createUrlPolicy`.
 * @param options `timeoutMs` (10000), `maxBytes` (1 MiB), `maxRedirects` (3), `headers`, `ca`.
 * @throws PalisadeConfigError when `policy` is not from `createUrlPolicy` or the options are invalid.
 *   The returned function rejects with `SsrfError` (see `SSRF_ERROR_CODES`).
 *
 * @example
 * ```ts
 * const safeFetch = createSafeFetch(createUrlPolicy(), { timeoutMs: 5000, maxBytes: 65536 });
 * const answer = await safeFetch(hook.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });
 * ```
 */
export function createSafeFetch(policy: UrlPolicy, options: SafeFetchOptions = {}): SafeFetch {
  if (!isUrlPolicy(policy)) {
    const hint = typeof policy === 'function' ? 'a function' : policy !== null && typeof policy === 'object' && !('check' in policy) ? 'an options object' : 'something that is not a policy';
    throw new PalisadeConfigError('ERR_PALISADE_MISUSE', `createSafeFetch received ${hint} as its policy; pass a policy: createSafeFetch(createUrlPolicy({ ... }), options).`, {
      path: 'policy',
      fix: 'Create the policy with createUrlPolicy() and pass it as the first argument.',
    });
  }
  if (typeof options === 'function') {
    throw new PalisadeConfigError('ERR_PALISADE_MISUSE', 'createSafeFetch received a function as its options; pass an options object: createSafeFetch(policy, { timeoutMs: 5000 }).', { path: '(options)' });
  }
  assertOptions(options);
  const headers = lowerCaseHeaders(options.headers ?? {});
  if (headers === null) {
    throw new PalisadeConfigError('ERR_PALISADE_INVALID_OPTIONS', 'createSafeFetch received invalid options:\n  - headers.host: safeFetch sends the Host of the URL it checked. Remove it.', { path: 'headers.host', fix: 'Remove the Host header.' });
  }
  const settings: FetchSettings = Object.freeze({
    timeoutMs: options.timeoutMs ?? 10_000,
    maxBytes: options.maxBytes ?? 1_048_576,
    maxRedirects: options.maxRedirects ?? 3,
    headers,
    ca: options.ca ?? null,
  });
  return (url, init = {}) => fetchThrough(policy, settings, url, init);
}

async function fetchThrough(policy: UrlPolicy, settings: FetchSettings, input: string | URL, init: SafeFetchInit): Promise<SafeFetchResponse> {
  const own = lowerCaseHeaders(init.headers ?? {});
  if (own === null) throw new TypeError('safeFetch: init.headers sets Host; safeFetch sends the Host of the URL it checked. Remove it.');
  const headers: Record<string, string> = { ...settings.headers, ...own };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new SsrfError('ERR_PALISADE_SSRF_TIMEOUT', `no complete answer within ${settings.timeoutMs} ms`)), settings.timeoutMs);
  const signal = init.signal ? AbortSignal.any([controller.signal, init.signal]) : controller.signal;
  let method = (init.method ?? 'GET').toUpperCase();
  let body: Buffer | null = init.body === undefined || init.body === null ? null : Buffer.from(init.body);
  let current = input instanceof URL ? input.href : input;
  let origin: string | null = null;
  let where = '';
  try {
    for (let redirects = 0; ; redirects++) {
      const checked = await untilAborted(policy.check(current), signal);
      if (!checked.ok) throw new SsrfError(checked.code, redirects === 0 ? checked.reason : `redirect ${redirects} refused: ${checked.reason}`);
      if (origin !== null && checked.url.origin !== origin) for (const name of CREDENTIAL_HEADERS) delete headers[name];
      origin = checked.url.origin;
      where = `${checked.url.host}`;
      const { response, address } = await send(checked, method, headers, body, settings, signal);
      const location = response.headers.location;
      if (REDIRECT_STATUSES.has(response.statusCode ?? 0) && location !== undefined) {
        response.destroy();
        if (redirects >= settings.maxRedirects) throw new SsrfError('ERR_PALISADE_SSRF_TOO_MANY_REDIRECTS', `${where} redirected more than ${settings.maxRedirects} times`);
        try {
          current = new URL(location, checked.url).href;
        } catch {
          throw new SsrfError('ERR_PALISADE_SSRF_BAD_REDIRECT', `${where} redirected to a Location that is not a URL`);
        }
        const status = response.statusCode!;
        if ((status === 303 && method !== 'GET' && method !== 'HEAD') || ((status === 301 || status === 302) && method === 'POST')) {
          method = 'GET';
          body = null;
          for (const name of BODY_HEADERS) delete headers[name];
        }
        continue;
      }
      const content = await readBody(response, settings.maxBytes, where);
      return { status: response.statusCode ?? 0, headers: response.headers, body: content, url: checked.url.href, address, redirects };
    }
  } catch (error) {
    throw asSsrfError(error, signal, where);
  } finally {
    clearTimeout(timer);
  }
}

function send(target: UrlCheckSuccess, method: string, headers: Record<string, string>, body: Buffer | null, settings: FetchSettings, signal: AbortSignal): Promise<{ response: IncomingMessage; address: string }> {
  const url = target.url;
  const isHttps = url.protocol === 'https:';
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const options: RequestOptions & { servername?: string; ca?: SafeFetchOptions['ca'] } = {
    method,
    hostname,
    port: url.port === '' ? (isHttps ? 443 : 80) : Number(url.port),
    path: `${url.pathname}${url.search}`,
    headers: body === null ? headers : { ...headers, 'content-length': String(body.length) },
    lookup: createPinnedLookup(hostname, target.addresses),
    // A fresh agent per request: a pooled socket could carry this request
    // to an address checked for an earlier one; a fresh agent also never
    // picks up a proxy from the environment.
    agent: false,
    signal,
  };
  if (isHttps) {
    // SNI and certificate verification use the host name, not the pinned
    // address (an IP literal is verified against the certificate's IP SANs).
    if (isIP(hostname) === 0) options.servername = hostname;
    if (settings.ca !== null) options.ca = settings.ca;
  }
  return new Promise((resolve, reject) => {
    let request: ClientRequest;
    try {
      request = (isHttps ? httpsRequest : httpRequest)(options as RequestOptions);
    } catch (error) {
      reject(error);
      return;
    }
    request.on('error', reject);
    request.once('response', (response) => {
      const peer = canonicalAddress(response.socket?.remoteAddress ?? '');
      // The pinned lookup makes this impossible; checking it anyway means a
      // change in Node's connection code cannot silently unpin us.
      if (!target.addresses.includes(peer)) {
        response.destroy();
        reject(new SsrfError('ERR_PALISADE_SSRF_CONNECTION_FAILED', `connected to ${peer || 'an unknown address'}, which the policy did not check`));
        return;
      }
      resolve({ response, address: peer });
    });
    request.end(body ?? undefined);
  });
}

function readBody(response: IncomingMessage, maxBytes: number, where: string): Promise<Buffer> {
  const declared = Number(response.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    response.destroy();
    return Promise.reject(new SsrfError('ERR_PALISADE_SSRF_BODY_TOO_LARGE', `${where} announced ${declared} bytes; the limit is ${maxBytes}`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    response.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > maxBytes) {
        fail(new SsrfError('ERR_PALISADE_SSRF_BODY_TOO_LARGE', `${where} sent more than ${maxBytes} bytes`));
        response.destroy();
        return;
      }
      chunks.push(chunk);
    });
    response.once('end', () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks, size));
    });
    response.on('error', fail);
    response.once('close', () => fail(new Error('the answer broke off before its end')));
  });
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function asSsrfError(error: unknown, signal: AbortSignal, where: string): unknown {
  if (error instanceof SsrfError) return error;
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    return reason instanceof SsrfError ? reason : new SsrfError('ERR_PALISADE_SSRF_ABORTED', 'the caller aborted the request', { cause: reason });
  }
  // A programmer's mistake (an invalid header value or method) stays what it is.
  if (error instanceof TypeError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  return new SsrfError('ERR_PALISADE_SSRF_CONNECTION_FAILED', `the exchange with ${where || 'the host'} failed (${typeof code === 'string' ? code : error instanceof Error ? error.message : 'unknown error'})`, { cause: error });
}

/** Header names lower-cased, or null when they set Host. */
function lowerCaseHeaders(headers: Readonly<Record<string, string>>): Record<string, string> | null {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    // The Host header must name the checked host: another value would reach
    // a different virtual host on the checked address than the one checked.
    if (lower === 'host') return null;
    result[lower] = value;
  }
  return result;
}
