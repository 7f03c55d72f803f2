import type { OperationPolicy } from '../compile/operation-policy';
import { deny, type Denial } from '../denial';
import type { MatchResult } from '../match/route-matcher';
import type { Principal } from './principal';
import type { RequestHeaders, RequestView } from './request-view';

/**
 * One request's state as it passes the guard chain. Every field is
 * assigned in the constructor so all contexts share one shape; `null`
 * means "none yet".
 */
export class RequestContext {
  readonly requestId: string;
  readonly method: string;
  /** Raw path, without the query. */
  readonly path: string;
  /** Raw query string without `?`. */
  readonly query: string;
  readonly match: MatchResult;
  /** The operation this request is for, or null when it matched none. */
  readonly operation: OperationPolicy | null;
  /** Decoded path parameters, or null. */
  readonly params: Readonly<Record<string, string>> | null;
  readonly headers: RequestHeaders;
  readonly view: RequestView;
  /** The CORS origin allowed for this request, or null. */
  readonly corsOrigin: string | null;
  /** Milliseconds (performance.now) when core first saw the request. */
  readonly startedAt: number;
  /** The client address guards should use (a trusted-proxy guard may refine it). */
  clientAddress: string | null;
  principal: Principal | null;
  /** The request body as the validation guard parsed it; `undefined` until then. */
  body: unknown;
  /** Parsed query parameters, when the validation guard produced them. */
  queryParams: Readonly<Record<string, unknown>> | null;
  /** The object an authorization guard loaded to check ownership, for the handler to reuse; null when none. */
  resource: unknown;
  /** Why the request was refused, once it was. */
  denial: Denial | null;
  /** An unexpected error that turned into a 500, kept for the audit trail. */
  error: unknown;
  /** True once `finishRequest` ran its completion hooks (they run once). */
  finished: boolean;
  #bodyRead: Promise<Buffer> | null;
  #bodyReadLimit: number;

  constructor(view: RequestView, requestId: string, match: MatchResult, corsOrigin: string | null, startedAt: number) {
    this.requestId = requestId;
    this.method = view.method;
    this.path = match.path;
    this.query = match.query;
    this.match = match;
    this.operation = match.operation;
    this.params = match.params;
    this.headers = view.headers;
    this.view = view;
    this.corsOrigin = corsOrigin;
    this.startedAt = startedAt;
    this.clientAddress = view.remoteAddress;
    this.principal = null;
    this.body = undefined;
    this.queryParams = null;
    this.resource = null;
    this.denial = null;
    this.error = null;
    this.finished = false;
    this.#bodyRead = null;
    this.#bodyReadLimit = 0;
  }

  /**
   * The raw request body, read once whoever asks first (a guard that needs
   * a form field, then the validator): later callers get the same bytes.
   * Rejects with a `payload_too_large` denial when the body is larger than
   * `maxBytes`; the first caller's limit also bounds what is read at all.
   * Null when the framework consumed the body before Palisade saw it.
   */
  readBody(maxBytes: number): Promise<Buffer> | null {
    const read = this.view.readBody;
    if (read === null) return null;
    if (this.#bodyRead === null) {
      this.#bodyRead = read(maxBytes);
      this.#bodyReadLimit = maxBytes;
      return this.#bodyRead;
    }
    if (maxBytes >= this.#bodyReadLimit) return this.#bodyRead;
    return this.#bodyRead.then((bytes) => (bytes.length > maxBytes ? Promise.reject(deny('payload_too_large', { privateDetail: `body of ${bytes.length} bytes > ${maxBytes}` })) : bytes));
  }
}
