/** Header map as Node gives it: lower-case names. */
export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

/**
 * What an adapter tells core about a request: the framework's request
 * mapped to plain values. Core never sees a framework object.
 */
export interface RequestView {
  /** The method as received (case-sensitive). */
  readonly method: string;
  /** The request target as received (`/orders?limit=2`), before any framework rewrote it. */
  readonly url: string;
  readonly headers: RequestHeaders;
  /** The socket's peer address (not `X-Forwarded-For`). */
  readonly remoteAddress: string | null;
  /**
   * Reads the raw body, rejecting with a `Denial('payload_too_large')` as
   * soon as more than `maxBytes` arrive. Null when the framework already
   * consumed it.
   */
  readonly readBody: ((maxBytes: number) => Promise<Buffer>) | null;
  /** The TLS client certificate (DER), for certificate-bound tokens, or null. */
  readonly peerCertificate: (() => Buffer | null) | null;
}
