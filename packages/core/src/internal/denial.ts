import { REASONS, type ReasonCode } from './reasons';

/** One failed field of a request, for `schema_invalid` problems. */
export interface FieldError {
  /** JSON pointer into the request part (`/body/items/0/qty`, `/query/limit`). */
  readonly pointer: string;
  readonly message: string;
}

export interface DenialOptions {
  /** Shown to the client as the problem's `detail`. Never put request data or internals here. */
  readonly detail?: string;
  /** Goes to the audit trail only (`detail` field), never to the client. */
  readonly privateDetail?: string;
  /** Extra RFC 6750 / RFC 9470 challenge parameters (`scope`, `acr_values`, `max_age`). */
  readonly challengeParams?: Readonly<Record<string, string>>;
  /** Extra response headers (`Retry-After`, `Allow`, `RateLimit`...). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Field errors listed in the problem body. */
  readonly errors?: readonly FieldError[];
  /** The original error, for the audit trail. */
  readonly cause?: unknown;
}

/**
 * A guard's decision to refuse a request. It carries a stable reason code
 * (see `REASONS`), what the client may see, and what only the audit trail
 * may see. Guards return one; handlers may `throw` one.
 */
export class Denial {
  readonly reason: ReasonCode;
  readonly status: number;
  readonly detail: string | null;
  readonly privateDetail: string | null;
  readonly challengeParams: Readonly<Record<string, string>> | null;
  readonly headers: Readonly<Record<string, string>> | null;
  readonly errors: readonly FieldError[] | null;
  readonly cause: unknown;

  constructor(reason: ReasonCode, options: DenialOptions = {}) {
    this.reason = reason;
    this.status = REASONS[reason].status;
    this.detail = options.detail ?? null;
    this.privateDetail = options.privateDetail ?? null;
    this.challengeParams = options.challengeParams ?? null;
    this.headers = options.headers ?? null;
    this.errors = options.errors ?? null;
    this.cause = options.cause;
  }
}

/**
 * Creates a denial.
 *
 * @example
 * ```ts
 * return deny('insufficient_scope', { challengeParams: { scope: 'orders:write' } });
 * ```
 */
export function deny(reason: ReasonCode, options?: DenialOptions): Denial {
  return new Denial(reason, options);
}

export function isDenial(value: unknown): value is Denial {
  return value instanceof Denial;
}
